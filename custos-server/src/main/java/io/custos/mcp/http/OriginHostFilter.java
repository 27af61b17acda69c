package io.custos.mcp.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * DNS-rebinding defence (MCP 2025-11-25 Transports, "Security Warning"): the {@code Host} header must name
 * this server, and an {@code Origin} header, when present, must be an allowed origin. Both refusals are
 * 403 with a short reason.
 */
final class OriginHostFilter extends HttpFilter {
  private final Set<String> allowedHosts;
  private final Set<String> allowedOrigins;
  private final boolean loopbackOnly;

  /**
   * @param allowedHosts   lower-case host names accepted in the Host header (any port)
   * @param allowedOrigins exact origins ({@code scheme://host[:port]}) accepted in the Origin header
   * @param loopbackOnly   whether the server listens on a loopback address only (then loopback origins are accepted)
   */
  OriginHostFilter(Set<String> allowedHosts, Set<String> allowedOrigins, boolean loopbackOnly) {
    this.allowedHosts = Set.copyOf(allowedHosts);
    this.allowedOrigins = Set.copyOf(allowedOrigins);
    this.loopbackOnly = loopbackOnly;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String host = req.getHeader("Host");
    if (host == null || !allowedHosts.contains(hostName(host.toLowerCase(Locale.ROOT)))) {
      JsonRpcErrors.write(res, 403, JsonRpcErrors.SERVER_ERROR, "Forbidden: Host header does not name this server.");
      return;
    }
    String origin = req.getHeader("Origin");
    if (origin != null && !allowedOrigins.contains(origin) && !loopbackOrigin(origin)) {
      JsonRpcErrors.write(res, 403, JsonRpcErrors.SERVER_ERROR, "Forbidden: Origin not allowed.");
      return;
    }
    chain.doFilter(req, res);
  }

  /**
   * An origin on this machine ({@code http(s)://localhost|127.0.0.1|[::1][:port]}) is accepted when the server
   * itself listens on loopback only: a rebinding attack comes from a foreign origin, never a loopback one.
   */
  private boolean loopbackOrigin(String origin) {
    if (!loopbackOnly) {
      return false;
    }
    try {
      java.net.URI uri = java.net.URI.create(origin);
      String h = uri.getHost();
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && ("localhost".equals(h) || "127.0.0.1".equals(h) || "[::1]".equals(h));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The name part of a Host header value: {@code [::1]:8443 -> [::1]}, {@code localhost:8443 -> localhost}. */
  static String hostName(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }
}
