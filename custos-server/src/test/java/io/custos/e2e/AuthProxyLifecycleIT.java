package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance runner's loopback proxy ({@code e2e/lib/auth-proxy.mjs}) never outlives the build: {@code
 * e2e/conformance.sh} stops it on every way out, and the proxy exits by itself once the process that started
 * it is gone (even by SIGKILL, which leaves no chance to stop it). Port 9 (discard) on loopback stands for
 * an unreachable server.
 */
class AuthProxyLifecycleIT {
  private static final String UNREACHABLE = "http://127.0.0.1:9/mcp";

  @RegisterExtension
  final ChildProcesses children = new ChildProcesses();

  @Test
  void theConformanceRunnerStopsItsProxyWhenTheSuiteFails(@TempDir Path out) throws Exception {
    ProcessBuilder pb = ClientScript.in("sh", "e2e/conformance.sh").redirectErrorStream(true)
        .redirectOutput(out.resolve("run.txt").toFile());
    pb.environment().putAll(Map.of("CONFORMANCE_URL", UNREACHABLE, "CONFORMANCE_PROXY", "1",
        "CONFORMANCE_SCENARIOS", "ping", "CONFORMANCE_OUT", out.toString()));
    Process script = children.start(pb);
    Instant started = script.info().startInstant().orElseThrow();
    assertThat(script.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String log = Files.readString(out.resolve("run.txt"));
    assertThat(log).as("the suite ran through the proxy").contains("testing through loopback proxy");
    assertThat(script.exitValue()).as("the scenario fails against an unreachable server:\n%s", log).isNotZero();
    assertThat(ChildProcesses.leftovers(script.toHandle(), started)).as("processes left running").isEmpty();
  }

  @Test
  void theProxyExitsWhenItsParentIsKilled() throws Exception {
    Process parent = children.start(ClientScript.in("sh", "e2e/with-node.sh", "sh", "-c",
        "node e2e/lib/auth-proxy.mjs " + UNREACHABLE + " & echo \"pid $!\"; exec sleep 600").redirectErrorStream(true));
    BufferedReader lines = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
    String pidLine = lines.readLine();
    assertThat(pidLine).startsWith("pid ");
    assertThat(lines.readLine()).as("the proxy is up").startsWith("listening http://127.0.0.1:");
    ProcessHandle proxy = ProcessHandle.of(Long.parseLong(pidLine.substring(4))).orElseThrow();
    assertThat(proxy.parent().map(ProcessHandle::pid)).contains(parent.pid());

    try {
      parent.destroyForcibly(); // SIGKILL: no trap, no cleanup
      assertThat(parent.waitFor(1, TimeUnit.MINUTES)).isTrue();
      assertThat(proxy.onExit().completeOnTimeout(null, 1, TimeUnit.MINUTES).get())
          .as("the orphaned proxy exited by itself").isNotNull();
    } finally {
      proxy.destroyForcibly(); // an orphan is no longer in the tree the extension stops
    }
  }
}
