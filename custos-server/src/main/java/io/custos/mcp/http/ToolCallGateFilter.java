package io.custos.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import com.fasterxml.jackson.core.type.TypeReference;
import io.custos.pipeline.Admission;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Runs the gate stages of a {@code tools/call}'s route (authenticate, rate limit, authorize) before the MCP layer, so a
 * refusal can be the HTTP answer a client acts on: 403 {@code insufficient_scope} with the scopes to request (MCP
 * 2025-11-25 authorization, "Scope challenge"), 401 {@code insufficient_user_authentication} (RFC 9470 step-up), 429
 * with {@code Retry-After}, or a fixed JSON-RPC error for an undeclared tool (never echoing its name). The decision is
 * the pipeline's own, audited once, and handed to the tool handler so it is not made twice. The body (already
 * size-bounded) is read once and handed on unchanged.
 */
final class ToolCallGateFilter extends HttpFilter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final GovernancePipeline pipeline;

  ToolCallGateFilter(GovernancePipeline pipeline) {
    this.pipeline = pipeline;
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
    JsonNode call = toolCall(body);
    if (call != null && caller != null) {
      String tool = call.path("name").asText();
      Map<String, Object> args = call.path("arguments").isObject()
          ? JSON.convertValue(call.path("arguments"), new TypeReference<Map<String, Object>>() { }) : Map.of();
      Admission admission = pipeline.admit(Declaration.Kind.TOOL,
          new ToolCall(tool, args, Optional.of(caller), req.getHeader("Mcp-Session-Id"), req.getRemoteAddr()));
      if (admission instanceof Admission.Refused refused && render(req, res, body, tool, refused.outcome())) {
        return;
      }
      req.setAttribute(CallerContext.ADMISSION, admission);
    }
    chain.doFilter(new CachedBody(req, body), res);
  }

  /** Renders a refusal that has an HTTP form; returns false for refusals the tool result reports (role, patient). */
  private boolean render(HttpServletRequest req, HttpServletResponse res, byte[] body, String tool, ToolOutcome refused)
      throws IOException {
    String metadata = req.getScheme() + "://" + req.getHeader("Host") + "/.well-known/oauth-protected-resource/mcp";
    switch (refused.error()) {
      case INSUFFICIENT_SCOPE -> {
        List<String> scopes = pipeline.challengeScopes(Declaration.Kind.TOOL, tool);
        res.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + String.join(" ", scopes)
            + "\", resource_metadata=\"" + metadata + "\"");
        JsonRpcErrors.write(res, 403, JsonRpcErrors.SERVER_ERROR, "Forbidden: insufficient_scope; request " + String.join(" or ", scopes) + ".");
        return true;
      }
      case MFA_REQUIRED -> {
        res.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_user_authentication\", "
            + "error_description=\"Multi-factor authentication is required\", resource_metadata=\"" + metadata + "\"");
        JsonRpcErrors.write(res, 401, JsonRpcErrors.SERVER_ERROR,
            "Unauthorized: multi-factor authentication is required for clinical data (step-up).");
        return true;
      }
      case RATE_LIMITED -> {
        res.setHeader("Retry-After", Long.toString(refused.retryAfterSeconds().orElse(1L)));
        JsonRpcErrors.write(res, 429, JsonRpcErrors.SERVER_ERROR, "Too Many Requests: rate limit exceeded.");
        return true;
      }
      case UNKNOWN_TOOL -> {
        // MCP SDK 2.1.0 answers an unknown tool with "Tool not found: <name>", reflecting whatever the client sent.
        JsonRpcErrors.writeResponse(res, requestId(body), JsonRpcErrors.INVALID_PARAMS, "Unknown tool.");
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /** The {@code params} of a JSON-RPC {@code tools/call} request with a string tool name, or null (left to the SDK). */
  static JsonNode toolCall(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.isObject() && "tools/call".equals(n.path("method").asText()) && n.path("params").path("name").isTextual()) {
        return n.path("params");
      }
    } catch (IOException e) {
      // malformed: the SDK answers with a sanitized 400
    }
    return null;
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
