package io.custos.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL benchmark's baseline: what Custos's SQL route sends to the database for one call, without Custos. A HikariCP
 * pool of the same shape as Custos's ({@code sql.maxPoolSize} 4, minimum idle 1, read-only, auto-commit off, 5 s
 * connection timeout) and the same two statements, each on its own connection checkout in a read-only transaction
 * that is rolled back, with the same 5 s query timeout, row cap and fetch size: the patient's MRN from {@code PAT} by
 * FHIR Patient id, then the tool's SELECT with that MRN bound and the LIMIT Custos's planner writes (the cap + 1). No
 * authentication, policy, audit or filtering.
 *
 * <p>As a process ({@code main}): the bare MCP Java SDK server ({@link BareSdkServer#serve}, same TLS) with one tool per
 * {@link Query}, each answering the rows as JSON text. Usage: {@code java -cp <test classpath>
 * io.custos.bench.SqlBaseline <jdbcUrl> <user> <passwordFile> <dataDir>}.
 */
final class SqlBaseline implements AutoCloseable {
  /** The benchmark's tools and the SELECT each one amounts to once Custos has bound the patient's MRN. */
  enum Query {
    /** The declared tool {@code legacy_active_diagnoses} ({@code sql.maxRows} 200). */
    DIAGNOSES("legacy_active_diagnoses",
        "SELECT DX_CD, DX_DESC, ONSET_DT FROM DX WHERE RESOLVED_DT IS NULL AND MRN = ? ORDER BY ONSET_DT DESC LIMIT 201"),
    /** {@code sql_query} with {@link #ANALYST_QUERY} (the analyst cap, 50 rows). */
    ANALYST("sql_query", "SELECT RX_CD, RX_DESC FROM RX WHERE STOP_DT IS NULL AND MRN = ? LIMIT 51");

    final String tool;
    final String sql;

    Query(String tool, String sql) {
      this.tool = tool;
      this.sql = sql;
    }

    /** The tool's arguments for {@code patient}, as JSON. */
    String arguments(String patient) {
      return this == DIAGNOSES ? "{\"patient_id\":\"" + patient + "\"}"
          : "{\"patient_id\":\"" + patient + "\",\"query\":\"" + ANALYST_QUERY + "\"}";
    }
  }

  /** The analyst's statement sent to Custos's {@code sql_query}: the patient compartment is Custos's to add. */
  static final String ANALYST_QUERY = "SELECT RX_CD, RX_DESC FROM RX WHERE STOP_DT IS NULL";

  private static final int TIMEOUT_SECONDS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HikariDataSource pool;

  SqlBaseline(String jdbcUrl, String user, String password) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(jdbcUrl);
    c.setUsername(user);
    c.setPassword(password);
    c.setMaximumPoolSize(4);
    c.setMinimumIdle(1);
    c.setReadOnly(true);
    c.setAutoCommit(false);
    c.setConnectionTimeout(5_000);
    c.setPoolName("bench-baseline");
    pool = new HikariDataSource(c);
  }

  /**
   * The rows of {@code query} for the patient whose FHIR id is {@code fhirId}, each column by its lower-case label;
   * none when the patient has no MRN.
   *
   * @throws SQLException when a statement fails
   */
  List<Map<String, String>> answer(Query query, String fhirId) throws SQLException {
    Optional<String> mrn = run("SELECT MRN FROM PAT WHERE EMPI_ID = ?", fhirId, 2);
    return mrn.isEmpty() ? List.of() : rows(query.sql, mrn.get(), 201);
  }

  private Optional<String> run(String sql, String value, int maxRows) throws SQLException {
    List<Map<String, String>> rows = rows(sql, value, maxRows);
    return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0).values().iterator().next());
  }

  private List<Map<String, String>> rows(String sql, String value, int maxRows) throws SQLException {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setQueryTimeout(TIMEOUT_SECONDS);
        ps.setMaxRows(maxRows);
        ps.setFetchSize(Math.min(maxRows, 500));
        ps.setString(1, value);
        List<Map<String, String>> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 1; i <= columns; i++) {
              row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getString(i));
            }
            rows.add(row);
          }
        }
        return rows;
      } finally {
        c.rollback();
      }
    }
  }

  /**
   * The baseline as a load target named {@code upstream} (the upstream alone, as in the FHIR runs): {@code query} for
   * the mix's patients on {@code threads} threads, no MCP.
   */
  Target target(Query query, Target.Mix mix, int threads) {
    return new Target.Upstream(threads) {
      @Override
      String run(long seq) {
        try {
          answer(query, mix.patient(seq));
          return null;
        } catch (SQLException e) {
          return "jdbc:" + e.getSQLState();
        }
      }
    };
  }

  /** {@code query} as a bare SDK tool taking {@code patient_id} (and, ignored, {@code query}). */
  McpServerFeatures.SyncToolSpecification tool(JacksonMcpJsonMapper json, Query query) {
    McpSchema.Tool tool = McpSchema.Tool.builder().name(query.tool).description("The legacy database's rows for a patient.")
        .inputSchema(json, """
            {"type":"object","properties":{"patient_id":{"type":"string"},"query":{"type":"string"}},"required":["patient_id"]}""")
        .build();
    return McpServerFeatures.SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> {
      String patient = String.valueOf(request.arguments().get("patient_id"));
      try {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, String>> rows = answer(query, patient);
        out.put("patient_id", patient);
        out.put("items", rows);
        out.put("count", rows.size());
        return McpSchema.CallToolResult.builder().addTextContent(JSON.writeValueAsString(out)).isError(false).build();
      } catch (SQLException | JsonProcessingException e) {
        return McpSchema.CallToolResult.builder().addTextContent("database error").isError(true).build();
      }
    }).build();
  }

  @Override
  public void close() {
    pool.close();
  }

  public static void main(String[] args) throws Exception {
    try (SqlBaseline baseline = new SqlBaseline(args[0], args[1], Files.readString(Path.of(args[2])).strip())) {
      JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
      BareSdkServer.serve(Path.of(args[3]), 0, json, baseline.tool(json, Query.DIAGNOSES), baseline.tool(json, Query.ANALYST));
    }
  }
}
