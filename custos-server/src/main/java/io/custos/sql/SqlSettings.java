package io.custos.sql;

import io.custos.config.ConfigException;
import io.custos.tools.ResearchTools;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code sql} section of {@code custos.yaml}: a relational database behind the same governance pipeline as the FHIR
 * upstream, its tables' column classification, the tools declared over it and the analyst tool {@code sql_query}.
 *
 * @param jdbcUrl                 JDBC URL of a supported engine ({@link SqlEngine}: {@code jdbc:postgresql://...},
 *                                {@code jdbc:mariadb://...}); required
 * @param username                the database account; it must only be able to read (checked at start)
 * @param passwordFile            file holding the account's password (never logged); optional
 * @param maxPoolSize             connections at most, 1..50, default 4 (keep it below the database's connection limit)
 * @param statementTimeoutSeconds per statement, 1..60, default 5
 * @param maxRows                 rows at most per answer, 1..1000, default 200
 * @param allowWrites             start even when the account can write; default false (refuse to start)
 * @param patients                where the FHIR Patient id is mapped to the legacy patient key
 * @param tables                  the tables and views Custos may read, with each column's classification
 * @param tools                   tools declared over them
 * @param analyst                 the ad-hoc read-only SQL tool {@code sql_query}; default off
 * @param research                researchers' ad-hoc SQL over de-identified views ({@value SqlTool#SQL_QUERY_DEIDENTIFIED});
 *                                default off
 */
public record SqlSettings(String jdbcUrl, String username, String passwordFile, Integer maxPoolSize,
    Integer statementTimeoutSeconds, Integer maxRows, Boolean allowWrites, Patients patients, List<Table> tables,
    List<Tool> tools, Analyst analyst, Research research) {

  /** Without de-identified views for researchers. */
  public SqlSettings(String jdbcUrl, String username, String passwordFile, Integer maxPoolSize,
      Integer statementTimeoutSeconds, Integer maxRows, Boolean allowWrites, Patients patients, List<Table> tables,
      List<Tool> tools, Analyst analyst) {
    this(jdbcUrl, username, passwordFile, maxPoolSize, statementTimeoutSeconds, maxRows, allowWrites, patients, tables, tools,
        analyst, null);
  }

  /** Table, column and parameter names: ASCII, so no quoting or Unicode look-alike reaches the database. */
  static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,62}");
  private static final Pattern TOOL_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

  /**
   * @param table  the patient table, e.g. {@code PAT}
   * @param key    its legacy patient key, e.g. {@code MRN}, the compartment column of every other table
   * @param fhirId its column holding the FHIR Patient id (the enterprise identifier both systems share)
   */
  public record Patients(String table, String key, String fhirId) {}

  /**
   * @param name         table or view name
   * @param resourceType the FHIR resource type whose SMART scope grants it, e.g. {@code Condition}
   * @param patientKey   the column holding the patient key (the compartment)
   * @param columns      every column Custos may read, with its classification, in order
   */
  public record Table(String name, String resourceType, String patientKey, Map<String, Column> columns) {}

  /**
   * @param kind        the column's classification
   * @param system      for {@link ColumnClass#CODE}: the code system URI, e.g. {@code http://snomed.info/sct}
   * @param description what it holds (documentation)
   * @param identifier  for {@link ColumnClass#IDENTIFIER}: which Safe Harbor identifier it holds, which decides what a
   *                    de-identified answer keeps of it; absent: nothing (left out)
   */
  public record Column(ColumnClass kind, String system, String description, IdentifierKind identifier) {
    /** A column whose identifier kind is not declared. */
    public Column(ColumnClass kind, String system, String description) {
      this(kind, system, description, null);
    }

    /** The declared identifier kind, for an identifier column. */
    public Optional<IdentifierKind> identifierKind() {
      return kind == ColumnClass.IDENTIFIER ? Optional.ofNullable(identifier) : Optional.empty();
    }
  }

  /**
   * A de-identified view researchers may read across patients (Safe Harbor, 45 CFR 164.514(b)(2)): created in the
   * database by its owner from {@code source}, it keeps none of the 18 identifiers but what Safe Harbor allows (years,
   * 3-digit ZIP codes) and a patient key Custos replaces by the research pseudonym.
   *
   * @param name         view name
   * @param source       the table it is derived from (documentation)
   * @param resourceType the FHIR resource type whose {@code user/} read scope grants it, e.g. {@code Condition}
   * @param patientKey   its patient key column, classified {@code identifier} of kind {@code patient-key} (never the MRN)
   * @param columns      every column, classified (identifier columns with their {@link IdentifierKind})
   */
  public record View(String name, String source, String resourceType, String patientKey, Map<String, Column> columns) {
    /** The view as a catalog table. */
    Table table() {
      return new Table(name, resourceType, patientKey, columns);
    }
  }

  /**
   * @param roles       roles that may run {@value SqlTool#SQL_QUERY_DEIDENTIFIED}, default {@code researcher}
   * @param views       the de-identified views it may read, and nothing else
   * @param maxRows     rows (or groups) at most per answer, 1..maxRows, default 50
   * @param maxScanRows rows at most read to compute counts, 1..100000, default 10000 (more: the query is refused)
   */
  public record Research(List<String> roles, List<View> views, Integer maxRows, Integer maxScanRows) {}

  /**
   * @param name        MCP tool name (snake_case)
   * @param title       human-readable title
   * @param description what the tool returns
   * @param select      one SELECT over the declared tables; {@code :patient} is the bound patient's key, {@code :name} a
   *                    parameter; values are always bound
   * @param parameters  typed, bounded parameters
   * @param roles       roles that may call it
   */
  public record Tool(String name, String title, String description, String select, List<Parameter> parameters,
      List<String> roles) {}

  /**
   * @param name        parameter name
   * @param type        its type
   * @param description for the model
   * @param required    default false (an absent value is bound as SQL NULL)
   * @param maxLength   strings: at most this long, 1..200, default 64
   * @param values      strings: the allowed values (an enum)
   * @param minimum     integers: lower bound, default 1
   * @param maximum     integers: upper bound, default 1000
   */
  public record Parameter(String name, ParameterType type, String description, Boolean required, Integer maxLength,
      List<String> values, Integer minimum, Integer maximum) {}

  /**
   * @param roles   roles that may run {@code sql_query}; none means the tool is not served
   * @param tables  the tables it may read (each needs a patient key); default every declared table
   * @param maxRows LIMIT cap, 1..maxRows, default 50
   */
  public record Analyst(List<String> roles, List<String> tables, Integer maxRows) {}

  /** Fills defaults and checks every key. @throws ConfigException listing each invalid key */
  public SqlSettings validated() {
    List<String> errors = new ArrayList<>();
    if (SqlEngine.of(jdbcUrl).isEmpty()) {
      errors.add("sql.jdbcUrl: required, a JDBC URL of PostgreSQL (jdbc:postgresql:) or MariaDB (jdbc:mariadb:)");
    }
    int pool = or(maxPoolSize, 4);
    int timeout = or(statementTimeoutSeconds, 5);
    int rows = or(maxRows, 200);
    if (pool < 1 || pool > 50) {
      errors.add("sql.maxPoolSize: must be 1..50");
    }
    if (timeout < 1 || timeout > 60) {
      errors.add("sql.statementTimeoutSeconds: must be 1..60");
    }
    if (rows < 1 || rows > 1000) {
      errors.add("sql.maxRows: must be 1..1000");
    }
    if (patients == null || !names(patients.table(), patients.key(), patients.fhirId())) {
      errors.add("sql.patients: table, key and fhirId are required names");
    }
    List<Table> ts = tables == null ? List.of() : tables;
    for (Table t : ts) {
      if (!names(t.name(), t.patientKey()) || t.resourceType() == null || !NAME.matcher(t.resourceType()).matches()) {
        errors.add("sql.tables: each table needs name, patientKey and resourceType");
        continue;
      }
      if (t.columns() == null || !t.columns().containsKey(t.patientKey())) {
        errors.add("sql.tables." + t.name() + ".columns: must classify every column Custos may read, the patient key included");
        continue;
      }
      t.columns().forEach((name, c) -> {
        if (!NAME.matcher(name).matches() || c == null || c.kind() == null) {
          errors.add("sql.tables." + t.name() + ".columns: each column needs an ASCII name and a kind");
        } else if (c.kind() == ColumnClass.CODE && (c.system() == null || c.system().isBlank())) {
          errors.add("sql.tables." + t.name() + ".columns." + name + ".system: required for a code column");
        }
      });
    }
    for (Tool tool : tools == null ? List.<Tool>of() : tools) {
      if (tool.name() == null || !TOOL_NAME.matcher(tool.name()).matches() || tool.select() == null
          || tool.description() == null) {
        errors.add("sql.tools: each tool needs a snake_case name, a description and a select");
      }
      for (Parameter p : tool.parameters() == null ? List.<Parameter>of() : tool.parameters()) {
        if (p.name() == null || !NAME.matcher(p.name()).matches() || p.name().equals("patient") || p.name().equals("patient_id")
            || p.type() == null) {
          errors.add("sql.tools." + tool.name() + ".parameters: each needs a name (not patient or patient_id) and a type");
        } else if (p.maxLength() != null && (p.maxLength() < 1 || p.maxLength() > 200)) {
          errors.add("sql.tools." + tool.name() + ".parameters." + p.name() + ".maxLength: must be 1..200");
        }
      }
    }
    int analystRows = analyst == null || analyst.maxRows() == null ? Math.min(50, rows) : analyst.maxRows();
    if (analystRows < 1 || analystRows > rows) {
      errors.add("sql.analyst.maxRows: must be 1..sql.maxRows");
    }
    Research r = research == null ? null : validatedResearch(ts, analyst, rows, errors);
    if (!errors.isEmpty()) {
      throw new ConfigException("invalid configuration:\n  " + String.join("\n  ", errors));
    }
    Map<String, Table> byName = new LinkedHashMap<>();
    ts.forEach(t -> byName.put(t.name(), t));
    List<String> analystTables = analyst == null || analyst.tables() == null ? List.copyOf(byName.keySet()) : analyst.tables();
    return new SqlSettings(jdbcUrl, username, passwordFile, pool, timeout, rows, allowWrites != null && allowWrites, patients,
        ts, tools == null ? List.of() : tools,
        new Analyst(analyst == null || analyst.roles() == null ? List.of() : analyst.roles(), analystTables, analystRows), r);
  }

  /** The research section with defaults; adds an error per invalid key. */
  private Research validatedResearch(List<Table> tables, Analyst analyst, int rows, List<String> errors) {
    List<View> views = research.views() == null ? List.of() : research.views();
    if (views.isEmpty()) {
      errors.add("sql.research.views: at least one de-identified view");
    }
    Set<String> names = new HashSet<>();
    tables.forEach(t -> names.add(t.name().toUpperCase(Locale.ROOT)));
    for (View v : views) {
      String at = "sql.research.views." + v.name();
      if (!names(v.name(), v.patientKey(), v.source()) || v.resourceType() == null || !NAME.matcher(v.resourceType()).matches()) {
        errors.add("sql.research.views: each view needs name, source, patientKey and resourceType");
        continue;
      }
      if (!names.add(v.name().toUpperCase(Locale.ROOT))) {
        errors.add(at + ": a view's name must differ from every table's and view's");
      }
      Column key = v.columns() == null ? null : v.columns().get(v.patientKey());
      if (key == null || key.identifierKind().orElse(null) != IdentifierKind.PATIENT_KEY) {
        errors.add(at + ".patientKey: must be a column classified {kind: identifier, identifier: patient-key} (Custos "
            + "releases it only as the research pseudonym)");
        continue;
      }
      v.columns().forEach((name, c) -> {
        if (!NAME.matcher(name).matches() || c == null || c.kind() == null) {
          errors.add(at + ".columns: each column needs an ASCII name and a kind");
        } else if (c.kind() == ColumnClass.CODE && (c.system() == null || c.system().isBlank())) {
          errors.add(at + ".columns." + name + ".system: required for a code column");
        } else if (c.kind() == ColumnClass.IDENTIFIER && c.identifier() == null) {
          errors.add(at + ".columns." + name + ".identifier: required for an identifier column of a view");
        }
      });
    }
    if (analyst != null && analyst.tables() != null) {
      views.stream().filter(v -> analyst.tables().contains(v.name())).forEach(v -> errors.add(
          "sql.analyst.tables: " + v.name() + " is a de-identified view, read across patients through the research tool only"));
    }
    int max = research.maxRows() == null ? Math.min(50, rows) : research.maxRows();
    int scan = research.maxScanRows() == null ? 10_000 : research.maxScanRows();
    if (max < 1 || max > rows) {
      errors.add("sql.research.maxRows: must be 1..sql.maxRows");
    }
    if (scan < 1 || scan > 100_000) {
      errors.add("sql.research.maxScanRows: must be 1..100000");
    }
    List<String> roles = research.roles() == null ? List.of(ResearchTools.RESEARCHER_ROLE) : research.roles();
    return new Research(roles, views, max, scan);
  }

  /** The engine {@link #jdbcUrl} names; only on validated settings. */
  SqlEngine engine() {
    return SqlEngine.of(jdbcUrl).orElseThrow();
  }

  /** The password from {@code passwordFile}, when one is configured. */
  Optional<String> password() {
    if (passwordFile == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(java.nio.file.Files.readString(java.nio.file.Path.of(passwordFile)).strip());
    } catch (java.io.IOException e) {
      throw new ConfigException("sql.passwordFile: cannot be read");
    }
  }

  private static boolean names(String... values) {
    for (String v : values) {
      if (v == null || !NAME.matcher(v).matches()) {
        return false;
      }
    }
    return true;
  }

  private static int or(Integer v, int fallback) {
    return v == null ? fallback : v;
  }
}
