package io.custos.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import io.custos.cli.ServerAssembly;
import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.HttpTestSupport;
import io.custos.routes.Routes;
import io.custos.tools.Declaration;
import io.custos.tools.ToolCatalog;
import io.custos.writes.WriteTools;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The start-up check of the upstream's CapabilityStatement against what each tool declares it needs. */
class CapabilityCheckTest {
  private static final List<Declaration> TOOLS =
      Routes.registry(ToolCatalog.readTools(), WriteTools.standard()).of(Declaration.Kind.TOOL);

  /** Drops one search parameter of one type from the CapabilityStatement the store generates. */
  @Interceptor
  public record DropSearchParam(String type, String param) {
    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void drop(IBaseConformance statement) {
      ((CapabilityStatement) statement).getRestFirstRep().getResource().stream().filter(r -> r.getType().equals(type))
          .forEach(r -> r.getSearchParam().removeIf(p -> p.getName().equals(param)));
    }
  }

  private static EmbeddedFhirStore store(Object... interceptors) {
    EmbeddedFhirStore.Builder b = EmbeddedFhirStore.builder().dataDirectory(HttpTestSupport.fixtureDir()).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z"));
    for (Object i : interceptors) {
      b.interceptor(i);
    }
    return b.build().start();
  }

  private static CapabilityStatement statement(EmbeddedFhirStore store) {
    return new HapiFhirUpstream(FhirContext.forR4Cached(), store.baseUrl(), Duration.ofSeconds(10), List.of()).capabilities();
  }

  @Test
  void everyToolDeclaresWhatItNeedsFromTheUpstream() {
    for (Declaration tool : TOOLS) {
      if (tool instanceof io.custos.tools.ToolSpec || tool instanceof io.custos.writes.WriteToolSpec) {
        assertThat(tool.upstreamNeeds()).as(tool.name()).isNotEmpty();
      }
    }
    assertThat(TOOLS.stream().filter(t -> t.name().equals("get_lab_results")).findFirst().orElseThrow().upstreamNeeds())
        .contains(UpstreamNeed.searchParam("Observation", "patient"), UpstreamNeed.searchParam("Observation", "category"),
            UpstreamNeed.searchParam("Observation", "code"), UpstreamNeed.searchParam("Observation", "date"));
    assertThat(TOOLS.stream().filter(t -> t.name().equals("find_patient")).findFirst().orElseThrow().upstreamNeeds())
        .as("modifiers dropped").contains(UpstreamNeed.searchParam("Patient", "family"));
    for (String tool : List.of("cohort_count", "cohort_extract")) {
      assertThat(tool(tool).upstreamNeeds()).as(tool)
          .contains(UpstreamNeed.searchParam("Condition", "code"), UpstreamNeed.interaction("Patient", UpstreamNeed.Interaction.READ));
    }
    assertThat(tool("get_prior_authorization_status").upstreamNeeds())
        .contains(UpstreamNeed.searchParam("ClaimResponse", "request"), UpstreamNeed.interaction("Claim", UpstreamNeed.Interaction.READ));
    assertThat(tool("break_the_glass").upstreamNeeds()).as("does not reach the upstream").isEmpty();
  }

  private static Declaration tool(String name) {
    return TOOLS.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void theEmbeddedStoreDeclaresEverythingTheToolsNeed() {
    try (EmbeddedFhirStore store = store()) {
      assertThat(new CapabilityCheck(statement(store)).missing(TOOLS, true)).isEmpty();
    }
  }

  @Test
  void aMissingSearchParameterIsNamedWithTheToolsThatNeedIt() {
    try (EmbeddedFhirStore store = store(new DropSearchParam("Observation", "category"))) {
      assertThat(new CapabilityCheck(statement(store)).missing(TOOLS, true)).containsExactly(
          "tool get_lab_results needs search parameter 'category' on Observation",
          "tool get_vital_signs needs search parameter 'category' on Observation");
    }
  }

  @Test
  void careRelationshipNeedsCountOnlyWhenRequired() {
    try (EmbeddedFhirStore store = store(new DropSearchParam("Encounter", "participant"))) {
      CapabilityCheck check = new CapabilityCheck(statement(store));
      assertThat(check.missing(TOOLS, false)).isEmpty();
      assertThat(check.missing(TOOLS, true)).containsExactly(
          "care-relationship checks (policy.requireCareRelationship) need search parameter 'participant' on Encounter");
    }
  }

  @Test
  void missingInteractionsAreNamed() {
    CapabilityStatement cs = new CapabilityStatement();
    cs.addRest().setMode(CapabilityStatement.RestfulCapabilityMode.SERVER).addResource().setType("Patient")
        .addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE);
    assertThat(new CapabilityCheck(cs).missing(TOOLS, false))
        .contains("tool get_patient_demographics needs interaction 'read' on Patient")
        .contains("tool draft_clinical_note needs interaction 'conditional create' on DocumentReference");
  }

  @ParameterizedTest
  @CsvSource({
      "Observation, category, get_lab_results",
      "Condition, code, cohort_count",
      "Condition, code, cohort_extract",
      "ClaimResponse, request, get_prior_authorization_status"})
  void custosRefusesToStartAndNamesTheToolAndTheParameter(String type, String param, String tool, @TempDir Path dir) {
    try (EmbeddedFhirStore store = store(new DropSearchParam(type, param))) {
      CustosConfig config = new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", List.of(), List.of(), null),
          new CustosConfig.Upstream(store.baseUrl(), 10), new CustosConfig.Identity("development"),
          new CustosConfig.Policy(null, false, null, null, null), dir.toString()).withDefaults().validated();
      assertThatThrownBy(() -> new ServerAssembly(config)).isInstanceOf(ConfigException.class)
          .hasMessageContaining("tool " + tool + " needs search parameter '" + param + "' on " + type);
    }
  }
}
