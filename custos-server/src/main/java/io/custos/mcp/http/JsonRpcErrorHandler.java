package io.custos.mcp.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty produces itself, before any filter runs (malformed or ambiguous URIs, {@code Authority!=Host},
 * bad header syntax, oversized headers, unknown paths): a short JSON-RPC error with a fixed reason chosen by
 * status, like every other refusal. Jetty's own pages would echo the request URL (HTML, or JSON with a
 * {@code url} field) and its parser's message.
 */
final class JsonRpcErrorHandler extends ErrorHandler {

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
      Callback callback) {
    String reason = switch (code) {
      case 400 -> "Bad Request: malformed HTTP request.";
      case 404 -> "Not Found.";
      case 405 -> "Method Not Allowed.";
      case 408 -> "Request Timeout.";
      case 413 -> "Payload Too Large.";
      case 414 -> "URI Too Long.";
      case 431 -> "Request Header Fields Too Large.";
      default -> "Request failed (HTTP " + code + ").";
    };
    int rpc = code == 400 ? JsonRpcErrors.INVALID_REQUEST : JsonRpcErrors.SERVER_ERROR;
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(JsonRpcErrors.body(rpc, reason)), callback);
  }
}
