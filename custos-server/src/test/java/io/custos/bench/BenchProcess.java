package io.custos.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server JVM started by the benchmark: its readiness line, CPU time ({@link ProcessHandle}) and heap
 * ({@code jcmd GC.heap_info}, optionally after {@code GC.run}). Children read standard input and exit when it
 * closes, so none outlives the driver.
 */
final class BenchProcess implements AutoCloseable {
  private static final Pattern USED = Pattern.compile("(?i)heap\\s+total\\s+(?:reserved\\s+)?(\\d+)K,\\s+(?:committed\\s+\\d+K,\\s+)?used\\s+(\\d+)K");

  final String name;
  final Process process;
  final String ready;
  private final Path log;

  private BenchProcess(String name, Process process, String ready, Path log) {
    this.name = name;
    this.process = process;
    this.ready = ready;
    this.log = log;
  }

  /** The java launcher of this JVM. */
  static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /** jcmd next to the java launcher. */
  static String jcmd() {
    Path j = Path.of(java()).resolveSibling("jcmd");
    return Files.isExecutable(j) ? j.toString() : "jcmd";
  }

  /**
   * Starts {@code command}, merging its output into {@code log}, and waits for a line matching {@code readyLine}
   * (group 1 is returned as {@link #ready}).
   */
  static BenchProcess start(String name, List<String> command, Pattern readyLine, Path log, Duration timeout)
      throws IOException, InterruptedException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Process p = pb.start();
    CompletableFuture<String> found = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          var w = Files.newBufferedWriter(log)) {
        String line;
        while ((line = r.readLine()) != null) {
          w.write(line);
          w.newLine();
          w.flush();
          Matcher m = readyLine.matcher(line);
          if (!found.isDone() && m.find()) {
            found.complete(m.group(1));
          }
        }
      } catch (IOException ignored) {
        // process ended
      }
      found.completeExceptionally(new IOException(name + " ended before it was ready; see " + log));
    }, name + "-log");
    pump.setDaemon(true);
    pump.start();
    try {
      return new BenchProcess(name, p, found.get(timeout.toMillis(), TimeUnit.MILLISECONDS), log);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IOException(name + " did not become ready: " + e.getMessage() + "; see " + log, e);
    }
  }

  long pid() {
    return process.pid();
  }

  /** Total CPU time (user + system) the process has used so far, in milliseconds. */
  long cpuMillis() {
    return process.toHandle().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
  }

  /** Used heap in KiB per {@code jcmd GC.heap_info}, after a full GC ({@code GC.run}) if {@code gc}. */
  long heapUsedKb(boolean gc) {
    return heapUsedKb(pid(), gc);
  }

  static long heapUsedKb(long pid, boolean gc) {
    try {
      if (gc) {
        run(jcmd(), String.valueOf(pid), "GC.run");
      }
      String info = run(jcmd(), String.valueOf(pid), "GC.heap_info");
      Matcher m = USED.matcher(info);
      return m.find() ? Long.parseLong(m.group(2)) : -1;
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close(); // children exit when stdin closes
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }

  /** For child mains: blocks until standard input reaches end of file. */
  static void awaitStdinClosed() {
    try {
      byte[] buf = new byte[256];
      while (System.in.read(buf) >= 0) {
        // ignore input
      }
    } catch (IOException ignored) {
      // parent gone
    }
  }

  /** JVM flags shared by every server JVM of a run (same heap and GC for all configurations). */
  static List<String> serverJvmFlags() {
    List<String> flags = new ArrayList<>();
    String extra = System.getProperty("bench.serverJvm", "-Xms256m -Xmx1g -XX:+UseG1GC");
    for (String f : extra.trim().split("\\s+")) {
      if (!f.isEmpty()) {
        flags.add(f);
      }
    }
    return flags;
  }
}
