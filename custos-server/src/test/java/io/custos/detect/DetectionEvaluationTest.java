package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The misuse-detection evaluation: a simulated working day through the real server with labelled insider scenarios.
 * The small day runs with the test suite and asserts the targets (recall at least 0.95 per rule, at most one false
 * alert per 10,000 normal calls, every alert within 5 s of its call); the full day runs with
 * {@code -Dcustos.detect.fullDay=true}. Both write their figures to {@code target/detection-evaluation-*.md}.
 */
class DetectionEvaluationTest {
  @Test
  void aSmallDayMeetsTheTargetsAndItsAlertsHoldNoPhi(@TempDir Path dir) throws Exception {
    evaluate(WorkloadSimulator.Options.small(), dir, "small");
  }

  @Test
  @EnabledIfSystemProperty(named = "custos.detect.fullDay", matches = "true")
  void aFullDayMeetsTheTargets(@TempDir Path dir) throws Exception {
    evaluate(WorkloadSimulator.Options.fullDay(), dir, "full-day");
  }

  private static void evaluate(WorkloadSimulator.Options options, Path dir, String name) throws Exception {
    WorkloadSimulator.Run run;
    try (WorkloadSimulator sim = new WorkloadSimulator(options, dir)) {
      run = sim.run();
    }
    DetectionEvaluation e = DetectionEvaluation.of(run);
    String report = "# Detection evaluation (" + name + ")\n\n" + options + "\n\nwall time " + run.wall().toSeconds() + " s\n\n"
        + e.markdown();
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "detection-evaluation-" + name + ".md"), report);
    System.out.println(report);
    assertThat(e.scores().values()).allSatisfy(s -> assertThat(s.instances()).isGreaterThanOrEqualTo(5));
    assertThat(e.normalCalls()).isGreaterThan(1000);
    assertThat(e.minRecall()).isGreaterThanOrEqualTo(0.95);
    assertThat(e.falsePer10k()).isLessThanOrEqualTo(1.0);
    assertThat(e.maxLatencyMillis()).isLessThanOrEqualTo(5000);
    assertNoPhi(run);
  }

  /** No patient or staff identifier, name, birth date or address appears in any alert document. */
  private static void assertNoPhi(WorkloadSimulator.Run run) throws Exception {
    List<String> phi = new ArrayList<>();
    for (WorkloadSimulator.Pt p : run.patients()) {
      Patient r = p.resource();
      phi.add(p.id());
      r.getName().forEach(n -> {
        phi.add(n.getFamily());
        n.getGiven().forEach(g -> phi.add(g.getValue()));
      });
      r.getAddress().forEach(a -> a.getLine().forEach(l -> phi.add(l.getValue())));
      phi.add(r.getBirthDateElement().getValueAsString());
      r.getIdentifier().forEach(i -> phi.add(i.getValue()));
    }
    run.staff().forEach(s -> phi.addAll(List.of(s.family(), s.given(), s.birthDate(), s.line())));
    var mapper = io.custos.audit.ledger.AuditEventCodec.mapper();
    assertThat(run.alerts()).isNotEmpty();
    for (WorkloadSimulator.Received r : run.alerts()) {
      String json = mapper.writeValueAsString(r.alert().document());
      for (String value : phi) {
        if (value != null && value.length() >= 4) {
          assertThat(json).doesNotContain(value);
        }
      }
    }
  }
}
