package io.custos.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code alerts} and {@code metrics} sections of custos.yaml: defaults, every key, and errors that name the key. */
class AlertSettingsTest {
  private static final String BASE = """
      upstream: {baseUrl: "http://127.0.0.1:8080/fhir"}
      identity: {mode: development}
      dataDir: /var/lib/custos
      """;

  @TempDir
  Path dir;

  private CustosConfig load(String extra) throws IOException {
    Path file = dir.resolve("custos.yaml");
    Files.writeString(file, BASE + extra);
    return CustosConfig.load(file);
  }

  @Test
  void withoutTheSectionsAlertsGoToTheAlertLogOnlyAndNoMetricsListenerRuns() throws IOException {
    CustosConfig c = load("");
    assertThat(c.alerts().logFile(Path.of("/var/lib/custos"))).isEqualTo(Path.of("/var/lib/custos/alerts.jsonl"));
    assertThat(c.alerts().webhooks()).isEmpty();
    assertThat(c.alerts().syslog()).isEmpty();
    assertThat(c.alerts().email()).isEmpty();
    assertThat(c.alerts().maxAttempts()).isEqualTo(6);
    assertThat(c.metrics().enabled()).isFalse();
  }

  @Test
  void everyReceiverKindIsReadWithItsDefaults() throws IOException {
    CustosConfig c = load("""
        alerts:
          log: /var/log/custos/alerts.jsonl
          maxAttempts: 3
          initialBackoffMillis: 500
          webhooks: [{url: "https://siem.example.org/hooks/custos", secretFile: /etc/custos/webhook.key}]
          syslog: [{host: collector.example.org, trustCertificates: /etc/custos/collector.pem}]
          email: [{host: smtp.example.org, from: custos@example.org, to: [privacy@example.org]}]
        metrics: {port: 0}
        """);
    AlertSettings a = c.alerts();
    assertThat(a.logFile(Path.of("/var/lib/custos"))).isEqualTo(Path.of("/var/log/custos/alerts.jsonl"));
    assertThat(a.deadLetterFile(Path.of("/var/lib/custos"))).isEqualTo(Path.of("/var/lib/custos/alerts-dead-letter.jsonl"));
    assertThat(a.webhooks()).singleElement().satisfies(w -> assertThat(w.timeoutSeconds()).isEqualTo(10));
    assertThat(a.syslog()).singleElement().satisfies(s -> assertThat(s.port()).isEqualTo(6514));
    assertThat(a.email()).singleElement().satisfies(e -> {
      assertThat(e.port()).isEqualTo(587);
      assertThat(e.startTls()).isTrue();
      assertThat(e.to()).containsExactly("privacy@example.org");
    });
    assertThat(c.metrics()).isEqualTo(new MetricsSettings(true, "127.0.0.1", 0));
  }

  @Test
  void theReadmeExampleIsAValidConfiguration() throws IOException {
    String readme = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("README.md"));
    String section = readme.substring(readme.indexOf("## Alerts, metrics and SIEM"));
    String example = section.substring(section.indexOf("```yaml\n") + 8, section.indexOf("```\n", section.indexOf("```yaml\n") + 8));
    CustosConfig c = load(example);
    assertThat(c.alerts().webhooks()).hasSize(1);
    assertThat(c.alerts().syslog()).singleElement().satisfies(s -> assertThat(s.hostname()).isEqualTo("custos-1"));
    assertThat(c.alerts().email()).singleElement().satisfies(e -> assertThat(e.username()).isEqualTo("custos"));
    assertThat(c.metrics()).isEqualTo(new MetricsSettings(true, "127.0.0.1", 9464));
  }

  @Test
  void invalidReceiversAreRefusedNamingEachKey() {
    assertThatThrownBy(() -> load("""
        alerts:
          maxAttempts: 0
          webhooks: [{url: "http://siem.example.org/hook"}]
          syslog: [{port: 70000}]
          email: [{host: smtp.example.org, username: custos}]
        metrics: {host: 0.0.0.0}
        """)).isInstanceOf(ConfigException.class).satisfies(e -> assertThat(List.of(e.getMessage().split("\n  ")))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.maxAttempts"))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.webhooks.url: required https URL"))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.webhooks.secretFile: required"))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.syslog.host: required"))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.syslog.port"))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.email: from and at least one address"))
        .anySatisfy(m -> assertThat(m).startsWith("alerts.email: username and passwordFile go together"))
        .anySatisfy(m -> assertThat(m).startsWith("metrics.host: must be a loopback address")));
  }
}
