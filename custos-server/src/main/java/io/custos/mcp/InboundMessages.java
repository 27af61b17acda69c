package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.tools.Declaration;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks each client-to-server message before the MCP SDK sees it, on every transport (Streamable HTTP and stdio).
 * The SDK (2.1.0) accepts any {@code jsonrpc} value, echoes unknown method names in its errors, logs unknown
 * notifications whole, and answers a {@code tools/call} whose name or arguments have the wrong JSON type with
 * nothing at all (an empty event stream). Here:
 * <ul>
 *   <li>the envelope must be JSON-RPC 2.0 (section 4): an object with {@code "jsonrpc": "2.0"}, an id that is a
 *       string or an integer (MCP: never null), a string method; else -32600 Invalid Request (-32700 for invalid
 *       JSON; batches are refused, MCP 2025-11-25 has none);</li>
 *   <li>a request for a method that is not an MCP client request is answered -32601 with a fixed message; a
 *       notification that is not an MCP client notification is dropped (JSON-RPC answers no notification);</li>
 *   <li>{@code params} must be an object (or absent or null), and the members the SDK converts must have their
 *       schema type (tool and prompt names and resource URIs strings, {@code arguments} an object, ...; null is
 *       absent); else -32602 naming the member.</li>
 * </ul>
 * Messages that pass are handed on byte for byte. Thread-safe.
 */
public final class InboundMessages {
  /** Logged instead of a method name that is not an MCP method. */
  public static final String UNKNOWN_METHOD = "unknown-method";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Client-to-server requests of MCP 2025-11-25 (schema.ts, ClientRequest). */
  static final Set<String> REQUESTS = Set.of("initialize", "ping", "tools/list", "tools/call", "resources/list",
      "resources/read", "resources/templates/list", "resources/subscribe", "resources/unsubscribe", "prompts/list",
      "prompts/get", "completion/complete", "logging/setLevel", "tasks/get", "tasks/result", "tasks/list", "tasks/cancel");
  /** Client-to-server notifications of MCP 2025-11-25 (schema.ts, ClientNotification). */
  static final Set<String> NOTIFICATIONS = Set.of("notifications/initialized", "notifications/cancelled",
      "notifications/progress", "notifications/roots/list_changed", "notifications/tasks/status");

  /** A member of {@code params} the SDK converts to a typed field; a dotted name is nested. */
  private record Member(String name, JsonNodeType type, boolean required) {
    String expected() {
      return type == JsonNodeType.OBJECT ? "an object" : "a string";
    }
  }

  private static Member required(String name, JsonNodeType type) {
    return new Member(name, type, true);
  }

  private static Member optional(String name, JsonNodeType type) {
    return new Member(name, type, false);
  }

  private static final List<Member> PAGED = List.of(optional("cursor", JsonNodeType.STRING));
  private static final List<Member> BY_URI = List.of(required("uri", JsonNodeType.STRING));
  private static final List<Member> BY_NAME = List.of(required("name", JsonNodeType.STRING), optional("arguments", JsonNodeType.OBJECT));

  private static final Map<String, List<Member>> PARAMS = Map.ofEntries(
      Map.entry("initialize", List.of(required("protocolVersion", JsonNodeType.STRING), required("capabilities", JsonNodeType.OBJECT),
          required("clientInfo", JsonNodeType.OBJECT), required("clientInfo.name", JsonNodeType.STRING),
          required("clientInfo.version", JsonNodeType.STRING))),
      Map.entry("tools/call", BY_NAME),
      Map.entry("prompts/get", BY_NAME),
      Map.entry("resources/read", BY_URI),
      Map.entry("resources/subscribe", BY_URI),
      Map.entry("resources/unsubscribe", BY_URI),
      Map.entry("tools/list", PAGED),
      Map.entry("prompts/list", PAGED),
      Map.entry("resources/list", PAGED),
      Map.entry("resources/templates/list", PAGED),
      Map.entry("logging/setLevel", List.of(required("level", JsonNodeType.STRING))),
      Map.entry("completion/complete", List.of(required("ref", JsonNodeType.OBJECT), required("argument", JsonNodeType.OBJECT))));

  private InboundMessages() {}

  /** What to do with one inbound message. */
  public sealed interface Verdict {}

  /** Hand the message on unchanged. */
  public record Pass(JsonNode message) implements Verdict {}

  /** A notification no MCP server handles: answer nothing, hand on nothing. */
  public record Drop() implements Verdict {}

  /**
   * Answer with {@code error} instead of handing the message on.
   *
   * @param id     the request's id when the message is a request with a usable id
   * @param error  fixed error
   * @param method the method fit for a log line (see {@link #loggableMethod})
   */
  public record Refuse(Optional<JsonNode> id, RpcError error, String method) implements Verdict {
    /** The JSON-RPC error response. */
    public JsonNode response() {
      return error.response(id);
    }

    /** Whether this is the answer to a well-formed request (params or method refused), sent like any response. */
    public boolean answersRequest() {
      return id.isPresent() && !malformed();
    }

    /** Whether the message itself is not JSON-RPC 2.0 (parse error or Invalid Request), as opposed to bad params. */
    public boolean malformed() {
      return error.code() == RpcError.PARSE_ERROR.code() || error.code() == RpcError.INVALID_REQUEST.code();
    }
  }

  /** Checks one message given as its raw bytes (UTF-8 JSON). */
  public static Verdict check(byte[] message) {
    JsonNode n;
    try {
      n = JSON.readTree(message);
    } catch (IOException e) {
      return new Refuse(Optional.empty(), RpcError.PARSE_ERROR, UNKNOWN_METHOD);
    }
    return n == null || n.isMissingNode() ? new Refuse(Optional.empty(), RpcError.PARSE_ERROR, UNKNOWN_METHOD) : check(n);
  }

  /** Checks one parsed message. */
  public static Verdict check(JsonNode message) {
    if (message.isArray()) {
      return new Refuse(Optional.empty(), RpcError.BATCH_NOT_SUPPORTED, UNKNOWN_METHOD);
    }
    if (!message.isObject()) {
      return new Refuse(Optional.empty(), RpcError.INVALID_REQUEST, UNKNOWN_METHOD);
    }
    String logged = loggableMethod(message);
    JsonNode idNode = message.get("id");
    Optional<JsonNode> id = idNode != null && (idNode.isTextual() || idNode.isIntegralNumber()) ? Optional.of(idNode) : Optional.empty();
    if (!"2.0".equals(message.path("jsonrpc").textValue())) {
      return new Refuse(id, RpcError.invalidRequest("\"jsonrpc\" must be \"2.0\""), logged);
    }
    if (idNode != null && id.isEmpty()) {
      return new Refuse(Optional.empty(), RpcError.invalidRequest("\"id\" must be a string or an integer"), logged);
    }
    JsonNode method = message.get("method");
    if (method == null) {
      return response(message, id, logged);
    }
    if (!method.isTextual()) {
      return new Refuse(id, RpcError.invalidRequest("\"method\" must be a string"), logged);
    }
    boolean request = id.isPresent();
    if (!(request ? REQUESTS : NOTIFICATIONS).contains(method.textValue())) {
      return request ? new Refuse(id, RpcError.METHOD_NOT_FOUND, logged) : new Drop();
    }
    JsonNode params = message.get("params");
    if (params == null || params.isNull()) {
      params = JSON.createObjectNode();
    } else if (!params.isObject()) {
      return new Refuse(id, RpcError.invalidParam("params", "an object"), logged);
    }
    if (params.hasNonNull("_meta") && !params.get("_meta").isObject()) {
      return new Refuse(id, RpcError.invalidParam("_meta", "an object"), logged);
    }
    for (Member m : PARAMS.getOrDefault(method.textValue(), List.of())) {
      JsonNode v = params.at("/" + m.name().replace('.', '/'));
      // JSON null counts as absent, as the SDK reads it
      if (v.isMissingNode() || v.isNull() ? m.required() : v.getNodeType() != m.type()) {
        return new Refuse(id, RpcError.invalidParam(m.name(), m.expected()), logged);
      }
    }
    return new Pass(message);
  }

  /** A client's response to a server request: an id and exactly one of a result object or an error object. */
  private static Verdict response(JsonNode message, Optional<JsonNode> id, String logged) {
    JsonNode result = message.get("result");
    JsonNode error = message.get("error");
    boolean wellFormed = id.isPresent() && (result == null) != (error == null)
        && (result != null ? result.isObject()
            : error.isObject() && error.path("code").isIntegralNumber() && error.path("message").isTextual());
    return wellFormed ? new Pass(message) : new Refuse(Optional.empty(), RpcError.INVALID_REQUEST, logged);
  }

  /**
   * The kind of declaration a passed request names, with the name: {@code tools/call} and {@code prompts/get} name a
   * tool or prompt, {@code resources/read} a resource URI; empty for anything else (notifications included).
   */
  public static Optional<Map.Entry<Declaration.Kind, String>> governed(JsonNode message) {
    if (message == null || !message.has("id")) {
      return Optional.empty();
    }
    JsonNode params = message.path("params");
    return switch (String.valueOf(message.path("method").textValue())) {
      case "tools/call" -> Optional.of(Map.entry(Declaration.Kind.TOOL, params.path("name").asText()));
      case "prompts/get" -> Optional.of(Map.entry(Declaration.Kind.PROMPT, params.path("name").asText()));
      case "resources/read" -> Optional.of(Map.entry(Declaration.Kind.RESOURCE, params.path("uri").asText()));
      default -> Optional.empty();
    };
  }

  /**
   * The method name of {@code message} fit for a log line: an MCP method name as is, anything else (unknown, not a
   * string, absent) as {@value #UNKNOWN_METHOD}. Request-chosen method names never reach a log.
   */
  public static String loggableMethod(JsonNode message) {
    String m = message == null ? null : message.path("method").textValue();
    return m != null && (REQUESTS.contains(m) || NOTIFICATIONS.contains(m)) ? m : UNKNOWN_METHOD;
  }
}
