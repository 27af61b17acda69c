package io.custos.writes;

import java.util.Map;

/**
 * What a write-tool call returns to the MCP layer.
 *
 * @param structured structuredContent, or null on error
 * @param text       compact JSON of {@code structured}, or the error sentence
 * @param errorCode  refusal code ({@link WriteException}), or null on success
 */
public record WriteResponse(Map<String, Object> structured, String text, String errorCode) {
  public boolean isError() {
    return errorCode != null;
  }

  static WriteResponse failure(WriteException e) {
    return new WriteResponse(null, "Error [" + e.code() + "]: " + e.getMessage(), e.code());
  }
}
