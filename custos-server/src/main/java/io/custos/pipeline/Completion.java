package io.custos.pipeline;

/** How a call that was not refused completed: the outcome of its {@code RESULT} audit event. */
public enum Completion {
  SUCCESS("success"),
  BREAK_THE_GLASS_DECLARED("break_the_glass_declared"),
  WRITE_PROPOSED("write_proposed"),
  WRITE_APPROVED("write_approved"),
  WRITE_REJECTED("write_rejected"),
  WRITE_COMMITTED("write_committed");

  private final String code;

  Completion(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
