package io.custos.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.audit.ledger.LocalKeySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening an incident: the record never outlives a ledger event that could not be written. */
class IncidentsTest {
  @TempDir Path dir;

  @Test
  void aRecordWhoseLedgerEventCannotBeWrittenIsRemovedAgain() throws Exception {
    Incidents failing = new Incidents(dir, LocalKeySource.openOrCreate(dir.resolve("keys")), Clock.systemUTC(), e -> {
      throw new IllegalStateException("ledger unavailable");
    });
    Map<String, Object> alert = Map.of("id", "a-1", "rule", "volume", "severity", "high", "user", "dr-who",
        "patients", List.of("pz-1"), "evidence", List.of("ev-1"), "window_end", "2026-11-29T09:30:00Z");
    assertThatThrownBy(() -> failing.open(alert, "po-1", Incident.RiskAssessment.pending()))
        .isInstanceOf(IllegalStateException.class);
    try (var records = Files.list(dir.resolve("incidents"))) {
      assertThat(records).isEmpty();
    }
  }
}
