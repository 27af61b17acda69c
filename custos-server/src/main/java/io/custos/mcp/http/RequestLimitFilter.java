package io.custos.mcp.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Refuses request bodies over the configured size (413) before anything parses them, and adds
 * response headers that keep PHI out of caches ({@code Cache-Control: no-store}).
 */
final class RequestLimitFilter extends HttpFilter {
  private final long maxBytes;

  RequestLimitFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");
    if (req.isSecure()) {
      res.setHeader("Strict-Transport-Security", "max-age=31536000");
    }
    if (req.getContentLengthLong() > maxBytes) {
      JsonRpcErrors.write(res, 413, JsonRpcErrors.INVALID_REQUEST, "Payload Too Large: at most " + maxBytes + " bytes.");
      return;
    }
    chain.doFilter(req, res);
  }
}
