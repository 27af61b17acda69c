package io.custos.mcp.http;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import io.custos.mcp.InboundMessages;
import io.custos.mcp.RpcError;
import io.custos.pipeline.Admission;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the gate stages of the route of a {@code tools/call}, {@code prompts/get} or {@code resources/read} (authenticate,
 * rate limit, authorize) before the MCP layer, so a refusal can be the HTTP answer a client acts on: 403 {@code insufficient_scope} with the scopes to request (MCP
 * 2025-11-25 authorization, "Scope challenge"), 401 {@code insufficient_user_authentication} (RFC 9470 step-up), 429
 * with {@code Retry-After}, or a fixed JSON-RPC error for an undeclared tool, prompt or resource (never echoing its name; audited like any
 * refusal). The decision is
 * the pipeline's own, audited once, and handed to the tool handler so it is not made twice. Runs after
 * {@link InboundMessageFilter} and reads the message that filter checked.
 */
final class GateFilter extends HttpFilter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final GovernancePipeline pipeline;

  GateFilter(GovernancePipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    JsonNode message = (JsonNode) req.getAttribute(InboundMessageFilter.MESSAGE);
    Caller caller = (Caller) req.getAttribute(CallerContext.CALLER);
    var governed = InboundMessages.governed(message);
    if (governed.isPresent() && caller != null) {
      Declaration.Kind kind = governed.get().getKey();
      String name = governed.get().getValue();
      JsonNode arguments = message.path("params").path("arguments");
      Map<String, Object> args = arguments.isObject() ? JSON.convertValue(arguments, new TypeReference<Map<String, Object>>() { })
          : Map.of();
      Admission admission = pipeline.admit(kind,
          new ToolCall(name, args, Optional.of(caller), req.getHeader("Mcp-Session-Id"), req.getRemoteAddr()));
      if (admission instanceof Admission.Refused refused && render(req, res, message, kind, name, refused.outcome())) {
        return;
      }
      req.setAttribute(CallerContext.ADMISSION, admission);
    }
    chain.doFilter(req, res);
  }

  /** Renders a refusal that has an HTTP form; returns false for refusals the tool result reports (role, patient). */
  private boolean render(HttpServletRequest req, HttpServletResponse res, JsonNode message, Declaration.Kind kind, String name,
      ToolOutcome refused) throws IOException {
    if (refused.error() == ToolCallException.Reason.UNKNOWN_TOOL) {
      // MCP SDK 2.1.0 answers an unknown name with "Tool not found: <name>" (and the like), reflecting the client's string.
      RpcError error = switch (kind) {
        case PROMPT -> RpcError.UNKNOWN_PROMPT;
        case RESOURCE -> RpcError.RESOURCE_NOT_FOUND;
        default -> RpcError.UNKNOWN_TOOL;
      };
      JsonRpcErrors.write(res, 200, error.response(Optional.of(message.get("id"))));
      return true;
    }
    return renderHttp(req, res, pipeline, kind, name, refused);
  }

  /**
   * Renders a scope, step-up or rate-limit refusal as its HTTP answer (403 {@code insufficient_scope} with the scopes to
   * request, 401 {@code insufficient_user_authentication}, 429 with {@code Retry-After}); false for any other refusal.
   * Shared by both protocol fronts.
   */
  static boolean renderHttp(HttpServletRequest req, HttpServletResponse res, GovernancePipeline pipeline,
      Declaration.Kind kind, String name, ToolOutcome refused) throws IOException {
    String metadata = req.getScheme() + "://" + req.getHeader("Host") + "/.well-known/oauth-protected-resource/mcp";
    switch (refused.error()) {
      case INSUFFICIENT_SCOPE -> {
        List<String> scopes = pipeline.challengeScopes(kind, name);
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
      default -> {
        return false;
      }
    }
  }
}
