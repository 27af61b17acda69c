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
import io.custos.mcp.OutboundErrors;

/**
 * Closes MCP Java SDK 2.1.0 gaps in what its transport writes:
 * <ul>
 *   <li>serialized Java exceptions (with stack traces) in error responses: every response with status >= 400
 *       produced downstream is captured and replaced by a JSON-RPC error with a fixed, short reason chosen by
 *       status;</li>
 *   <li>request values and exception messages in the JSON-RPC errors it answers requests with (HTTP 200, as JSON or
 *       as an event of the {@code text/event-stream}): each is reduced by {@link OutboundErrors} as it is written.</li>
 * </ul>
 * The SDK's own text never leaves.
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
    private SanitizingWriter sanitizing;

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
        if (sanitizing == null) {
          sanitizing = new SanitizingWriter(super.getWriter());
        }
        return sanitizing;
      }
      return new PrintWriter(new OutputStreamWriter(sink, StandardCharsets.UTF_8));
    }
  }

  /**
   * The SDK's writer, line by line: each JSON-RPC message it writes (a {@code data:} line of an event, or a whole
   * JSON body) passes {@link OutboundErrors}. The SDK ends every event with a newline and flushes after every message,
   * so a message is never split across lines or flushes.
   */
  static final class SanitizingWriter extends PrintWriter {
    private final PrintWriter target;
    private final StringBuilder line = new StringBuilder();

    SanitizingWriter(PrintWriter target) {
      super(target);
      this.target = target;
    }

    @Override
    public void write(int c) {
      synchronized (lock) {
        line.append((char) c);
        if (c == '\n') {
          emit();
        }
      }
    }

    @Override
    public void write(char[] buf, int off, int len) {
      write(new String(buf, off, len), 0, len);
    }

    /** Appends whole runs up to each newline (a tool result is tens of kilobytes written in a few calls). */
    @Override
    public void write(String s, int off, int len) {
      synchronized (lock) {
        int end = off + len;
        for (int start = off; start < end; ) {
          int nl = s.indexOf('\n', start);
          if (nl < 0 || nl >= end) {
            line.append(s, start, end);
            return;
          }
          line.append(s, start, nl + 1);
          emit();
          start = nl + 1;
        }
      }
    }

    @Override
    public void flush() {
      synchronized (lock) {
        emit();
        target.flush();
      }
    }

    @Override
    public void close() {
      synchronized (lock) {
        emit();
        target.close();
      }
    }

    @Override
    public boolean checkError() {
      return target.checkError();
    }

    private void emit() {
      if (line.isEmpty()) {
        return;
      }
      String text = line.toString();
      line.setLength(0);
      String end = text.endsWith("\n") ? "\n" : "";
      String content = text.substring(0, text.length() - end.length());
      String prefix = content.startsWith(DATA) ? DATA : "";
      target.write(prefix + OutboundErrors.sanitize(content.substring(prefix.length())) + end);
    }
  }

  private static final String DATA = "data: ";
}
