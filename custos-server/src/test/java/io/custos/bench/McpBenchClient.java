package io.custos.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A minimal MCP client over Streamable HTTP (protocol 2025-11-25) on {@code java.net.http}: {@code initialize}
 * then {@code notifications/initialized} per session, then {@code tools/call}s, each with the session's bearer
 * token. Responses may be {@code application/json} or {@code text/event-stream} (the {@code data:} lines of the
 * event carrying the response are joined). A call succeeds when the JSON-RPC response has a {@code result} whose
 * {@code isError} is not true.
 */
final class McpBenchClient {
  static final String VERSION = "2025-11-25";
  static final String STATELESS_VERSION = "2026-07-28";
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI endpoint;
  private final AtomicLong ids = new AtomicLong(1);

  McpBenchClient(HttpClient http, URI endpoint) {
    this.http = http;
    this.endpoint = endpoint;
  }

  /** An HTTP/1.1 client trusting only {@code pem} (the server's self-signed certificate), hostname checks on. */
  static HttpClient client(Path pem) throws IOException, GeneralSecurityException {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustOnly(pem))
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  static SSLContext trustOnly(Path pem) throws IOException, GeneralSecurityException {
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(pem)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Trusts any certificate: only for polling {@code /readyz} of a loopback server whose certificate does not exist yet. */
  static SSLContext trustAllLoopbackOnly() throws GeneralSecurityException {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, new SecureRandom());
    return ctx;
  }

  /** One MCP session bound to one bearer token. */
  record Session(String id, String token) {}

  /** initialize + notifications/initialized. */
  Session open(String token) throws IOException, InterruptedException {
    String init = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + VERSION
        + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"custos-bench\",\"version\":\"1.0\"}}}";
    HttpResponse<String> r = http.send(post(token, null, init).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("initialize: HTTP " + r.statusCode() + " " + r.body());
    }
    String sid = r.headers().firstValue("Mcp-Session-Id").orElseThrow(() -> new IOException("no Mcp-Session-Id"));
    HttpResponse<String> n = http.send(post(token, sid, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").build(),
        HttpResponse.BodyHandlers.ofString());
    if (n.statusCode() != 202) {
      throw new IOException("notifications/initialized: HTTP " + n.statusCode());
    }
    return new Session(sid, token);
  }

  /** Ends a session (DELETE). */
  void close(Session s) {
    try {
      http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30)).DELETE()
          .header("Authorization", "Bearer " + s.token()).header("Mcp-Session-Id", s.id())
          .header("MCP-Protocol-Version", VERSION).build(), HttpResponse.BodyHandlers.discarding());
    } catch (IOException | InterruptedException ignored) {
      // best effort
    }
  }

  /** tools/call; completes with null on success, else a short error category. */
  CompletableFuture<String> callTool(Session s, String tool, String argumentsJson) {
    long id = ids.incrementAndGet();
    String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + argumentsJson + "}}";
    return http.sendAsync(post(s.token(), s.id(), body).build(), HttpResponse.BodyHandlers.ofString())
        .handle((r, failure) -> failure != null ? "io:" + rootName(failure) : check(r, id));
  }

  /**
   * tools/call as an MCP 2026-07-28 request: no session; the envelope in {@code _meta} and the routing headers
   * ({@code MCP-Protocol-Version}, {@code Mcp-Method}, {@code Mcp-Name}) on every request.
   */
  CompletableFuture<String> callToolStateless(String token, String tool, String argumentsJson) {
    long id = ids.incrementAndGet();
    String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"_meta\":{"
        + "\"io.modelcontextprotocol/protocolVersion\":\"" + STATELESS_VERSION + "\","
        + "\"io.modelcontextprotocol/clientCapabilities\":{},"
        + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"custos-bench\",\"version\":\"1.0\"}},"
        + "\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}}";
    HttpRequest request = post(token, null, body).header("MCP-Protocol-Version", STATELESS_VERSION)
        .header("Mcp-Method", "tools/call").header("Mcp-Name", tool).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((r, failure) -> failure != null ? "io:" + rootName(failure) : check(r, id));
  }

  private static String rootName(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName();
  }

  /** null if the response is a successful tool result for request {@code id}. */
  static String check(HttpResponse<String> r, long id) {
    if (r.statusCode() != 200) {
      return "http:" + r.statusCode();
    }
    try {
      for (JsonNode m : messages(r)) {
        if (m.path("id").asLong(-1) == id) {
          if (m.has("error")) {
            return "rpc:" + m.path("error").path("code").asInt();
          }
          return m.path("result").path("isError").asBoolean(false) ? "tool:isError" : null;
        }
      }
      return "no-response";
    } catch (IOException e) {
      return "bad-json";
    }
  }

  /** JSON-RPC messages of a response: the body (JSON) or each SSE event's joined {@code data:} lines. */
  static List<JsonNode> messages(HttpResponse<String> r) throws IOException {
    String type = r.headers().firstValue("Content-Type").orElse("");
    List<JsonNode> out = new ArrayList<>();
    if (type.startsWith("text/event-stream")) {
      StringBuilder data = new StringBuilder();
      for (String line : (r.body() + "\n\n").split("\r?\n", -1)) {
        if (line.startsWith("data:")) {
          data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
        } else if (line.isEmpty() && !data.isEmpty()) {
          out.add(JSON.readTree(data.toString()));
          data.setLength(0);
        }
      }
    } else if (!r.body().isBlank()) {
      out.add(JSON.readTree(r.body()));
    }
    return out;
  }

  private HttpRequest.Builder post(String token, String sid, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (sid != null) {
      b.header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION);
    }
    return b;
  }
}
