package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import io.custos.phi.deid.DeIdentifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a researcher's statement over de-identified views is planned. No database needed. */
class DeidentifiedPlannerTest {
  private static final SqlSettings.Column KEY = new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null,
      IdentifierKind.PATIENT_KEY);
  private static final SqlCatalog CATALOG = new SqlCatalog(List.of(new SqlSettings.Table("DX", "Condition", "MRN",
      Map.of("MRN", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null), "DX_CD", code()))),
      new SqlSettings.Patients("PAT", "MRN", "EMPI_ID"), List.of(
          view("PAT_DEID", "Patient", "SEX_CD", new SqlSettings.Column(ColumnClass.OPERATIONAL, null, null),
              "ZIP3", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.ZIP)),
          view("DX_DEID", "Condition", "DX_CD", code(), "ONSET_YR",
              new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.DATE)),
          view("AGE_DEID", "Patient", "AGE", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.AGE),
              "BIRTH_YR", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.BIRTH_DATE))));
  private static final SqlPlanner.Limits VIEWS = new SqlPlanner.Limits(Set.of("PAT_DEID", "DX_DEID", "AGE_DEID"), k -> true,
      Set.of(), 50);
  /** The 3-digit ZIP rule as a statement reads {@code column}: restricted prefixes (bound) read as 000. */
  private static String zip3(String column) {
    String prefix = "LEFT(CAST(" + column + " AS CHAR(10)), 3)";
    return "CASE WHEN " + prefix + " IN (" + String.join(", ", Collections.nCopies(DeIdentifier.RESTRICTED_ZIP3.size(), "?"))
        + ") THEN '000' ELSE " + prefix + " END";
  }

  private static SqlSettings.Column code() {
    return new SqlSettings.Column(ColumnClass.CODE, "http://snomed.info/sct", null);
  }

  private static SqlSettings.View view(String name, String type, String c1, SqlSettings.Column k1, String c2,
      SqlSettings.Column k2) {
    Map<String, SqlSettings.Column> columns = new LinkedHashMap<>();
    columns.put("PID", KEY);
    columns.put(c1, k1);
    columns.put(c2, k2);
    return new SqlSettings.View(name, name.substring(0, name.indexOf('_')), type, "PID", columns);
  }

  private static SqlPlan plan(String sql) {
    return new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).planDeidentified(sql, VIEWS, new SqlPlanner.Research(1000, 2026));
  }

  @Test
  void aViewIsReadAcrossPatientsWithItsKeyFetchedToPseudonymize() {
    SqlPlan p = plan("SELECT p.PID, p.ZIP3 FROM PAT_DEID p JOIN DX_DEID d ON d.PID = p.PID WHERE p.SEX_CD = 'F'");
    assertThat(p.sql()).isEqualTo("SELECT t0.PID AS c0, " + zip3("t0.ZIP3") + " AS c1, t1.DX_CD AS h0, t0.PID AS k0, "
        + "t1.PID AS k1 FROM PAT_DEID t0 JOIN DX_DEID t1 ON ((t1.PID = t0.PID)) WHERE ((t0.SEX_CD = ?)) LIMIT 1001");
    List<SqlPlan.Binding> bindings = new ArrayList<>(DeIdentifier.RESTRICTED_ZIP3.stream().sorted()
        .map(z -> (SqlPlan.Binding) new SqlPlan.Binding.Literal(z)).toList());
    bindings.add(new SqlPlan.Binding.Literal("F"));
    assertThat(p.bindings()).containsExactlyElementsOf(bindings);
    assertThat(p.outputs()).extracting(SqlPlan.Output::identifier)
        .containsExactly(Optional.of(IdentifierKind.PATIENT_KEY), Optional.of(IdentifierKind.ZIP));
    assertThat(p.grouping()).isEmpty();
  }

  @Test
  void datesAndZipCodesAreReducedWhereverTheyAreNamed() {
    SqlPlan p = plan("SELECT d.DX_CD, d.ONSET_YR FROM DX_DEID d JOIN PAT_DEID p ON p.PID = d.PID WHERE d.ONSET_YR = '2019-03-04' "
        + "AND p.ZIP3 LIKE '02139%' ORDER BY d.ONSET_YR");
    assertThat(p.sql()).contains("WHERE (((LEFT(CAST(t0.ONSET_YR AS CHAR(10)), 4) = ?) AND (" + zip3("t1.ZIP3")
        + " LIKE ?))) LIMIT 1001");
  }

  @Test
  void rowsAreChosenAndOrderedByCustosNeverByStorageOrder() {
    SqlPlan p = plan("SELECT d.DX_CD, d.ONSET_YR AS onset FROM DX_DEID d ORDER BY onset DESC, d.DX_CD LIMIT 5");
    // Everything up to the scan cap is read, unordered; Custos sorts the released rows and applies the LIMIT.
    assertThat(p.sql()).doesNotContain("ORDER BY").endsWith(" LIMIT 1001");
    assertThat(p.limit()).isEqualTo(1000);
    assertThat(p.release()).hasValue(new SqlPlan.RowRelease(5, List.of(new SqlPlan.SortKey(1, false, true),
        new SqlPlan.SortKey(0, true, false))));
  }

  @Test
  void agesAndBirthYearsReadAsReleasedWhereverTheyAreNamed() {
    SqlPlan p = plan("SELECT SEX_CD FROM PAT_DEID p JOIN AGE_DEID a ON a.PID = p.PID WHERE a.AGE = 102 AND a.BIRTH_YR = '1921'");
    String age = "CAST(t1.AGE AS DECIMAL(5, 0))";
    String year = "LEFT(CAST(t1.BIRTH_YR AS CHAR(10)), 4)";
    assertThat(p.sql()).contains("WHERE (((CASE WHEN " + age + " > 89 THEN 90 ELSE " + age + " END = ?) AND (CASE WHEN "
        + year + " > ? THEN " + year + " END = ?))) LIMIT 1001");
    // Birth years of 1936 or earlier read as NULL in 2026 (ages over 89): the bound year, then the caller's values.
    assertThat(p.bindings()).containsExactly(new SqlPlan.Binding.Literal(102L), new SqlPlan.Binding.Literal("1936"),
        new SqlPlan.Binding.Literal("1921"));
  }

  @Test
  void countsAreLeftToCustosOverAtMostTheScanCap() {
    SqlPlan p = plan("SELECT d.DX_CD, COUNT(DISTINCT d.PID) AS patients, COUNT(*) FROM DX_DEID d GROUP BY d.DX_CD LIMIT 20");
    assertThat(p.sql()).isEqualTo("SELECT t0.DX_CD AS c0, t0.PID AS c1, 1 AS c2, t0.DX_CD AS h0, t0.PID AS k0 "
        + "FROM DX_DEID t0 LIMIT 1001");
    assertThat(p.outputs()).extracting(SqlPlan.Output::name, SqlPlan.Output::aggregate).containsExactly(
        org.assertj.core.groups.Tuple.tuple("dx_cd", SqlPlan.Aggregate.NONE),
        org.assertj.core.groups.Tuple.tuple("patients", SqlPlan.Aggregate.DISTINCT),
        org.assertj.core.groups.Tuple.tuple("count", SqlPlan.Aggregate.ROWS));
    assertThat(p.limit()).isEqualTo(1000);
    assertThat(p.grouping()).hasValue(20);
  }

  @Test
  void rowsWithCodesTheCallerMayNotSeeAreLeftOutByTheStatement() {
    SqlPlan p = new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).planDeidentified("SELECT d.ONSET_YR FROM DX_DEID d "
        + "WHERE d.ONSET_YR = '2020'", VIEWS, new SqlPlanner.Research(1000, 2026), system -> system.equals("http://snomed.info/sct")
            ? new io.custos.phi.SensitiveValueSets.Withheld(new java.util.TreeSet<>(Set.of("7200002", "66214007")), Set.of(), false)
            : SqlPlanner.NOTHING_WITHHELD.of(system));
    // The scan cap then counts only rows the caller may see (the codes are bound, never rendered).
    // Only ASCII codes without control whitespace are kept, so TRIM and the ICD-10 form equal Java's String.strip form.
    String clean = "CHAR_LENGTH(t0.DX_CD) = OCTET_LENGTH(t0.DX_CD)" + " AND t0.DX_CD NOT LIKE ?".repeat(9);
    List<SqlPlan.Binding> controls = "\t\n\u000B\f\r\u001C\u001D\u001E\u001F".chars()
        .mapToObj(ch -> (SqlPlan.Binding) new SqlPlan.Binding.Literal("%" + (char) ch + "%")).toList();
    assertThat(p.sql()).endsWith("WHERE ((LEFT(CAST(t0.ONSET_YR AS CHAR(10)), 4) = ?)) AND (t0.DX_CD IS NULL OR ("
        + clean + " AND TRIM(t0.DX_CD) NOT IN (?, ?))) LIMIT 1001");
    List<SqlPlan.Binding> expected = new java.util.ArrayList<>(List.of(new SqlPlan.Binding.Literal("2020")));
    expected.addAll(controls);
    expected.addAll(List.of(new SqlPlan.Binding.Literal("66214007"), new SqlPlan.Binding.Literal("7200002")));
    assertThat(p.bindings()).isEqualTo(expected);
    SqlPlan icd = new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).planDeidentified("SELECT d.DX_CD, COUNT(*) FROM DX_DEID d "
        + "GROUP BY d.DX_CD", VIEWS, new SqlPlanner.Research(1000, 2026), system -> new io.custos.phi.SensitiveValueSets.Withheld(Set.of(), Set.of("F10"), true));
    assertThat(icd.sql()).endsWith("FROM DX_DEID t0 WHERE (t0.DX_CD IS NULL OR (" + clean
        + " AND UPPER(REPLACE(TRIM(t0.DX_CD), '.', '')) NOT LIKE ?)) LIMIT 1001");
    List<SqlPlan.Binding> icdExpected = new java.util.ArrayList<>(controls);
    icdExpected.add(new SqlPlan.Binding.Literal("F10%"));
    assertThat(icd.bindings()).isEqualTo(icdExpected);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "SELECT DX_CD FROM DX | deidentified-views-only",
      "SELECT v.DX_CD FROM DX_DEID v JOIN DX t ON t.DX_CD = v.DX_CD | deidentified-views-only",
      "SELECT relname FROM pg_class | no-system-catalogs",
      "SELECT ZIP3 FROM PAT_DEID WHERE PID = 'abc' | pseudonymous-key",
      "SELECT ZIP3 FROM PAT_DEID WHERE PID IN ('a', 'b') | pseudonymous-key",
      "SELECT LOWER(PID) FROM PAT_DEID | pseudonymous-key",
      "SELECT ZIP3 FROM PAT_DEID ORDER BY PID | order-by-selected",
      "SELECT PID, ZIP3 FROM PAT_DEID ORDER BY PID | pseudonymous-key",
      "SELECT PID FROM PAT_DEID LIMIT 1 OFFSET 41 | no-offset",
      "SELECT PID FROM PAT_DEID OFFSET 3 | no-offset",
      "SELECT PID, ZIP3 FROM PAT_DEID ORDER BY 'x' | order-by-selected",
      "SELECT PID, ZIP3 FROM PAT_DEID ORDER BY 1 | order-by-selected",
      "SELECT PID, ZIP3 FROM PAT_DEID ORDER BY LOWER(ZIP3) | order-by-selected",
      "SELECT PID FROM PAT_DEID ORDER BY SEX_CD | order-by-selected",
      "SELECT d.DX_CD FROM DX_DEID d, PAT_DEID b WHERE b.ZIP3 = '100' | patient-key-joins",
      "SELECT d.DX_CD FROM DX_DEID d CROSS JOIN PAT_DEID b | patient-key-joins",
      "SELECT d.DX_CD, COUNT(DISTINCT d.PID) FROM DX_DEID d JOIN PAT_DEID b ON b.ZIP3 = '100' GROUP BY d.DX_CD | patient-key-joins",
      "SELECT d.DX_CD FROM DX_DEID d JOIN PAT_DEID b ON b.PID = d.PID AND b.ZIP3 = '100' | patient-key-joins",
      "SELECT d.DX_CD FROM DX_DEID d JOIN PAT_DEID b ON b.PID = b.PID | patient-key-joins",
      "SELECT d.DX_CD FROM DX_DEID d JOIN PAT_DEID b ON b.ZIP3 = d.DX_CD | patient-key-joins",
      "SELECT d.DX_CD FROM DX_DEID d JOIN PAT_DEID b ON b.PID <> d.PID | patient-key-joins",
      "SELECT PID AS k FROM PAT_DEID ORDER BY k | pseudonymous-key",
      "SELECT SEX_CD, COUNT(*) FROM PAT_DEID GROUP BY ZIP3 | counts-only",
      "SELECT SEX_CD, ZIP3, COUNT(*) FROM PAT_DEID GROUP BY SEX_CD | counts-only",
      "SELECT SEX_CD, COUNT(*) FROM PAT_DEID GROUP BY SEX_CD HAVING COUNT(*) > 1 | counts-only",
      "SELECT SEX_CD, COUNT(*) FROM PAT_DEID GROUP BY SEX_CD ORDER BY SEX_CD | counts-only",
      "SELECT COUNT(LOWER(SEX_CD)) FROM PAT_DEID | counts-only",
      "SELECT COUNT(p.*) FROM PAT_DEID p | counts-only",
      // Counts of anything but rows or patients single a patient out inside a large group.
      "SELECT d.DX_CD, COUNT(DISTINCT p.SEX_CD) AS s FROM DX_DEID d JOIN PAT_DEID p ON p.PID = d.PID GROUP BY d.DX_CD | counts-only",
      "SELECT AGE, COUNT(BIRTH_YR) FROM AGE_DEID GROUP BY AGE | counts-only",
      "SELECT COUNT(ZIP3) FROM PAT_DEID | counts-only",
      // A GROUP BY with no count, or on the patient key, lists small groups or one group per patient.
      "SELECT DX_CD FROM DX_DEID WHERE DX_CD = 'T-RARE' GROUP BY DX_CD | counts-only",
      "SELECT PID FROM DX_DEID WHERE DX_CD = 'T-RARE' GROUP BY PID | pseudonymous-key",
      "SELECT PID, COUNT(*) FROM DX_DEID GROUP BY PID | pseudonymous-key",
      "SELECT p.PID, p.ZIP3, d.DX_CD, COUNT(*) FROM DX_DEID d JOIN PAT_DEID p ON p.PID = d.PID GROUP BY p.PID, p.ZIP3, d.DX_CD | pseudonymous-key",
      "SELECT SUM(ONSET_YR) FROM DX_DEID | no-aggregates",
      "SELECT SEX_CD, COUNT(*) OVER () FROM PAT_DEID | no-aggregates"})
  void refusals(String sql, String rule) {
    assertThatThrownBy(() -> plan(sql)).isInstanceOfSatisfying(SqlRule.SqlRefused.class,
        e -> assertThat(e.rule().id()).isEqualTo(rule));
  }

  @Test
  void aCompartmentStatementStillHasNoCountsAndNoView() {
    var analyst = new SqlPlanner.Limits(Set.of("DX"), k -> true, Set.of(), 50);
    assertThatThrownBy(() -> new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).plan("SELECT DX_CD, COUNT(*) FROM DX GROUP BY DX_CD", analyst))
        .isInstanceOfSatisfying(SqlRule.SqlRefused.class, e -> assertThat(e.rule()).isEqualTo(SqlRule.AGGREGATE));
    assertThatThrownBy(() -> new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).plan("SELECT DX_CD FROM DX_DEID", analyst))
        .isInstanceOfSatisfying(SqlRule.SqlRefused.class, e -> assertThat(e.rule()).isEqualTo(SqlRule.TABLE));
  }
}
