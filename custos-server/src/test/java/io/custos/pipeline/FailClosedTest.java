package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.phases;
import static io.custos.pipeline.PipelineFixture.readAudit;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.AuditUnavailableException;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expired tokens and an unavailable audit trail stop a call before any clinical data is read or released. */
class FailClosedTest {
  static PipelineFixture fx;

  @TempDir
  Path dir;

  @BeforeAll
  static void startStore() {
    fx = PipelineFixture.start();
  }

  @AfterAll
  static void stopStore() {
    if (fx != null) {
      fx.close();
    }
  }

  /**
   * Test double for a disk that refuses writes (full, read-only, or gone): a real file cannot be made to fail
   * fsync portably, so this trail throws what {@link JsonLinesAuditTrail} throws in that case. It can let a
   * number of events through first to simulate the disk failing in the middle of a call.
   */
  static final class RefusingAuditTrail implements AuditTrail {
    final int acceptFirst;
    final AtomicInteger attempts = new AtomicInteger();

    RefusingAuditTrail(int acceptFirst) {
      this.acceptFirst = acceptFirst;
    }

    @Override
    public void append(AuditEvent event) {
      if (attempts.incrementAndGet() > acceptFirst) {
        throw new AuditUnavailableException(new IOException("No space left on device"));
      }
    }

    @Override
    public void close() {}
  }

  @Test
  void expiredTokenIsUnauthenticated() throws IOException {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    Path file = dir.resolve("audit.jsonl");
    CountingUpstream upstream = new CountingUpstream(fx.upstream);
    try (var trail = new JsonLinesAuditTrail(file)) {
      GovernancePipeline pipeline = PipelineFixture.pipeline(trail, upstream, clock);
      for (Instant expiry : List.of(now.minusSeconds(1), now)) { // expiring exactly now is expired too
        Caller expired = new Caller("dr-late", "test-client", Optional.empty(), Set.of("clinician"), Set.of("user/*.rs"),
            Optional.empty(), true, "tokhash", expiry);
        ToolOutcome out = pipeline.handle(call(expired, "get_active_conditions", Map.of("patient_id", PATIENT_A)));
        assertThat(out.error()).isEqualTo(ToolCallException.Reason.UNAUTHENTICATED);
        assertThat(out.structured()).isNull();
      }
      Caller valid = new Caller("dr-late", "test-client", Optional.empty(), Set.of("clinician"), Set.of("user/*.rs"),
          Optional.empty(), true, "tokhash", now.plus(Duration.ofMinutes(5)));
      assertThat(pipeline.handle(call(valid, "get_active_conditions", Map.of("patient_id", PATIENT_A))).isError()).isFalse();
    }
    List<JsonNode> events = readAudit(file);
    assertThat(phases(events)).containsExactly("DENIED", "DENIED", "INTENT", "RESULT");
    assertThat(events.subList(0, 2)).allSatisfy(e -> assertThat(e.get("outcome").asText()).isEqualTo("unauthenticated"));
    assertThat(upstream.calls).as("the successful call only").hasPositiveValue();
  }

  @Test
  void auditUnavailableBeforeTheCallRefusesItWithoutTouchingTheUpstream() {
    CountingUpstream upstream = new CountingUpstream(fx.upstream);
    RefusingAuditTrail trail = new RefusingAuditTrail(0);
    GovernancePipeline pipeline = PipelineFixture.pipeline(trail, upstream, Clock.systemUTC());

    for (String tool : List.of("get_active_conditions", "get_patient_demographics", "get_clinical_notes")) {
      ToolOutcome out = pipeline.handle(call(user("dr-who"), tool, Map.of("patient_id", PATIENT_A)));
      assertThat(out.error()).as(tool).isEqualTo(ToolCallException.Reason.AUDIT_UNAVAILABLE);
      assertThat(out.structured()).isNull();
      assertThat(out.text()).startsWith("Error [audit_unavailable]");
    }
    assertThat(upstream.calls).hasValue(0);
  }

  @Test
  void auditUnavailableAfterTheReadWithholdsTheResult() {
    CountingUpstream upstream = new CountingUpstream(fx.upstream);
    RefusingAuditTrail trail = new RefusingAuditTrail(1); // the intent is durable, the result event is not
    GovernancePipeline pipeline = PipelineFixture.pipeline(trail, upstream, Clock.systemUTC());

    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_active_conditions", Map.of("patient_id", PATIENT_A)));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.AUDIT_UNAVAILABLE);
    assertThat(out.structured()).isNull();
    assertThat(out.text()).doesNotContain("Condition").doesNotContain(PATIENT_A);
    assertThat(upstream.calls).hasPositiveValue();
  }
}
