package io.custos.pipeline;

import static io.custos.phi.SensitiveCategory.HIV;
import static io.custos.phi.SensitiveCategory.MENTAL_HEALTH;
import static io.custos.phi.SensitiveCategory.REPRODUCTIVE_HEALTH;
import static io.custos.phi.SensitiveCategory.RESTRICTED;
import static io.custos.phi.SensitiveCategory.SUBSTANCE_USE;
import static io.custos.phi.SensitiveCategory.VIOLENCE;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.policy.RolePolicy;
import io.custos.routes.TestPaths;
import io.custos.tools.Declaration;
import io.custos.tools.ToolSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planted corpus of sensitive records (codes across SNOMED CT, ICD-10-CM, RxNorm, LOINC and HCPCS in Conditions,
 * MedicationRequests, Observations, Encounter and Appointment reasons, Procedures and notes, plus uncoded text and
 * security labels) in an embedded FHIR store: every read tool of the registry, called through the real governed path
 * for every role, returns none of the records the role may not see and signals each as {@code withheld} with its
 * category; a role holding the category's right receives them.
 */
class SensitiveCorpusPipelineTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PID = "planted-patient";
  private static final String SCT = "http://snomed.info/sct";
  private static final String ICD = "http://hl7.org/fhir/sid/icd-10-cm";
  private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm";
  private static final String LNC = "http://loinc.org";
  private static final String HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
  /** Codes the issue text names as examples: the corpus must not rely on them. */
  private static final Set<String> EXAMPLE_CODES = Set.of("351266", "75544000", "5602001", "7200002", "86406008", "F11.20");

  /** Where a planted code sits, and which read tools return that resource type. */
  enum Kind {
    CONDITION("get_active_conditions"), MEDICATION("get_medications"), LAB("get_lab_results", "get_vital_signs"),
    ENCOUNTER_REASON("list_encounters", "get_encounter"), APPOINTMENT_REASON("list_appointments"), PROCEDURE(), NOTE("get_clinical_notes");

    final Set<String> tools;

    Kind(String... tools) {
      this.tools = Set.of(tools);
    }
  }

  /** One planted record. {@code code} is what must not leak (a code, or a distinctive phrase of uncoded text). */
  record Planted(String id, SensitiveCategory category, Kind kind, String code, Resource resource) {}

  private static final List<Planted> CORPUS = new ArrayList<>();
  private static final List<Planted> CONTROLS = new ArrayList<>();
  private static EmbeddedFhirStore store;
  private static HapiFhirUpstream upstream;
  @TempDir
  static Path dir;

  private static void coded(SensitiveCategory cat, Kind kind, String system, String code) {
    String id = "pl-" + (CORPUS.size() + 1);
    CORPUS.add(new Planted(id, cat, kind, code, resource(id, kind, new CodeableConcept(new Coding(system, code, null)))));
  }

  private static void uncoded(SensitiveCategory cat, Kind kind, String text, Function<Resource, Resource> adjust) {
    String id = "pl-" + (CORPUS.size() + 1);
    CodeableConcept cc = new CodeableConcept().setText(text);
    CORPUS.add(new Planted(id, cat, kind, text, adjust.apply(resource(id, kind, cc))));
  }

  private static Resource resource(String id, Kind kind, CodeableConcept cc) {
    Reference subject = new Reference("Patient/" + PID);
    Resource r = switch (kind) {
      case CONDITION -> new Condition().setSubject(subject).setCode(cc).setClinicalStatus(new CodeableConcept(
          new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)));
      case MEDICATION -> new MedicationRequest().setSubject(subject).setMedication(cc)
          .setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE).setIntent(MedicationRequest.MedicationRequestIntent.ORDER);
      case LAB -> new Observation().setSubject(subject).setCode(cc).setStatus(Observation.ObservationStatus.FINAL)
          .addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", null)))
          .addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", null)))
          .setValue(new StringType("Positive")).setEffective(new DateTimeType("2025-06-01"));
      case ENCOUNTER_REASON -> new Encounter().setSubject(subject).setStatus(Encounter.EncounterStatus.FINISHED)
          .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", null)).addReasonCode(cc)
          .setPeriod(new org.hl7.fhir.r4.model.Period().setStartElement(new DateTimeType("2025-06-01")));
      case APPOINTMENT_REASON -> {
        Appointment a = new Appointment().setStatus(Appointment.AppointmentStatus.BOOKED).addReasonCode(cc)
            .setStart(java.util.Date.from(Instant.parse("2025-06-01T10:00:00Z")));
        a.addParticipant().setActor(subject).setStatus(Appointment.ParticipationStatus.ACCEPTED);
        yield a;
      }
      case PROCEDURE -> new Procedure().setSubject(subject).setCode(cc).setStatus(Procedure.ProcedureStatus.COMPLETED);
      case NOTE -> {
        DocumentReference d = new DocumentReference().setSubject(subject).setType(cc)
            .setStatus(Enumerations.DocumentReferenceStatus.CURRENT).setDate(java.util.Date.from(Instant.parse("2025-06-01T10:00:00Z")));
        d.addContent().getAttachment().setContentType("text/plain").setData("Seen in clinic today.".getBytes(StandardCharsets.UTF_8));
        yield d;
      }
    };
    r.setId(id);
    return r;
  }

  private static Resource note(Resource r, String text) {
    ((DocumentReference) r).getContentFirstRep().getAttachment().setData(text.getBytes(StandardCharsets.UTF_8));
    ((DocumentReference) r).setType(new CodeableConcept(new Coding(LNC, "11506-3", "Progress note")));
    return r;
  }

  static {
    // 42 CFR Part 2 substance use
    for (String c : List.of("66590003", "15167005", "26416006", "78267003")) coded(SUBSTANCE_USE, Kind.CONDITION, SCT, c);
    for (String c : List.of("F10.20", "F12.20", "F14.10")) coded(SUBSTANCE_USE, Kind.CONDITION, ICD, c);
    for (String c : List.of("1010600", "1010604", "351264", "351267", "864718", "991147", "1483744", "637213", "197623", "835726")) {
      coded(SUBSTANCE_USE, Kind.MEDICATION, RX, c);
    }
    for (String c : List.of("3414-0", "93494-3", "18282-4", "82667-7")) coded(SUBSTANCE_USE, Kind.LAB, LNC, c);
    coded(SUBSTANCE_USE, Kind.ENCOUNTER_REASON, ICD, "F15.20");
    coded(SUBSTANCE_USE, Kind.ENCOUNTER_REASON, SCT, "61480009");
    coded(SUBSTANCE_USE, Kind.ENCOUNTER_REASON, ICD, "Z71.51");
    coded(SUBSTANCE_USE, Kind.APPOINTMENT_REASON, SCT, "60112009");
    coded(SUBSTANCE_USE, Kind.APPOINTMENT_REASON, HCPCS, "H0020");
    coded(SUBSTANCE_USE, Kind.PROCEDURE, SCT, "313071005");
    coded(SUBSTANCE_USE, Kind.PROCEDURE, SCT, "56876005");
    // mental health
    for (String c : List.of("35489007", "47505003")) coded(MENTAL_HEALTH, Kind.CONDITION, SCT, c);
    for (String c : List.of("F32.9", "F41.1", "F20.9")) coded(MENTAL_HEALTH, Kind.CONDITION, ICD, c);
    for (String c : List.of("310385", "312938")) coded(MENTAL_HEALTH, Kind.MEDICATION, RX, c);
    for (String c : List.of("44261-6", "70274-6")) coded(MENTAL_HEALTH, Kind.LAB, LNC, c);
    coded(MENTAL_HEALTH, Kind.ENCOUNTER_REASON, ICD, "F31.9");
    coded(MENTAL_HEALTH, Kind.ENCOUNTER_REASON, SCT, "6471006");
    coded(MENTAL_HEALTH, Kind.APPOINTMENT_REASON, SCT, "76168009");
    coded(MENTAL_HEALTH, Kind.PROCEDURE, SCT, "79094001");
    coded(MENTAL_HEALTH, Kind.NOTE, LNC, "75443-2");
    // HIV
    coded(HIV, Kind.CONDITION, SCT, "62479008");
    for (String c : List.of("B20", "Z21")) coded(HIV, Kind.CONDITION, ICD, c);
    for (String c : List.of("1999667", "476556", "643066")) coded(HIV, Kind.MEDICATION, RX, c);
    for (String c : List.of("20447-9", "7917-8")) coded(HIV, Kind.LAB, LNC, c);
    coded(HIV, Kind.ENCOUNTER_REASON, ICD, "Z71.7");
    coded(HIV, Kind.APPOINTMENT_REASON, SCT, "313077009");
    coded(HIV, Kind.PROCEDURE, SCT, "315124004");
    // reproductive and sexual health
    for (String c : List.of("77386006", "398254007")) coded(REPRODUCTIVE_HEALTH, Kind.CONDITION, SCT, c);
    for (String c : List.of("O80", "N97.9")) coded(REPRODUCTIVE_HEALTH, Kind.CONDITION, ICD, c);
    for (String c : List.of("807283", "389221", "748856")) coded(REPRODUCTIVE_HEALTH, Kind.MEDICATION, RX, c);
    for (String c : List.of("2106-3", "19080-1")) coded(REPRODUCTIVE_HEALTH, Kind.LAB, LNC, c);
    coded(REPRODUCTIVE_HEALTH, Kind.ENCOUNTER_REASON, ICD, "Z30.011");
    coded(REPRODUCTIVE_HEALTH, Kind.ENCOUNTER_REASON, SCT, "424441002");
    coded(REPRODUCTIVE_HEALTH, Kind.APPOINTMENT_REASON, SCT, "408969000");
    coded(REPRODUCTIVE_HEALTH, Kind.APPOINTMENT_REASON, ICD, "Z34.00");
    coded(REPRODUCTIVE_HEALTH, Kind.PROCEDURE, SCT, "65200003");
    coded(REPRODUCTIVE_HEALTH, Kind.PROCEDURE, SCT, "22523008");
    // sexual assault, abuse, domestic violence
    for (String c : List.of("T74.11XA", "T76.11XA")) coded(VIOLENCE, Kind.CONDITION, ICD, c);
    coded(VIOLENCE, Kind.CONDITION, SCT, "706893006");
    coded(VIOLENCE, Kind.LAB, LNC, "76504-0");
    coded(VIOLENCE, Kind.ENCOUNTER_REASON, ICD, "Z04.41");
    coded(VIOLENCE, Kind.ENCOUNTER_REASON, ICD, "Z69.11");
    coded(VIOLENCE, Kind.APPOINTMENT_REASON, ICD, "Z91.410");
    // uncoded text and security labels
    uncoded(HIV, Kind.CONDITION, "HIV positive, on antiretroviral therapy", r -> r);
    uncoded(SUBSTANCE_USE, Kind.MEDICATION, "naloxone+buprenorphine 8 mg/2 mg sublingual film", r -> r);
    uncoded(SUBSTANCE_USE, Kind.NOTE, "Continues buprenorphine/naloxone 8/2 mg daily.", r -> note(r, "Continues buprenorphine/naloxone 8/2 mg daily."));
    uncoded(REPRODUCTIVE_HEALTH, Kind.NOTE, "Discussed contraception; IUD placed.", r -> note(r, "Discussed contraception; IUD placed."));
    uncoded(VIOLENCE, Kind.NOTE, "Disclosed intimate partner violence.", r -> note(r, "Disclosed intimate partner violence."));
    uncoded(MENTAL_HEALTH, Kind.APPOINTMENT_REASON, "Weekly PTSD group", r -> ((Appointment) r).setDescription("Weekly PTSD group"));
    uncoded(SUBSTANCE_USE, Kind.MEDICATION, "Labelled ETH", r -> {
      r.getMeta().addSecurity(new Coding(SensitiveCategory.ACT_CODE, "ETH", null));
      return r;
    });
    uncoded(RESTRICTED, Kind.CONDITION, "Labelled restricted", r -> {
      r.getMeta().addSecurity(new Coding(SensitiveCategory.CONFIDENTIALITY, "R", null));
      return r;
    });
    // controls: outside every category, returned to every role that has the tool
    CONTROLS.add(control("ct-1", Kind.CONDITION, SCT, "44054006"));
    CONTROLS.add(control("ct-2", Kind.MEDICATION, RX, "314076"));
    CONTROLS.add(control("ct-3", Kind.LAB, LNC, "4548-4"));
    CONTROLS.add(control("ct-4", Kind.ENCOUNTER_REASON, SCT, "59621000"));
    CONTROLS.add(control("ct-5", Kind.APPOINTMENT_REASON, SCT, "185389009"));
    CONTROLS.add(control("ct-6", Kind.NOTE, LNC, "11506-3"));
  }

  private static Planted control(String id, Kind kind, String system, String code) {
    return new Planted(id, null, kind, code, resource(id, kind, new CodeableConcept(new Coding(system, code, null))));
  }

  @BeforeAll
  static void plant() {
    InMemoryRepository repo = new InMemoryRepository(FHIR);
    Patient p = new Patient();
    p.setId(PID);
    p.addName().setFamily("Plantedfamily").addGiven("Test");
    p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1980-01-01"));
    repo.put(p);
    CORPUS.forEach(x -> repo.put(x.resource()));
    CONTROLS.forEach(x -> repo.put(x.resource()));
    store = EmbeddedFhirStore.builder().fhirContext(FHIR).repository(repo).enrich(false).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void theCorpusHasAtLeastFiftyCodesAcrossSystemsAndResourceTypesAndNoneOfTheIssueExamples() {
    List<Planted> codedItems = CORPUS.stream().filter(x -> !x.code().contains(" ")).toList();
    assertThat(codedItems).hasSizeGreaterThanOrEqualTo(50);
    assertThat(codedItems).extracting(Planted::code).doesNotContainAnyElementsOf(EXAMPLE_CODES);
    assertThat(CORPUS.stream().map(Planted::kind).collect(Collectors.toSet())).containsAll(EnumSet.allOf(Kind.class));
    assertThat(CORPUS.stream().map(Planted::category).collect(Collectors.toSet())).containsAll(EnumSet.allOf(SensitiveCategory.class));
    String all = CORPUS.stream().map(x -> FHIR.newJsonParser().encodeResourceToString(x.resource())).collect(Collectors.joining());
    for (String system : List.of(SCT, ICD, RX, LNC, HCPCS)) {
      assertThat(all).contains(system);
    }
  }

  @Test
  void procedures_noReadToolReturnsThemSoTheClassifierIsCheckedDirectly() {
    var classifier = new io.custos.phi.SensitiveCategories(FHIR);
    for (Planted x : CORPUS) {
      assertThat(classifier.classify(x.resource())).as(x.id() + " " + x.code()).containsExactly(x.category());
    }
    for (Planted x : CONTROLS) {
      assertThat(classifier.classify(x.resource())).as(x.id()).isEmpty();
    }
    Set<String> typesServed = readTools().stream().map(ToolSpec::resourceType).collect(Collectors.toSet());
    assertThat(typesServed).doesNotContain("Procedure");
  }

  @Test
  void underTheDefaultPolicyEveryRoleWithoutTheRightGetsNoneOfThemOnAnyToolAndAWithheldSignal() throws IOException {
    GovernancePipeline pipeline = pipeline(SensitiveDataPolicy.treating());
    for (String role : List.of("clinician", "nurse", "billing", "front-desk", "patient")) {
      Set<SensitiveCategory> allowed = Set.of("clinician", "nurse", "patient").contains(role)
          ? EnumSet.complementOf(EnumSet.of(SUBSTANCE_USE, RESTRICTED)) : EnumSet.noneOf(SensitiveCategory.class);
      checkEveryTool(pipeline, caller(Set.of(role)), allowed);
    }
  }

  @Test
  void underDenyUnlessRoleEveryClinicalRoleIsCheckedForEveryCategory() throws IOException {
    GovernancePipeline pipeline = pipeline(SensitiveDataPolicy.byRole());
    for (String role : List.of("clinician", "nurse", "patient")) {
      checkEveryTool(pipeline, caller(Set.of(role)), EnumSet.noneOf(SensitiveCategory.class));
    }
  }

  @Test
  void aRoleWithTheCategorysRightReceivesThem() throws IOException {
    GovernancePipeline pipeline = pipeline(SensitiveDataPolicy.byRole());
    for (SensitiveCategory cat : SensitiveCategory.values()) {
      checkEveryTool(pipeline, caller(Set.of("clinician", SensitiveDataPolicy.ALL_ROLE + ":" + cat.id())), EnumSet.of(cat));
    }
    checkEveryTool(pipeline, caller(Set.of("billing", SensitiveDataPolicy.ALL_ROLE)), EnumSet.allOf(SensitiveCategory.class));
  }

  /** Calls every read tool the caller's roles allow and checks what is returned and what is withheld. */
  private static void checkEveryTool(GovernancePipeline pipeline, Caller caller, Set<SensitiveCategory> allowed) throws IOException {
    Set<String> toolsOfRoles = caller.roles().stream().flatMap(r -> RolePolicy.DEFAULT_ROLES.getOrDefault(r, List.of()).stream())
        .collect(Collectors.toSet());
    int called = 0;
    for (ToolSpec spec : readTools()) {
      if (!toolsOfRoles.contains(spec.name())) {
        continue;
      }
      called++;
      List<Planted> planted = CORPUS.stream().filter(x -> x.kind().tools.contains(spec.name())).toList();
      List<Planted> withheld = planted.stream().filter(x -> !allowed.contains(x.category())).toList();
      List<Planted> visible = new ArrayList<>(planted.stream().filter(x -> allowed.contains(x.category())).toList());
      CONTROLS.stream().filter(x -> x.kind().tools.contains(spec.name())).forEach(visible::add);
      String what = spec.name() + " for " + caller.roles();
      if (spec.name().equals("get_encounter")) {
        for (Planted x : planted) {
          ToolOutcome out = pipeline.handle(call(caller, spec.name(), Map.of("patient_id", PID, "encounter_id", x.id())));
          if (allowed.contains(x.category())) {
            assertThat(out.isError()).as(what + " " + x.code() + ": " + out.text()).isFalse();
          } else {
            assertThat(out.error()).as(what + " " + x.code()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
            assertThat(out.text()).as(what).contains(x.category().id()).doesNotContain(x.code());
          }
        }
        continue;
      }
      Page page = allPages(pipeline, caller, spec);
      assertThat(page.ids).as(what).containsExactlyInAnyOrderElementsOf(visible.stream().map(Planted::id).toList());
      assertThat(page.withheldCount).as(what + " withheld count").isEqualTo(withheld.size());
      assertThat(page.withheldCategories).as(what + " withheld categories")
          .isEqualTo(withheld.stream().map(x -> x.category().id()).collect(Collectors.toSet()));
      for (Planted x : withheld) {
        assertThat(page.json).as(what + " leaks " + x.code()).doesNotContain(x.code()).doesNotContain("\"" + x.id() + "\"");
      }
    }
    assertThat(called).as("tools called for " + caller.roles()).isGreaterThan(0);
  }

  private record Page(Set<String> ids, int withheldCount, Set<String> withheldCategories, String json) {}

  @SuppressWarnings("unchecked")
  private static Page allPages(GovernancePipeline pipeline, Caller caller, ToolSpec spec) throws IOException {
    Set<String> ids = new HashSet<>();
    Set<String> categories = new HashSet<>();
    StringBuilder json = new StringBuilder();
    int withheld = 0;
    Optional<String> cursor = Optional.empty();
    do {
      Map<String, Object> args = new LinkedHashMap<>(arguments(spec));
      cursor.ifPresent(c -> args.put("cursor", c));
      ToolOutcome out = pipeline.handle(call(caller, spec.name(), args));
      assertThat(out.isError()).as(spec.name() + " for " + caller.roles() + ": " + out.text()).isFalse();
      Map<String, Object> s = out.structured();
      json.append(JSON.writeValueAsString(s)).append(out.text());
      Object items = s.containsKey("items") ? s.get("items") : List.of(s.values().stream().filter(Map.class::isInstance).findFirst().orElse(Map.of()));
      for (Map<String, Object> item : (List<Map<String, Object>>) items) {
        if (item.get("id") instanceof String id) {
          ids.add(id);
        }
      }
      if (s.get("withheld") instanceof Map<?, ?> w) {
        withheld += ((Number) w.get("count")).intValue();
        categories.addAll((List<String>) w.get("categories"));
      }
      cursor = Optional.ofNullable((String) s.get("next_cursor"));
    } while (cursor.isPresent());
    ids.remove(PID); // the patient resource of demographics and find_patient
    return new Page(ids, withheld, categories, json.toString());
  }

  private static Map<String, Object> arguments(ToolSpec spec) {
    if (spec.name().equals("find_patient")) {
      return Map.of("family", "Plantedfamily", "birthdate", "1980-01-01");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> props = (Map<String, Object>) spec.inputSchema().get("properties");
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("patient_id", PID);
    if (props.get("limit") instanceof Map<?, ?> limit && limit.get("maximum") instanceof Number max) {
      args.put("limit", max.intValue());
    }
    return args;
  }

  private static List<ToolSpec> readTools() {
    return TestPaths.registry().of(Declaration.Kind.TOOL).stream().filter(ToolSpec.class::isInstance).map(ToolSpec.class::cast).toList();
  }

  private static GovernancePipeline pipeline(SensitiveDataPolicy policy) throws IOException {
    Clock clock = Clock.systemUTC();
    JsonLinesAuditTrail trail = new JsonLinesAuditTrail(dir.resolve("audit-" + System.nanoTime()).resolve("audit.jsonl"));
    return TestPaths.pipeline(TestPaths.stages(trail, upstream, clock, io.custos.policy.TestAccess.withoutCareRelationships(clock))
        .sensitivePolicy(policy));
  }

  private static Caller caller(Set<String> roles) {
    Instant exp = Instant.now().plus(Duration.ofHours(1));
    if (roles.contains("patient")) {
      return new Caller("pt-user", "test-client", Optional.of("Patient/" + PID), roles, Set.of("patient/*.rs"), Optional.of(PID), true,
          "tokhash-pt", exp);
    }
    String subject = String.join("-", roles).replace(':', '-');
    return new Caller(subject, "test-client", Optional.of("Practitioner/" + subject), roles, Set.of("user/*.rs"), Optional.empty(), true,
        "tokhash-" + subject, exp);
  }

  private static ToolCall call(Caller caller, String tool, Map<String, Object> args) {
    return new ToolCall(tool, args, Optional.of(caller), "session-1", "127.0.0.1");
  }
}
