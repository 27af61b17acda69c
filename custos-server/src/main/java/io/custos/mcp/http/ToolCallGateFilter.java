package io.custos.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import io.custos.pipeline.Preflight;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Answers {@code tools/call} requests that cannot succeed with the HTTP challenge a client can act on:
 * 403 {@code insufficient_scope} with the scopes to request, 401 {@code insufficient_user_authentication}
 * (RFC 9470 step-up) when the token lacks MFA evidence, 429 with {@code Retry-After} when rate limits are
 * exceeded. The body (already size-bounded) is read once and handed on unchanged.
 */
final class ToolCallGateFilter extends HttpFilter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Preflight preflight;

  ToolCallGateFilter(Preflight preflight) {
    this.preflight = preflight;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!"POST".equals(req.getMethod())) {
      chain.doFilter(req, res);
      return;
    }
    byte[] body = req.getInputStream().readAllBytes();
    if (!messageShaped(body)) {
      // JSON that is no JSON-RPC message at all (null, a number, a string): the SDK 2.1.0 fails on it with a 500
      // (a NullPointerException for "null"); it is the client's error, so say so.
      JsonRpcErrors.write(res, 400, JsonRpcErrors.INVALID_REQUEST, "Bad Request: the body must be a JSON-RPC message (an object).");
      return;
    }
    Caller caller = (Caller) req.getAttribute(CallerContext.CALLER);
    String tool = toolName(body);
    if (tool != null && !preflight.known(tool)) {
      // Issue 5: MCP SDK 2.1.0 answers an unknown tool with error data "Tool not found: <name>", reflecting
      // whatever the client put in the name (possibly an identifier). Refuse it here with a fixed error instead.
      JsonRpcErrors.writeResponse(res, requestId(body), JsonRpcErrors.INVALID_PARAMS, "Unknown tool.");
      return;
    }
    if (tool != null && caller != null) {
      String metadata = req.getScheme() + "://" + req.getHeader("Host") + "/.well-known/oauth-protected-resource/mcp";
      switch (preflight.check(caller, tool)) {
        case Preflight.InsufficientScope s -> {
          res.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + String.join(" ", s.scopes())
              + "\", resource_metadata=\"" + metadata + "\"");
          JsonRpcErrors.write(res, 403, JsonRpcErrors.SERVER_ERROR, "Forbidden: insufficient_scope; request " + String.join(" or ", s.scopes()) + ".");
          return;
        }
        case Preflight.StepUp u -> {
          res.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_user_authentication\", "
              + "error_description=\"Multi-factor authentication is required\", resource_metadata=\"" + metadata + "\"");
          JsonRpcErrors.write(res, 401, JsonRpcErrors.SERVER_ERROR,
              "Unauthorized: multi-factor authentication is required for clinical data (step-up).");
          return;
        }
        case Preflight.RateLimited r -> {
          res.setHeader("Retry-After", Long.toString(r.retryAfterSeconds()));
          JsonRpcErrors.write(res, 429, JsonRpcErrors.SERVER_ERROR, "Too Many Requests: rate limit exceeded.");
          return;
        }
        case Preflight.UnknownTool u -> {
          JsonRpcErrors.writeResponse(res, requestId(body), JsonRpcErrors.INVALID_PARAMS, "Unknown tool.");
          return;
        }
        case Preflight.Allowed a -> {
          // proceed
        }
      }
    }
    chain.doFilter(new CachedBody(req, body), res);
  }

  /** False for well-formed JSON that is not an object or array; malformed JSON is left to the SDK (400). */
  static boolean messageShaped(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n == null || n.isObject() || n.isArray() || n.isMissingNode();
    } catch (IOException e) {
      return true;
    }
  }

  /** The tool name of a JSON-RPC {@code tools/call} request, or null for anything else (left to the SDK). */
  static String toolName(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.isObject() && "tools/call".equals(n.path("method").asText()) && n.path("params").path("name").isTextual()) {
        return n.path("params").path("name").asText();
      }
    } catch (IOException e) {
      // malformed: the SDK answers with a sanitized 400
    }
    return null;
  }

  /** The JSON-RPC id of the request (echoed as JSON-RPC requires), or null. */
  static JsonNode requestId(byte[] body) {
    try {
      JsonNode id = JSON.readTree(body).get("id");
      return id != null && (id.isTextual() || id.isIntegralNumber()) ? id : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static final class CachedBody extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBody(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException("synchronous body only");
        }

        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }
}
