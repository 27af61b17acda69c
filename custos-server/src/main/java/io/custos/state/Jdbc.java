package io.custos.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The one way the PostgreSQL store reaches its database: every {@link SQLException} (unreachable server, pool timeout,
 * broken connection) becomes a {@link StateUnavailableException} naming the kind of state, so no caller can mistake a
 * failure for an answer.
 */
final class Jdbc {
  /** Work on one connection. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource ds;

  Jdbc(DataSource ds) {
    this.ds = ds;
  }

  /** Runs {@code work} on a pooled connection in auto-commit mode (each statement its own transaction). */
  <T> T auto(String kind, Work<T> work) {
    try (Connection c = ds.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StateUnavailableException(kind, e);
    }
  }

  /**
   * Runs {@code work} in one transaction, committed when it returns and rolled back when it throws anything (a
   * runtime exception of {@code work}, such as a refused proposal transition, propagates unchanged).
   */
  <T> T transaction(String kind, Work<T> work) {
    return auto(kind, c -> {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    });
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; the pool discards it and the server rolls the transaction back
    }
  }

  /** Executes an update with the given parameters; returns the number of rows changed. */
  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement s = prepare(c, sql, params)) {
      return s.executeUpdate();
    }
  }

  /** Prepares {@code sql} with {@code params} ({@link Instant}s become {@code timestamptz}). */
  static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    try {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i] instanceof Instant t ? OffsetDateTime.ofInstant(t, ZoneOffset.UTC) : params[i]);
      }
      return s;
    } catch (SQLException e) {
      s.close();
      throw e;
    }
  }

  /** A {@code timestamptz} column; empty when SQL NULL. */
  static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
    return Optional.ofNullable(rs.getObject(column, OffsetDateTime.class)).map(OffsetDateTime::toInstant);
  }
}
