package io.custos.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * Stdio overhead: per-call latency of {@code tools/call get_active_conditions} over stdio, the bare MCP SDK stdio
 * server ({@link BareSdkStdioServer}) against {@code java -jar custos.jar serve --stdio} (oauth mode, the token from
 * {@code --token-file}, checked on every call; full pipeline and durable audit), both children of this process and
 * clients of the same upstream ({@link BenchUpstream}, its own JVM).
 *
 * <p>Closed loop, one call in flight: newline-delimited JSON-RPC written to the child's standard input, latency from
 * before the write to the parsed response line with the same id (MCP stdio transport). After {@code initialize} and
 * a warm-up of {@code --warmup-calls} calls each, the measured calls alternate between the two servers call by
 * call, so drift in the machine's load falls on both alike. A call counts only if its result has {@code isError}
 * false. Writes {@code results.json} and {@code results.csv}; the summary's {@code addedP50Ms} is Custos's median minus
 * the bare server's.
 *
 * <p>Options (defaults): {@code --out DIR --jar PATH --calls 3000 --warmup-calls 3000}.
 */
public final class StdioBench {
  private StdioBench() {}

  /** One stdio server child: protocol on its standard streams, standard error to a log file. */
  static final class Child implements AutoCloseable {
    final String name;
    private final Process process;
    private final OutputStream in;
    private final BufferedReader out;
    private long ids;

    Child(String name, List<String> command, Path log) throws IOException {
      this.name = name;
      Files.createDirectories(log.getParent());
      process = new ProcessBuilder(command).redirectError(log.toFile()).start();
      in = process.getOutputStream();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Sends one request and returns its response (notifications and other ids are skipped). */
    JsonNode request(String method, String params) throws IOException {
      long id = ++ids;
      send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}");
      String line;
      while ((line = out.readLine()) != null) {
        JsonNode m = McpBenchClient.JSON.readTree(line);
        if (m.path("id").asLong(-1) == id) {
          return m;
        }
      }
      throw new IOException(name + " closed its output; see its log");
    }

    void send(String message) throws IOException {
      in.write((message + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    /** {@code initialize} and {@code notifications/initialized}. */
    void open() throws IOException {
      JsonNode init = request("initialize", "{\"protocolVersion\":\"" + McpBenchClient.VERSION
          + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"custos-bench\",\"version\":\"1.0\"}}");
      if (!init.has("result")) {
        throw new IOException(name + ": initialize failed: " + init.path("error").path("code").asInt());
      }
      send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    /** One {@code tools/call}: null on success, else a short error category. */
    String call(String tool, String arguments) throws IOException {
      JsonNode r = request("tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}");
      if (r.has("error")) {
        return "rpc:" + r.path("error").path("code").asInt();
      }
      return r.path("result").path("isError").asBoolean(false) ? "tool:isError" : null;
    }

    /** Closes standard input (both servers end on it or are ended after 10 s). */
    @Override
    public void close() throws IOException, InterruptedException {
      in.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results/stdio")).toAbsolutePath();
    Path jar = Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath();
    int calls = Integer.parseInt(a.getOrDefault("calls", "3000"));
    int warmupCalls = Integer.parseInt(a.getOrDefault("warmup-calls", "3000"));
    Files.createDirectories(out);
    Map<String, Object> meta = BenchMain.meta(argv);
    BenchMain.log("stdio start " + meta);
    String cp = System.getProperty("java.class.path");
    MockOAuth2Server oauth = new MockOAuth2Server();
    List<LoadDriver.Result> results = new ArrayList<>();
    try (BenchProcess upstream = BenchMain.startUpstream(out, cp)) {
      oauth.start(InetAddress.getByName("127.0.0.1"), 0);
      BenchUsers.Pair pair = BenchUsers.pairs().get(0);
      Path custosDir = out.resolve("custos");
      Path config = BenchMain.writeCustosConfig(custosDir, upstream.ready, oauth);
      Path tokenFile = custosDir.resolve("token");
      Files.writeString(tokenFile, BenchUsers.token(oauth, pair.practitionerId()));
      String arguments = "{\"patient_id\":\"" + pair.patientId() + "\"}";
      try (Child bare = new Child("bare", BenchMain.cmd(List.of("-cp", cp, BareSdkStdioServer.class.getName(),
              upstream.ready)), out.resolve("logs/bare-stdio.log"));
          Child custos = new Child("custos", BenchMain.cmd(List.of("-jar", jar.toString(), "serve", "--stdio", "--config",
              config.toString(), "--token-file", tokenFile.toString())), out.resolve("logs/custos-stdio.log"))) {
        List<Child> servers = List.of(bare, custos);
        for (Child c : servers) {
          c.open();
          LoadDriver.Intervals warm = new LoadDriver.Intervals();
          long t0 = System.nanoTime();
          for (int i = 0; i < warmupCalls; i++) {
            long s = System.nanoTime();
            warm.record(s, c.call("get_active_conditions", arguments));
          }
          BenchMain.log("warmup " + warm.next(c.name, "stdio", 0, 1, (System.nanoTime() - t0) / 1e9).summary());
        }
        List<LoadDriver.Intervals> sinks = List.of(new LoadDriver.Intervals(), new LoadDriver.Intervals());
        long[] busyNanos = new long[2];
        String load = BenchMain.loadAvg();
        for (int i = 0; i < calls; i++) {
          for (int k = 0; k < 2; k++) {
            long s = System.nanoTime();
            String error = servers.get(k).call("get_active_conditions", arguments);
            sinks.get(k).record(s, error);
            busyNanos[k] += System.nanoTime() - s;
          }
        }
        meta.put("loadAvgMeasured", load + " -> " + BenchMain.loadAvg());
        for (int k = 0; k < 2; k++) {
          LoadDriver.Result r = sinks.get(k).next(servers.get(k).name, "stdio", 0, 1, busyNanos[k] / 1e9);
          BenchMain.log(r.summary());
          results.add(r);
        }
      }
    } finally {
      oauth.shutdown();
    }
    meta.put("loadAvgEnd", BenchMain.loadAvg());
    write(out, meta, results);
  }

  private static void write(Path out, Map<String, Object> meta, List<LoadDriver.Result> results) throws IOException {
    LoadDriver.Result bare = results.get(0);
    LoadDriver.Result custos = results.get(1);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("p50BareMs", bare.p50());
    summary.put("p50CustosMs", custos.p50());
    summary.put("addedP50Ms", Math.round((custos.p50() - bare.p50()) * 1000) / 1000.0);
    summary.put("p99BareMs", bare.p99());
    summary.put("p99CustosMs", custos.p99());
    summary.put("addedP99Ms", Math.round((custos.p99() - bare.p99()) * 1000) / 1000.0);
    summary.put("addedP50AtMost1Ms", custos.p50() - bare.p50() <= 1.0 && bare.errors() == 0 && custos.errors() == 0);
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("meta", meta);
    all.put("summary", summary);
    all.put("runs", results);
    String json = McpBenchClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all);
    Files.writeString(out.resolve("results.json"), json);
    StringBuilder csv = new StringBuilder("target,calls,errors,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms\n");
    for (LoadDriver.Result r : results) {
      csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f%n", r.target(), r.ok(), r.errors(),
          r.p50(), r.p90(), r.p99(), r.p999(), r.max(), r.mean()));
    }
    Files.writeString(out.resolve("results.csv"), csv);
    BenchMain.log("stdio summary " + summary);
  }
}
