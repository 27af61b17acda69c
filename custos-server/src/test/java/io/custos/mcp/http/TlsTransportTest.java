package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.client;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transport security (HIPAA 164.312(e)): TLS 1.3 only by default, TLS 1.2 only by explicit choice, never TLS 1.1 or
 * plain HTTP on the TLS port; and the configuration refuses unsafe listener combinations.
 */
class TlsTransportTest {
  @TempDir
  static Path tls13Dir;
  @TempDir
  static Path tls12Dir;
  static HttpTestSupport.Running tls13;
  static HttpTestSupport.Running tls12;

  @BeforeAll
  static void start() throws Exception {
    tls13 = HttpTestSupport.start(tls13Dir, "tls13", false);
    tls12 = HttpTestSupport.start(tls12Dir, "tls12", false);
  }

  @AfterAll
  static void stop() {
    if (tls13 != null) {
      tls13.close();
    }
    if (tls12 != null) {
      tls12.close();
    }
  }

  private static HttpResponse<String> healthz(HttpClient client, HttpTestSupport.Running server) throws Exception {
    return send(client, HttpRequest.newBuilder(server.uri("/healthz")).timeout(Duration.ofSeconds(30)).GET().build());
  }

  private static boolean causedBySsl(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  @Test
  void defaultServerNegotiatesTls13() throws Exception {
    HttpResponse<String> r = healthz(client(tls13.ssl()), tls13);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo("TLSv1.3"));
  }

  @Test
  void tls12OnlyClientCannotConnectToDefaultServer() {
    Throwable t = catchThrowable(() -> healthz(client(tls13.ssl(), "TLSv1.2"), tls13));
    assertThat(t).as("TLS 1.2 handshake against a TLS 1.3-only server").isInstanceOf(IOException.class);
    assertThat(causedBySsl(t)).as("handshake failure: %s", t).isTrue();
  }

  @Test
  void tls12OnlyClientConnectsToTls12Server() throws Exception {
    HttpResponse<String> r = healthz(client(tls12.ssl(), "TLSv1.2"), tls12);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo("TLSv1.2"));
  }

  @Test
  void tls12ServerStillPrefersTls13() throws Exception {
    HttpResponse<String> r = healthz(client(tls12.ssl()), tls12);
    assertThat(r.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo("TLSv1.3"));
  }

  @Test
  void allowTls12FlagEnablesTls12OnTls13Config(@TempDir Path dir) throws Exception {
    try (HttpTestSupport.Running flagged = HttpTestSupport.start(dir, "tls13", true)) {
      HttpResponse<String> r = healthz(client(flagged.ssl(), "TLSv1.2"), flagged);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo("TLSv1.2"));
    }
  }

  @Test
  void tls12ClientIsRefusedByServerOnDefaultServerAtTheWire() throws Exception {
    assertServerRefusesClientHello(tls13, 0x0303);
  }

  @Test
  void tls11ClientIsRefusedByDefaultServer() throws Exception {
    assertServerRefusesClientHello(tls13, 0x0302);
  }

  @Test
  void tls11ClientIsRefusedByTls12Server() throws Exception {
    assertServerRefusesClientHello(tls12, 0x0302);
    // and the JDK's own client will not even offer TLS 1.1
    assertThatThrownBy(() -> healthz(client(tls12.ssl(), "TLSv1.1"), tls12)).isInstanceOf(IOException.class);
  }

  @Test
  void tls12ClientHelloIsAnsweredByTls12Server() throws Exception {
    byte[] reply = sendClientHello(tls12, 0x0303);
    assertThat(reply.length).isGreaterThan(5);
    assertThat(reply[0]).as("record type: handshake (ServerHello)").isEqualTo((byte) 0x16);
  }

  /**
   * Sends a hand-built ClientHello offering only {@code version} (no supported_versions extension), independent of
   * the JDK client's own protocol policy (which no longer offers TLS 1.1 at all), and expects the server's fatal
   * protocol_version alert: never a ServerHello.
   */
  private static void assertServerRefusesClientHello(HttpTestSupport.Running server, int version) throws IOException {
    byte[] reply = sendClientHello(server, version);
    assertThat(reply).as("fatal protocol_version alert, never a ServerHello").hasSize(7);
    assertThat(reply[0]).as("record type: alert").isEqualTo((byte) 0x15);
    assertThat(reply[5]).as("alert level: fatal").isEqualTo((byte) 2);
    assertThat(reply[6] & 0xff).as("alert description: protocol_version(70)").isEqualTo(70);
  }

  private static byte[] sendClientHello(HttpTestSupport.Running server, int version) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(version >> 8);
    body.write(version & 0xff);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    body.write(random, 0, 32);
    body.write(0); // session id
    int[] suites = {0xC02B, 0xC02F, 0xC009, 0xC013, 0x009C, 0x002F};
    writeShort(body, suites.length * 2);
    for (int s : suites) {
      writeShort(body, s);
    }
    body.write(1); // compression methods
    body.write(0);
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    writeShort(ext, 0x000a); // supported_groups: secp256r1
    writeShort(ext, 4);
    writeShort(ext, 2);
    writeShort(ext, 0x0017);
    writeShort(ext, 0x000b); // ec_point_formats: uncompressed
    writeShort(ext, 2);
    ext.write(1);
    ext.write(0);
    writeShort(ext, 0x000d); // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pkcs1_sha256
    writeShort(ext, 6);
    writeShort(ext, 4);
    writeShort(ext, 0x0403);
    writeShort(ext, 0x0401);
    writeShort(body, ext.size());
    ext.writeTo(body);

    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.write(0x16);
    writeShort(record, 0x0301);
    writeShort(record, body.size() + 4);
    record.write(0x01); // ClientHello
    record.write(0);
    writeShort(record, body.size());
    body.writeTo(record);

    try (Socket socket = new Socket("127.0.0.1", server.http().port())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      record.writeTo(out);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[7];
      int n = 0;
      try {
        while (n < buf.length) {
          int r = in.read(buf, n, buf.length - n);
          if (r < 0) {
            break;
          }
          n += r;
        }
      } catch (java.net.SocketException closed) {
        // reset by the server: refused
      }
      return java.util.Arrays.copyOf(buf, n);
    }
  }

  private static void writeShort(ByteArrayOutputStream out, int v) {
    out.write((v >> 8) & 0xff);
    out.write(v & 0xff);
  }

  @Test
  void plainHttpToTlsPortGetsNoMcpAnswer() throws Exception {
    HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    URI uri = URI.create("http://127.0.0.1:" + tls13.http().port() + "/mcp");
    HttpRequest request = HttpTestSupport.post(uri, HttpTestSupport.initializeBody("2025-11-25")).timeout(Duration.ofSeconds(15)).build();
    try {
      HttpResponse<String> r = plain.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("plain HTTP on the TLS port: %s", r.body()).isNotEqualTo(200).isGreaterThanOrEqualTo(400);
      assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
      assertThat(r.body()).doesNotContain("serverInfo", "protocolVersion");
      HttpTestSupport.assertNoInternals(r.body());
    } catch (IOException refused) {
      // connection closed during the (failed) TLS handshake: equally acceptable
    }
  }

  @Test
  void clientTrustingAnotherCertificateIsRefused() throws Exception {
    // tls12's certificate is a different self-signed certificate: a client trusting only it must not reach tls13.
    SSLContext other = tls12.ssl();
    Throwable t = catchThrowable(() -> healthz(client(other), tls13));
    assertThat(t).isInstanceOf(IOException.class);
    assertThat(causedBySsl(t)).isTrue();
  }

  @Test
  void certificateNamesLoopbackAndVerifiesFor127001() throws Exception {
    HttpResponse<String> r = healthz(client(tls13.ssl()), tls13);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.sslSession().orElseThrow().getPeerPrincipal().getName()).contains("CN=localhost");
  }

  @Test
  void hostnameVerificationRejectsAHostTheCertificateDoesNotName() throws Exception {
    // Same trusted certificate, same socket, but the client expects "evil.example.com": verification must fail.
    try (Socket tcp = new Socket("127.0.0.1", tls13.http().port());
        javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) tls13.ssl().getSocketFactory()
            .createSocket(tcp, "evil.example.com", tls13.http().port(), true)) {
      socket.setSoTimeout(15_000);
      javax.net.ssl.SSLParameters params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(params);
      assertThatThrownBy(socket::startHandshake).isInstanceOf(javax.net.ssl.SSLHandshakeException.class)
          .hasMessageContaining("evil.example.com");
    }
  }

  @Test
  void plainTlsOnWildcardHostIsRefusedNamingServerTls() {
    CustosConfig cfg = new CustosConfig(new CustosConfig.Server("0.0.0.0", 8443, "plain", List.of(), List.of(), null),
        new CustosConfig.Upstream("https://fhir.example.org/r4", null), new CustosConfig.Identity("development"), null);
    assertThatThrownBy(() -> cfg.withDefaults().validated()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.tls");
  }

  @Test
  void developmentIdentityOnNonLoopbackHostIsRefused() {
    CustosConfig cfg = new CustosConfig(new CustosConfig.Server("0.0.0.0", 8443, "tls13", List.of(), List.of(), null),
        new CustosConfig.Upstream("https://fhir.example.org/r4", null), new CustosConfig.Identity("development"), null);
    assertThatThrownBy(() -> cfg.withDefaults().validated()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("identity.mode").hasMessageContaining("loopback");
  }

  @Test
  void plainHttpListenerOnNonLoopbackIsRefusedEvenWithoutConfigValidation(@TempDir Path dir) throws Exception {
    // Two layers refuse it: ServerAssembly validates whatever config it is given, and McpHttpServer
    // itself refuses plain HTTP off loopback for callers that bypass the assembly.
    CustosConfig unvalidated = new CustosConfig(new CustosConfig.Server("0.0.0.0", 0, "plain", List.of(), List.of(), null),
        new CustosConfig.Upstream(HttpTestSupport.store().baseUrl(), null), new CustosConfig.Identity("development"),
        dir.toString()).withDefaults();
    assertThatThrownBy(() -> new io.custos.cli.ServerAssembly(unvalidated)).isInstanceOf(io.custos.config.ConfigException.class)
        .hasMessageContaining("server.tls");
    assertThatThrownBy(() -> McpHttpServer.start(new McpHttpServer.Settings("0.0.0.0", 0, McpHttpServer.TlsMode.PLAIN, null,
        java.util.Set.of(), java.util.Set.of(), 8192), t -> null, null, (io.custos.auth.Authenticator) null, Readiness.none()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback");
  }
}
