package io.custos.fhir.auth;

import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import ca.uhn.fhir.rest.client.api.IHttpRequest;
import ca.uhn.fhir.rest.client.api.IHttpResponse;
import java.util.function.Supplier;

/** Sets {@code Authorization: Bearer <token>} (replacing any other) on each outbound upstream request. */
final class BearerInterceptor implements IClientInterceptor {
  private final Supplier<String> token;

  BearerInterceptor(Supplier<String> token) {
    this.token = token;
  }

  @Override
  public void interceptRequest(IHttpRequest request) {
    String value = token.get(); // throws UpstreamException when no credential can be had: the request is not sent
    request.removeHeaders("Authorization");
    request.addHeader("Authorization", "Bearer " + value);
  }

  @Override
  public void interceptResponse(IHttpResponse response) {
    // nothing
  }
}
