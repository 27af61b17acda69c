package io.custos.fhir.auth;

import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.Scope;
import io.custos.auth.Caller;
import io.custos.fhir.UpstreamAuth;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code upstream.auth: client_credentials} (SMART Backend Services): Custos authenticates to the upstream as
 * itself, with a token from the identity provider's token endpoint (client_credentials grant, {@code
 * private_key_jwt} or a client secret), cached until shortly before it expires. The user behind the call is
 * not sent upstream: it is recorded in Custos's audit events (the audit context), which is where the
 * upstream's operators find who asked for what.
 */
public final class ClientCredentialsUpstreamAuth implements UpstreamAuth {
  /** Renew this long before expiry. */
  static final Duration EARLY = Duration.ofSeconds(60);

  private final TokenEndpoint endpoint;
  private final Scope scope;
  private final List<URI> resources;
  private final Clock clock;
  private final IClientInterceptor interceptor;
  private TokenEndpoint.Issued current;

  /**
   * @param scope    requested scope, e.g. {@code system/*.rs}; null for the client's default
   * @param audience RFC 8707 resource indicator (the upstream base URL), or null
   */
  public ClientCredentialsUpstreamAuth(TokenEndpoint endpoint, String scope, String audience, Clock clock) {
    this.endpoint = endpoint;
    this.scope = scope == null ? null : Scope.parse(scope);
    this.resources = audience == null ? List.of() : List.of(URI.create(audience));
    this.clock = clock;
    this.interceptor = new BearerInterceptor(this::token);
  }

  @Override
  public Optional<IClientInterceptor> interceptorFor(Caller caller) {
    return Optional.of(interceptor); // the same service identity for every caller
  }

  synchronized String token() {
    if (current == null || !clock.instant().isBefore(current.expires().minus(EARLY))) {
      current = endpoint.request(new ClientCredentialsGrant(), scope, resources);
    }
    return current.accessToken();
  }
}
