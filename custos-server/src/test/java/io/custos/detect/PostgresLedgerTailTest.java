package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.policy.AlertSink.Alert;
import io.custos.testing.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Detection for a fleet: the engine fed by tailing the shared PostgreSQL ledger (embedded PostgreSQL). */
class PostgresLedgerTailTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path tmp;

  @Test
  void theTailDeliversEveryEventAppendedAfterItStartedDecryptedAndInOrder() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    try (PostgresLedgerStore writerStore = PostgresLedgerStore.using(PG.dataSource());
        PostgresLedgerStore readerStore = PostgresLedgerStore.using(PG.dataSource());
        MerkleLedger replica = MerkleLedger.open(writerStore, tmp.resolve("cp"), keys, LedgerOptions.defaults(), Clock.systemUTC())) {
      Instant t = Instant.parse("2026-11-30T10:00:00Z");
      replica.append(TestEvents.read("before", t, "pt_1"));
      List<AuditEvent> seen = new ArrayList<>();
      PostgresLedgerTail tail = new PostgresLedgerTail(readerStore, keys.ledgerAead(), Duration.ofSeconds(1));
      tail.poll(seen::add);
      List<String> appended = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        AuditEvent e = TestEvents.read("after", t.plusSeconds(i), "pt_" + i);
        replica.append(e);
        appended.add(e.eventId());
      }
      tail.poll(seen::add);
      assertThat(seen).extracting(AuditEvent::eventId).containsExactlyElementsOf(appended);
      assertThat(seen.get(2).patientRefs()).containsExactly("pt_2");
    }
  }

  @Test
  void anEngineOnTheTailAlertsOnAnotherReplicasCallAndRecordsTheAlertInTheSharedLedger() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    try (PostgresLedgerStore writerStore = PostgresLedgerStore.using(PG.dataSource());
        PostgresLedgerStore detectorStore = PostgresLedgerStore.using(PG.dataSource());
        MerkleLedger replica = MerkleLedger.open(writerStore, tmp.resolve("cp-a"), keys, LedgerOptions.defaults(), Clock.systemUTC());
        MerkleLedger detectorLedger = MerkleLedger.open(detectorStore, tmp.resolve("cp-b"), keys, LedgerOptions.defaults(),
            Clock.systemUTC())) {
      List<Alert> alerts = new CopyOnWriteArrayList<>();
      CountDownLatch raised = new CountDownLatch(1);
      PostgresLedgerTail tail = new PostgresLedgerTail(detectorStore, keys.ledgerAead(), Duration.ofMillis(100));
      DetectionEngine engine = DetectionEngine.builder().config(DetectionEngineTest.defaults())
          .vipPseudonyms(java.util.Set.of("pt_vip")).ledger(detectorLedger, "test").build();
      engine.subscribe(a -> {
        alerts.add(a);
        raised.countDown();
      });
      engine.start(tail);
      long sizeAtStart = detectorStore.size();
      // The tail starts from the end it finds on its first poll; wait until that has happened.
      while (!tailStarted(tail)) {
        Thread.sleep(20);
      }
      AuditEvent read = TestEvents.read("alice", Instant.parse("2026-11-30T10:00:00Z"), "pt_vip");
      replica.append(read);
      assertThat(raised.await(30, TimeUnit.SECONDS)).isTrue();
      tail.close();
      engine.close();
      assertThat(alerts).singleElement().satisfies(a -> {
        assertThat(a.rule()).isEqualTo("vip-record");
        assertThat(a.evidenceEventIds()).containsExactly(read.eventId());
      });
      assertThat(detectorStore.size()).isEqualTo(sizeAtStart + 2); // the read, then the ALERT event
    }
  }

  private static boolean tailStarted(PostgresLedgerTail tail) {
    return tail.position() >= 0;
  }
}
