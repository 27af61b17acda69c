package io.custos.alerting;

import io.custos.policy.AlertSink;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers alerts through an {@link AlertTransport} on its own background thread, so {@link #alert} never waits on
 * the network: attempt {@code n} (1-based) runs {@code initialBackoff * 2^(n-2)} after the failure of attempt
 * {@code n-1} (exponential backoff), up to {@link Retry#maxAttempts}. An alert whose last attempt fails is appended to
 * the dead-letter file (JSON Lines: the alert document, the receiver kind, the attempts and the last error's class or
 * HTTP status, never a response body) for an operator to replay. At most {@link #MAX_PENDING} alerts wait for
 * delivery at once; beyond that (a receiver down during an alert storm) new alerts go straight to the dead letter.
 */
public final class RetryingSink implements AlertSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RetryingSink.class);
  /** Alerts queued or awaiting a retry, per receiver, before new ones are dead-lettered without an attempt. */
  public static final int MAX_PENDING = 10_000;

  /**
   * @param maxAttempts    attempts in all, 1..20
   * @param initialBackoff wait before the second attempt, doubled before each later one
   * @param deadLetter     JSON Lines file for alerts that were never delivered
   */
  public record Retry(int maxAttempts, Duration initialBackoff, Path deadLetter) {
    public Retry {
      if (maxAttempts < 1 || maxAttempts > 20) {
        throw new IllegalArgumentException("maxAttempts must be 1..20");
      }
      if (initialBackoff.isNegative()) {
        throw new IllegalArgumentException("initialBackoff must not be negative");
      }
    }
  }

  private final AlertTransport transport;
  private final Retry retry;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

  public RetryingSink(AlertTransport transport, Retry retry, Clock clock) {
    this.transport = transport;
    this.retry = retry;
    this.clock = clock;
    ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform()
        .name("custos-alerts-" + transport.kind()).daemon(true).unstarted(r));
    ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.executor = ex;
  }

  public String kind() {
    return transport.kind();
  }

  @Override
  public void alert(Alert alert) {
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      deadLetter(alert, 0, "queue full");
      return;
    }
    schedule(alert, 1, Duration.ZERO);
  }

  private void schedule(Alert alert, int attempt, Duration delay) {
    try {
      executor.schedule(() -> attempt(alert, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      pending.decrementAndGet();
      deadLetter(alert, attempt - 1, "closed");
    }
  }

  private void attempt(Alert alert, int attempt) {
    try {
      transport.send(alert);
      pending.decrementAndGet();
    } catch (IOException | RuntimeException e) {
      String error = e instanceof DeliveryException d ? d.getMessage() : e.getClass().getName();
      if (attempt < retry.maxAttempts()) {
        log.warn("alert {} to {}: attempt {} failed ({}); retrying", alert.id(), transport.kind(), attempt, error);
        schedule(alert, attempt + 1, retry.initialBackoff().multipliedBy(1L << (attempt - 1)));
      } else {
        log.error("alert {} to {}: all {} attempts failed ({}); written to the dead-letter file", alert.id(),
            transport.kind(), attempt, error);
        pending.decrementAndGet();
        deadLetter(alert, attempt, error);
      }
    }
  }

  private void deadLetter(Alert alert, int attempts, String error) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("failed_at", clock.instant().toString());
    line.put("sink", transport.kind());
    line.put("attempts", attempts);
    line.put("last_error", error);
    line.put("alert", alert.document());
    try {
      AlertLogFile.append(retry.deadLetter(), AlertJson.write(line));
    } catch (IOException e) {
      log.error("alert {} lost: dead-letter file not writable ({})", alert.id(), e.getClass().getName());
    }
  }

  /** Stops retrying (pending retries are dropped, so their alerts stay only in the alert log) and closes the transport. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
      transport.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.warn("alert transport {} did not close cleanly: {}", transport.kind(), e.getClass().getName());
    }
  }

  /** A receiver's refusal described without its response body (e.g. {@code http 503}). */
  public static final class DeliveryException extends IOException {
    public DeliveryException(String fixedDescription) {
      super(fixedDescription);
    }
  }
}
