package io.custos.metrics;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;

/** An {@link AuditTrail} that times each append until durable and counts each finished call in {@link CustosMetrics}. */
final class MeteredAuditTrail implements AuditTrail {
  private final AuditTrail trail;
  private final CustosMetrics metrics;

  MeteredAuditTrail(AuditTrail trail, CustosMetrics metrics) {
    this.trail = trail;
    this.metrics = metrics;
  }

  @Override
  public void append(AuditEvent event) {
    long start = System.nanoTime();
    trail.append(event);
    metrics.appended(System.nanoTime() - start);
    metrics.finished(event);
  }

  @Override
  public Pending appendAsync(AuditEvent event) {
    long start = System.nanoTime();
    Pending pending = trail.appendAsync(event);
    return () -> {
      pending.await();
      metrics.appended(System.nanoTime() - start);
      metrics.finished(event);
    };
  }

  @Override
  public boolean accepting() {
    return trail.accepting();
  }

  @Override
  public void close() {
    trail.close();
  }
}
