package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.McpHttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The main job end to end with real MCP clients: a running Custos (HTTPS, TLS 1.3, self-signed
 * certificate) in front of the embedded FHIR R4 store loaded with the Synthea fixture, exercised by the
 * official TypeScript SDK client (over Streamable HTTP and over stdio, cross-checking every tool against
 * the FHIR data), the MCP Inspector CLI, and the MCP conformance suite.
 *
 * <p>Needs Node 22 and the e2e packages, installed by {@code scripts/install-node.sh} in the
 * pre-integration-test phase. Each client's full output is kept under {@code target/e2e-logs/}.
 */
class RealClientsIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path ROOT = MODULE.getParent();
  private static final Path LOGS = MODULE.resolve("target/e2e-logs");

  private static EmbeddedFhirStore store;
  private static ServerAssembly app;
  private static McpHttpServer http;
  private static Path work;
  private static List<String> patients;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(LOGS);
    work = Files.createTempDirectory("custos-e2e");
    Path fixture = io.custos.mcp.http.HttpTestSupport.fixtureDir();
    patients = io.custos.mcp.http.HttpTestSupport.fixturePatientIds();
    store = EmbeddedFhirStore.builder().dataDirectory(fixture).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    ConsentPatients.plant(store.repository());
    app = new ServerAssembly(CustosConfig.load(writeConfig("http")));
    http = app.startHttp(false);
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (app != null) {
      app.close();
    }
    if (store != null) {
      store.close();
    }
  }

  private static Path writeConfig(String name) throws IOException {
    Path file = work.resolve(name + ".yaml");
    Files.writeString(file, """
        server: {host: 127.0.0.1, port: 0, tls: tls13}
        upstream: {baseUrl: "%s"}
        identity: {mode: development}
        # The clients sweep every fixture patient; care relationships are covered by the access-control tests.
        policy: {requireCareRelationship: false}
        dataDir: "%s"
        """.formatted(store.baseUrl(), work.resolve(name + "-data")));
    return file;
  }

  private Map<String, String> env() throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("CUSTOS_ENDPOINT", http.endpoint().toString());
    env.put("CUSTOS_CA_CERT", app.dataDir().resolve("tls/certificate.pem").toString());
    env.put("FHIR_BASE", store.baseUrl());
    env.put("CUSTOS_PATIENTS", new ObjectMapper().writeValueAsString(patients));
    env.put("CUSTOS_MAX_PATIENTS", "5");
    env.put("CUSTOS_CONSENT_RESTRICTED", ConsentPatients.RESTRICTED);
    env.put("CUSTOS_RESEARCH_OPTED_OUT", ConsentPatients.OPTED_OUT);
    Path jar = MODULE.resolve("target/custos.jar");
    env.put("CUSTOS_STDIO_CMD", new ObjectMapper().writeValueAsString(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dcustos.home=" + ROOT, "-jar", jar.toString(),
        "serve", "--stdio", "--config", writeConfig("stdio").toString())));
    return env;
  }

  /** Runs a client script with the server's environment; returns the number of passed checks. */
  private int run(String logName, Map<String, String> extraEnv, String... command) throws Exception {
    ProcessBuilder pb = ClientScript.in(command);
    pb.environment().putAll(env());
    pb.environment().putAll(extraEnv);
    return ClientScript.run(pb, logName, Duration.ofMinutes(9));
  }

  @Test
  void typescriptSdkClientOverStreamableHttpCallsEveryToolAndMatchesFhir() throws Exception {
    int passed = run("client-http", Map.of(), "sh", "e2e/with-node.sh", "node", "e2e/client-check.mjs", "--transport", "http");
    assertThat(passed).as("checks run").isGreaterThan(60);
  }

  @Test
  void typescriptSdkClientOverStdioCallsEveryToolAndMatchesFhir() throws Exception {
    int passed = run("client-stdio", Map.of(), "sh", "e2e/with-node.sh", "node", "e2e/client-check.mjs", "--transport", "stdio");
    assertThat(passed).as("checks run").isGreaterThan(60);
  }

  @Test
  void inspectorCliListsTheTools() throws Exception {
    int passed = run("inspector", Map.of(), "sh", "e2e/inspector-check.sh");
    assertThat(passed).isGreaterThan(0);
  }

  @Test
  void conformanceSuiteMatchesTheExpectedFailuresFile() throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sh", "e2e/conformance.sh"));
    int passed = run("conformance", Map.of("CONFORMANCE_SUITE", "all"), cmd.toArray(String[]::new));
    assertThat(passed).isGreaterThan(20);
  }
}
