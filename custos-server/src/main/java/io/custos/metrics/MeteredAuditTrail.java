package io.custos.metrics;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.ObservedAuditTrail;

/**
 * An {@link AuditTrail} that times each synchronous append until durable and counts each finished call in
 * {@link CustosMetrics}. Asynchronous appends are not timed: the caller may await long after the event became durable
 * (the intent overlaps the upstream fetch), so only synchronous appends measure the ledger.
 */
final class MeteredAuditTrail extends ObservedAuditTrail {
  private final CustosMetrics metrics;

  MeteredAuditTrail(AuditTrail trail, CustosMetrics metrics) {
    super(trail);
    this.metrics = metrics;
  }

  @Override
  protected void appendDurably(AuditEvent event) {
    long start = System.nanoTime();
    super.appendDurably(event);
    metrics.appended(System.nanoTime() - start);
  }

  @Override
  protected void durable(AuditEvent event) {
    metrics.finished(event);
  }
}
