package io.custos.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.policy.AlertSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The alert log and the fan-out: every sink gets every alert, one failing sink does not stop the others. */
class FanOutSinkTest {
  @TempDir
  Path dir;

  @Test
  void everyAlertIsLoggedAsOneJsonLineAndReachesEverySinkDespiteAFailingOne() throws Exception {
    Path log = dir.resolve("alerts").resolve("alerts.jsonl");
    List<AlertSink.Alert> later = new ArrayList<>();
    List<AlertSink.Alert> observed = new ArrayList<>();
    AlertSink failing = a -> {
      throw new IllegalStateException("receiver bug");
    };
    FanOutSink sink = new FanOutSink(List.of(new AlertLogFile(log), failing, later::add), observed::add);
    AlertSink.Alert first = SinkFixtures.alert("family-member", AlertSink.Severity.HIGH, "dr-c");
    AlertSink.Alert second = SinkFixtures.alert("after-hours", AlertSink.Severity.LOW, "nurse-d");
    sink.alert(first);
    sink.alert(second);

    assertThat(later).containsExactly(first, second);
    assertThat(observed).containsExactly(first, second);
    assertThat(Files.readAllLines(log)).hasSize(2);
    assertThat(AlertLogFile.find(log, second.id())).hasValueSatisfying(d -> {
      assertThat(d).containsEntry("rule", "after-hours").containsEntry("user", "nurse-d");
      assertThat(d.get("patients")).isEqualTo(second.patientPseudonyms());
    });
    assertThat(AlertLogFile.find(log, "no-such-alert")).isEmpty();
    assertThat(Files.getPosixFilePermissions(log)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }
}
