package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import io.custos.policy.AlertSink.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code detection} section of custos.yaml: read with the rest, defaults, and errors that name the key. */
class DetectionConfigTest {
  private static final String BASE = """
      upstream:
        baseUrl: http://127.0.0.1:8080/fhir
      identity:
        mode: development
      """;

  @Test
  void theSectionIsReadAndItsRuleSettingsOverrideTheDefaults(@TempDir Path dir) throws Exception {
    Path staff = Files.writeString(dir.resolve("staff.csv"), "subject,practitioner,family,given,birth_date,address,postal_code,department\n");
    Path file = Files.writeString(dir.resolve("custos.yaml"), BASE + """
        detection:
          zone: Europe/Berlin
          workingHours: "06:30-20:00"
          staffDirectory:
            csv: %s
          vipPatients:
            ids: [p-1]
          rules:
            many-patients:
              severity: critical
              threshold: 40
              windowMinutes: 15
            after-hours:
              exemptRoles: [nurse]
            deceased-patient:
              enabled: false
        """.formatted(staff));
    DetectionConfig d = CustosConfig.load(file).detection();
    assertThat(d.on()).isTrue();
    assertThat(d.severity(Rule.MANY_PATIENTS)).isEqualTo(Severity.CRITICAL);
    assertThat(d.threshold(Rule.MANY_PATIENTS)).isEqualTo(40);
    assertThat(d.window(Rule.MANY_PATIENTS)).isEqualTo(Duration.ofMinutes(15));
    assertThat(d.exemptRoles(Rule.AFTER_HOURS)).isEqualTo(Set.of("nurse"));
    assertThat(d.ruleOn(Rule.DECEASED_PATIENT)).isFalse();
    assertThat(d.threshold(Rule.REPEATED_DENIALS)).isEqualTo(Rule.REPEATED_DENIALS.defaultThreshold());
    assertThat(d.exemptRoles(Rule.NO_RECENT_VISIT)).isEqualTo(Set.of("front-desk"));
    assertThat(d.vipIds()).containsExactly("p-1");
  }

  @Test
  void withoutTheSectionThereIsNoDetection(@TempDir Path dir) throws Exception {
    assertThat(CustosConfig.load(Files.writeString(dir.resolve("custos.yaml"), BASE)).detection()).isNull();
  }

  @Test
  void anInvalidValueIsRefusedNamingItsKey(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("custos.yaml"), BASE + """
        detection:
          staffDirectory:
            csv: /nonexistent/staff.csv
          rules:
            large-extract:
              threshold: 0
        """);
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("detection.staffDirectory.csv: not a readable file")
        .hasMessageContaining("detection.rules.large-extract.threshold: must be at least 1");
  }
}
