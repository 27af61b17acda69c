package io.custos.metrics;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;

/** An {@link AuditTrail} that times each synchronous append until durable and counts each finished call in {@link CustosMetrics}. */
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

  /**
   * Not timed: the caller may await long after the event became durable (the intent overlaps the upstream fetch), so
   * only synchronous appends measure the ledger. The event is counted once, at its first successful await.
   */
  @Override
  public Pending appendAsync(AuditEvent event) {
    Pending pending = trail.appendAsync(event);
    java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      pending.await();
      if (counted.compareAndSet(false, true)) {
        metrics.finished(event);
      }
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
