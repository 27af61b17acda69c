package io.custos.alerting;

import io.custos.policy.AlertSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Alerts and waits shared by the sink tests. */
final class SinkFixtures {
  private SinkFixtures() {}

  /** A multi-patient alert with two pseudonyms and two evidence events; {@code subject} may be non-ASCII. */
  static AlertSink.Alert alert(String rule, AlertSink.Severity severity, String subject) {
    return new AlertSink.Alert(java.util.UUID.randomUUID().toString(), rule, severity, subject,
        List.of("pt-6f1c2a9b0d3e4f57", "pt-0a1b2c3d4e5f6071"), Instant.parse("2026-11-29T09:00:00Z"),
        Instant.parse("2026-11-29T09:05:00Z"), 42, List.of("7d0c3f8e-1b2a-4c5d-9e6f-0a1b2c3d4e5f",
        "8e1d4a9f-2c3b-4d6e-8f70-1b2c3d4e5f60"), "0b5a3c1d-9e8f-4a7b-8c6d-5e4f3a2b1c0d");
  }

  /** Polls until {@code file} has at least {@code lines} JSON lines (background delivery), up to 10 s. */
  static List<Map<String, Object>> awaitLines(Path file, int lines) throws InterruptedException {
    await(() -> Files.exists(file) && AlertLogFile.read(file).size() >= lines,
        "fewer than " + lines + " line(s) in " + file.getFileName());
    return AlertLogFile.read(file);
  }

  /** Polls {@code condition} every 20 ms until it holds, failing after 10 s with {@code what}. */
  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " within 10 s");
      }
      Thread.sleep(20);
    }
  }
}
