package io.custos.sql;

import io.custos.phi.UntrustedText;
import io.custos.tools.Access;
import io.custos.tools.Declaration;
import io.custos.tools.ResearchTools;
import io.custos.tools.Route;
import io.custos.tools.Schemas;
import io.custos.tools.ToolHints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A tool over the SQL upstream, declared as data: either a declared tool (one planned SELECT with typed, bounded
 * parameters) or the analyst tool {@code sql_query} (a caller's SELECT, planned per call). Both are bound to one
 * patient like the FHIR read tools (care relationship or break-the-glass for {@code user/} callers, the launch
 * context for {@code patient/} tokens) and need SMART read scopes on the FHIR resource types their tables hold.
 *
 * @param name        MCP tool name
 * @param title       human-readable title
 * @param description what it returns
 * @param inputSchema strict JSON Schema of the arguments
 * @param outputSchema JSON Schema of structuredContent, generated from the plan's classified columns
 * @param resourceTypes FHIR resource types whose read scope grants it
 * @param plan        the declared tool's plan; empty for {@code sql_query}
 * @param parameters  the declared tool's parameters, by name
 */
public record SqlTool(String name, String title, String description, Map<String, Object> inputSchema,
    Map<String, Object> outputSchema, List<String> resourceTypes, Optional<SqlPlan> plan,
    Map<String, SqlSettings.Parameter> parameters, Scope scope) implements Declaration {

  /** The analyst tool's name. */
  public static final String SQL_QUERY = "sql_query";
  /** The researchers' analyst tool's name. */
  public static final String SQL_QUERY_DEIDENTIFIED = "sql_query_deidentified";

  /** Whose rows a tool reads. */
  public enum Scope {
    /** One patient's compartment, bound like the FHIR read tools. */
    PATIENT,
    /**
     * De-identified views across patients, like the FHIR research tools: {@code user/} (or {@code system/}) read scopes
     * only, no patient binding.
     */
    DEIDENTIFIED
  }

  @Override
  public ToolHints hints() {
    return ToolHints.READ;
  }

  @Override
  public List<String> requiredScopes() {
    List<String> scopes = new ArrayList<>();
    for (String type : resourceTypes) {
      if (scope == Scope.PATIENT) {
        scopes.add("patient/" + type + ".rs");
      }
      scopes.add("user/" + type + ".rs");
    }
    return scopes;
  }

  @Override
  public Route route() {
    return Route.SQL;
  }

  @Override
  public Access access() {
    return scope == Scope.DEIDENTIFIED ? Access.crossPatient(resourceTypes)
        : new Access(resourceTypes, "rs", true, Access.PatientBinding.CARE_RELATIONSHIP, true, true, Optional.empty());
  }

  /** A declared tool over {@code plan}. */
  static SqlTool declared(SqlSettings.Tool tool, SqlPlan plan, List<String> resourceTypes) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("patient_id", Schemas.patientId());
    Map<String, SqlSettings.Parameter> params = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (SqlSettings.Parameter p : tool.parameters() == null ? List.<SqlSettings.Parameter>of() : tool.parameters()) {
      params.put(p.name(), p);
      String d = p.description() == null ? p.name() : p.description();
      props.put(p.name(), switch (p.type()) {
        case STRING -> p.values() != null && !p.values().isEmpty() ? Schemas.enumOf(d, p.values())
            : Schemas.string(d, null, p.maxLength() == null ? 64 : p.maxLength());
        case INTEGER -> Schemas.integer(d, p.minimum() == null ? 1 : p.minimum(), p.maximum() == null ? 1000 : p.maximum());
        case DATE -> Schemas.date(d);
      });
      if (Boolean.TRUE.equals(p.required())) {
        required.add(p.name());
      }
    }
    Map<String, Object> item = new LinkedHashMap<>();
    for (SqlPlan.Output o : plan.outputs()) {
      item.put(o.name(), switch (o.kind()) {
        case TEXT -> Schemas.untrusted("Column " + o.name() + " (free text)");
        case CODE -> Schemas.text("Column " + o.name() + ": a code of " + o.system().orElse("its code system"));
        case IDENTIFIER -> Schemas.text("Column " + o.name() + " (an identifier; omitted for roles that do not treat the patient)");
        default -> Schemas.text("Column " + o.name());
      });
    }
    return new SqlTool(tool.name(), tool.title() == null ? tool.name() : tool.title(), tool.description(),
        Schemas.object(props, required), output(Map.of("type", "object", "properties", item)), resourceTypes, Optional.of(plan),
        params, Scope.PATIENT);
  }

  /** The analyst tool over tables granting {@code resourceTypes}, LIMIT capped at {@code maxRows}. */
  static SqlTool analyst(List<String> resourceTypes, int maxRows) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("patient_id", Schemas.patientId());
    props.put("query", Schemas.string("One read-only SELECT over the tables of custos://sql-catalog. Only catalog columns, "
        + "inner joins, LOWER/UPPER/COALESCE/LENGTH; no subqueries, UNION, WITH, casts, aggregates or comments. Every table is "
        + "limited to this patient's rows and LIMIT to " + maxRows + ".", null, SqlPlanner.MAX_QUERY_CHARS));
    Map<String, Object> value = Map.of("anyOf", List.of(Map.of("type", "string"), Schemas.untrusted("A computed or free-text value"),
        Map.of("type", "null")));
    return new SqlTool(SQL_QUERY, "Read-only SQL over one patient's legacy records",
        "Runs one read-only SELECT over the legacy database's catalog tables, limited to the patient's own rows. Identifier "
            + "columns only for roles that treat the patient; rows in sensitive categories are withheld and counted. A "
            + "refused query names the rule it broke.",
        Schemas.object(props, List.of("query")), output(Map.of("type", "object", "additionalProperties", value)), resourceTypes,
        Optional.empty(), Map.of(), Scope.PATIENT);
  }

  /**
   * The researchers' analyst tool over de-identified views granting {@code resourceTypes}, LIMIT capped at
   * {@code maxRows} (rows, or groups of a count).
   */
  static SqlTool deidentified(List<String> resourceTypes, int maxRows) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("query", Schemas.string("One read-only SELECT over the de-identified views of custos://sql-catalog, across "
        + "patients. Only view columns, joins ON x.<patient key> = y.<patient key>, LOWER/UPPER/COALESCE/LENGTH, and "
        + "COUNT(*), COUNT(key) or COUNT(DISTINCT key) of a patient key with GROUP BY every other selected column; no "
        + "subqueries, UNION, WITH, casts, OFFSET or comments; ORDER BY selected columns only. A view's patient key may be "
        + "selected, counted or joined on, never grouped on or compared with a value. LIMIT at most " + maxRows + "; small cells (fewer than "
        + ResearchTools.MIN_CELL + " patients) are suppressed in rows and counts.", null,
        SqlPlanner.MAX_QUERY_CHARS));
    props.put("protocol_id", Schemas.string("Approved research protocol this query is made under (needed for rows in a "
        + "sensitive category, with the sensitive-data role, and for pseudonyms linkable across answers)",
        "^[A-Za-z0-9._-]{1,64}$", 64));
    Map<String, Object> value = Map.of("anyOf", List.of(Map.of("type", "string"), Map.of("type", "integer"),
        Map.of("type", "null")));
    Map<String, Object> out = new LinkedHashMap<>(output(Map.of("type", "object", "additionalProperties", value)));
    @SuppressWarnings("unchecked")
    Map<String, Object> outProps = new LinkedHashMap<>((Map<String, Object>) out.get("properties"));
    outProps.remove("patient_id"); // across patients
    outProps.remove("withheld"); // a count of rows left out would be an oracle on the caller's own conditions
    outProps.put("masked", Schemas.arrayOf("Columns left out: free text, computed values and identifiers Safe Harbor does not "
        + "release", Schemas.text("Column name")));
    outProps.put("suppressedCells", Map.of("type", "integer", "minimum", 0, "description", "Counts replaced by null "
        + "because fewer than " + io.custos.tools.ResearchTools.MIN_CELL + " share them (or one could be derived from them)"));
    outProps.put("suppressed", Schemas.bool("Rows were matched but fewer than " + io.custos.tools.ResearchTools.MIN_CELL
        + " patients stand behind them, so none is released"));
    outProps.put("linkage", Schemas.bool("Whether pseudonyms are the same across answers (an approved protocol's linkage); "
        + "otherwise they are valid for this answer only"));
    outProps.put("deidentification", Schemas.text("Name of the de-identification applied"));
    out.put("properties", outProps);
    return new SqlTool(SQL_QUERY_DEIDENTIFIED, "Read-only SQL over de-identified legacy views",
        "Runs one read-only SELECT over the legacy database's de-identified views across patients (HIPAA Safe Harbor): dates "
            + "as years, 3-digit ZIP codes, patients as pseudonyms, no names or record numbers. Counts are computed by "
            + "Custos with small cells suppressed; rows in sensitive categories are left out unless an approved protocol "
            + "covers them. A refused query names the rule it broke.",
        Schemas.object(props, List.of("query")), out, resourceTypes, Optional.empty(), Map.of(), Scope.DEIDENTIFIED);
  }

  private static Map<String, Object> output(Map<String, Object> item) {
    Map<String, Object> out = new LinkedHashMap<>(Schemas.listOutput(item, false));
    @SuppressWarnings("unchecked")
    Map<String, Object> props = new LinkedHashMap<>((Map<String, Object>) out.get("properties"));
    props.put("truncated", Schemas.bool("More rows matched than the row cap allowed"));
    props.put("masked", Schemas.arrayOf("Identifier columns left out because the caller's role does not treat the patient",
        Schemas.text("Column name")));
    out.put("properties", props);
    return out;
  }

  /** The value a caller sees for a column of class {@code kind} (null: leave it out). */
  static Object value(ColumnClass kind, String raw) {
    return switch (kind) {
      case TEXT -> UntrustedText.marked(raw, 2000);
      case CODE -> UntrustedText.token(raw);
      default -> UntrustedText.label(raw);
    };
  }
}
