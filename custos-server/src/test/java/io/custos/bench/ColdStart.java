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
import java.util.stream.Stream;

/**
 * Cold start to ready: wall time from launching {@code java -jar custos.jar serve --config X} (a new JVM) to the
 * first {@code 200} from {@code /readyz}, polled every 5 ms. No data loading: the upstream and the identity provider's
 * JWKS are a stub in this process that answers the readiness probes ({@code GET /fhir/metadata}, {@code GET /jwks})
 * at once. Run 1 uses a fresh data directory, so it also generates the ledger
 * keys, pseudonym key and TLS certificate; the remaining runs reuse that directory (an ordinary restart, which
 * also reopens and checks the ledger tail). Writes {@code coldstart.json}.
 *
 * <p>With {@code --launcher ./custos} the product's own launcher starts the server instead (its JDK choice, JVM flags and
 * class-data cache): the caches of the current jar are deleted first, so run 1 records the classes it uses, run 2
 * starts the cache build in the background, and the tool waits for the cache before runs 3..N, which use it. Each
 * run records whether a cache existed when it started.
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.ColdStart (--jar custos.jar | --launcher ./custos) --out DIR --runs N}
 */
public final class ColdStart {
  private ColdStart() {}

  /**
   * Answers the upstream's capability statement (the development store's, so the start-up capability check passes)
   * and a one-key JWK Set, as a ready deployment's dependencies would, without doing their work.
   */
  private static com.sun.net.httpserver.HttpServer readinessStub() throws IOException, InterruptedException {
    String metadata;
    try (var store = io.custos.fhir.store.EmbeddedFhirStore.builder().port(0).enrich(false).build().start()) {
      metadata = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(store.baseUrl() + "/metadata")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    }
    var stub = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    Map.of("/fhir/metadata", metadata, "/jwks", "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}")
        .forEach((path, body) -> stub.createContext(path, x -> {
          byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
          x.getResponseHeaders().set("Content-Type", path.endsWith("metadata") ? "application/fhir+json" : "application/json");
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
    java.util.Optional<Path> launcher = java.util.Optional.ofNullable(a.get("launcher")).map(l -> Path.of(l).toAbsolutePath());
    Path target = jar.getParent();
    if (launcher.isPresent()) {
      deleteCaches(target);
    }
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
      List<String> cmd = command(launcher, jar, config);
      boolean cached = launcher.isPresent() && hasCache(target);
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
            // The launcher may run the JVM as its child (the first, recording run): count the whole process tree.
            cpuMs = Stream.concat(Stream.of(p.toHandle()), p.toHandle().descendants())
                .mapToLong(h -> h.info().totalCpuDuration().map(Duration::toMillis).orElse(0L)).sum();
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
      m.put("classDataCache", cached);
      m.put("readyMs", ms);
      m.put("cpuMsAtReady", cpuMs);
      m.put("loadAvg", load);
      results.add(m);
      BenchMain.log(String.format(Locale.ROOT, "cold start run %d%s%s: %.0f ms to /readyz 200, %d ms CPU (load %s)", i,
          i == 1 ? " (fresh data dir)" : "", cached ? " (class-data cache)" : "", ms, cpuMs, load));
      if (launcher.isPresent() && i == 2) {
        awaitCache(target);
      }
    }
    double[] warm = results.stream().filter(m -> !(Boolean) m.get("freshDataDir"))
        .filter(m -> launcher.isEmpty() || (Boolean) m.get("classDataCache"))
        .mapToDouble(m -> (Double) m.get("readyMs")).sorted().toArray();
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("date", Instant.now().toString());
    all.put("nproc", Runtime.getRuntime().availableProcessors());
    all.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    all.put("serverJvmFlags", String.join(" ", BenchProcess.serverJvmFlags()));
    all.put("command", String.join(" ", command(launcher, jar, config)));
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

  private static List<String> command(java.util.Optional<Path> launcher, Path jar, Path config) {
    return launcher.map(l -> List.of(l.toString(), "serve", "--config", config.toString()))
        .orElseGet(() -> BenchMain.cmd(List.of("-jar", jar.toString(), "serve", "--config", config.toString())));
  }

  /** The launcher's class-data caches and their records: {@code custos-<jar mtime>-<size>.*} beside the jar. */
  private static List<Path> caches(Path target) throws IOException {
    try (var files = Files.list(target)) {
      return files.filter(f -> f.getFileName().toString().matches("custos-\\d+-\\d+\\..+")).toList();
    }
  }

  private static boolean hasCache(Path target) throws IOException {
    return caches(target).stream().anyMatch(f -> f.toString().endsWith(".aot") || f.toString().endsWith(".jsa"));
  }

  private static void deleteCaches(Path target) throws IOException {
    for (Path f : caches(target)) {
      Files.delete(f);
    }
  }

  private static void awaitCache(Path target) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!hasCache(target) && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    BenchMain.log(hasCache(target) ? "class-data cache built" : "class-data cache not built within 3 minutes");
  }
}
