package io.custos.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.policy.AlertSink;
import io.custos.routes.Routes;
import io.custos.tools.ToolCatalog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus metrics from the audit trail and the alerts: the series, and that no identifying value becomes a label. */
class CustosMetricsTest {
  private static final String SUBJECT = "dr-subject-4711";
  private static final String SESSION = "session-4711";
  private static final String PSEUDONYM = "pt-pseudonym-4711";

  @TempDir
  Path dir;

  private final CustosMetrics metrics = new CustosMetrics(Routes.registry(ToolCatalog.readTools(),
      io.custos.writes.WriteTools.standard()));
  private final List<AuditEvent> appended = new ArrayList<>();
  private final AuditTrail trail = metrics.meter(new AuditTrail() {
    @Override
    public void append(AuditEvent event) {
      appended.add(event);
    }

    @Override
    public void close() { }
  });

  private static AuditEvent event(AuditEvent.Phase phase, String tool, String outcome, long micros) {
    return new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), Instant.now(), phase, SUBJECT,
        "Practitioner/p-4711", "client-4711", SESSION, "tok-4711", Set.of("clinician"), tool, "Condition",
        List.of(PSEUDONYM), "patient/Condition.rs", outcome, 3, null, micros, "10.1.2.3", "0.1.0");
  }

  @Test
  void callsLatencyDenialsUpstreamErrorsAndAlertsAreCountedWithoutIdentifyingLabels() throws Exception {
    trail.append(event(AuditEvent.Phase.INTENT, "get_active_conditions", "success", 10));
    trail.append(event(AuditEvent.Phase.RESULT, "get_active_conditions", "success", 25_000));
    AuditTrail.Pending pending = trail.appendAsync(event(AuditEvent.Phase.RESULT, "get_active_conditions", "upstream_unavailable",
        5_000_000));
    pending.await();
    pending.await(); // awaited twice (as the audit stage may): counted once
    trail.append(event(AuditEvent.Phase.DENIED, "get_active_conditions", "no_care_relationship", 900));
    trail.append(event(AuditEvent.Phase.DENIED, "(undeclared)", "unknown_tool", 100));
    // A name or outcome outside the declared sets never becomes a label value.
    trail.append(event(AuditEvent.Phase.DENIED, "Smith_John_1970", "Smith", 100));
    metrics.alert(new AlertSink.Alert(UUID.randomUUID().toString(), "vip-record", AlertSink.Severity.HIGH, SUBJECT,
        List.of(PSEUDONYM), Instant.now(), Instant.now(), 1, List.of("e"), "c"));
    Files.writeString(dir.resolve("checkpoints.txt"), "x");
    Instant written = Files.getLastModifiedTime(dir.resolve("checkpoints.txt")).toInstant();
    metrics.ledger(() -> 1234L, dir.resolve("checkpoints.txt"), Clock.fixed(written.plusSeconds(90), ZoneOffset.UTC));

    String text = metrics.scrape();
    assertThat(appended).hasSize(6);
    assertThat(text)
        .contains("custos_calls_total{outcome=\"success\",route=\"read\",tool=\"get_active_conditions\"} 1.0")
        .contains("custos_calls_total{outcome=\"upstream_unavailable\",route=\"read\",tool=\"get_active_conditions\"} 1.0")
        .contains("custos_calls_total{outcome=\"unknown_tool\",route=\"other\",tool=\"other\"} 1.0")
        .contains("custos_calls_total{outcome=\"other\",route=\"other\",tool=\"other\"} 1.0")
        .contains("custos_denials_total{reason=\"no_care_relationship\"} 1.0")
        .contains("custos_denials_total{reason=\"unknown_tool\"} 1.0")
        .contains("custos_upstream_errors_total{reason=\"upstream_unavailable\"} 1.0")
        .contains("custos_call_duration_seconds_count{route=\"read\",tool=\"get_active_conditions\"} 3")
        .contains("custos_call_duration_seconds_bucket{route=\"read\",tool=\"get_active_conditions\",le=\"+Inf\"} 3")
        // Fixed buckets: 0.9 ms and 25 ms fall in le=0.025, the 5 s upstream failure only in le=5.0 and above.
        .contains("custos_call_duration_seconds_bucket{route=\"read\",tool=\"get_active_conditions\",le=\"0.025\"} 2")
        .contains("custos_call_duration_seconds_bucket{route=\"read\",tool=\"get_active_conditions\",le=\"5.0\"} 3")
        .contains("custos_ledger_append_seconds_count 5") // the synchronous appends
        .contains("custos_ledger_entries 1234.0")
        .contains("custos_ledger_checkpoint_age_seconds 90.0")
        .contains("custos_alerts_total{rule=\"vip-record\",severity=\"high\"} 1.0");
    // INTENT events are not calls.
    assertThat(text).doesNotContain("custos_calls_total{outcome=\"success\",route=\"read\",tool=\"get_active_conditions\"} 2.0");
    assertThat(text).doesNotContain(SUBJECT, SESSION, PSEUDONYM, "4711", "Smith", "10.1.2.3");
  }

  @Test
  void theManagementListenerServesGetMetricsOnly() throws Exception {
    trail.append(event(AuditEvent.Phase.RESULT, "get_active_conditions", "success", 1000));
    try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, metrics)) {
      URI url = server.endpoint();
      assertThat(url.getHost()).isEqualTo("127.0.0.1");
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> get = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(get.statusCode()).isEqualTo(200);
      assertThat(get.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
      assertThat(get.body()).contains("custos_calls_total{outcome=\"success\"");
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      HttpResponse<String> other = http.send(HttpRequest.newBuilder(url.resolve("/metrics/x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(other.statusCode()).isEqualTo(404);
    }
  }
}
