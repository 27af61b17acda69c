package io.custos.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import io.custos.mcp.EnvelopeFront;
import io.custos.mcp.RpcError;
import io.custos.pipeline.GovernancePipeline;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Routes each authenticated request to its protocol front. A request with {@code MCP-Protocol-Version: 2026-07-28},
 * or without the header but with a per-request envelope in its body, is answered here by the {@link EnvelopeFront}
 * (no session: an {@code Mcp-Session-Id} it carries is ignored; GET and DELETE get 405, MCP 2026-07-28 Streamable
 * HTTP has no stream to open or session to end). Every other request goes on down the chain to the 2025-11-25 SDK
 * front. Runs after authentication, so both fronts see the same authenticated caller on every request.
 */
final class EnvelopeFilter extends HttpFilter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ROUTING_HEADERS = List.of("mcp-protocol-version", "mcp-method", "mcp-name");

  private final EnvelopeFront front;
  private final Set<String> handshakeVersions;
  private final GovernancePipeline pipeline;

  /**
   * @param handshakeVersions versions that stay with the SDK front
   * @param pipeline          renders gate refusals (403/401/429) as the 2025-11-25 front does
   */
  EnvelopeFilter(EnvelopeFront front, Set<String> handshakeVersions, GovernancePipeline pipeline) {
    this.front = front;
    this.handshakeVersions = Set.copyOf(handshakeVersions);
    this.pipeline = pipeline;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String header = req.getHeader("MCP-Protocol-Version");
    if (header != null && handshakeVersions.contains(header)) {
      chain.doFilter(req, res);
      return;
    }
    if (header != null && !"POST".equals(req.getMethod())) {
      res.setHeader("Allow", "POST");
      JsonRpcErrors.write(res, 405, JsonRpcErrors.INVALID_REQUEST, "Method Not Allowed: a 2026-07-28 endpoint takes POST only.");
      return;
    }
    if (!"POST".equals(req.getMethod())) {
      chain.doFilter(req, res);
      return;
    }
    byte[] body = req.getInputStream().readAllBytes();
    if (header == null && !EnvelopeFront.mayCarryEnvelope(body)) {
      chain.doFilter(new CachedBodyRequest(req, body), res); // a 2025-11-25 message: the common case costs one byte scan
      return;
    }
    JsonNode message;
    try {
      message = JSON.readTree(body);
    } catch (IOException e) {
      JsonRpcErrors.write(res, 400, RpcError.PARSE_ERROR.response(Optional.empty()));
      return;
    }
    if (header == null && (message == null || !EnvelopeFront.carriesEnvelope(message))) {
      chain.doFilter(new CachedBodyRequest(req, body), res);
      return;
    }
    Optional<Caller> caller = Optional.ofNullable((Caller) req.getAttribute(CallerContext.CALLER));
    var reply = front.answer(message, new EnvelopeFront.Inbound(Optional.of(routingHeaders(req)), caller,
        req.getRemoteAddr(), true));
    switch (reply) {
      case EnvelopeFront.Reply.Answer a when a.body().isEmpty() -> res.setStatus(a.httpStatus());
      case EnvelopeFront.Reply.Answer a -> JsonRpcErrors.write(res, a.httpStatus(), a.body().get());
      case EnvelopeFront.Reply.GateRefusal g -> {
        if (!GateFilter.renderHttp(req, res, pipeline, g.kind(), g.name(), g.outcome())) {
          JsonRpcErrors.write(res, 200, RpcError.INTERNAL_ERROR.response(Optional.of(g.id())));
        }
      }
    }
  }

  /** The routing headers with every value each was sent with (a repeated header is a mismatch). */
  private static Map<String, List<String>> routingHeaders(HttpServletRequest req) {
    Map<String, List<String>> headers = new HashMap<>();
    for (String name : ROUTING_HEADERS) {
      List<String> values = Collections.list(req.getHeaders(name));
      if (!values.isEmpty()) {
        headers.put(name, values);
      }
    }
    return headers;
  }
}
