package io.custos.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.bench.LedgerAppendBenchmark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * How the audit ledger's cost grows with its size: one ledger ({@link MerkleLedger}, real segment files,
 * AES-256-GCM, fsync per group-commit batch) is filled by {@code threads} appender threads up to each size in turn;
 * at each size it records the last {@code window} appends (or all of them if fewer): their wall time (amortised
 * time per durable append; constant if append is O(1)) and each one's latency (p50, p99), the rate of every block of {@code block} appends, then closes the ledger, runs
 * {@code custos audit verify} on it in a fresh JVM (wall time, and the entries/s the command reports), and reopens it
 * (reopen time). A throw-away ledger is filled first to warm up the JIT.
 *
 * <p>Arguments: {@code --dir D} (a scratch directory, emptied first; holds about 700 bytes per entry),
 * {@code --sizes 1000,1000000,10000000}, {@code --threads 64}, {@code --window 10000}, {@code --block 100000},
 * {@code --warmup 100000}, {@code --out results.json}. Synthetic events only.
 */
public final class LedgerScaling {
  private static final Pattern RATE = Pattern.compile("([\\d.]+) s, ([\\d,]+) entries/s");

  private LedgerScaling() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path dir = Path.of(a.getOrDefault("dir", "bench-results/ledger-scaling-data")).toAbsolutePath();
    long[] sizes = Arrays.stream(a.getOrDefault("sizes", "1000,1000000,10000000").split(",")).mapToLong(Long::parseLong).toArray();
    int threads = Integer.parseInt(a.getOrDefault("threads", "64"));
    long window = Long.parseLong(a.getOrDefault("window", "10000"));
    long block = Long.parseLong(a.getOrDefault("block", "100000"));
    long warmup = Long.parseLong(a.getOrDefault("warmup", "100000"));
    Path out = Path.of(a.getOrDefault("out", "bench-results/scaling/ledger.json")).toAbsolutePath();
    BenchMain.deleteTree(dir);
    Files.createDirectories(dir);

    try (MerkleLedger w = open(dir.resolve("warmup"))) {
      append(w, warmup, threads, null);
    }
    BenchMain.deleteTree(dir.resolve("warmup"));
    BenchMain.deleteTree(dir.resolve("warmup-keys"));
    BenchMain.log("warm-up done: " + warmup + " appends");

    List<Map<String, Object>> rows = new ArrayList<>();
    List<Map<String, Object>> blocks = new ArrayList<>();
    MerkleLedger ledger = open(dir.resolve("ledger"));
    long size = 0;
    long fillStart = System.nanoTime();
    try {
      for (long target : sizes) {
        // Fill to target - window in blocks (rate per block recorded), then the last window appends with each
        // append's latency (enqueue to durable) recorded.
        while (size < target - window) {
          long n = Math.min(block - size % block, target - window - size);
          double s = append(ledger, n, threads, null);
          size += n;
          if (n == block) {
            blocks.add(Map.of("size", size, "appendsPerSecond", Math.round(n / s)));
          }
        }
        Histogram latency = new Histogram(60_000_000L, 3);
        long windowN = target - size;
        double windowSeconds = append(ledger, windowN, threads, latency);
        size = target;
        long disk = bytes(dir.resolve("ledger"));
        ledger.close();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("entries", size);
        row.put("windowAppends", windowN);
        row.put("windowMicrosPerAppend", round(windowSeconds * 1e6 / windowN));
        row.put("windowAppendsPerSecond", Math.round(windowN / windowSeconds));
        row.put("windowLatencyP50Micros", latency.getValueAtPercentile(50));
        row.put("windowLatencyP99Micros", latency.getValueAtPercentile(99));
        row.put("lastBlockAppendsPerSecond", blocks.isEmpty() ? null : blocks.get(blocks.size() - 1).get("appendsPerSecond"));
        row.put("diskBytes", disk);
        row.putAll(verify(dir.resolve("ledger")));
        long r0 = System.nanoTime();
        ledger = open(dir.resolve("ledger"));
        row.put("reopenMillis", (System.nanoTime() - r0) / 1_000_000);
        row.put("sizeAfterReopen", ledger.size());
        row.put("loadAvg", BenchMain.loadAvg());
        rows.add(row);
        BenchMain.log("size " + row);
      }
    } finally {
      ledger.close();
    }
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("meta", Map.of("date", Instant.now().toString(), "nproc", Runtime.getRuntime().availableProcessors(),
        "jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), "threads", threads,
        "fillSeconds", round((System.nanoTime() - fillStart) / 1e9), "args", String.join(" ", argv)));
    all.put("sizes", rows);
    all.put("blocks", blocks);
    Files.createDirectories(out.getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), all);
    BenchMain.log("wrote " + out);
  }

  private static MerkleLedger open(Path dir) throws IOException {
    return MerkleLedger.open(dir, LocalKeySource.openOrCreate(dir.resolveSibling(dir.getFileName() + "-keys")));
  }

  /**
   * {@code n} durable appends by {@code threads} threads; returns the wall time in seconds. With a histogram, each
   * append's latency (µs, from the call to its durability) is recorded in it.
   */
  static double append(MerkleLedger ledger, long n, int threads, Histogram latency) throws InterruptedException {
    AtomicLong left = new AtomicLong(n);
    Thread[] t = new Thread[threads];
    long t0 = System.nanoTime();
    for (int i = 0; i < threads; i++) {
      t[i] = Thread.ofPlatform().start(() -> {
        while (left.getAndDecrement() > 0) {
          long a0 = System.nanoTime();
          ledger.append(LedgerAppendBenchmark.intentEvent());
          if (latency != null) {
            synchronized (latency) {
              latency.recordValue(Math.min((System.nanoTime() - a0) / 1000, 60_000_000L));
            }
          }
        }
      });
    }
    for (Thread x : t) {
      x.join();
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** {@code custos audit verify} in its own JVM: wall time (JVM start included) and the rate it reports. */
  private static Map<String, Object> verify(Path ledger) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.custos.cli.CustosCli", "audit",
        "verify", "--ledger", ledger.toString()).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("verifyExit", exit);
    m.put("verifyWallSeconds", round((System.nanoTime() - t0) / 1e9));
    Matcher r = RATE.matcher(text);
    if (r.find()) {
      m.put("verifySeconds", Double.parseDouble(r.group(1)));
      m.put("verifyEntriesPerSecond", Long.parseLong(r.group(2).replace(",", "")));
    }
    m.put("verifyOutput", text.lines().filter(l -> !l.startsWith("WARNING")).reduce((x, y) -> y).orElse(""));
    return m;
  }

  private static long bytes(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
