package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Set;

/**
 * Rewrites the JSON-RPC error responses the MCP SDK (2.1.0) sends, on every transport, so that no request value and
 * no Java internals leave the server. The SDK puts the client's own strings into errors ({@code "Method not found:
 * <method>"}, {@code data: "Tool not found: <name>"}, {@code data: "Prompt not found: <name>"}, {@code data: {"uri":
 * <uri>}}) and, for an exception in a handler, the exception's message and the messages of its causes (which can
 * name Java classes and quote input). Each error object becomes {@code {"code": <same code>, "message": <fixed
 * text for the code>}} with no {@code data}; the few messages this server writes itself are kept. Every other
 * message passes unchanged. Thread-safe.
 */
public final class OutboundErrors {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Messages this server authors in errors raised through the SDK: fixed text, kept as they are. */
  private static final Set<String> OWN_MESSAGES = Set.of(RpcError.PROMPT_PATIENT_ID.message());

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
      return OWN_MESSAGES.contains(message) && !error.hasNonNull("data") ? new RpcError(code, message) : RpcError.INVALID_PARAMS;
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
