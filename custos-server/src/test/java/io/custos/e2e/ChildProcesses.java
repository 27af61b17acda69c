package io.custos.e2e;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Tests stop what they start. Processes started through {@link #start} (servers, shell scripts, Node clients)
 * are stopped with everything they started in turn after each test, after the test class, and, should the test
 * JVM itself be stopped, by a shutdown hook. A process tree is stopped descendants first: once a parent is gone
 * its children are re-parented and can no longer be found from it.
 *
 * <p>Register as a JUnit 5 extension: {@code @RegisterExtension static final ChildProcesses CHILDREN = new
 * ChildProcesses();}. {@link #leftovers} finds what a script left running after it exited (POSIX does not
 * stop a background child with its parent; a shell's {@code exec} skips its {@code EXIT} trap).
 */
public final class ChildProcesses implements AfterEachCallback, AfterAllCallback {
  /** How long a process gets between SIGTERM and SIGKILL. */
  static final Duration GRACE = Duration.ofSeconds(10);

  private final Set<Process> started = ConcurrentHashMap.newKeySet();

  public ChildProcesses() {
    Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "stop-child-processes"));
  }

  /** Starts {@code pb} and tracks the process until it is stopped with its descendants. */
  public Process start(ProcessBuilder pb) throws IOException {
    Process p = pb.start();
    started.add(p);
    return p;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    stopAll();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stopAll();
  }

  private void stopAll() {
    for (Process p : started) {
      stopTree(p.toHandle());
      started.remove(p);
    }
  }

  /**
   * Stops {@code root} and its descendants: SIGTERM to all, then SIGKILL to whatever is still alive after
   * {@link #GRACE}.
   */
  public static void stopTree(ProcessHandle root) {
    stop(Stream.concat(root.descendants(), Stream.of(root)).toList());
  }

  private static void stop(List<ProcessHandle> handles) {
    handles.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + GRACE.toNanos();
    for (ProcessHandle h : handles) {
      try {
        h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException e) {
        h.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        handles.forEach(ProcessHandle::destroyForcibly);
        return;
      }
    }
  }

  /**
   * Processes of this checkout (their command line names the repository root) started no earlier than
   * {@code script} and still alive {@link #GRACE} after it ended; they are stopped.
   *
   * @param script      a process that has exited
   * @param scriptStart its start time as the operating system reports it ({@code script.info().startInstant()}),
   *                    so that it compares exactly with the start times of the processes it started
   * @return the command lines of the processes it left running (empty when it stopped everything it started)
   */
  public static List<String> leftovers(ProcessHandle script, Instant scriptStart) {
    String root = ClientScript.ROOT + "/";
    List<ProcessHandle> alive = ProcessHandle.allProcesses()
        .filter(h -> h.pid() != script.pid() && h.pid() != ProcessHandle.current().pid())
        .filter(h -> h.info().startInstant().map(t -> !t.isBefore(scriptStart)).orElse(false))
        .filter(h -> h.info().commandLine().map(c -> c.contains(root)).orElse(false))
        .toList();
    long deadline = System.nanoTime() + GRACE.toNanos();
    List<String> left = new ArrayList<>();
    for (ProcessHandle h : alive) {
      try {
        h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException e) {
        left.add(h.pid() + " " + h.info().commandLine().orElse("?"));
        stopTree(h);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        left.add(h.pid() + " " + h.info().commandLine().orElse("?"));
        h.destroyForcibly();
      }
    }
    return left;
  }
}
