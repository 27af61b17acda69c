package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.ALL_PATIENTS;
import static io.custos.pipeline.PipelineFixture.PATIENT_A;
import static io.custos.pipeline.PipelineFixture.PATIENT_B;
import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import io.custos.fhir.UpstreamRequest;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.deid.DeidContext;
import io.custos.phi.research.ResearchProtocols;
import io.custos.routes.TestPaths;
import io.custos.sql.ColumnClass;
import io.custos.sql.IdentifierKind;
import io.custos.sql.LegacySchema;
import io.custos.sql.SqlEngine;
import io.custos.sql.SqlRule;
import io.custos.sql.SqlSettings;
import io.custos.sql.SqlUpstream;
import io.custos.testing.SqlTestServer;
import io.custos.tools.Declaration;
import io.custos.tools.ResearchTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Researchers' SQL over de-identified views, behind the production pipeline, run once per {@link SqlEngine} against a
 * real server of it (embedded PostgreSQL; MariaDB from Debian's {@code mariadb-server}) holding the legacy schema of the
 * same five Synthea patients as the FHIR fixture, plus {@value #SYNTHETIC} synthetic patients only in the legacy data so
 * that some cells reach the small-cell threshold and some do not: only views, never tables or system catalogs; no MRN,
 * name, full date, full ZIP code or FHIR id in any answer, even from a view declared wrongly; counts and rows with
 * small cells suppressed; Part 2 rows left out; pseudonyms those of the FHIR research path; rows chosen and ordered by
 * Custos, never by storage order; the clinician's {@code sql_query} still confined to the patient's compartment.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(SqlEngine.class)
class SqlDeidentifiedPipelineTest extends PipelineTestBase {
  private static final String READER_PASSWORD = "reader-secret";
  private static final String TOOL = "sql_query_deidentified";
  /**
   * Synthetic patients: the first half women born 1960 in ZIP 02139, the second half men born 1920 (over 89) in ZIP
   * 98101; every one with a common diagnosis (T-COMMON), the first 3 with a rare one (T-RARE), the first half with a
   * Part 2 one (alcoholism).
   */
  private static final int SYNTHETIC = 24;
  /** Patients who did not opt out of research. */
  private static final int RESEARCH_PATIENTS = ALL_PATIENTS.size() - 1 + SYNTHETIC;
  static SqlTestServer db;
  static SqlUpstream sql;
  static Path passwordFile;
  /** Every MRN, FHIR Patient id, name, birth date and full ZIP code of the schema. */
  static final Set<String> identifiers = new HashSet<>();
  static final Set<String> mrns = new HashSet<>();
  static String mrnA;
  /** Diagnosis rows in the legacy data. */
  static int diagnosisRows;
  /** Patients of 90 or more, and the birth year of one of them. */
  static int over89;
  static String over89BirthYear;
  /** The patient whose ZIP code is set to one of a sparsely populated 3-digit area (036). */
  static final String RESTRICTED_ZIP = ALL_PATIENTS.get(3);
  /** A patient whose research Consent denies every Condition, and one whose research Consent denies one diagnosis code. */
  static final String NO_CONDITIONS = ALL_PATIENTS.get(0);
  static final String NO_CODE = ALL_PATIENTS.get(2);
  /** The diagnosis code {@link #NO_CODE}'s Consent denies for research. */
  static String deniedCode;

  @Parameter
  SqlEngine engine;

  @BeforeParameterizedClassInvocation
  static void startDatabase(SqlEngine engine) throws Exception {
    db = SqlTestServer.start(engine);
    Path csv = Path.of(SqlDeidentifiedPipelineTest.class.getResource("/fixtures/synthea/csv").toURI());
    try (Connection owner = db.admin()) {
      owner.setAutoCommit(true);
      LegacySchema.load(owner, csv);
      owner.createStatement().execute("UPDATE PAT SET ZIP_CD = '03601' WHERE EMPI_ID = '" + RESTRICTED_ZIP + "'");
      // A view declared wrongly on purpose: full birth date, exact age, full ZIP code, MRN and name (see leakyView()).
      owner.createStatement().execute("CREATE VIEW LEAKY AS SELECT EMPI_ID AS PID, MRN, LAST_NM, BIRTH_DT, ZIP_CD, "
          + (engine == SqlEngine.POSTGRESQL ? "CAST(EXTRACT(YEAR FROM AGE(BIRTH_DT)) AS INTEGER)"
          : "TIMESTAMPDIFF(YEAR, BIRTH_DT, CURDATE())") + " AS AGE FROM PAT");
      LegacySchema.createReader(owner, "custos_reader", READER_PASSWORD);
      owner.createStatement().execute("GRANT SELECT ON LEAKY TO " + (engine == SqlEngine.POSTGRESQL ? "custos_reader"
          : "'custos_reader'@'%'"));
      // One substance-use diagnosis (SNOMED CT 7200002, alcoholism; 42 CFR Part 2) for PATIENT_A, only in the legacy data.
      owner.createStatement().execute("INSERT INTO DX (MRN, DX_CD, DX_DESC, ONSET_DT) SELECT MRN, '7200002', 'Alcoholism', "
          + "'20240101' FROM PAT WHERE EMPI_ID = '" + PATIENT_A + "'");
      for (int i = 0; i < SYNTHETIC; i++) {
        String mrn = String.format("SYN%02d", i);
        boolean first = i < SYNTHETIC / 2;
        owner.createStatement().execute("INSERT INTO PAT VALUES ('" + mrn + "', 'syn-patient-" + i + "', 'Synthetic" + i
            + "', 'Person" + i + "', DATE '" + (first ? "1960" : "1920") + "-01-01', '" + (first ? "F" : "M") + "', '"
            + (first ? "02139" : "98101") + "')");
        owner.createStatement().execute("INSERT INTO DX (MRN, DX_CD, DX_DESC, ONSET_DT) VALUES ('" + mrn
            + "', 'T-COMMON', 'Common', '20200101')");
        if (i < 3) {
          owner.createStatement().execute("INSERT INTO DX (MRN, DX_CD, DX_DESC, ONSET_DT) VALUES ('" + mrn
              + "', 'T-RARE', 'Rare', '20210101')");
        }
        if (first) {
          owner.createStatement().execute("INSERT INTO DX (MRN, DX_CD, DX_DESC, ONSET_DT) VALUES ('" + mrn
              + "', '7200002', 'Alcoholism', '20220101')");
        }
      }
      try (ResultSet rs = owner.createStatement().executeQuery(
          "SELECT MRN, EMPI_ID, LAST_NM, FIRST_NM, CAST(BIRTH_DT AS CHAR(10)), ZIP_CD FROM PAT")) {
        while (rs.next()) {
          mrns.add(rs.getString(1));
          if (rs.getString(2).equals(PATIENT_A)) {
            mrnA = rs.getString(1);
          }
          for (int c = 1; c <= 6; c++) {
            if (rs.getString(c) != null && rs.getString(c).length() > 3) {
              identifiers.add(rs.getString(c));
            }
          }
        }
      }
      try (ResultSet rs = owner.createStatement().executeQuery("SELECT COUNT(*), CAST(MIN(EXTRACT(YEAR FROM BIRTH_DT)) "
          + "AS CHAR(4)) FROM PAT WHERE BIRTH_DT <= CURRENT_DATE - INTERVAL '90' YEAR")) {
        rs.next();
        over89 = rs.getInt(1);
        over89BirthYear = rs.getString(2);
      }
      try (ResultSet rs = owner.createStatement().executeQuery("SELECT COUNT(*) FROM DX")) {
        rs.next();
        diagnosisRows = rs.getInt(1);
      }
      try (ResultSet rs = owner.createStatement().executeQuery("SELECT MIN(d.DX_CD) FROM DX d JOIN PAT p ON p.MRN = d.MRN"
          + " WHERE p.EMPI_ID = '" + NO_CODE + "'")) {
        rs.next();
        deniedCode = rs.getString(1);
      }
    }
    fx.upstream.create(researchDenial(NO_CONDITIONS, deny -> deny.addClass_(
        new org.hl7.fhir.r4.model.Coding("http://hl7.org/fhir/resource-types", "Condition", null))), Optional.empty());
    fx.upstream.create(researchDenial(NO_CODE, deny -> deny.addCode(new org.hl7.fhir.r4.model.CodeableConcept(
        new org.hl7.fhir.r4.model.Coding("http://snomed.info/sct", deniedCode, null)))), Optional.empty());
    // PATIENT_B opts out of research (a Consent denying purpose HRESCH): none of their rows is released or counted.
    org.hl7.fhir.r4.model.Consent optOut = new org.hl7.fhir.r4.model.Consent();
    optOut.setStatus(org.hl7.fhir.r4.model.Consent.ConsentState.ACTIVE)
        .setPatient(new org.hl7.fhir.r4.model.Reference("Patient/" + PATIENT_B))
        .setScope(new org.hl7.fhir.r4.model.CodeableConcept(new org.hl7.fhir.r4.model.Coding(
            "http://terminology.hl7.org/CodeSystem/consentscope", "research", null)))
        .getProvision().setType(org.hl7.fhir.r4.model.Consent.ConsentProvisionType.DENY)
        .addPurpose(new org.hl7.fhir.r4.model.Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH", null));
    fx.upstream.create(optOut, Optional.empty());
    passwordFile = Files.createTempFile("custos-sql", ".pw");
    Files.writeString(passwordFile, READER_PASSWORD);
    sql = SqlUpstream.open(settings());
  }

  /** A research Consent that permits research but denies, for purpose HRESCH, what {@code scope} adds to the provision. */
  private static org.hl7.fhir.r4.model.Consent researchDenial(String patientId,
      java.util.function.Consumer<org.hl7.fhir.r4.model.Consent.ProvisionComponent> scope) {
    org.hl7.fhir.r4.model.Consent c = new org.hl7.fhir.r4.model.Consent();
    c.setStatus(org.hl7.fhir.r4.model.Consent.ConsentState.ACTIVE)
        .setPatient(new org.hl7.fhir.r4.model.Reference("Patient/" + patientId))
        .setScope(new org.hl7.fhir.r4.model.CodeableConcept(new org.hl7.fhir.r4.model.Coding(
            "http://terminology.hl7.org/CodeSystem/consentscope", "research", null)));
    var deny = c.getProvision().setType(org.hl7.fhir.r4.model.Consent.ConsentProvisionType.PERMIT).addProvision()
        .setType(org.hl7.fhir.r4.model.Consent.ConsentProvisionType.DENY)
        .addPurpose(new org.hl7.fhir.r4.model.Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH", null));
    scope.accept(deny);
    return c;
  }

  @AfterParameterizedClassInvocation
  static void stopDatabase() throws Exception {
    if (sql != null) {
      sql.close();
    }
    if (db != null) {
      db.close();
    }
    Files.deleteIfExists(passwordFile);
  }

  /** The demo's {@code sql} section, read as custos.yaml is read, with {@link #leakyView()} among the research views. */
  static SqlSettings settings() throws IOException {
    String yaml = LegacySchema.configSection(db.jdbcUrl(), "custos_reader", passwordFile);
    var tree = new ObjectMapper(new YAMLFactory()).readTree(yaml).get("sql");
    SqlSettings s = new ObjectMapper().treeToValue(tree, SqlSettings.class);
    List<SqlSettings.View> views = new ArrayList<>(s.research().views());
    views.add(leakyView());
    return new SqlSettings(s.jdbcUrl(), s.username(), s.passwordFile(), s.maxPoolSize(), s.statementTimeoutSeconds(),
        s.maxRows(), false, s.patients(), s.tables(), s.tools(), s.analyst(),
        new SqlSettings.Research(s.research().roles(), views, s.research().maxRows(), s.research().maxScanRows()));
  }

  /** A view that keeps identifiers, classified as what they are: Custos must still release none of them. */
  private static SqlSettings.View leakyView() {
    Map<String, SqlSettings.Column> columns = new LinkedHashMap<>();
    columns.put("PID", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.PATIENT_KEY));
    columns.put("MRN", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.MRN));
    columns.put("LAST_NM", new SqlSettings.Column(ColumnClass.TEXT, null, null));
    columns.put("BIRTH_DT", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.BIRTH_DATE));
    columns.put("ZIP_CD", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.ZIP));
    columns.put("AGE", new SqlSettings.Column(ColumnClass.IDENTIFIER, null, null, IdentifierKind.AGE));
    return new SqlSettings.View("LEAKY", "PAT", "Patient", "PID", columns);
  }

  /** Linkage approved for the test researcher; a second protocol also covers substance-use records. */
  private static final ResearchProtocols PROTOCOLS = ResearchProtocols.of(List.of(
      new ResearchProtocols.Protocol("IRB-LINK", Set.of(), true, Set.of("researcher-sql")),
      new ResearchProtocols.Protocol("IRB-PART2", Set.of(SensitiveCategory.SUBSTANCE_USE), false, Set.of("researcher-sql"))));

  @Override
  GovernancePipeline createPipeline(JsonLinesAuditTrail trail) {
    return sqlPipeline(trail, sql, PATIENT_A, PROTOCOLS);
  }

  private static Caller researcher(String... extraRoles) {
    Set<String> roles = new HashSet<>(Set.of(ResearchTools.RESEARCHER_ROLE));
    roles.addAll(List.of(extraRoles));
    return new Caller("researcher-sql", "test-client", Optional.empty(), roles, Set.of("user/Patient.rs", "user/Condition.rs"),
        Optional.empty(), true, "tokhash-researcher-sql", Instant.now().plus(Duration.ofHours(1)));
  }

  private ToolOutcome query(Caller caller, String query) {
    return pipeline.handle(call(caller, TOOL, Map.of("query", query)));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> items(ToolOutcome out) {
    assertThat(out.isError()).as(out.text()).isFalse();
    return (List<Map<String, Object>>) out.structured().get("items");
  }

  /** The answer's text holds no MRN, name, full birth date, full ZIP code or FHIR Patient id. */
  private static void noIdentifier(ToolOutcome out) {
    identifiers.forEach(id -> assertThat(out.text()).doesNotContain(id));
  }

  @Test
  void aResearcherReadsTheViewsWithoutAnyIdentifier() {
    ToolOutcome out = query(researcher(), "SELECT p.PID, p.BIRTH_YR, p.SEX_CD, p.ZIP3, d.DX_CD, d.ONSET_YR "
        + "FROM PAT_DEID p JOIN DX_DEID d ON d.PID = p.PID");
    List<Map<String, Object>> rows = items(out);
    // The pseudonym links a patient's rows, so patients whose set of rows fewer than 11 share are left out whole: of the
    // women born 1960, 3 hold the rare diagnosis and 9 do not; only the 12 men over 89 (no birth year) share a profile.
    assertThat(rows).hasSize(SYNTHETIC / 2).allSatisfy(r -> assertThat(r).containsKeys("pid", "dx_cd", "onset_yr", "zip3")
        .doesNotContainKey("birth_yr").containsEntry("dx_cd", "T-COMMON"));
    assertThat(rows).isNotEmpty().allSatisfy(r -> {
      assertThat((String) r.get("pid")).startsWith("x-"); // valid for this answer only: no protocol approves linkage
      if (r.containsKey("onset_yr")) {
        assertThat(r.get("onset_yr")).isInstanceOf(Integer.class);
      }
      if (r.containsKey("zip3")) {
        assertThat(r.get("zip3").toString()).hasSize(3);
      }
      if (r.containsKey("birth_yr")) {
        assertThat(r.get("birth_yr")).isInstanceOf(Integer.class);
      }
    });
    noIdentifier(out);
    assertThat(out.structured()).containsEntry("linkage", false).containsEntry("deidentification", "safe-harbor")
        .doesNotContainKey("masked");
    assertThat((Integer) out.structured().get("suppressedCells")).isPositive();
  }

  @Test
  void aViewDeclaredWithIdentifiersStillReleasesOnlyWhatSafeHarborAllows() {
    ToolOutcome out = query(researcher(), "SELECT PID, BIRTH_DT, ZIP_CD, LOWER(ZIP_CD) AS z FROM LEAKY");
    List<Map<String, Object>> rows = items(out);
    int year = LocalDate.now().getYear();
    // Each patient's row is its profile: only the two synthetic profiles of 12 patients each are shared by 11 or more.
    assertThat(rows).hasSize(SYNTHETIC).allSatisfy(r -> {
      assertThat(r).containsKey("pid").doesNotContainKey("z");
      if (r.containsKey("birth_dt")) {
        assertThat((Integer) r.get("birth_dt")).isGreaterThanOrEqualTo(year - 89); // the year only, and under 90
      }
      if (r.containsKey("zip_cd")) {
        assertThat(r.get("zip_cd").toString()).matches("[0-9]{3}");
      }
    });
    // A patient of 90 or more keeps no birth year (ages over 89 are aggregated).
    assertThat(over89).isGreaterThanOrEqualTo(SYNTHETIC / 2);
    assertThat(rows.stream().filter(r -> "981".equals(r.get("zip_cd")))).hasSize(SYNTHETIC / 2)
        .allSatisfy(r -> assertThat(r).doesNotContainKey("birth_dt"));
    assertThat(out.structured()).containsEntry("masked", List.of("z")); // a computed value is left out
    noIdentifier(out);
    // A condition on a date or ZIP code sees what Safe Harbor releases of it, not the view's full value.
    assertThat(items(query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE BIRTH_DT = '1960-01-01'"))).isEmpty();
    assertThat(items(query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE BIRTH_DT = '1960'"))).hasSize(SYNTHETIC / 2);
    // An identifier Safe Harbor does not release, or free text, may not even be named (an MRN in WHERE singles one out).
    for (String q : List.of("SELECT PID, MRN FROM LEAKY", "SELECT PID FROM LEAKY WHERE MRN = '" + mrnA + "'",
        "SELECT ZIP_CD FROM LEAKY WHERE LAST_NM LIKE 'A%'", "SELECT ZIP_CD FROM LEAKY ORDER BY MRN")) {
      ToolOutcome refused = query(researcher(), q);
      assertThat(refused.text()).as(q).contains("rule " + SqlRule.COLUMN_NOT_PERMITTED.id()).doesNotContain(mrnA);
    }
  }

  @Test
  void aConditionOnAnAgeBirthDateOrZipCodeSeesOnlyWhatTheAnswerReleases() {
    assertThat(over89).isGreaterThanOrEqualTo(ResearchTools.MIN_CELL);
    // An age over 89 reads as 90: no exact age singles the oldest patients out.
    assertThat(items(query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE AGE > 90"))).isEmpty();
    assertThat(items(query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE AGE = 90"))).hasSize(over89);
    // Their birth year reads as nothing at all.
    assertThat(items(query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE BIRTH_DT = '" + over89BirthYear + "'"))).isEmpty();
    assertThat(items(query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE BIRTH_DT IS NULL"))).hasSize(over89);
    // A sparsely populated 3-digit ZIP area reads as 000, in a condition as in the answer: its one patient is matched
    // by 000 (and, being one, suppressed), never by the real prefix.
    ToolOutcome real = query(researcher(), "SELECT AGE FROM LEAKY WHERE ZIP_CD = '036'");
    assertThat(items(real)).isEmpty();
    assertThat(real.structured()).doesNotContainKey("suppressed");
    ToolOutcome restricted = query(researcher(), "SELECT ZIP_CD FROM LEAKY WHERE ZIP_CD = '000'");
    assertThat(items(restricted)).isEmpty();
    assertThat(restricted.structured()).containsEntry("suppressed", true);
  }

  @Test
  void aBaseTableOrASystemCatalogIsRefusedByRuleWithoutEcho() {
    Map<String, SqlRule> refusals = new LinkedHashMap<>();
    refusals.put("SELECT LAST_NM, MRN FROM PAT", SqlRule.VIEWS_ONLY);
    refusals.put("SELECT DX_CD FROM DX", SqlRule.VIEWS_ONLY);
    refusals.put("SELECT d.DX_CD FROM DX_DEID d JOIN RX r ON r.RX_CD = d.DX_CD", SqlRule.VIEWS_ONLY);
    refusals.put(engine == SqlEngine.POSTGRESQL ? "SELECT relname FROM pg_class" : "SELECT relname FROM mysql.user",
        SqlRule.SYSTEM_CATALOG);
    refusals.put("SELECT table_name FROM information_schema.tables", SqlRule.SYSTEM_CATALOG);
    refusals.put("SELECT BIRTH_YR FROM PAT_DEID WHERE PID = '" + PATIENT_A + "'", SqlRule.PATIENT_KEY);
    refusals.put("SELECT LOWER(PID) AS k FROM PAT_DEID", SqlRule.PATIENT_KEY);
    refusals.put("SELECT SEX_CD, COUNT(*) FROM PAT_DEID GROUP BY SEX_CD HAVING COUNT(*) < 3", SqlRule.COUNTS);
    // Counting another column marks the one patient whose value differs inside a large group.
    refusals.put("SELECT d.DX_CD, COUNT(DISTINCT p.SEX_CD) AS s FROM DX_DEID d JOIN PAT_DEID p ON p.PID = d.PID "
        + "WHERE p.SEX_CD = 'M' OR (p.ZIP3 = '021' AND p.BIRTH_YR = 1960 AND p.SEX_CD = 'F') GROUP BY d.DX_CD", SqlRule.COUNTS);
    refusals.put("SELECT SEX_CD, COUNT(*) AS n, COUNT(BIRTH_YR) AS aged FROM PAT_DEID GROUP BY SEX_CD", SqlRule.COUNTS);
    // A GROUP BY without a count, or on the patient key, lists what rows mode suppresses.
    refusals.put("SELECT PID FROM DX_DEID WHERE DX_CD = 'T-RARE' GROUP BY PID", SqlRule.PATIENT_KEY);
    refusals.put("SELECT DX_CD FROM DX_DEID GROUP BY DX_CD", SqlRule.COUNTS);
    refusals.forEach((q, rule) -> {
      ToolOutcome out = query(researcher(), q);
      assertThat(out.error()).as(q).isEqualTo(ToolCallException.Reason.FORBIDDEN);
      assertThat(out.text()).as(q).contains("rule " + rule.id()).doesNotContain(q).doesNotContain("LAST_NM")
          .doesNotContain("relname").doesNotContain(PATIENT_A);
    });
  }

  @Test
  void theClinicianKeepsThePatientCompartmentAndNoView() {
    Caller clinician = user("dr-deid");
    ToolOutcome own = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_A,
        "query", "SELECT MRN, DX_CD FROM DX")));
    assertThat(items(own)).isNotEmpty().allSatisfy(r -> assertThat(r).containsEntry("mrn", mrnA));
    ToolOutcome view = pipeline.handle(call(clinician, "sql_query", Map.of("patient_id", PATIENT_A,
        "query", "SELECT PID, DX_CD FROM DX_DEID")));
    assertThat(view.error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    assertThat(view.text()).contains("rule " + SqlRule.TABLE.id());
    // The researchers' tool is not the clinician's: their role does not list it.
    assertThat(query(clinician, "SELECT DX_CD FROM DX_DEID").error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    // And researchers have no sql_query.
    assertThat(pipeline.handle(call(researcher(), "sql_query", Map.of("patient_id", PATIENT_A, "query", "SELECT DX_CD FROM DX")))
        .error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
  }

  @Test
  void countsAreComputedWithSmallCellsSuppressed() {
    ToolOutcome byCode = query(researcher(), "SELECT DX_CD, COUNT(DISTINCT PID) AS patients, COUNT(*) AS n FROM DX_DEID "
        + "GROUP BY DX_CD LIMIT 1000");
    Map<Object, Map<String, Object>> codes = new LinkedHashMap<>();
    items(byCode).forEach(r -> codes.put(r.get("dx_cd"), r));
    assertThat(codes.get("T-COMMON")).containsEntry("patients", SYNTHETIC).containsEntry("n", SYNTHETIC);
    assertThat(codes).doesNotContainKey("T-RARE"); // 3 patients: the group is left out, its code with it
    assertThat((Integer) byCode.structured().get("suppressedCells")).isPositive();
    noIdentifier(byCode);
    // Rows of one patient are one patient: the real patients' many diagnosis rows stay small cells.
    assertThat(diagnosisRows).isGreaterThanOrEqualTo(ResearchTools.MIN_CELL);
    ToolOutcome bySex = query(researcher(), "SELECT SEX_CD, COUNT(DISTINCT PID) AS patients FROM PAT_DEID GROUP BY SEX_CD");
    assertThat(items(bySex)).allSatisfy(r -> assertThat((Integer) r.get("patients")).isGreaterThanOrEqualTo(ResearchTools.MIN_CELL));
    // Joined on the patient key, a group's patients are those of the join, never more.
    ToolOutcome bySexJoined = query(researcher(), "SELECT b.SEX_CD, COUNT(DISTINCT d.PID) AS patients FROM DX_DEID d "
        + "JOIN PAT_DEID b ON b.PID = d.PID WHERE d.DX_CD = 'T-COMMON' GROUP BY b.SEX_CD");
    assertThat(items(bySexJoined)).containsExactly(Map.of("sex_cd", "F", "patients", SYNTHETIC / 2),
        Map.of("sex_cd", "M", "patients", SYNTHETIC / 2));
  }

  @Test
  void aGroupByOverFewPatientsReleasesNoGroupValue() {
    // The 3 patients with the rare diagnosis: their other diagnoses would be listed, even with their counts withheld.
    ToolOutcome cell = query(researcher(), "SELECT b.DX_CD, COUNT(*) AS n FROM DX_DEID d JOIN DX_DEID b ON b.PID = d.PID "
        + "WHERE d.DX_CD = 'T-RARE' GROUP BY b.DX_CD");
    assertThat(cell.error()).isNull();
    assertThat(items(cell)).isEmpty();
    assertThat(cell.structured()).containsEntry("suppressed", true);
  }

  @Test
  void aJoinThatIsNotOnThePatientKeyCannotInflateAGroup() {
    for (String q : List.of("SELECT d.DX_CD, COUNT(DISTINCT d.PID) FROM DX_DEID d JOIN PAT_DEID b ON b.BIRTH_YR = 1960 "
        + "AND b.ZIP3 = '021' GROUP BY d.DX_CD", "SELECT d.DX_CD, COUNT(DISTINCT d.PID) FROM DX_DEID d, PAT_DEID b "
        + "GROUP BY d.DX_CD", "SELECT d.DX_CD, COUNT(*) FROM DX_DEID d CROSS JOIN PAT_DEID b GROUP BY d.DX_CD")) {
      ToolOutcome out = query(researcher(), q);
      assertThat(out.error()).as(q).isEqualTo(ToolCallException.Reason.FORBIDDEN);
      assertThat(out.text()).as(q).contains("rule " + SqlRule.KEY_JOIN.id());
    }
  }

  @Test
  void listingPseudonymsDoesNotRecoverASuppressedCount() {
    ToolOutcome rare = query(researcher(), "SELECT PID FROM DX_DEID WHERE DX_CD = 'T-RARE'");
    assertThat(items(rare)).isEmpty();
    assertThat(rare.structured()).containsEntry("suppressed", true);
    assertThat(items(query(researcher(), "SELECT PID FROM DX_DEID WHERE DX_CD = 'T-COMMON'"))).hasSize(SYNTHETIC);
    // A rare value among many patients is left out of its rows.
    // With the pseudonym selected the patient is the unit: the 3 patients whose set of diagnoses holds the rare one are
    // left out with all their rows, though each of their rows' values alone is held by 11 patients or more.
    ToolOutcome all = query(researcher(), "SELECT PID, DX_CD FROM DX_DEID WHERE DX_CD LIKE 'T-%'");
    assertThat(items(all)).hasSize(SYNTHETIC - 3).allSatisfy(r -> assertThat(r).containsEntry("dx_cd", "T-COMMON"));
    assertThat(items(all).stream().map(r -> r.get("pid")).distinct()).hasSize(SYNTHETIC - 3);
  }

  @Test
  void storageOrderChoosesNoRow() {
    Map<String, SqlRule> refusals = new LinkedHashMap<>();
    refusals.put("SELECT PID FROM PAT_DEID LIMIT 1 OFFSET 41", SqlRule.NO_OFFSET);
    refusals.put("SELECT PID, SEX_CD FROM PAT_DEID ORDER BY 'x' LIMIT 1", SqlRule.ORDER_SELECTED);
    refusals.forEach((q, rule) -> assertThat(query(researcher(), q).text()).as(q).contains("rule " + rule.id()));
    // LIMIT n takes the first n of the released rows in Custos's order (here the pseudonyms'), not the first n stored.
    List<Object> every = linkedPids("SELECT PID FROM PAT_DEID");
    assertThat(every).hasSize(RESEARCH_PATIENTS);
    for (int n : List.of(1, 5, 6)) {
      assertThat(linkedPids("SELECT PID FROM PAT_DEID LIMIT " + n)).isEqualTo(every.subList(0, n));
    }
    List<Object> sorted = new ArrayList<>(every);
    sorted.sort(java.util.Comparator.comparing(Object::toString));
    assertThat(every).isEqualTo(sorted);
    // Ties of a low-cardinality ORDER BY are broken by the released row, not by storage order.
    List<Map<String, Object>> bySex = items(pipeline.handle(call(researcher(), TOOL, Map.of("query",
        "SELECT SEX_CD, PID FROM PAT_DEID ORDER BY SEX_CD DESC", "protocol_id", "IRB-LINK"))));
    List<Map<String, Object>> expected = new ArrayList<>(bySex);
    expected.sort(java.util.Comparator.<Map<String, Object>, String>comparing(r -> r.get("sex_cd").toString()).reversed()
        .thenComparing(Map::toString));
    assertThat(bySex).isEqualTo(expected);
  }

  private List<Object> linkedPids(String q) {
    return items(pipeline.handle(call(researcher(), TOOL, Map.of("query", q, "protocol_id", "IRB-LINK")))).stream()
        .map(r -> r.get("pid")).toList();
  }

  @Test
  void aRowInAPart2CategoryIsWithheldUnlessRoleAndProtocolCoverIt() {
    String q = "SELECT DX_CD, DX_DESC FROM DX_DEID WHERE DX_CD = '7200002'";
    assertThat(items(query(researcher(), q))).isEmpty();
    assertThat(items(query(researcher("sensitive-data:substance-use"), q))).isEmpty(); // the role alone is not enough
    ToolOutcome covered = pipeline.handle(call(researcher("sensitive-data:substance-use"), TOOL,
        Map.of("query", q, "protocol_id", "IRB-PART2")));
    assertThat(items(covered)).hasSize(SYNTHETIC / 2 + 1).extracting(r -> r.get("dx_cd")).containsOnly("7200002");
    // Whether rows were left out by the LIMIT is judged on released rows only: no flag says a withheld row exists.
    ToolOutcome limited = query(researcher(), q.replace("DX_CD, DX_DESC", "DX_CD") + " LIMIT 1");
    assertThat(items(limited)).isEmpty();
    assertThat(limited.structured()).doesNotContainKey("truncated").doesNotContainKey("suppressed");
    // Counts leave it out too.
    ToolOutcome count = query(researcher(), "SELECT COUNT(*) AS n FROM DX_DEID WHERE DX_CD = '7200002'");
    assertThat(items(count)).containsExactly(Map.of("n", 0));
    assertThat(count.structured()).doesNotContainKey("withheld");
  }

  @Test
  void pseudonymsAreTheFhirResearchPathsUnderLinkageAndOtherwisePerAnswer() {
    var page = fx.upstream.execute(new UpstreamRequest.Read("Patient", PATIENT_A));
    Patient patientA = (Patient) page.resources().get(0);
    String fhirPseudonym = TestPaths.researchDeidentifier(LocalDate.now()).deidentify(patientA, DeidContext.of(patientA))
        .getIdPart();
    ToolOutcome linked = pipeline.handle(call(researcher(), TOOL, Map.of("query",
        "SELECT PID FROM PAT_DEID", "protocol_id", "IRB-LINK")));
    assertThat(linked.structured()).containsEntry("linkage", true);
    assertThat(items(linked)).extracting(r -> r.get("pid")).contains(fhirPseudonym).doesNotContain(PATIENT_A);
    // The same patient has the same pseudonym in every view of one answer (a cohort lines up across views).
    ToolOutcome joined = pipeline.handle(call(researcher(), TOOL, Map.of("query",
        "SELECT p.PID, d.PID AS dx_pid FROM PAT_DEID p JOIN DX_DEID d ON d.PID = p.PID", "protocol_id", "IRB-LINK")));
    assertThat(items(joined)).isNotEmpty().allSatisfy(r -> assertThat(r.get("pid")).isEqualTo(r.get("dx_pid")));
    // Without linkage, two answers never share a pseudonym.
    Set<Object> first = new HashSet<>(items(query(researcher(), "SELECT PID FROM PAT_DEID")).stream().map(r -> r.get("pid")).toList());
    Set<Object> second = new HashSet<>(items(query(researcher(), "SELECT PID FROM PAT_DEID")).stream().map(r -> r.get("pid")).toList());
    assertThat(first).hasSize(RESEARCH_PATIENTS).doesNotContainAnyElementsOf(second).doesNotContain(fhirPseudonym);
  }

  @Test
  void aPatientWhoOptedOutOfResearchIsLeftOut() {
    String q = "SELECT p.PID, d.DX_CD FROM PAT_DEID p JOIN DX_DEID d ON d.PID = p.PID";
    Patient patientB = (Patient) fx.upstream.execute(new UpstreamRequest.Read("Patient", PATIENT_B)).resources().get(0);
    String pseudonymB = TestPaths.researchDeidentifier(LocalDate.now()).deidentify(patientB, DeidContext.of(patientB)).getIdPart();
    ToolOutcome linked = pipeline.handle(call(researcher(), TOOL, Map.of("query", "SELECT PID FROM PAT_DEID",
        "protocol_id", "IRB-LINK")));
    assertThat(items(linked)).hasSize(RESEARCH_PATIENTS).extracting(r -> r.get("pid")).doesNotContain(pseudonymB);
    ToolOutcome rows = pipeline.handle(call(researcher(), TOOL, Map.of("query", q + " LIMIT 50", "protocol_id", "IRB-LINK")));
    assertThat(items(rows)).isNotEmpty().extracting(r -> r.get("pid")).doesNotContain(pseudonymB);
  }

  @Test
  void everyViewOfAJoinedRowIsJudgedByItsPatientsResearchConsent() {
    String noConditions = pseudonym(NO_CONDITIONS);
    String noCode = pseudonym(NO_CODE);
    // Either view first, each joined row is judged as the Condition its diagnosis view stands for, with its code: the
    // patient whose Consent denies every Condition, and the row whose code a Consent denies, are not counted, just as
    // over the diagnosis view alone. (Rows naming these real patients' pseudonyms are left out whole: their sets of rows
    // are unique.)
    Map<String, Object> alone = items(query(researcher(), "SELECT COUNT(DISTINCT PID) AS patients, COUNT(*) AS n "
        + "FROM DX_DEID")).get(0);
    assertThat((Integer) alone.get("patients")).isGreaterThanOrEqualTo(ResearchTools.MIN_CELL);
    for (String q : List.of("SELECT COUNT(DISTINCT d.PID) AS patients, COUNT(*) AS n FROM PAT_DEID p JOIN DX_DEID d ON "
        + "p.PID = d.PID", "SELECT COUNT(DISTINCT d.PID) AS patients, COUNT(*) AS n FROM DX_DEID d JOIN PAT_DEID p ON "
        + "p.PID = d.PID")) {
      assertThat(items(query(researcher(), q))).as(q).containsExactly(alone);
    }
    // The Patient view alone is not a Condition: those patients are still in it.
    assertThat(items(pipeline.handle(call(researcher(), TOOL, Map.of("query", "SELECT PID FROM PAT_DEID",
        "protocol_id", "IRB-LINK"))))).extracting(r -> r.get("pid")).contains(noConditions, noCode);
  }

  private static String pseudonym(String patientId) {
    Patient p = (Patient) fx.upstream.execute(new UpstreamRequest.Read("Patient", patientId)).resources().get(0);
    return TestPaths.researchDeidentifier(LocalDate.now()).deidentify(p, DeidContext.of(p)).getIdPart();
  }

  @Test
  void theAuditNamesTheViewAndKeepsTheQuerysHashNotItsText() throws IOException {
    items(query(researcher(), "SELECT DX_CD, ONSET_YR FROM DX_DEID WHERE DX_DESC LIKE '%diabetes%'"));
    assertThat(query(researcher(), "SELECT LAST_NM FROM PAT").isError()).isTrue();
    String audit = Files.readString(auditFile);
    assertThat(audit).contains("sql:DX_DEID#query-sha256:").contains("sql#query-sha256:").doesNotContain("diabetes")
        .doesNotContain("LAST_NM").doesNotContain("ONSET_YR");
  }

  @Test
  void theCatalogListsTheViewsAndTheirClasses() {
    ToolOutcome out = pipeline.handle(Declaration.Kind.RESOURCE, call(researcher(), SqlUpstream.CATALOG_URI, Map.of()));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(out.text()).contains("\"views\"").contains("\"PAT_DEID\"").contains("\"source\":\"PAT\"")
        .contains("\"identifier\":\"patient-key\"").contains("\"identifier\":\"zip\"").contains("45 CFR 164.514(b)(2)(i)(B)")
        .contains(TOOL).contains("\"minCell\":" + ResearchTools.MIN_CELL);
  }

  @Test
  void noReidentificationOrPolicyEscapeSucceeds() throws IOException {
    List<String> corpus = new ArrayList<>(SqlAttacks.corpus("/injection/sql-research-corpus.txt"));
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(60);
    corpus.addAll(SqlAttacks.corpus("/injection/sql-corpus.txt")); // the clinicians' corpus, sent by a researcher
    String ruleWords = SqlAttacks.ruleWords();
    // The PHI log scan covers researchers' SQL traffic: every log event of the run, raw (message and stack trace).
    int refused = RawLogs.scanned(() -> runCorpus(corpus, ruleWords), raw -> {
      identifiers.forEach(id -> assertThat(raw).doesNotContain(id));
      corpus.stream().filter(a -> a.length() > 12).forEach(a -> assertThat(raw).doesNotContain(a));
    });
    assertThat(refused).isGreaterThan(corpus.size() * 9 / 10);
  }

  /** Sends every statement as a researcher; returns how many were refused by a named rule. */
  private int runCorpus(List<String> corpus, String ruleWords) {
    int refused = 0;
    for (String attack : corpus) {
      ToolOutcome out = query(researcher(), attack);
      noIdentifier(out);
      refused += SqlAttacks.refusedByRule(attack, out, ruleWords) ? 1 : 0;
      if (!out.isError()) {
        assertThat(items(out)).as(attack).allSatisfy(r -> r.values().forEach(v -> assertThat(mrns).doesNotContain(String.valueOf(v))));
      }
    }
    return refused;
  }

}
