package io.custos.routes;

import io.custos.consent.ConsentStage;
import io.custos.emergency.EmergencyAccess;
import io.custos.phi.research.CohortStage;
import io.custos.pipeline.Completion;
import io.custos.pipeline.RouteStages;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.Stages;
import io.custos.tools.Declaration;
import io.custos.tools.PolicyDocument;
import io.custos.tools.Prompts;
import io.custos.tools.Registry;
import io.custos.tools.ResearchTools;
import io.custos.tools.Route;
import io.custos.tools.ToolCatalog;
import io.custos.writes.PriorAuthorizationStatus;
import io.custos.writes.WriteStages;
import io.custos.writes.WriteTools;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every route of the pipeline, composed here and nowhere else, and the registry of everything Custos serves.
 *
 * <p>Each route is a gate (authenticate, rate limit, authorize: no upstream I/O, so HTTP can answer a refusal with 401,
 * 403 or 429) and a body that starts with the audit stage, which writes the intent before and the result after the
 * rest. Routes that only read use the overlapped form (the intent's fsync runs while the upstream is read; nothing is
 * released before the intent is durable); routes that change state (writes, break-the-glass) are strictly write-ahead.
 * The shared stages are the same objects on every route; only a route's own stages differ. A refusal anywhere is
 * audited by the pipeline as one {@code DENIED} event (before the intent) or as the call's {@code RESULT}.
 */
public final class Routes {
  private Routes() {}

  /**
   * The route-specific stages, built by the composition root; {@code consent} enforces the bound patient's Consents on
   * every route that reads or writes their record (the research route through the cohort engine).
   */
  public record Parts(CohortStage cohort, EmergencyAccess emergency, WriteStages writes, PriorAuthorizationStatus status,
      ConsentStage consent, java.util.Optional<Sql> sql) {
    /** Without a SQL upstream. */
    public Parts(CohortStage cohort, EmergencyAccess emergency, WriteStages writes, PriorAuthorizationStatus status,
        ConsentStage consent) {
      this(cohort, emergency, writes, status, consent, java.util.Optional.empty());
    }
  }

  /**
   * The SQL upstream's parts: its fetch-and-filter stage and the document of its catalog resource.
   *
   * @param stage      reads and filters one patient's rows
   * @param catalogUri the catalog resource's URI
   * @param catalog    the catalog document it renders
   */
  public record Sql(Stage stage, String catalogUri, java.util.function.Supplier<Map<String, Object>> catalog) {}

  /** Every declaration Custos serves, in the order {@code tools/list} shows them. */
  public static Registry registry(ToolCatalog reads, WriteTools writes) {
    return registry(reads, writes, List.of());
  }

  /** As above, with the SQL upstream's tools and catalog resource after the FHIR read tools. */
  public static Registry registry(ToolCatalog reads, WriteTools writes, List<? extends Declaration> sql) {
    List<Declaration> all = new ArrayList<>(reads.tools());
    all.addAll(sql);
    all.add(EmergencyAccess.declaration());
    all.addAll(ResearchTools.all());
    all.addAll(writes.tools());
    all.add(PriorAuthorizationStatus.declaration());
    all.add(WriteStages.approvalDeclaration());
    all.add(Prompts.preVisitSummary());
    all.add(Prompts.policyResource());
    return new Registry(all);
  }

  /** The routes, one per {@link Route}. */
  public static List<RouteStages> compose(Stages s, Parts p, Registry registry) {
    List<Stage> gate = List.of(s.authenticate(), s.rateLimit(), s.authorize());
    List<Stage> writeGate = List.of(s.authenticate(), s.rateLimit(), s.authorize(), p.writes().writable());
    List<RouteStages> routes = new ArrayList<>(List.of(
        new RouteStages(Route.READ, gate,
            List.of(s.auditIntentOverlapped(), s.validate(), s.bindPatient(), p.consent(), s.fetch(), s.filter())),
        new RouteStages(Route.RESEARCH, gate,
            List.of(s.auditIntentOverlapped(), s.validate(), p.cohort())),
        new RouteStages(Route.EMERGENCY_ACCESS, gate,
            List.of(s.alert("break-the-glass"), p.emergency().activate(), s.auditIntent(), s.validate(), s.bindPatient(),
                p.emergency().declare())),
        new RouteStages(Route.WRITE_PROPOSE, writeGate,
            List.of(s.auditIntent(), s.validate(), s.bindPatient(), p.consent(), p.writes().propose())),
        new RouteStages(Route.WRITE_APPROVE, writeGate,
            List.of(s.auditIntent(), s.validate(), p.writes().approve())),
        new RouteStages(Route.WRITE_COMMIT, writeGate,
            List.of(s.auditIntent(), s.validate(), s.bindPatient(), p.consent(), p.writes().commit())),
        new RouteStages(Route.STATUS, gate,
            List.of(s.auditIntentOverlapped(), s.validate(), s.bindPatient(), p.consent(), p.status().fetchAndFilter())),
        new RouteStages(Route.PROMPT, gate,
            List.of(s.auditIntentOverlapped(), s.validate(), render(ex -> Map.of("text", Prompts.preVisitSummaryText(ex.arguments()))))),
        new RouteStages(Route.RESOURCE, gate,
            List.of(s.auditIntentOverlapped(), s.validate(), render(ex -> p.sql()
                .filter(q -> q.catalogUri().equals(ex.declaration().name())).map(q -> q.catalog().get())
                .orElseGet(() -> PolicyDocument.of(registry)))))));
    // A legacy database's rows: bound to a patient and under consent exactly as the FHIR read route.
    p.sql().ifPresent(q -> routes.add(new RouteStages(Route.SQL, gate,
        List.of(s.auditIntentOverlapped(), s.validate(), s.bindPatient(), p.consent(), q.stage()))));
    return List.copyOf(routes);
  }

  private static Stage render(java.util.function.Function<io.custos.pipeline.ToolExchange, Map<String, Object>> content) {
    return Stage.step(StageName.RENDER, ex -> ex.result(content.apply(ex), 0, Completion.SUCCESS));
  }
}
