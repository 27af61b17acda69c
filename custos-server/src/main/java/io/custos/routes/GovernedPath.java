package io.custos.routes;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.emergency.EmergencyAccess;
import io.custos.fhir.FhirUpstream;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.research.CohortService;
import io.custos.phi.research.CohortStage;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.Stages;
import io.custos.policy.AccessControl;
import io.custos.policy.AlertSink;
import io.custos.policy.RateLimits;
import io.custos.tools.Registry;
import io.custos.tools.ToolCatalog;
import io.custos.writes.PriorAuthorizationStatus;
import io.custos.writes.ProposalStore;
import io.custos.writes.WriteSettings;
import io.custos.writes.WriteStages;
import io.custos.writes.WriteTools;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.time.Clock;
import java.util.Objects;

/**
 * Builds the governed path from its parts: the registry, the shared stages, the route-specific stages and the
 * pipeline. Used by the composition root and by tests, so both run exactly the production routes.
 *
 * @param pipeline the pipeline every call takes
 * @param writes   the write stages (the approval page's base URL is set on them once HTTP is up)
 */
public record GovernedPath(GovernancePipeline pipeline, WriteStages writes) {

  public static Builder builder() {
    return new Builder();
  }

  /** Builder; clock, access, audit, upstream, cohorts and version are required. */
  public static final class Builder {
    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private final ObjectMapper mapper = new ObjectMapper();
    private Clock clock;
    private AccessControl access;
    private AuditTrail trail;
    private PatientPseudonyms pseudonyms;
    private FhirUpstream upstream;
    private CohortService cohorts;
    private String version;
    private int rateLimitPerMinute = 120;
    private AlertSink alerts = new io.custos.policy.LogAlertSink();
    private SensitiveDataPolicy sensitive = SensitiveDataPolicy.treating();
    private WriteSettings writeSettings = WriteSettings.defaults();
    private GovernancePipeline.Observer observer = GovernancePipeline.Observer.NONE;

    public Builder clock(Clock v) {
      clock = v;
      return this;
    }

    public Builder access(AccessControl v) {
      access = v;
      return this;
    }

    public Builder audit(AuditTrail trail, PatientPseudonyms pseudonyms) {
      this.trail = trail;
      this.pseudonyms = pseudonyms;
      return this;
    }

    public Builder upstream(FhirUpstream v) {
      upstream = v;
      return this;
    }

    /** The researcher tools' engine. */
    public Builder cohorts(CohortService v) {
      cohorts = v;
      return this;
    }

    /** Server version recorded in audit events. */
    public Builder version(String v) {
      version = v;
      return this;
    }

    /** Calls per user per minute (a client gets 10x, one user on one declaration half); default 120. */
    public Builder rateLimitPerMinute(int v) {
      rateLimitPerMinute = v;
      return this;
    }

    public Builder alerts(AlertSink v) {
      alerts = v;
      return this;
    }

    public Builder sensitivePolicy(SensitiveDataPolicy v) {
      sensitive = v;
      return this;
    }

    public Builder writeSettings(WriteSettings v) {
      writeSettings = v;
      return this;
    }

    public Builder observer(GovernancePipeline.Observer v) {
      observer = v;
      return this;
    }

    public GovernedPath build() {
      Objects.requireNonNull(cohorts, "cohorts");
      Registry registry = Routes.registry(ToolCatalog.readTools(), WriteTools.standard());
      Stages stages = Stages.builder().clock(clock).access(access).rateLimits(new RateLimits(rateLimitPerMinute))
          .audit(trail, pseudonyms).version(version).validator(new DefaultJsonSchemaValidator(mapper)).upstream(upstream, FHIR)
          .sensitivePolicy(sensitive).alerts(alerts).build();
      WriteStages writes = new WriteStages(upstream, FHIR, mapper, clock, writeSettings, new ProposalStore(10_000), access.roles());
      var parts = new Routes.Parts(new CohortStage(cohorts), new EmergencyAccess(access.breakGlass()), writes,
          new PriorAuthorizationStatus(upstream, FHIR, sensitive));
      return new GovernedPath(new GovernancePipeline(registry, stages, Routes.compose(stages, parts, registry), observer), writes);
    }
  }
}
