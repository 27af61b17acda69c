package io.custos.cli;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.config.CustosConfig;
import io.custos.fhir.HapiFhirUpstream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code custos demo}: Synthea patients (generated once, cached in {@code .custos-demo/}), the development FHIR R4
 * store (module custos-devstore, a child process) with free appointment slots in the coming days, the development
 * identity provider (a child process) with one user per role ({@link DemoRole}), and the MCP server over HTTPS, with connection details and a token per role in
 * {@code .custos-demo/connection.json}. Ctrl-C stops everything. {@code custos demo token --role R} prints a fresh
 * token of the running demo.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the full demo on synthetic patients.",
    subcommands = DemoCommand.TokenCommand.class)
final class DemoCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The compliance console's client id at the demo identity provider. */
  static final String CONSOLE_CLIENT = "custos-console";
  /** The console role of the demo's privacy officer. */
  static final String PRIVACY_OFFICER_ROLE = "privacy-officer";

  @Option(names = "--patients", defaultValue = "20", description = "Synthetic patients to generate on first run.")
  int patients;

  @Option(names = "--seed", defaultValue = "7", description = "Synthea seed.")
  long seed;

  @Option(names = "--port", defaultValue = "8443", description = "HTTPS port of the MCP endpoint (0 = any free port).")
  int port;

  @Option(names = "--dir", description = "Demo state directory (default: .custos-demo in the project).")
  Path dir;

  @Option(names = "--replicas", defaultValue = "1", description = "Run N >= 2 replicas on a shared PostgreSQL behind"
      + " HAProxy (Debian package haproxy); default 1 (one in-process server).")
  int replicas;

  @Option(names = "--fleet", description = "Run the fleet layout (PostgreSQL, HAProxy) even with one replica"
      + " (to compare 1, 2 and 3 replicas).")
  boolean fleet;

  @Option(names = "--rate-limit", description = "Calls per user and minute (policy.rateLimitPerMinute; default the"
      + " configuration's 120). For load tests.")
  Integer rateLimit;

  /** The legacy SQL database of the same patients, when their CSV export is there. */
  private java.util.Optional<LegacyDatabase> legacy = java.util.Optional.empty();

  @Override
  public Integer call() throws Exception {
    if (replicas < 1 || replicas > 8) {
      System.err.println("demo: --replicas must be 1..8");
      return 2;
    }
    fleet = fleet || replicas > 1;
    if (fleet && FleetDemo.haproxy().isEmpty()) {
      System.err.println("demo: --replicas needs HAProxy; install it first (Debian/Ubuntu: sudo apt-get install haproxy)");
      return 1;
    }
    Path demo = directory(dir);
    Path synthea = demo.resolve("synthea");
    List<String> patientIds = patientIds(synthea);
    if (patientIds.isEmpty()) {
      System.err.println("demo: generating " + patients + " Synthea patients (first run only)...");
      int rc = SyntheaCommand.run(patients, seed, synthea, true);
      if (rc != 0) {
        System.err.println("demo: Synthea failed (exit " + rc + ")");
        return rc;
      }
      patientIds = patientIds(synthea);
    } else {
      System.err.println("demo: reusing " + patientIds.size() + " patients from " + synthea);
    }

    // Everything started is stopped in reverse order on exit (Ctrl-C) or when the start fails.
    java.util.Deque<AutoCloseable> started = new java.util.concurrent.ConcurrentLinkedDeque<>();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopAll(started);
      System.err.println("demo: stopped");
      stop.countDown();
    }));
    try {
      legacy = LegacyDatabase.start(demo, synthea, started);
      start(demo, synthea, patientIds.size(), started);
    } catch (Exception e) {
      stopAll(started);
      throw e;
    }
    stop.await();
    return 0;
  }

  private void start(Path demo, Path synthea, int patientCount, java.util.Deque<AutoCloseable> started) throws Exception {
    Path home = SyntheaCommand.home();
    // The development FHIR store runs as its own process (module custos-devstore), never on the server's class
    // path. Synthea's history ends at a fixed instant; appointments and free Slots are placed after now, so that
    // book_appointment can book.
    String fhirBase = (String) helper(started, "devstore.sh", "--data", synthea.toString(),
        "--reference", "2026-01-01T00:00:00Z", "--schedule-start", "now").get("base_url");
    int httpPort = port != 0 ? port : freePort();
    String audience = "https://127.0.0.1:" + httpPort + "/mcp";
    DemoClinician.Cast cast = DemoClinician.choose(
        new HapiFhirUpstream(FhirContext.forR4Cached(), fhirBase, java.time.Duration.ofSeconds(60), List.of()));
    List<String> ordered = cast.patients();

    // Development identity provider (demo only): real signed tokens, validated like a production IdP's.
    Path identities = demo.resolve("identities.json");
    Map<String, Object> users = new LinkedHashMap<>();
    for (DemoRole role : DemoRole.values()) {
      users.put(role.id(), Map.of("sub", role.subject(), "claims", role.claims(cast)));
    }
    // The compliance console's demo privacy officer (signs in on the provider's login page as demo-privacy-officer).
    users.put(PRIVACY_OFFICER_ROLE, Map.of("sub", "demo-" + PRIVACY_OFFICER_ROLE, "claims", Map.of("roles", List.of(PRIVACY_OFFICER_ROLE))));
    JSON.writerWithDefaultPrettyPrinter().writeValue(identities.toFile(), users);
    Map<?, ?> idpInfo = helper(started, "devidp.sh", "--audience", audience, "--identities", identities.toString());
    URI tokenEndpoint = URI.create((String) idpInfo.get("token_endpoint"));
    Map<String, String> tokens = new LinkedHashMap<>();
    Instant expiresAt = Instant.MAX;
    for (DemoRole role : DemoRole.values()) {
      DemoTokens.Token token = DemoTokens.mint(tokenEndpoint, role);
      tokens.put(role.id(), token.accessToken());
      expiresAt = token.expiresAt().isBefore(expiresAt) ? token.expiresAt() : expiresAt;
    }
    String clinicianToken = tokens.get(DemoRole.CLINICIAN.id());
    Path tokenFile = demo.resolve("token");
    Files.writeString(tokenFile, clinicianToken);
    restrict(tokenFile);

    Path configFile = demo.resolve("custos.yaml");
    // Misuse detection: the staff directory from the store's Practitioners, and the last patient as the demo's VIP.
    String vip = ordered.get(ordered.size() - 1);
    String sqlSection = legacy.map(LegacyDatabase::configSection).orElse("")
        + (rateLimit == null ? "" : "policy:\n  rateLimitPerMinute: " + rateLimit + "\n") + """
        detection:
          zone: UTC
          workingHours: "07:00-19:00"
          staffDirectory:
            fhir: true
          vipPatients:
            ids: [%s]
        """.formatted(vip);
    System.err.println("demo: misuse detection on (staff directory from FHIR Practitioner, VIP patient " + vip
        + "); alerts go to the audit ledger (ALERT events) and the alert log");
    // The demo's one server also serves Prometheus metrics on a loopback port of its own.
    writeConfig(configFile, httpPort, "tls13", fhirBase, idpInfo, audience, demo.resolve("data"),
        sqlSection + "metrics:\n  port: 0\n");
    // A stdio client runs its own Custos process, which needs its own ledger (a ledger has one writer).
    Path stdioConfig = demo.resolve("custos-stdio.yaml");
    writeConfig(stdioConfig, httpPort, "tls13", fhirBase, idpInfo, audience, demo.resolve("data-stdio"), sqlSection);
    String endpoint;
    Path cert;
    Map<String, Object> fleetInfo = Map.of();
    String ledger;
    Path alertLog;
    java.util.Optional<String> metrics = java.util.Optional.empty();
    if (fleet) {
      var running = FleetDemo.start(demo, replicas, httpPort, (file, port, data, extra) ->
          writeConfig(file, port, "plain", fhirBase, idpInfo, audience, data, sqlSection + extra), started);
      endpoint = running.endpoint();
      cert = running.caCert();
      fleetInfo = FleetDemo.connection(running);
      ledger = running.ledger();
      alertLog = demo.resolve("data-replica-1").resolve("alerts.jsonl"); // each replica logs the alerts it raises
    } else {
      ServerAssembly app = new ServerAssembly(CustosConfig.load(configFile));
      started.push(app);
      var http = app.startHttp(false);
      started.push(http);
      endpoint = http.endpoint().toString();
      cert = app.dataDir().resolve("tls").resolve("certificate.pem");
      ledger = app.ledgerDir().toString();
      alertLog = app.alertLog();
      var metricsServer = app.startMetrics().orElseThrow();
      started.push(metricsServer);
      metrics = java.util.Optional.of(metricsServer.endpoint().toString());
    }

    Path custos = home.resolve("custos");
    List<String> stdio = List.of(custos.toString(), "serve", "--stdio", "--config", stdioConfig.toString(),
        "--token-file", tokenFile.toString());
    Map<String, Object> connection = new LinkedHashMap<>();
    connection.put("endpoint", endpoint);
    String console = endpoint.replaceFirst("/mcp$", "/console/");
    connection.put("console", Map.of("url", console, "privacy_officer", "demo-" + PRIVACY_OFFICER_ROLE,
        "clinician", DemoRole.CLINICIAN.subject()));
    connection.put("stdio", stdio);
    connection.put("patients", ordered.subList(0, Math.min(5, ordered.size())));
    connection.put("token", clinicianToken);
    connection.put("tokens", tokens);
    // The clinician in their own application (another client id): approves proposals on the approval page.
    connection.put("approval_token", DemoTokens.mint(tokenEndpoint, DemoRole.CLINICIAN, true).accessToken());
    connection.put("token_expires_at", expiresAt.toString());
    connection.put("token_endpoint", tokenEndpoint.toString());
    connection.put("clinician", Map.of("subject", DemoRole.CLINICIAN.subject(), "fhirUser", cast.practitioner(),
        "role", DemoRole.CLINICIAN.id()));
    connection.put("issuer", idpInfo.get("issuer"));
    connection.put("ca_certificate", cert.toString());
    connection.put("fhir_base", fhirBase);
    connection.put("ledger", ledger);
    connection.putAll(fleetInfo);
    connection.put("config", configFile.toString());
    connection.put("alerts", alertLog.toString());
    metrics.ifPresent(u -> connection.put("metrics", u));
    connection.put("stdio_ledger", demo.resolve("data-stdio").resolve("ledger").toString());
    legacy.ifPresent(db -> connection.put("sql", Map.of("jdbc_url", db.jdbcUrl(), "tools", io.custos.sql.LegacySchema.TOOLS)));
    Path connectionFile = demo.resolve("connection.json");
    JSON.writerWithDefaultPrettyPrinter().writeValue(connectionFile.toFile(), connection);
    restrict(connectionFile);

    System.out.println(instructions(endpoint, stdio, cert, cast.patient(), demo));
    if (fleet) {
      System.out.println("Fleet: " + replicas + " replicas behind HAProxy on one PostgreSQL; verify the shared audit trail:\n  "
          + stdio.get(0) + " audit verify --ledger '" + ledger + "' --public-key " + fleetInfo.get("ledger_public_key") + "\n");
    }
    System.out.println("Compliance console: " + console + " (sign in on the demo identity provider's page as demo-"
        + PRIVACY_OFFICER_ROLE + ", or as " + DemoRole.CLINICIAN.subject() + " to approve writes)");
    System.out.println("Alerts: " + alertLog + " (JSON lines; add webhooks, syslog or e-mail under alerts: in "
        + configFile + ")" + metrics.map(u -> "; metrics: " + u).orElse(""));
    System.out.println("Ready: " + endpoint + " (" + patientCount + " patients; details in "
        + connectionFile + ")");
    System.out.flush();
  }

  /**
   * Starts {@code scripts/<script>} (a demo helper module in its own JVM), registers it for stopping and returns the
   * JSON object it prints as its first line of standard output.
   */
  static Map<?, ?> helper(java.util.Deque<AutoCloseable> started, String script, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of(SyntheaCommand.home().resolve("scripts").resolve(script).toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    started.push(p::destroy);
    String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
        java.nio.charset.StandardCharsets.UTF_8)).readLine();
    if (line == null) {
      throw new IllegalStateException(script + " ended before it was ready (exit " + p.waitFor() + ")");
    }
    return JSON.readValue(line, Map.class);
  }

  private static void stopAll(java.util.Deque<AutoCloseable> started) {
    for (AutoCloseable c; (c = started.poll()) != null; ) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("demo: " + e.getClass().getSimpleName() + " while stopping");
      }
    }
  }

  /** The demo state directory: {@code dir}, or {@code .custos-demo} in the project. */
  static Path directory(Path dir) {
    return (dir == null ? SyntheaCommand.home().resolve(".custos-demo") : dir).toAbsolutePath();
  }

  /**
   * {@code custos demo token --role R}: a new token of demo role R from the running demo's identity provider,
   * printed alone on standard output. It carries a fresh {@code auth_time}, so the step-up for break-the-glass
   * (an MFA sign-in of the last few minutes) works with it. Exit 1 when no demo is running in the directory.
   */
  @Command(name = "token", mixinStandardHelpOptions = true,
      description = "Print a fresh token of a demo role (the demo must be running).")
  static final class TokenCommand implements Callable<Integer> {
    @Option(names = "--role", required = true, converter = RoleConverter.class, completionCandidates = RoleNames.class,
        description = "One of: ${COMPLETION-CANDIDATES}.")
    DemoRole role;

    @Option(names = "--dir", description = "Demo state directory (default: .custos-demo in the project).")
    Path dir;

    @Override
    public Integer call() throws Exception {
      Path connection = directory(dir).resolve("connection.json");
      if (!Files.isRegularFile(connection)) {
        throw new IllegalStateException("no demo in " + connection.getParent() + "; start `custos demo` first");
      }
      URI endpoint = URI.create(JSON.readTree(connection.toFile()).path("token_endpoint").asText());
      try {
        System.out.println(DemoTokens.mint(endpoint, role).accessToken());
      } catch (java.net.ConnectException e) {
        throw new IllegalStateException("the demo in " + connection.getParent() + " is not running; start `custos demo`");
      }
      return 0;
    }
  }

  static final class RoleConverter implements ITypeConverter<DemoRole> {
    @Override
    public DemoRole convert(String value) {
      try {
        return DemoRole.of(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  static final class RoleNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return java.util.Arrays.stream(DemoRole.values()).map(DemoRole::id).iterator();
    }
  }

  private static void writeConfig(Path file, int port, String tls, String fhirBase, Map<?, ?> idp, String audience,
      Path dataDir, String extraYaml) throws IOException {
    Files.writeString(file, """
        # Written by `custos demo`. Synthetic data only. The identity provider is a development one (demo only).
        server:
          host: 127.0.0.1
          port: %d
          tls: %s
          allowedOrigins: ["http://localhost:6274", "http://127.0.0.1:6274"]
        upstream:
          baseUrl: %s
        identity:
          mode: oauth
          issuer: %s
          jwksUri: %s
          audience: %s
        dataDir: %s
        console:
          clientId: %s
          origin: %s
        """.formatted(port, tls, fhirBase, idp.get("issuer"), idp.get("jwks_uri"), audience, dataDir, CONSOLE_CLIENT,
        audience.replaceFirst("/mcp$", "")) + extraYaml);
  }

  static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Owner-only permissions: the file holds a bearer token. */
  static void restrict(Path p) throws IOException {
    try {
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // non-POSIX file system
    }
  }

  /** Patient ids are the Synthea bundle file names (UUIDs), so no PHI is read to list them. */
  static List<String> patientIds(Path synthea) throws IOException {
    if (!Files.isDirectory(synthea)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(synthea)) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json") && !n.startsWith("hospitalInformation") && !n.startsWith("practitionerInformation"))
          .map(n -> n.substring(0, n.length() - ".json".length())).sorted().toList();
    }
  }

  private static String instructions(String endpoint, List<String> stdio, Path cert, String patient, Path demo) {
    String args = String.join("\", \"", stdio.subList(1, stdio.size()));
    return """

        Custos demo (synthetic Synthea patients only)

        Claude Desktop (claude_desktop_config.json), stdio:
          {"mcpServers": {"custos": {"command": "%s", "args": ["%s"]}}}

        VS Code (.vscode/mcp.json), Streamable HTTP (the clinician's token: "token" in connection.json):
          {"servers": {"custos": {"type": "http", "url": "%s", "headers": {"Authorization": "Bearer ${input:custos-token}"}}},
           "inputs": [{"id": "custos-token", "type": "promptString", "password": true, "description": "Custos token"}]}
          (trust the self-signed certificate: %s)

        MCP Inspector (CLI, Node 22 from the project), stdio:
          e2e/with-node.sh e2e/node_modules/.bin/mcp-inspector --cli --method tools/call --tool-name get_active_conditions --tool-arg patient_id=%s -- %s

        Try patient_id=%s (in the demo clinician's care) with get_active_conditions, get_medications and
        get_lab_results. Patients outside the clinician's care are refused unless break_the_glass is declared.
        The clinician may also write (draft_clinical_note, book_appointment, ...): each write is a proposal that a
        person approves in the browser before it is committed.

        Other roles: "tokens" in connection.json holds one token per role (clinician, nurse, front-desk, billing,
        researcher, patient); a fresh one (recent MFA sign-in, as break_the_glass needs):
          %s demo token --dir %s --role ROLE
        """.formatted(stdio.get(0), args, endpoint, cert, patient, String.join(" ", stdio), patient, stdio.get(0), demo);
  }
}
