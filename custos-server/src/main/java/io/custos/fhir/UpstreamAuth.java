package io.custos.fhir;

import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import io.custos.auth.Caller;
import java.util.Optional;

/**
 * How upstream FHIR calls are authorized ({@code upstream.auth}; "never pass the inbound token
 * upstream"). Asked once per upstream view ({@link FhirUpstream#as(Caller)}), i.e. per tool call, for the HAPI
 * client interceptor that puts the outbound credential on that call's requests:
 * <ul>
 *   <li>{@code none}: no credential (the embedded store on loopback);
 *   <li>{@code client_credentials}: Custos's own token (SMART Backend Services); the user is identified in the
 *       audit trail only, never upstream;
 *   <li>{@code token_exchange}: an RFC 8693 token the identity provider issued for this user and the upstream
 *       audience, in exchange for the inbound token.
 * </ul>
 * Implementations must be thread-safe and throw {@link UpstreamException} (never another exception) when a
 * credential cannot be obtained.
 */
public interface UpstreamAuth {

  /** The interceptor for calls made on behalf of {@code caller}; empty when requests carry no credential. */
  Optional<IClientInterceptor> interceptorFor(Caller caller);

  /** No outbound credential. */
  static UpstreamAuth none() {
    return caller -> Optional.empty();
  }
}
