package io.custos.phi.deid;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeidReportTest {
  private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  @Test
  void safeHarborConfigurationCoversAll18Kinds() {
    Map<String, Object> report = DeidReport.of(DeidConfig.safeHarbor(KEY, LocalDate.of(2026, 1, 1)));
    List<?> kinds = (List<?>) report.get("kinds");
    assertThat(kinds).hasSize(18);
    for (Object o : kinds) {
      assertThat(((Map<?, ?>) o).get("status")).as("kind %s", ((Map<?, ?>) o).get("kind")).isEqualTo("COVERED");
    }
    assertThat(report.get("safeHarbor")).isEqualTo(true);
    assertThat(DeidReport.text(DeidConfig.safeHarbor(KEY, LocalDate.of(2026, 1, 1)))).contains("(Q) Full face", "Patient.photo -> redact");
  }

  @Test
  void dateShiftIsFlaggedAsNotSafeHarbor() {
    Map<String, Object> report = DeidReport.of(DeidConfig.dateShift(KEY, LocalDate.of(2026, 1, 1)));
    assertThat(report.get("safeHarbor")).isEqualTo(false);
    Map<?, ?> c = (Map<?, ?>) ((List<?>) report.get("kinds")).get(2);
    assertThat((String) c.get("status")).startsWith("COVERED BY DATE SHIFT");
  }
}
