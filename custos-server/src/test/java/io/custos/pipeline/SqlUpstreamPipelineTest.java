package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.ALL_PATIENTS;
import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.PATIENT_B;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import io.custos.config.ConfigException;
import io.custos.phi.research.ResearchProtocols;
import io.custos.sql.LegacySchema;
import io.custos.sql.SqlRule;
import io.custos.sql.SqlSettings;
import io.custos.sql.SqlUpstream;
import io.custos.tools.Declaration;
import io.custos.sql.SqlEngine;
import io.custos.testing.SqlTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The SQL upstream behind the production pipeline, run once per {@link SqlEngine} against a real server of it (embedded
 * PostgreSQL; MariaDB from Debian's {@code mariadb-server}) holding the legacy schema loaded from Synthea's CSV export of
 * the same five patients as the FHIR fixture: the legacy answers agree with the FHIR tools for the same patient, patients
 * outside care are refused as on FHIR, identifiers are masked by role, the audit names the table (and the query's hash,
 * never its text), a read-write account stops the start, and a corpus of injection and policy-escape attempts never
 * escapes the patient's compartment, never echoes the statement and never shows a trace.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(SqlEngine.class)
class SqlUpstreamPipelineTest extends PipelineTestBase {
  private static final String READER = "custos_reader";
  private static final String READER_PASSWORD = "reader-secret";
  static SqlTestServer db;
  static SqlUpstream sql;
  static Path readerPasswordFile;
  static Path adminPasswordFile;
  /** PATIENT_A's MRN, and every other patient's MRN and FHIR id. */
  static String mrnA;
  static final Set<String> others = new HashSet<>();

  @Parameter
  SqlEngine engine;

  @BeforeParameterizedClassInvocation
  static void startDatabase(SqlEngine engine) throws Exception {
    db = SqlTestServer.start(engine);
    Path csv = Path.of(SqlUpstreamPipelineTest.class.getResource("/fixtures/synthea/csv").toURI());
    try (Connection owner = db.admin()) {
      owner.setAutoCommit(true);
      LegacySchema.Loaded loaded = LegacySchema.load(owner, csv);
      assertThat(loaded.rows().get("PAT")).isEqualTo(ALL_PATIENTS.size());
      LegacySchema.createReader(owner, READER, READER_PASSWORD);
      // One substance-use diagnosis (SNOMED CT 7200002, alcoholism; 42 CFR Part 2) for PATIENT_A, only in the legacy data.
      owner.createStatement().execute("INSERT INTO DX (MRN, DX_CD, DX_DESC, ONSET_DT) SELECT MRN, '7200002', 'Alcoholism', "
          + "'20240101' FROM PAT WHERE EMPI_ID = '" + PATIENT_A + "'");
      others.clear();
      try (ResultSet rs = owner.createStatement().executeQuery("SELECT MRN, EMPI_ID, LAST_NM, FIRST_NM FROM PAT")) {
        while (rs.next()) {
          if (rs.getString(2).equals(PATIENT_A)) {
            mrnA = rs.getString(1);
          } else {
            for (int c = 1; c <= 4; c++) {
              others.add(rs.getString(c));
            }
          }
        }
      }
    }
    readerPasswordFile = Files.createTempFile("custos-sql", ".pw");
    Files.writeString(readerPasswordFile, READER_PASSWORD);
    adminPasswordFile = Files.createTempFile("custos-sql-admin", ".pw");
    Files.writeString(adminPasswordFile, db.adminPassword());
    sql = SqlUpstream.open(settings(READER, readerPasswordFile, false));
  }

  @AfterParameterizedClassInvocation
  static void stopDatabase() throws Exception {
    if (sql != null) {
      sql.close();
    }
    if (db != null) {
      db.close();
    }
    Files.deleteIfExists(readerPasswordFile);
    Files.deleteIfExists(adminPasswordFile);
  }

  /** The demo's {@code sql} section, read as custos.yaml is read, for {@code user} with its password in {@code passwordFile}. */
  static SqlSettings settings(String user, Path passwordFile, boolean allowWrites) throws IOException {
    String yaml = LegacySchema.configSection(db.jdbcUrl(), user, passwordFile);
    var tree = new ObjectMapper(new YAMLFactory()).readTree(yaml).get("sql");
    SqlSettings s = new ObjectMapper().treeToValue(tree, SqlSettings.class);
    return new SqlSettings(s.jdbcUrl(), s.username(), s.passwordFile(), s.maxPoolSize(), s.statementTimeoutSeconds(),
        s.maxRows(), allowWrites, s.patients(), s.tables(), s.tools(), s.analyst());
  }

  @Override
  GovernancePipeline createPipeline(JsonLinesAuditTrail trail) {
    // Care relationships required: every caller treats PATIENT_A only.
    return sqlPipeline(trail, sql, PATIENT_A, ResearchProtocols.none());
  }

  private final Caller clinician = user("dr-sql");

  private static Caller billing() {
    return new Caller("billing-sql", "test-client", Optional.empty(), Set.of("billing"), Set.of("user/*.rs"), Optional.empty(),
        true, "tokhash-billing-sql", Instant.now().plus(Duration.ofHours(1)));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> items(ToolOutcome out) {
    assertThat(out.isError()).as(out.text()).isFalse();
    return (List<Map<String, Object>>) out.structured().get("items");
  }

  @SuppressWarnings("unchecked")
  private static Set<String> codes(ToolOutcome out, String key) {
    return items(out).stream().map(i -> i.get(key)).filter(v -> v != null)
        .map(v -> v instanceof Map<?, ?> m ? (String) ((Map<String, Object>) m).get("code") : (String) v)
        .filter(v -> v != null).collect(Collectors.toSet());
  }

  @Test
  void legacyAnswersAgreeWithTheFhirToolsForTheSamePatient() {
    Set<String> fhirConditions = codes(pipeline.handle(call(clinician, "get_active_conditions", Map.of("patient_id", PATIENT_A))), "code");
    Set<String> sqlConditions = codes(pipeline.handle(call(clinician, "legacy_active_diagnoses", Map.of("patient_id", PATIENT_A))), "dx_cd");
    assertThat(fhirConditions).isNotEmpty();
    assertThat(sqlConditions).containsAll(fhirConditions);

    Set<String> fhirMeds = codes(pipeline.handle(call(clinician, "get_medications", Map.of("patient_id", PATIENT_A))), "medication");
    Set<String> sqlMeds = codes(pipeline.handle(call(clinician, "legacy_active_medications", Map.of("patient_id", PATIENT_A))), "rx_cd");
    assertThat(fhirMeds).isNotEmpty();
    assertThat(sqlMeds).containsAll(fhirMeds);

    List<Map<String, Object>> labs = items(pipeline.handle(call(clinician, "legacy_lab_results", Map.of("patient_id", PATIENT_A))));
    assertThat(labs).isNotEmpty().allSatisfy(l -> assertThat(l).containsKeys("loinc_cd", "result_val", "result_ts"));
    String loinc = (String) labs.get(0).get("loinc_cd");
    assertThat(items(pipeline.handle(call(clinician, "legacy_lab_results", Map.of("patient_id", PATIENT_A, "loinc", loinc)))))
        .isNotEmpty().allSatisfy(l -> assertThat(l).containsEntry("loinc_cd", loinc));
  }

  @Test
  void aPatientOutsideCareIsRefusedExactlyAsOnFhir() {
    ToolOutcome fhir = pipeline.handle(call(clinician, "get_active_conditions", Map.of("patient_id", PATIENT_B)));
    for (String tool : List.of("legacy_active_diagnoses", "legacy_active_medications", "legacy_lab_results")) {
      ToolOutcome legacy = pipeline.handle(call(clinician, tool, Map.of("patient_id", PATIENT_B)));
      assertThat(legacy.error()).isEqualTo(ToolCallException.Reason.NO_CARE_RELATIONSHIP).isEqualTo(fhir.error());
      assertThat(legacy.text()).isEqualTo(fhir.text());
    }
    ToolOutcome query = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_B, "query", "SELECT DX_CD FROM DX")));
    assertThat(query.error()).isEqualTo(ToolCallException.Reason.NO_CARE_RELATIONSHIP);
  }

  @Test
  void aRowInASensitiveCategoryIsWithheldAndCountedUnlessTheRolePermitsIt() {
    ToolOutcome out = pipeline.handle(call(clinician, "legacy_active_diagnoses", Map.of("patient_id", PATIENT_A)));
    assertThat(codes(out, "dx_cd")).doesNotContain("7200002");
    assertThat(out.structured()).extractingByKey("withheld").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("count", 1).containsEntry("categories", List.of("substance-use"));
    // sql_query cannot find it either, even by naming its code: the hidden code column classifies every row.
    ToolOutcome query = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_A,
        "query", "SELECT DX_DESC FROM DX WHERE DX_CD = '7200002'")));
    assertThat(items(query)).isEmpty();
    // and no withheld count either: the caller's own condition would make the count an oracle on the hidden row.
    assertThat(query.structured()).doesNotContainKey("withheld");
    Caller consented = new Caller("dr-part2", "test-client", Optional.of("Practitioner/dr-part2"),
        Set.of("clinician", "sensitive-data:substance-use"), Set.of("user/*.rs"), Optional.empty(), true, "tokhash-part2",
        Instant.now().plus(Duration.ofHours(1)));
    assertThat(codes(pipeline.handle(call(consented, "legacy_active_diagnoses", Map.of("patient_id", PATIENT_A))), "dx_cd"))
        .contains("7200002");
  }

  @Test
  void identifierColumnsAreMaskedForRolesThatDoNotTreat() {
    ToolOutcome out = pipeline.handle(call(billing(), "legacy_active_diagnoses", Map.of("patient_id", PATIENT_A)));
    assertThat(items(out)).isNotEmpty().allSatisfy(i -> assertThat(i).containsKey("dx_cd").doesNotContainKey("onset_dt"));
    assertThat(out.structured()).containsEntry("masked", List.of("onset_dt"));
    assertThat(items(pipeline.handle(call(clinician, "legacy_active_diagnoses", Map.of("patient_id", PATIENT_A)))))
        .allSatisfy(i -> assertThat(i).containsKey("onset_dt"));
    // Billing has no sql_query, and is not shown legacy medications.
    assertThat(pipeline.handle(call(billing(), "sql_query", Map.of("patient_id", PATIENT_A, "query", "SELECT DX_CD FROM DX"))).error())
        .isEqualTo(ToolCallException.Reason.FORBIDDEN);
    assertThat(pipeline.handle(call(billing(), "legacy_active_medications", Map.of("patient_id", PATIENT_A))).error())
        .isEqualTo(ToolCallException.Reason.FORBIDDEN);
  }

  @Test
  void sqlQueryReadsOnlyThePatientsRowsAndTheAuditKeepsTheHashNotTheQuery() throws IOException {
    String query = "SELECT d.DX_CD, d.MRN, r.RX_CD FROM DX d JOIN RX r ON r.ENC_ID = d.ENC_ID WHERE 1 = 1 OR d.MRN <> 'x' LIMIT 500";
    ToolOutcome out = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_A, "query", query)));
    List<Map<String, Object>> rows = items(out);
    assertThat(rows).isNotEmpty().hasSizeLessThanOrEqualTo(50).allSatisfy(r -> assertThat(r).containsEntry("mrn", mrnA));
    String audit = Files.readString(auditFile);
    assertThat(audit).contains("sql:DX+RX#query-sha256:").doesNotContain("ENC_ID").doesNotContain(mrnA);
    ToolOutcome refused = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_A,
        "query", "SELECT LAST_NM FROM PAT")));
    assertThat(refused.error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    assertThat(refused.text()).contains("rule " + SqlRule.TABLE.id()).doesNotContain("LAST_NM").doesNotContain("PAT");
    assertThat(Files.readString(auditFile)).contains("sql#query-sha256:").doesNotContain("LAST_NM");
  }

  @Test
  void theCatalogResourceListsEachColumnsClassification() {
    ToolOutcome out = pipeline.handle(Declaration.Kind.RESOURCE, call(clinician, SqlUpstream.CATALOG_URI, Map.of()));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(out.text()).contains("\"DX_CD\"").contains("\"kind\":\"code\"").contains("legacy_active_diagnoses")
        .contains("\"readOnlyTransactions\":true").contains("\"engine\":\"" + engine.title() + "\"");
  }

  @Test
  void anAccountThatCanWriteStopsTheStartUnlessAllowed() throws IOException {
    assertThatThrownBy(() -> SqlUpstream.open(settings(db.adminUser(), adminPasswordFile, false)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("can write").hasMessageContaining("sql.allowWrites");
    try (SqlUpstream allowed = SqlUpstream.open(settings(db.adminUser(), adminPasswordFile, true))) {
      assertThat(allowed.declarations()).isNotEmpty();
    }
  }

  @Test
  void noInjectionOrPolicyEscapeSucceeds() throws IOException {
    List<String> corpus = SqlAttacks.corpus("/injection/sql-corpus.txt");
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(100);
    String ruleWords = SqlAttacks.ruleWords();
    // The PHI log scan covers SQL traffic: every log event of the run, raw (message and stack trace).
    int refused = RawLogs.scanned(() -> runCorpus(corpus, ruleWords), raw -> {
      // A JDBC driver's own log lines carry the server's messages, which may quote values: none may be logged.
      assertThat(raw).doesNotStartWith("org.mariadb").doesNotStartWith("org.postgresql");
      assertThat(raw).doesNotContain(mrnA);
      others.forEach(other -> assertThat(raw).doesNotContain(other));
      corpus.stream().filter(a -> a.length() > 12).forEach(a -> assertThat(raw).doesNotContain(a));
    });
    // Most are refused by a named rule; the rest (tautologies, inert filters) stay inside the patient's rows.
    assertThat(refused).isGreaterThan(corpus.size() * 3 / 4);
  }

  /** Sends every statement to sql_query and, cut to 20 characters, as a declared tool's parameter; returns the refusals. */
  private int runCorpus(List<String> corpus, String ruleWords) {
    int refused = 0;
    for (String attack : corpus) {
      ToolOutcome q = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_A, "query", attack)));
      refused += checkOutcome(attack, q, ruleWords) ? 1 : 0;
      // The same text as a declared tool's bound parameter: a value, never SQL.
      String value = attack.length() > 20 ? attack.substring(0, 20) : attack;
      ToolOutcome p = pipeline.handle(call(clinician, "legacy_lab_results", Map.of("patient_id", PATIENT_A, "loinc", value)));
      checkOutcome(attack, p, ruleWords);
      if (!p.isError()) {
        assertThat(items(p)).as(attack).isEmpty();
      }
    }
    return refused;
  }

  /** Asserts one outcome escaped nothing; returns whether it was a refusal by a named rule. */
  private boolean checkOutcome(String attack, ToolOutcome out, String ruleWords) {
    for (String other : others) {
      assertThat(out.text()).as(attack).doesNotContain(other);
    }
    if (out.isError()) {
      return SqlAttacks.refusedByRule(attack, out, ruleWords);
    }
    SqlAttacks.refusedByRule(attack, out, ruleWords); // the answer's text too: no driver or stack trace text
    assertThat(items(out)).as(attack).allSatisfy(r -> {
      if (r.containsKey("mrn")) {
        assertThat(r.get("mrn")).isEqualTo(mrnA);
      }
    });
    return false;
  }


}
