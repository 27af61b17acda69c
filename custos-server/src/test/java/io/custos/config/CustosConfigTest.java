package io.custos.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** custos.yaml loading, defaults and validation: every error names its key. */
class CustosConfigTest {
  @TempDir
  Path dir;

  private Path yaml(String text) throws IOException {
    Path file = dir.resolve("custos.yaml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void loadsFullYamlFile() throws IOException {
    CustosConfig cfg = CustosConfig.load(yaml("""
        server:
          host: 127.0.0.1
          port: 9443
          tls: TLS12
          allowedOrigins: ["https://inspector.example"]
          allowedHosts: [custos.internal]
          maxRequestBytes: 65536
        upstream:
          baseUrl: https://fhir.example.org/r4
          timeoutSeconds: 30
        identity:
          mode: development
        dataDir: /var/lib/custos
        """));
    assertThat(cfg.server()).isEqualTo(new CustosConfig.Server("127.0.0.1", 9443, "tls12", List.of("https://inspector.example"),
        List.of("custos.internal"), 65536));
    assertThat(cfg.upstream()).isEqualTo(new CustosConfig.Upstream("https://fhir.example.org/r4", 30,
        new CustosConfig.UpstreamAuth("none", null, null, null, null, null, null)));
    assertThat(cfg.identity().mode()).isEqualTo("development");
    assertThat(cfg.dataDir()).isEqualTo("/var/lib/custos");
  }

  @Test
  void minimalYamlGetsDefaults() throws IOException {
    CustosConfig cfg = CustosConfig.load(yaml("""
        upstream:
          baseUrl: http://127.0.0.1:8080/fhir
        identity:
          mode: development
        """));
    assertThat(cfg.server().host()).isEqualTo("127.0.0.1");
    assertThat(cfg.server().port()).isEqualTo(8443);
    assertThat(cfg.server().tls()).isEqualTo("tls13");
    assertThat(cfg.server().allowedOrigins()).isEmpty();
    assertThat(cfg.server().allowedHosts()).isEmpty();
    assertThat(cfg.server().maxRequestBytes()).isEqualTo(1 << 20);
    assertThat(cfg.upstream().timeoutSeconds()).isEqualTo(10);
    assertThat(cfg.dataDir()).isEqualTo(".custos-data");
  }

  @Test
  void unknownKeyErrorNamesTheKey() throws IOException {
    Path file = yaml("""
        server:
          prot: 8443
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.prot").hasMessageNotContaining("io.custos").hasMessageNotContaining("$");
  }

  @Test
  void unknownTopLevelKeyErrorNamesTheKey() throws IOException {
    Path file = yaml("""
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        datadir: /tmp/x
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("'datadir'");
  }

  @Test
  void invalidPortNamesServerPort() throws IOException {
    Path file = yaml("""
        server:
          port: 70000
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class).hasMessageContaining("server.port");
  }

  @Test
  void negativePortNamesServerPort() throws IOException {
    Path file = yaml("""
        server:
          port: -1
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class).hasMessageContaining("server.port");
  }

  @Test
  void plainHttpUpstreamOnNonLoopbackHostIsRefusedNamingUpstreamBaseUrl() throws IOException {
    Path file = yaml("""
        upstream:
          baseUrl: http://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("upstream.baseUrl").hasMessageContaining("https");
  }

  @Test
  void plainHttpUpstreamOnLoopbackIsAllowed() throws IOException {
    CustosConfig cfg = CustosConfig.load(yaml("""
        upstream:
          baseUrl: http://localhost:8080/fhir
        identity:
          mode: development
        """));
    assertThat(cfg.upstream().baseUrl()).isEqualTo("http://localhost:8080/fhir");
  }

  @Test
  void missingUpstreamNamesUpstreamBaseUrl() throws IOException {
    Path file = yaml("""
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class).hasMessageContaining("upstream.baseUrl");
  }

  @Test
  void unknownTlsModeNamesServerTls() throws IOException {
    Path file = yaml("""
        server:
          tls: ssl3
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class).hasMessageContaining("server.tls");
  }

  @Test
  void plainTlsOnNonLoopbackHostNamesServerTls() throws IOException {
    Path file = yaml("""
        server:
          host: 0.0.0.0
          tls: plain
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.tls").hasMessageContaining("identity.mode");
  }

  @Test
  void maxRequestBytesOutOfRangeNamesKey() throws IOException {
    Path file = yaml("""
        server:
          maxRequestBytes: 10
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.maxRequestBytes");
  }

  @Test
  void timeoutOutOfRangeNamesKey() throws IOException {
    Path file = yaml("""
        upstream:
          baseUrl: https://fhir.example.org/r4
          timeoutSeconds: 0
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("upstream.timeoutSeconds");
  }

  @Test
  void missingIdentityDefaultsToOauthAndNamesTheMissingKeys() throws IOException {
    Path file = yaml("""
        upstream:
          baseUrl: https://fhir.example.org/r4
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("identity.issuer").hasMessageContaining("identity.jwksUri").hasMessageContaining("identity.audience");
  }

  @Test
  void everyInvalidKeyIsListed() throws IOException {
    Path file = yaml("""
        server:
          port: 99999
          tls: bogus
        upstream:
          baseUrl: http://fhir.example.org/r4
        identity:
          mode: development
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.port").hasMessageContaining("server.tls").hasMessageContaining("upstream.baseUrl");
  }

  @Test
  void malformedYamlIsAConfigExceptionWithoutContent() throws IOException {
    Path file = yaml("server: [unclosed\n  secret-value-canary: x\n");
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml").hasMessageNotContaining("secret-value-canary");
  }

  @Test
  void missingFileIsAConfigException() {
    assertThatThrownBy(() -> CustosConfig.load(dir.resolve("absent.yaml"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("absent.yaml");
  }
}
