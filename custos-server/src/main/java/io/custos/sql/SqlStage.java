package io.custos.sql;

import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.WithheldTally;
import io.custos.pipeline.Completion;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolExchange;
import io.custos.pipeline.ToolOutcome;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * The SQL route's fetch and filter, after the patient is bound and the Consents are read: plans the call (a declared
 * tool's plan, or the caller's {@code sql_query} statement), maps the FHIR Patient id to the legacy key, reads the rows
 * in a read-only transaction, and filters each row as the FHIR filter filters a resource. A row whose codes (or free
 * text) put it in a sensitive category the caller's role does not permit, or that the patient's Consent denies, is
 * withheld and counted; identifier columns reach only roles that treat the patient ({@code masked} lists the others);
 * free text is fenced. The audit event's resource is {@code sql:<tables>}, and for {@code sql_query} also the SHA-256
 * of the statement (never its text). Researchers' statements over the de-identified views, bound to no patient, are
 * released by {@link DeidentifiedQueries}.
 */
public final class SqlStage implements Stage {
  private final SqlDatabase database;
  private final SqlPlanner planner;
  private final SqlSettings.Analyst analyst;
  private final SensitiveCategories sensitive;
  private final SensitiveDataPolicy policy;
  private final SqlCatalog catalog;
  private final Optional<DeidentifiedQueries> deidentified;

  /**
   * @param research the research path's engine, for researchers' queries over the de-identified views (when
   *                 {@code sql.research} is configured)
   */
  SqlStage(SqlDatabase database, SqlCatalog catalog, SqlSettings settings, SensitiveCategories sensitive,
      SensitiveDataPolicy policy, Optional<io.custos.phi.research.CohortService> research) {
    this.database = database;
    this.planner = new SqlPlanner(catalog, database.engine());
    this.analyst = settings.analyst();
    this.sensitive = sensitive;
    this.policy = policy;
    this.catalog = catalog;
    this.deidentified = research.filter(r -> settings.research() != null).map(r ->
        new DeidentifiedQueries(database, planner, settings.research(), sensitive, r, (plan, row) -> shells(plan, row, Optional.empty())));
  }

  @Override
  public StageName name() {
    return StageName.SQL;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    SqlTool tool = (SqlTool) ex.declaration();
    if (tool.scope() == SqlTool.Scope.DEIDENTIFIED) {
      deidentified.orElseThrow(() -> new ToolCallException(ToolCallException.Reason.UPSTREAM_UNAVAILABLE,
          "De-identified SQL is not configured.")).run(ex);
      return next.proceed(ex);
    }
    boolean treating = ex.caller().roles().stream().anyMatch(SensitiveDataPolicy.TREATING_ROLES::contains);
    SqlPlan plan = tool.plan().orElseGet(() -> analystPlan(ex, treating));
    String patientId = ex.patientId().orElseThrow(() -> ToolCallException.invalid("patient_id is required."));
    Map<String, Object> args = new LinkedHashMap<>(ex.arguments().values());
    Optional<String> key = patientKey(patientId);
    SqlDatabase.Rows rows = key.isEmpty() ? new SqlDatabase.Rows(List.of(), false) : read(database, plan, key.get(), args);
    List<Map<String, Object>> items = new ArrayList<>();
    WithheldTally withheld = new WithheldTally();
    Set<String> masked = new LinkedHashSet<>();
    for (Map<String, String> row : rows.rows()) {
      Set<SensitiveCategory> categories = categories(sensitive, plan, row);
      if (!categories.isEmpty() && !policy.permitsAll(ex.caller(), categories)) {
        withheld.add(categories);
        continue;
      }
      if (shells(plan, row, Optional.of(patientId)).stream().anyMatch(p -> ex.withheldByConsent(p.resource()))) {
        withheld.addConsent();
        continue;
      }
      Map<String, Object> item = new LinkedHashMap<>();
      for (int i = 0; i < plan.outputs().size(); i++) {
        SqlPlan.Output o = plan.outputs().get(i);
        if (o.kind() == ColumnClass.IDENTIFIER && !treating) {
          masked.add(o.name());
          continue;
        }
        Object v = SqlTool.value(o.kind(), row.get("c" + i));
        if (v != null) {
          item.put(o.name(), v);
        }
      }
      items.add(item);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("patient_id", patientId);
    out.put("items", items);
    out.put("count", items.size());
    if (rows.truncated()) {
      out.put("truncated", true);
    }
    if (!masked.isEmpty()) {
      out.put("masked", List.copyOf(masked));
    }
    // A declared tool's withheld tally is a fixed question; for sql_query the caller's own conditions would turn the
    // count into an oracle on rows the caller may not see, so it is not reported.
    if (!withheld.isEmpty() && tool.plan().isPresent()) {
      out.put("withheld", withheld.toJson());
    }
    String resource = "sql:" + plan.tableList();
    ex.auditedResource(tool.plan().isPresent() ? resource : resource + "#query-sha256:" + sha256(query(ex)));
    ex.result(out, items.size(), Completion.SUCCESS);
    return next.proceed(ex);
  }

  /** Plans the caller's statement; a refusal names the rule and is audited with the statement's hash. */
  private SqlPlan analystPlan(ToolExchange ex, boolean treating) {
    String query = query(ex);
    try {
      return planner.plan(query, new SqlPlanner.Limits(Set.copyOf(analyst.tables()),
          kind -> treating || kind != ColumnClass.IDENTIFIER, Set.of(), analyst.maxRows()));
    } catch (SqlRule.SqlRefused e) {
      throw refusal(ex, query, e);
    }
  }

  /** A refused statement: audited with its hash, answered with the rule (never the statement). */
  static ToolCallException refusal(ToolExchange ex, String query, SqlRule.SqlRefused e) {
    ex.auditedResource("sql#query-sha256:" + sha256(query));
    return e.rule() == SqlRule.NOT_PARSABLE || e.rule() == SqlRule.TOO_LONG ? ToolCallException.invalid(e.rule().message())
        : new ToolCallException(ToolCallException.Reason.FORBIDDEN, e.rule().message());
  }

  private Optional<String> patientKey(String patientId) {
    try {
      return database.patientKey(patientId);
    } catch (SqlDatabase.Unavailable e) {
      throw unavailable(e);
    }
  }

  /** Runs {@code plan}; a failure is reported without anything the database said. */
  static SqlDatabase.Rows read(SqlDatabase database, SqlPlan plan, String patientKey, Map<String, Object> args) {
    try {
      return database.query(plan, patientKey, args);
    } catch (SqlDatabase.Unavailable e) {
      throw unavailable(e);
    }
  }

  private static ToolCallException unavailable(SqlDatabase.Unavailable e) {
    return new ToolCallException(ToolCallException.Reason.UPSTREAM_UNAVAILABLE, "timeout".equals(e.getMessage())
        ? "The SQL database did not answer within the statement timeout." : "The SQL database could not answer.");
  }

  static String query(ToolExchange ex) {
    return ex.arguments().string("query").orElseThrow(() -> ToolCallException.invalid("query is required."));
  }

  /** Categories of the row's codes (every table's code columns) and of its free-text outputs' terms. */
  static Set<SensitiveCategory> categories(SensitiveCategories sensitive, SqlPlan plan, Map<String, String> row) {
    Set<SensitiveCategory> found = EnumSet.noneOf(SensitiveCategory.class);
    for (int i = 0; i < plan.hidden().size(); i++) {
      SqlPlan.Output h = plan.hidden().get(i);
      found.addAll(sensitive.categoriesOf(h.system().orElseThrow(), row.get("h" + i)));
    }
    for (int i = 0; i < plan.outputs().size(); i++) {
      if (plan.outputs().get(i).kind() == ColumnClass.TEXT) {
        found.addAll(sensitive.categoriesOfText(row.get("c" + i)));
      }
    }
    return found;
  }

  /** One table's part of a row as the FHIR resource the table stands for, and the patient whose Consents judge it. */
  record Shell(String patientId, Resource resource) {}

  /**
   * The row as one FHIR resource per table read (a Condition, a MedicationRequest...), each holding only that table's
   * codes and its patient, so the patient's Consent provisions judge every part of the row as they judge the FHIR
   * records; a row is released only when every part is permitted.
   *
   * @param patientId the bound patient of a compartment plan; empty for a de-identified plan, whose every table is
   *                  judged for its own patient key ({@code k0, k1...}), a table whose key is null being tied to no one
   */
  List<Shell> shells(SqlPlan plan, Map<String, String> row, Optional<String> patientId) {
    List<Shell> shells = new ArrayList<>();
    int code = 0; // the planner fetches every table's code columns in turn, in catalog order: h0, h1...
    for (int t = 0; t < plan.tables().size(); t++) {
      SqlSettings.Table table = catalog.table(plan.tables().get(t)).orElseThrow();
      CodeableConcept codes = new CodeableConcept();
      for (var c : table.columns().entrySet()) {
        if (c.getValue().kind() == ColumnClass.CODE) {
          String value = row.get("h" + code);
          if (value != null) {
            codes.addCoding().setSystem(plan.hidden().get(code).system().orElseThrow()).setCode(value);
          }
          code++;
        }
      }
      Optional<String> patient = patientId.isPresent() ? patientId : Optional.ofNullable(row.get("k" + t));
      patient.ifPresent(p -> shells.add(new Shell(p, resource(table.resourceType(), codes, p))));
    }
    return shells;
  }

  private static Resource resource(String resourceType, CodeableConcept codes, String patientId) {
    Reference patient = new Reference("Patient/" + patientId);
    return switch (resourceType) {
      case "Condition" -> new org.hl7.fhir.r4.model.Condition().setCode(codes).setSubject(patient);
      case "MedicationRequest" -> new org.hl7.fhir.r4.model.MedicationRequest().setMedication(codes).setSubject(patient);
      case "Observation" -> new org.hl7.fhir.r4.model.Observation().setCode(codes).setSubject(patient);
      case "AllergyIntolerance" -> new org.hl7.fhir.r4.model.AllergyIntolerance().setCode(codes).setPatient(patient);
      case "Encounter" -> new org.hl7.fhir.r4.model.Encounter().addType(codes).setSubject(patient);
      case "Patient" -> new org.hl7.fhir.r4.model.Patient().setId(patientId);
      default -> new org.hl7.fhir.r4.model.Basic().setCode(codes).setSubject(patient);
    };
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
