package io.custos.auth;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * The one identified person (and client) behind a tool call, as established by authentication
 * (HIPAA 164.312(d) person or entity authentication; 164.312(a)(2)(i) unique user identification).
 *
 * @param subject        the token's {@code sub}: unique user id, never a shared service identity
 * @param clientId       OAuth client ({@code client_id} / {@code azp})
 * @param fhirUser       SMART {@code fhirUser} claim (e.g. {@code Practitioner/123}), if present
 * @param roles          Custos roles mapped from the configured claim
 * @param scopes         granted SMART scopes, as issued
 * @param patientContext SMART {@code patient} launch context, if the token is patient-bound
 * @param mfa            whether the token carries evidence of multi-factor authentication ({@code amr}/{@code acr})
 * @param tokenIdHash    SHA-256 (hex) of the token's {@code jti} (or of the token if absent): links audit events to a token without storing it
 * @param expiresAt      token expiry; calls after this instant are refused even within a session
 * @param authTime       when the user last authenticated ({@code auth_time}), if known: break-the-glass needs it fresh
 * @param credential     the inbound bearer token, for an upstream token exchange only (RFC 8693); empty for
 *                       identities without one (development mode, tests). Redacted in {@link #toString()}.
 */
public record Caller(
    String subject,
    String clientId,
    Optional<String> fhirUser,
    Set<String> roles,
    Set<String> scopes,
    Optional<String> patientContext,
    boolean mfa,
    String tokenIdHash,
    Instant expiresAt,
    Optional<Instant> authTime,
    Optional<BearerCredential> credential) {

  public Caller {
    roles = Set.copyOf(roles);
    scopes = Set.copyOf(scopes);
    authTime = authTime == null ? Optional.empty() : authTime;
    credential = credential == null ? Optional.empty() : credential;
  }

  /** A caller without an inbound credential to exchange. */
  public Caller(String subject, String clientId, Optional<String> fhirUser, Set<String> roles, Set<String> scopes,
      Optional<String> patientContext, boolean mfa, String tokenIdHash, Instant expiresAt, Optional<Instant> authTime) {
    this(subject, clientId, fhirUser, roles, scopes, patientContext, mfa, tokenIdHash, expiresAt, authTime, Optional.empty());
  }

  /** A caller whose authentication time is unknown. */
  public Caller(String subject, String clientId, Optional<String> fhirUser, Set<String> roles, Set<String> scopes,
      Optional<String> patientContext, boolean mfa, String tokenIdHash, Instant expiresAt) {
    this(subject, clientId, fhirUser, roles, scopes, patientContext, mfa, tokenIdHash, expiresAt, Optional.empty(), Optional.empty());
  }
}
