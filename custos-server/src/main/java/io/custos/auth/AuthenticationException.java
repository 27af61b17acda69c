package io.custos.auth;

/**
 * Authentication failed. {@link #error()} is the RFC 6750 error code sent to the caller
 * ({@code invalid_token}, {@code invalid_request}); the detail stays in the server, never in the response.
 */
public final class AuthenticationException extends RuntimeException {
  private final String error;

  /**
   * @param error  RFC 6750 section 3.1 error code, or null when no credential was presented
   * @param detail internal, PHI-free reason for the log (event ids and claim names only)
   */
  public AuthenticationException(String error, String detail) {
    super(detail, null, false, false);
    this.error = error;
  }

  public String error() {
    return error;
  }
}
