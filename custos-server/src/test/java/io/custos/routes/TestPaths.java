package io.custos.routes;

import io.custos.state.InProcessStateStore;
import io.custos.state.StateStore;
import io.custos.writes.ProposalRecords;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditTrail;
import io.custos.consent.BreakGlassOverride;
import io.custos.consent.ConsentDirectives;
import io.custos.audit.PatientPseudonyms;
import io.custos.fhir.FhirUpstream;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.research.CohortService;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.Stages;
import io.custos.policy.AccessControl;
import io.custos.policy.RateLimits;
import io.custos.writes.WriteSettings;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.Clock;

/** The production governed path for tests, with fixed test keys (pseudonyms, research de-identification). */
public final class TestPaths {
  public static final byte[] PSEUDONYM_KEY = "custos-test-pseudonym-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final byte[] RESEARCH_KEY = "custos-test-research-key-0123456789abcdefg".getBytes(StandardCharsets.UTF_8);

  private TestPaths() {}

  /** The production registry. */
  public static io.custos.tools.Registry registry() {
    return Routes.registry(io.custos.tools.ToolCatalog.readTools(), io.custos.writes.WriteTools.standard());
  }

  /**
   * The shared stages with test settings (rate limits that never bind, no alerts, a state store of their own); tests
   * override what they need.
   */
  public static Stages.Builder stages(AuditTrail trail, FhirUpstream upstream, Clock clock, AccessControl access) {
    StateStore state = InProcessStateStore.builder().clock(clock).build();
    return Stages.builder().clock(clock).access(access).rateLimits(new RateLimits(100_000, state.rateLimitBuckets()))
        .cursors(state.cursors())
        .audit(trail, new PatientPseudonyms(PSEUDONYM_KEY)).version("test")
        .validator(new DefaultJsonSchemaValidator(new ObjectMapper())).upstream(upstream, FhirContext.forR4Cached())
        .alerts(alert -> { });
  }

  /** The pipeline over {@code stages}, default write settings and a cohort engine keyed with the test key. */
  public static GovernancePipeline pipeline(Stages.Builder stages) {
    return path(stages.build(), WriteSettings.defaults()).pipeline();
  }

  /** The governed path over {@code stages} with a cohort engine keyed with the test key and proposals of its own. */
  public static GovernedPath path(Stages stages, WriteSettings writeSettings) {
    return path(stages, InProcessStateStore.builder().clock(stages.clock()).build().proposals(), writeSettings);
  }

  /** As above, with proposals kept in {@code proposals}. */
  public static GovernedPath path(Stages stages, ProposalRecords proposals, WriteSettings writeSettings) {
    return path(stages, proposals, writeSettings, consent(stages.upstream(), stages.clock(), BreakGlassOverride.PATIENT_PRIVACY));
  }

  /** As above, with the patients' Consents decided by {@code consent}. */
  public static GovernedPath path(Stages stages, ProposalRecords proposals, WriteSettings writeSettings, ConsentDirectives consent) {
    return path(stages, proposals, writeSettings, consent, java.util.Optional.empty());
  }

  /** As above, with the tools of {@code sql} on the SQL route. */
  public static GovernedPath path(Stages stages, ProposalRecords proposals, WriteSettings writeSettings, ConsentDirectives consent,
      java.util.Optional<io.custos.sql.SqlUpstream> sql) {
    return path(stages, proposals, writeSettings, consent, sql, io.custos.phi.research.ResearchProtocols.none());
  }

  /** As above, with these approved research protocols. */
  public static GovernedPath path(Stages stages, ProposalRecords proposals, WriteSettings writeSettings, ConsentDirectives consent,
      java.util.Optional<io.custos.sql.SqlUpstream> sql, io.custos.phi.research.ResearchProtocols protocols) {
    LocalDate today = LocalDate.now(stages.clock());
    return GovernedPath.of(stages, proposals, new CohortService(stages.upstream(), researchDeidentifier(today), today, 5000,
        new CohortService.Governance(consent, protocols, stages.sensitiveCategories())), consent,
        writeSettings, GovernancePipeline.Observer.NONE, sql);
  }

  /** The research path's Safe Harbor de-identifier, keyed with the test key. */
  public static DeIdentifier researchDeidentifier(LocalDate today) {
    return new DeIdentifier(FhirContext.forR4Cached(), DeidConfig.safeHarbor(RESEARCH_KEY, today));
  }

  /** The patients' Consents read from {@code upstream}, cached for a minute, break-the-glass overriding as {@code override}. */
  public static ConsentDirectives consent(FhirUpstream upstream, Clock clock, BreakGlassOverride override) {
    return new ConsentDirectives(upstream, clock, java.time.Duration.ofMinutes(1), override);
  }
}
