package io.custos.auth;

import java.util.Optional;

/**
 * Turns the credential presented with one request into a {@link Caller}. Called for EVERY HTTP request
 * (not once per session) and for every stdio call.
 */
public interface Authenticator {

  /**
   * @param bearerToken the {@code Authorization: Bearer} value, if any
   * @return the authenticated caller
   * @throws AuthenticationException if the credential is missing, invalid or insufficient
   */
  Caller authenticate(Optional<String> bearerToken);
}
