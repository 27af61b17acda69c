package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.client;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /healthz} and {@code /readyz} (its dependency checks all pass here): tiny JSON, no session or credential needed, never cached. */
class HealthEndpointsTest extends RunningServerTestBase {

  private static HttpResponse<String> get(String path) throws Exception {
    return send(client, HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  private static void assertHealthy(HttpResponse<String> r, String body) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(HttpTestSupport.JSON.readTree(r.body())).isEqualTo(HttpTestSupport.JSON.readTree(body));
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValueSatisfying(v -> assertThat(v).startsWith("max-age="));
    assertThat(r.headers().firstValue("Server")).isEmpty();
  }

  @Test
  void healthzIsOkAndNotCached() throws Exception {
    assertHealthy(get("/healthz"), "{\"status\":\"ok\"}");
  }

  @Test
  void readyzIsOkAndNotCached() throws Exception {
    // development identity: no JWKS to check
    assertHealthy(get("/readyz"), "{\"status\":\"ok\",\"checks\":{\"ledger\":\"ok\",\"keys\":\"ok\",\"upstream\":\"ok\"}}");
  }

  @Test
  void mcpErrorResponsesAreNotCachedEither() throws Exception {
    HttpResponse<String> r = send(client, HttpTestSupport.post(server.endpoint(), "{}").build());
    assertThat(r.statusCode()).isGreaterThanOrEqualTo(400);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
  }

  @Test
  void unknownPathIs404WithoutInternals() throws Exception {
    HttpResponse<String> r = get("/nope");
    assertThat(r.statusCode()).isEqualTo(404);
    HttpTestSupport.assertNoInternals(r.body());
    // Jetty's error handler widens the header to "must-revalidate,no-cache,no-store"; no-store must survive.
    assertThat(r.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("no-store"));
  }
}
