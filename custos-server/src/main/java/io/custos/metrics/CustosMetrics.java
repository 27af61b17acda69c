package io.custos.metrics;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.pipeline.Completion;
import io.custos.pipeline.ToolCallException;
import io.custos.policy.AlertSink;
import io.custos.tools.Declaration;
import io.custos.tools.Registry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Operational metrics in the Prometheus text exposition format, through Micrometer. Every label value comes from a
 * closed set fixed at start (declared tool names, routes, outcome and reason codes, alert rules and severities), so no
 * request value, user, session or patient can become a label:
 * <ul>
 *   <li>{@code custos_calls_total{tool,route,outcome}}: finished calls (one per {@code RESULT} or {@code DENIED} audit event)</li>
 *   <li>{@code custos_call_duration_seconds{tool,route}}: call latency histogram (from the audit event's duration)</li>
 *   <li>{@code custos_denials_total{reason}}: refusals (authentication, authorization, consent, rate limit, validation)</li>
 *   <li>{@code custos_upstream_errors_total{reason}}: FHIR upstream failures</li>
 *   <li>{@code custos_ledger_append_seconds}: time until a synchronously appended audit event (each call's closing
 *       {@code RESULT} or {@code DENIED}) is durable; {@code custos_ledger_entries}: ledger size</li>
 *   <li>{@code custos_ledger_checkpoint_age_seconds}: time since the last signed checkpoint was written</li>
 *   <li>{@code custos_alerts_total{rule,severity}}: alerts raised</li>
 * </ul>
 */
public final class CustosMetrics implements AlertSink {
  /** Label value for a tool name the registry does not declare, an outcome outside the known codes, a route not found. */
  static final String OTHER = "other";
  private static final Set<String> UPSTREAM = Set.of(ToolCallException.Reason.UPSTREAM_DENIED.code(),
      ToolCallException.Reason.UPSTREAM_UNAVAILABLE.code(), ToolCallException.Reason.UPSTREAM_INVALID.code());
  private static final Set<String> FAILURES = Set.of(ToolCallException.Reason.AUDIT_UNAVAILABLE.code(),
      ToolCallException.Reason.INTERNAL.code());

  /** Call latency histogram bounds (a dozen fixed buckets per series, from 5 ms to 30 s). */
  private static final Duration[] CALL_BUCKETS = buckets(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, String> routes = new HashMap<>();
  private final Set<String> outcomes;
  /** Refusal reasons: every {@link ToolCallException.Reason} except upstream and internal failures. */
  private final Set<String> denials;
  private final Timer append;

  /** @param tools every declaration served: their names and routes are the only {@code tool} and {@code route} labels */
  public CustosMetrics(Registry tools) {
    for (Declaration d : tools.all()) {
      routes.putIfAbsent(d.name(), d.route().name().toLowerCase(Locale.ROOT));
    }
    this.outcomes = Stream.concat(Arrays.stream(ToolCallException.Reason.values()).map(ToolCallException.Reason::code),
        Arrays.stream(Completion.values()).map(Completion::code)).collect(Collectors.toUnmodifiableSet());
    this.denials = Arrays.stream(ToolCallException.Reason.values()).map(ToolCallException.Reason::code)
        .filter(c -> !UPSTREAM.contains(c) && !FAILURES.contains(c)).collect(Collectors.toUnmodifiableSet());
    this.append = Timer.builder("custos.ledger.append").description("Time until an audit event is durable")
        .serviceLevelObjectives(buckets(0.5, 1, 2, 5, 10, 20, 50, 100, 250, 1000)).register(registry);
  }

  private static Duration[] buckets(double... millis) {
    return Arrays.stream(millis).mapToObj(ms -> Duration.ofNanos((long) (ms * 1_000_000))).toArray(Duration[]::new);
  }

  /** The audit trail with every append timed and every finished call counted. */
  public AuditTrail meter(AuditTrail trail) {
    return new MeteredAuditTrail(trail, this);
  }

  /**
   * Gauges of the ledger: its size in entries (NaN when it cannot be read) and the age of its newest signed checkpoint (the modification time of
   * the checkpoint log; 0 before the first checkpoint).
   */
  public void ledger(Callable<Long> entries, Path checkpointLog, Clock clock) {
    Gauge.builder("custos.ledger.entries", () -> {
      try {
        return entries.call();
      } catch (Exception e) {
        return Double.NaN;
      }
    }).description("Entries in the audit ledger")
        .register(registry);
    Gauge.builder("custos.ledger.checkpoint.age", () -> checkpointAgeSeconds(checkpointLog, clock))
        .description("Seconds since the newest signed checkpoint").baseUnit("seconds").register(registry);
  }

  private static double checkpointAgeSeconds(Path checkpointLog, Clock clock) {
    try {
      return Files.exists(checkpointLog)
          ? Duration.between(Files.getLastModifiedTime(checkpointLog).toInstant(), clock.instant()).toMillis() / 1000.0 : 0;
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  void appended(long nanos) {
    append.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Counts a finished call from its closing audit event ({@code RESULT} or {@code DENIED}); ignores {@code INTENT}. */
  void finished(AuditEvent e) {
    if (e.phase() == AuditEvent.Phase.INTENT) {
      return;
    }
    String route = routes.get(e.tool());
    String tool = route == null ? OTHER : e.tool();
    route = route == null ? OTHER : route;
    String outcome = outcomes.contains(e.outcome()) ? e.outcome() : OTHER;
    Counter.builder("custos.calls").description("Finished calls").tags("tool", tool, "route", route, "outcome", outcome)
        .register(registry).increment();
    Timer.builder("custos.call.duration").description("Call latency").tags("tool", tool, "route", route)
        .serviceLevelObjectives(CALL_BUCKETS).register(registry).record(e.durationMicros(), TimeUnit.MICROSECONDS);
    if (UPSTREAM.contains(outcome)) {
      Counter.builder("custos.upstream.errors").description("FHIR upstream failures").tag("reason", outcome)
          .register(registry).increment();
    } else if (denials.contains(outcome)) {
      Counter.builder("custos.denials").description("Refused calls").tag("reason", outcome).register(registry).increment();
    }
  }

  /** Counts the alert by rule and severity (rule names come from the configuration). */
  @Override
  public void alert(Alert alert) {
    Counter.builder("custos.alerts").description("Alerts raised")
        .tags("rule", alert.rule(), "severity", alert.severity().name().toLowerCase(Locale.ROOT)).register(registry).increment();
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
