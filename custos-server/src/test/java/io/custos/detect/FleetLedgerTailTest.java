package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.testing.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A fleet elects one detector: only it reads the shared ledger, and another replica takes over when it stops. */
class FleetLedgerTailTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path tmp;

  @Test
  void oneReplicaDetectsAndAnotherTakesOverWhenItStops() throws Exception {
    String url = PG.freshDatabase();
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    List<AuditEvent> first = new CopyOnWriteArrayList<>();
    List<AuditEvent> second = new CopyOnWriteArrayList<>();
    try (PostgresLedgerStore writerStore = PostgresLedgerStore.connect(url, "postgres", "");
        PostgresLedgerStore storeA = PostgresLedgerStore.connect(url, "postgres", "");
        PostgresLedgerStore storeB = PostgresLedgerStore.connect(url, "postgres", "");
        MerkleLedger writer = MerkleLedger.open(writerStore, tmp.resolve("cp"), keys, LedgerOptions.defaults(),
            Clock.systemUTC())) {
      FleetLedgerTail a = new FleetLedgerTail(storeA, keys.ledgerAead(), Duration.ofMillis(200));
      FleetLedgerTail b = new FleetLedgerTail(storeB, keys.ledgerAead(), Duration.ofMillis(200));
      try (b) {
        a.start(first::add);
        awaitTrue(a::detecting);
        b.start(second::add);
        Thread.sleep(1000);
        assertThat(b.detecting()).as("one detector per fleet").isFalse();
        Thread.sleep(1200); // the new detector's first poll finds the end of the ledger
        writer.append(TestEvents.read("dr-a", Instant.now(), "pt_1"));
        awaitTrue(() -> first.size() == 1);
        assertThat(second).isEmpty();

        a.close();
        awaitTrue(b::detecting);
        Thread.sleep(1200);
        writer.append(TestEvents.read("dr-b", Instant.now(), "pt_2"));
        awaitTrue(() -> second.size() == 1);
        assertThat(second.get(0).subject()).isEqualTo("dr-b");
        assertThat(first).hasSize(1);
      }
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 20 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
