package io.custos.detect;

import io.custos.audit.AuditEvent;
import java.util.function.Consumer;

/**
 * Delivers audit events to the detection engine once they are durable, in append order per writer: in process from
 * {@link TappedAuditTrail}, or for a fleet by tailing the shared PostgreSQL ledger ({@link PostgresLedgerTail}).
 */
public interface AuditEventSource extends AutoCloseable {
  /** Starts delivering every event appended from now on to {@code listener} (which must not block for long). */
  void start(Consumer<AuditEvent> listener);

  @Override
  void close();
}
