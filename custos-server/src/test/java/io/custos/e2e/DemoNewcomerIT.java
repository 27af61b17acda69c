package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The newcomer's path, as README describes it: {@code ./custos demo} generates Synthea patients, starts the
 * FHIR store, the development identity provider and the MCP server, prints {@code Ready:} and writes
 * {@code connection.json} with a token per demo role, and {@code custos demo token} mints a fresh one; then the MCP
 * Inspector CLI (stdio, with the demo token file) reads the first patient's active conditions, medications and
 * latest labs; SIGTERM (as Ctrl-C) stops everything.
 */
class DemoNewcomerIT {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @RegisterExtension
  final ChildProcesses children = new ChildProcesses();

  @Test
  void demoServesRealClientsAndStopsCleanly(@TempDir Path dir) throws Exception {
    DemoRun.Started started = DemoRun.start(children, dir, "demo", "--port", "0", "--patients", "3", "--seed", "11");
    Process demo = started.process();
    Path log = started.log();
    try {
      List<String> out = DemoRun.awaitReady(started, Duration.ofMinutes(5));
      assertThat(String.join("\n", out)).contains("Claude Desktop", "VS Code", "mcp-inspector");

      JsonNode conn = new ObjectMapper().readTree(dir.resolve("connection.json").toFile());
      assertThat(conn.path("endpoint").asText()).startsWith("https://127.0.0.1:").endsWith("/mcp");
      assertThat(conn.path("console").path("url").asText()).isEqualTo(conn.path("endpoint").asText().replace("/mcp", "/console/"));
      assertThat(String.join("\n", out)).contains("Compliance console: " + conn.path("console").path("url").asText());
      assertThat(conn.path("token").asText()).contains(".");
      List<String> roles = new ArrayList<>();
      conn.path("tokens").fieldNames().forEachRemaining(roles::add);
      assertThat(roles).containsExactly("clinician", "nurse", "front-desk", "billing", "researcher", "patient");
      assertThat(conn.path("tokens").path("clinician").asText()).isEqualTo(conn.path("token").asText());
      // The approval page needs the person's own application: a token of another client than the agent's.
      assertThat(clientId(conn.path("approval_token").asText())).isEqualTo("custos-demo-approval-app");
      assertThat(clientId(conn.path("token").asText())).isEqualTo("custos-demo-client");
      Process fresh = new ProcessBuilder(ROOT.resolve("custos").toString(), "demo", "token", "--dir", dir.toString(),
          "--role", "nurse").redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String nurse = new String(fresh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertThat(fresh.waitFor(2, TimeUnit.MINUTES)).isTrue();
      assertThat(nurse).as("a fresh nurse token").matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+")
          .isNotEqualTo(conn.path("tokens").path("nurse").asText());
      assertThat(conn.path("patients").size()).isEqualTo(3);
      assertThat(conn.path("ledger").asText()).isNotBlank();
      String patient = conn.path("patients").get(0).asText();
      List<String> stdio = new ArrayList<>();
      conn.path("stdio").forEach(n -> stdio.add(n.asText()));

      for (String tool : List.of("get_active_conditions", "get_medications", "get_lab_results")) {
        List<String> cmd = new ArrayList<>(List.of("sh", "e2e/with-node.sh", "e2e/node_modules/.bin/mcp-inspector", "--cli",
            "--method", "tools/call", "--tool-name", tool, "--tool-arg", "patient_id=" + patient));
        if (tool.equals("get_lab_results")) {
          cmd.addAll(List.of("--tool-arg", "limit=5"));
        }
        cmd.add("--");
        cmd.addAll(stdio);
        Process p = children.start(new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true));
        String result = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        JsonNode json = new ObjectMapper().readTree(result.substring(result.indexOf('{')));
        assertThat(json.path("isError").asBoolean()).as("%s: %s", tool, result).isFalse();
        assertThat(json.path("structuredContent").path("patient_id").asText()).as(tool).isEqualTo(patient);
        assertThat(json.path("structuredContent").has("items")).as(tool).isTrue();
      }
    } finally {
      demo.destroy(); // SIGTERM, as Ctrl-C
      assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("demo stops on SIGTERM").isTrue();
    }
    assertThat(Files.readString(log)).contains("demo: stopped");
    // The launcher's class-data cache for this jar: the demo used it, or recorded its classes (JDK >= 25: the next
    // start builds the cache from that record) or wrote the AppCDS archive at exit (JDK 21-24).
    try (var files = Files.list(ROOT.resolve("custos-server/target"))) {
      assertThat(files.map(f -> f.getFileName().toString()).toList())
          .anyMatch(n -> n.matches("custos-\\d+-\\d+\\.(aot|jsa|\\d+\\.aotconf|\\d+\\.creating)"));
    }
  }

  /** The {@code client_id} claim of a JWT (payload only; the server validates signatures, this test reads a claim). */
  private static String clientId(String jwt) throws Exception {
    String payload = jwt.split("\\.")[1];
    return new ObjectMapper().readTree(java.util.Base64.getUrlDecoder().decode(payload)).path("client_id").asText();
  }
}
