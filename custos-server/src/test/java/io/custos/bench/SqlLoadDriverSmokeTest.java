package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.sql.LegacyPostgres;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of the SQL benchmark's three configurations (the real runs are behind {@code scripts/bench.sh sql}): the
 * legacy database loaded from the fixture's CSV export; Custos in this JVM with the demo's {@code sql} section, oauth,
 * care relationships required, driven over Streamable HTTP with the clinicians' real tokens for both benchmark tools;
 * the database alone through {@link SqlBaseline}; and the bare server's tool handler answering the same rows.
 */
class SqlLoadDriverSmokeTest {
  @TempDir
  Path dir;

  @Test
  void bothSqlToolsAnswerThroughTheFullPipelineAndTheBaselineReadsTheSameRows() throws Exception {
    try (LegacyPostgres legacy = LegacyPostgres.start(dir);
        InProcessCustos custos = new InProcessCustos(dir.resolve("custos"), legacy.configSection());
        SqlBaseline baseline = new SqlBaseline(legacy.jdbcUrl(), LegacyPostgres.READER, legacy.password())) {
      List<McpBenchClient.Session> sessions = Target.Mcp.open(custos.client, custos.tokens);
      for (SqlBaseline.Query q : SqlBaseline.Query.values()) {
        Target governed = new Target.Mcp("custos", custos.client, sessions, custos.mix, q.tool, q::arguments);
        LoadDriver.Result r = LoadDriver.closed(governed, 4, Duration.ofSeconds(60), 20);
        assertThat(r.errorKinds()).as(q.tool).isEmpty();
        assertThat(r.ok()).as(q.tool).isEqualTo(20);
        try (Target direct = baseline.target(q, custos.mix, 2)) {
          LoadDriver.Result d = LoadDriver.closed(direct, 2, Duration.ofSeconds(30), 10);
          assertThat(d.errorKinds()).as(q.tool).isEmpty();
          assertThat(d.ok()).as(q.tool).isEqualTo(10);
        }
      }
      assertThat(SqlBench.postgresCpuMillis(legacy)).as("PostgreSQL's CPU is read").isPositive();
      String patient = custos.mix.patient(0);
      List<Map<String, String>> rows = baseline.answer(SqlBaseline.Query.DIAGNOSES, patient);
      assertThat(rows).isNotEmpty().allSatisfy(row -> assertThat(row).containsKeys("dx_cd", "dx_desc", "onset_dt"));
      JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
      McpSchema.CallToolResult bare = baseline.tool(json, SqlBaseline.Query.DIAGNOSES).callHandler()
          .apply(null, new McpSchema.CallToolRequest(SqlBaseline.Query.DIAGNOSES.tool, Map.of("patient_id", patient)));
      assertThat(bare.isError()).isFalse();
      assertThat(((McpSchema.TextContent) bare.content().get(0)).text()).contains("\"count\":" + rows.size());
    }
  }
}
