package io.custos.pipeline;

import java.util.Map;

/**
 * What the pipeline hands back to the MCP layer.
 *
 * @param structured structuredContent (null on error)
 * @param text       compact JSON of {@code structured}, or the error sentence
 * @param error      the refusal/failure reason, or null on success
 */
public record ToolOutcome(Map<String, Object> structured, String text, ToolCallException.Reason error) {

  public boolean isError() {
    return error != null;
  }

  static ToolOutcome failure(ToolCallException e) {
    return new ToolOutcome(null, "Error [" + e.reason().code() + "]: " + e.getMessage(), e.reason());
  }
}
