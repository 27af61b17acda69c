package io.custos.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.KeySource;
import io.custos.audit.ledger.LedgerReader;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LedgerPruner;
import io.custos.audit.ledger.SegmentFileStore;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.audit.ledger.StoredEvent;
import io.custos.testing.EmbeddedPostgresExtension;
import io.custos.testing.ManualClock;
import io.custos.verify.JdbcLedger;
import io.custos.verify.PrunedRanges;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.DirectoryLedger;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The console's ledger view reads incrementally, keeps bounded memory, and shows only what the signed ledger holds. */
class LedgerViewTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path dir;
  private KeySource keys;
  private MerkleLedger ledger;
  private MerkleLedger other;

  /** A running ledger's reader, counting what is read and able to serve planted entries in place of the real ones. */
  private static final class Counting implements LedgerReader {
    final List<long[]> reads = new ArrayList<>();
    final Map<Long, byte[]> planted = new HashMap<>();
    MerkleLedger ledger;

    @Override
    public long size() throws IOException {
      return ledger.reader().size();
    }

    @Override
    public List<byte[]> read(long from, int max) throws IOException {
      List<byte[]> out = new ArrayList<>(ledger.reader().read(from, max));
      for (int i = 0; i < out.size(); i++) {
        byte[] p = planted.get(from + i);
        if (p != null) {
          out.set(i, p);
        }
      }
      reads.add(new long[] {from, out.size()});
      return out;
    }

    @Override
    public Optional<Checkpoint> lastCheckpoint() {
      return ledger.reader().lastCheckpoint();
    }

    long entriesRead() {
      return reads.stream().mapToLong(r -> r[1]).sum();
    }
  }

  private final Counting reader = new Counting();

  @BeforeEach
  void open() throws IOException {
    keys = LocalKeySource.openOrCreate(dir.resolve("keys"));
    ledger = MerkleLedger.open(dir.resolve("ledger"), keys);
    other = MerkleLedger.open(dir.resolve("other"), keys); // same keys: its entries decrypt here too
    reader.ledger = ledger;
  }

  @AfterEach
  void close() {
    ledger.close();
    other.close();
  }

  private LedgerView view(int capacity) {
    Path ledgerDir = dir.resolve("ledger");
    return new LedgerView(ledgerDir, () -> new DirectoryLedger(ledgerDir), reader, keys, ledger, id -> List.of(), capacity);
  }

  private static AuditEvent event(String id) {
    return new AuditEvent(id, "call-" + id, Instant.parse("2026-11-29T10:00:00Z"), AuditEvent.Phase.RESULT, "dr-who", null,
        "agent", null, null, Set.of("clinician"), "read_notes", "DocumentReference", List.of("pt_1"), null, "success", 1,
        null, 0, "127.0.0.1", "test", false, null, "TREAT", List.of());
  }

  private static void append(MerkleLedger to, String... ids) {
    for (String id : ids) {
      to.append(event(id));
    }
  }

  private static List<String> ids(List<StoredEvent> events) {
    return events.stream().map(e -> e.event().eventId()).toList();
  }

  @Test
  void theSecondReadDecryptsOnlyTheEntriesAppendedSinceTheFirst() throws IOException {
    LedgerView view = view(LedgerView.DEFAULT_CAPACITY);
    append(ledger, "e0", "e1", "e2", "e3", "e4");
    assertThat(ids(view.events())).containsExactly("e0", "e1", "e2", "e3", "e4");
    assertThat(reader.entriesRead()).isEqualTo(5);

    append(ledger, "e5", "e6", "e7");
    reader.reads.clear();
    List<StoredEvent> second = view.events();

    assertThat(ids(second)).containsExactly("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7");
    assertThat(second).extracting(StoredEvent::leafIndex).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(reader.reads).hasSize(1);
    assertThat(reader.reads.get(0)).containsExactly(5, 3);
    reader.reads.clear();
    assertThat(view.events()).hasSize(8);
    assertThat(reader.entriesRead()).isZero();
  }

  @Test
  void aFleetsPostgresqlLedgerIsReadIncrementallyTooWithEntriesOfOtherServers() throws Exception {
    try (PostgresLedgerStore storeA = PostgresLedgerStore.using(PG.dataSource());
        PostgresLedgerStore storeB = PostgresLedgerStore.using(PG.dataSource());
        MerkleLedger a = MerkleLedger.open(storeA, dir.resolve("cp-a"), keys, LedgerOptions.defaults(), Clock.systemUTC());
        MerkleLedger b = MerkleLedger.open(storeB, dir.resolve("cp-b"), keys, LedgerOptions.defaults(), Clock.systemUTC())) {
      reader.ledger = a;
      String url = "jdbc:postgresql://localhost:" + PG.port() + "/postgres?user=postgres";
      LedgerView view = new LedgerView(dir.resolve("cp-a"), () -> JdbcLedger.connect(url), reader, keys, a, id -> List.of(),
          LedgerView.DEFAULT_CAPACITY);
      append(a, "a0", "a1");
      append(b, "b0", "b1");
      a.checkpointNow();
      assertThat(ids(view.events())).containsExactly("a0", "a1", "b0", "b1");
      append(b, "b2");
      reader.reads.clear();

      assertThat(ids(view.events())).containsExactly("a0", "a1", "b0", "b1", "b2");
      assertThat(reader.reads).hasSize(1);
      assertThat(reader.reads.get(0)).containsExactly(4, 1);
    }
  }

  @Test
  void entriesPrunedAfterRetentionAreLeftOutAndTheRestIsVerifiedAgainstTheSignedRoot() throws Exception {
    Path pruned = dir.resolve("pruned");
    ManualClock clock = new ManualClock(Instant.parse("2019-01-01T00:00:00Z"));
    LedgerOptions options = LedgerOptions.defaults().withSegmentBytes(1); // a segment per batch, so each can be pruned
    try (MerkleLedger l = MerkleLedger.open(SegmentFileStore.open(pruned, 1), pruned, keys, options, clock)) {
      append(l, "old0", "old1", "old2");
      l.checkpointNow();
      clock.set(Instant.parse("2025-06-01T00:00:00Z"));
      append(l, "new0", "new1");
      l.checkpointNow();
    }
    assertThat(LedgerPruner.prune(pruned, CheckpointKey.anyOrigin(keys.checkpointPublicKey()), keys,
        PrunedRanges.DEFAULT_RETENTION_DAYS, Instant.parse("2026-01-01T00:00:00Z")).prunedEntries()).isEqualTo(3);

    try (MerkleLedger l = MerkleLedger.open(SegmentFileStore.open(pruned, 1), pruned, keys, options, clock)) {
      reader.ledger = l;
      LedgerView view = new LedgerView(pruned, () -> new DirectoryLedger(pruned), reader, keys, l, id -> List.of(), 1);
      assertThat(view.events()).extracting(StoredEvent::leafIndex).containsExactly(3L, 4L);
      append(l, "new2");
      reader.reads.clear();
      assertThat(ids(view.events())).containsExactly("new0", "new1", "new2");
      // capacity 1: the evicted events are read again from the first unpruned entry, never from the pruned ones
      assertThat(reader.reads).extracting(r -> r[0] + "+" + r[1]).containsExactlyInAnyOrder("5+1", "3+2");

      // a recorded leaf hash of a pruned entry that is not the signed one: the signed root no longer matches
      Path hashes = pruned.resolve(io.custos.verify.LeafHashFile.FILE);
      byte[] all = Files.readAllBytes(hashes);
      all[0] ^= 1;
      Files.write(hashes, all);
      LedgerView fresh = new LedgerView(pruned, () -> new DirectoryLedger(pruned), reader, keys, l, id -> List.of(), 1);
      assertThatThrownBy(fresh::events).isInstanceOf(LedgerCorruptException.class).hasMessageContaining("signed root");
    }
  }

  @Test
  void anEntryThatDecryptsButIsNotTheSignedOneIsRefused() throws IOException {
    append(ledger, "e0", "e1", "e2", "e3");
    append(other, "x0", "x1", "x2", "x3");
    ledger.checkpointNow();
    // the other ledger's entry 2 authenticates under index 2 (same key), but the signed root covers the real one
    reader.planted.put(2L, other.reader().read(2, 1).get(0));
    LedgerView view = view(LedgerView.DEFAULT_CAPACITY);

    assertThatThrownBy(view::events).isInstanceOf(LedgerCorruptException.class).hasMessageContaining("signed root");
    reader.planted.clear();
    assertThat(ids(view.events())).containsExactly("e0", "e1", "e2", "e3");
  }

  @Test
  void beyondItsCapacityTheViewKeepsOnlyTheNewestEventsAndRereadsTheRestUnchanged() throws IOException {
    LedgerView view = view(2);
    append(ledger, "e0", "e1", "e2");
    assertThat(ids(view.events())).containsExactly("e0", "e1", "e2");
    append(ledger, "e3");
    reader.reads.clear();

    assertThat(ids(view.events())).containsExactly("e0", "e1", "e2", "e3");
    // the evicted first three are read again, the new one once; nothing else
    assertThat(reader.reads).extracting(r -> r[0] + "+" + r[1]).containsExactlyInAnyOrder("3+1", "0+3");

    append(other, "x0", "x1");
    reader.planted.put(1L, other.reader().read(1, 1).get(0));
    assertThatThrownBy(view::events).isInstanceOf(LedgerCorruptException.class).hasMessageContaining("changed");
  }
}
