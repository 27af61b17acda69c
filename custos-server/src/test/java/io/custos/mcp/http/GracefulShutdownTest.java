package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.auth.DevelopmentAuthenticator;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Graceful shutdown on a real Jetty server: once draining, {@code /readyz} is 503 and a new request gets a retryable
 * 503 ({@code Retry-After}, JSON-RPC -32001), while a call admitted before keeps running and completes; the drain
 * returns when it has.
 */
class GracefulShutdownTest {

  /** A call that runs until released: stands for a slow tool call in flight. */
  static final class SlowCall extends HttpServlet {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse res) throws java.io.IOException {
      started.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      res.setStatus(200);
      res.getWriter().write("done");
    }
  }

  @Test
  void drainingRefusesNewCallsRetryablyAndLetsAdmittedOnesFinish() throws Exception {
    SlowCall slow = new SlowCall();
    var settings = new McpHttpServer.Settings("127.0.0.1", 0, McpHttpServer.TlsMode.PLAIN, null, Set.of(), Set.of(), 8192);
    var json = new JacksonMcpJsonMapper(HttpTestSupport.JSON);
    var security = new McpHttpServer.Security(new DevelopmentAuthenticator(), Optional.empty(),
        new McpHttpServer.ResourceMetadata("", List.of(), List.of()), Duration.ofMinutes(15));
    McpHttpServer http = McpHttpServer.start(settings,
        provider -> McpServer.sync(provider).serverInfo("drain-test", "1").jsonMapper(json).build(), json, security,
        Readiness.none(), Map.of("/slow/*", slow));
    try {
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + http.port();
      CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/slow/call"))
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(slow.started.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(ReadinessTest.get(http, "/readyz").statusCode()).isEqualTo(200);

      CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> {
        try {
          return http.drain(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      // The drain waits for the admitted call ...
      Thread.sleep(300);
      assertThat(drained).isNotDone();
      HttpResponse<String> ready = ReadinessTest.get(http, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("\"accepting\":\"failing\"");
      // ... while a new call is refused, retryably, before anything reads it.
      HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
          .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
          .POST(HttpRequest.BodyPublishers.ofString(HttpTestSupport.initializeBody("2025-11-25"))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).contains("1");
      assertThat(HttpTestSupport.JSON.readTree(refused.body()).at("/error/code").asInt()).isEqualTo(-32001);

      slow.release.countDown();
      assertThat(inFlight.get(30, TimeUnit.SECONDS).body()).isEqualTo("done");
      assertThat(drained.get(30, TimeUnit.SECONDS)).as("calls left running").isZero();
    } finally {
      http.close();
    }
  }
}
