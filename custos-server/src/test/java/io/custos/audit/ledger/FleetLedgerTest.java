package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.verify.Finding;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.JdbcLedger;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.testing.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three servers appending to one PostgreSQL ledger (a real embedded PostgreSQL): one gapless trail with one origin,
 * signed checkpoints in the database, verified offline from the database alone, with edits, deletions and premature
 * pruning caught.
 */
class FleetLedgerTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path tmp;
  String url;

  @BeforeEach
  void freshDatabase() throws Exception {
    url = PG.freshDatabase();
  }

  /** Three ledgers (three pools, three checkpoint caches) over one database, appending concurrently, then closed. */
  private LocalKeySource runThreeServers(int eventsEach) throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    List<MerkleLedger> servers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      servers.add(MerkleLedger.open(PostgresLedgerStore.connect(url, "postgres", ""), tmp.resolve("cp" + i), keys,
          LedgerOptions.defaults(), Clock.systemUTC()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      MerkleLedger l = servers.get(t % 3);
      fs.add(pool.submit(() -> {
        for (int i = 0; i < eventsEach / 2; i++) {
          l.append(LedgerFixtures.event());
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    servers.forEach(MerkleLedger::close); // each writes its final checkpoint
    return keys;
  }

  private VerificationReport verify() throws Exception {
    try (JdbcLedger source = JdbcLedger.connect(url)) {
      return LedgerVerifier.verify(source, CheckpointKey.read(tmp.resolve("cp0").resolve(CheckpointSigner.VKEY_FILE)),
          Optional.empty());
    }
  }

  @Test
  void threeServersWriteOneTrailThatVerifiesFromTheDatabaseAlone() throws Exception {
    runThreeServers(40);
    VerificationReport r = verify();
    assertThat(r.findings()).isEmpty();
    assertThat(r.entries()).isEqualTo(120);
    assertThat(r.checkpoints()).isPositive();
    assertThat(r.unanchored()).as("the last server to close signs the whole tree").isZero();
    // every server signs under the one origin the first claimed, with the shared key
    for (int i = 1; i < 3; i++) {
      assertThat(java.nio.file.Files.readString(tmp.resolve("cp" + i).resolve(CheckpointSigner.VKEY_FILE)))
          .isEqualTo(java.nio.file.Files.readString(tmp.resolve("cp0").resolve(CheckpointSigner.VKEY_FILE)));
    }
    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT tree_size, signed_at FROM ledger_checkpoint ORDER BY seq")) {
      long size = -1;
      java.sql.Timestamp at = new java.sql.Timestamp(0);
      while (rs.next()) {
        assertThat(rs.getLong(1)).as("stored sizes only grow").isGreaterThan(size);
        assertThat(rs.getTimestamp(2)).as("stored times never go back").isAfterOrEqualTo(at);
        size = rs.getLong(1);
        at = rs.getTimestamp(2);
      }
      assertThat(size).isEqualTo(120);
    }
  }

  @Test
  void anEditedOrDeletedRowIsNamedByTheVerifier() throws Exception {
    runThreeServers(20);
    try (Connection c = connect(); Statement s = c.createStatement()) {
      // A database administrator can drop the append-only trigger; the signed checkpoints still catch the edit.
      s.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_no_update");
      s.execute("UPDATE ledger_entry SET entry = set_byte(entry, 20, get_byte(entry, 20) # 1) WHERE leaf_index = 17");
    }
    VerificationReport edited = verify();
    assertThat(edited.findings()).extracting(Finding::kind).contains(Finding.Kind.EDITED);
    assertThat(edited.findings()).anySatisfy(f -> assertThat(f.entryIndex()).isEqualTo(17));

    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("DELETE FROM ledger_entry WHERE leaf_index = 30");
    }
    VerificationReport deleted = verify();
    assertThat(deleted.findings()).anySatisfy(f -> {
      assertThat(f.kind()).isEqualTo(Finding.Kind.DELETED);
      assertThat(f.entryIndex()).isEqualTo(30);
    });
  }

  @Test
  void theDatabaseRefusesChangesAndAForgedPruneIsNamed() throws Exception {
    runThreeServers(20);
    try (Connection c = connect(); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("DELETE FROM ledger_entry WHERE leaf_index = 3")).isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> s.execute("UPDATE ledger_entry SET entry = NULL WHERE leaf_index = 3"))
          .as("no pruned range covers it").isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> s.execute("DELETE FROM ledger_checkpoint")).isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> s.execute("UPDATE ledger_origin SET origin = 'custos/ledger/other'"))
          .isInstanceOf(SQLException.class);
    }
    String now = java.time.Instant.now().toString();
    try (PostgresLedgerStore store = PostgresLedgerStore.connect(url, "postgres", "")) {
      assertThatThrownBy(() -> store.prune(0, 25, "custos-pruned/v1 0 25 " + now + " 0 rows"))
          .as("an unsigned record permits no pruning").isInstanceOf(java.io.IOException.class);
      // A record in the signed format with a made-up signature is stored (SQL cannot check Ed25519) ...
      String bogus = java.util.Base64.getEncoder().encodeToString(new byte[68]);
      store.prune(0, 25, "custos-pruned/v2 0 25 " + now + " 0 rows custos/ledger/x " + bogus);
    }
    // ... and the verifier names it.
    assertThat(verify().findings()).extracting(Finding::kind).contains(Finding.Kind.BAD_PRUNED_RANGE);
  }

  @Test
  void deletedCheckpointsCannotHideLaterEdits() throws Exception {
    runThreeServers(20);
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE ledger_checkpoint DISABLE TRIGGER ledger_checkpoint_no_update");
      s.execute("DELETE FROM ledger_checkpoint WHERE tree_size > 10");
    }
    try (JdbcLedger source = JdbcLedger.connect(url)) {
      VerificationReport later = LedgerVerifier.verify(source, CheckpointKey.read(tmp.resolve("cp0")
          .resolve(CheckpointSigner.VKEY_FILE)), Optional.empty(), java.time.Instant.now().plusSeconds(600));
      assertThat(later.findings()).as("entries past the newest checkpoint, long after it was signed")
          .anySatisfy(f -> assertThat(f.kind()).isEqualTo(Finding.Kind.TRUNCATED));
    }
  }

  @Test
  void aNewReplicaRefusesADatabaseThatNoLongerMatchesItsSignedCheckpoint() throws Exception {
    LocalKeySource keys = runThreeServers(20);
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_no_update");
      s.execute("UPDATE ledger_entry SET entry = set_byte(entry, 20, get_byte(entry, 20) # 1) WHERE leaf_index = 5");
    }
    assertThatThrownBy(() -> MerkleLedger.open(PostgresLedgerStore.connect(url, "postgres", ""), tmp.resolve("fresh"), keys,
        LedgerOptions.defaults(), Clock.systemUTC())).as("a replica with no cache replays against the database's newest"
        + " signed checkpoint before it signs anything").isInstanceOf(LedgerCorruptException.class);
  }

  @Test
  void aRowWithAForgedSizeDoesNotStopCheckpointing() throws Exception {
    LocalKeySource keys = runThreeServers(20);
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO ledger_checkpoint (tree_size, signed_at, note) SELECT 9000000000000000000, now() + interval"
          + " '10 years', note FROM ledger_checkpoint ORDER BY seq DESC LIMIT 1");
    }
    try (MerkleLedger l = MerkleLedger.open(PostgresLedgerStore.connect(url, "postgres", ""), tmp.resolve("cp-next"), keys,
        LedgerOptions.defaults(), Clock.systemUTC())) {
      l.append(LedgerFixtures.event());
      assertThat(l.checkpointNow()).as("the size and time columns are not trusted: the signed note is")
          .hasValueSatisfying(cp -> assertThat(cp.treeSize()).isEqualTo(61));
    }
  }

  @Test
  void retentionPruningOfTheDatabaseLedgerIsSignedAndStillVerifies() throws Exception {
    LocalKeySource keys = runThreeServers(20);
    try (PostgresLedgerStore store = PostgresLedgerStore.connect(url, "postgres", "");
        JdbcLedger source = JdbcLedger.connect(url)) {
      CheckpointKey key = CheckpointKey.read(tmp.resolve("cp0").resolve(CheckpointSigner.VKEY_FILE));
      LedgerPruner.Result young = LedgerPruner.prune(store, source, key, keys, tmp.resolve("scratch"), 2192,
          java.time.Instant.now());
      assertThat(young.pruned()).as("nothing is six years old").isEmpty();
      assertThat(young.refused()).isPresent();
      LedgerPruner.Result r = LedgerPruner.prune(store, source, key, keys, tmp.resolve("scratch"), 0,
          java.time.Instant.now().plusSeconds(1));
      assertThat(r.prunedEntries()).isEqualTo(60);
      assertThat(r.pruned().get(0).note()).as("the range record is signed").isPresent();
    }
    VerificationReport after = verify();
    assertThat(after.findings()).isEmpty();
    assertThat(after.warnings()).noneMatch(w -> w.contains("unsigned"));
    assertThat(after.pruned()).isEqualTo(60);
  }

  @Test
  void aPseudonymOneServerRecordedIsReidentifiableThroughAnother() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    try (PostgresLedgerStore a = PostgresLedgerStore.connect(url, "postgres", "");
        PostgresLedgerStore b = PostgresLedgerStore.connect(url, "postgres", "");
        TokenMap first = TokenMap.open(a, keys.tokenMapAead());
        TokenMap second = TokenMap.open(b, keys.tokenMapAead())) {
      first.remember("pseud-1", "Patient/abc");
      assertThat(second.patientFor("pseud-1")).contains("Patient/abc");
      assertThat(second.pseudonymsFor("Patient/abc")).containsExactly("pseud-1");
      try (Connection c = connect(); PreparedStatement s = c.prepareStatement("SELECT sealed FROM ledger_token");
          ResultSet rs = s.executeQuery()) {
        rs.next();
        assertThat(new String(rs.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1))
            .as("sealed, not plain").doesNotContain("Patient/abc");
      }
    }
  }

  private Connection connect() throws SQLException {
    return java.sql.DriverManager.getConnection(url);
  }
}
