package io.custos.pipeline;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps the real {@link io.custos.fhir.HapiFhirUpstream} only to count how often the pipeline reaches the
 * upstream; every call is delegated unchanged. Tests use the count to show that a refused call touched no PHI.
 */
class CountingUpstream implements FhirUpstream {
  final FhirUpstream delegate;
  final AtomicInteger calls = new AtomicInteger();

  CountingUpstream(FhirUpstream delegate) {
    this.delegate = delegate;
  }

  @Override
  public SearchPage execute(UpstreamRequest request) {
    calls.incrementAndGet();
    return delegate.execute(request);
  }

  @Override
  public SearchPage nextPage(String nextLink) {
    calls.incrementAndGet();
    return delegate.nextPage(nextLink);
  }

  @Override
  public String baseUrl() {
    return delegate.baseUrl();
  }
}
