package io.custos.fhir.auth;

import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import io.custos.auth.Caller;
import io.custos.fhir.UpstreamAuth;
import io.custos.fhir.UpstreamException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code upstream.auth: token_exchange} (RFC 8693): for each user, Custos exchanges the user's inbound token
 * ({@code subject_token}) at the identity provider's token endpoint for a token whose audience is the
 * upstream; the upstream sees the user's own identity in a token meant for it, never the token that was
 * meant for Custos. Exchanged tokens are cached per inbound token (by its id hash) until shortly before the
 * earlier of the two expiries.
 */
public final class TokenExchangeUpstreamAuth implements UpstreamAuth {
  static final Duration EARLY = Duration.ofSeconds(30);
  static final int MAX_CACHED = 10_000;

  private final TokenEndpoint endpoint;
  private final Scope scope;
  private final List<Audience> audience;
  private final Clock clock;
  private final Map<String, TokenEndpoint.Issued> cache = new ConcurrentHashMap<>();

  /**
   * @param audience the upstream's audience ({@code audience} parameter), e.g. its base URL
   * @param scope    requested scope, or null
   */
  public TokenExchangeUpstreamAuth(TokenEndpoint endpoint, String audience, String scope, Clock clock) {
    this.endpoint = endpoint;
    this.audience = List.of(new Audience(audience));
    this.scope = scope == null ? null : Scope.parse(scope);
    this.clock = clock;
  }

  @Override
  public Optional<IClientInterceptor> interceptorFor(Caller caller) {
    return Optional.of(new BearerInterceptor(() -> token(caller)));
  }

  String token(Caller caller) {
    // Without an inbound token (development identity) there is nothing to exchange: refuse, never fall back.
    var inbound = caller.credential().orElseThrow(() -> new UpstreamException(UpstreamException.Kind.DENIED, 0));
    Instant now = clock.instant();
    TokenEndpoint.Issued cached = cache.get(caller.tokenIdHash());
    if (cached != null && now.isBefore(cached.expires().minus(EARLY))) {
      return cached.accessToken();
    }
    var grant = new TokenExchangeGrant(new BearerAccessToken(inbound.reveal()), TokenTypeURI.ACCESS_TOKEN, null, null,
        TokenTypeURI.ACCESS_TOKEN, audience);
    TokenEndpoint.Issued issued = endpoint.request(grant, scope, List.of());
    Instant expires = issued.expires().isBefore(caller.expiresAt()) ? issued.expires() : caller.expiresAt();
    issued = new TokenEndpoint.Issued(issued.accessToken(), expires);
    if (cache.size() >= MAX_CACHED) {
      cache.values().removeIf(i -> !now.isBefore(i.expires()));
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
    }
    cache.put(caller.tokenIdHash(), issued);
    return issued.accessToken();
  }
}
