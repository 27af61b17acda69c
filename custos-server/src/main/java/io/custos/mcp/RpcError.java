package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * A JSON-RPC 2.0 error object (JSON-RPC 2.0 section 5.1; MCP 2025-11-25 Basic) whose message is fixed text written
 * by this server: never a request value, an exception message or a class name.
 *
 * @param code    the JSON-RPC error code (-32700..-32000 reserved range, -32002 MCP "resource not found")
 * @param message short fixed text, under 120 characters
 */
public record RpcError(int code, String message) {
  public static final RpcError PARSE_ERROR = new RpcError(-32700, "Parse error: the message is not valid JSON.");
  public static final RpcError INVALID_REQUEST =
      new RpcError(-32600, "Invalid Request: not a JSON-RPC 2.0 request, notification or response.");
  public static final RpcError BATCH_NOT_SUPPORTED = new RpcError(-32600, "Invalid Request: JSON-RPC batches are not supported.");
  public static final RpcError METHOD_NOT_FOUND = new RpcError(-32601, "Method not found.");
  public static final RpcError INVALID_PARAMS = new RpcError(-32602, "Invalid params.");
  public static final RpcError UNKNOWN_TOOL = new RpcError(-32602, "Unknown tool.");
  public static final RpcError UNKNOWN_PROMPT = new RpcError(-32602, "Unknown prompt.");
  public static final RpcError RESOURCE_NOT_FOUND = new RpcError(-32002, "Resource not found.");
  public static final RpcError INTERNAL_ERROR = new RpcError(-32603, "Internal error.");

  /** -32602 naming the offending params member (a name from the MCP schema, never from the request). */
  public static RpcError invalidParam(String member, String expected) {
    return new RpcError(-32602, "Invalid params: " + member + " must be " + expected + ".");
  }

  /** -32600 when the request is not JSON-RPC 2.0 in the named respect. */
  static RpcError invalidRequest(String what) {
    return new RpcError(-32600, "Invalid Request: " + what + ".");
  }

  /** The error object {@code {"code":..,"message":..}}. */
  public ObjectNode toJson() {
    return JsonNodeFactory.instance.objectNode().put("code", code).put("message", message);
  }

  /**
   * The complete JSON-RPC error response.
   *
   * @param id the request's id (a string or an integer), or empty when it could not be determined ({@code "id": null})
   */
  public ObjectNode response(Optional<JsonNode> id) {
    ObjectNode r = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
    r.set("id", id.orElse(JsonNodeFactory.instance.nullNode()));
    r.set("error", toJson());
    return r;
  }
}
