package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.auth.DevelopmentAuthenticator;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} reflects the dependencies (audit ledger, keys, upstream FHIR server, JWKS) through cached checks:
 * 503 and the failing check's name while one is down, 200 again once it is back, never a URL in the body; repeated
 * calls within the cache age probe a dependency once. {@code /healthz} stays liveness only.
 */
class ReadinessTest {
  @TempDir
  Path dir;

  /** A stand-in upstream: FHIR capability statement and a JWK Set, counting the probes it answers. */
  static final class Upstream implements AutoCloseable {
    final int port;
    final AtomicInteger metadataHits = new AtomicInteger();
    private HttpServer server;

    Upstream(int port) throws Exception {
      this.port = port;
      start();
    }

    void start() throws Exception {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
      server.createContext("/fhir/metadata", x -> {
        metadataHits.incrementAndGet();
        byte[] b = "{\"resourceType\":\"CapabilityStatement\"}".getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, b.length);
        x.getResponseBody().write(b);
        x.close();
      });
      server.createContext("/jwks", x -> {
        byte[] b = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}"
            .getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, b.length);
        x.getResponseBody().write(b);
        x.close();
      });
      server.start();
    }

    void stop() {
      server.stop(0);
    }

    String base() {
      return "http://127.0.0.1:" + port + "/fhir";
    }

    @Override
    public void close() {
      stop();
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static McpHttpServer serve(Readiness readiness) throws Exception {
    var settings = new McpHttpServer.Settings("127.0.0.1", 0, McpHttpServer.TlsMode.PLAIN, null, Set.of(), Set.of(), 8192);
    var json = new JacksonMcpJsonMapper(HttpTestSupport.JSON);
    return McpHttpServer.start(settings, provider -> McpServer.sync(provider).serverInfo("readiness-test", "1").jsonMapper(json).build(),
        json, new DevelopmentAuthenticator(), readiness);
  }

  static HttpResponse<String> get(McpHttpServer http, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode checks(HttpResponse<String> r) throws Exception {
    return HttpTestSupport.JSON.readTree(r.body()).path("checks");
  }

  @Test
  void checksAreCachedForTheirMaxAgeAndAThrowingProbeFails() {
    AtomicLong nanos = new AtomicLong();
    AtomicInteger probes = new AtomicInteger();
    Readiness r = Readiness.builder().nanoTime(nanos::get).maxAge(Duration.ofSeconds(5))
        .check("counted", () -> probes.incrementAndGet() > 0)
        .check("broken", () -> {
          throw new IllegalStateException("probe failed");
        })
        .build();
    for (int i = 0; i < 10; i++) {
      assertThat(r.status()).containsExactly(java.util.Map.entry("counted", true), java.util.Map.entry("broken", false));
    }
    assertThat(probes).hasValue(1);
    nanos.addAndGet(Duration.ofMillis(4999).toNanos());
    r.status();
    assertThat(probes).hasValue(1);
    nanos.addAndGet(Duration.ofMillis(1).toNanos());
    r.status();
    assertThat(probes).hasValue(2);
  }

  @Test
  void readyzGoesUnavailableWhileADependencyIsDownAndRecovers() throws Exception {
    AtomicLong nanos = new AtomicLong();
    var keys = LocalKeySource.openOrCreate(dir.resolve("keys"));
    MerkleLedger ledger = MerkleLedger.open(dir.resolve("ledger"), keys);
    try (Upstream upstream = new Upstream(freePort())) {
      Readiness readiness = Readiness.builder().nanoTime(nanos::get)
          .check("ledger", ledger::accepting)
          .check("upstream", Readiness.fhirMetadata(upstream.base() + "/", Duration.ofSeconds(2)))
          .check("jwks", Readiness.jwks("http://127.0.0.1:" + upstream.port + "/jwks", Duration.ofSeconds(2)))
          .build();
      McpHttpServer http = serve(readiness);
      try {
        HttpResponse<String> ready = get(http, "/readyz");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(HttpTestSupport.JSON.readTree(ready.body())).isEqualTo(HttpTestSupport.JSON.readTree(
            "{\"status\":\"ok\",\"checks\":{\"ledger\":\"ok\",\"upstream\":\"ok\",\"jwks\":\"ok\"}}"));

        // Within the cache age nothing is probed again, however often /readyz is asked.
        upstream.stop();
        for (int i = 0; i < 5; i++) {
          assertThat(get(http, "/readyz").statusCode()).isEqualTo(200);
        }
        assertThat(upstream.metadataHits).hasValue(1);

        nanos.addAndGet(Readiness.DEFAULT_MAX_AGE.toNanos());
        HttpResponse<String> down = get(http, "/readyz");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(HttpTestSupport.JSON.readTree(down.body())).isEqualTo(HttpTestSupport.JSON.readTree(
            "{\"status\":\"unavailable\",\"checks\":{\"ledger\":\"ok\",\"upstream\":\"failing\",\"jwks\":\"failing\"}}"));
        assertThat(down.body()).doesNotContain("127.0.0.1").doesNotContain(Integer.toString(upstream.port)).doesNotContain("http");
        // liveness is not readiness
        assertThat(get(http, "/healthz").statusCode()).isEqualTo(200);

        upstream.start();
        nanos.addAndGet(Readiness.DEFAULT_MAX_AGE.toNanos());
        HttpResponse<String> back = get(http, "/readyz");
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);

        ledger.close();
        nanos.addAndGet(Readiness.DEFAULT_MAX_AGE.toNanos());
        HttpResponse<String> closed = get(http, "/readyz");
        assertThat(closed.statusCode()).isEqualTo(503);
        assertThat(checks(closed).path("ledger").asText()).isEqualTo("failing");
        assertThat(checks(closed).path("upstream").asText()).isEqualTo("ok");
      } finally {
        http.close();
      }
    } finally {
      ledger.close();
    }
  }

  @Test
  void assembledServerReportsLedgerKeysAndUpstream() throws Exception {
    // an upstream that is not there: nothing listens on the port
    int nothing = freePort();
    CustosConfig cfg = new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", List.of(), List.of(), 8192),
        new CustosConfig.Upstream("http://127.0.0.1:" + nothing + "/fhir", 2), new CustosConfig.Identity("development"),
        new CustosConfig.Policy(null, false, null, null, null), dir.toString()).withDefaults().validated();
    try (ServerAssembly assembly = new ServerAssembly(cfg); McpHttpServer http = assembly.startHttp(false)) {
      HttpResponse<String> r = get(http, "/readyz");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(HttpTestSupport.JSON.readTree(r.body())).isEqualTo(HttpTestSupport.JSON.readTree(
          "{\"status\":\"unavailable\",\"checks\":{\"ledger\":\"ok\",\"keys\":\"ok\",\"upstream\":\"failing\"}}"));
      assertThat(get(http, "/healthz").statusCode()).isEqualTo(200);
    }
  }
}
