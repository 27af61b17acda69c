package io.custos.detect;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * An {@link AuditTrail} that forwards to the real trail and, once an event is durable there, hands it to the
 * detection engine: the in-process {@link AuditEventSource}. An event that fails to become durable is not delivered
 * (the call it belongs to is refused anyway).
 */
public final class TappedAuditTrail implements AuditTrail, AuditEventSource {
  private final AuditTrail trail;
  private volatile Consumer<AuditEvent> listener = e -> { };

  public TappedAuditTrail(AuditTrail trail) {
    this.trail = trail;
  }

  @Override
  public void start(Consumer<AuditEvent> listener) {
    this.listener = listener;
  }

  @Override
  public void append(AuditEvent event) {
    trail.append(event);
    listener.accept(event);
  }

  @Override
  public Pending appendAsync(AuditEvent event) {
    Pending pending = trail.appendAsync(event);
    AtomicBoolean delivered = new AtomicBoolean();
    return () -> {
      pending.await();
      if (delivered.compareAndSet(false, true)) {
        listener.accept(event);
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
