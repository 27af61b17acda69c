package io.custos.audit;

/**
 * Where audit events go. {@link #append} returns only once the event is durable (on disk, fsynced),
 * so the pipeline can write the intent before touching PHI and fail closed when it cannot.
 */
public interface AuditTrail extends AutoCloseable {

  /**
   * Appends one event durably.
   *
   * @throws AuditUnavailableException if the event could not be made durable; the caller must refuse the call
   */
  void append(AuditEvent event);

  /** An append in flight; {@link #await} returns once the event is durable. */
  @FunctionalInterface
  interface Pending {
    /** @throws AuditUnavailableException if the event could not be made durable */
    void await();
  }

  /**
   * Starts a durable append and returns without waiting for it, so the caller can overlap other work with the write
   * (its fsync); the caller must {@link Pending#await} before releasing anything that depends on the event. Events
   * become durable in the order they were appended. The default appends synchronously.
   *
   * @throws AuditUnavailableException if the trail already knows it cannot accept the event (closed, failed)
   */
  default Pending appendAsync(AuditEvent event) {
    append(event);
    return () -> { };
  }

  /**
   * Whether {@link #append} can succeed now, as far as the trail knows without writing (not closed, not failed):
   * a readiness probe, so no I/O.
   */
  default boolean accepting() {
    return true;
  }

  @Override
  void close();
}
