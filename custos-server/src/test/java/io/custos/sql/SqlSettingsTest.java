package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code sql} section as {@code custos.yaml} holds it: defaults, and errors that name the key, tool and rule. */
class SqlSettingsTest {
  @TempDir
  Path dir;

  private Path config(String sqlSection) throws IOException {
    Path file = dir.resolve("custos.yaml");
    Files.writeString(file, """
        upstream:
          baseUrl: http://127.0.0.1:8080/fhir
        identity:
          mode: development
        """ + sqlSection);
    return file;
  }

  private String demoSection() {
    return LegacySchema.configSection("jdbc:postgresql://127.0.0.1:1/none", "custos_reader", dir.resolve("pw"));
  }

  @Test
  void theDemoSectionLoadsWithItsDeclarationsAndDefaults() throws IOException {
    SqlSettings sql = CustosConfig.load(config(demoSection())).sql();
    assertThat(sql.tables()).extracting(SqlSettings.Table::name).containsExactly("DX", "RX", "LAB", "ENC");
    assertThat(sql.tables().get(0).columns().get("DX_CD")).isEqualTo(
        new SqlSettings.Column(ColumnClass.CODE, "http://snomed.info/sct", "diagnosis (SNOMED CT)"));
    assertThat(sql.tools()).extracting(SqlSettings.Tool::name)
        .containsExactly("legacy_active_diagnoses", "legacy_active_medications", "legacy_lab_results");
    assertThat(sql.allowWrites()).isFalse();
    assertThat(sql.analyst().tables()).containsExactly("DX", "RX", "LAB", "ENC");
  }

  @Test
  void theEngineIsTheJdbcUrlsAndAnyOtherEngineNamesTheKey() throws IOException {
    assertThat(CustosConfig.load(config(demoSection())).sql().engine()).isEqualTo(SqlEngine.POSTGRESQL);
    assertThat(CustosConfig.load(config(demoSection().replace("jdbc:postgresql://127.0.0.1:1/none",
        "jdbc:mariadb://127.0.0.1:1/legacy"))).sql().engine()).isEqualTo(SqlEngine.MARIADB);
    Path file = config(demoSection().replace("jdbc:postgresql://127.0.0.1:1/none", "jdbc:sqlserver://127.0.0.1:1"));
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class).hasMessageContaining("sql.jdbcUrl");
  }

  @Test
  void aBoundOutOfRangeNamesItsKey() throws IOException {
    Path file = config(demoSection().replace("maxPoolSize: 4", "maxPoolSize: 500"));
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class).hasMessageContaining("sql.maxPoolSize");
  }

  @Test
  void anUnknownColumnKindNamesTheKey() throws IOException {
    Path file = config(demoSection().replace("{kind: operational, description: \"encounter id\"}", "{kind: secret}"));
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("sql.tables.columns.kind");
  }

  @Test
  void aDeclaredSelectThatBreaksARuleStopsTheStartBeforeConnecting() throws IOException {
    Path file = config(demoSection().replace("SELECT DX_CD, DX_DESC, ONSET_DT FROM DX WHERE RESOLVED_DT IS NULL",
        "SELECT DX_CD, DX_DESC, ONSET_DT FROM DX WHERE MRN IN (SELECT MRN FROM PAT)"));
    SqlSettings sql = CustosConfig.load(file).sql();
    assertThatThrownBy(() -> SqlUpstream.open(sql)).isInstanceOf(ConfigException.class)
        .hasMessage("sql.tools.legacy_active_diagnoses.select: breaks rule no-subqueries");
  }

  @Test
  void theDemoSectionDeclaresTheDeidentifiedViews() throws IOException {
    SqlSettings sql = CustosConfig.load(config(demoSection())).sql();
    assertThat(sql.research().views()).extracting(SqlSettings.View::name).containsExactly("PAT_DEID", "DX_DEID");
    assertThat(sql.research().roles()).containsExactly("researcher");
    assertThat(sql.research().views().get(0).columns().get("ZIP3").identifierKind()).hasValue(IdentifierKind.ZIP);
    assertThat(sql.analyst().tables()).doesNotContain("PAT_DEID", "DX_DEID");
  }

  @Test
  void aViewWhosePatientKeyIsNotPseudonymizedNamesTheKey() throws IOException {
    Path file = config(demoSection().replace(
        "PID: {kind: identifier, identifier: patient-key, description: \"FHIR Patient id; released as the research pseudonym\"}",
        "PID: {kind: identifier, identifier: mrn}"));
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("sql.research.views.PAT_DEID.patientKey");
  }

  @Test
  void aViewInThePatientCompartmentToolIsRefused() throws IOException {
    Path file = config(demoSection().replace("roles: [clinician]\n    maxRows: 50",
        "roles: [clinician]\n    tables: [DX, DX_DEID]\n    maxRows: 50"));
    assertThatThrownBy(() -> CustosConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("sql.analyst.tables: DX_DEID is a de-identified view");
  }
}
