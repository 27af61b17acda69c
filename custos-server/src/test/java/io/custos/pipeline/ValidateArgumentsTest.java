package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.phases;
import static io.custos.pipeline.PipelineFixture.readAudit;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.custos.audit.JsonLinesAuditTrail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Argument validation (minimum necessary): strict schemas, real calendar dates, ordered and bounded ranges,
 * bounded pages. Refusals name the rule, never echo the supplied value, and happen before the upstream is read.
 */
class ValidateArgumentsTest extends PipelineTestBase {

  CountingUpstream upstream;

  @Override
  GovernancePipeline createPipeline(io.custos.audit.JsonLinesAuditTrail trail) {
    upstream = new CountingUpstream(fx.upstream);
    return PipelineFixture.pipeline(trail, upstream, Clock.systemUTC());
  }

  private static Map<String, Object> args(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** tool, arguments, a fragment the message must contain, values it must not contain. */
  static Stream<Arguments> invalidCalls() {
    String a = PATIENT_A;
    return Stream.of(
        arguments("list_encounters", args("patient_id", a, "date_from", "2024-05-02", "date_to", "2024-05-01"),
            "date_from must not be after date_to", List.of("2024-05-02", "2024-05-01")),
        arguments("get_lab_results", args("patient_id", a, "date_from", "2000-01-01", "date_to", "2010-01-02"),
            "at most 3653 days", List.of("2000-01-01", "2010-01-02")),
        arguments("get_clinical_notes", args("patient_id", a, "date_from", "1990-01-01", "date_to", "2025-12-31"),
            "at most 3653 days", List.of("1990-01-01", "2025-12-31")),
        arguments("list_encounters", args("patient_id", a, "date_from", "2024-02-31"),
            "date_from is not a valid calendar date", List.of("2024-02-31")),
        arguments("list_appointments", args("patient_id", a, "date_to", "2023-02-29"),
            "date_to is not a valid calendar date", List.of("2023-02-29")),
        arguments("get_vital_signs", args("patient_id", a, "date_from", "13/02/1958"),
            "input schema", List.of("13/02/1958")),
        arguments("get_lab_results", args("patient_id", a, "limit", 51), "input schema", List.of("51")),
        arguments("get_clinical_notes", args("patient_id", a, "limit", 6), "input schema", List.of("6")),
        arguments("get_active_conditions", args("patient_id", a, "limit", 0), "input schema", List.of()),
        arguments("get_active_conditions", args("patient_id", a, "ssn", "999-12-3456"),
            "input schema", List.of("999-12-3456", "ssn")),
        arguments("get_allergies", args("patient_id", a, "Schuster709", "Dennise990"),
            "input schema", List.of("Schuster709", "Dennise990")),
        arguments("get_lab_results", args("patient_id", a, "limit", "fifty-one"), "input schema", List.of("fifty-one")),
        arguments("get_active_conditions", args("patient_id", 1958021399), "input schema", List.of("1958021399")),
        arguments("list_encounters", args("patient_id", a, "date_from", 19580213), "input schema", List.of("19580213")),
        arguments("get_medications", args("patient_id", a, "status", true), "input schema", List.of()),
        arguments("get_medications", args("patient_id", a, "status", "Dennise990"), "input schema", List.of("Dennise990")),
        arguments("get_active_conditions", args("patient_id", "Dennise990 Schuster709"),
            "input schema", List.of("Dennise990", "Schuster709")),
        arguments("get_lab_results", args("patient_id", a, "loinc_code", "Schuster709"), "input schema", List.of("Schuster709")),
        arguments("get_encounter", args("patient_id", a), "input schema", List.of()),
        arguments("get_active_conditions", args(), "patient_id is required", List.of()),
        arguments("list_encounters", args("patient_id", a, "cursor", "Schuster709!Dennise990"),
            "input schema", List.of("Schuster709", "Dennise990")),
        arguments("find_patient", args("family", "Schuster709"), "input schema", List.of("Schuster709")),
        arguments("find_patient", args("family", "Schuster709<script>", "birthdate", "1958-02-13"),
            "input schema", List.of("Schuster709", "1958-02-13", "<script>")));
  }

  @ParameterizedTest(name = "[{index}] {0} {1}")
  @MethodSource("invalidCalls")
  void invalidArgumentsAreRefusedWithoutEchoingValues(String tool, Map<String, Object> arguments, String expected,
      List<String> secrets) throws IOException {
    ToolOutcome out = pipeline.handle(call(user("dr-who"), tool, arguments));

    assertThat(out.error()).as(out.text()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(out.structured()).isNull();
    assertThat(out.text()).startsWith("Error [invalid_arguments]: ").contains(expected);
    for (String secret : secrets) {
      assertThat(out.text()).doesNotContain(secret);
    }
    assertThat(upstream.calls).as("refused before the upstream").hasValue(0);

    Path file = auditFile;
    assertThat(phases(readAudit(file))).containsExactly("INTENT", "RESULT");
    assertThat(readAudit(file).get(1).get("outcome").asText()).isEqualTo("invalid_arguments");
    String audit = Files.readString(file);
    for (String secret : secrets) {
      if (secret.length() > 3) { // short numbers can occur by chance in timestamps and durations
        assertThat(audit).doesNotContain(secret);
      }
    }
  }

  @Test
  void aRangeOfExactlyTheMaximumIsAccepted() {
    // 2000-01-01..2010-01-01 is 3653 days (three leap days)
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_lab_results",
        args("patient_id", PATIENT_A, "date_from", "2000-01-01", "date_to", "2010-01-01")));
    assertThat(out.isError()).as(out.text()).isFalse();
  }

  @Test
  void aLeapDayAndASingleDayRangeAreAccepted() {
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "list_encounters",
        args("patient_id", PATIENT_A, "date_from", "2024-02-29", "date_to", "2024-02-29")));
    assertThat(out.isError()).as(out.text()).isFalse();
  }

  @Test
  void theMaximumLimitIsAccepted() {
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_clinical_notes", args("patient_id", PATIENT_A, "limit", 5)));
    assertThat(out.isError()).as(out.text()).isFalse();
    // a page holds 5 notes, some possibly withheld as sensitive (counted, not silently dropped)
    assertThat(((List<?>) out.structured().get("items")).size() + PipelineFixture.withheld(out)).isEqualTo(5);
  }
}
