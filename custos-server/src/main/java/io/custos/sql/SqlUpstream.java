package io.custos.sql;

import io.custos.config.ConfigException;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.pipeline.Stage;
import io.custos.tools.Access;
import io.custos.tools.Declaration;
import io.custos.tools.OperationSpec;
import io.custos.tools.Route;
import io.custos.tools.Schemas;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A relational database behind the governance pipeline (the {@code sql} section of {@code custos.yaml}): its connection
 * pool, its catalog, the tools declared over it (each SELECT planned and checked at start, so a declaration that breaks
 * a rule stops the server naming the tool and the rule) and, when roles are configured for it, {@code sql_query}.
 */
public final class SqlUpstream implements AutoCloseable {
  /** URI of the resource that documents the SQL catalog for the compliance officer. */
  public static final String CATALOG_URI = "custos://sql-catalog";

  private final SqlSettings settings;
  private final SqlCatalog catalog;
  private final SqlDatabase database;
  private final List<SqlTool> tools = new ArrayList<>();

  private SqlUpstream(SqlSettings settings) {
    this.settings = settings;
    this.catalog = new SqlCatalog(settings.tables(), settings.patients(),
        settings.research() == null ? List.of() : settings.research().views());
    for (SqlSettings.Tool t : settings.tools()) {
      tools.add(declare(t));
    }
    if (!settings.analyst().roles().isEmpty()) {
      Set<String> types = new LinkedHashSet<>();
      for (String name : settings.analyst().tables()) {
        types.add(catalog.table(name).orElseThrow(() -> new ConfigException("sql.analyst.tables: unknown table '" + name + "'"))
            .resourceType());
      }
      tools.add(SqlTool.analyst(List.copyOf(types), settings.analyst().maxRows()));
    }
    if (settings.research() != null && !settings.research().roles().isEmpty()) {
      tools.add(SqlTool.deidentified(settings.research().views().stream().map(SqlSettings.View::resourceType).distinct().toList(),
          settings.research().maxRows()));
    }
    // Connect last: a declaration that breaks a rule is reported without reaching the database.
    this.database = new SqlDatabase(settings);
  }

  /**
   * Validates the section, connects (a bounded pool) and inspects the account's grants.
   *
   * @throws ConfigException naming the key, tool or rule at fault
   */
  public static SqlUpstream open(SqlSettings raw) {
    return new SqlUpstream(raw.validated());
  }

  private SqlTool declare(SqlSettings.Tool t) {
    Set<String> params = new LinkedHashSet<>();
    if (t.parameters() != null) {
      t.parameters().forEach(p -> params.add(p.name()));
    }
    Set<String> all = new LinkedHashSet<>();
    catalog.tables().forEach(x -> all.add(x.name()));
    SqlPlan plan;
    try {
      plan = new SqlPlanner(catalog, settings.engine()).planDeclared(t.select(), new SqlPlanner.Limits(all, kind -> true, params, settings.maxRows()));
    } catch (SqlRule.SqlRefused e) {
      throw new ConfigException("sql.tools." + t.name() + ".select: breaks rule " + e.rule().id());
    }
    List<String> types = plan.tables().stream().map(n -> catalog.table(n).orElseThrow().resourceType()).distinct().toList();
    return SqlTool.declared(t, plan, types);
  }

  /** The SQL tools, then the catalog resource, in the order {@code tools/list} shows them. */
  public List<Declaration> declarations() {
    List<Declaration> all = new ArrayList<>(tools);
    all.add(OperationSpec.builder(CATALOG_URI).title("SQL catalog")
        .description("Each SQL tool, the tables it reads, and each column with its classification.")
        .input(Schemas.object(Map.of(), List.of())).route(Route.RESOURCE)
        .access(Access.authenticated(Access.PatientBinding.NONE, false)).kind(Declaration.Kind.RESOURCE).build());
    return all;
  }

  /** Role -> SQL tool names, as configured ({@code sql.tools.roles}, {@code sql.analyst.roles}). */
  public Map<String, List<String>> roleGrants() {
    Map<String, List<String>> grants = new TreeMap<>();
    for (SqlSettings.Tool t : settings.tools()) {
      for (String role : t.roles() == null ? List.<String>of() : t.roles()) {
        grants.computeIfAbsent(role, r -> new ArrayList<>()).add(t.name());
      }
    }
    for (String role : settings.analyst().roles()) {
      grants.computeIfAbsent(role, r -> new ArrayList<>()).add(SqlTool.SQL_QUERY);
    }
    for (String role : settings.research() == null ? List.<String>of() : settings.research().roles()) {
      grants.computeIfAbsent(role, r -> new ArrayList<>()).add(SqlTool.SQL_QUERY_DEIDENTIFIED);
    }
    return grants;
  }

  /** The SQL route's fetch-and-filter stage, filtering with the server's sensitive-data classifier and policy. */
  public Stage stage(SensitiveCategories sensitive, SensitiveDataPolicy policy) {
    return stage(sensitive, policy, java.util.Optional.empty());
  }

  /**
   * As above; researchers' queries over the de-identified views ({@code sql.research}) are released under the research
   * path's rules by {@code research}.
   */
  public Stage stage(SensitiveCategories sensitive, SensitiveDataPolicy policy,
      java.util.Optional<io.custos.phi.research.CohortService> research) {
    return new SqlStage(database, catalog, settings, sensitive, policy, research);
  }

  /**
   * What is exposed, for the compliance officer ({@value #CATALOG_URI}, {@code custos sql describe}): each table with its
   * patient key and classified columns, each tool with the tables and columns it returns, the analyst tool's limits.
   * Names and classifications only, never data.
   */
  public Map<String, Object> document() {
    List<Map<String, Object>> tables = new ArrayList<>();
    for (SqlSettings.Table t : catalog.tables()) {
      tables.add(Map.of("name", t.name(), "resourceType", t.resourceType(), "patientKey", t.patientKey(),
          "columns", columns(t.columns())));
    }
    List<Map<String, Object>> views = new ArrayList<>();
    for (SqlSettings.View v : catalog.views()) {
      views.add(Map.of("name", v.name(), "source", v.source(), "resourceType", v.resourceType(), "patientKey", v.patientKey(),
          "columns", columns(v.columns())));
    }
    List<Map<String, Object>> toolDocs = new ArrayList<>();
    for (SqlTool tool : tools) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("name", tool.name());
      d.put("description", tool.description());
      d.put("scopes", tool.requiredScopes());
      d.put("roles", roleGrants().entrySet().stream().filter(e -> e.getValue().contains(tool.name())).map(Map.Entry::getKey).toList());
      tool.plan().ifPresent(p -> {
        d.put("tables", p.tables());
        Map<String, Object> cols = new LinkedHashMap<>();
        p.outputs().forEach(o -> cols.put(o.name(), o.kind().id()));
        d.put("columns", cols);
      });
      if (tool.scope() == SqlTool.Scope.DEIDENTIFIED) {
        d.put("views", settings.research().views().stream().map(SqlSettings.View::name).toList());
        d.put("maxRows", settings.research().maxRows());
        d.put("maxScanRows", settings.research().maxScanRows());
        d.put("minCell", io.custos.tools.ResearchTools.MIN_CELL);
      } else if (tool.plan().isEmpty()) {
        d.put("tables", settings.analyst().tables());
        d.put("maxRows", settings.analyst().maxRows());
      }
      toolDocs.add(d);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("engine", settings.engine().title());
    doc.put("patients", Map.of("table", catalog.patients().table(), "key", catalog.patients().key(),
        "fhirId", catalog.patients().fhirId()));
    doc.put("limits", Map.of("maxPoolSize", settings.maxPoolSize(), "statementTimeoutSeconds", settings.statementTimeoutSeconds(),
        "maxRows", settings.maxRows(), "readOnlyTransactions", true, "allowWrites", settings.allowWrites()));
    doc.put("tables", tables);
    if (!views.isEmpty()) {
      doc.put("views", views);
    }
    doc.put("tools", toolDocs);
    return doc;
  }

  /** Each column's classification: kind, code system, Safe Harbor identifier kind (with its citation), description. */
  private static Map<String, Object> columns(Map<String, SqlSettings.Column> declared) {
    Map<String, Object> columns = new LinkedHashMap<>();
    declared.forEach((name, c) -> {
      Map<String, Object> col = new LinkedHashMap<>();
      col.put("kind", c.kind().id());
      if (c.system() != null) {
        col.put("system", c.system());
      }
      c.identifierKind().ifPresent(k -> {
        col.put("identifier", k.id());
        col.put("safeHarbor", k.safeHarbor().citation());
      });
      if (c.description() != null) {
        col.put("description", c.description());
      }
      columns.put(name, col);
    });
    return columns;
  }

  @Override
  public void close() {
    database.close();
  }
}
