package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.auth.Caller;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The seam between the transports and a protocol front whose requests carry their own envelope (MCP 2026-07-28:
 * protocol version, client info and capabilities in every request's {@code _meta}, no {@code initialize}, no session).
 * Streamable HTTP and stdio hand such a message here whole and send back what it answers. Custos's own implementation
 * is {@code io.custos.mcp.v2026.StatelessFront}; when the MCP Java SDK ships 2026-07-28, an adapter over it can take
 * its place behind this interface without touching the transports or the pipeline.
 */
public interface EnvelopeFront {
  /** The {@code _meta} key whose presence marks a 2026-07-28 envelope (MCP 2026-07-28, Basic, "Per-request protocol fields"). */
  String PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";

  /** Whether a raw message may carry a per-request envelope: a byte scan for the key, so other messages are not parsed twice. */
  static boolean mayCarryEnvelope(byte[] message) {
    return StdioErrorFilter.contains(message, PROTOCOL_VERSION_META_KEY.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Whether {@code message} carries a per-request envelope ({@code params._meta} names a protocol version). */
  static boolean carriesEnvelope(JsonNode message) {
    JsonNode meta = message.path("params").path("_meta");
    return meta.isObject() && meta.has(PROTOCOL_VERSION_META_KEY);
  }

  /**
   * Where a message came from and what the transport knows about it.
   *
   * @param headers       HTTP header values by lower-case name (only {@code mcp-*} routing headers and their count
   *                      matter); empty on stdio, where there are no headers to check against the body
   * @param caller        the identity authenticated for this very message
   * @param sourceAddress client address, or {@code stdio}
   * @param httpGate      true on HTTP: scope, step-up and rate-limit refusals come back as {@link Reply.GateRefusal} so the
   *                      transport can answer 403/401/429; false on stdio, where they are tool results
   */
  record Inbound(Optional<Map<String, java.util.List<String>>> headers, Optional<Caller> caller, String sourceAddress,
      boolean httpGate) {}

  /** What the front answers. */
  sealed interface Reply {
    /**
     * A JSON-RPC response to send as it is.
     *
     * @param httpStatus the status for Streamable HTTP (200, or 400/404 for the error codes MCP 2026-07-28 maps)
     * @param body       the JSON-RPC response; empty for a notification (HTTP 202, nothing on stdio)
     */
    record Answer(int httpStatus, Optional<JsonNode> body) implements Reply {}

    /**
     * A refusal by the route's gate that has an HTTP form (insufficient scope, step-up, rate limit), already audited.
     *
     * @param id      the request's id
     * @param kind    tool, prompt or resource
     * @param name    the declared name (a registry name, safe to use in a challenge)
     * @param outcome the pipeline's refusal
     */
    record GateRefusal(JsonNode id, Declaration.Kind kind, String name, ToolOutcome outcome) implements Reply {}
  }

  /** Answers one message that {@link #carriesEnvelope} (or that arrived with a 2026-07-28 header). Never throws. */
  Reply answer(JsonNode message, Inbound inbound);

  /** For stdio: answers a claimed message with the identity of the local credential; empty for a notification. */
  default Function<JsonNode, Optional<JsonNode>> forStdio(java.util.function.Supplier<Optional<Caller>> identity) {
    return message -> switch (answer(message, new Inbound(Optional.empty(), identity.get(), "stdio", false))) {
      case Reply.Answer a -> a.body();
      case Reply.GateRefusal g -> throw new IllegalStateException("gate refusals are rendered as results on stdio");
    };
  }
}
