package io.custos.auth;

import java.util.Optional;

/**
 * Keys under which the transport layer hands identity to tool handlers through the MCP SDK's
 * {@code McpTransportContext} (never ThreadLocals: SDK handlers run on Reactor threads).
 */
public final class CallerContext {
  /** {@link Caller} established for this request. */
  public static final String CALLER = "custos.caller";
  /** The pipeline's gate decision for this request's {@code tools/call} ({@code io.custos.pipeline.Admission}). */
  public static final String ADMISSION = "custos.admission";
  /** Client network address (string), for the audit trail. */
  public static final String SOURCE_ADDRESS = "custos.source";

  private CallerContext() {}

  /** Returns the caller stored under {@link #CALLER}, if any. */
  public static Optional<Caller> caller(java.util.function.Function<String, Object> lookup) {
    return lookup.apply(CALLER) instanceof Caller c ? Optional.of(c) : Optional.empty();
  }
}
