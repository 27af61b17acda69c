package io.custos.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./custos demo} as a test runs it: started from the repository root with its standard error in
 * {@code target/e2e-logs/<logName>.log}, read until it prints {@code Ready:}.
 */
final class DemoRun {
  private DemoRun() {}

  /** A started demo: the process and the log of its standard error. */
  record Started(Process process, Path log) {}

  /**
   * Starts {@code ./custos demo --dir <dir> <args>} through {@code children} (so it is stopped with the test).
   *
   * @throws IOException when it cannot be started
   */
  static Started start(ChildProcesses children, Path dir, String logName, String... args) throws IOException {
    Path log = Files.createDirectories(ClientScript.LOGS).resolve(logName + ".log");
    List<String> command = new ArrayList<>(List.of(ClientScript.ROOT.resolve("custos").toString(), "demo", "--dir",
        dir.toString()));
    command.addAll(List.of(args));
    return new Started(children.start(new ProcessBuilder(command).redirectError(log.toFile())), log);
  }

  /**
   * Reads the demo's standard output until its {@code Ready:} line.
   *
   * @return every line read, the {@code Ready:} line last
   * @throws AssertionError when the demo ends or {@code timeout} passes first, with its output and standard error
   */
  static List<String> awaitReady(Started demo, Duration timeout) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(demo.process().getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> out = new ArrayList<>();
    for (String line; System.nanoTime() < deadline && (line = reader.readLine()) != null; ) {
      out.add(line);
      if (line.startsWith("Ready: ")) {
        return out;
      }
    }
    throw new AssertionError("demo not ready:\n" + String.join("\n", out) + "\nstderr: " + Files.readString(demo.log()));
  }
}
