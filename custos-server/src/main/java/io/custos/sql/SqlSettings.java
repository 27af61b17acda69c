package io.custos.sql;

import io.custos.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 */
public record SqlSettings(String jdbcUrl, String username, String passwordFile, Integer maxPoolSize,
    Integer statementTimeoutSeconds, Integer maxRows, Boolean allowWrites, Patients patients, List<Table> tables,
    List<Tool> tools, Analyst analyst) {

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
   */
  public record Column(ColumnClass kind, String system, String description) {}

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
    if (!errors.isEmpty()) {
      throw new ConfigException("invalid configuration:\n  " + String.join("\n  ", errors));
    }
    Map<String, Table> byName = new LinkedHashMap<>();
    ts.forEach(t -> byName.put(t.name(), t));
    List<String> analystTables = analyst == null || analyst.tables() == null ? List.copyOf(byName.keySet()) : analyst.tables();
    return new SqlSettings(jdbcUrl, username, passwordFile, pool, timeout, rows, allowWrites != null && allowWrites, patients,
        ts, tools == null ? List.of() : tools,
        new Analyst(analyst == null || analyst.roles() == null ? List.of() : analyst.roles(), analystTables, analystRows));
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
