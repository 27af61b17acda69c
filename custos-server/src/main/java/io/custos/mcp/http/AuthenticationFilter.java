package io.custos.mcp.http;

import io.custos.auth.AuthenticationException;
import io.custos.auth.Authenticator;
import io.custos.auth.ClaimsMapping;
import io.custos.auth.CallerContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import io.custos.pipeline.GovernancePipeline;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates EVERY request to {@code /mcp} (not once per session). Success stores the {@link io.custos.auth.Caller}
 * as a request attribute for the MCP transport context; failure is 401 with an RFC 6750
 * {@code WWW-Authenticate} challenge pointing at the RFC 9728 protected resource metadata.
 */
final class AuthenticationFilter extends HttpFilter {
  private static final Logger log = LoggerFactory.getLogger(AuthenticationFilter.class);
  private final Authenticator authenticator;
  private final String scope;
  private final Optional<GovernancePipeline> pipeline;

  /**
   * @param scope    scopes to suggest in the challenge (space-separated), may be empty
   * @param pipeline audits each refused request as a PHI-free DENIED event (the credential's SHA-256 only)
   */
  AuthenticationFilter(Authenticator authenticator, String scope, Optional<GovernancePipeline> pipeline) {
    this.authenticator = authenticator;
    this.scope = scope;
    this.pipeline = pipeline;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String header = req.getHeader("Authorization");
    Optional<String> bearer = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? Optional.of(header.substring(7).trim()) : Optional.empty();
    try {
      req.setAttribute(CallerContext.CALLER, authenticator.authenticate(bearer));
    } catch (AuthenticationException e) {
      log.info("request refused: authentication failed ({})", e.error() == null ? "no credential" : e.error());
      Optional<Long> wait = pipeline.flatMap(p -> p.refuseAuthentication(bearer.map(ClaimsMapping::sha256).orElse(null),
          req.getRemoteAddr()));
      if (wait.isPresent()) {
        res.setHeader("Retry-After", Long.toString(wait.get()));
        JsonRpcErrors.write(res, 429, JsonRpcErrors.SERVER_ERROR, "Too Many Requests: too many requests without a valid credential.");
        return;
      }
      // Host was validated against the allowlist by OriginHostFilter, so it is safe to echo.
      String metadata = req.getScheme() + "://" + req.getHeader("Host") + "/.well-known/oauth-protected-resource/mcp";
      String challenge = "Bearer resource_metadata=\"" + metadata + "\""
          + (scope.isEmpty() ? "" : ", scope=\"" + scope + "\"")
          + (e.error() == null ? "" : ", error=\"" + e.error() + "\"");
      res.setHeader("WWW-Authenticate", challenge);
      JsonRpcErrors.write(res, 401, JsonRpcErrors.SERVER_ERROR, "Unauthorized: a valid bearer access token is required.");
      return;
    }
    chain.doFilter(req, res);
  }
}
