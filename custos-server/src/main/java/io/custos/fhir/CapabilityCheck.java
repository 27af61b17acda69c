package io.custos.fhir;

import io.custos.tools.Declaration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;

/**
 * Checks, at start, that the FHIR upstream supports what the configured tools need: each declaration's
 * {@link Declaration#upstreamNeeds()} (interactions and search parameters) against the upstream's
 * CapabilityStatement ({@code GET [base]/metadata}, FHIR R4 RESTful API "capabilities"), the server-mode
 * {@code rest} entries. Messages name the tool and what is missing, never data.
 */
public final class CapabilityCheck {
  /** Care-relationship lookups (policy {@code requireCareRelationship}): a caller's link to a patient. */
  public static final List<UpstreamNeed> CARE_RELATIONSHIP = List.of(
      UpstreamNeed.searchParam("CareTeam", "patient"), UpstreamNeed.searchParam("CareTeam", "participant"),
      UpstreamNeed.searchParam("Encounter", "patient"), UpstreamNeed.searchParam("Encounter", "participant"),
      UpstreamNeed.interaction("Patient", UpstreamNeed.Interaction.READ));

  private final Map<String, Set<String>> interactions = new HashMap<>();
  private final Map<String, Set<String>> searchParams = new HashMap<>();

  /** @param statement the upstream's CapabilityStatement */
  public CapabilityCheck(CapabilityStatement statement) {
    for (CapabilityStatementRestComponent rest : statement.getRest()) {
      if (rest.getMode() != CapabilityStatement.RestfulCapabilityMode.SERVER) {
        continue;
      }
      for (CapabilityStatementRestResourceComponent r : rest.getResource()) {
        Set<String> codes = interactions.computeIfAbsent(r.getType(), t -> new HashSet<>());
        r.getInteraction().forEach(i -> codes.add(i.getCode().toCode()));
        if (r.getConditionalCreate()) {
          codes.add(UpstreamNeed.Interaction.CONDITIONAL_CREATE.code());
        }
        Set<String> params = searchParams.computeIfAbsent(r.getType(), t -> new HashSet<>());
        r.getSearchParam().forEach(p -> params.add(p.getName()));
        // Parameters every resource type has (FHIR R4 search, "parameters for all resources").
        rest.getSearchParam().forEach(p -> params.add(p.getName()));
      }
    }
  }

  /** Whether the upstream declares {@code need}. */
  public boolean supports(UpstreamNeed need) {
    return need.searchParam()
        .map(p -> searchParams.getOrDefault(need.resourceType(), Set.of()).contains(p))
        .orElseGet(() -> interactions.getOrDefault(need.resourceType(), Set.of()).contains(need.interaction().code()));
  }

  /**
   * Every unmet need, one message each: {@code tool get_lab_results needs search parameter 'category' on Observation}.
   *
   * @param declarations     the tools that will be served
   * @param careRelationship whether access control looks up care relationships upstream
   * @return the messages, in declaration order; empty when everything is supported
   */
  public List<String> missing(Collection<? extends Declaration> declarations, boolean careRelationship) {
    Set<String> messages = new LinkedHashSet<>();
    for (Declaration d : declarations) {
      for (UpstreamNeed need : d.upstreamNeeds()) {
        if (!supports(need)) {
          messages.add(d.kind().name().toLowerCase(Locale.ROOT) + " " + d.name() + " needs " + need.describe());
        }
      }
    }
    if (careRelationship) {
      for (UpstreamNeed need : CARE_RELATIONSHIP) {
        if (!supports(need)) {
          messages.add("care-relationship checks (policy.requireCareRelationship) need " + need.describe());
        }
      }
    }
    return new ArrayList<>(messages);
  }
}
