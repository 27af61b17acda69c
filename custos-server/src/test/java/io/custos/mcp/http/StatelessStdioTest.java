package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP 2026-07-28 over stdio as {@code custos serve --stdio} runs it: a line carrying a per-request envelope is answered
 * by the 2026-07-28 front (no header checks, there are no headers), every other line by the SDK, in one stream.
 */
class StatelessStdioTest {
  static final String META = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
      + "\"io.modelcontextprotocol/clientCapabilities\":{}}";

  @TempDir
  Path dir;

  static String request(String id, String method, String params) {
    return "{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"" + method + "\",\"params\":{" + META
        + (params.isEmpty() ? "" : "," + params) + "}}";
  }

  @Test
  void bothErasAreAnsweredOnOneStream() throws Exception {
    String patient = HttpTestSupport.fixturePatientIds().get(0);
    List<String> lines = StdioSession.run(dir, UnknownToolTest.caller("clinician", "user/*.rs"), true,
        request("d", "server/discover", ""),
        request("l", "tools/list", ""),
        request("c", "tools/call", "\"name\":\"get_active_conditions\",\"arguments\":{\"patient_id\":\"" + patient + "\"}"),
        "{\"jsonrpc\":\"2.0\",\"id\":\"legacy\",\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_conditions\","
            + "\"arguments\":{\"patient_id\":\"" + patient + "\"}}}",
        request("u", "tools/call", "\"name\":\"zz-canary\",\"arguments\":{}"),
        request("v", "tools/list", "").replace("2026-07-28", "2099-01-01"),
        request("m", "ping", ""));
    JsonNode discover = StdioSession.answer(lines, "\"d\"").path("result");
    assertThat(discover.path("supportedVersions").toString()).contains("2026-07-28", "2025-11-25");
    assertThat(discover.path("resultType").asText()).isEqualTo("complete");
    JsonNode tools = StdioSession.answer(lines, "\"l\"").path("result");
    assertThat(tools.path("cacheScope").asText()).isEqualTo("private");
    assertThat(tools.path("tools").size()).isPositive();
    JsonNode modern = StdioSession.answer(lines, "\"c\"").path("result");
    JsonNode legacy = StdioSession.answer(lines, "\"legacy\"").path("result");
    assertThat(modern.path("resultType").asText()).isEqualTo("complete");
    assertThat(legacy.has("resultType")).isFalse();
    assertThat(modern.path("structuredContent")).isEqualTo(legacy.path("structuredContent"));
    assertThat(StdioSession.answer(lines, "\"u\"").path("error").path("code").asInt()).isEqualTo(-32602);
    JsonNode unsupported = StdioSession.answer(lines, "\"v\"").path("error");
    assertThat(unsupported.path("code").asInt()).isEqualTo(-32022);
    assertThat(unsupported.path("data").path("requested").asText()).isEqualTo("unrecognized");
    assertThat(StdioSession.answer(lines, "\"m\"").path("error").path("code").asInt()).isEqualTo(-32601);
    assertThat(String.join("\n", lines)).doesNotContain("zz-canary", "2099-01-01");
  }
}
