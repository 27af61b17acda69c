package io.custos.mcp.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Closes an MCP Java SDK 2.1.0 gap: its transport writes serialized Java exceptions (with stack traces)
 * into error responses. Every response with status >= 400 produced downstream is captured and replaced
 * by a JSON-RPC error with a fixed, short reason chosen by status: the SDK's own text never leaves.
 */
final class ErrorBodyFilter extends HttpFilter {

  private static final Map<Integer, String> REASONS = Map.of(
      400, "Bad Request: not a valid MCP request (check the JSON body, Mcp-Session-Id and Accept headers).",
      404, "Session not found: the MCP session does not exist or has ended; initialize a new session.",
      405, "Method Not Allowed.",
      406, "Not Acceptable: the Accept header must list application/json and text/event-stream.",
      413, "Payload Too Large.",
      415, "Unsupported Media Type: Content-Type must be application/json.",
      503, "Service Unavailable: the server is shutting down.");

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    Capturing wrapped = new Capturing(res);
    try {
      chain.doFilter(req, wrapped);
    } catch (IOException | ServletException | RuntimeException e) {
      wrapped.errorStatus = wrapped.errorStatus > 0 ? wrapped.errorStatus : 500;
    }
    if (wrapped.errorStatus > 0 && !req.isAsyncStarted()) {
      int status = wrapped.errorStatus;
      int code = status == 400 ? JsonRpcErrors.INVALID_REQUEST : JsonRpcErrors.SERVER_ERROR;
      JsonRpcErrors.write(res, status, code, REASONS.getOrDefault(status, "Request failed (HTTP " + status + ")."));
    }
  }

  /** Diverts the body of any error response into a discarded buffer. */
  private static final class Capturing extends HttpServletResponseWrapper {
    int errorStatus;
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream();

    Capturing(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void sendError(int sc) {
      errorStatus = sc;
    }

    @Override
    public void sendError(int sc, String msg) {
      errorStatus = sc;
    }

    @Override
    public void setStatus(int sc) {
      if (sc >= 400) {
        errorStatus = sc;
      } else {
        super.setStatus(sc);
      }
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      if (errorStatus == 0) {
        return super.getOutputStream();
      }
      return new ServletOutputStream() {
        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setWriteListener(WriteListener listener) {
          // synchronous discard; never used asynchronously
        }

        @Override
        public void write(int b) {
          sink.write(b);
        }
      };
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      if (errorStatus == 0) {
        return super.getWriter();
      }
      return new PrintWriter(new OutputStreamWriter(sink, StandardCharsets.UTF_8));
    }
  }
}
