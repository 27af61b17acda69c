package io.custos.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Cold start to ready: wall time from launching {@code java -jar custos.jar serve --config X} (a new JVM) to the
 * first {@code 200} from {@code /readyz}, polled every 5 ms. No data loading: the upstream and the identity provider's
 * JWKS are a stub in this process that answers the readiness probes ({@code GET /fhir/metadata}, {@code GET /jwks})
 * at once. Run 1 uses a fresh data directory, so it also generates the ledger
 * keys, pseudonym key and TLS certificate; the remaining runs reuse that directory (an ordinary restart, which
 * also reopens and checks the ledger tail). Writes {@code coldstart.json}.
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.ColdStart --jar custos.jar --out DIR --runs N}
 */
public final class ColdStart {
  private ColdStart() {}

  /** Answers the upstream's capability statement and a one-key JWK Set, as a ready deployment's dependencies would. */
  private static com.sun.net.httpserver.HttpServer readinessStub() throws IOException {
    var stub = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    Map.of("/fhir/metadata", "{\"resourceType\":\"CapabilityStatement\"}", "/jwks", "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}")
        .forEach((path, body) -> stub.createContext(path, x -> {
          byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
          x.sendResponseHeaders(200, b.length);
          x.getResponseBody().write(b);
          x.close();
        }));
    stub.start();
    return stub;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results/coldstart")).toAbsolutePath();
    Path jar = Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath();
    int runs = Integer.parseInt(a.getOrDefault("runs", "10"));
    Files.createDirectories(out);
    Path dir = out.resolve("server");
    BenchMain.deleteTree(dir);
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    com.sun.net.httpserver.HttpServer stub = readinessStub();
    int stubPort = stub.getAddress().getPort();
    Path config = dir.resolve("custos.yaml");
    Files.writeString(config, """
        server:
          host: 127.0.0.1
          port: %d
          tls: tls13
        upstream:
          baseUrl: http://127.0.0.1:%d/fhir
        identity:
          mode: oauth
          issuer: https://idp.invalid/realms/custos
          jwksUri: http://127.0.0.1:%d/jwks
          audience: https://custos.bench/mcp
        dataDir: %s
        """.formatted(port, stubPort, stubPort, dir.resolve("data")));
    HttpClient poller = HttpClient.newBuilder().sslContext(McpBenchClient.trustAllLoopbackOnly())
        .connectTimeout(Duration.ofMillis(500)).version(HttpClient.Version.HTTP_1_1).build();
    URI readyz = URI.create("https://127.0.0.1:" + port + "/readyz");
    List<Map<String, Object>> results = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      String load = BenchMain.loadAvg();
      List<String> cmd = BenchMain.cmd(List.of("-jar", jar.toString(), "serve", "--config", config.toString()));
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(out.resolve("run-" + i + ".log").toFile()).start();
      double ms = -1;
      long cpuMs = -1; // CPU time (all threads: main, JIT compilers, GC) the server used up to ready
      long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && p.isAlive()) {
        try {
          HttpResponse<Void> r = poller.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).GET().build(),
              HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            ms = (System.nanoTime() - t0) / 1e6;
            cpuMs = p.toHandle().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
            break;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(5);
      }
      p.destroy(); // SIGTERM: the shutdown hook closes the ledger with its final checkpoint
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("run", i);
      m.put("freshDataDir", i == 1);
      m.put("readyMs", ms);
      m.put("cpuMsAtReady", cpuMs);
      m.put("loadAvg", load);
      results.add(m);
      BenchMain.log(String.format(Locale.ROOT, "cold start run %d%s: %.0f ms to /readyz 200, %d ms CPU (load %s)", i,
          i == 1 ? " (fresh data dir)" : "", ms, cpuMs, load));
    }
    double[] warm = results.stream().filter(m -> !(Boolean) m.get("freshDataDir"))
        .mapToDouble(m -> (Double) m.get("readyMs")).sorted().toArray();
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("date", Instant.now().toString());
    all.put("nproc", Runtime.getRuntime().availableProcessors());
    all.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    all.put("serverJvmFlags", String.join(" ", BenchProcess.serverJvmFlags()));
    all.put("command", String.join(" ", BenchMain.cmd(List.of("-jar", jar.toString(), "serve", "--config", config.toString()))));
    if (warm.length > 0) {
      all.put("restartMedianMs", warm[warm.length / 2]);
      all.put("restartMinMs", warm[0]);
      all.put("restartMaxMs", warm[warm.length - 1]);
    }
    all.put("runs", results);
    stub.stop(0);
    McpBenchClient.JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("coldstart.json").toFile(), all);
    BenchMain.log("cold start summary " + McpBenchClient.JSON.writeValueAsString(all));
  }
}
