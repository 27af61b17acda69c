package io.custos.mcp.http;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes transport-level errors as a JSON-RPC 2.0 error object with a short, fixed reason: never a stack
 * trace, exception class name, request content or upstream body.
 */
final class JsonRpcErrors {
  /** JSON-RPC "Invalid Request". */
  static final int INVALID_REQUEST = -32600;
  /** JSON-RPC "Parse error". */
  static final int PARSE_ERROR = -32700;
  /** JSON-RPC "Invalid params" (MCP: unknown tool). */
  static final int INVALID_PARAMS = -32602;
  /** Implementation-defined server error range. */
  static final int SERVER_ERROR = -32000;

  private JsonRpcErrors() {}

  static void write(HttpServletResponse response, int status, int code, String message) throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(status);
    // Refusals are written before the request body is read; Jetty then closes the connection once the body
    // arrives late. Say so, or a client reusing the kept-alive connection fails its next request.
    response.setHeader("Connection", "close");
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    byte[] body = body(code, message);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** The JSON-RPC 2.0 error object with {@code id: null}, UTF-8. */
  static byte[] body(int code, String message) {
    return body(null, code, message);
  }

  /** The JSON-RPC 2.0 error object answering request {@code id} (null for none), UTF-8. */
  static byte[] body(com.fasterxml.jackson.databind.JsonNode id, int code, String message) {
    return ("{\"jsonrpc\":\"2.0\",\"id\":" + (id == null ? "null" : id.toString()) + ",\"error\":{\"code\":" + code
        + ",\"message\":\"" + escape(message) + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A JSON-RPC error response (HTTP 200) to the request with {@code id}: a protocol error answered by Custos
   * instead of the SDK. The message is fixed text; the id is the request's own, serialized as JSON.
   */
  static void writeResponse(HttpServletResponse response, com.fasterxml.jackson.databind.JsonNode id, int code, String message)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(200);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    byte[] body = body(id, code, message);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c >= 0x20 && c < 0x7f) {
        b.append(c);
      }
    }
    return b.toString();
  }
}
