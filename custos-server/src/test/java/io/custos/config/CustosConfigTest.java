package io.custos.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.fhir.SearchMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
          searchMethod: GET
        identity:
          mode: development
        dataDir: /var/lib/custos
        """));
    assertThat(cfg.server()).isEqualTo(new CustosConfig.Server("127.0.0.1", 9443, "tls12", List.of("https://inspector.example"),
        List.of("custos.internal"), 65536));
    assertThat(cfg.upstream()).isEqualTo(new CustosConfig.Upstream("https://fhir.example.org/r4", 30,
        new CustosConfig.UpstreamAuth("none", null, null, null, null, null, null), SearchMethod.GET));
    assertThat(cfg.identity().mode()).isEqualTo("development");
    assertThat(cfg.dataDir()).isEqualTo("/var/lib/custos");
  }

  @Test
  void ledgerRetentionDefaultsToSixYearsAndIsValidated() throws IOException {
    String base = """
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """;
    assertThat(CustosConfig.load(yaml(base)).ledger().retentionDays()).isEqualTo(LedgerSettings.DEFAULT_RETENTION_DAYS);
    assertThat(CustosConfig.load(yaml(base + "ledger:\n  retentionDays: 3650\n")).ledger())
        .isEqualTo(new LedgerSettings(3650L));
    assertThatThrownBy(() -> CustosConfig.load(yaml(base + "ledger:\n  retentionDays: 0\n")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ledger.retentionDays: must be 1..36500");
    assertThatThrownBy(() -> CustosConfig.load(yaml(base + "ledger:\n  retention: 10\n")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ledger.retention");
  }

  @Test
  void searchMethodDefaultsToPostAndAnUnknownOneNamesTheKey() throws IOException {
    assertThat(CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        """)).upstream().searchMethod()).isEqualTo(SearchMethod.POST);
    assertThatThrownBy(() -> CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir", searchMethod: put}
        identity: {mode: development}
        """))).isInstanceOf(ConfigException.class).hasMessageStartingWith("upstream.searchMethod: must be post or get");
  }

  @Test
  void researchProtocolsAreReadAndCheckedNamingTheKey() throws IOException {
    CustosConfig cfg = CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        research:
          protocols:
            - {id: IRB-2026-014, categories: [hiv, mental-health], linkage: true, investigators: [alice]}
            - {id: IRB-2026-015, investigators: [bob, carol]}
        """));
    assertThat(cfg.research().protocols()).containsExactly(
        new CustosConfig.Protocol("IRB-2026-014", List.of("hiv", "mental-health"), true, List.of("alice")),
        new CustosConfig.Protocol("IRB-2026-015", List.of(), false, List.of("bob", "carol")));
    assertThat(CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        """)).research().protocols()).isEmpty();
    assertThatThrownBy(() -> CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        research:
          protocols: [{id: A, categories: [oncology], investigators: [alice]}, {id: A}]
        """))).isInstanceOf(ConfigException.class).hasMessageContaining("research.protocols.categories")
        .hasMessageContaining("research.protocols: each id").hasMessageContaining("research.protocols.investigators")
        .hasMessageNotContaining("oncology");
  }

  @Test
  void breakGlassOverridesPatientPrivacyConsentsByDefaultAndAnUnknownValueNamesTheKey() throws IOException {
    assertThat(CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        """)).policy().breakGlassOverridesConsent()).isEqualTo(io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY);
    assertThat(CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        policy: {breakGlassOverridesConsent: none}
        """)).policy().breakGlassOverridesConsent()).isEqualTo(io.custos.consent.BreakGlassOverride.NONE);
    assertThatThrownBy(() -> CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        policy: {breakGlassOverridesConsent: research}
        """))).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("policy.breakGlassOverridesConsent: must be one of patient-privacy, none");
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
    // Safe defaults: only a person on the approval page, from another application, approves a write.
    assertThat(cfg.policy().elicitationApproval()).isFalse();
    assertThat(cfg.policy().readOnly()).isFalse();
    assertThat(cfg.identity().tokenCacheSeconds()).isEqualTo(300);
  }

  @Test
  void introspectionReusesATokenForThirtySecondsByDefaultSoRevocationTakesEffectQuickly() throws IOException {
    CustosConfig cfg = CustosConfig.load(yaml("""
        upstream:
          baseUrl: http://127.0.0.1:8080/fhir
        identity:
          mode: introspection
          issuer: https://idp.example.org
          audience: https://custos.example.org/mcp
          introspectionUri: https://idp.example.org/introspect
          introspectionClientId: custos
          introspectionClientSecretFile: /run/secrets/introspection
        """));
    assertThat(cfg.identity().tokenCacheSeconds()).isEqualTo(30);
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

  /** A configuration file that must be refused, and the keys its error names (exactly these). */
  record Invalid(String what, String yaml, Set<String> keys) {
    @Override
    public String toString() {
      return what;
    }
  }

  /** A file that is valid but for {@code serverKeys} (YAML lines of the server section). */
  private static String withServer(String serverKeys) {
    return "server:\n" + serverKeys.indent(2) + """
        upstream:
          baseUrl: https://fhir.example.org/r4
        identity:
          mode: development
        """;
  }

  static Stream<Invalid> invalidFiles() {
    return Stream.of(
        new Invalid("misspelt key", withServer("prot: 8443"), Set.of("server.prot")),
        new Invalid("misspelt top-level key", """
            upstream:
              baseUrl: https://fhir.example.org/r4
            identity:
              mode: development
            datadir: /tmp/x
            """, Set.of("datadir")),
        new Invalid("port above 65535", withServer("port: 70000"), Set.of("server.port")),
        new Invalid("negative port", withServer("port: -1"), Set.of("server.port")),
        new Invalid("plain http upstream on a non-loopback host", """
            upstream:
              baseUrl: http://fhir.example.org/r4
            identity:
              mode: development
            """, Set.of("upstream.baseUrl")),
        new Invalid("no upstream", """
            identity:
              mode: development
            """, Set.of("upstream.baseUrl")),
        new Invalid("unknown TLS mode", withServer("tls: ssl3"), Set.of("server.tls")),
        new Invalid("plain TLS and development identity on a non-loopback host", withServer("host: 0.0.0.0\ntls: plain"),
            Set.of("server.tls", "identity.mode")),
        new Invalid("maxRequestBytes below 1024", withServer("maxRequestBytes: 10"), Set.of("server.maxRequestBytes")),
        new Invalid("token cache longer than the JWKS cache", """
            upstream:
              baseUrl: https://fhir.example.org/r4
            identity:
              mode: development
              tokenCacheSeconds: 301
            """, Set.of("identity.tokenCacheSeconds")),
        new Invalid("upstream timeout 0", """
            upstream:
              baseUrl: https://fhir.example.org/r4
              timeoutSeconds: 0
            identity:
              mode: development
            """, Set.of("upstream.timeoutSeconds")),
        new Invalid("no identity section: oauth without issuer, JWKS and audience", """
            upstream:
              baseUrl: https://fhir.example.org/r4
            """, Set.of("identity.issuer", "identity.jwksUri", "identity.audience")),
        new Invalid("three invalid keys at once", """
            server:
              port: 99999
              tls: bogus
            upstream:
              baseUrl: http://fhir.example.org/r4
            identity:
              mode: development
            """, Set.of("server.port", "server.tls", "upstream.baseUrl")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFiles")
  void anInvalidFileIsRefusedNamingEveryOffendingKeyAndNoOther(Invalid c) throws IOException {
    Path file = yaml(c.yaml());
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOfSatisfying(ConfigException.class, e -> {
      assertThat(namedKeys(e.getMessage())).as(e.getMessage()).isEqualTo(c.keys());
      assertThat(e.getMessage()).as("no Java type names").doesNotContain("io.custos", "$");
    });
  }

  private static final Pattern UNKNOWN_KEY = Pattern.compile("^unknown configuration key '([^']+)' in custos\\.yaml$");

  /**
   * The keys an error names: the one unknown key, or the key before the colon of every line of an
   * "invalid configuration" list (a line may name two keys joined by "and").
   */
  private static Set<String> namedKeys(String message) {
    Matcher unknown = UNKNOWN_KEY.matcher(message);
    if (unknown.matches()) {
      return Set.of(unknown.group(1));
    }
    List<String> lines = message.lines().toList();
    assertThat(lines.get(0)).isEqualTo("invalid configuration:");
    Set<String> keys = new HashSet<>();
    for (String line : lines.subList(1, lines.size())) {
      assertThat(line).startsWith("  ").contains(": ");
      keys.addAll(List.of(line.substring(2, line.indexOf(": ")).split(" and ")));
    }
    return keys;
  }

  @Test
  void sensitiveValueSetsNamesADirectoryOfTheOrganisationsExpansions() throws IOException {
    String base = """
        upstream:
          baseUrl: http://127.0.0.1:8080/fhir
        identity:
          mode: development
        """;
    assertThat(CustosConfig.load(yaml(base)).policy().sensitiveValueSets()).isNull();
    Path vsac = Files.createDirectories(dir.resolve("vsac"));
    assertThat(CustosConfig.load(yaml(base + "policy:\n  sensitiveValueSets: " + vsac + "\n")).policy().sensitiveValueSets())
        .isEqualTo(vsac.toString());
    assertThatThrownBy(() -> CustosConfig.load(yaml(base + "policy:\n  sensitiveValueSets: " + dir.resolve("absent") + "\n")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("policy.sensitiveValueSets: not a directory");
  }

  @Test
  void malformedYamlIsAConfigExceptionWithoutContent() throws IOException {
    Path file = yaml("server: [unclosed\n  secret-value-canary: x\n");
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml").hasMessageNotContaining("secret-value-canary");
  }

  @Test
  void theConsoleIsReadAndNeedsOauthIdentity() throws IOException {
    CustosConfig cfg = CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: oauth, issuer: "https://idp.example.org", jwksUri: "https://idp.example.org/jwks",
          audience: "https://custos.example.org/mcp"}
        console: {clientId: custos-console, alertLog: /var/lib/custos/alerts.jsonl}
        """));
    assertThat(cfg.console().clientId()).isEqualTo("custos-console");
    assertThat(cfg.console().alertLog()).isEqualTo("/var/lib/custos/alerts.jsonl");
    assertThatThrownBy(() -> CustosConfig.load(yaml("""
        upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
        identity: {mode: development}
        console: {clientId: custos-console}
        """))).isInstanceOf(ConfigException.class).hasMessageContaining("console.clientId: ");
  }

  @Test
  void missingFileIsAConfigException() {
    assertThatThrownBy(() -> CustosConfig.load(dir.resolve("absent.yaml"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("absent.yaml");
  }
}
