package io.custos.audit.ledger;

import io.custos.verify.JdbcLedger;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.CheckpointKey;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark (not a test): durable appends per second to one PostgreSQL ledger shared by 1, 2 and 3 replicas. Each
 * replica is a {@link MerkleLedger} with its own HikariCP pool and checkpoint cache, as a server process has; they run
 * in this JVM, so on a 2-core machine they share the CPU with PostgreSQL as separate processes would. Per replica
 * count: a fresh database, {@code threads} appender threads per replica for {@code seconds}, then appends/s, the
 * PostgreSQL transactions per append (from {@code pg_stat_database.xact_commit}: a batch is one transaction, so this
 * is 1 / mean batch size) and an offline verification of the result from the database.
 *
 * <p>Arguments: {@code --replicas 1,2,3 --threads 16 --seconds 20}. Run by {@code scripts/bench.sh fleet-ledger}.
 */
public final class FleetLedgerBench {
  private FleetLedgerBench() {}

  public static void main(String[] argv) throws Exception {
    java.util.Map<String, String> a = new java.util.HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    int[] replicaCounts = Arrays.stream(a.getOrDefault("replicas", "1,2,3").split(",")).mapToInt(Integer::parseInt).toArray();
    int threads = Integer.parseInt(a.getOrDefault("threads", "16"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "20"));
    Path tmp = Files.createTempDirectory("fleet-ledger-bench");
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start()) {
      LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
      run(pg, keys, tmp.resolve("warmup"), 1, threads, 5, "warm-up");
      for (int r : replicaCounts) {
        run(pg, keys, tmp.resolve("r" + r), r, threads, seconds, "measured");
      }
    }
  }

  private static void run(EmbeddedPostgres pg, LocalKeySource keys, Path dir, int replicas, int threads, int seconds,
      String label) throws Exception {
    String db = "bench_" + dir.getFileName().toString().replace("-", "_");
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
    String url = "jdbc:postgresql://localhost:" + pg.getPort() + "/" + db + "?user=postgres";
    List<MerkleLedger> ledgers = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      ledgers.add(MerkleLedger.open(PostgresLedgerStore.connect(url, "postgres", ""), dir.resolve("cp" + i), keys,
          LedgerOptions.defaults(), Clock.systemUTC()));
    }
    long commitsBefore = commits(url, db);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong appended = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(replicas * threads);
    List<Future<?>> fs = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < replicas * threads; t++) {
      MerkleLedger l = ledgers.get(t % replicas);
      fs.add(pool.submit(() -> {
        while (!stop.get()) {
          l.append(LedgerFixtures.event());
          appended.incrementAndGet();
        }
        return null;
      }));
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    for (Future<?> f : fs) {
      f.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long transactions = commits(url, db) - commitsBefore;
    ledgers.forEach(MerkleLedger::close);
    VerificationReport v;
    try (JdbcLedger source = JdbcLedger.connect(url)) {
      v = LedgerVerifier.verify(source, CheckpointKey.read(dir.resolve("cp0").resolve(CheckpointSigner.VKEY_FILE)),
          Optional.empty());
    }
    System.out.printf("%s replicas=%d threads/replica=%d appends=%d seconds=%.1f appends/s=%.0f"
        + " transactions/append=%.3f verify=%s (%d entries, %d checkpoints, %.1f s)%n", label, replicas, threads,
        appended.get(), elapsed, appended.get() / elapsed, (double) transactions / appended.get(), v.ok() ? "OK" : "FAILED",
        v.entries(), v.checkpoints(), v.elapsed().toMillis() / 1000.0);
  }

  /** Committed transactions of database {@code db} so far (all sessions, including checkpoints and reads). */
  private static long commits(String url, String db) throws Exception {
    try (Connection c = java.sql.DriverManager.getConnection(url);
        PreparedStatement s = c.prepareStatement("SELECT xact_commit FROM pg_stat_database WHERE datname = ?")) {
      s.setString(1, db);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
