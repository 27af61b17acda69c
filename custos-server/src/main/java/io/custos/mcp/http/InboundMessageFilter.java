package io.custos.mcp.http;

import io.custos.mcp.InboundMessages;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every POSTed message with {@link InboundMessages} before the SDK sees it. A refused request is answered
 * with its JSON-RPC error: HTTP 200 for a well-formed request whose method or params are refused, 400 for anything
 * that is not a JSON-RPC 2.0 message or for a refused notification (MCP 2025-11-25 Streamable HTTP: input the
 * server cannot accept gets an HTTP error status). An unknown notification is accepted (202) and dropped. The
 * body (already size-bounded) is read once and handed on unchanged.
 */
final class InboundMessageFilter extends HttpFilter {
  private static final Logger log = LoggerFactory.getLogger(InboundMessageFilter.class);
  /** Request attribute: the checked message ({@link com.fasterxml.jackson.databind.JsonNode}) for later filters. */
  static final String MESSAGE = "io.custos.mcp.message";

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!"POST".equals(req.getMethod())) {
      chain.doFilter(req, res);
      return;
    }
    byte[] body = req.getInputStream().readAllBytes();
    switch (InboundMessages.check(body)) {
      case InboundMessages.Pass p -> {
        req.setAttribute(MESSAGE, p.message());
        chain.doFilter(new CachedBodyRequest(req, body), res);
      }
      case InboundMessages.Drop d -> {
        log.info("notification dropped: {}", InboundMessages.UNKNOWN_METHOD);
        res.setStatus(HttpServletResponse.SC_ACCEPTED);
      }
      case InboundMessages.Refuse r -> {
        log.info("message refused ({}): JSON-RPC error {}", r.method(), r.error().code());
        JsonRpcErrors.write(res, r.answersRequest() ? 200 : 400, r.response());
      }
    }
  }
}
