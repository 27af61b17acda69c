package io.custos.policy;

import io.custos.auth.Caller;
import io.custos.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Role -> tools (HIPAA 164.308(a)(4) information access management, minimum necessary by role). A caller
 * may use a tool only if one of its roles lists it; a tool is also hidden from {@code tools/list} otherwise.
 *
 * @param roles role name -> tool names
 */
public record RolePolicy(Map<String, Set<String>> roles) {

  private static final List<String> CLINICAL = List.of("find_patient", "get_patient_demographics", "get_active_conditions",
      "get_medications", "get_allergies", "get_lab_results", "get_vital_signs", "get_immunizations", "list_encounters",
      "get_encounter", "check_coverage", "list_appointments", "get_clinical_notes", "get_patient_consents");

  /**
   * Built-in roles, used when {@code policy.roles} is absent (write tools per {@link #WRITE_TOOLS}): clinicians and nurses read the clinical record;
   * a patient (with a patient-bound token) reads their own record; front desk sees demographics, coverage and appointments but no diagnoses; billing sees codes, encounters and
   * coverage but no clinical notes; researchers get only the de-identified cohort tools ({@code cohort_count},
   * {@code cohort_extract}: Safe Harbor, small cells suppressed) and no identified-data tools; compliance officers
   * have no tools (they use {@code custos audit}).
   */
  public static final Map<String, List<String>> DEFAULT_ROLES = Map.of(
      "clinician", plus(CLINICAL, "draft_clinical_note", "book_appointment", "send_patient_message", "submit_prior_authorization",
          "sync_intake_form", "get_prior_authorization_status"),
      "nurse", plus(CLINICAL, "draft_clinical_note", "send_patient_message", "sync_intake_form"),
      "front-desk", List.of("find_patient", "get_patient_demographics", "check_coverage", "list_appointments", "book_appointment"),
      "billing", List.of("find_patient", "get_patient_demographics", "check_coverage", "list_encounters", "get_encounter",
          "get_active_conditions", "submit_prior_authorization", "get_prior_authorization_status"),
      "patient", CLINICAL.subList(1, CLINICAL.size()),
      "researcher", List.of("cohort_count", "cohort_extract"), // de-identified only (io.custos.tools.ResearchTools)
      "compliance-officer", List.of());

  /**
   * The human-approved write tools (and the prior-authorization status read) that role policies may name in
   * addition to the read catalog. Default grants: clinicians every write tool; nurses notes, patient messages and
   * intake forms; front desk appointment booking; billing prior authorization; patients, researchers and compliance
   * officers none. Writes still need a SMART write scope and a human approval.
   */
  public static final Set<String> WRITE_TOOLS = Set.of("draft_clinical_note", "book_appointment", "send_patient_message",
      "submit_prior_authorization", "sync_intake_form", "get_prior_authorization_status");

  private static List<String> plus(List<String> base, String... more) {
    List<String> all = new java.util.ArrayList<>(base);
    all.addAll(List.of(more));
    return List.copyOf(all);
  }

  public RolePolicy {
    Map<String, Set<String>> copy = new LinkedHashMap<>();
    roles.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
    roles = Map.copyOf(copy);
  }

  /**
   * Builds the policy from configuration, checking every tool name.
   *
   * @param configured  {@code policy.roles}, or null for {@link #DEFAULT_ROLES}
   * @param knownTools  every tool name the server declares (its registry)
   * @throws ConfigException naming {@code policy.roles.<role>} for an unknown tool
   */
  public static RolePolicy of(Map<String, List<String>> configured, Set<String> knownTools) {
    Map<String, List<String>> source = configured == null ? DEFAULT_ROLES : configured;
    Map<String, Set<String>> roles = new LinkedHashMap<>();
    source.forEach((role, tools) -> {
      for (String t : tools) {
        if (!knownTools.contains(t)) {
          throw new ConfigException("policy.roles." + role + ": unknown tool '" + t + "'");
        }
      }
      roles.put(role, Set.copyOf(tools));
    });
    return new RolePolicy(roles);
  }

  /** This policy with each role also allowed the tools {@code grants} lists for it (tools declared in configuration). */
  public RolePolicy with(Map<String, List<String>> grants) {
    Map<String, Set<String>> merged = new LinkedHashMap<>(roles);
    grants.forEach((role, tools) -> {
      Set<String> all = new java.util.HashSet<>(merged.getOrDefault(role, Set.of()));
      all.addAll(tools);
      merged.put(role, all);
    });
    return new RolePolicy(merged);
  }

  /** Whether any of the caller's roles allows {@code tool}. */
  public boolean allows(Caller caller, String tool) {
    return caller.roles().stream().anyMatch(r -> roles.getOrDefault(r, Set.of()).contains(tool));
  }
}
