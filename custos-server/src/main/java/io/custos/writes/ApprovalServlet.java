package io.custos.writes;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.AuthenticationException;
import io.custos.auth.Authenticator;
import io.custos.auth.Caller;
import io.custos.auth.ClaimsMapping;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The out-of-band approval endpoint, {@code /approvals/{proposal_id}} on the HTTPS server: {@code GET} shows the
 * proposal (an HTML page for the clinician, or JSON with {@code Accept: application/json}); {@code POST}
 * ({@code application/x-www-form-urlencoded}: {@code decision=approve|reject}, {@code payload_sha256} = the digest
 * shown on the page) records the decision.
 *
 * <p>Who may approve (enforced by the {@value WriteStages#APPROVE} route, every refusal audited): a bearer token (RFC 6750,
 * {@code Authorization} header, validated exactly like {@code /mcp}'s) of the <b>same user</b> who proposed, with
 * <b>MFA evidence</b>, whose role may use the tool, issued to a <b>client other than the agent's</b>: a token
 * whose {@code client_id} equals the proposal's (the agent's own token) can never approve, so an agent cannot
 * approve its own write. The approval application is the clinician's own signed-in app (for example an EHR-launched
 * SMART app, or a reverse proxy that signs the clinician in and forwards their token).
 *
 * <p>The page contains PHI for its user only: responses are {@code no-store}, never framed, and have a strict
 * Content-Security-Policy; the URL holds only the random proposal id.
 */
public final class ApprovalServlet extends HttpServlet {
  private static final String ID = "^p-[A-Za-z0-9_-]{22}$";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final transient GovernancePipeline pipeline;
  private final transient Authenticator authenticator;

  /** Every view and decision is a governed {@value WriteStages#APPROVE} call through {@code pipeline}. */
  public ApprovalServlet(GovernancePipeline pipeline, Authenticator authenticator) {
    this.pipeline = pipeline;
    this.authenticator = authenticator;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    handle(req, resp, false);
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    handle(req, resp, true);
  }

  private void handle(HttpServletRequest req, HttpServletResponse resp, boolean post) throws IOException {
    secure(resp);
    boolean json = String.valueOf(req.getHeader("Accept")).contains("application/json");
    String path = req.getPathInfo() == null ? "" : req.getPathInfo().substring(1);
    if (!path.matches(ID)) {
      error(resp, json, 404, ToolCallException.Reason.PROPOSAL_NOT_FOUND.code(), "No such proposal.");
      return;
    }
    Caller approver;
    String header = req.getHeader("Authorization");
    Optional<String> token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? Optional.of(header.substring(7).trim()) : Optional.empty();
    try {
      if (token.isEmpty()) {
        pipeline.refuseAuthentication(null, req.getRemoteAddr());
        resp.setHeader("WWW-Authenticate", "Bearer");
        error(resp, json, 401, "unauthenticated", "Sign in: a bearer token is required.");
        return;
      }
      approver = authenticator.authenticate(token);
    } catch (AuthenticationException e) {
      pipeline.refuseAuthentication(token.map(ClaimsMapping::sha256).orElse(null), req.getRemoteAddr());
      resp.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      error(resp, json, 401, "unauthenticated", "The access token is not valid.");
      return;
    }
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("proposal_id", path);
    args.put("decision", post ? String.valueOf(req.getParameter("decision")) : "view");
    if (post && req.getParameter("payload_sha256") != null) {
      args.put("payload_sha256", req.getParameter("payload_sha256"));
    }
    ToolOutcome out = pipeline.handle(Declaration.Kind.OPERATION, new ToolCall(WriteStages.APPROVE, args, Optional.of(approver),
        null, req.getRemoteAddr(), ToolCall.Channel.APPROVAL_PAGE, Optional.empty()));
    if (out.isError()) {
      if (out.error() == ToolCallException.Reason.MFA_REQUIRED) {
        resp.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_user_authentication\"");
      }
      error(resp, json, status(out.error()), out.error().code(), out.text());
      return;
    }
    resp.setStatus(200);
    if (json) {
      resp.setContentType("application/json");
      resp.getWriter().write(JSON.writeValueAsString(out.structured()));
    } else {
      resp.setContentType("text/html; charset=utf-8");
      resp.getWriter().write(page(out.structured()));
    }
  }

  static int status(ToolCallException.Reason reason) {
    return switch (reason) {
      case PROPOSAL_NOT_FOUND -> 404;
      case MFA_REQUIRED, UNAUTHENTICATED -> 401;
      case INVALID_ARGUMENTS -> 400;
      case EXPIRED -> 410;
      case PAYLOAD_MISMATCH, REPLAYED, REJECTED -> 409;
      case RATE_LIMITED -> 429;
      case AUDIT_UNAVAILABLE, STATE_UNAVAILABLE -> 503;
      default -> 403;
    };
  }

  private static String page(Map<String, Object> v) {
    String state = String.valueOf(v.get("state"));
    StringBuilder b = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<title>Custos: approve a write</title><style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto}"
        + "pre{background:#f4f4f4;padding:1rem;white-space:pre-wrap}code{word-break:break-all}</style></head><body>");
    b.append("<h1>Approve a write to the health record</h1>");
    b.append("<p>An AI agent acting for you proposed this write. Nothing has been written. Review it; approving writes ")
        .append("<strong>exactly</strong> this payload, once.</p>");
    b.append("<dl><dt>Tool</dt><dd>").append(esc(String.valueOf(v.get("tool")))).append("</dd><dt>Resource</dt><dd>").append(esc(String.valueOf(v.get("resource_type"))))
        .append("</dd><dt>State</dt><dd>").append(esc(state)).append("</dd><dt>Expires</dt><dd>").append(esc(String.valueOf(v.get("expires_at"))))
        .append("</dd><dt>Payload SHA-256</dt><dd><code>").append(esc(String.valueOf(v.get("payload_sha256")))).append("</code></dd></dl>");
    b.append("<pre>").append(esc(String.valueOf(v.get("preview")))).append("</pre>");
    if (state.equals("pending")) {
      b.append("<form method=\"post\"><input type=\"hidden\" name=\"payload_sha256\" value=\"").append(esc(String.valueOf(v.get("payload_sha256"))))
          .append("\"><button name=\"decision\" value=\"approve\">Approve</button> ")
          .append("<button name=\"decision\" value=\"reject\">Reject</button></form>");
    }
    return b.append("</body></html>").toString();
  }

  private static void error(HttpServletResponse resp, boolean json, int status, String code, String message) throws IOException {
    resp.setStatus(status);
    if (json) {
      resp.setContentType("application/json");
      resp.getWriter().write(JSON.writeValueAsString(Map.of("error", code, "message", message)));
    } else {
      resp.setContentType("text/html; charset=utf-8");
      resp.getWriter().write("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Custos</title></head><body><h1>"
          + esc(message) + "</h1><p>" + esc(code) + "</p></body></html>");
    }
  }

  private static void secure(HttpServletResponse resp) {
    resp.setCharacterEncoding(StandardCharsets.UTF_8.name());
    resp.setHeader("Cache-Control", "no-store");
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setHeader("X-Frame-Options", "DENY");
    resp.setHeader("Referrer-Policy", "no-referrer");
    resp.setHeader("Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(ch);
      }
    }
    return b.toString();
  }
}
