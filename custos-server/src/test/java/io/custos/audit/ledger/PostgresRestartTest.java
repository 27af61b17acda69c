package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditUnavailableException;
import io.custos.testing.RestartablePostgres;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.merkle.MerkleHash;
import io.custos.verify.merkle.MerkleProofs;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL restarted under load: four appenders write through a {@link MerkleLedger} on the
 * {@link PostgresLedgerStore} (pool from {@link PostgresLedgerStore#connect}); PostgreSQL is stopped and started
 * again on the same data directory and port. During the outage appends fail closed ({@link AuditUnavailableException},
 * in bounded time); after it they resume without restarting Custos; the leaf sequence is gapless, every acknowledged
 * event sits at the index it was acknowledged with, and the signed checkpoint covers the whole sequence.
 */
class PostgresRestartTest {
  @TempDir
  Path tmp;

  @Test
  void appendsFailClosedDuringTheOutageAndResumeAfterGapless() throws Exception {
    RestartablePostgres server = new RestartablePostgres(tmp.resolve("pgdata"));
    EmbeddedPostgres pg = server.start();
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    Map<Long, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger failedDuringOutage = new AtomicInteger();
    AtomicInteger okAfter = new AtomicInteger();
    AtomicBoolean down = new AtomicBoolean();
    AtomicBoolean restarted = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    List<Long> failLatencies = java.util.Collections.synchronizedList(new ArrayList<>());
    try (PostgresLedgerStore store = PostgresLedgerStore.connect(pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
        MerkleLedger ledger = MerkleLedger.open(store, tmp.resolve("cp"), keys, LedgerOptions.defaults(), Clock.systemUTC())) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        writers.add(pool.submit(() -> {
          for (int i = 0; i < 100_000 && !stop.get(); i++) {
            AuditEvent e = LedgerFixtures.event();
            long t0 = System.nanoTime();
            try {
              long index = ledger.appendForIndex(e);
              assertThat(acknowledged.put(index, e.eventId())).as("index %d acknowledged twice", index).isNull();
              if (restarted.get()) {
                okAfter.incrementAndGet();
              }
            } catch (AuditUnavailableException refused) {
              failed.incrementAndGet();
              if (down.get()) {
                failedDuringOutage.incrementAndGet();
                failLatencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
              }
              Thread.sleep(50);
            }
          }
          return null;
        }));
      }
      Thread.sleep(1500);
      long beforeOutage = acknowledged.size();
      down.set(true);
      pg.close(); // stops the server; the data directory stays
      Thread.sleep(4000);
      int ackDuringOutageStart = acknowledged.size();
      Thread.sleep(1000);
      assertThat(acknowledged.size()).as("nothing acknowledged while PostgreSQL is down").isEqualTo(ackDuringOutageStart);
      pg = server.start();
      down.set(false);
      restarted.set(true);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (okAfter.get() < 200 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      stop.set(true);
      for (Future<?> f : writers) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();

      assertThat(beforeOutage).isGreaterThan(0);
      assertThat(failedDuringOutage.get()).as("appends refused during the outage").isGreaterThan(0);
      assertThat(failLatencies).as("refusals in bounded time").allSatisfy(ms -> assertThat(ms).isLessThan(12_000L));
      assertThat(okAfter.get()).as("appends resumed after the restart, without restarting the ledger").isGreaterThanOrEqualTo(200);

      // gapless: indices 0..n-1 all present, each acknowledged event at its index
      long n = store.size();
      List<byte[]> all = new ArrayList<>();
      for (long from = 0; from < n; from += 5000) {
        all.addAll(store.read(from, 5000));
      }
      assertThat(all).hasSize((int) n);
      Map<Long, String> stored = new HashMap<>();
      for (int i = 0; i < all.size(); i++) {
        stored.put((long) i, LedgerEntry.eventIdOf(all.get(i)));
      }
      for (Map.Entry<Long, String> a : acknowledged.entrySet()) {
        assertThat(stored.get(a.getKey())).as("entry %d", a.getKey()).isEqualTo(a.getValue());
      }
      Checkpoint cp = ledger.checkpointNow().orElseThrow();
      assertThat(cp.treeSize()).isEqualTo(n);
      List<byte[]> hashes = new ArrayList<>();
      all.forEach(e -> hashes.add(MerkleHash.leaf(e)));
      assertThat(new MerkleProofs(hashes).root(n)).isEqualTo(cp.rootHash());
      System.out.printf("PostgreSQL restart: %d acknowledged (%d before the outage, %d after), %d refused (%d during the outage,"
          + " max %d ms), %d entries gapless%n", acknowledged.size(), beforeOutage, okAfter.get(), failed.get(),
          failedDuringOutage.get(), failLatencies.stream().mapToLong(Long::longValue).max().orElse(0), n);
    } finally {
      pg.close();
    }
  }
}
