package io.custos.detect;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.ObservedAuditTrail;
import java.util.function.Consumer;

/**
 * An {@link AuditTrail} that forwards to the real trail and, once an event is durable there, hands it to the
 * detection engine: the in-process {@link AuditEventSource}. An event that fails to become durable is not delivered
 * (the call it belongs to is refused anyway).
 */
public final class TappedAuditTrail extends ObservedAuditTrail implements AuditEventSource {
  private volatile Consumer<AuditEvent> listener = e -> { };

  public TappedAuditTrail(AuditTrail trail) {
    super(trail);
  }

  @Override
  public void start(Consumer<AuditEvent> listener) {
    this.listener = listener;
  }

  @Override
  protected void durable(AuditEvent event) {
    listener.accept(event);
  }
}
