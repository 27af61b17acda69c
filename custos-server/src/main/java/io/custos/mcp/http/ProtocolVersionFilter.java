package io.custos.mcp.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import io.custos.mcp.v2026.Envelope;
import java.util.Optional;
import java.util.Set;

/**
 * Validates the {@code MCP-Protocol-Version} header (MCP 2025-11-25, Basic / Transports, "Protocol Version
 * Header"): a present but unsupported value gets 400 Bad Request with JSON-RPC error -32022 and
 * {@code data.supported} (MCP 2026-07-28, so a client negotiating by {@code server/discover} learns what to speak).
 * Absent is allowed (the spec says to assume 2025-03-26 for backwards compatibility). Closes an SDK 2.1.0 gap.
 */
final class ProtocolVersionFilter extends HttpFilter {
  private final Set<String> supported;

  ProtocolVersionFilter(Set<String> supported) {
    this.supported = Set.copyOf(supported);
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String version = req.getHeader("MCP-Protocol-Version");
    if (version != null && !supported.contains(version)) {
      res.setHeader("Connection", "close"); // decided before the body was read
      JsonRpcErrors.write(res, 400, Envelope.unsupported(Optional.empty(), Optional.of(version)).response());
      return;
    }
    chain.doFilter(req, res);
  }
}
