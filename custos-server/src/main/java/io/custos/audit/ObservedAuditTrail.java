package io.custos.audit;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@link AuditTrail} that forwards to another and tells a subclass about each event once it is durable there
 * (after a synchronous append, or at the first successful {@link Pending#await} of an asynchronous one). An event
 * that never becomes durable is never reported: its call is refused anyway.
 */
public abstract class ObservedAuditTrail implements AuditTrail {
  private final AuditTrail trail;

  protected ObservedAuditTrail(AuditTrail trail) {
    this.trail = trail;
  }

  /** Called once per event, after it is durable. */
  protected abstract void durable(AuditEvent event);

  /** The synchronous append to the wrapped trail (a subclass may time it). */
  protected void appendDurably(AuditEvent event) {
    trail.append(event);
  }

  @Override
  public final void append(AuditEvent event) {
    appendDurably(event);
    durable(event);
  }

  @Override
  public final Pending appendAsync(AuditEvent event) {
    Pending pending = trail.appendAsync(event);
    AtomicBoolean reported = new AtomicBoolean();
    return () -> {
      pending.await();
      if (reported.compareAndSet(false, true)) {
        durable(event);
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
