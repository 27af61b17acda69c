package io.custos.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * The soak: one target at a fixed open-loop rate for a long time, sampling the server's memory and the calls'
 * outcome at a fixed interval, then a verdict.
 *
 * <p>Each sample holds the server's resident set size and used heap (read without collecting), and the calls
 * completed in the interval (count, errors by kind, p50 and p99 from the due time, as {@link LoadDriver#open}).
 * Retained heap is measured after a full collection twice: just before the load starts (after the caller's
 * warm-up) and after the last call. The verdict ({@link #verdict}) passes when there was no error, at least one
 * call succeeded, the retained heap at the end is within {@link Limits} of the one at the start, and the
 * least-squares slope of RSS over the second half of the run is at most the limit's.
 *
 * <p>{@link #main} is {@code scripts/bench.sh soak}: Custos from its jar (as in {@link BenchMain}), the shared
 * upstream, real tokens; rate = the {@code --rate} given, or half the throughput of a short closed-loop saturation
 * run; the warm-up ends with {@code --settle-minutes} at that rate before the measured run. Writes
 * {@code soak.csv}, {@code soak.svg} and {@code summary.json}. Options (defaults): {@code --out DIR
 * --jar PATH --minutes 30 --rate R --interval-seconds 10 --warmup-seconds 60 --warmup-requests 6000
 * --saturation-seconds 20 --settle-minutes 5 --concurrency 16 --sessions 20 --max-in-flight 256 --heap-growth-percent 10
 * --heap-growth-floor-mib 16 --rss-slope-mib-per-min 1 --disk-contention}.
 */
public final class Soak {
  private Soak() {}

  /**
   * Bounds of a passing soak.
   *
   * @param heapGrowthFraction  retained heap may grow by this fraction of the start value...
   * @param heapGrowthFloorKb   ...or by this many KiB, whichever is larger
   * @param rssSlopeKbPerMinute bound on the RSS slope over the run's second half, KiB per minute; infinite when a run
   *                            is too short for RSS to settle (JIT and heap sizing dominate the first minutes)
   */
  record Limits(double heapGrowthFraction, long heapGrowthFloorKb, double rssSlopeKbPerMinute) {
    long heapLimitKb(long startKb) {
      return startKb + Math.max(heapGrowthFloorKb, (long) (startKb * heapGrowthFraction));
    }
  }

  /** A run: {@code rate} calls/s for {@code duration}, sampled every {@code every}, at most {@code maxInFlight}. */
  record Plan(double rate, Duration duration, Duration every, int maxInFlight, Limits limits) {}

  /** One sample: time since the load started (s), memory (KiB, -1 if unknown) and the interval's calls. */
  record Sample(double seconds, long rssKb, long heapUsedKb, LoadDriver.Result interval, String loadAvg) {}

  /** Outcome; {@code failures} says which bound was missed, empty when {@code pass}. */
  record Verdict(boolean pass, long ok, long errors, Map<String, Long> errorKinds, long heapAfterGcStartKb,
      long heapAfterGcEndKb, long heapLimitKb, double rssSlopeKbPerMinute, double rssSlopeLimitKbPerMinute,
      List<String> failures) {
    String text() {
      return String.format(Locale.ROOT, "%s: ok=%d errors=%d%s heapAfterGc start=%.1f MiB end=%.1f MiB (limit %.1f MiB)"
          + " rssSlope(second half)=%.3f MiB/min (limit %s)%s", pass ? "PASS" : "FAIL", ok, errors,
          errorKinds.isEmpty() ? "" : " " + errorKinds, heapAfterGcStartKb / 1024.0, heapAfterGcEndKb / 1024.0,
          heapLimitKb / 1024.0, rssSlopeKbPerMinute / 1024.0, Double.isInfinite(rssSlopeLimitKbPerMinute) ? "none"
              : String.format(Locale.ROOT, "%.3f MiB/min", rssSlopeLimitKbPerMinute / 1024.0),
          failures.isEmpty() ? "" : " " + failures);
    }
  }

  /** The samples and verdict of a run. */
  record Report(Plan plan, List<Sample> samples, Verdict verdict) {}

  /**
   * Drives {@code target} per {@code plan} while sampling {@code server}; the caller warms up first. Blocks for
   * the plan's duration plus the time to finish outstanding calls (at most 60 s) and two full collections.
   */
  static Report run(Target target, MemoryProbe server, Plan plan) throws InterruptedException {
    long heapStart = server.heapUsedKb(true);
    LoadDriver.Intervals intervals = new LoadDriver.Intervals();
    List<Sample> samples = new ArrayList<>();
    long t0 = System.nanoTime();
    long[] last = {t0};
    Runnable sample = () -> {
      long now = System.nanoTime();
      LoadDriver.Result r = intervals.next(target.name(), "open", plan.rate(), plan.maxInFlight(), (now - last[0]) / 1e9);
      last[0] = now;
      Sample s = new Sample((now - t0) / 1e9, server.rssKb(), server.heapUsedKb(false), r, BenchMain.loadAvg());
      samples.add(s);
      BenchMain.log(String.format(Locale.ROOT, "soak t=%6.0fs rss=%7.1f MiB heap=%7.1f MiB %s", s.seconds(),
          s.rssKb() / 1024.0, s.heapUsedKb() / 1024.0, r.summary()));
    };
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("soak-sampler").factory());
    long every = plan.every().toMillis();
    sampler.scheduleAtFixedRate(sample, every, every, TimeUnit.MILLISECONDS);
    try {
      LoadDriver.open(target, plan.rate(), plan.duration(), Long.MAX_VALUE, plan.maxInFlight(), intervals);
    } finally {
      sampler.shutdown();
      sampler.awaitTermination(60, TimeUnit.SECONDS);
    }
    sample.run(); // the calls completed since the last sample
    long heapEnd = server.heapUsedKb(true);
    Verdict verdict = verdict(samples, heapStart, heapEnd, plan.limits());
    BenchMain.log("soak verdict " + verdict.text());
    return new Report(plan, List.copyOf(samples), verdict);
  }

  /** The verdict on {@code samples} and the retained heap (KiB) before and after the load. */
  static Verdict verdict(List<Sample> samples, long heapStartKb, long heapEndKb, Limits limits) {
    long ok = 0;
    Map<String, Long> kinds = new TreeMap<>();
    for (Sample s : samples) {
      ok += s.interval().ok();
      s.interval().errorKinds().forEach((k, n) -> kinds.merge(k, n, Long::sum));
    }
    long errors = kinds.values().stream().mapToLong(Long::longValue).sum();
    List<String> failures = new ArrayList<>();
    if (errors > 0) {
      failures.add("errors");
    }
    if (ok == 0) {
      failures.add("no successful call");
    }
    long heapLimit = limits.heapLimitKb(heapStartKb);
    if (heapStartKb < 0 || heapEndKb < 0 || heapEndKb > heapLimit) {
      failures.add("retained heap grew beyond the limit");
    }
    double slope = rssSlopeKbPerMinute(samples).orElse(Double.NaN);
    if (!Double.isInfinite(limits.rssSlopeKbPerMinute()) && !(slope <= limits.rssSlopeKbPerMinute())) {
      failures.add(Double.isNaN(slope) ? "too few RSS samples in the second half" : "RSS slope beyond the limit");
    }
    return new Verdict(failures.isEmpty(), ok, errors, kinds, heapStartKb, heapEndKb, heapLimit, slope,
        limits.rssSlopeKbPerMinute(), List.copyOf(failures));
  }

  /**
   * Least-squares slope of RSS (KiB per minute) over the samples in the second half of the run (time of the last
   * sample / 2 onward) that have an RSS; empty with fewer than three such samples.
   */
  static Optional<Double> rssSlopeKbPerMinute(List<Sample> samples) {
    if (samples.isEmpty()) {
      return Optional.empty();
    }
    double half = samples.get(samples.size() - 1).seconds() / 2;
    List<Sample> tail = samples.stream().filter(s -> s.seconds() >= half && s.rssKb() >= 0).toList();
    if (tail.size() < 3) {
      return Optional.empty();
    }
    double mx = tail.stream().mapToDouble(s -> s.seconds() / 60).average().orElseThrow();
    double my = tail.stream().mapToDouble(Sample::rssKb).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (Sample s : tail) {
      double dx = s.seconds() / 60 - mx;
      sxy += dx * (s.rssKb() - my);
      sxx += dx * dx;
    }
    return sxx == 0 ? Optional.empty() : Optional.of(sxy / sxx);
  }

  /** One line per sample. */
  static String csv(Report report, boolean diskContention) {
    StringBuilder csv = new StringBuilder("seconds,rss_kb,heap_used_kb,offered_rps,ok,errors,throughput_rps,p50_ms,p99_ms,"
        + "max_ms,loadavg,disk_contention\n");
    for (Sample s : report.samples()) {
      LoadDriver.Result r = s.interval();
      csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%.1f,%d,%d,%.1f,%.3f,%.3f,%.3f,%s,%s%n", s.seconds(), s.rssKb(),
          s.heapUsedKb(), r.offeredRps(), r.ok(), r.errors(), r.throughputRps(), r.p50(), r.p99(), r.max(),
          s.loadAvg().replace(' ', '/'), diskContention ? "on" : "off"));
    }
    return csv.toString();
  }

  private static double number(Map<String, String> options, String name, double otherwise) {
    return options.containsKey(name) ? Double.parseDouble(options.get(name)) : otherwise;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results/soak")).toAbsolutePath();
    Path jar = Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath();
    Duration duration = Duration.ofSeconds(Math.round(number(a, "minutes", 30) * 60));
    Duration every = Duration.ofSeconds((long) number(a, "interval-seconds", 10));
    Duration warmup = Duration.ofSeconds((long) number(a, "warmup-seconds", 60));
    long warmupRequests = (long) number(a, "warmup-requests", 6000);
    Duration saturation = Duration.ofSeconds((long) number(a, "saturation-seconds", 20));
    Duration settle = Duration.ofSeconds(Math.round(number(a, "settle-minutes", 5) * 60));
    int concurrency = (int) number(a, "concurrency", 16);
    int sessions = (int) number(a, "sessions", 20);
    int maxInFlight = (int) number(a, "max-in-flight", 256);
    Limits limits = new Limits(number(a, "heap-growth-percent", 10) / 100,
        Math.round(number(a, "heap-growth-floor-mib", 16) * 1024), number(a, "rss-slope-mib-per-min", 1) * 1024);
    boolean diskContention = a.containsKey("disk-contention");
    Files.createDirectories(out);
    Map<String, Object> meta = BenchMain.meta(argv);
    BenchMain.log("soak start " + meta);

    List<BenchProcess> procs = new ArrayList<>();
    MockOAuth2Server oauth = new MockOAuth2Server();
    Report report;
    Map<String, Object> contention = Map.of();
    try {
      BenchProcess upstream = BenchMain.startUpstream(out, System.getProperty("java.class.path"));
      procs.add(upstream);
      oauth.start(InetAddress.getByName("127.0.0.1"), 0);
      List<BenchUsers.Pair> pairs = BenchUsers.pairs();
      List<String> pairTokens = BenchUsers.tokens(oauth, pairs);
      Target.Mix mix = new Target.Mix(pairs.stream().map(BenchUsers.Pair::patientId).toList());
      Path custosDir = out.resolve("custos");
      BenchProcess custos = BenchMain.startCustos(custosDir, jar, upstream.ready, oauth, out.resolve("logs/custos.log"));
      procs.add(custos);
      BenchMain.log("custos " + custos.ready + " pid " + custos.pid());
      MemoryProbe probe = MemoryProbe.attach(custos.pid());
      McpBenchClient client = new McpBenchClient(McpBenchClient.client(custosDir.resolve("data/tls/certificate.pem")),
          URI.create(custos.ready));
      List<String> sessionTokens = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        sessionTokens.add(pairTokens.get(i % pairTokens.size()));
      }
      try (Target target = new Target.Mcp("custos", client, Target.Mcp.open(client, sessionTokens), mix,
          "get_active_conditions")) {
        BenchMain.log("warmup " + LoadDriver.closed(target, 4, warmup, warmupRequests).summary());
        double rate;
        if (a.containsKey("rate")) {
          rate = Double.parseDouble(a.get("rate"));
        } else {
          LoadDriver.Result sat = LoadDriver.closed(target, concurrency, saturation, Long.MAX_VALUE);
          BenchMain.log("saturation " + sat.summary());
          meta.put("saturationRps", sat.throughputRps());
          rate = Math.max(1, Math.floor(sat.throughputRps() / 2));
        }
        meta.put("rateRps", rate);
        // The warm-up ends with minutes at the soak's own rate: bounded state (caches, per-session and per-user
        // structures) fills in the first minutes of load, and the retained-heap baseline is taken after it.
        if (settle.toSeconds() > 0) {
          BenchMain.log("settle " + LoadDriver.open(target, rate, settle, Long.MAX_VALUE, maxInFlight).summary());
        }
        Plan plan = new Plan(rate, duration, every, maxInFlight, limits);
        BenchMain.log("soak at " + rate + "/s for " + duration + (diskContention ? " with disk contention" : ""));
        if (diskContention) {
          // The scratch file sits beside the ledger: same file system, same device queue.
          DiskContention disk = DiskContention.start(custosDir.resolve("data"));
          try {
            report = run(target, probe, plan);
          } finally {
            disk.close();
          }
          contention = disk.summary();
        } else {
          report = run(target, probe, plan);
        }
      }
    } finally {
      for (int i = procs.size() - 1; i >= 0; i--) {
        procs.get(i).close();
      }
      oauth.shutdown();
    }
    meta.put("loadAvgEnd", BenchMain.loadAvg());
    meta.put("diskContention", diskContention ? contention : "off");
    Files.writeString(out.resolve("soak.csv"), csv(report, diskContention));
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("meta", meta);
    summary.put("limits", report.plan().limits());
    summary.put("verdict", report.verdict());
    Files.writeString(out.resolve("summary.json"),
        McpBenchClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary));
    Files.writeString(out.resolve("soak.svg"), SvgPlot.memoryVsTime(report, meta));
    System.exit(report.verdict().pass() ? 0 : 1);
  }
}
