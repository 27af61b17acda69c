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
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

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

  /** A database that cannot be reached: every connection attempt fails as pgjdbc fails on a refused connection. */
  static javax.sql.DataSource unreachableDatabase() {
    return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(FailClosedTest.class.getClassLoader(),
        new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
          throw new java.sql.SQLTransientConnectionException("Connection refused", "08001");
        });
  }

  @Test
  void sharedStateUnavailableRefusesTheCallAuditedAndRetryableWithoutTouchingTheUpstream() throws IOException {
    Path file = dir.resolve("audit.jsonl");
    CountingUpstream upstream = new CountingUpstream(fx.upstream);
    // Bucket4j's own PostgreSQL backend over a database that is down
    var buckets = io.github.bucket4j.postgresql.Bucket4jPostgreSQL.selectForUpdateBasedBuilder(unreachableDatabase())
        .primaryKeyMapper(io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper.STRING).build();
    try (var trail = new JsonLinesAuditTrail(file)) {
      GovernancePipeline pipeline = io.custos.routes.TestPaths.pipeline(io.custos.routes.TestPaths.stages(trail, upstream,
          Clock.systemUTC(), PipelineFixture.access(Clock.systemUTC())).rateLimits(new io.custos.policy.RateLimits(100, buckets)));

      ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_active_conditions", Map.of("patient_id", PATIENT_A)));

      assertThat(out.error()).isEqualTo(ToolCallException.Reason.STATE_UNAVAILABLE);
      assertThat(out.structured()).isNull();
      assertThat(out.text()).isEqualTo("Error [state_unavailable]: Server state is temporarily unavailable; nothing was done."
          + " Try again shortly.");
      // a request without a valid credential is answered 429 (retry in a second) while its per-address bucket is unknown
      assertThat(pipeline.refuseAuthentication("token-digest", "192.0.2.7")).contains(1L);
    }
    assertThat(upstream.calls).hasValue(0);
    List<JsonNode> events = readAudit(file);
    assertThat(phases(events)).containsExactly("DENIED");
    assertThat(events.get(0).get("outcome").asText()).isEqualTo("state_unavailable");
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

  /**
   * A disk whose fsync of the intent finishes only when the test says so: here, when the upstream is first read, so
   * the test sees the read overlap the intent's write and nothing leave before the intent is durable (or at all, when
   * the fsync fails).
   */
  static final class SlowDiskTrail implements AuditTrail {
    final CompletableFuture<Void> intentFsync = new CompletableFuture<>();
    final List<String> appended = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    @Override
    public void append(AuditEvent event) {
      appended.add(event.phase() + (intentFsync.isDone() && !intentFsync.isCompletedExceptionally() ? "" : " (intent not durable)"));
    }

    @Override
    public Pending appendAsync(AuditEvent event) {
      appended.add(event.phase() + " queued");
      return () -> {
        try {
          intentFsync.get(10, java.util.concurrent.TimeUnit.SECONDS); // a strictly write-ahead stage would wait here in vain
        } catch (java.util.concurrent.ExecutionException e) {
          throw new AuditUnavailableException(e.getCause());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
          throw new AuditUnavailableException(e);
        }
      };
    }

    @Override
    public void close() {}
  }

  /** Completes (or fails) the intent's fsync on the first upstream request and records whether it was still pending. */
  static FhirUpstream releasingUpstream(SlowDiskTrail trail, boolean fsyncFails, AtomicBoolean pendingAtFirstRead) {
    return new CountingUpstream(fx.upstream) {
      @Override
      public SearchPage execute(UpstreamRequest request) {
        if (calls.get() == 0) {
          pendingAtFirstRead.set(!trail.intentFsync.isDone());
          if (fsyncFails) {
            trail.intentFsync.completeExceptionally(new IOException("No space left on device"));
          } else {
            trail.intentFsync.complete(null);
          }
        }
        return super.execute(request);
      }
    };
  }

  @Test
  void aReadOverlapsTheIntentsFsyncAndReleasesNothingBeforeItIsDurable() {
    SlowDiskTrail trail = new SlowDiskTrail();
    AtomicBoolean pending = new AtomicBoolean();
    GovernancePipeline pipeline = PipelineFixture.pipeline(trail, releasingUpstream(trail, false, pending), Clock.systemUTC());
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_active_conditions", Map.of("patient_id", PATIENT_A)));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(pending).as("the upstream was read while the intent's fsync was in flight").isTrue();
    assertThat(trail.appended).as("the result event follows a durable intent").containsExactly("INTENT queued", "RESULT");
  }

  @Test
  void anIntentThatFailsInFlightWithholdsTheResult() {
    SlowDiskTrail trail = new SlowDiskTrail();
    AtomicBoolean pending = new AtomicBoolean();
    GovernancePipeline pipeline = PipelineFixture.pipeline(trail, releasingUpstream(trail, true, pending), Clock.systemUTC());
    ToolOutcome out = pipeline.handle(call(user("dr-who"), "get_active_conditions", Map.of("patient_id", PATIENT_A)));
    assertThat(pending).isTrue();
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.AUDIT_UNAVAILABLE);
    assertThat(out.structured()).isNull();
    assertThat(out.text()).doesNotContain("Condition").doesNotContain(PATIENT_A);
  }

  @Test
  void writesStayStrictlyWriteAhead() {
    SlowDiskTrail trail = new SlowDiskTrail();
    trail.intentFsync.completeExceptionally(new IOException("No space left on device"));
    CountingUpstream upstream = new CountingUpstream(fx.upstream);
    GovernancePipeline pipeline = PipelineFixture.pipeline(trail, upstream, Clock.systemUTC());
    ToolOutcome out = pipeline.handle(call(user("dr-who", "user/*.cruds"), "draft_clinical_note",
        Map.of("patient_id", PATIENT_A, "title", "Follow-up", "text", "Doing well.")));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.AUDIT_UNAVAILABLE);
    assertThat(upstream.calls).as("nothing read or written before the write's intent is durable").hasValue(0);
  }
}
