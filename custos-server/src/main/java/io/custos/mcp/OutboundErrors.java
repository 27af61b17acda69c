package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import io.custos.pipeline.ToolCallException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Rewrites the JSON-RPC error responses the MCP SDK (2.1.0) sends, on every transport, so that no request value and
 * no Java internals leave the server. The SDK puts the client's own strings into errors ({@code "Method not found:
 * <method>"}, {@code data: "Tool not found: <name>"}, {@code data: "Prompt not found: <name>"}, {@code data: {"uri":
 * <uri>}}) and, for an exception in a handler, the exception's message and the messages of its causes (which can
 * name Java classes and quote input). Each error object becomes {@code {"code": <same code>, "message": <fixed
 * text for the code>}} with no {@code data}; the pipeline's own error body is kept. Every other
 * message passes unchanged. Thread-safe.
 */
public final class OutboundErrors {
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * The pipeline's error body ({@code Error [<reason code>]: <sentence>}, {@code io.custos.pipeline.ToolOutcome}), which
   * a prompt or resource refusal carries through the SDK: PHI-free by construction (it names arguments and bounds,
   * never values), so it is kept. Anything else the SDK writes into a message is replaced.
   */
  private static final Pattern OWN_MESSAGE = Pattern.compile("Error \\[(" + String.join("|",
      Arrays.stream(ToolCallException.Reason.values()).map(ToolCallException.Reason::code).toList()) + ")\\]: [^\\p{Cntrl}]{1,500}");

  private OutboundErrors() {}

  /**
   * @param json one serialized JSON-RPC message
   * @return the message with its error object reduced as described, or {@code json} itself when it is no error response
   */
  public static String sanitize(String json) {
    if (!json.contains("\"error\"")) {
      return json;
    }
    try {
      JsonNode n = JSON.readTree(json);
      if (n instanceof ObjectNode o && !o.has("method") && o.get("error") instanceof ObjectNode error) {
        o.set("error", fixed(error).toJson());
        return JSON.writeValueAsString(o);
      }
    } catch (IOException e) {
      // not JSON: not a JSON-RPC message, pass it through
    }
    return json;
  }

  private static RpcError fixed(ObjectNode error) {
    int code = error.path("code").asInt(RpcError.INTERNAL_ERROR.code());
    String message = error.path("message").asText("");
    String data = error.path("data").isTextual() ? error.path("data").textValue() : "";
    if (code == RpcError.INVALID_PARAMS.code()) {
      if (data.startsWith("Tool not found: ")) {
        return RpcError.UNKNOWN_TOOL;
      }
      if (data.startsWith("Prompt not found: ")) {
        return RpcError.UNKNOWN_PROMPT;
      }
      return OWN_MESSAGE.matcher(message).matches() && !error.hasNonNull("data") ? new RpcError(code, message) : RpcError.INVALID_PARAMS;
    }
    for (RpcError e : new RpcError[] {RpcError.PARSE_ERROR, RpcError.INVALID_REQUEST, RpcError.METHOD_NOT_FOUND,
        RpcError.RESOURCE_NOT_FOUND, RpcError.INTERNAL_ERROR}) {
      if (e.code() == code) {
        return e;
      }
    }
    return new RpcError(code, "Request failed.");
  }
}
