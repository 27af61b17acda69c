package io.custos.state;

/** The state store holds as many records of a kind as it may; the operation is refused (fail closed). */
public final class StateFullException extends RuntimeException {
  public StateFullException(String kind) {
    super("state store full: " + kind);
  }
}
