package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.config.ConfigException;
import io.custos.mcp.http.ProductionLogCapture;
import io.custos.testing.MariaDbExtension;
import io.custos.testing.MariaDbServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What differs on MariaDB, against a real {@code mariadbd}: the account's privileges read from
 * {@code information_schema} and {@code SHOW GRANTS} (each kind of write privilege, a role, a grant to {@code PUBLIC}, a
 * routine-level {@code EXECUTE}, a grant option stops the start), every pooled session read-only with
 * {@code max_statement_time}, the timeout told apart, and the driver's log lines (which quote the server's messages)
 * kept out of the production log.
 */
class MariaDbEngineTest {
  @RegisterExtension
  static final MariaDbExtension MARIADB = new MariaDbExtension();

  @TempDir
  static Path dir;

  @BeforeAll
  static void schema() throws SQLException {
    admin("CREATE TABLE T (MRN VARCHAR(12) PRIMARY KEY, FHIR_ID VARCHAR(64))", "INSERT INTO T VALUES ('M1', 'p1')");
  }

  private static void admin(String... statements) throws SQLException {
    try (Connection c = MARIADB.admin(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  /**
   * Creates {@code name}@'%' with the grants ({@code {u}} is the account; it needs a privilege on the database to
   * connect to it) and its password file.
   */
  private static SqlSettings account(String name, int timeoutSeconds, boolean allowWrites, String grants) throws Exception {
    admin("CREATE USER '" + name + "'@'%' IDENTIFIED BY 'pw-" + name + "'");
    for (String grant : grants.split(";")) {
      admin(grant.strip().replace("{u}", "'" + name + "'@'%'"));
    }
    Path password = dir.resolve(name + ".pw");
    Files.writeString(password, "pw-" + name);
    return new SqlSettings(MARIADB.server().jdbcUrl(), name, password.toString(), 2, timeoutSeconds, 10, allowWrites,
        new SqlSettings.Patients("T", "MRN", "FHIR_ID"), List.of(), List.of(), null).validated();
  }

  private static SqlSettings admin(int timeoutSeconds) throws Exception {
    Path password = dir.resolve("admin.pw");
    Files.writeString(password, MARIADB.server().adminPassword());
    return new SqlSettings(MARIADB.server().jdbcUrl(), MariaDbServer.ADMIN, password.toString(), 2, timeoutSeconds, 10, true,
        new SqlSettings.Patients("T", "MRN", "FHIR_ID"), List.of(), List.of(), null).validated();
  }

  /** A statement over {@code T} bound to one patient key, as the planner would hand it over. */
  private static SqlPlan plan(String sql) {
    return new SqlPlan(sql, List.of(new SqlPlan.Binding.Patient()), List.of(), List.of(), List.of("T"), 5);
  }

  @Test
  void aSelectOnlyAccountStartsAndEverySessionIsReadOnlyWithTheServersTimeout() throws Exception {
    try (SqlDatabase db = new SqlDatabase(account("reader", 2, false, "GRANT SELECT ON legacy.T TO {u}"))) {
      assertThat(db.engine()).isEqualTo(SqlEngine.MARIADB);
      assertThat(db.patientKey("p1")).contains("M1");
      var rows = db.query(plan("SELECT @@tx_read_only AS ro, @@max_statement_time AS mst FROM `T` WHERE MRN = ?"), "M1", Map.of());
      assertThat(rows.rows()).singleElement().satisfies(r -> {
        assertThat(r.get("ro")).isEqualTo("1");
        assertThat(Double.parseDouble(r.get("mst"))).isEqualTo(2.0);
      });
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "w_insert | GRANT SELECT, INSERT ON legacy.T TO {u} | INSERT on legacy.T",
      "w_column | GRANT SELECT ON legacy.T TO {u}; GRANT UPDATE (FHIR_ID) ON legacy.T TO {u} | UPDATE on legacy.T.FHIR_ID",
      "w_schema | GRANT SELECT ON legacy.T TO {u}; GRANT CREATE ON legacy.* TO {u} | CREATE on legacy.*",
      "w_global | GRANT SELECT ON legacy.T TO {u}; GRANT FILE ON *.* TO {u} | FILE on *.*",
      "w_option | GRANT SELECT ON legacy.T TO {u} WITH GRANT OPTION | SELECT WITH GRANT OPTION on legacy.T",
      "w_role | CREATE ROLE deleter; GRANT DELETE ON legacy.T TO deleter; GRANT deleter TO {u}; GRANT SELECT ON legacy.T TO {u} | role deleter",
      "w_routine | CREATE PROCEDURE legacy.touch() SELECT 1; GRANT SELECT ON legacy.T TO {u}; GRANT EXECUTE ON PROCEDURE legacy.touch TO {u} "
          + "| EXECUTE on PROCEDURE `legacy`.`touch`"})
  void anAccountThatCanWriteStopsTheStartUnlessAllowed(String name, String grants, String reported) throws Exception {
    SqlSettings settings = account(name, 5, false, grants);
    assertThatThrownBy(() -> new SqlDatabase(settings)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("can write (").hasMessageContaining(reported).hasMessageContaining("sql.allowWrites");
    SqlSettings allowed = new SqlSettings(settings.jdbcUrl(), settings.username(), settings.passwordFile(), 2, 5, 10, true,
        settings.patients(), List.of(), List.of(), null).validated();
    try (SqlDatabase db = new SqlDatabase(allowed)) {
      assertThat(db.patientKey("p1")).isPresent();
    }
  }

  @Test
  void aWriteGrantedToPublicCounts() throws Exception {
    SqlSettings settings = account("w_public", 5, false, "GRANT SELECT ON legacy.T TO {u}");
    admin("GRANT INSERT ON legacy.T TO PUBLIC");
    try {
      assertThatThrownBy(() -> new SqlDatabase(settings)).isInstanceOf(ConfigException.class)
          .hasMessageContaining("INSERT on `legacy`.`T` to PUBLIC");
    } finally {
      admin("REVOKE INSERT ON legacy.T FROM PUBLIC");
    }
    new SqlDatabase(settings).close();
  }

  @Test
  void aSessionOfAnAccountAllowedToWriteStillCannotWrite() throws Exception {
    try (SqlDatabase db = new SqlDatabase(admin(5))) {
      assertThatThrownBy(() -> db.query(plan("INSERT INTO T (MRN, FHIR_ID) VALUES (?, 'p9') RETURNING MRN"), "M9", Map.of()))
          .isInstanceOf(SqlDatabase.Unavailable.class).hasMessage("failed");
    }
    try (Connection c = MARIADB.admin(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM T WHERE MRN = 'M9'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isZero();
    }
  }

  @Test
  void aStatementOverTheTimeoutEndsAsATimeout() throws Exception {
    try (SqlDatabase db = new SqlDatabase(account("slow", 1, false, "GRANT SELECT ON legacy.T TO {u}"))) {
      assertThatThrownBy(() -> db.query(plan("SELECT SLEEP(5) AS s FROM T WHERE MRN = ?"), "M1", Map.of()))
          .isInstanceOf(SqlDatabase.Unavailable.class).hasMessage("timeout");
    }
  }

  @Test
  void theServersErrorMessagesStayOutOfTheProductionLog() throws Exception {
    try (SqlDatabase db = new SqlDatabase(account("logged", 5, false, "GRANT SELECT ON legacy.T TO {u}"));
        ProductionLogCapture log = new ProductionLogCapture()) {
      // The server's message quotes the unknown name (as it would quote a value).
      assertThatThrownBy(() -> db.query(plan("SELECT CANARY_7319 FROM T WHERE MRN = ?"), "M1", Map.of()))
          .isInstanceOf(SqlDatabase.Unavailable.class).hasMessage("failed");
      assertThat(log.rendered()).anySatisfy(line -> assertThat(line).contains("SQLState 42S22"))
          .allSatisfy(line -> assertThat(line).doesNotContain("CANARY_7319"));
    }
  }
}
