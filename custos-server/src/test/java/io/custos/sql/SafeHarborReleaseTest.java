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
    SafeHarborRelease r = release("SELECT PID, ZIP, BIRTH, ONSET, AGE, LOWER(SEX) AS s FROM V");
    assertThat(List.of(
        r.released(row("c0", "p1", "c1", "03601-1234", "c2", "1930-05-01", "c3", "20190304", "c4", "95", "c5", "f", "k0", "p1")),
        r.released(row("c0", "p2", "c1", "02139", "c2", "1990-01-01", "c3", "2019-03-04T10:00:00Z", "c4", "42", "c5", "m",
            "k0", "p2")),
        r.released(row("c0", "p3", "c1", "12", "c2", "19900101", "c3", "03/04/2019", "c4", "forty", "c5", "m", "k0", "p3"))))
        .isEqualTo(List.of(
            Map.of("pid", "ps-p1", "zip", "000", "onset", 2019, "age", "90+"), // restricted ZIP3; over 89: no birth year
            Map.of("pid", "ps-p2", "zip", "021", "birth", 1990, "onset", 2019, "age", 42),
            Map.of("pid", "ps-p3", "birth", 1990))); // values that are not what their class says are left out
    assertThat(r.masked()).containsExactly("s");
  }

  /** {@code n} rows of {@code SEX} for patients {@code prefix0..}, one each. */
  private static List<Map<String, String>> patients(String prefix, String sex, int n) {
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      rows.add(row("c0", sex, "k0", prefix + p));
    }
    return rows;
  }

  @Test
  void rowsWithoutOrderByLeaveTheDatabasesOrder() {
    SafeHarborRelease r = release("SELECT SEX FROM V");
    List<Map<String, String>> rows = new ArrayList<>(patients("m", "m", 11));
    rows.addAll(patients("f", "f", 11));
    Map<String, Object> out = r.rows(rows);
    assertThat((List<?>) out.get("items")).hasSize(22).first().isEqualTo(Map.of("sex", "f"));
  }

  @Test
  void distinctRowsAreDistinctOnceReleased() {
    SafeHarborRelease r = release("SELECT DISTINCT SEX FROM V");
    Map<String, Object> out = r.rows(patients("p", "m", 11));
    assertThat(out.get("items")).isEqualTo(List.of(Map.of("sex", "m")));
  }

  @Test
  void fewerPatientsThanTheMinimumCellReleaseNoRow() {
    // Listing pseudonyms and counting them would recover a count suppressed as a small cell.
    Map<String, Object> out = release("SELECT PID FROM V").rows(patients("p", "m", 10));
    assertThat(out).containsEntry("items", List.of()).containsEntry("suppressed", true);
    assertThat((List<?>) release("SELECT PID FROM V").rows(patients("p", "m", 11)).get("items")).hasSize(11);
  }

  @Test
  void aRareCombinationOfValuesIsLeftOutWithComplementaryRows() {
    SafeHarborRelease r = release("SELECT PID, SEX, ZIP FROM V");
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < 20; p++) {
      rows.add(row("c0", "a" + p, "c1", "f", "c2", "02139", "k0", "a" + p));
    }
    for (int p = 0; p < 12; p++) {
      rows.add(row("c0", "b" + p, "c1", "m", "c2", "02139", "k0", "b" + p));
    }
    for (int p = 0; p < 2; p++) { // 2 patients of a rare combination, 3 rows each: still 2 patients
      for (int i = 0; i < 3; i++) {
        rows.add(row("c0", "c" + p, "c1", "x", "c2", "10001", "k0", "c" + p));
      }
    }
    Map<String, Object> out = r.rows(rows);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items = (List<Map<String, Object>>) out.get("items");
    // With the pseudonym selected, the patient is the unit: the rare profile's 2 patients are left out with their rows.
    assertThat(items).noneMatch(i -> "x".equals(i.get("sex")) || "100".equals(i.get("zip")) || "ps-c0".equals(i.get("pid")));
    assertThat(items.stream().filter(i -> "m".equals(i.get("sex"))).count()).isEqualTo(12);
    assertThat(items.stream().filter(i -> "f".equals(i.get("sex"))).count()).isEqualTo(20);
    assertThat(out).containsEntry("suppressedCells", 2 * 6);
    // Without it, each row is the unit: the rare combination loses its values, with the next smallest ("m") too.
    Map<String, Object> unlinked = release("SELECT SEX, ZIP FROM V").rows(rows.stream().map(m -> {
      Map<String, String> shifted = new LinkedHashMap<>(m);
      shifted.put("c0", m.get("c1"));
      shifted.put("c1", m.get("c2"));
      shifted.remove("c2");
      return shifted;
    }).toList());
    assertThat(unlinked).containsEntry("suppressedCells", 2 * (6 + 12));
  }

  @Test
  void rowsAreSortedByReleasedValuesThenWholeRowsAndTheLimitAppliedAfterwards() {
    SafeHarborRelease r = release("SELECT SEX, ONSET FROM V ORDER BY SEX DESC LIMIT 3");
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < 22; p++) { // stored so that the database's order would put 2021 first; 11 patients a year
      rows.add(row("c0", "m", "c1", (2021 - p % 2) + "-06-0" + (1 + p % 9), "k0", "p" + p));
    }
    Map<String, Object> out = r.rows(rows);
    assertThat(out.get("items")).isEqualTo(List.of(Map.of("sex", "m", "onset", 2020), Map.of("sex", "m", "onset", 2020),
        Map.of("sex", "m", "onset", 2020)));
    assertThat(out).containsEntry("truncated", true).containsEntry("count", 3);
    // Truncation is judged on released rows only: 11 rows under LIMIT 20 are not truncated.
    assertThat(release("SELECT SEX FROM V LIMIT 20").rows(patients("p", "m", 11))).doesNotContainKey("truncated");
  }

  @Test
  void aGroupsPatientsAreTheFewestOfAnyTableJoined() {
    SqlPlan plan = new SqlPlanner(CATALOG2, SqlEngine.POSTGRESQL).planDeidentified(
        "SELECT a.SEX, COUNT(DISTINCT a.PID) AS patients FROM V a JOIN W b ON b.PID = a.PID GROUP BY a.SEX",
        new SqlPlanner.Limits(Set.of("V", "W"), k -> true, Set.of(), 50), new SqlPlanner.Research(1000, 2026));
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < 12; p++) { // 12 keys in one table, but only 3 patients in the other
      rows.add(row("c0", "f", "c1", "a" + p, "k0", "a" + p, "k1", "b" + (p % 3)));
    }
    Map<String, Object> out = new SafeHarborRelease(plan, id -> "ps-" + id, 2026).counts(rows, 50);
    assertThat(out).containsEntry("suppressed", true).containsEntry("items", List.of()).containsEntry("count", 0);
  }

  private static final SqlCatalog CATALOG2 = new SqlCatalog(List.of(), new SqlSettings.Patients("PAT", "MRN", "EMPI_ID"),
      List.of(view(), new SqlSettings.View("W", "PAT", "Patient", "PID", Map.of("PID", identifier(IdentifierKind.PATIENT_KEY)))));

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
    // Both groups are left out with their values: a small group's ZIP code listed with a null count would still say
    // that someone there matches.
    assertThat(out.get("items")).isEqualTo(List.of(Map.of("zip", "010", "n", 15, "patients", 15)));
    assertThat(out).containsEntry("suppressedCells", 2).containsEntry("count", 1).doesNotContainKey("suppressed");
  }

  @Test
  void aPatientWhoseSetOfRowsIsRareIsLeftOutWholeWhenThePseudonymLinksThem() {
    SafeHarborRelease r = release("SELECT PID, SEX FROM V");
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < 24; p++) { // every value is common ("f": 24 patients, "m": 12), but 3 patients hold both
      rows.add(row("c0", "a" + p, "c1", "f", "k0", "a" + p));
      if (p < 3) {
        rows.add(row("c0", "a" + p, "c1", "m", "k0", "a" + p));
      }
    }
    for (int p = 0; p < 9; p++) { // 9 more "m" alone: the cell "m" holds 12 patients
      rows.add(row("c0", "b" + p, "c1", "m", "k0", "b" + p));
    }
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items = (List<Map<String, Object>>) r.rows(rows).get("items");
    assertThat(items).hasSize(21).allSatisfy(i -> assertThat(i).containsEntry("sex", "f"))
        .noneMatch(i -> Set.of("ps-a0", "ps-a1", "ps-a2").contains(i.get("pid")));
    // 13 patients, of whom 10 share a profile: fewer than 11 patients left, nothing released.
    assertThat(r.rows(rows.subList(0, 16))).containsEntry("suppressed", true);
  }

  @Test
  void anAnswerFewPatientsStandBehindReleasesNoGroup() {
    SafeHarborRelease r = release("SELECT ZIP, COUNT(*) AS n FROM V GROUP BY ZIP");
    List<Map<String, String>> rows = new ArrayList<>();
    for (int p = 0; p < 4; p++) { // one patient's cell, split over many rows: still 4 patients
      rows.add(row("c0", "02445", "c1", "1", "k0", "b" + p));
      rows.add(row("c0", "01001", "c1", "1", "k0", "b" + p));
    }
    assertThat(r.counts(rows, 50)).containsEntry("suppressed", true).containsEntry("items", List.of());
  }

  @Test
  void aCountOverNoRowsIsZero() {
    assertThat(release("SELECT COUNT(*) AS n FROM V").counts(List.of(), 50).get("items")).isEqualTo(List.of(Map.of("n", 0)));
  }
}
