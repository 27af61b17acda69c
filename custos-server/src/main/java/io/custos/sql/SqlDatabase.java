package io.custos.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.custos.config.ConfigException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL upstream's connections: a bounded HikariCP pool (never more than {@code sql.maxPoolSize} connections, so
 * Custos cannot exhaust the database's connection limit), every statement in a read-only transaction that is rolled
 * back, with a statement timeout (the driver's, and the server's own, set per session as the {@link SqlEngine} sets it)
 * and a row cap. Errors never carry the database's message (it may quote values).
 */
public final class SqlDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SqlDatabase.class);

  private final HikariDataSource pool;
  private final SqlEngine engine;
  private final int timeoutSeconds;
  private final SqlSettings.Patients patients;

  /** Rows of one answer, each column by its result-set label, and whether more rows existed than the plan's limit. */
  record Rows(List<Map<String, String>> rows, boolean truncated) {}

  /** The database failed or timed out; carries no message from it. */
  static final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unavailable(String what) {
      super(what, null, false, false);
    }
  }

  /**
   * Opens the pool and inspects the account's privileges.
   *
   * @throws ConfigException when the database cannot be reached, or the account can write and {@code allowWrites} is off
   */
  public SqlDatabase(SqlSettings settings) {
    this.engine = settings.engine();
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(settings.jdbcUrl());
    c.setUsername(settings.username());
    settings.password().ifPresent(c::setPassword);
    c.setMaximumPoolSize(settings.maxPoolSize());
    c.setMinimumIdle(Math.min(1, settings.maxPoolSize()));
    c.setReadOnly(true);
    c.setAutoCommit(false);
    c.setConnectionInitSql(engine.sessionSetup(settings.statementTimeoutSeconds()));
    c.setConnectionTimeout(5_000);
    c.setPoolName("custos-sql");
    this.timeoutSeconds = settings.statementTimeoutSeconds();
    this.patients = settings.patients();
    try {
      this.pool = new HikariDataSource(c);
    } catch (RuntimeException e) {
      throw new ConfigException("sql.jdbcUrl: the database cannot be reached (" + e.getClass().getSimpleName() + ")");
    }
    List<String> writable;
    try {
      writable = GrantInspection.writable(pool, engine);
    } catch (SQLException e) {
      pool.close();
      throw new ConfigException("sql: the database account's privileges cannot be inspected (SQLState " + e.getSQLState() + ")");
    }
    if (!writable.isEmpty()) {
      if (!settings.allowWrites()) {
        pool.close();
        throw new ConfigException("sql.username: the database account can write (" + String.join(", ", writable)
            + "); grant it SELECT only, or set sql.allowWrites: true");
      }
      log.warn("sql.allowWrites: the database account can write; Custos still reads in read-only transactions");
    }
  }

  /** The legacy key of the patient whose FHIR id is {@code fhirId}, when the patient table has one. */
  Optional<String> patientKey(String fhirId) {
    String sql = "SELECT " + engine.identifier(patients.key()) + " FROM " + engine.identifier(patients.table()) + " WHERE "
        + engine.identifier(patients.fhirId()) + " = ?";
    return run(sql, ps -> ps.setString(1, fhirId), 2, rs -> rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty());
  }

  /**
   * Runs a plan for one patient.
   *
   * @param patientKey the bound patient's legacy key
   * @param arguments  a declared tool's validated arguments, by parameter name (absent: SQL NULL)
   */
  Rows query(SqlPlan plan, String patientKey, Map<String, Object> arguments) {
    return run(plan.sql(), ps -> {
      for (int i = 0; i < plan.bindings().size(); i++) {
        Object value = switch (plan.bindings().get(i)) {
          case SqlPlan.Binding.Patient p -> patientKey;
          case SqlPlan.Binding.Literal l -> l.value();
          case SqlPlan.Binding.Named n -> arguments.get(n.name());
        };
        switch (value) {
          case null -> ps.setNull(i + 1, Types.VARCHAR);
          case String s -> ps.setString(i + 1, s);
          case Long l -> ps.setLong(i + 1, l);
          case Integer n -> ps.setInt(i + 1, n);
          case Double d -> ps.setDouble(i + 1, d);
          default -> ps.setString(i + 1, value.toString());
        }
      }
    }, plan.limit() + 1, rs -> {
      List<Map<String, String>> rows = new ArrayList<>();
      int columns = rs.getMetaData().getColumnCount();
      boolean more = false;
      while (rs.next()) {
        if (rows.size() == plan.limit()) {
          more = true;
          break;
        }
        Map<String, String> row = new LinkedHashMap<>();
        for (int c = 1; c <= columns; c++) {
          row.put(rs.getMetaData().getColumnLabel(c).toLowerCase(Locale.ROOT), rs.getString(c));
        }
        rows.add(row);
      }
      return new Rows(rows, more);
    });
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  @FunctionalInterface
  private interface Reader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private <T> T run(String sql, Binder binder, int maxRows, Reader<T> reader) {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setQueryTimeout(timeoutSeconds);
        ps.setMaxRows(maxRows);
        ps.setFetchSize(Math.min(maxRows, 500));
        binder.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          return reader.read(rs);
        }
      } finally {
        c.rollback(); // read-only: nothing to keep, and no transaction outlives the statement
      }
    } catch (SQLException e) {
      // The SQLState only: the database's message may quote the statement's values.
      log.warn("sql statement failed: SQLState {}", e.getSQLState());
      throw new Unavailable(engine.timedOut(e.getSQLState()) ? "timeout" : "failed");
    }
  }

  /** The database's engine. */
  SqlEngine engine() {
    return engine;
  }

  /** Connections the pool holds now (tests, metrics). */
  int openConnections() {
    return pool.getHikariPoolMXBean().getTotalConnections();
  }

  @Override
  public void close() {
    pool.close();
  }
}
