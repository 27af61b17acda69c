package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveValueSets;
import io.custos.testing.SqlTestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The codes a de-identified statement leaves out are normalised in SQL as {@link SensitiveValueSets} normalises them in
 * Java, on real PostgreSQL and MariaDB: no row the statement keeps is one Custos would drop afterwards for its code (such a
 * row would count against the scan cap, telling that a withheld code exists).
 */
class WithheldCodesEngineTest {
  private static final String ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm";
  private static final SqlSettings.Column KEY = new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null,
      IdentifierKind.PATIENT_KEY);

  @ParameterizedTest
  @EnumSource(SqlEngine.class)
  void aCodeWithSpacesOrControlWhitespaceIsLeftOutByTheStatementAsJavaLeavesItOut(SqlEngine engine) throws Exception {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put("plain", "F10.20");
    codes.put("leading-space", " F10.20");
    codes.put("trailing-tab", "F10.20\t");
    codes.put("leading-newline", "\nf10.20");
    codes.put("carriage-return", "F10.20\r");
    codes.put("unicode-space", "F10.20\u2003");
    codes.put("undotted", "F1020");
    codes.put("other", "F32.0");
    codes.put("other-padded", " F32.0 ");
    SensitiveValueSets sets = SensitiveValueSets.builtIn();
    Set<String> javaDrops = new HashSet<>();
    codes.forEach((pid, code) -> {
      if (sets.categoriesOf(ICD10CM, code).contains(SensitiveCategory.SUBSTANCE_USE)) {
        javaDrops.add(pid);
      }
    });
    assertThat(javaDrops).contains("plain", "leading-space", "trailing-tab", "leading-newline", "carriage-return",
        "undotted").doesNotContain("other", "other-padded");

    Map<String, SqlSettings.Column> columns = new LinkedHashMap<>();
    columns.put("PID", KEY);
    columns.put("DX_CD", new SqlSettings.Column(ColumnClass.CODE, ICD10CM, null));
    SqlCatalog catalog = new SqlCatalog(List.of(), new SqlSettings.Patients("PAT", "MRN", "EMPI_ID"),
        List.of(new SqlSettings.View("DX_DEID", "DX", "Condition", "PID", columns)));
    SqlPlan plan = new SqlPlanner(catalog, engine).planDeidentified("SELECT d.DX_CD FROM DX_DEID d",
        new SqlPlanner.Limits(Set.of("DX_DEID"), k -> true, Set.of(), 50), new SqlPlanner.Research(1000, 2026),
        system -> sets.withheld(system, Set.of(SensitiveCategory.SUBSTANCE_USE)));

    Set<String> kept = new HashSet<>();
    try (SqlTestServer db = SqlTestServer.start(engine); Connection c = db.admin()) {
      c.createStatement().execute("CREATE TABLE DX_DEID (PID VARCHAR(40), DX_CD VARCHAR(40))");
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO DX_DEID VALUES (?, ?)")) {
        for (var e : codes.entrySet()) {
          insert.setString(1, e.getKey());
          insert.setString(2, e.getValue());
          insert.executeUpdate();
        }
      }
      try (PreparedStatement query = c.prepareStatement(plan.sql())) {
        for (int i = 0; i < plan.bindings().size(); i++) {
          query.setObject(i + 1, ((SqlPlan.Binding.Literal) plan.bindings().get(i)).value());
        }
        try (ResultSet rs = query.executeQuery()) {
          while (rs.next()) {
            kept.add(rs.getString("k0"));
          }
        }
      }
    }
    // Every row Java drops is left out by the statement, and the others are kept.
    assertThat(kept).doesNotContainAnyElementsOf(javaDrops).containsExactlyInAnyOrder("other", "other-padded");
  }
}
