package io.custos.routes;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.consent.ConsentDirectives;
import io.custos.consent.ConsentStage;
import io.custos.emergency.EmergencyAccess;
import io.custos.phi.research.CohortService;
import io.custos.phi.research.CohortStage;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.Stages;
import io.custos.sql.SqlUpstream;
import io.custos.tools.Registry;
import io.custos.tools.ToolCatalog;
import io.custos.writes.PriorAuthorizationStatus;
import io.custos.writes.ProposalRecords;
import io.custos.writes.ProposalStore;
import io.custos.writes.WriteSettings;
import io.custos.writes.WriteStages;
import io.custos.writes.WriteTools;

/**
 * The governed path built from the shared stages: the registry, the route-specific stages and the pipeline. Used by
 * the composition root and by tests, so both run exactly the production routes.
 *
 * @param pipeline the pipeline every call takes
 * @param writes   the write stages (the approval page's base URL is set on them once HTTP is up)
 */
public record GovernedPath(GovernancePipeline pipeline, WriteStages writes) {

  /**
   * @param stages        the shared stages (their clock, access control, upstream and sensitive-data policy also serve
   *                      the route-specific stages)
   * @param proposals     where write proposals are kept (the server's state store)
   * @param cohorts       the researcher tools' engine (which leaves out what {@code consent} does not permit)
   * @param consent       the patients' Consents, enforced on every route that reads or writes a patient's record
   * @param writeSettings read-only mode, proposal lifetime, elicitation approval
   * @param observer      sees every completed call
   */
  public static GovernedPath of(Stages stages, ProposalRecords proposals, CohortService cohorts, ConsentDirectives consent,
      WriteSettings writeSettings, GovernancePipeline.Observer observer) {
    return of(stages, proposals, cohorts, consent, writeSettings, observer, java.util.Optional.empty());
  }

  /**
   * As above, with the tools of a SQL upstream ({@code sql} in the configuration) on the SQL route; researchers' queries
   * over its de-identified views are released by {@code cohorts}, as the research route's are.
   */
  public static GovernedPath of(Stages stages, ProposalRecords proposals, CohortService cohorts, ConsentDirectives consent,
      WriteSettings writeSettings, GovernancePipeline.Observer observer, java.util.Optional<SqlUpstream> sql) {
    Registry registry = Routes.registry(ToolCatalog.readTools(), WriteTools.standard(),
        sql.map(SqlUpstream::declarations).orElse(java.util.List.of()));
    WriteStages writes = new WriteStages(stages.upstream(), stages.fhir(), new ObjectMapper(), stages.clock(), writeSettings,
        new ProposalStore(proposals), stages.access().roles());
    var parts = new Routes.Parts(new CohortStage(cohorts), new EmergencyAccess(stages.access().breakGlass()), writes,
        new PriorAuthorizationStatus(stages.upstream(), stages.fhir(), stages.sensitiveCategories(), stages.sensitivePolicy()),
        new ConsentStage(consent), sql.map(q -> new Routes.Sql(
            q.stage(stages.sensitiveCategories(), stages.sensitivePolicy(), java.util.Optional.of(cohorts)),
            SqlUpstream.CATALOG_URI, q::document)));
    return new GovernedPath(new GovernancePipeline(registry, stages, Routes.compose(stages, parts, registry), observer), writes);
  }
}
