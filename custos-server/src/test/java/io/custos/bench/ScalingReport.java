package io.custos.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Turns the scaling results in a directory ({@code patients.json}, {@code sessions.json} from {@link ScalingMain},
 * {@code ledger.json} from {@link LedgerScaling}; whichever exist) into {@code scaling.md} (one Markdown table per
 * dimension) and {@code scaling.svg} (every dimension's cost per unit of work relative to its smallest size, on
 * log-log axes: flat lines mean the cost per call, per append, per entry verified or per session does not grow).
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.ScalingReport DIR}
 */
public final class ScalingReport {
  private ScalingReport() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "bench-results/scaling");
    StringBuilder md = new StringBuilder("# How cost grows with the work\n\n");
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    List<String> when = new ArrayList<>();
    JsonNode patients = read(dir.resolve("patients.json"));
    if (patients != null) {
      section(md, when, "Patients in the upstream", meta("patients", patients.get("meta")),
          "| patients | store resources | load time | store heap after GC | upstream alone p50 / p99 | store CPU / search alone | Custos p50 / p90 / p99 "
              + "| Custos CPU / call | store CPU / Custos call | Custos errors | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (JsonNode r : patients.get("rows")) {
        JsonNode c = r.get("custos");
        JsonNode u = r.get("upstream");
        md.append(String.format(Locale.ROOT, "| %,d | %,d | %.1f s | %.0f MB | %.2f / %.2f ms | %.2f ms | %.2f / %.2f / %.2f ms | %.2f ms | %.2f ms | %d | %s |%n",
            r.get("patients").asInt(), r.get("storeResources").asLong(), r.get("loadSeconds").asDouble(),
            r.get("storeHeapUsedAfterGcKb").asLong() / 1024.0, u.get("p50Ms").asDouble(), u.get("p99Ms").asDouble(),
            u.get("serverCpuMsPerCall").asDouble(), c.get("p50Ms").asDouble(), c.get("p90Ms").asDouble(), c.get("p99Ms").asDouble(),
            c.get("serverCpuMsPerCall").asDouble(), c.get("storeCpuMsPerCall").asDouble(), c.get("errors").asLong(),
            c.get("loadAvg").asText()));
      }
      md.append('\n');
      series.put("Custos p50 per call (patients)", relative(patients.get("rows"), r -> r.get("patients").asDouble(),
          r -> r.get("custos").get("p50Ms").asDouble()));
      series.put("Custos CPU per call (patients)", relative(patients.get("rows"), r -> r.get("patients").asDouble(),
          r -> r.get("custos").get("serverCpuMsPerCall").asDouble()));
    }
    JsonNode ledger = read(dir.resolve("ledger.json"));
    if (ledger != null) {
      section(md, when, "Audit ledger size", meta("ledger", ledger.get("meta")),
          "| entries | last appends measured | time per append (amortised) | appends/s | append latency p50 / p99 "
              + "| last 100k-block appends/s | `audit verify` | verify entries/s | verify wall (JVM incl.) | reopen | on disk | load avg |\n"
              + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (JsonNode r : ledger.get("sizes")) {
        md.append(String.format(Locale.ROOT, "| %,d | %,d | %.1f µs | %,d | %.1f / %.1f ms | %s | %.3f s | %,d | %.1f s | %,d ms | %.0f MB | %s |%n",
            r.get("entries").asLong(), r.get("windowAppends").asLong(), r.get("windowMicrosPerAppend").asDouble(),
            r.get("windowAppendsPerSecond").asLong(), r.get("windowLatencyP50Micros").asDouble() / 1000,
            r.get("windowLatencyP99Micros").asDouble() / 1000,
            r.get("lastBlockAppendsPerSecond").isNull() ? "-" : String.format(Locale.ROOT, "%,d", r.get("lastBlockAppendsPerSecond").asLong()),
            r.path("verifySeconds").asDouble(), r.path("verifyEntriesPerSecond").asLong(), r.get("verifyWallSeconds").asDouble(),
            r.get("reopenMillis").asLong(), r.get("diskBytes").asLong() / 1e6, r.get("loadAvg").asText()));
      }
      JsonNode blocks = ledger.get("blocks");
      if (blocks.size() > 1) {
        md.append(String.format(Locale.ROOT, "%nDurable appends/s per block of 100,000 while filling: first block %,d; "
            + "median of the first ten blocks %,d; median of the last ten blocks %,d (of %d blocks).%n",
            blocks.get(0).get("appendsPerSecond").asLong(), median(blocks, 0, Math.min(10, blocks.size())),
            median(blocks, Math.max(0, blocks.size() - 10), blocks.size()), blocks.size()));
        series.put("time per append, 100k blocks (ledger)", relative(blocks, r -> r.get("size").asDouble(),
            r -> 1 / r.get("appendsPerSecond").asDouble()));
      }
      md.append('\n');
      series.put("time per append (ledger)", relative(ledger.get("sizes"), r -> r.get("entries").asDouble(),
          r -> r.get("windowMicrosPerAppend").asDouble()));
      series.put("verify time per entry (ledger)", relative(ledger.get("sizes"), r -> r.get("entries").asDouble(),
          r -> r.path("verifySeconds").asDouble() / r.get("entries").asDouble()));
    }
    JsonNode sessions = read(dir.resolve("sessions.json"));
    if (sessions != null) {
      section(md, when, "Open MCP sessions", meta("sessions", sessions.get("meta")),
          "| server | open sessions | time to open (8 at a time) | sessions/s | used heap after GC: none -> open | per session | load avg |\n"
              + "|---|---|---|---|---|---|---|\n");
      for (var server : List.of("custos", "bare")) {
        for (JsonNode r : sessions.get("servers").get(server)) {
          md.append(String.format(Locale.ROOT, "| %s | %,d | %.2f s | %,d | %.1f -> %.1f MB | %,d B | %s |%n", server,
              r.get("sessions").asInt(), r.get("openSecondsTotal").asDouble(), r.get("sessionsPerSecond").asLong(),
              r.get("heapUsedAfterGcBaseKb").asLong() / 1024.0, r.get("heapUsedAfterGcKb").asLong() / 1024.0,
              r.get("perSessionBytes").asLong(), r.get("step").get("loadAvg").asText()));
        }
        series.put(server + " heap per session (sessions)", relative(sessions.get("servers").get(server),
            r -> r.get("sessions").asDouble(), r -> r.get("perSessionBytes").asDouble()));
      }
      series.put("custos open time per session (sessions)", relative(sessions.get("servers").get("custos"),
          r -> r.get("sessions").asDouble(), r -> r.get("openSecondsTotal").asDouble() / r.get("sessions").asDouble()));
      md.append('\n');
    }
    md.append("![cost per unit of work relative to the smallest size](scaling.svg)\n");
    Files.writeString(dir.resolve("scaling.md"), md);
    Files.writeString(dir.resolve("scaling.svg"), SvgPlot.relativeGrowth("How cost per unit of work grows with the size",
        String.join("; ", when.stream().map(w -> w.substring(0, w.indexOf(", nproc"))).toList()) + " UTC; nproc "
            + Runtime.getRuntime().availableProcessors() + "; load average in scaling.md", series));
    System.out.print(md);
  }

  private static void section(StringBuilder md, List<String> when, String title, String meta, String header) {
    when.add(meta);
    md.append("## ").append(title).append("\n\n").append(meta).append("\n\n").append(header);
  }

  private static long median(JsonNode blocks, int from, int to) {
    List<Long> v = new ArrayList<>();
    for (int i = from; i < to; i++) {
      v.add(blocks.get(i).get("appendsPerSecond").asLong());
    }
    v.sort(null);
    return v.get(v.size() / 2);
  }

  /** Points (size / first size, cost / first cost). */
  private static List<double[]> relative(JsonNode rows, ToDoubleFunction<JsonNode> size, ToDoubleFunction<JsonNode> cost) {
    List<double[]> out = new ArrayList<>();
    double s0 = size.applyAsDouble(rows.get(0));
    double c0 = cost.applyAsDouble(rows.get(0));
    for (JsonNode r : rows) {
      out.add(new double[] {size.applyAsDouble(r) / s0, c0 == 0 ? 1 : cost.applyAsDouble(r) / c0});
    }
    return out;
  }

  private static String meta(String what, JsonNode m) {
    return String.format(Locale.ROOT, "%s: %s, nproc %s, %s", what, m.get("date").asText().substring(0, 16),
        m.get("nproc").asText(), m.get("jdk").asText());
  }

  private static JsonNode read(Path file) throws IOException {
    return Files.exists(file) ? McpBenchClient.JSON.readTree(file.toFile()) : null;
  }
}
