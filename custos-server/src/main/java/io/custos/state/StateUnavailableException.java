package io.custos.state;

/**
 * The shared state store could not be reached or did not answer in time (database down, pool exhausted, network
 * partition). Nothing was read or changed: the operation is refused (fail closed) and may be retried once the store is
 * back. The message names only the kind of state and the SQLState, never a key or a value.
 */
public final class StateUnavailableException extends RuntimeException {
  /**
   * @param kind  which state was being used, e.g. {@code "proposals"}
   * @param cause the driver's or pool's exception (kept for the stack trace; its message is not repeated here)
   */
  public StateUnavailableException(String kind, Throwable cause) {
    super("state store unavailable: " + kind + (cause instanceof java.sql.SQLException s && s.getSQLState() != null
        ? " (SQLState " + s.getSQLState() + ")" : ""), cause);
  }
}
