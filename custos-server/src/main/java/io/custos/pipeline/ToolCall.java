package io.custos.pipeline;

import io.custos.auth.Caller;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One governed call as it enters the pipeline: a {@code tools/call}, {@code prompts/get}, {@code resources/read} or
 * an approval-page request.
 *
 * @param name          requested tool or prompt name, or resource URI (may be unknown; never logged or echoed)
 * @param arguments     raw arguments from the client, not yet validated
 * @param caller        identity established by the transport for this very request, empty if none
 * @param sessionId     MCP session id, or null for stdio and the approval page
 * @param sourceAddress client address, or {@code stdio}
 * @param channel       where the call came from; decides who may approve a write
 * @param admission     the HTTP preflight's decision for this request, if it ran (then the gate stages are not
 *                      repeated: one decision, one rate-limit token, one audit event)
 */
public record ToolCall(String name, Map<String, Object> arguments, Optional<Caller> caller, String sessionId,
    String sourceAddress, Channel channel, Optional<Admission> admission) {

  /** Where a call came from. */
  public enum Channel {
    /** An MCP client (stdio or Streamable HTTP). */
    MCP,
    /** The user answered an MCP elicitation (form mode) inside the agent's client. */
    ELICITATION,
    /** Custos's approval page, from the user's own application. */
    APPROVAL_PAGE
  }

  public ToolCall {
    arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
  }

  /** An MCP call with no preflight decision. */
  public ToolCall(String name, Map<String, Object> arguments, Optional<Caller> caller, String sessionId, String sourceAddress) {
    this(name, arguments, caller, sessionId, sourceAddress, Channel.MCP, Optional.empty());
  }

  /** The same call carrying the preflight's decision. */
  public ToolCall admitted(Admission a) {
    return new ToolCall(name, arguments, caller, sessionId, sourceAddress, channel, Optional.of(a));
  }

  /** Another call by the same caller, session and source (the approval and commit steps of an elicited write). */
  public ToolCall next(String name, Map<String, Object> arguments, Channel channel) {
    return new ToolCall(name, arguments, caller, sessionId, sourceAddress, channel, Optional.empty());
  }
}
