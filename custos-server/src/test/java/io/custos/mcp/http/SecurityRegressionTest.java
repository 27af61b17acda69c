package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.JSON;
import static io.custos.mcp.http.HttpTestSupport.assertJsonRpcError;
import static io.custos.mcp.http.HttpTestSupport.assertNoInternals;
import static io.custos.mcp.http.HttpTestSupport.post;
import static io.custos.mcp.http.HttpTestSupport.response;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security regression suite: a running Custos over HTTPS (TLS 1.3, OAuth mode, tokens from a real OAuth
 * server) attacked the way a hostile client would: oversized and deeply nested JSON (with and without a
 * Content-Length), slow requests (slowloris headers, stalled bodies), session fixation and session reuse across
 * users, header injection (bare CR, obs-fold, NUL, quote injection through Host), Host/Origin spoofing (DNS
 * rebinding, absolute-form request targets) and path traversal in URLs and tool arguments. Every refusal is a
 * clean status with a short JSON-RPC error (or a closed connection for slow requests), never a stack trace, and
 * the server keeps serving afterwards.
 */
class SecurityRegressionTest {
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";
  static final String CLIENT = "custos-sec-client";
  static final String VERSION = "2025-11-25";
  /** Connector idle timeout for this test (the production default is 30 s; see McpHttpServer.IDLE_TIMEOUT). */
  static final Duration IDLE = Duration.ofSeconds(3);

  @TempDir
  static Path dataDir;
  static MockOAuth2Server oauth;
  static ServerAssembly assembly;
  static McpHttpServer http;
  static SSLContext ssl;
  static HttpClient client;
  static String patient;
  static String alice;
  static String bob;
  static final AtomicInteger ids = new AtomicInteger(1);

  @BeforeAll
  static void start() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    String issuer = oauth.issuerUrl(ISSUER_ID).toString();
    CustosConfig cfg = new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), null), // default 1 MiB body bound
        new CustosConfig.Upstream(HttpTestSupport.store().baseUrl(), 10),
        new CustosConfig.Identity("oauth", issuer, oauth.jwksUrl(ISSUER_ID).toString(), AUDIENCE, null, null, null, null, null,
            null, null, null),
        new CustosConfig.Policy(null, false, null, null, 100_000),
        dataDir.toString()).withDefaults().validated();
    System.setProperty(McpHttpServer.IDLE_TIMEOUT_PROPERTY, Long.toString(IDLE.toMillis()));
    try {
      assembly = new ServerAssembly(cfg);
      http = assembly.startHttp(false);
    } finally {
      System.clearProperty(McpHttpServer.IDLE_TIMEOUT_PROPERTY);
    }
    ssl = HttpTestSupport.trustOnly(dataDir.resolve("tls").resolve("certificate.pem"));
    client = HttpTestSupport.client(ssl);
    patient = HttpTestSupport.fixturePatientIds().get(0);
    alice = token("alice");
    bob = token("bob");
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (assembly != null) {
      assembly.close();
    }
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  static String token(String subject) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs");
    claims.put("roles", List.of("clinician"));
    claims.put("fhirUser", "Practitioner/" + subject);
    claims.put("client_id", CLIENT);
    claims.put("auth_time", Instant.now().getEpochSecond());
    claims.put("amr", List.of("pwd", "mfa"));
    return oauth.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt", List.of(AUDIENCE),
        claims, 3600)).serialize();
  }

  static HttpRequest.Builder as(String token, HttpRequest.Builder b) {
    return b.header("Authorization", "Bearer " + token);
  }

  static String open(String token) throws Exception {
    HttpResponse<String> init = send(client, as(token, post(http.endpoint(), HttpTestSupport.initializeBody(VERSION))).build());
    assertThat(init.statusCode()).as("initialize: %s", init.body()).isEqualTo(200);
    String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<String> note = send(client, as(token, post(http.endpoint(), "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")
        .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION)).build());
    assertThat(note.statusCode()).isEqualTo(202);
    return sid;
  }

  static HttpResponse<String> onSession(String token, String sid, String body) throws Exception {
    return send(client, as(token, post(http.endpoint(), body).header("Mcp-Session-Id", sid)
        .header("MCP-Protocol-Version", VERSION)).build());
  }

  static String toolCall(String tool, String args) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + ids.incrementAndGet() + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + args + "}}";
  }

  /** The server still answers a real tool call with data for alice. */
  static void assertStillServing() throws Exception {
    String sid = open(alice);
    String body = toolCall("get_active_conditions", "{\"patient_id\":\"" + patient + "\"}");
    HttpResponse<String> r = onSession(alice, sid, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode result = response(r, JSON.readTree(body).path("id").asInt()).path("result");
    assertThat(result.path("isError").asBoolean()).as(r.body()).isFalse();
  }

  // --- raw TLS plumbing -----------------------------------------------------------------------

  static SSLSocket socket() throws IOException {
    SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", http.port());
    s.setSoTimeout(60_000);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  static HttpTestSupport.RawResponse raw(String request) throws IOException {
    return HttpTestSupport.raw(ssl, http.port(), request);
  }

  static String rawPost(String headers, String body) {
    return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + http.port() + "\r\nAuthorization: Bearer " + alice
        + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\n"
        + headers + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  /** Asserts a raw refusal: the status, and a short JSON-RPC error body (or an empty one) without internals. */
  static void assertCleanRefusal(HttpTestSupport.RawResponse r, int... statuses) throws IOException {
    assertThat(r.status()).as("status; head: %s", r.head()).isIn(java.util.Arrays.stream(statuses).boxed().toArray());
    assertNoInternals(r.head() + r.body());
    String body = dechunk(r);
    if (!body.isBlank()) {
      assertThat(body.length()).as("short body: %s", body).isLessThan(400);
      JsonNode n = JSON.readTree(body);
      assertThat(n.path("jsonrpc").asText()).as(body).isEqualTo("2.0");
      assertThat(n.path("error").path("message").asText()).isNotBlank();
    }
  }

  static String dechunk(HttpTestSupport.RawResponse r) {
    if (!r.head().toLowerCase().contains("transfer-encoding: chunked")) {
      return r.body();
    }
    StringBuilder out = new StringBuilder();
    String rest = r.body();
    while (true) {
      int eol = rest.indexOf("\r\n");
      if (eol < 0) {
        break;
      }
      int len = Integer.parseInt(rest.substring(0, eol).trim(), 16);
      if (len == 0) {
        break;
      }
      out.append(rest, eol + 2, eol + 2 + len);
      rest = rest.substring(eol + 2 + len + 2);
    }
    return out.toString();
  }

  // --- oversized and deeply nested JSON ---------------------------------------------------------------

  @Test
  void hundredThousandNestedArraysAreRefusedCleanly() throws Exception {
    String sid = open(alice);
    String nested = "[".repeat(100_000) + "]".repeat(100_000);
    for (String body : List.of(
        toolCall("get_active_conditions", "{\"patient_id\":" + nested + "}"),
        nested,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000) + "}")) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = onSession(alice, sid, body);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
      assertJsonRpcError(r, 400);
    }
    assertStillServing();
  }

  @Test
  void bodyOverTheLimitIsRefusedWithOrWithoutContentLength() throws Exception {
    String sid = open(alice);
    String big = toolCall("get_active_conditions", "{\"patient_id\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}");
    // declared length
    assertJsonRpcError(onSession(alice, sid, big), 413);
    assertStillServing();
  }

  /**
   * A chunked body (no Content-Length) of 256 MiB: the server must stop reading at the bound (1 MiB) and refuse,
   * not buffer the whole stream in memory first. The client counts what the server accepted before closing.
   */
  @Test
  void endlessChunkedBodyIsCutOffAtTheBound() throws Exception {
    String sid = open(alice);
    long total = 256L * 1024 * 1024;
    java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    byte[] head = ("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_conditions\","
        + "\"arguments\":{\"patient_id\":\"").getBytes(StandardCharsets.US_ASCII);
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        long n = sent.getAndIncrement();
        return n >= total ? -1 : n < head.length ? head[(int) n] : 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        long n = sent.get();
        if (n >= total) {
          return -1;
        }
        int k = (int) Math.min(len, total - n);
        for (int i = 0; i < k; i++) {
          b[off + i] = n + i < head.length ? head[(int) (n + i)] : (byte) 'x';
        }
        sent.addAndGet(k);
        return k;
      }
    };
    HttpRequest chunked = as(alice, HttpRequest.newBuilder(http.endpoint()).timeout(Duration.ofSeconds(120))
        .header("Content-Type", "application/json").header("Accept", HttpTestSupport.ACCEPT_BOTH)
        .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> endless))).build();
    HttpResponse<String> r = null;
    try {
      r = send(client, chunked);
    } catch (IOException e) {
      // the server closed the connection while the client was still sending: also a refusal
    }
    if (r != null) {
      assertJsonRpcError(r, 413);
    }
    assertThat(sent.get()).as("bytes the server took before refusing").isLessThan(64L * 1024 * 1024);
    assertStillServing();
  }

  // --- slow requests ----------------------------------------------------------------------------------

  /** Reads until the server closes the connection; returns how long that took. */
  static Duration timeToClose(SSLSocket s) throws IOException {
    long t0 = System.nanoTime();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        // drain any response
      }
    } catch (IOException closed) {
      // reset or TLS close: closed
    }
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  @Test
  void slowlorisHeadersAndStalledBodiesAreCutOffByTheIdleTimeout() throws Exception {
    try (SSLSocket headers = socket(); SSLSocket body = socket(); SSLSocket idle = socket()) {
      OutputStream h = headers.getOutputStream();
      h.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + http.port() + "\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
      h.flush();
      OutputStream b = body.getOutputStream();
      String start = "{\"jsonrpc\":\"2.0\",\"id\":1,";
      b.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + http.port() + "\r\nAuthorization: Bearer " + alice
          + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 5000\r\n\r\n"
          + start).getBytes(StandardCharsets.US_ASCII));
      b.flush();
      // one thread per connection (the common pool may have a single thread here), all timed from the same start
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
      try {
        long t0 = System.nanoTime();
        List<java.util.concurrent.Future<Duration>> closes = pool.invokeAll(List.of(
            () -> since(t0, idle), () -> since(t0, headers), () -> since(t0, body)), 60, java.util.concurrent.TimeUnit.SECONDS);
        for (var f : closes) {
          Duration d = f.get();
      // closed by the server after about the idle timeout, not kept open indefinitely
          assertThat(d).isGreaterThanOrEqualTo(IDLE.minusMillis(500)).isLessThan(IDLE.plusSeconds(10));
        }
      } finally {
        pool.shutdownNow();
      }
    }
    assertStillServing();
  }

  private static Duration since(long t0, SSLSocket s) throws IOException {
    timeToClose(s);
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  @Test
  void productionIdleTimeoutIsSane() {
    assertThat(McpHttpServer.IDLE_TIMEOUT).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(120));
  }

  // --- sessions -----------------------------------------------------------------------------------------

  @Test
  void clientChosenSessionIdOnInitializeIsNotAdopted() throws Exception {
    String chosen = "attacker-chosen-session-0001";
    HttpResponse<String> fixation = send(client, as(alice, post(http.endpoint(), HttpTestSupport.initializeBody(VERSION))
        .header("Mcp-Session-Id", chosen)).build());
    assertJsonRpcError(fixation, 404);
    assertThat(fixation.headers().firstValue("Mcp-Session-Id")).isEmpty();
    // the victim then signs in normally: the server issues its own id, never the planted one
    String sid = open(alice);
    assertThat(sid).isNotEqualTo(chosen);
    assertThat(sid.length()).isGreaterThanOrEqualTo(16);
    // and the planted id stays unusable for everyone, the attacker included
    for (String t : List.of(alice, bob)) {
      assertJsonRpcError(onSession(t, chosen, toolCall("get_active_conditions", "{\"patient_id\":\"" + patient + "\"}")), 404);
    }
  }

  @Test
  void sessionOfOneUserIsRefusedToAnother() throws Exception {
    String aliceSession = open(alice);
    String call = toolCall("get_active_conditions", "{\"patient_id\":\"" + patient + "\"}");
    assertJsonRpcError(onSession(bob, aliceSession, call), 403);
    assertJsonRpcError(onSession(bob, aliceSession, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\",\"params\":{}}"), 403);
    HttpResponse<String> del = send(client, as(bob, HttpRequest.newBuilder(http.endpoint()).DELETE()
        .header("Mcp-Session-Id", aliceSession).header("MCP-Protocol-Version", VERSION).timeout(Duration.ofSeconds(30))).build());
    assertJsonRpcError(del, 403);
    // alice's session survives the attempts
    HttpResponse<String> ok = onSession(alice, aliceSession, call);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(response(ok, JSON.readTree(call).path("id").asInt()).path("result").path("isError").asBoolean()).isFalse();
  }

  // --- header injection ----------------------------------------------------------------------------------

  @Test
  void headerInjectionIsRefused() throws Exception {
    String init = HttpTestSupport.initializeBody(VERSION);
    // bare CR inside a value, obs-fold continuation lines, NUL: malformed headers are a 400, never parsed as a new header
    for (String bad : List.of("Mcp-Session-Id: abc\rX-Injected: yes\r\n", "X-Note: a\r\n folded: yes\r\n", "X-Note: a\u0000b\r\n")) {
      HttpTestSupport.RawResponse r = raw(rawPost(bad, init));
      assertCleanRefusal(r, 400);
      assertThat(r.head()).doesNotContainIgnoringCase("X-Injected").doesNotContainIgnoringCase("folded");
    }
    // CRLF is a header boundary: the "injected" header is just an ignored header and the session id stays unknown
    HttpTestSupport.RawResponse split = raw(rawPost("Mcp-Session-Id: abc\r\nSet-Cookie: stolen=1\r\n", init));
    assertCleanRefusal(split, 404);
    assertThat(split.head()).doesNotContainIgnoringCase("Set-Cookie");
    // a quote in Host must not reach the WWW-Authenticate challenge (parameter injection)
    HttpTestSupport.RawResponse host = raw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + http.port() + "\", error=\"evil\r\n"
        + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\n"
        + "Content-Length: " + init.length() + "\r\n\r\n" + init);
    assertCleanRefusal(host, 400, 403);
    assertThat(host.head()).doesNotContain("evil");
  }

  // --- Host / Origin spoofing (DNS rebinding) ---------------------------------------------------------------

  @Test
  void foreignHostAndOriginAreRefused() throws Exception {
    String init = HttpTestSupport.initializeBody(VERSION);
    for (String host : List.of("evil.example", "evil.example:" + http.port(), "127.0.0.1.evil.example", "localhost.evil.example:443",
        "[::2]", "0x7f.0.0.1")) {
      HttpTestSupport.RawResponse r = raw("POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + alice
          + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\nContent-Length: "
          + init.length() + "\r\n\r\n" + init);
      assertCleanRefusal(r, 400, 403);
      assertThat(r.head()).doesNotContain("Mcp-Session-Id");
    }
    for (String origin : List.of("https://evil.example", "http://localhost.evil.example", "null", "https://127.0.0.1.evil.example",
        "file://", "http://evil.example:" + http.port())) {
      HttpResponse<String> r = send(client, as(alice, post(http.endpoint(), init).header("Origin", origin)).build());
      assertJsonRpcError(r, 403);
      assertThat(r.headers().firstValue("Mcp-Session-Id")).as(origin).isEmpty();
    }
    // absolute-form request target naming another authority than the Host header
    HttpTestSupport.RawResponse absolute = raw("POST https://evil.example/mcp HTTP/1.1\r\nHost: 127.0.0.1:" + http.port()
        + "\r\nAuthorization: Bearer " + alice + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream"
        + "\r\nConnection: close\r\nContent-Length: " + init.length() + "\r\n\r\n" + init);
    assertCleanRefusal(absolute, 400, 403);
    assertThat(absolute.head()).doesNotContain("Mcp-Session-Id");
  }

  // --- path traversal ---------------------------------------------------------------------------------

  @Test
  void pathTraversalInUrlsIsRefused() throws Exception {
    for (String path : List.of("/mcp/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.well-known/oauth-protected-resource/..%2f..%2fetc%2fpasswd",
        "/mcp/..;/healthz", "/mcp%00/../healthz", "/%2fetc%2fpasswd", "/..\\..\\etc\\passwd")) {
      HttpTestSupport.RawResponse r = raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + http.port()
          + "\r\nAuthorization: Bearer " + alice + "\r\nConnection: close\r\n\r\n");
      assertThat(r.status()).as(path).isIn(400, 404);
      assertThat(r.body()).as(path).doesNotContain("root:");
      assertNoInternals(r.head() + r.body());
      assertThat(r.body().length()).as(path + ": " + r.body()).isLessThan(400);
    }
  }

  @Test
  void pathTraversalInToolArgumentsIsAnArgumentError() throws Exception {
    String sid = open(alice);
    for (String id : List.of("../../etc/passwd", "..%2F..%2Fetc", patient + "/../Practitioner/x", "Patient?_id=x", "a\\..\\b")) {
      String body = toolCall("get_active_conditions", JSON.writeValueAsString(Map.of("patient_id", id)));
      HttpResponse<String> r = onSession(alice, sid, body);
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode result = response(r, JSON.readTree(body).path("id").asInt()).path("result");
      assertThat(result.path("isError").asBoolean()).as(id).isTrue();
      assertThat(result.path("content").get(0).path("text").asText()).startsWith("Error [invalid_arguments]").doesNotContain(id);
    }
  }

  @Test
  void everyRefusalHereIsShort() throws Exception {
    HttpResponse<String> r = send(client, HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + http.port() + "/mcp"))
        .timeout(Duration.ofSeconds(30)).method("PATCH", HttpRequest.BodyPublishers.noBody()).build());
    assertThat(r.statusCode()).isIn(401, 405);
    assertNoInternals(r.body());
  }
}
