package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a statement is planned: what reaches the database, and which rule refuses what. No database needed. */
class SqlPlannerTest {
  private static final SqlCatalog CATALOG = new SqlCatalog(List.of(table("DX", "Condition", Map.of(
      "MRN", ColumnClass.IDENTIFIER, "DX_CD", ColumnClass.CODE, "DX_DESC", ColumnClass.CLINICAL, "NOTE", ColumnClass.TEXT)),
      table("RX", "MedicationRequest", Map.of("MRN", ColumnClass.IDENTIFIER, "RX_CD", ColumnClass.CODE)),
      table("PAT", "Patient", Map.of("MRN", ColumnClass.IDENTIFIER, "LAST_NM", ColumnClass.IDENTIFIER))),
      new SqlSettings.Patients("PAT", "MRN", "EMPI_ID"));
  private static final SqlPlanner.Limits ANALYST = new SqlPlanner.Limits(Set.of("DX", "RX"), k -> true, Set.of(), 50);

  private static SqlSettings.Table table(String name, String type, Map<String, ColumnClass> columns) {
    Map<String, SqlSettings.Column> cols = new LinkedHashMap<>();
    columns.forEach((c, k) -> cols.put(c, new SqlSettings.Column(k, k == ColumnClass.CODE ? "http://snomed.info/sct" : null, null)));
    return new SqlSettings.Table(name, type, "MRN", cols);
  }

  private static SqlPlan plan(String sql) {
    return new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).plan(sql, ANALYST);
  }

  @Test
  void everyTableIsConfinedToThePatientAndEveryValueIsBound() {
    SqlPlan p = plan("select d.dx_cd, r.rx_cd from dx d join rx r on r.mrn = d.mrn where d.dx_desc like 'Diab%' or 1 = 1");
    assertThat(p.sql()).isEqualTo("SELECT t0.DX_CD AS c0, t1.RX_CD AS c1, t0.DX_CD AS h0, t1.RX_CD AS h1 FROM DX t0 "
        + "JOIN RX t1 ON ((t1.MRN = t0.MRN)) WHERE t0.MRN = ? AND t1.MRN = ? AND (((t0.DX_DESC LIKE ?) OR (? = ?))) LIMIT 51");
    assertThat(p.bindings()).containsExactly(new SqlPlan.Binding.Patient(), new SqlPlan.Binding.Patient(),
        new SqlPlan.Binding.Literal("Diab%"), new SqlPlan.Binding.Literal(1L), new SqlPlan.Binding.Literal(1L));
    assertThat(p.outputs()).extracting(SqlPlan.Output::name).containsExactly("dx_cd", "rx_cd");
    assertThat(p.tables()).containsExactly("DX", "RX");
  }

  @Test
  void theLimitIsCappedAndComputedValuesAreTreatedAsText() {
    SqlPlan p = plan("SELECT LOWER(DX_DESC) AS d FROM DX ORDER BY d DESC LIMIT 100000");
    assertThat(p.limit()).isEqualTo(50);
    assertThat(p.sql()).endsWith("ORDER BY c0 DESC LIMIT 51");
    assertThat(p.outputs()).containsExactly(new SqlPlan.Output("d", ColumnClass.TEXT, java.util.Optional.empty()));
    assertThat(plan("SELECT DX_CD FROM DX LIMIT 5").limit()).isEqualTo(5);
  }

  @Test
  void quotedCatalogNamesAreRenderedAsTheCatalogSpellsThem() {
    assertThat(plan("SELECT \"dx_cd\" FROM \"Dx\"").sql()).startsWith("SELECT t0.DX_CD AS c0");
  }

  @Test
  void identifierColumnsAreRefusedWhereTheRoleMayNotReadThem() {
    var limits = new SqlPlanner.Limits(Set.of("DX"), k -> k != ColumnClass.IDENTIFIER, Set.of(), 50);
    assertThatThrownBy(() -> new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).plan("SELECT DX_CD FROM DX WHERE MRN LIKE 'M%'", limits))
        .isInstanceOfSatisfying(SqlRule.SqlRefused.class, e -> assertThat(e.rule()).isEqualTo(SqlRule.COLUMN_NOT_PERMITTED));
  }

  @Test
  void declaredStatementsBindTheirParameters() {
    var limits = new SqlPlanner.Limits(Set.of("DX"), k -> true, Set.of("code"), 200);
    SqlPlan p = new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).planDeclared("SELECT DX_CD FROM DX WHERE (:code IS NULL OR DX_CD = :code)", limits);
    assertThat(p.bindings()).containsExactly(new SqlPlan.Binding.Patient(), new SqlPlan.Binding.Named("code"),
        new SqlPlan.Binding.Named("code"));
    assertThatThrownBy(() -> new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).planDeclared("SELECT DX_CD FROM DX WHERE DX_CD = :other", limits))
        .isInstanceOfSatisfying(SqlRule.SqlRefused.class, e -> assertThat(e.rule()).isEqualTo(SqlRule.PARAMETER));
  }

  @Test
  void onMariaDbCatalogNamesAreQuotedAndLengthCountsCharacters() {
    SqlPlan p = new SqlPlanner(CATALOG, SqlEngine.MARIADB).plan(
        "SELECT d.DX_CD, LENGTH(d.DX_DESC) AS n FROM DX d JOIN RX r ON r.MRN = d.MRN ORDER BY n", ANALYST);
    assertThat(p.sql()).isEqualTo("SELECT t0.`DX_CD` AS c0, CHAR_LENGTH(t0.`DX_DESC`) AS c1, t0.`DX_CD` AS h0, t1.`RX_CD` AS h1"
        + " FROM `DX` t0 JOIN `RX` t1 ON ((t1.`MRN` = t0.`MRN`)) WHERE t0.`MRN` = ? AND t1.`MRN` = ? ORDER BY c1 ASC LIMIT 51");
    assertThat(plan("SELECT LENGTH(DX_DESC) AS n FROM DX").sql()).startsWith("SELECT LENGTH(t0.DX_DESC) AS c0");
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', value = {
      "SELECT user FROM mysql.user | SYSTEM_CATALOG",
      "SELECT sql_text FROM performance_schema.events_statements_history | SYSTEM_CATALOG",
      "SELECT variable FROM sys.sys_config | SYSTEM_CATALOG",
      "SELECT grantee FROM INFORMATION_SCHEMA.USER_PRIVILEGES | SYSTEM_CATALOG",
      "SELECT DX_CD FROM legacy.DX | TABLE",
      "SELECT DX_CD FROM DX ORDER BY DX_CD NULLS FIRST | EXPRESSION",
      "SELECT DX_CD FROM DX WHERE SLEEP(5) = 0 | FUNCTION",
      "SELECT DX_CD FROM DX WHERE BENCHMARK(1000, SHA1('x')) = 0 | FUNCTION",
      "SELECT LOAD_FILE('/etc/passwd') AS f FROM DX | FUNCTION",
      "SELECT DX_CD FROM DX WHERE GET_LOCK('x', 10) = 1 | FUNCTION",
      "SELECT DX_CD FROM DX INTO OUTFILE '/tmp/x' | NOT_PARSABLE",
      "SELECT DX_CD FROM DX WHERE DX_CD = 'a\\' OR 1=1 -- ' | COMMENT",
      "SELECT `DX_CD` FROM DX | CHARACTERS",
      "SELECT DX_CD FROM DX WHERE DX_CD = 'x' # y | COMMENT"})
  void onMariaDbItsSystemSchemasAndDangerousFunctionsAreRefused(String sql, SqlRule rule) {
    assertThatThrownBy(() -> new SqlPlanner(CATALOG, SqlEngine.MARIADB).plan(sql, ANALYST))
        .isInstanceOfSatisfying(SqlRule.SqlRefused.class, e -> assertThat(e.rule()).isEqualTo(rule));
  }

  @Test
  void nullsOrderingIsKeptWhereTheEngineHasIt() {
    assertThat(plan("SELECT DX_CD FROM DX ORDER BY DX_CD NULLS FIRST").sql()).contains("ORDER BY t0.DX_CD ASC NULLS FIRST");
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', value = {
      "SELECT DX_CD FROM DX -- x | COMMENT",
      "SELECT DX_CD FROM DX /* x */ | COMMENT",
      "SELECT DX_CD FROM DX; SELECT 1 | STACKED",
      "SELECT DX_CD FROM DX WHERE DX_CD = $$x$$ | CHARACTERS",
      "SELECT DX_CD FROM ＤＸ | CHARACTERS",
      "SELECT DX_CD FROM DX UNION SELECT RX_CD FROM RX | SET_OPERATION",
      "WITH x AS (SELECT DX_CD FROM DX) SELECT DX_CD FROM x | CTE",
      "SELECT DX_CD FROM DX WHERE MRN IN (SELECT MRN FROM RX) | SUBQUERY",
      "SELECT DX_CD FROM (SELECT DX_CD FROM DX) t | SUBQUERY",
      "SELECT relname FROM pg_class | SYSTEM_CATALOG",
      "SELECT table_name FROM information_schema.tables | SYSTEM_CATALOG",
      "SELECT LAST_NM FROM PAT | TABLE",
      "SELECT DX_CD FROM public.DX | TABLE",
      "SELECT SECRET FROM DX | COLUMN",
      "SELECT d.DX_CD, e.DX_CD FROM DX d JOIN DX e ON e.MRN = d.MRN | COLUMN",
      "SELECT * FROM DX | STAR",
      "SELECT pg_sleep(1) FROM DX | FUNCTION",
      "SELECT COUNT(*) FROM DX | AGGREGATE",
      "SELECT DX_CD FROM DX GROUP BY DX_CD | AGGREGATE",
      "SELECT CAST(DX_CD AS INT) FROM DX | CAST",
      "SELECT DX_CD FROM DX LEFT JOIN RX ON RX.MRN = DX.MRN | JOIN",
      "SELECT DX_CD FROM DX LIMIT 1 OFFSET 999999 | LIMIT",
      "DELETE FROM DX | ONE_SELECT",
      "SELECT DX_CD FROM DX FOR UPDATE | EXPRESSION"})
  void aRefusalNamesTheRule(String sql, SqlRule rule) {
    assertThatThrownBy(() -> plan(sql)).isInstanceOfSatisfying(SqlRule.SqlRefused.class, e -> {
      assertThat(e.rule()).isEqualTo(rule);
      assertThat(e.getMessage()).isEqualTo(rule.id()).doesNotContain(sql);
    });
  }
}
