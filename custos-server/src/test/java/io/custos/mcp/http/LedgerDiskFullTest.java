package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.reliability.LedgerAudit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full under the ledger: the ledger directory is a 160 KiB tmpfs (the test runs as root; without
 * mount rights it is skipped, and {@code FailClosedTest} covers the refusal with a refusing audit trail). Tool calls
 * run until the disk is full; from then on every call is refused with {@code audit_unavailable} and no data.
 * Nothing acknowledged is lost (offline verification passes, every received result has its intent and result
 * events). Recovery: {@code MerkleLedger} fails closed for good after a write or fsync error (the page cache can no
 * longer be trusted), so recovery after space returns is a restart, which truncates the torn batch and continues the
 * same verifiable tree.
 */
class LedgerDiskFullTest {
  @TempDir
  Path dataDir;
  Path mount;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      run("umount", "-l", mount.toString());
    }
  }

  static boolean run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  HttpTestSupport.Running start() throws Exception {
    CustosConfig cfg = new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), 8192),
        new CustosConfig.Upstream(HttpTestSupport.store().baseUrl(), 10),
        new CustosConfig.Identity("development"),
        new CustosConfig.Policy(null, false, null, null, 100_000),
        dataDir.toString()).withDefaults().validated();
    ServerAssembly assembly = new ServerAssembly(cfg);
    McpHttpServer http = assembly.startHttp(false);
    return new HttpTestSupport.Running(assembly, http, HttpTestSupport.trustOnly(dataDir.resolve("tls").resolve("certificate.pem")));
  }

  @Test
  void fullDiskRefusesCallsLosesNothingAndRecoversOnRestart() throws Exception {
    Path ledger = Files.createDirectories(dataDir.resolve("ledger"));
    boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", ledger.toString());
    assumeThat(mounted).as("mount a small tmpfs (needs root); FailClosedTest covers the refusal without it").isTrue();
    mount = ledger;
    List<String> patients = HttpTestSupport.fixturePatientIds();
    List<String> tools = List.of("get_active_conditions", "get_allergies", "get_immunizations", "get_medications");
    Set<String> received = new HashSet<>();
    int refused = 0;
    int calls = 0;
    try (HttpTestSupport.Running custos = start()) {
      var session = HttpTestSupport.Session.open(HttpTestSupport.client(custos.ssl()), custos.endpoint());
      // fill the disk: at most 3000 calls (a call writes ~1.5 KiB of ledger)
      while (refused < 5 && calls < 3000) {
        String tool = tools.get(calls % tools.size());
        String patient = patients.get((calls / tools.size()) % patients.size());
        JsonNode r = session.callTool(tool, "{\"patient_id\":\"" + patient + "\",\"limit\":" + (1 + calls % 50) + "}");
        calls++;
        JsonNode result = r.path("result");
        String text = result.path("content").get(0).path("text").asText();
        if (result.path("isError").asBoolean()) {
          // refused at the intent ("no clinical data can be accessed") or, if the disk filled between the two
          // events, at the result ("the result cannot be released"): either way no data
          assertThat(text).as("after %d calls", calls).startsWith("Error [audit_unavailable]: The audit trail is unavailable");
          assertThat(result.has("structuredContent")).isFalse();
          refused++;
        } else {
          assertThat(refused).as("no success after the first refusal (fail closed)").isZero();
          received.add(sha256(text));
        }
      }
      assertThat(refused).as("the disk filled up within %d calls", calls).isEqualTo(5);
      assertThat(received).isNotEmpty();
    }
    // space returns
    assertThat(run("mount", "-o", "remount,size=8m", ledger.toString())).isTrue();
    LedgerAudit.Summary before = LedgerAudit.check(dataDir, received);
    // still the same process-lifetime rule: a new server (restart) appends again, continuing the verifiable tree
    try (HttpTestSupport.Running custos = start()) {
      var session = HttpTestSupport.Session.open(HttpTestSupport.client(custos.ssl()), custos.endpoint());
      for (int i = 0; i < 5; i++) {
        JsonNode r = session.callTool("get_active_conditions", "{\"patient_id\":\"" + patients.get(i % patients.size()) + "\"}");
        assertThat(r.path("result").path("isError").asBoolean()).as(r.toString()).isFalse();
        received.add(sha256(r.path("result").path("content").get(0).path("text").asText()));
      }
    }
    LedgerAudit.Summary after = LedgerAudit.check(dataDir, received);
    assertThat(after.entries()).isGreaterThanOrEqualTo(before.entries() + 10);
    System.out.printf("disk full after %d calls (%d results received), ledger %d entries; after restart %d entries%n",
        calls - refused, received.size(), before.entries(), after.entries());
  }
}
