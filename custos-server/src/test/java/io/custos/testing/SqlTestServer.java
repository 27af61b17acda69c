package io.custos.testing;

import io.custos.sql.SqlEngine;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * A real database server of one {@link SqlEngine} for the SQL upstream's tests: embedded PostgreSQL, or MariaDB from
 * Debian's package ({@link MariaDbServer}). Its administrator can write; its URL carries no credentials.
 *
 * @param engine        the engine
 * @param jdbcUrl       the database's JDBC URL
 * @param adminUser     an account with every privilege
 * @param adminPassword its password (embedded PostgreSQL trusts local connections and ignores it)
 */
public record SqlTestServer(SqlEngine engine, String jdbcUrl, String adminUser, String adminPassword, AutoCloseable server)
    implements AutoCloseable {

  /** Starts a server of {@code engine}. */
  public static SqlTestServer start(SqlEngine engine) throws Exception {
    return switch (engine) {
      case POSTGRESQL -> {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        yield new SqlTestServer(engine, "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", "postgres", "postgres", pg);
      }
      case MARIADB -> {
        MariaDbServer m = MariaDbServer.start();
        yield new SqlTestServer(engine, m.jdbcUrl(), MariaDbServer.ADMIN, m.adminPassword(), m);
      }
    };
  }

  /** A new connection of the administrator (auto-commit). */
  public Connection admin() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, adminUser, adminPassword);
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
