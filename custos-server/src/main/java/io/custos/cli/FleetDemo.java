package io.custos.cli;

import io.custos.mcp.http.SelfSignedCertificate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code custos demo --replicas N}: the demo as a fleet. A development PostgreSQL ({@code scripts/devpostgres.sh})
 * holds the one audit ledger and the shared state; N replicas ({@code custos serve}, each its own process and data
 * directory, one shared key directory) serve plain HTTP on loopback; HAProxy in front terminates TLS 1.3 and balances
 * them: 2026-07-28 requests (stateless) go to any replica, a 2025-11-25 session sticks to the replica that created it
 * (by {@code Mcp-Session-Id}), a compliance-console sign-in to the replica holding its session (by its cookie), and a request refused by a draining replica (503) or cut by a dead one is retried on
 * another.
 */
final class FleetDemo {
  /** Debian's package; the demo names it when it is missing. */
  static final String HAPROXY = "haproxy";

  private FleetDemo() {}

  /** One replica: its process id and its direct (unbalanced) endpoint. */
  record Replica(long pid, String endpoint) {}

  /**
   * The running fleet.
   *
   * @param endpoint  the balancer's MCP endpoint (TLS 1.3)
   * @param caCert    the balancer's self-signed certificate (PEM) for clients to trust
   * @param replicas  every replica
   * @param ledger    the shared ledger's JDBC URL, as {@code custos audit verify --ledger} accepts it
   * @param publicKey the checkpoint verifier key to pass as {@code --public-key}
   */
  record Fleet(String endpoint, Path caCert, List<Replica> replicas, String ledger, Path publicKey) {}

  /** Writes one replica's custos.yaml: given its port, data directory and the shared parts. */
  @FunctionalInterface
  interface ReplicaConfig {
    void write(Path file, int port, Path dataDir, String extraYaml) throws IOException;
  }

  /** Where {@code haproxy} is, if installed. */
  static Optional<Path> haproxy() {
    for (String dir : List.of("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")) {
      Path p = Path.of(dir, HAPROXY);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Starts PostgreSQL, the replicas and the balancer, each registered in {@code started} for stopping.
   *
   * @param lbPort the balancer's port (the audience of the demo tokens)
   * @throws IOException if a part does not start (its log names why)
   */
  static Fleet start(Path demo, int replicas, int lbPort, ReplicaConfig config, Deque<AutoCloseable> started)
      throws IOException, InterruptedException {
    Path haproxy = haproxy().orElseThrow(() -> new IOException("HAProxy is not installed; on Debian or Ubuntu run: "
        + "sudo apt-get install haproxy"));
    Map<?, ?> pg = DemoCommand.helper(started, "devpostgres.sh", "--data", demo.resolve("postgres").toString());
    String jdbc = (String) pg.get("jdbc_url");
    System.err.println("demo: PostgreSQL ready for the fleet's ledger and state");
    String database = """
        database:
          jdbcUrl: %s
          user: postgres
        keysDir: %s
        """.formatted(jdbc, demo.resolve("data").resolve("keys"));
    // The replica JVMs are started directly (not through the launcher script), so that a replica's pid is its JVM:
    // SIGTERM drains it, SIGKILL kills it.
    List<String> jvm = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dcustos.home=" + SyntheaCommand.home(), "-XX:+UseSerialGC", "-Xlog:disable", "-Xlog:all=warning:stderr", "-jar",
        SyntheaCommand.home().resolve("custos-server/target/custos.jar").toString());
    List<Replica> out = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    for (int i = 1; i <= replicas; i++) {
      int port = DemoCommand.freePort();
      Path file = demo.resolve("replica-" + i + ".yaml");
      config.write(file, port, demo.resolve("data-replica-" + i), database);
      List<String> cmd = new ArrayList<>(jvm);
      cmd.addAll(List.of("serve", "--config", file.toString()));
      Process p = new ProcessBuilder(cmd)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(demo.resolve("replica-" + i + ".log").toFile()).start();
      started.push(() -> stop(p));
      processes.add(p);
      ports.add(port);
      out.add(new Replica(p.pid(), "http://127.0.0.1:" + port + "/mcp"));
      if (i == 1) {
        // The first alone: it migrates the schema and claims the ledger origin that the others then find.
        awaitReady(port, p, demo.resolve("replica-1.log"));
      }
    }
    for (int i = 1; i < replicas; i++) {
      awaitReady(ports.get(i), processes.get(i), demo.resolve("replica-" + (i + 1) + ".log"));
    }
    System.err.println("demo: " + replicas + " replicas ready on 127.0.0.1 ports " + ports);
    SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(demo.resolve("balancer-tls"));
    Path pem = demo.resolve("balancer-tls").resolve("haproxy.pem");
    Files.deleteIfExists(pem);
    Files.createFile(pem, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))); // owner-only before the key is in it
    Files.writeString(pem, Files.readString(cert.certificate()) + Files.readString(cert.privateKey()));
    Path cfg = demo.resolve("haproxy.cfg");
    Files.writeString(cfg, haproxyConfig(lbPort, pem, ports));
    Process lb = new ProcessBuilder(haproxy.toString(), "-db", "-f", cfg.toString())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(demo.resolve("haproxy.log").toFile()).start();
    started.push(() -> stop(lb));
    awaitPort(lbPort, lb, demo.resolve("haproxy.log"));
    Path vkey = demo.resolve("data-replica-1").resolve("ledger").resolve(io.custos.audit.ledger.CheckpointSigner.VKEY_FILE);
    return new Fleet("https://127.0.0.1:" + lbPort + "/mcp", cert.certificate(), out, jdbc + "?user=postgres", vkey);
  }

  /**
   * The balancer: TLS 1.3 termination; round robin over replicas whose {@code /readyz} answers 200 (a replica that
   * answers a 5xx, as a draining one does, or cannot be reached is taken out at once until two checks pass); a 2025-11-25
   * session sticks to the replica that answered its {@code initialize} (learned from the response's
   * {@code Mcp-Session-Id}); L7 retries of a request a replica refused while draining (503, nothing done) or never
   * answered (connection failure, or an empty response after a crash) on another replica. A request a crashed replica
   * had already carried out runs again: harmless for reads (both are audited), and the write flow's commit is exactly
   * once, so a repeated commit is answered as already used; a balancer for production may limit retries to 503.
   */
  static String haproxyConfig(int port, Path pem, List<Integer> replicaPorts) {
    StringBuilder servers = new StringBuilder();
    for (int i = 0; i < replicaPorts.size(); i++) {
      servers.append("  server replica-").append(i + 1).append(" 127.0.0.1:").append(replicaPorts.get(i))
          .append(" check inter 500ms fall 1 rise 2 observe layer7 error-limit 1 on-error mark-down\n");
    }
    return """
        # Written by `custos demo --replicas`. No request logging: URLs and headers could carry identifiers.
        global
          maxconn 2000
        defaults
          mode http
          timeout connect 2s
          timeout client 120s
          timeout server 120s
          timeout http-request 10s
          option http-buffer-request
          retries 6
          option redispatch 1
          retry-on conn-failure empty-response 503
        frontend custos
          bind 127.0.0.1:%d ssl crt %s ssl-min-ver TLSv1.3 alpn http/1.1
          default_backend replicas
        backend replicas
          balance roundrobin
          option httpchk
          http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
          http-check expect status 200
          stick-table type string len 128 size 100k expire 60m
          stick on req.hdr(Mcp-Session-Id)
          stick store-response res.hdr(Mcp-Session-Id)
          stick on req.cook(__Host-custos-console)
          stick store-response res.cook(__Host-custos-console)
        %s""".formatted(port, pem, servers);
  }

  private static void awaitReady(int port, Process p, Path log) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("a replica ended before it was ready (exit " + p.exitValue() + "); see " + log);
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new IOException("a replica was not ready within 3 minutes; see " + log);
  }

  private static void awaitPort(int port, Process p, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("HAProxy ended (exit " + p.exitValue() + "); see " + log);
      }
      try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new IOException("HAProxy did not listen within 30 s; see " + log);
  }

  /** SIGTERM (a replica drains and writes its final checkpoint), then waits up to 30 s before SIGKILL. */
  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  /** The fleet's part of connection.json. */
  static Map<String, Object> connection(Fleet f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("replicas", f.replicas().stream().map(r -> Map.of("pid", r.pid(), "endpoint", r.endpoint())).toList());
    m.put("ledger", f.ledger());
    m.put("ledger_public_key", f.publicKey().toString());
    return m;
  }
}
