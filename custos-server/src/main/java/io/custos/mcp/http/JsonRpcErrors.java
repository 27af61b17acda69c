package io.custos.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
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
  /** Implementation-defined server error range. */
  static final int SERVER_ERROR = -32000;

  private JsonRpcErrors() {}

  /**
   * A refusal decided before the request body was read, with {@code id: null}. Jetty closes such a connection once
   * the unread body arrives, so the response says {@code Connection: close}, or a client reusing the kept-alive
   * connection would fail its next request.
   */
  static void write(HttpServletResponse response, int status, int code, String message) throws IOException {
    if (!response.isCommitted()) {
      response.setHeader("Connection", "close");
      send(response, status, body(code, message));
    }
  }

  /**
   * A complete JSON-RPC error response decided after the body was read.
   *
   * @param status  200 when it answers a well-formed request, else an HTTP error status
   * @param message the JSON-RPC error response, with the request's id where it has one
   */
  static void write(HttpServletResponse response, int status, JsonNode message) throws IOException {
    send(response, status, message.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The JSON-RPC 2.0 error object with {@code id: null}, UTF-8. */
  static byte[] body(int code, String message) {
    return ("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":" + code + ",\"message\":\"" + escape(message)
        + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  private static void send(HttpServletResponse response, int status, byte[] body) throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
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
