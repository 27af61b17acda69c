package io.custos.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns validated token claims (from a JWT access token, RFC 9068, or an introspection response, RFC 7662)
 * into a {@link Caller}: {@code sub}, {@code client_id}/{@code azp}, SMART {@code fhirUser} and
 * {@code patient}, {@code scope} (space-separated) or {@code scp} (array), roles from a configured claim
 * path, MFA evidence from {@code amr}/{@code acr}, {@code auth_time}.
 *
 * @param rolesClaim dot path of the roles claim (e.g. {@code realm_access.roles})
 * @param mfaAmr     {@code amr} values proving MFA
 * @param mfaAcr     {@code acr} values proving MFA
 */
public record ClaimsMapping(String rolesClaim, List<String> mfaAmr, List<String> mfaAcr) {

  /**
   * @param claims      all claims, already validated by the caller
   * @param expiresAt   token expiry
   * @param tokenIdSeed {@code jti}, or the token itself when it has none; only its SHA-256 is kept
   * @param bearer      the inbound token, kept (redacted in toString) only for an upstream token exchange
   */
  public Caller toCaller(Map<String, Object> claims, Instant expiresAt, String tokenIdSeed, String bearer) {
    Set<String> scopes = new HashSet<>();
    string(claims.get("scope")).ifPresent(s -> scopes.addAll(List.of(s.trim().split("\\s+"))));
    if (claims.get("scp") instanceof Collection<?> scp) {
      scp.forEach(s -> scopes.add(String.valueOf(s)));
    }
    Set<String> amr = claims.get("amr") instanceof Collection<?> a
        ? a.stream().map(String::valueOf).collect(Collectors.toSet()) : Set.of();
    boolean mfa = amr.stream().anyMatch(mfaAmr::contains) || string(claims.get("acr")).map(mfaAcr::contains).orElse(false);
    Object authTime = claims.get("auth_time");
    Optional<Instant> auth = authTime instanceof Number n ? Optional.of(Instant.ofEpochSecond(n.longValue()))
        : authTime instanceof java.util.Date d ? Optional.of(d.toInstant()) : Optional.empty();
    return new Caller(string(claims.get("sub")).orElseThrow(), string(claims.get("client_id")).or(() -> string(claims.get("azp")))
        .orElse(null), string(claims.get("fhirUser")), roles(claims), scopes, string(claims.get("patient")), mfa,
        sha256(tokenIdSeed), expiresAt, auth, Optional.of(new BearerCredential(bearer)));
  }

  private Set<String> roles(Map<String, Object> claims) {
    Object node = claims;
    for (String part : rolesClaim.split("\\.")) {
      node = node instanceof Map<?, ?> m ? m.get(part) : null;
    }
    if (node instanceof Collection<?> list) {
      return list.stream().map(String::valueOf).collect(Collectors.toSet());
    }
    return node instanceof String s ? Set.of(s.split("[\\s,]+")) : Set.of();
  }

  private static Optional<String> string(Object o) {
    return o instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
  }

  /** SHA-256 (hex) of a token or claim: links audit events to a credential without storing it. */
  public static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
