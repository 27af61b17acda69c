package io.custos.pipeline;

import java.util.Map;
import java.util.Optional;

/**
 * What a route hands back to the protocol front, the one result and error body of every route.
 *
 * @param structured        structuredContent (null on error)
 * @param text              compact JSON of {@code structured}, or the error sentence {@code Error [<code>]: <message>}
 * @param error             the refusal or failure reason, or null on success
 * @param retryAfterSeconds for {@link ToolCallException.Reason#RATE_LIMITED}: seconds until a retry may succeed
 */
public record ToolOutcome(Map<String, Object> structured, String text, ToolCallException.Reason error,
    Optional<Long> retryAfterSeconds) {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  public boolean isError() {
    return error != null;
  }

  /** A successful outcome for {@code structured} (a front's own composition of governed results). */
  public static ToolOutcome of(Map<String, Object> structured) {
    try {
      return new ToolOutcome(structured, JSON.writeValueAsString(structured), null, Optional.empty());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("result could not be serialized");
    }
  }

  static ToolOutcome success(ToolExchange ex) {
    return new ToolOutcome(ex.structured, ex.resultJson, null, Optional.empty());
  }

  static ToolOutcome failure(ToolCallException e) {
    return new ToolOutcome(null, "Error [" + e.reason().code() + "]: " + e.getMessage(), e.reason(), e.retryAfterSeconds());
  }
}
