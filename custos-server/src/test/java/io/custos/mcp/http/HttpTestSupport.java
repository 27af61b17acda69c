package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Shared plumbing for the HTTP tests: one embedded FHIR store (Synthea fixture) per test JVM, a real Custos
 * server per test class, and an {@link HttpClient} that trusts only the server's generated certificate, with
 * hostname verification on (the certificate's SAN includes 127.0.0.1).
 */
public final class HttpTestSupport {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ACCEPT_BOTH = "application/json, text/event-stream";
  /** The fixture's simulation end time (see fixtures/synthea/README.md). */
  static final Instant REFERENCE = Instant.parse("2026-01-01T00:00:00Z");

  private static EmbeddedFhirStore store;

  private HttpTestSupport() {}

  /** The fixture directory on the test classpath. */
  public static Path fixtureDir() {
    URL url = HttpTestSupport.class.getResource("/fixtures/synthea");
    assertThat(url).as("Synthea fixture on the test classpath").isNotNull();
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Patient logical ids of the fixture: the patient bundles' file names. */
  public static List<String> fixturePatientIds() throws IOException {
    try (var files = Files.list(fixtureDir())) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json.gz") && !n.startsWith("hospital") && !n.startsWith("practitioner"))
          .map(n -> n.substring(0, n.length() - ".json.gz".length()))
          .sorted().toList();
    }
  }

  /** One embedded store for the whole test JVM (loading the fixture is the slow part); stopped at JVM exit. */
  public static synchronized EmbeddedFhirStore store() {
    if (store == null) {
      EmbeddedFhirStore s = EmbeddedFhirStore.builder().dataDirectory(fixtureDir()).referenceInstant(REFERENCE).port(0).build();
      s.start();
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "fhir-store-stop"));
      store = s;
    }
    return store;
  }

  static CustosConfig config(Path dataDir, String tls, int maxRequestBytes) {
    return new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, tls, List.of(), List.of(), maxRequestBytes),
        new CustosConfig.Upstream(store().baseUrl(), 10),
        new CustosConfig.Identity("development"),
        // Transport tests read any fixture patient; care relationships are covered by the access-control tests.
        new CustosConfig.Policy(null, false, null, null, null),
        dataDir.toString()).withDefaults().validated();
  }

  /** A started Custos server and its assembly. */
  record Running(ServerAssembly assembly, McpHttpServer http, SSLContext ssl) implements AutoCloseable {
    URI endpoint() {
      return http.endpoint();
    }

    URI uri(String path) {
      return URI.create("https://127.0.0.1:" + http.port() + path);
    }

    @Override
    public void close() {
      http.close();
      assembly.close();
    }
  }

  static Running start(Path dataDir, String tls, boolean allowTls12) throws Exception {
    ServerAssembly assembly = new ServerAssembly(config(dataDir, tls, 8192));
    McpHttpServer http = assembly.startHttp(allowTls12);
    return new Running(assembly, http, trustOnly(dataDir.resolve("tls").resolve("certificate.pem")));
  }

  /** An SSLContext whose only trust anchor is the given PEM certificate. */
  public static SSLContext trustOnly(Path pem) throws IOException, GeneralSecurityException {
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(pem)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("custos", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** HTTP/1.1 client trusting only {@code ssl}; {@code protocols} restricts the TLS versions offered (none = defaults). */
  public static HttpClient client(SSLContext ssl, String... protocols) {
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ssl)
        .connectTimeout(Duration.ofSeconds(10));
    if (protocols.length > 0) {
      SSLParameters params = ssl.getDefaultSSLParameters();
      params.setProtocols(protocols);
      b.sslParameters(params);
    }
    return b.build();
  }

  static HttpRequest.Builder post(URI uri, String body) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Accept", ACCEPT_BOTH)
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  static HttpResponse<String> send(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /**
   * An MCP 2026-07-28 request: no session; the envelope in {@code params._meta} (unless {@code params} has one) and the
   * routing headers ({@code MCP-Protocol-Version}, {@code Mcp-Method}, {@code Mcp-Name} for a name or URI) equal to the body.
   */
  public static HttpRequest.Builder stateless(URI endpoint, int id, String method, com.fasterxml.jackson.databind.node.ObjectNode params) {
    if (!params.has("_meta")) {
      var meta = params.putObject("_meta");
      meta.put("io.modelcontextprotocol/protocolVersion", "2026-07-28");
      meta.putObject("io.modelcontextprotocol/clientCapabilities");
      meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "custos-test").put("version", "1");
    }
    var body = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    body.set("params", params);
    HttpRequest.Builder b = post(endpoint, body.toString()).header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", method);
    for (String nameParam : List.of("name", "uri")) {
      if (params.path(nameParam).isTextual()) {
        b.header("Mcp-Name", params.get(nameParam).asText());
      } else if (params.has(nameParam)) {
        b.header("Mcp-Name", params.get(nameParam).toString());
      }
    }
    return b;
  }

  static String initializeBody(String protocolVersion) {
    return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + protocolVersion
        + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"custos-http-test\",\"version\":\"1.0\"}}}";
  }

  /**
   * The JSON-RPC messages of a response: the body itself for application/json, or the {@code data:} payload of
   * each event for text/event-stream.
   */
  public static List<JsonNode> messages(HttpResponse<String> response) throws IOException {
    String type = response.headers().firstValue("Content-Type").orElse("");
    List<JsonNode> out = new ArrayList<>();
    if (type.startsWith("text/event-stream")) {
      StringBuilder data = new StringBuilder();
      for (String line : (response.body() + "\n\n").split("\r?\n", -1)) {
        if (line.startsWith("data:")) {
          data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
        } else if (line.isEmpty() && !data.isEmpty()) {
          out.add(JSON.readTree(data.toString()));
          data.setLength(0);
        }
      }
    } else if (!response.body().isBlank()) {
      out.add(JSON.readTree(response.body()));
    }
    return out;
  }

  /** The JSON-RPC response with the given id. */
  static JsonNode response(HttpResponse<String> response, int id) throws IOException {
    return messages(response).stream().filter(m -> m.path("id").asInt(-1) == id).findFirst()
        .orElseThrow(() -> new AssertionError("no JSON-RPC response with id " + id + " in: " + response.body()));
  }

  /**
   * Asserts a transport error: the expected status, a JSON-RPC 2.0 error object with a short message, and no
   * stack trace, exception or Java class name anywhere in the body.
   */
  static JsonNode assertJsonRpcError(HttpResponse<String> response, int status) throws IOException {
    String body = response.body();
    assertThat(response.statusCode()).as("status; body: %s", body).isEqualTo(status);
    assertNoInternals(body);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode node = JSON.readTree(body);
    assertThat(node.path("jsonrpc").asText()).isEqualTo("2.0");
    assertThat(node.has("id")).isTrue();
    assertThat(node.path("error").path("code").isInt()).as("error.code").isTrue();
    String message = node.path("error").path("message").asText();
    assertThat(message).isNotBlank().hasSizeLessThan(200);
    return node;
  }

  static void assertNoInternals(String body) {
    assertThat(body).doesNotContain("Exception", "\tat ", "at io.", "java.", "reactor.", "jakarta.", "org.eclipse");
  }

  /** Status code and body of a raw HTTP/1.1 exchange. */
  record RawResponse(int status, String head, String body) {}

  /**
   * Sends {@code request} (a complete HTTP/1.1 request, headers included) over TLS with hostname verification on.
   * For headers that {@link HttpClient} refuses to set, such as {@code Host}.
   */
  static RawResponse raw(SSLContext ssl, int port, String request) throws IOException {
    try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      SSLParameters params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(params);
      socket.startHandshake();
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      String all = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int split = all.indexOf("\r\n\r\n");
      String head = split < 0 ? all : all.substring(0, split);
      String body = split < 0 ? "" : all.substring(split + 4);
      int status = Integer.parseInt(head.substring(9, 12));
      return new RawResponse(status, head, body);
    }
  }

  /** An MCP session over raw HTTP. */
  static final class Session {
    final HttpClient client;
    final URI endpoint;
    final String id;
    final String protocolVersion;
    private final AtomicInteger ids = new AtomicInteger(100);

    private Session(HttpClient client, URI endpoint, String id, String protocolVersion) {
      this.client = client;
      this.endpoint = endpoint;
      this.id = id;
      this.protocolVersion = protocolVersion;
    }

    /** initialize + notifications/initialized. */
    static Session open(HttpClient client, URI endpoint) throws IOException, InterruptedException {
      HttpResponse<String> init = send(client, post(endpoint, initializeBody("2025-11-25")).build());
      assertThat(init.statusCode()).as("initialize: %s", init.body()).isEqualTo(200);
      String sessionId = init.headers().firstValue("Mcp-Session-Id").orElseThrow(() -> new AssertionError("no Mcp-Session-Id"));
      String version = response(init, 1).path("result").path("protocolVersion").asText();
      Session s = new Session(client, endpoint, sessionId, version);
      HttpResponse<String> note = send(client, s.request("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").build());
      assertThat(note.statusCode()).as("notifications/initialized: %s", note.body()).isEqualTo(202);
      return s;
    }

    HttpRequest.Builder request(String body) {
      return post(endpoint, body).header("Mcp-Session-Id", id).header("MCP-Protocol-Version", protocolVersion);
    }

    /** Sends a request and returns its JSON-RPC response. */
    JsonNode call(String method, String paramsJson) throws IOException, InterruptedException {
      int requestId = ids.incrementAndGet();
      HttpResponse<String> r = rawCall(requestId, method, paramsJson);
      assertThat(r.statusCode()).as("%s: %s", method, r.body()).isEqualTo(200);
      return response(r, requestId);
    }

    /** Sends a request with the given JSON-RPC id and returns the HTTP response as is. */
    HttpResponse<String> rawCall(int requestId, String method, String paramsJson) throws IOException, InterruptedException {
      return send(client, request("{\"jsonrpc\":\"2.0\",\"id\":" + requestId + ",\"method\":\"" + method
          + "\",\"params\":" + paramsJson + "}").build());
    }

    JsonNode callTool(String tool, String argumentsJson) throws IOException, InterruptedException {
      return call("tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}");
    }
  }
}
