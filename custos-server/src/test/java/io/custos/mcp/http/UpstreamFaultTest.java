package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.assertNoInternals;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream FHIR faults, through a running Custos over HTTPS: a fake FHIR server that is slow, down,
 * answers 5xx, or answers garbage. Each is a tool error with a fixed reason code and sentence, in bounded time,
 * and nothing of the upstream body reaches the client. Slow / down / 5xx are all {@code upstream_unavailable} (the
 * client's remedy is the same: try later); a response that is not FHIR is {@code upstream_invalid_response}; 401/403
 * is {@code upstream_denied}.
 */
class UpstreamFaultTest {
  /** Planted in every fake upstream body: must never reach a client. */
  static final String SECRET = "SECRET-UPSTREAM-BODY-Jane-Doe-MRN-445566";
  static final int TIMEOUT_SECONDS = 1;

  enum Mode { SLOW, STATUS_500, STATUS_503, STATUS_403, HTML, JSON_NOT_FHIR, TRUNCATED, WRONG_RESOURCE }

  static volatile Mode mode = Mode.SLOW;
  static HttpServer fake;
  static int fakePort;
  static HttpTestSupport.Running custos;
  static HttpTestSupport.Session session;

  @TempDir
  static Path dataDir;

  @BeforeAll
  static void start() throws Exception {
    fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    fake.setExecutor(Executors.newFixedThreadPool(8));
    fake.createContext("/", UpstreamFaultTest::handle);
    fake.start();
    fakePort = fake.getAddress().getPort();
    CustosConfig cfg = new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), 8192),
        new CustosConfig.Upstream("http://127.0.0.1:" + fakePort + "/fhir", TIMEOUT_SECONDS),
        new CustosConfig.Identity("development"),
        new CustosConfig.Policy(null, false, null, null, 100_000),
        dataDir.toString()).withDefaults().validated();
    ServerAssembly assembly = new ServerAssembly(cfg);
    McpHttpServer http = assembly.startHttp(false);
    custos = new HttpTestSupport.Running(assembly, http, HttpTestSupport.trustOnly(dataDir.resolve("tls").resolve("certificate.pem")));
    session = HttpTestSupport.Session.open(HttpTestSupport.client(custos.ssl()), custos.endpoint());
  }

  /** The fake upstream: answers per {@link #mode}. */
  static void handle(com.sun.net.httpserver.HttpExchange ex) throws IOException {
      try (ex) {
        ex.getRequestBody().readAllBytes();
        switch (mode) {
          case SLOW -> {
            sleep(TIMEOUT_SECONDS * 4000L);
            respond(ex, 200, "application/fhir+json", "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}");
          }
          case STATUS_500 -> respond(ex, 500, "text/plain", "java.lang.NullPointerException: " + SECRET + "\n\tat org.hapi.Server");
          case STATUS_503 -> respond(ex, 503, "application/fhir+json", "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":"
              + "\"error\",\"code\":\"transient\",\"diagnostics\":\"" + SECRET + "\"}]}");
          case STATUS_403 -> respond(ex, 403, "application/fhir+json", "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":"
              + "\"error\",\"code\":\"forbidden\",\"diagnostics\":\"" + SECRET + "\"}]}");
          case HTML -> respond(ex, 200, "text/html", "<html><body>Login page for " + SECRET + "</body></html>");
          case JSON_NOT_FHIR -> respond(ex, 200, "application/fhir+json", "{\"patient\":\"" + SECRET + "\",\"rows\":[1,2,3]}");
          case TRUNCATED -> respond(ex, 200, "application/fhir+json", "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\""
              + ":{\"resourceType\":\"Condition\",\"id\":\"" + SECRET);
          case WRONG_RESOURCE -> respond(ex, 200, "application/fhir+json", "{\"resourceType\":\"Patient\",\"id\":\"x\",\"name\":[{\"family\":\""
              + SECRET + "\"}]}");
        }
      }
  }

  @AfterAll
  static void stop() {
    if (custos != null) {
      custos.close();
    }
    if (fake != null) {
      fake.stop(0);
    }
    // HAPI keeps client timeouts per FhirContext: put the shared R4 context back to the default for later test classes.
    var factory = FhirContext.forR4Cached().getRestfulClientFactory();
    factory.setConnectTimeout(10_000);
    factory.setSocketTimeout(10_000);
    factory.setConnectionRequestTimeout(10_000);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  record Outcome(String text, Duration took, String raw) {}

  /** Calls a list tool through Custos and returns the tool error text. */
  static Outcome call(Mode m) throws Exception {
    mode = m;
    long t0 = System.nanoTime();
    JsonNode r = session.callTool("get_active_conditions", "{\"patient_id\":\"example-patient-1\"}");
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    String raw = r.toString();
    assertThat(r.path("result").path("isError").asBoolean()).as("%s: %s", m, raw).isTrue();
    assertThat(raw).as(m.name()).doesNotContain(SECRET, "NullPointer", "OperationOutcome", "html", "127.0.0.1:" + fakePort);
    assertNoInternals(raw);
    return new Outcome(r.path("result").path("content").get(0).path("text").asText(), took, raw);
  }

  @Test
  void slowUpstreamTimesOutAsUnavailableInBoundedTime() throws Exception {
    Outcome o = call(Mode.SLOW);
    assertThat(o.text()).isEqualTo("Error [upstream_unavailable]: The clinical data server is unavailable; try again later.");
    // timeout 1 s: answered well before the 4 s the upstream takes
    assertThat(o.took()).isLessThan(Duration.ofMillis(TIMEOUT_SECONDS * 1000L + 2500));
  }

  @Test
  void fiveHundredsAreUnavailableWithoutTheirBody() throws Exception {
    for (Mode m : List.of(Mode.STATUS_500, Mode.STATUS_503)) {
      assertThat(call(m).text()).as(m.name()).startsWith("Error [upstream_unavailable]:");
    }
  }

  @Test
  void upstreamRefusalIsUpstreamDenied() throws Exception {
    assertThat(call(Mode.STATUS_403).text()).startsWith("Error [upstream_denied]:");
  }

  @Test
  void garbageIsAnInvalidResponseDistinctFromUnavailable() throws Exception {
    for (Mode m : List.of(Mode.HTML, Mode.JSON_NOT_FHIR, Mode.TRUNCATED, Mode.WRONG_RESOURCE)) {
      assertThat(call(m).text()).as(m.name())
          .isEqualTo("Error [upstream_invalid_response]: The clinical data server returned an unusable response.");
    }
  }

  @Test
  void downUpstreamIsUnavailableAtOnce() throws Exception {
    // a port nobody listens on: connection refused
    int closedPort;
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    // its own FhirContext: HAPI keeps client timeouts per context, and Custos's upstream shares the cached one
    var upstream = new HapiFhirUpstream(FhirContext.forR4(), "http://127.0.0.1:" + closedPort + "/fhir", Duration.ofSeconds(5),
        List.of());
    long t0 = System.nanoTime();
    try {
      upstream.execute(new UpstreamRequest.Search("Condition", Map.of("patient", List.of("x")), 10));
      throw new AssertionError("expected a failure");
    } catch (UpstreamException e) {
      assertThat(e.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(e.getMessage()).doesNotContain(Integer.toString(closedPort));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    // and through Custos: stop the fake server entirely, then call
    HttpServer stopped = fake;
    stopped.stop(0);
    try {
      Outcome o = call(Mode.SLOW);
      assertThat(o.text()).startsWith("Error [upstream_unavailable]:");
      assertThat(o.took()).isLessThan(Duration.ofSeconds(3));
    } finally {
      fake = HttpServer.create(new InetSocketAddress("127.0.0.1", fakePort), 50);
      fake.setExecutor(Executors.newFixedThreadPool(8));
      fake.createContext("/", UpstreamFaultTest::handle);
      fake.start();
    }
  }
}
