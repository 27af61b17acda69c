package io.custos.routes;

import ca.uhn.fhir.context.FhirContext;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.fhir.FhirUpstream;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.research.CohortService;
import io.custos.policy.AccessControl;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;

/** The production governed path for tests, with fixed test keys (pseudonyms, research de-identification). */
public final class TestPaths {
  public static final byte[] PSEUDONYM_KEY = "custos-test-pseudonym-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final byte[] RESEARCH_KEY = "custos-test-research-key-0123456789abcdefg".getBytes(StandardCharsets.UTF_8);

  private TestPaths() {}

  /** The production registry. */
  public static io.custos.tools.Registry registry() {
    return Routes.registry(io.custos.tools.ToolCatalog.readTools(), io.custos.writes.WriteTools.standard());
  }

  /** A builder with the required parts set; tests override what they need. */
  public static GovernedPath.Builder builder(AuditTrail trail, FhirUpstream upstream, Clock clock, AccessControl access) {
    LocalDate today = LocalDate.now(clock);
    var deid = new DeIdentifier(FhirContext.forR4Cached(), DeidConfig.safeHarbor(RESEARCH_KEY, today));
    return GovernedPath.builder().clock(clock).access(access).audit(trail, new PatientPseudonyms(PSEUDONYM_KEY))
        .upstream(upstream).cohorts(new CohortService(upstream, deid, today, 5000)).version("test").rateLimitPerMinute(100_000)
        .alerts(alert -> { });
  }
}
