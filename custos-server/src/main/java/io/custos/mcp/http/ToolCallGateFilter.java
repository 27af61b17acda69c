package io.custos.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import io.custos.mcp.RpcError;
import io.custos.pipeline.Preflight;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * Answers {@code tools/call} requests that cannot succeed with the HTTP challenge a client can act on:
 * 403 {@code insufficient_scope} with the scopes to request, 401 {@code insufficient_user_authentication}
 * (RFC 9470 step-up) when the token lacks MFA evidence, 429 with {@code Retry-After} when rate limits are
 * exceeded; and an unknown tool with a fixed -32602. Runs after {@link InboundMessageFilter} and reads the message
 * that filter checked.
 */
final class ToolCallGateFilter extends HttpFilter {
  private final Preflight preflight;

  ToolCallGateFilter(Preflight preflight) {
    this.preflight = preflight;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    JsonNode message = (JsonNode) req.getAttribute(InboundMessageFilter.MESSAGE);
    Caller caller = (Caller) req.getAttribute(CallerContext.CALLER);
    String tool = toolName(message);
    if (tool != null && !preflight.known(tool)) {
      // MCP SDK 2.1.0 answers an unknown tool with error data "Tool not found: <name>", reflecting whatever the
      // client put in the name (possibly an identifier). Refuse it here with a fixed error instead.
      unknownTool(res, message);
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
          unknownTool(res, message);
          return;
        }
        case Preflight.Allowed a -> {
          // proceed
        }
      }
    }
    chain.doFilter(req, res);
  }

  private static void unknownTool(HttpServletResponse res, JsonNode message) throws IOException {
    JsonRpcErrors.write(res, 200, RpcError.UNKNOWN_TOOL.response(Optional.of(message.get("id"))));
  }

  /**
   * The tool name of a {@code tools/call} request, or null for anything else (no message: not a POST).
   *
   * @param message a message {@link io.custos.mcp.InboundMessages} passed, or null
   */
  static String toolName(JsonNode message) {
    return message != null && "tools/call".equals(message.path("method").textValue()) && message.has("id")
        ? message.path("params").path("name").textValue() : null;
  }
}
