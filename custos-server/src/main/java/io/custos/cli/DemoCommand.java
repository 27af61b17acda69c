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
    Path configFile = demo.resolve("custos.yaml");
    Files.writeString(configFile, """
        # Written by `custos demo`. Development identity: loopback only, synthetic data only.
        server:
          host: 127.0.0.1
          port: %d
          tls: tls13
          allowedOrigins: ["http://localhost:6274", "http://127.0.0.1:6274"]
        upstream:
          baseUrl: %s
        identity:
          mode: development
        dataDir: %s
        """.formatted(port, store.baseUrl(), demo.resolve("data")));
    ServerAssembly app = new ServerAssembly(CustosConfig.load(configFile));
    var http = app.startHttp(false);

    Path custos = home.resolve("custos");
    List<String> stdio = List.of(custos.toString(), "serve", "--stdio", "--config", configFile.toString());
    Path cert = app.dataDir().resolve("tls").resolve("certificate.pem");
    Map<String, Object> connection = new LinkedHashMap<>();
    connection.put("endpoint", http.endpoint().toString());
    connection.put("stdio", stdio);
    connection.put("patients", patientIds.subList(0, Math.min(5, patientIds.size())));
    connection.put("ca_certificate", cert.toString());
    connection.put("fhir_base", store.baseUrl());
    connection.put("ledger", app.dataDir().resolve("audit").toString());
    connection.put("config", configFile.toString());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(demo.resolve("connection.json").toFile(), connection);

    System.out.println(instructions(http.endpoint().toString(), stdio, cert, patientIds.get(0)));
    System.out.println("Ready: " + http.endpoint() + " (" + patientIds.size() + " patients; details in "
        + demo.resolve("connection.json") + ")");
    System.out.flush();

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      http.close();
      app.close();
      store.close();
      System.err.println("demo: stopped");
      stop.countDown();
    }));
    stop.await();
    return 0;
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

        VS Code (.vscode/mcp.json), Streamable HTTP:
          {"servers": {"custos": {"type": "http", "url": "%s"}}}
          (trust the self-signed certificate: %s)

        MCP Inspector (CLI), stdio:
          npx @modelcontextprotocol/inspector --cli %s --method tools/call --tool-name get_active_conditions --tool-arg patient_id=%s

        Try patient_id=%s with get_active_conditions, get_medications and get_lab_results.
        """.formatted(stdio.get(0), args, endpoint, cert, String.join(" ", stdio), patient, patient);
  }
}
