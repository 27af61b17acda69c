package io.custos.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import java.io.IOException;
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
import picocli.CommandLine.Option;

/**
 * {@code custos demo}: Synthea patients (generated once, cached in {@code .custos-demo/}), the embedded
 * FHIR R4 store, and the MCP server over HTTPS, with connection details in
 * {@code .custos-demo/connection.json}. Ctrl-C stops everything.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the full demo on synthetic patients.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--patients", defaultValue = "20", description = "Synthetic patients to generate on first run.")
  int patients;

  @Option(names = "--seed", defaultValue = "7", description = "Synthea seed.")
  long seed;

  @Option(names = "--port", defaultValue = "8443", description = "HTTPS port of the MCP endpoint (0 = any free port).")
  int port;

  @Option(names = "--dir", description = "Demo state directory (default: .custos-demo in the project).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    Path home = SyntheaCommand.home();
    Path demo = (dir == null ? home.resolve(".custos-demo") : dir).toAbsolutePath();
    Path synthea = demo.resolve("synthea");
    List<String> patientIds = patientIds(synthea);
    if (patientIds.isEmpty()) {
      System.err.println("demo: generating " + patients + " Synthea patients (first run only)...");
      int rc = SyntheaCommand.run(patients, seed, synthea);
      if (rc != 0) {
        System.err.println("demo: Synthea failed (exit " + rc + ")");
        return rc;
      }
      patientIds = patientIds(synthea);
    } else {
      System.err.println("demo: reusing " + patientIds.size() + " patients from " + synthea);
    }

    EmbeddedFhirStore store = EmbeddedFhirStore.builder().dataDirectory(synthea).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    int httpPort = port != 0 ? port : freePort();
    String audience = "https://127.0.0.1:" + httpPort + "/mcp";
    String practitioner = DemoClinician.practitionerFor(store.repository(), patientIds.get(0));
    List<String> ordered = DemoClinician.related(store.repository(), practitioner, patientIds);

    // Development identity provider (demo only): real signed tokens, validated like a production IdP's.
    Process idp = new ProcessBuilder(home.resolve("scripts").resolve("devidp.sh").toString(), "--audience", audience,
        "--fhir-user", practitioner).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Map<?, ?> idpInfo = new ObjectMapper().readValue(
        new java.io.BufferedReader(new java.io.InputStreamReader(idp.getInputStream(), java.nio.charset.StandardCharsets.UTF_8)).readLine(),
        Map.class);
    Path tokenFile = demo.resolve("token");
    Files.writeString(tokenFile, (String) idpInfo.get("token"));
    restrict(tokenFile);

    Path configFile = demo.resolve("custos.yaml");
    writeConfig(configFile, httpPort, store.baseUrl(), idpInfo, audience, demo.resolve("data"));
    // A stdio client runs its own Custos process, which needs its own ledger (a ledger has one writer).
    Path stdioConfig = demo.resolve("custos-stdio.yaml");
    writeConfig(stdioConfig, httpPort, store.baseUrl(), idpInfo, audience, demo.resolve("data-stdio"));
    ServerAssembly app = new ServerAssembly(CustosConfig.load(configFile));
    var http = app.startHttp(false);

    Path custos = home.resolve("custos");
    List<String> stdio = List.of(custos.toString(), "serve", "--stdio", "--config", stdioConfig.toString(),
        "--token-file", tokenFile.toString());
    Path cert = app.dataDir().resolve("tls").resolve("certificate.pem");
    Map<String, Object> connection = new LinkedHashMap<>();
    connection.put("endpoint", http.endpoint().toString());
    connection.put("stdio", stdio);
    connection.put("patients", ordered.subList(0, Math.min(5, ordered.size())));
    connection.put("token", idpInfo.get("token"));
    connection.put("token_expires_at", idpInfo.get("expires_at"));
    connection.put("clinician", Map.of("subject", "demo-clinician", "fhirUser", practitioner, "role", "clinician"));
    connection.put("issuer", idpInfo.get("issuer"));
    connection.put("ca_certificate", cert.toString());
    connection.put("fhir_base", store.baseUrl());
    connection.put("ledger", app.ledgerDir().toString());
    connection.put("config", configFile.toString());
    connection.put("stdio_ledger", demo.resolve("data-stdio").resolve("ledger").toString());
    Path connectionFile = demo.resolve("connection.json");
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(connectionFile.toFile(), connection);
    restrict(connectionFile);

    System.out.println(instructions(http.endpoint().toString(), stdio, cert, ordered.get(0)));
    System.out.println("Ready: " + http.endpoint() + " (" + patientIds.size() + " patients; details in "
        + connectionFile + ")");
    System.out.flush();

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      http.close();
      app.close();
      store.close();
      idp.destroy();
      System.err.println("demo: stopped");
      stop.countDown();
    }));
    stop.await();
    return 0;
  }

  private static void writeConfig(Path file, int port, String fhirBase, Map<?, ?> idp, String audience, Path dataDir)
      throws IOException {
    Files.writeString(file, """
        # Written by `custos demo`. Synthetic data only. The identity provider is a development one (demo only).
        server:
          host: 127.0.0.1
          port: %d
          tls: tls13
          allowedOrigins: ["http://localhost:6274", "http://127.0.0.1:6274"]
        upstream:
          baseUrl: %s
        identity:
          mode: oauth
          issuer: %s
          jwksUri: %s
          audience: %s
        dataDir: %s
        """.formatted(port, fhirBase, idp.get("issuer"), idp.get("jwks_uri"), audience, dataDir));
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Owner-only permissions: the file holds a bearer token. */
  private static void restrict(Path p) throws IOException {
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

  private static String instructions(String endpoint, List<String> stdio, Path cert, String patient) {
    String args = String.join("\", \"", stdio.subList(1, stdio.size()));
    return """

        Custos demo (synthetic Synthea patients only)

        Claude Desktop (claude_desktop_config.json), stdio:
          {"mcpServers": {"custos": {"command": "%s", "args": ["%s"]}}}

        VS Code (.vscode/mcp.json), Streamable HTTP (token: "token" in connection.json):
          {"servers": {"custos": {"type": "http", "url": "%s", "headers": {"Authorization": "Bearer ${input:custos-token}"}}},
           "inputs": [{"id": "custos-token", "type": "promptString", "password": true, "description": "Custos token"}]}
          (trust the self-signed certificate: %s)

        MCP Inspector (CLI, Node 22 from the project), stdio:
          e2e/with-node.sh e2e/node_modules/.bin/mcp-inspector --cli --method tools/call --tool-name get_active_conditions --tool-arg patient_id=%s -- %s

        Try patient_id=%s (in the demo clinician's care) with get_active_conditions, get_medications and
        get_lab_results. Patients outside the clinician's care are refused unless break_the_glass is declared.
        """.formatted(stdio.get(0), args, endpoint, cert, patient, String.join(" ", stdio), patient);
  }
}
