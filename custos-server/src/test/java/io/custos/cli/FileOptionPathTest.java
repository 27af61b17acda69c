package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * File-backed options with traversal-shaped paths: operator input, handled safely and refused clearly.
 * {@code audit verify --ledger} on a path that is no ledger (missing, {@code ../} into nowhere, an empty directory)
 * says so with the normalized path and exits 1 (it used to print only the missing key file's raw path); a
 * {@code --token-file} that is missing, a directory or not a token yields no caller (every stdio call refused), and
 * its content is never echoed.
 */
class FileOptionPathTest {
  @TempDir
  Path tmp;

  int run(ByteArrayOutputStream err, String... args) {
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new CommandLine(new CustosCli()).execute(args);
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void auditVerifyRefusesWhatIsNoLedgerClearly() throws Exception {
    Files.createDirectories(tmp.resolve("empty"));
    for (String dir : new String[] {tmp.resolve("../../nonexistent/../x").toString(), tmp.resolve("empty").toString(),
        tmp.resolve("a/../../" + tmp.getFileName() + "/missing").toString()}) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertThat(run(err, "audit", "verify", "--ledger", dir)).as(dir).isEqualTo(1);
      String msg = err.toString(StandardCharsets.UTF_8);
      assertThat(msg).startsWith("custos: no ledger at ").doesNotContain("..").doesNotContain("Exception");
    }
  }

  @Test
  void tokenFileThatIsNoTokenYieldsNoCaller() throws Exception {
    Path data = tmp.resolve("data");
    var cfg = new io.custos.config.CustosConfig(
        new io.custos.config.CustosConfig.Server("127.0.0.1", 0, "tls13", java.util.List.of(), java.util.List.of(), null),
        new io.custos.config.CustosConfig.Upstream("http://127.0.0.1:1/fhir", 1),
        new io.custos.config.CustosConfig.Identity("oauth", "https://idp.test", "http://127.0.0.1:1/jwks", "https://custos.test/mcp",
            null, null, null, null, null, null, null, null),
        null, data.toString()).withDefaults().validated();
    Path secret = Files.writeString(tmp.resolve("not-a-token"), "root:x:0:0:root:/root:/bin/bash\n");
    try (ServerAssembly app = new ServerAssembly(cfg)) {
      for (Path f : new Path[] {tmp.resolve("../../../etc/../nonexistent-token"), tmp, secret}) {
        assertThat(app.stdioCaller(f)).as(f.toString()).isEqualTo(Optional.empty());
      }
    }
  }
}
