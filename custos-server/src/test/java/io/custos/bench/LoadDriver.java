package io.custos.bench;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Drives a {@link Target} and records latency in an HdrHistogram (microseconds, 3 significant digits).
 *
 * <ul>
 *   <li><b>Open loop</b> (fixed offered load): request {@code i} is due at {@code start + i/rate}; latency is measured
 *       from the due time, not the send time, so a stalled server is charged for the requests it delayed
 *       (no coordinated omission). At most {@code maxInFlight} requests are outstanding; a request due while the
 *       limit is reached is counted as an error ({@code overload}) and not sent.</li>
 *   <li><b>Closed loop</b> (saturation): {@code concurrency} workers each send the next request when the previous
 *       one completes.</li>
 * </ul>
 * Both stop at the duration or the request count bound, whichever comes first, then wait (bounded) for
 * outstanding requests.
 */
final class LoadDriver {
  private LoadDriver() {}

  /** Result of one run. Latencies in milliseconds. */
  record Result(String target, String mode, double offeredRps, int concurrency, double seconds, long ok, long errors,
      Map<String, Long> errorKinds, double throughputRps, double p50, double p90, double p99, double p999, double max,
      double mean) {
    String summary() {
      return String.format(java.util.Locale.ROOT,
          "%-8s %-6s offered=%6.0f conc=%3d ok=%7d err=%5d thr=%8.1f/s p50=%7.3f p90=%7.3f p99=%7.3f max=%8.3f ms%s",
          target, mode, offeredRps, concurrency, ok, errors, throughputRps, p50, p90, p99, max,
          errorKinds.isEmpty() ? "" : " " + errorKinds);
    }
  }

  private static final class Recorder {
    final Histogram histogram = new ConcurrentHistogram(120_000_000L, 3);
    final LongAdder ok = new LongAdder();
    final LongAdder errors = new LongAdder();
    final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();

    void record(long startNanos, String error) {
      long micros = Math.max(1, (System.nanoTime() - startNanos) / 1_000);
      if (error == null) {
        histogram.recordValue(Math.min(micros, 120_000_000L));
        ok.increment();
      } else {
        errors.increment();
        kinds.computeIfAbsent(error, k -> new LongAdder()).increment();
      }
    }

    Result result(String target, String mode, double offered, int concurrency, double seconds) {
      Map<String, Long> k = new TreeMap<>();
      kinds.forEach((key, v) -> k.put(key, v.sum()));
      Histogram h = histogram;
      long n = ok.sum();
      return new Result(target, mode, offered, concurrency, seconds, n, errors.sum(), k, n / seconds,
          ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
          ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0);
    }

    private static double ms(long micros) {
      return micros / 1000.0;
    }
  }

  /** Open loop at {@code rate} requests/s for {@code duration} or {@code maxRequests}. */
  static Result open(Target target, double rate, Duration duration, long maxRequests, int maxInFlight) throws InterruptedException {
    Recorder rec = new Recorder();
    Semaphore inFlight = new Semaphore(maxInFlight);
    double interval = 1e9 / rate;
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long i = 0;
    for (; i < maxRequests; i++) {
      long due = start + (long) (i * interval);
      if (due >= end) {
        break;
      }
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      if (!inFlight.tryAcquire()) {
        rec.record(due, "overload");
        continue;
      }
      target.call(i).whenComplete((error, failure) -> {
        rec.record(due, failure != null ? "exception" : error);
        inFlight.release();
      });
    }
    long issuedEnd = System.nanoTime();
    inFlight.tryAcquire(maxInFlight, 60, TimeUnit.SECONDS);
    double seconds = Math.max(issuedEnd, start + 1) - start;
    return rec.result(target.name(), "open", rate, maxInFlight, seconds / 1e9);
  }

  /** Closed loop with {@code concurrency} workers for {@code duration} or {@code maxRequests} in total. */
  static Result closed(Target target, int concurrency, Duration duration, long maxRequests) throws InterruptedException {
    Recorder rec = new Recorder();
    AtomicLong seq = new AtomicLong();
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    Thread[] workers = new Thread[concurrency];
    for (int w = 0; w < concurrency; w++) {
      workers[w] = Thread.ofPlatform().daemon().name("bench-worker-" + w).start(() -> {
        long s;
        while (System.nanoTime() < end && (s = seq.getAndIncrement()) < maxRequests) {
          long t0 = System.nanoTime();
          String error;
          try {
            error = target.call(s).get(90, TimeUnit.SECONDS);
          } catch (Exception e) {
            error = "exception:" + e.getClass().getSimpleName();
          }
          rec.record(t0, error);
        }
      });
    }
    for (Thread t : workers) {
      t.join(duration.toMillis() + 120_000);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return rec.result(target.name(), "closed", 0, concurrency, seconds);
  }
}
