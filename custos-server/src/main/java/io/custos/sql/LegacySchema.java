package io.custos.sql;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;

/**
 * A legacy clinical schema of the kind hospitals run, loaded from Synthea's CSV export of the same population as the
 * FHIR store (so both describe the same people): short upper-case names, a medical record number ({@code MRN}) as the
 * patient key, codes stored as strings, and dates as strings in places ({@code DX} keeps {@code YYYYMMDD}). The FHIR
 * Patient id is kept in {@code PAT.EMPI_ID}, the enterprise identifier both systems share. Demo and tests only.
 *
 * <pre>
 * PAT (MRN, EMPI_ID, LAST_NM, FIRST_NM, BIRTH_DT date, SEX_CD, ZIP_CD)
 * ENC (ENC_ID, MRN, ENC_CLASS, ENC_CD, ENC_DESC, START_TS, END_TS, REASON_CD)
 * DX  (MRN, ENC_ID, DX_CD, DX_DESC, ONSET_DT 'YYYYMMDD', RESOLVED_DT 'YYYYMMDD')           SNOMED CT
 * RX  (MRN, ENC_ID, RX_CD, RX_DESC, START_DT 'YYYY-MM-DD', STOP_DT, REASON_CD, DISPENSES)  RxNorm
 * LAB (MRN, ENC_ID, LOINC_CD, LAB_DESC, RESULT_VAL, UNITS, RESULT_TS)                      LOINC, laboratory only
 * </pre>
 *
 * <p>Two views de-identified by the database itself (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)), for researchers: no
 * name, MRN or full date; the FHIR Patient id as the key ({@code PID}), which Custos releases only as the research
 * pseudonym; birth years withheld for patients of 90 or more; ZIP codes cut to 3 digits, {@code 000} for the sparsely
 * populated prefixes.
 *
 * <pre>
 * PAT_DEID (PID, BIRTH_YR, AGE_90_PLUS 'Y'/'N', SEX_CD, ZIP3)
 * DX_DEID  (PID, DX_CD, DX_DESC, ONSET_YR, RESOLVED_YR)                                   SNOMED CT
 * </pre>
 */
public final class LegacySchema {
  private LegacySchema() {}

  /** Row counts per table after a load. */
  public record Loaded(Map<String, Integer> rows) {}

  private static final String DDL = """
      CREATE TABLE PAT (MRN VARCHAR(12) PRIMARY KEY, EMPI_ID VARCHAR(64) NOT NULL UNIQUE, LAST_NM VARCHAR(80), FIRST_NM VARCHAR(80),
        BIRTH_DT DATE, SEX_CD CHAR(1), ZIP_CD VARCHAR(10));
      CREATE TABLE ENC (ENC_ID VARCHAR(64) PRIMARY KEY, MRN VARCHAR(12) NOT NULL, ENC_CLASS VARCHAR(20), ENC_CD VARCHAR(20),
        ENC_DESC VARCHAR(200), START_TS VARCHAR(20), END_TS VARCHAR(20), REASON_CD VARCHAR(20));
      CREATE TABLE DX (MRN VARCHAR(12) NOT NULL, ENC_ID VARCHAR(64), DX_CD VARCHAR(20), DX_DESC VARCHAR(200), ONSET_DT CHAR(8),
        RESOLVED_DT CHAR(8));
      CREATE TABLE RX (MRN VARCHAR(12) NOT NULL, ENC_ID VARCHAR(64), RX_CD VARCHAR(20), RX_DESC VARCHAR(300), START_DT VARCHAR(10),
        STOP_DT VARCHAR(10), REASON_CD VARCHAR(20), DISPENSES INTEGER);
      CREATE TABLE LAB (MRN VARCHAR(12) NOT NULL, ENC_ID VARCHAR(64), LOINC_CD VARCHAR(20), LAB_DESC VARCHAR(200),
        RESULT_VAL VARCHAR(100), UNITS VARCHAR(40), RESULT_TS VARCHAR(20));
      CREATE INDEX DX_MRN ON DX (MRN);
      CREATE INDEX RX_MRN ON RX (MRN);
      CREATE INDEX LAB_MRN ON LAB (MRN);
      CREATE INDEX ENC_MRN ON ENC (MRN);
      CREATE VIEW PAT_DEID AS SELECT EMPI_ID AS PID,
        CASE WHEN BIRTH_DT <= CURRENT_DATE - INTERVAL '90' YEAR THEN NULL ELSE EXTRACT(YEAR FROM BIRTH_DT) END AS BIRTH_YR,
        CASE WHEN BIRTH_DT <= CURRENT_DATE - INTERVAL '90' YEAR THEN 'Y' ELSE 'N' END AS AGE_90_PLUS, SEX_CD,
        CASE WHEN LEFT(ZIP_CD, 3) IN (RESTRICTED_ZIP3) THEN '000' ELSE LEFT(ZIP_CD, 3) END AS ZIP3 FROM PAT;
      CREATE VIEW DX_DEID AS SELECT p.EMPI_ID AS PID, d.DX_CD, d.DX_DESC, LEFT(d.ONSET_DT, 4) AS ONSET_YR,
        LEFT(d.RESOLVED_DT, 4) AS RESOLVED_YR FROM DX d JOIN PAT p ON p.MRN = d.MRN;
      """;

  /** The de-identified views, for researchers. */
  private static final List<String> VIEWS = List.of("PAT_DEID", "DX_DEID");

  /**
   * Creates the tables and loads them from {@code csvDirectory} (Synthea's {@code patients.csv}, {@code encounters.csv},
   * {@code conditions.csv}, {@code medications.csv}, {@code observations.csv}, each plain or {@code .gz}); MRNs are
   * assigned in {@code patients.csv} order ({@code M000001}, ...).
   *
   * @param owner a connection of the schema's owner (auto-commit), PostgreSQL or MariaDB (the DDL is common to both)
   * @throws SQLException when a statement fails
   */
  public static Loaded load(Connection owner, Path csvDirectory) throws SQLException {
    String restricted = String.join(", ", new java.util.TreeSet<>(io.custos.phi.deid.DeIdentifier.RESTRICTED_ZIP3).stream()
        .map(z -> "'" + z + "'").toList());
    try (Statement s = owner.createStatement()) {
      for (String ddl : DDL.replace("RESTRICTED_ZIP3", restricted).split(";")) {
        if (!ddl.isBlank()) {
          s.execute(ddl);
        }
      }
    }
    Map<String, String> mrn = new HashMap<>();
    Map<String, Integer> counts = new java.util.LinkedHashMap<>();
    counts.put("PAT", insert(owner, "INSERT INTO PAT VALUES (?, ?, ?, ?, ?, ?, ?)", read(csvDirectory, "patients.csv"), r -> {
      String key = "M%06d".formatted(mrn.size() + 1);
      mrn.put(r.get("Id"), key);
      return new Object[] {key, r.get("Id"), r.get("LAST"), r.get("FIRST"), java.sql.Date.valueOf(r.get("BIRTHDATE")),
          r.get("GENDER"), r.get("ZIP")};
    }));
    counts.put("ENC", insert(owner, "INSERT INTO ENC VALUES (?, ?, ?, ?, ?, ?, ?, ?)", read(csvDirectory, "encounters.csv"),
        r -> new Object[] {r.get("Id"), mrn.get(r.get("PATIENT")), r.get("ENCOUNTERCLASS"), r.get("CODE"), r.get("DESCRIPTION"),
            r.get("START"), r.get("STOP"), r.get("REASONCODE")}));
    counts.put("DX", insert(owner, "INSERT INTO DX VALUES (?, ?, ?, ?, ?, ?)", read(csvDirectory, "conditions.csv"),
        r -> new Object[] {mrn.get(r.get("PATIENT")), r.get("ENCOUNTER"), r.get("CODE"), r.get("DESCRIPTION"),
            compact(r.get("START")), compact(r.get("STOP"))}));
    counts.put("RX", insert(owner, "INSERT INTO RX VALUES (?, ?, ?, ?, ?, ?, ?, ?)", read(csvDirectory, "medications.csv"),
        r -> new Object[] {mrn.get(r.get("PATIENT")), r.get("ENCOUNTER"), r.get("CODE"), r.get("DESCRIPTION"), day(r.get("START")),
            day(r.get("STOP")), r.get("REASONCODE"), r.get("DISPENSES").isEmpty() ? null : Integer.valueOf(r.get("DISPENSES"))}));
    counts.put("LAB", insert(owner, "INSERT INTO LAB VALUES (?, ?, ?, ?, ?, ?, ?)", read(csvDirectory, "observations.csv").stream()
            .filter(r -> "laboratory".equals(r.get("CATEGORY"))).toList(),
        r -> new Object[] {mrn.get(r.get("PATIENT")), r.get("ENCOUNTER"), r.get("CODE"), r.get("DESCRIPTION"), r.get("VALUE"),
            r.get("UNITS"), r.get("DATE")}));
    return new Loaded(counts);
  }

  /**
   * Creates a login account that may only read the five tables and the de-identified views (SELECT, nothing else), as
   * Custos's account should be: the statements of the owner's engine ({@link SqlEngine#createReader}); on PostgreSQL
   * the role also loses CREATE in schema {@code public}.
   *
   * @param owner    a connection of the schema's owner (auto-commit), of an engine {@link SqlEngine} names
   * @param role     a plain name
   * @param password without quotes or backslashes (MariaDB reads a backslash in a literal as an escape)
   * @throws SQLException when a statement fails
   */
  public static void createReader(Connection owner, String role, String password) throws SQLException {
    if (!SqlSettings.NAME.matcher(role).matches() || password.contains("'") || password.contains("\\")) {
      throw new IllegalArgumentException("reader role must be a plain name and the password must not contain a quote or backslash");
    }
    SqlEngine engine = SqlEngine.of(owner.getMetaData().getURL())
        .orElseThrow(() -> new IllegalArgumentException("not a PostgreSQL or MariaDB connection"));
    try (Statement s = owner.createStatement()) {
      List<String> readable = new ArrayList<>(List.of("PAT", "ENC", "DX", "RX", "LAB"));
      readable.addAll(VIEWS);
      for (String statement : engine.createReader(role, password, readable)) {
        s.execute(statement);
      }
    }
  }

  /**
   * The {@code sql} section of {@code custos.yaml} for this schema: its tables with every column classified and the
   * tools declared over them ({@code legacy_active_diagnoses}, {@code legacy_active_medications},
   * {@code legacy_lab_results}), {@code sql_query} for clinicians, and the de-identified views with
   * {@code sql_query_deidentified} for researchers.
   *
   * @param passwordFile file holding the reader role's password
   */
  public static String configSection(String jdbcUrl, String username, Path passwordFile) {
    try (InputStream in = LegacySchema.class.getResourceAsStream("legacy-demo.yaml")) {
      String yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return yaml.replace("JDBC_URL", jdbcUrl).replace("USERNAME", username).replace("PASSWORD_FILE", passwordFile.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The capabilities of the declared tools, for {@code connection.json}: conditions, medications, labs, and the two
   * analyst tools (one patient's rows; de-identified views for researchers).
   */
  public static final Map<String, String> TOOLS = Map.of("conditions", "legacy_active_diagnoses",
      "medications", "legacy_active_medications", "labs", "legacy_lab_results", "query", SqlTool.SQL_QUERY,
      "deidentified_query", SqlTool.SQL_QUERY_DEIDENTIFIED);

  private static int insert(Connection c, String sql, List<Map<String, String>> rows, Function<Map<String, String>, Object[]> map)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (Map<String, String> r : rows) {
        Object[] values = map.apply(r);
        for (int i = 0; i < values.length; i++) {
          Object v = values[i] instanceof String s && s.isEmpty() ? null : values[i];
          ps.setObject(i + 1, v);
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
    return rows.size();
  }

  /** {@code 2019-03-04} or {@code 2019-03-04T10:00:00Z} as {@code 20190304}, the legacy date form of DX. */
  private static String compact(String date) {
    return date == null || date.isEmpty() ? null : date.substring(0, 10).replace("-", "");
  }

  private static String day(String timestamp) {
    return timestamp == null || timestamp.isEmpty() ? null : timestamp.substring(0, 10);
  }

  /** Reads one CSV file (RFC 4180: quoted fields may hold commas, quotes and line breaks) into rows by header. */
  static List<Map<String, String>> read(Path dir, String name) {
    Path plain = dir.resolve(name);
    Path gz = dir.resolve(name + ".gz");
    try (InputStream in = Files.exists(plain) ? Files.newInputStream(plain) : new GZIPInputStream(Files.newInputStream(gz));
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      List<List<String>> records = new ArrayList<>();
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      int c;
      while ((c = r.read()) != -1) {
        if (quoted) {
          if (c == '"') {
            r.mark(1);
            if (r.read() == '"') {
              field.append('"');
            } else {
              r.reset();
              quoted = false;
            }
          } else {
            field.append((char) c);
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          fields.add(field.toString());
          field.setLength(0);
        } else if (c == '\n') {
          fields.add(field.toString());
          field.setLength(0);
          records.add(fields);
          fields = new ArrayList<>();
        } else if (c != '\r') {
          field.append((char) c);
        }
      }
      if (!field.isEmpty() || !fields.isEmpty()) {
        fields.add(field.toString());
        records.add(fields);
      }
      List<String> header = records.get(0);
      List<Map<String, String>> rows = new ArrayList<>();
      for (List<String> rec : records.subList(1, records.size())) {
        Map<String, String> row = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
          row.put(header.get(i).toUpperCase(Locale.ROOT).equals("ID") ? "Id" : header.get(i), i < rec.size() ? rec.get(i) : "");
        }
        rows.add(row);
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
