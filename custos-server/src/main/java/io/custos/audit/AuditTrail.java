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
