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

  /** Where each request's outcome goes: latency from {@code startNanos}, error null on success. */
  interface Sink {
    void record(long startNanos, String error);
  }

  /** Latency in microseconds since {@code startNanos}, at least 1, capped at the histograms' 120 s range. */
  private static long micros(long startNanos) {
    return Math.min(Math.max(1, (System.nanoTime() - startNanos) / 1_000), MAX_MICROS);
  }

  private static final long MAX_MICROS = 120_000_000L;

  /** Errors by kind, counted without locks. */
  private static final class Errors {
    final LongAdder count = new LongAdder();
    final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();

    void add(String kind) {
      count.increment();
      kinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Counts by kind; with {@code reset}, each counter restarts from zero (for interval reports). */
    Map<String, Long> byKind(boolean reset) {
      Map<String, Long> k = new TreeMap<>();
      kinds.forEach((key, v) -> {
        long n = reset ? v.sumThenReset() : v.sum();
        if (n > 0) {
          k.put(key, n);
        }
      });
      return k;
    }
  }

  /**
   * Outcomes of one continuous run, reported whole or by interval: each {@link #next} returns the requests
   * completed since the previous call (HdrHistogram's {@code Recorder} swaps histograms without stopping writers).
   */
  static final class Intervals implements Sink {
    private final org.HdrHistogram.Recorder histogram = new org.HdrHistogram.Recorder(MAX_MICROS, 3);
    private final Errors errors = new Errors();
    private Histogram recycled;

    @Override
    public void record(long startNanos, String error) {
      if (error == null) {
        histogram.recordValue(micros(startNanos));
      } else {
        errors.add(error);
      }
    }

    /** The requests completed since the previous call, over {@code seconds}. */
    synchronized Result next(String target, String mode, double offered, int concurrency, double seconds) {
      recycled = histogram.getIntervalHistogram(recycled);
      return LoadDriver.result(target, mode, offered, concurrency, seconds, recycled, errors.byKind(true));
    }
  }

  private static Result result(String target, String mode, double offered, int concurrency, double seconds, Histogram h,
      Map<String, Long> errorKinds) {
    long n = h.getTotalCount();
    long errors = errorKinds.values().stream().mapToLong(Long::longValue).sum();
    return new Result(target, mode, offered, concurrency, seconds, n, errors, errorKinds, n / seconds,
        ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
        ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), n == 0 ? 0 : h.getMean() / 1000.0);
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  /** Open loop at {@code rate} requests/s for {@code duration} or {@code maxRequests}. */
  static Result open(Target target, double rate, Duration duration, long maxRequests, int maxInFlight) throws InterruptedException {
    Intervals rec = new Intervals();
    double seconds = open(target, rate, duration, maxRequests, maxInFlight, rec);
    return rec.next(target.name(), "open", rate, maxInFlight, seconds);
  }

  /**
   * Open loop into {@code sink}; returns the seconds spent issuing requests (outstanding ones are then awaited, at
   * most 60 s).
   */
  static double open(Target target, double rate, Duration duration, long maxRequests, int maxInFlight, Sink sink)
      throws InterruptedException {
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
        sink.record(due, "overload");
        continue;
      }
      target.call(i).whenComplete((error, failure) -> {
        sink.record(due, failure != null ? "exception" : error);
        inFlight.release();
      });
    }
    long issuedEnd = System.nanoTime();
    inFlight.tryAcquire(maxInFlight, 60, TimeUnit.SECONDS);
    return (Math.max(issuedEnd, start + 1) - start) / 1e9;
  }

  /** Closed loop with {@code concurrency} workers for {@code duration} or {@code maxRequests} in total. */
  static Result closed(Target target, int concurrency, Duration duration, long maxRequests) throws InterruptedException {
    Intervals rec = new Intervals();
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
    return rec.next(target.name(), "closed", 0, concurrency, seconds);
  }
}
