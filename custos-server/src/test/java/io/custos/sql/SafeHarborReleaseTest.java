package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a de-identified answer releases of the rows a view returned, whatever the view holds. No database needed. */
class SafeHarborReleaseTest {
  private static final SqlCatalog CATALOG = new SqlCatalog(List.of(), new SqlSettings.Patients("PAT", "MRN", "EMPI_ID"),
      List.of(view()));

  private static SqlSettings.View view() {
    Map<String, SqlSettings.Column> columns = new LinkedHashMap<>();
    columns.put("PID", identifier(IdentifierKind.PATIENT_KEY));
    columns.put("ZIP", identifier(IdentifierKind.ZIP));
    columns.put("BIRTH", identifier(IdentifierKind.BIRTH_DATE));
    columns.put("ONSET", identifier(IdentifierKind.DATE));
    columns.put("AGE", identifier(IdentifierKind.AGE));
    columns.put("SEX", new SqlSettings.Column(ColumnClass.OPERATIONAL, null, null));
    return new SqlSettings.View("V", "PAT", "Patient", "PID", columns);
  }

  private static SqlSettings.Column identifier(IdentifierKind kind) {
    return new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, kind);
  }

  private static SafeHarborRelease release(String sql) {
    SqlPlan plan = new SqlPlanner(CATALOG, SqlEngine.POSTGRESQL).planDeidentified(sql, new SqlPlanner.Limits(Set.of("V"), k -> true, Set.of(), 50), new SqlPlanner.Research(1000, 2026));
    return new SafeHarborRelease(plan, id -> "ps-" + id, 2026);
  }

  private static Map<String, String> row(String... columnValues) {
    Map<String, String> row = new LinkedHashMap<>();
    for (int i = 0; i < columnValues.length; i += 2) {
      row.put(columnValues[i], columnValues[i + 1]);
    }
    return row;
  }

  @Test
  void eachValueIsReducedByItsDeclaredClass() {
    SafeHarborRelease r = release("SELECT PID, ZIP, BIRTH, ONSET, AGE, LOWER(SEX) AS s FROM V ORDER BY SEX");
    Map<String, Object> out = r.rows(List.of(
        row("c0", "p1", "c1", "03601-1234", "c2", "1930-05-01", "c3", "20190304", "c4", "95", "c5", "f", "k0", "p1"),
        row("c0", "p2", "c1", "02139", "c2", "1990-01-01", "c3", "2019-03-04T10:00:00Z", "c4", "42", "c5", "m", "k0", "p2"),
        row("c0", "p3", "c1", "12", "c2", "19900101", "c3", "03/04/2019", "c4", "forty", "c5", "m", "k0", "p3")), false);
    assertThat(out.get("items")).isEqualTo(List.of(
        Map.of("pid", "ps-p1", "zip", "000", "onset", 2019, "age", "90+"), // restricted ZIP3; over 89: no birth year
        Map.of("pid", "ps-p2", "zip", "021", "birth", 1990, "onset", 2019, "age", 42),
        Map.of("pid", "ps-p3", "birth", 1990))); // values that are not what their class says are left out
    assertThat(r.masked()).containsExactly("s");
  }

  @Test
  void rowsWithoutOrderByLeaveTheDatabasesOrder() {
    SafeHarborRelease r = release("SELECT SEX FROM V");
    Map<String, Object> out = r.rows(List.of(row("c0", "m", "k0", "p1"), row("c0", "f", "k0", "p2")), false);
    assertThat(out.get("items")).isEqualTo(List.of(Map.of("sex", "f"), Map.of("sex", "m")));
  }

  @Test
  void distinctRowsAreDistinctOnceReleased() {
    SafeHarborRelease r = release("SELECT DISTINCT SEX FROM V");
    Map<String, Object> out = r.rows(List.of(row("c0", "m", "k0", "p1"), row("c0", "m", "k0", "p2")), false);
    assertThat(out.get("items")).isEqualTo(List.of(Map.of("sex", "m")));
  }

  @Test
  void smallCellsAreSuppressedByPatientsBehindThemWithComplementaryCells() {
    SafeHarborRelease r = release("SELECT ZIP, COUNT(*) AS n, COUNT(DISTINCT PID) AS patients FROM V GROUP BY ZIP");
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < 12; p++) { // 12 patients, 2 rows each: 24 rows
      rows.add(row("c0", "02139", "c1", "1", "c2", "a" + p, "k0", "a" + p));
      rows.add(row("c0", "02134", "c1", "1", "c2", "a" + p, "k0", "a" + p));
    }
    for (int p = 0; p < 3; p++) { // 3 patients: a small cell
      rows.add(row("c0", "02445", "c1", "1", "c2", "b" + p, "k0", "b" + p));
    }
    for (int p = 0; p < 15; p++) {
      rows.add(row("c0", "01001", "c1", "1", "c2", "c" + p, "k0", "c" + p));
    }
    Map<String, Object> out = r.counts(rows, 50);
    // 024 is small; with it hidden alone its 3 patients could be recovered from a total, so 021 (the next smallest) too.
    assertThat(out.get("items")).isEqualTo(List.of(
        Map.of("zip", "010", "n", 15, "patients", 15),
        nulls("021"),
        nulls("024")));
    assertThat(out).containsEntry("suppressedCells", 4);
  }

  private static Map<String, Object> nulls(String zip) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("zip", zip);
    m.put("n", null);
    m.put("patients", null);
    return m;
  }

  @Test
  void aCountOverNoRowsIsZero() {
    assertThat(release("SELECT COUNT(*) AS n FROM V").counts(List.of(), 50).get("items")).isEqualTo(List.of(Map.of("n", 0)));
  }
}
