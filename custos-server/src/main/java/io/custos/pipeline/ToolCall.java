package io.custos.pipeline;

import io.custos.auth.Caller;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code tools/call} as it enters the pipeline.
 *
 * @param toolName      requested tool name (may be unknown)
 * @param arguments     raw arguments from the client, not yet validated
 * @param caller        identity established by the transport, empty if none
 * @param sessionId     MCP session id, or null for stdio
 * @param sourceAddress client address, or "stdio"
 */
public record ToolCall(String toolName, Map<String, Object> arguments, Optional<Caller> caller, String sessionId,
    String sourceAddress) {
  public ToolCall {
    arguments = arguments == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(arguments));
  }
}
