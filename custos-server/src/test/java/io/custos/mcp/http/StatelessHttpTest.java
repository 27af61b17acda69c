package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.custos.audit.AuditEvent;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * MCP 2026-07-28 on the same {@code /mcp} endpoint as 2025-11-25, over raw HTTPS: every request carries its envelope,
 * no session; answers equal the 2025-11-25 front's for the same call; every header, version and method refusal has
 * its status and code and repeats no request value.
 */
class StatelessHttpTest extends RunningServerTestBase {
  static final String VERSION = "2026-07-28";
  static final String CANARY = "zz-canary-7f3a";
  int ids = 1000;

  /** A 2026-07-28 request with consistent headers; {@code headers} may alter them. */
  HttpResponse<String> send(String method, ObjectNode params, UnaryOperator<HttpRequest.Builder> headers) throws Exception {
    return HttpTestSupport.send(client, headers.apply(HttpTestSupport.stateless(server.endpoint(), ++ids, method, params)).build());
  }

  HttpResponse<String> send(String method, ObjectNode params) throws Exception {
    return send(method, params, b -> b);
  }

  static ObjectNode params() {
    return HttpTestSupport.JSON.createObjectNode();
  }

  static ObjectNode toolCall(String name, Map<String, Object> arguments) {
    ObjectNode p = params().put("name", name);
    p.set("arguments", HttpTestSupport.JSON.valueToTree(arguments));
    return p;
  }

  JsonNode result(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
    JsonNode result = HttpTestSupport.JSON.readTree(r.body()).path("result");
    assertThat(result.path("resultType").asText()).isEqualTo("complete");
    assertThat(result.path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText()).isEqualTo("custos");
    return result;
  }

  JsonNode error(HttpResponse<String> r, int status, int code) throws Exception {
    JsonNode e = HttpTestSupport.assertJsonRpcError(r, status);
    assertThat(e.path("error").path("code").asInt()).as(r.body()).isEqualTo(code);
    assertThat(r.body()).doesNotContain(CANARY);
    return e;
  }

  @Test
  void discoverAdvertisesBothEras() throws Exception {
    JsonNode r = result(send("server/discover", params()));
    List<String> versions = new ArrayList<>();
    r.path("supportedVersions").forEach(v -> versions.add(v.asText()));
    assertThat(versions).containsExactly("2025-03-26", "2025-06-18", "2025-11-25", VERSION);
    assertThat(r.path("capabilities").has("tools")).isTrue();
    assertThat(r.path("cacheScope").asText()).isEqualTo("public");
    assertThat(r.path("ttlMs").asLong()).isPositive();
  }

  @Test
  void listsEqualThe2025FrontAndArePrivate() throws Exception {
    JsonNode tools = result(send("tools/list", params()));
    assertThat(tools.path("cacheScope").asText()).isEqualTo("private");
    assertThat(tools.path("ttlMs").asLong()).isPositive();
    assertThat(names(tools.path("tools"))).isEqualTo(names(session.call("tools/list", "{}").path("result").path("tools")));
    assertThat(names(result(send("prompts/list", params())).path("prompts")))
        .isEqualTo(names(session.call("prompts/list", "{}").path("result").path("prompts")));
    JsonNode resources = result(send("resources/list", params()));
    assertThat(resources.path("resources").toString()).isEqualTo(session.call("resources/list", "{}").path("result").path("resources").toString());
    assertThat(result(send("resources/templates/list", params())).path("resourceTemplates").isArray()).isTrue();
  }

  @Test
  void toolCallsAnswerAsThe2025FrontDoes() throws Exception {
    for (String patient : HttpTestSupport.fixturePatientIds().subList(0, 3)) {
      for (String tool : List.of("get_active_conditions", "get_medications", "get_patient_demographics")) {
        JsonNode modern = result(send("tools/call", toolCall(tool, Map.of("patient_id", patient))));
        JsonNode legacy = session.callTool(tool, "{\"patient_id\":\"" + patient + "\"}").path("result");
        assertThat(modern.path("isError").asBoolean()).as(modern.toString()).isFalse();
        assertThat(modern.has("ttlMs")).isFalse();
        assertThat(modern.path("structuredContent")).as(tool).isEqualTo(legacy.path("structuredContent"));
      }
    }
  }

  @Test
  void resourcesReadIsPrivateAndAnUnknownResourceIsInvalidParams() throws Exception {
    JsonNode policy = result(send("resources/read", params().put("uri", "custos://policy")));
    assertThat(policy.path("cacheScope").asText()).isEqualTo("private");
    assertThat(policy.path("contents").get(0).path("uri").asText()).isEqualTo("custos://policy");
    error(send("resources/read", params().put("uri", "custos://" + CANARY)), 400, -32602);
  }

  @Test
  void callsAndRefusalsAreAudited() throws Exception {
    String patient = HttpTestSupport.fixturePatientIds().get(0);
    int before = events().size();
    result(send("tools/call", toolCall("get_allergies", Map.of("patient_id", patient))));
    error(send("tools/call", toolCall(CANARY, Map.of())), 400, -32602);
    List<AuditEvent> added = events().subList(before, events().size());
    assertThat(added).extracting(AuditEvent::tool).contains("get_allergies");
    assertThat(added).filteredOn(e -> e.phase() == AuditEvent.Phase.DENIED).extracting(AuditEvent::outcome).contains("unknown_tool");
    assertThat(added.toString()).doesNotContain(CANARY);
  }

  static List<AuditEvent> events() throws Exception {
    List<AuditEvent> events = new ArrayList<>();
    io.custos.audit.ledger.LedgerEvents.forEach(dataDir.resolve("ledger"),
        io.custos.audit.ledger.LocalKeySource.open(dataDir.resolve("keys")).ledgerAead(), stored -> events.add(stored.event()));
    return events;
  }

  @Test
  void headerMismatchesAre400HeaderMismatch() throws Exception {
    ObjectNode call = toolCall("get_active_conditions", Map.of("patient_id", "p1"));
    error(send("tools/call", call.deepCopy(), b -> b.setHeader("Mcp-Name", CANARY)), 400, -32020);
    error(send("tools/call", call.deepCopy(), b -> b.setHeader("Mcp-Method", "tools/list")), 400, -32020);
    error(send("tools/list", params(), b -> b.header("Mcp-Method", "tools/list")), 400, -32020); // repeated
    error(send("tools/call", call.deepCopy(), b -> HttpRequest.newBuilder(b.build(), (n, v) -> !n.equalsIgnoreCase("Mcp-Name"))),
        400, -32020);
    // No MCP-Protocol-Version header, but a 2026-07-28 envelope in the body: still the 2026 front, told the header is missing.
    error(send("tools/list", params(), b -> HttpRequest.newBuilder(b.build(), (n, v) -> !n.equalsIgnoreCase("MCP-Protocol-Version"))),
        400, -32020);
    // header 2026-07-28, body envelope another version
    ObjectNode other = params();
    other.putObject("_meta").put("io.modelcontextprotocol/protocolVersion", "2025-11-25")
        .putObject("io.modelcontextprotocol/clientCapabilities");
    error(send("tools/list", other), 400, -32020);
  }

  @Test
  void versionsMethodsAndShapesHaveTheirCodes() throws Exception {
    // an unknown version in the header: 400 -32022 naming every supported version, never the one sent
    HttpResponse<String> unknown = send("tools/list", params(), b -> b.setHeader("MCP-Protocol-Version", CANARY));
    JsonNode e = error(unknown, 400, -32022);
    assertThat(e.path("error").path("data").path("supported").toString()).contains(VERSION, "2025-11-25");
    error(send("ping", params()), 404, -32601);
    error(send("subscriptions/listen", params()), 404, -32601);
    error(send("tools/call", params().put("name", 5), b -> b), 400, -32020); // Mcp-Name "5" vs a number
    error(send("tools/list", params().put("cursor", CANARY)), 400, -32602);
    ObjectNode noMeta = HttpTestSupport.JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/list");
    noMeta.putObject("params");
    error(HttpTestSupport.send(client, HttpRequest.newBuilder(server.endpoint()).header("Content-Type", "application/json")
        .header("MCP-Protocol-Version", VERSION).header("Mcp-Method", "tools/list")
        .POST(HttpRequest.BodyPublishers.ofString(noMeta.toString())).build()), 400, -32602);
  }

  @Test
  void aSessionIdIsIgnoredAndGetAndDeleteAre405() throws Exception {
    result(send("tools/list", params(), b -> b.header("Mcp-Session-Id", CANARY)));
    for (String method : List.of("GET", "DELETE")) {
      HttpResponse<String> r = HttpTestSupport.send(client, HttpRequest.newBuilder(server.endpoint())
          .header("MCP-Protocol-Version", VERSION).header("Accept", "text/event-stream").method(method, HttpRequest.BodyPublishers.noBody())
          .build());
      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).hasValue("POST");
    }
  }

  @Test
  void aNotificationIsAcceptedAndAnOversizedBodyRefused() throws Exception {
    ObjectNode note = HttpTestSupport.JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/cancelled");
    note.putObject("params").putObject("_meta").put("io.modelcontextprotocol/protocolVersion", VERSION);
    HttpResponse<String> r = HttpTestSupport.send(client, HttpRequest.newBuilder(server.endpoint())
        .header("Content-Type", "application/json").header("MCP-Protocol-Version", VERSION)
        .header("Mcp-Method", "notifications/cancelled").POST(HttpRequest.BodyPublishers.ofString(note.toString())).build());
    assertThat(r.statusCode()).isEqualTo(202);
    HttpResponse<String> big = send("tools/call", toolCall("get_active_conditions", Map.of("patient_id", "x".repeat(20_000))));
    assertThat(big.statusCode()).isEqualTo(413);
  }

  static TreeSet<String> names(JsonNode items) {
    TreeSet<String> names = new TreeSet<>();
    items.forEach(i -> names.add(i.path("name").asText()));
    return names;
  }
}
