package io.custos.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.RefusePostSearch;
import io.custos.mcp.http.HttpTestSupport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Search by POST or GET per upstream, and the one-way fallback from POST to GET on a 405. */
class SearchMethodTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final UpstreamRequest.Search PATIENTS = new UpstreamRequest.Search("Patient", Map.of(), 10);

  /** The HTTP methods and Cache-Control headers of the searches a store received, in order. */
  @Interceptor
  public static final class SearchLog {
    final List<String> methods = new CopyOnWriteArrayList<>();
    final List<String> cacheControl = new CopyOnWriteArrayList<>();

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
    public void record(RequestDetails request) {
      if (request.getRestOperationType() == RestOperationTypeEnum.SEARCH_TYPE) {
        methods.add(request.getRequestType().name());
        cacheControl.add(String.valueOf(request.getHeader("Cache-Control")));
      }
    }
  }

  private EmbeddedFhirStore store;

  @AfterEach
  void stop() {
    if (store != null) {
      store.close();
    }
  }

  private SearchLog start(boolean refusePost) throws Exception {
    SearchLog log = new SearchLog();
    EmbeddedFhirStore.Builder b = EmbeddedFhirStore.builder().dataDirectory(HttpTestSupport.fixtureDir()).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z"));
    if (refusePost) {
      // registered before the log: the log sees only the searches that were served
      b.interceptor(new RefusePostSearch());
    }
    store = b.interceptor(log).build().start();
    return log;
  }

  private HapiFhirUpstream upstream(SearchMethod method) {
    return new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(10), List.of(), UpstreamAuth.none(), method);
  }

  @Test
  void postByDefaultWhenTheServerAcceptsIt() throws Exception {
    SearchLog log = start(false);
    HapiFhirUpstream upstream = upstream(SearchMethod.POST);
    assertThat(upstream.execute(PATIENTS).resources()).hasSize(5);
    assertThat(upstream.execute(PATIENTS).resources()).hasSize(5);
    assertThat(log.methods).containsExactly("POST", "POST");
    assertThat(upstream.searchMethod()).isEqualTo(SearchMethod.POST);
  }

  @Test
  void searchesAskForFreshResultsByEitherMethod() throws Exception {
    // A server's search cache (HAPI FHIR JPA: 60 s) would hide a write just committed.
    SearchLog log = start(false);
    upstream(SearchMethod.POST).execute(PATIENTS);
    upstream(SearchMethod.GET).execute(PATIENTS);
    assertThat(log.cacheControl).containsExactly("no-cache", "no-cache");
  }

  @Test
  void a405ToPostSwitchesToGetOnceAndForAll() throws Exception {
    SearchLog log = start(true);
    HapiFhirUpstream upstream = upstream(SearchMethod.POST);
    assertThat(upstream.execute(PATIENTS).resources()).hasSize(5);
    assertThat(upstream.searchMethod()).isEqualTo(SearchMethod.GET);
    // remembered: the second search goes by GET straight away
    assertThat(upstream.execute(PATIENTS).resources()).hasSize(5);
    assertThat(log.methods).containsExactly("GET", "GET");
  }

  @Test
  void getWhenConfigured() throws Exception {
    SearchLog log = start(false);
    HapiFhirUpstream upstream = upstream(SearchMethod.GET);
    assertThat(upstream.execute(PATIENTS).resources()).hasSize(5);
    assertThat(log.methods).containsExactly("GET");
  }

  @Test
  void configurationReadsTheMethodInAnyCaseAndNamesTheKeyOtherwise() {
    assertThat(SearchMethod.of("get")).isEqualTo(SearchMethod.GET);
    assertThat(SearchMethod.of("POST")).isEqualTo(SearchMethod.POST);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SearchMethod.of("put"))
        .hasMessage("upstream.searchMethod: must be post or get");
  }
}
