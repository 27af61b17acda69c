package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.auth.Caller;
import io.custos.mcp.StdioErrorFilter;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unknown tool name is never reflected back (MCP SDK 2.1.0 puts "Tool not found: <name>" in the error
 * data). HTTP: refused by the gate before the SDK with -32602 "Unknown tool.". stdio: the SDK's echo does reach
 * standard output, and {@link StdioErrorFilter} replaces it with the same fixed error. Also checks, over stdio,
 * that the researcher tools are registered with the MCP server and visible to researchers only.
 */
class UnknownToolTest {
  static final String MARKER = "no_such_tool_Marker4711";

  @TempDir
  Path dir;

  @Test
  void httpGateRefusesUnknownToolsWithAFixedError() throws Exception {
    try (HttpTestSupport.Running running = HttpTestSupport.start(dir, "tls13", false)) {
      HttpClient client = HttpTestSupport.client(running.ssl());
      var session = HttpTestSupport.Session.open(client, running.endpoint());
      HttpResponse<String> r = session.rawCall(4711, "tools/call", "{\"name\":\"" + MARKER + "\",\"arguments\":{}}");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).doesNotContain("Marker4711").doesNotContain("not found");
      JsonNode error = HttpTestSupport.response(r, 4711).path("error");
      assertThat(error.path("code").asInt()).isEqualTo(-32602);
      assertThat(error.path("message").asText()).isEqualTo("Unknown tool.");
      assertThat(error.has("data")).isFalse();
      // Known tools still pass the gate.
      JsonNode ok = session.callTool("get_patient_demographics",
          "{\"patient_id\":\"" + HttpTestSupport.fixturePatientIds().get(0) + "\"}");
      assertThat(ok.path("result").path("isError").asBoolean(false)).as(ok.toString()).isFalse();
    }
  }

  @Test
  void stdioSdkEchoReachesStdoutUnlessFiltered() throws Exception {
    Caller clinician = caller("clinician", "user/*.rs");
    List<String> raw = stdio(clinician, false, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\""
        + MARKER + "\",\"arguments\":{}}}");
    assertThat(String.join("\n", raw)).as("SDK 2.1.0 behaviour without the filter").contains("Marker4711");
    List<String> filtered = stdio(clinician, true, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\""
        + MARKER + "\",\"arguments\":{}}}");
    String reply = filtered.stream().filter(l -> l.contains("\"id\":3")).findFirst().orElseThrow();
    assertThat(reply).doesNotContain("Marker4711").contains("\"code\":-32602").contains("\"message\":\"Unknown tool.\"");
    assertThat(String.join("\n", filtered)).doesNotContain("Marker4711");
  }

  @Test
  void undeclaredNamesOverStdioAreAuditedAsRefusals() throws Exception {
    Path data = dir.resolve("stdio-audit");
    StdioSession.run(data, caller("clinician", "user/*.rs"), true,
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"" + MARKER + "\",\"arguments\":{}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/get\",\"params\":{\"name\":\"" + MARKER + "\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/read\",\"params\":{\"uri\":\"custos://" + MARKER + "\"}}");
    List<io.custos.audit.AuditEvent> events = new ArrayList<>();
    io.custos.audit.ledger.LedgerEvents.forEach(data.resolve("ledger"),
        io.custos.audit.ledger.LocalKeySource.open(data.resolve("keys")).ledgerAead(), stored -> events.add(stored.event()));
    assertThat(events).extracting(e -> e.subject() + " " + e.tool() + " " + e.phase() + " " + e.outcome())
        .containsExactly("stdio-clinician (undeclared) DENIED unknown_tool", "stdio-clinician (undeclared) DENIED unknown_tool",
            "stdio-clinician (undeclared) DENIED unknown_tool");
    assertThat(events.toString()).doesNotContain("Marker4711");
  }

  @Test
  void researcherToolsAreRegisteredAndShownToResearchersOnly() throws Exception {
    String list = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{}}";
    String count = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"cohort_count\","
        + "\"arguments\":{\"snomed_code\":\"44054006\",\"age_band\":\"any\"}}}";
    List<String> researcher = stdio(caller("researcher", "user/Patient.rs user/Condition.rs"), true, list, count);
    JsonNode tools = HttpTestSupport.JSON.readTree(researcher.stream().filter(l -> l.contains("\"id\":3")).findFirst().orElseThrow());
    List<String> names = new ArrayList<>();
    tools.path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
    assertThat(names).containsExactlyInAnyOrder("cohort_count", "cohort_extract");
    JsonNode result = HttpTestSupport.JSON.readTree(researcher.stream().filter(l -> l.contains("\"id\":4")).findFirst().orElseThrow())
        .path("result");
    assertThat(result.path("isError").asBoolean(false)).as(result.toString()).isFalse();
    assertThat(result.path("structuredContent").has("suppressed")).as(result.toString()).isTrue();

    List<String> clinician = stdio(caller("clinician", "user/*.rs"), true, list, count);
    JsonNode ct = HttpTestSupport.JSON.readTree(clinician.stream().filter(l -> l.contains("\"id\":3")).findFirst().orElseThrow());
    List<String> cnames = new ArrayList<>();
    ct.path("result").path("tools").forEach(t -> cnames.add(t.path("name").asText()));
    assertThat(cnames).contains("get_patient_demographics").doesNotContain("cohort_count", "cohort_extract");
    JsonNode refused = HttpTestSupport.JSON.readTree(clinician.stream().filter(l -> l.contains("\"id\":4")).findFirst().orElseThrow())
        .path("result");
    assertThat(refused.path("isError").asBoolean()).isTrue();
    assertThat(refused.path("content").get(0).path("text").asText()).contains("forbidden");
  }

  static Caller caller(String role, String scopes) {
    return new Caller("stdio-" + role, "stdio-client", Optional.empty(), Set.of(role), Set.of(scopes.split(" ")), Optional.empty(),
        true, "tok-" + role, Instant.now().plusSeconds(600));
  }

  List<String> stdio(Caller caller, boolean filter, String... requests) throws Exception {
    return StdioSession.run(dir.resolve("stdio-" + System.nanoTime()), caller, filter, requests);
  }
}
