package io.custos.e2e;

import com.nimbusds.oauth2.sdk.TokenRequest;
import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.token.OAuth2TokenCallback;

/**
 * mock-oauth2-server token callback behaving like a production authorization server that supports RFC 8707
 * resource indicators: the access token's {@code aud} is exactly the {@code resource} parameter(s) of the
 * token request (no resource, no audience: Custos then refuses the token). Issues RFC 9068 {@code at+jwt}
 * tokens for one named clinician with MFA evidence ({@code amr: [pwd, mfa]}), a role and SMART scopes.
 *
 * @param issuerId mock-oauth2-server issuer id (path segment) this callback serves
 * @param subject  the user the pre-registered client signs in as
 * @param role     Custos role claim
 * @param scope    SMART scopes granted
 */
public record ResourceAudienceTokenCallback(String issuerId, String subject, String role, String scope)
    implements OAuth2TokenCallback {

  @Override
  public String subject(TokenRequest request) {
    return subject;
  }

  @Override
  public String typeHeader(TokenRequest request) {
    return "at+jwt";
  }

  @Override
  public List<String> audience(TokenRequest request) {
    List<URI> resources = request.getResources();
    return resources == null ? List.of() : resources.stream().map(URI::toString).toList();
  }

  @Override
  public Map<String, Object> addClaims(TokenRequest request) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("scope", scope);
    claims.put("roles", List.of(role));
    claims.put("amr", List.of("pwd", "mfa"));
    claims.put("auth_time", Instant.now().getEpochSecond());
    claims.put("fhirUser", "Practitioner/" + subject);
    if (request.getClientID() != null) {
      claims.put("client_id", request.getClientID().getValue());
    } else if (request.getClientAuthentication() != null) {
      claims.put("client_id", request.getClientAuthentication().getClientID().getValue());
    }
    return claims;
  }

  @Override
  public long tokenExpiry() {
    return 600;
  }
}
