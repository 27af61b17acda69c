package io.custos.auth;

/**
 * The raw inbound bearer token of one request, kept with the {@link Caller} only so that an upstream
 * token exchange (RFC 8693) can present it as the {@code subject_token} to the identity provider. It is
 * never sent to the FHIR upstream, never logged and never audited ({@link #toString()} is redacted; audit
 * events carry {@link Caller#tokenIdHash()} only).
 */
public final class BearerCredential {
  private final String token;

  public BearerCredential(String token) {
    this.token = java.util.Objects.requireNonNull(token);
  }

  /** The token itself, for the identity provider's token endpoint only. */
  public String reveal() {
    return token;
  }

  @Override
  public String toString() {
    return "BearerCredential[redacted]";
  }
}
