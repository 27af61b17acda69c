package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a real-client script (TypeScript SDK checks, Inspector CLI, conformance suite) from the repository root and
 * checks its closing {@code N passed, M failed} line, and that it left no process running (a proxy, a server, a
 * client). Output is kept in {@code target/e2e-logs/<name>.log}.
 */
final class ClientScript {
  static final Path MODULE = Path.of("").toAbsolutePath();
  static final Path ROOT = MODULE.getParent();
  static final Path LOGS = MODULE.resolve("target/e2e-logs");
  private static final Pattern SUMMARY = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed\\s*$");

  private ClientScript() {}

  /** A process builder for {@code command} in the repository root (add environment before {@link #run}). */
  static ProcessBuilder in(String... command) {
    return new ProcessBuilder(command).directory(ROOT.toFile());
  }

  /** A finished script: its combined output, exit code and the processes it left running (now stopped). */
  record Finished(String output, int exitCode, List<String> leftovers) {
    /** The last 6,000 characters of the output, for assertion messages. */
    String tail() {
      return output.length() > 6000 ? output.substring(output.length() - 6000) : output;
    }
  }

  /**
   * Runs the script to completion (stdout and stderr into {@code target/e2e-logs/<logName>.log}) and asserts it
   * finished in time.
   */
  static Finished finish(ProcessBuilder pb, String logName, Duration timeout) throws Exception {
    Files.createDirectories(LOGS);
    Path log = LOGS.resolve(logName + ".log");
    Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Instant started = p.info().startInstant().orElseThrow();
    boolean done = false;
    try {
      done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
    } finally {
      if (!done) {
        ChildProcesses.stopTree(p.toHandle());
      }
    }
    List<String> leftovers = ChildProcesses.leftovers(p.toHandle(), started);
    Finished f = new Finished(Files.readString(log), done ? p.exitValue() : -1, leftovers);
    assertThat(done).as("%s timed out:\n%s", logName, f.tail()).isTrue();
    return f;
  }

  /**
   * Runs the script to completion and asserts it finished in time, printed a summary with zero failures and exited 0.
   *
   * @return the number of passed checks
   */
  static int run(ProcessBuilder pb, String logName, Duration timeout) throws Exception {
    Finished f = finish(pb, logName, timeout);
    String tail = f.tail();
    Matcher m = SUMMARY.matcher(f.output());
    int[] counts = null;
    while (m.find()) {
      counts = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }
    assertThat(counts).as("%s printed no 'N passed, M failed' line:\n%s", logName, tail).isNotNull();
    assertThat(counts[1]).as("%s failures:\n%s", logName, tail).isZero();
    assertThat(f.exitCode()).as("%s exit code:\n%s", logName, tail).isZero();
    assertThat(f.leftovers()).as("%s exited and left these processes running (now stopped)", logName).isEmpty();
    return counts[0];
  }
}
