package io.custos.mcp.v2026;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.custos.mcp.EnvelopeFront;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One MCP 2026-07-28 request whose envelope passed every check (MCP 2026-07-28, Basic, "Per-request protocol fields";
 * Transports, Streamable HTTP, "Routing headers"), or the first check it failed. The checks, in order:
 * <ol>
 *   <li>JSON-RPC 2.0: an object with {@code "jsonrpc": "2.0"}, a string or integer id, a string method, params an
 *       object; else -32600 Invalid Request;</li>
 *   <li>{@code params._meta} is an object holding the protocol version and the client capabilities; else -32602;</li>
 *   <li>over HTTP, each routing header appears once and equals the body: {@code MCP-Protocol-Version} the envelope's
 *       version, {@code Mcp-Method} the method, and for {@code tools/call}, {@code prompts/get} and
 *       {@code resources/read}, {@code Mcp-Name} the name or URI (a {@code =?base64?...?=} value decoded); else
 *       -32020 HeaderMismatch (checked before the version, so a client that disagrees with itself is told so);</li>
 *   <li>the version is one this front serves; else -32022 UnsupportedProtocolVersion with {@code data.supported}.</li>
 * </ol>
 * No message here repeats a request value; {@code data.requested} names the version asked for only when it is a
 * published MCP revision, else {@code "unrecognized"}.
 *
 * @param id                 the request id (string or integer)
 * @param method             the JSON-RPC method
 * @param params             the params object (with its {@code _meta})
 * @param clientCapabilities the envelope's client capabilities
 */
public record Envelope(JsonNode id, String method, ObjectNode params, JsonNode clientCapabilities) implements Checked {
  /** The protocol revision this front serves. */
  public static final String VERSION = "2026-07-28";
  /** Versions reachable through the {@code initialize} handshake (the SDK front). */
  public static final Set<String> HANDSHAKE_VERSIONS = Set.of("2025-03-26", "2025-06-18", "2025-11-25");
  /** Every version this endpoint speaks, oldest first. */
  public static final List<String> SUPPORTED_VERSIONS = List.of("2025-03-26", "2025-06-18", "2025-11-25", VERSION);
  /** Every published MCP revision (a version one of these is safe to name back). */
  private static final Set<String> KNOWN_REVISIONS = Set.of("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", VERSION);
  static final String CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities";
  static final String SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo";

  static final int HEADER_MISMATCH = -32020;
  static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

  /** Methods whose name-bearing param is mirrored in {@code Mcp-Name}. */
  private static final Map<String, String> NAME_PARAM = Map.of("tools/call", "name", "prompts/get", "name",
      "resources/read", "uri");
  private static final List<String> ROUTING_HEADERS = List.of("mcp-protocol-version", "mcp-method", "mcp-name");

  /**
   * Runs the checks.
   *
   * @param message the parsed message
   * @param headers HTTP header values by lower-case name; empty on stdio (no header check)
   */
  public static Checked check(JsonNode message, Optional<Map<String, List<String>>> headers) {
    if (message == null || !message.isObject() || !"2.0".equals(message.path("jsonrpc").textValue())
        || !message.path("method").isTextual()) {
      return invalid(Optional.empty(), "not a JSON-RPC 2.0 request");
    }
    JsonNode idNode = message.get("id");
    if (idNode == null) {
      return new Checked.Notification();
    }
    if (!(idNode.isTextual() || idNode.isIntegralNumber())) {
      return invalid(Optional.empty(), "the id must be a string or an integer");
    }
    Optional<JsonNode> id = Optional.of(idNode);
    String method = message.get("method").textValue();
    JsonNode params = message.get("params");
    if (!(params instanceof ObjectNode p)) {
      return invalidParams(id, "params must be an object carrying _meta");
    }
    JsonNode meta = p.get("_meta");
    if (meta == null || !meta.isObject() || !meta.has(EnvelopeFront.PROTOCOL_VERSION_META_KEY)
        || !meta.has(CLIENT_CAPABILITIES_META_KEY)) {
      return invalidParams(id, "params._meta must carry the protocol version and the client capabilities");
    }
    JsonNode version = meta.get(EnvelopeFront.PROTOCOL_VERSION_META_KEY);
    if (headers.isPresent()) {
      Optional<String> mismatch = headerMismatch(headers.get(), method, version, p);
      if (mismatch.isPresent()) {
        return new Checked.Rejected(id, new io.custos.mcp.RpcError(HEADER_MISMATCH, mismatch.get()), Optional.empty());
      }
    }
    if (!version.isTextual()) {
      return invalidParams(id, "the protocol version must be a string");
    }
    if (!VERSION.equals(version.textValue())) {
      return unsupported(id, Optional.of(version.textValue()));
    }
    return new Envelope(idNode, method, p, meta.get(CLIENT_CAPABILITIES_META_KEY));
  }

  /** -32022 naming every version served, both eras (also for a request whose header names an unknown version). */
  public static Checked.Rejected unsupported(Optional<JsonNode> id, Optional<String> requested) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    SUPPORTED_VERSIONS.forEach(data.putArray("supported")::add);
    // data.requested is required by the schema; a value that is not a published revision is not repeated.
    data.put("requested", requested.filter(KNOWN_REVISIONS::contains).orElse("unrecognized"));
    return new Checked.Rejected(id, new io.custos.mcp.RpcError(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version."),
        Optional.of(data));
  }

  private static Optional<String> headerMismatch(Map<String, List<String>> headers, String method, JsonNode version,
      ObjectNode params) {
    for (String h : ROUTING_HEADERS) {
      if (headers.getOrDefault(h, List.of()).size() > 1) {
        return Optional.of("Header mismatch: a routing header appears more than once.");
      }
    }
    Optional<String> versionHeader = first(headers, "mcp-protocol-version");
    if (versionHeader.isEmpty() || !version.isTextual() || !versionHeader.get().equals(version.textValue())) {
      return Optional.of("Header mismatch: MCP-Protocol-Version must equal the request's protocol version.");
    }
    if (!first(headers, "mcp-method").equals(Optional.of(method))) {
      return Optional.of("Header mismatch: Mcp-Method must equal the request's method.");
    }
    String nameParam = NAME_PARAM.get(method);
    if (nameParam != null && params.hasNonNull(nameParam)) {
      Optional<String> name = first(headers, "mcp-name").flatMap(Envelope::decodeHeaderValue);
      if (!params.get(nameParam).isTextual() || !name.equals(Optional.of(params.get(nameParam).textValue()))) {
        return Optional.of("Header mismatch: Mcp-Name must equal the request's " + nameParam + ".");
      }
    }
    return Optional.empty();
  }

  /** A header value, with the {@code =?base64?...?=} form (for values that are not printable ASCII) decoded. */
  static Optional<String> decodeHeaderValue(String value) {
    if (!(value.startsWith("=?base64?") && value.endsWith("?=") && value.length() >= 11)) {
      return Optional.of(value);
    }
    String payload = value.substring(9, value.length() - 2);
    try {
      byte[] bytes = Base64.getDecoder().decode(payload);
      if (!Base64.getEncoder().encodeToString(bytes).equals(payload)) {
        return Optional.empty(); // non-canonical: never matches by accident
      }
      var decoder = StandardCharsets.UTF_8.newDecoder();
      return Optional.of(decoder.decode(java.nio.ByteBuffer.wrap(bytes)).toString());
    } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> first(Map<String, List<String>> headers, String name) {
    List<String> values = headers.getOrDefault(name, List.of());
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  private static Checked.Rejected invalid(Optional<JsonNode> id, String what) {
    return new Checked.Rejected(id, new io.custos.mcp.RpcError(-32600, "Invalid Request: " + what + "."), Optional.empty());
  }

  static Checked.Rejected invalidParams(Optional<JsonNode> id, String what) {
    return new Checked.Rejected(id, new io.custos.mcp.RpcError(-32602, "Invalid params: " + what + "."), Optional.empty());
  }

  /** The HTTP status MCP 2026-07-28 gives a JSON-RPC error code (Streamable HTTP, "Error responses"); 200 otherwise. */
  public static int httpStatus(int code) {
    return switch (code) {
      case -32700, -32600, -32602, HEADER_MISMATCH, -32021, UNSUPPORTED_PROTOCOL_VERSION -> 400;
      case -32601 -> 404;
      default -> 200;
    };
  }
}
