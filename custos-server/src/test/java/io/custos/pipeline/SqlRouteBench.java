package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.user;

import com.sun.management.OperatingSystemMXBean;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The SQL route's added latency and CPU against the same query run directly over JDBC, in one JVM, one caller at a
 * time: {@code legacy_active_diagnoses} for one patient through the whole pipeline (authenticate to audit result, a
 * JSON Lines audit trail, care relationship and consent warm in their caches) against the same SELECT, with the MRN
 * already known, on a HikariCP pool with the same settings (read-only, rolled back); and, as a reference in the same
 * harness, the FHIR route's {@code get_active_conditions} for the same patient. Blocks of calls alternate so that the
 * neighbours' load falls on all three. Not a test: run by hand (see BENCHMARKS.md).
 */
public final class SqlRouteBench {
  private SqlRouteBench() {}

  public static void main(String[] args) throws Exception {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 6;
    int perBlock = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    SqlUpstreamPipelineTest.startStore();
    SqlUpstreamPipelineTest.startDatabase(io.custos.sql.SqlEngine.POSTGRESQL);
    Path dir = Files.createTempDirectory("sql-bench");
    try (JsonLinesAuditTrail trail = new JsonLinesAuditTrail(dir.resolve("audit.jsonl"))) {
      GovernancePipeline pipeline = new SqlUpstreamPipelineTest().createPipeline(trail);
      HikariConfig c = new HikariConfig();
      c.setJdbcUrl(SqlUpstreamPipelineTest.db.jdbcUrl());
      c.setUsername("custos_reader");
      c.setPassword("reader-secret");
      c.setMaximumPoolSize(4);
      c.setReadOnly(true);
      c.setAutoCommit(false);
      try (HikariDataSource direct = new HikariDataSource(c)) {
        Caller clinician = user("dr-bench");
        Runnable governed = () -> {
          if (pipeline.handle(call(clinician, "legacy_active_diagnoses", Map.of("patient_id", PATIENT_A))).isError()) {
            throw new IllegalStateException("governed call failed");
          }
        };
        Runnable fhir = () -> {
          if (pipeline.handle(call(clinician, "get_active_conditions", Map.of("patient_id", PATIENT_A))).isError()) {
            throw new IllegalStateException("FHIR call failed");
          }
        };
        Runnable jdbc = () -> directQuery(direct, SqlUpstreamPipelineTest.mrnA);
        for (int i = 0; i < 2000; i++) { // warm-up: JIT, pools, caches
          governed.run();
          fhir.run();
          jdbc.run();
        }
        long[] gLat = new long[blocks * perBlock];
        long[] dLat = new long[blocks * perBlock];
        long[] fLat = new long[blocks * perBlock];
        long gCpu = 0;
        long dCpu = 0;
        long fCpu = 0;
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int b = 0; b < blocks; b++) {
          gCpu += block(governed, gLat, b * perBlock, perBlock, os);
          dCpu += block(jdbc, dLat, b * perBlock, perBlock, os);
          fCpu += block(fhir, fLat, b * perBlock, perBlock, os);
        }
        int n = blocks * perBlock;
        System.out.printf(Locale.ROOT, "load average %.2f; %d calls each%n", os.getSystemLoadAverage(), n);
        System.out.printf(Locale.ROOT, "direct JDBC: p50 %.3f ms, p99 %.3f ms, JVM CPU %.3f ms/call%n",
            pct(dLat, 50), pct(dLat, 99), dCpu / 1e6 / n);
        System.out.printf(Locale.ROOT, "governed:    p50 %.3f ms, p99 %.3f ms, JVM CPU %.3f ms/call%n",
            pct(gLat, 50), pct(gLat, 99), gCpu / 1e6 / n);
        System.out.printf(Locale.ROOT, "FHIR route (get_active_conditions, same pipeline, in-JVM FHIR store): p50 %.3f ms, "
            + "p99 %.3f ms, JVM CPU %.3f ms/call (FHIR store included)%n", pct(fLat, 50), pct(fLat, 99), fCpu / 1e6 / n);
      }
    } finally {
      SqlUpstreamPipelineTest.stopDatabase();
      SqlUpstreamPipelineTest.stopStore();
    }
  }

  /** Runs {@code n} calls, recording each one's latency from {@code offset}; returns the process CPU they took (ns). */
  private static long block(Runnable call, long[] latencies, int offset, int n, OperatingSystemMXBean os) {
    long cpu = os.getProcessCpuTime();
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      call.run();
      latencies[offset + i] = System.nanoTime() - t;
    }
    return os.getProcessCpuTime() - cpu;
  }

  /** The declared tool's SELECT with the patient's MRN known, every row read as the SQL stage reads it. */
  private static void directQuery(HikariDataSource ds, String mrn) {
    try (Connection c = ds.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT DX_CD, DX_DESC, ONSET_DT FROM DX WHERE MRN = ? AND RESOLVED_DT IS NULL ORDER BY ONSET_DT DESC LIMIT 201")) {
        ps.setQueryTimeout(5);
        ps.setString(1, mrn);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            for (int i = 1; i <= 3; i++) {
              rs.getString(i);
            }
          }
        }
      } finally {
        c.rollback();
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e.getSQLState());
    }
  }

  private static double pct(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
  }
}
