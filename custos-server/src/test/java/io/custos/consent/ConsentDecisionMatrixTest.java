package io.custos.consent;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException.Reason;
import io.custos.pipeline.ToolOutcome;
import io.custos.policy.AccessControl;
import io.custos.policy.BreakGlass;
import io.custos.policy.RolePolicy;
import io.custos.policy.ScopeCheck;
import io.custos.routes.TestPaths;
import io.custos.writes.WriteSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision matrix: every kind of Consent provision (actor, purpose, class, code, data period, security label,
 * nested; plus a research opt-out, a revoked and an expired Consent, and none) x routes (read tools, a write tool, the
 * research tools) x roles (clinician, care-team clinician, nurse, billing, front desk, researcher) x break-the-glass
 * (no grant, a grant with the override policy, a grant without it), through the real pipeline over an embedded store
 * with planted Consents. The expected outcome comes from an oracle written from the Consents' meaning, independent of
 * the evaluator; the test counts escapes (a record or call the Consent denies that gets through) and false denials (a
 * permitted record withheld, or a permitted call refused) and requires both to be 0.
 */
class ConsentDecisionMatrixTest {
  static final FhirContext FHIR = FhirContext.forR4Cached();
  static final String SNOMED = "http://snomed.info/sct";
  static final String DIABETES = "44054006";
  static final String HYPERTENSION = "38341003";
  static final String CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
  static final Date END_2019 = Date.from(Instant.parse("2019-12-31T23:59:59Z"));
  static final int FILLERS = 12;

  enum Kind { ACTOR, PURPOSE, CLASS, CODE, DATA_PERIOD, SECURITY_LABEL, NESTED, RESEARCH_OPT_OUT, REVOKED, EXPIRED, NONE }

  /** A caller of the matrix: Custos role, organisation (via PractitionerRole), care relationship, care-team membership. */
  enum Who {
    DOC_IN("clinician", "org-a", true, false, false),
    DOC_TEAM("clinician", "org-a", true, true, false),
    DOC_OUT("clinician", "org-c", false, false, false),
    DOC_GLASS("clinician", "org-c", false, false, true),
    NURSE("nurse", "org-b", true, false, false),
    BILLING("billing", "org-a", true, false, false),
    FRONT_DESK("front-desk", "org-b", true, false, false);

    final String role;
    final String org;
    final boolean care;
    final boolean team;
    final boolean glass;

    Who(String role, String org, boolean care, boolean team, boolean glass) {
      this.role = role;
      this.org = org;
      this.care = care;
      this.team = team;
      this.glass = glass;
    }

    String subject() {
      return name().toLowerCase().replace('_', '-');
    }

    PurposeOfUse purpose() {
      return glass ? PurposeOfUse.ETREAT : switch (role) {
        case "clinician", "nurse" -> PurposeOfUse.TREAT;
        case "billing" -> PurposeOfUse.HPAYMT;
        default -> PurposeOfUse.HOPERAT;
      };
    }

    /**
     * Every caller also holds {@code sensitive-data:restricted}: a record labelled confidentiality R is withheld by the
     * role policy from anyone without it, and this matrix is about what the Consents narrow beyond the role policy.
     */
    Caller caller() {
      return new Caller(subject(), "matrix-client", Optional.of("Practitioner/" + subject()),
          Set.of(role, SensitiveDataPolicy.ALL_ROLE + ":" + SensitiveCategory.RESTRICTED.id()),
          Set.of("user/*.rs", "user/Communication.c"), Optional.empty(), true, "tok-" + subject(),
          Instant.now().plus(Duration.ofHours(1)));
    }
  }

  /** A planted record as the oracle sees it. */
  record Rec(String id, String type, String code, LocalDate date, boolean labelled) {}

  /** Tool -> resource type it reads, for the read tools in the matrix. */
  static final Map<String, String> READS = Map.of("get_active_conditions", "Condition", "get_vital_signs", "Observation",
      "get_immunizations", "Immunization", "check_coverage", "Coverage", "get_patient_demographics", "Patient");

  @TempDir
  static Path dir;
  static EmbeddedFhirStore store;
  static JsonLinesAuditTrail trail;
  static Path auditFile;
  static final Map<BreakGlassOverride, GovernancePipeline> pipelines = new EnumMap<>(BreakGlassOverride.class);
  static final Map<Kind, List<Rec>> records = new EnumMap<>(Kind.class);
  static final Map<Kind, List<Resource>> resources = new EnumMap<>(Kind.class);

  /** A patient whose Consent denies consult notes (LOINC 11488-4) to everyone: a write is judged record by record. */
  static final String WRITE_PATIENT = "cm-write";

  static Consent consultNotesDenied() {
    Consent c = permitExcept(WRITE_PATIENT);
    c.getProvision().getProvisionFirstRep().addCode(new CodeableConcept(new Coding("http://loinc.org", "11488-4", null)));
    return c;
  }

  /** An active patient-privacy Consent of {@code patient}: permit, with one nested deny for the caller to narrow. */
  static Consent permitExcept(String patient) {
    Consent c = new Consent();
    c.setId(patient + "-consent");
    c.setStatus(Consent.ConsentState.ACTIVE);
    c.setScope(new CodeableConcept(new Coding(ConsentEvaluator.CONSENT_SCOPE, "patient-privacy", null)));
    c.setPatient(new Reference("Patient/" + patient));
    c.getProvision().setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY);
    return c;
  }

  /** A patient whose Consent denies everything to the break-the-glass clinician by name. */
  static final String GLASS_PATIENT = "cm-glass";

  static Consent deniedToTheEmergencyClinician() {
    Consent c = permitExcept(GLASS_PATIENT);
    c.getProvision().getProvisionFirstRep().addActor().setReference(new Reference("Practitioner/" + Who.DOC_GLASS.subject()));
    return c;
  }

  @Test
  void breakTheGlassDoesNotSetAsideADenyNamingTheCaller() {
    ToolOutcome out = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("get_patient_demographics",
        Map.of("patient_id", GLASS_PATIENT), Optional.of(Who.DOC_GLASS.caller()), "s", "127.0.0.1"));
    assertThat(out.error()).as(out.text()).isEqualTo(io.custos.pipeline.ToolCallException.Reason.CONSENT);
  }

  @Test
  void aRecordToBeWrittenIsJudgedByTheConsentsLikeARecordRead() {
    Caller writer = new Caller(Who.DOC_IN.subject(), "matrix-client", Optional.of("Practitioner/" + Who.DOC_IN.subject()),
        Set.of("clinician"), Set.of("user/*.rs", "user/DocumentReference.c"), Optional.empty(), true, "tok-writer",
        Instant.now().plus(Duration.ofHours(1)));
    Map<String, Object> args = new java.util.HashMap<>(Map.of("patient_id", WRITE_PATIENT, "title", "Follow-up",
        "text", "Doing well.", "note_type", "consult-note"));
    ToolOutcome denied = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("draft_clinical_note", args,
        Optional.of(writer), "s", "127.0.0.1"));
    assertThat(denied.error()).as(denied.text()).isEqualTo(io.custos.pipeline.ToolCallException.Reason.CONSENT);
    args.put("note_type", "progress-note");
    ToolOutcome allowed = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("draft_clinical_note", args,
        Optional.of(writer), "s", "127.0.0.1"));
    assertThat(allowed.error()).as(allowed.text()).isNull();
    assertThat(allowed.structured()).containsEntry("status", "pending_approval");
  }

  static String patient(Kind k) {
    return "cm-" + k.name().toLowerCase().replace('_', '-');
  }

  @BeforeAll
  static void start() throws Exception {
    InMemoryRepository repo = new InMemoryRepository(FHIR);
    for (String org : List.of("org-a", "org-b", "org-c")) {
      Organization o = new Organization();
      o.setId(org);
      o.setName("Organisation " + org);
      repo.put(o);
    }
    for (Who w : Who.values()) {
      Practitioner p = new Practitioner();
      p.setId(w.subject());
      repo.put(p);
      PractitionerRole role = new PractitionerRole();
      role.setId("role-" + w.subject());
      role.setPractitioner(new Reference("Practitioner/" + w.subject()));
      role.setOrganization(new Reference("Organization/" + w.org));
      repo.put(role);
    }
    for (Kind k : Kind.values()) {
      plant(repo, patient(k), k);
    }
    for (int i = 0; i < FILLERS; i++) {
      plant(repo, "cm-filler-" + i, null);
    }
    Patient writePatient = new Patient(); // no records: the cohorts and the matrix's counts stay as planted above
    writePatient.setId(WRITE_PATIENT);
    repo.put(writePatient);
    repo.put(consultNotesDenied());
    Patient glassPatient = new Patient();
    glassPatient.setId(GLASS_PATIENT);
    repo.put(glassPatient);
    repo.put(deniedToTheEmergencyClinician());
    store = EmbeddedFhirStore.builder().fhirContext(FHIR).repository(repo).enrich(false).port(0).build().start();
    var upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
    Clock clock = Clock.systemUTC();
    BreakGlass glass = new BreakGlass(clock, Duration.ofMinutes(60),
        io.custos.state.InProcessStateStore.builder().clock(clock).build().grants());
    for (Kind k : Kind.values()) {
      glass.declare(Who.DOC_GLASS.subject(), patient(k), "Unconscious patient in the emergency department");
    }
    glass.declare(Who.DOC_GLASS.subject(), GLASS_PATIENT, "Unconscious patient in the emergency department");
    AccessControl access = new AccessControl(RolePolicy.of(null, TestPaths.registry().toolNames()), new ScopeCheck(Set.of()),
        (caller, patientId) -> Who.valueOf(caller.subject().toUpperCase().replace('-', '_')).care, true, true, glass,
        Set.of("clinician", "nurse"));
    auditFile = dir.resolve("audit.jsonl");
    trail = new JsonLinesAuditTrail(auditFile);
    for (BreakGlassOverride o : BreakGlassOverride.values()) {
      var stages = TestPaths.stages(trail, upstream, clock, access).build();
      pipelines.put(o, TestPaths.path(stages, io.custos.state.InProcessStateStore.builder().clock(clock).build().proposals(),
          WriteSettings.defaults(), TestPaths.consent(upstream, clock, o)).pipeline());
    }
  }

  @AfterAll
  static void stop() {
    if (trail != null) {
      trail.close();
    }
    if (store != null) {
      store.close();
    }
  }

  /** A patient with two active Conditions, a vital sign, an immunization and a coverage; and the Consent of {@code kind}. */
  static void plant(InMemoryRepository repo, String pid, Kind kind) {
    Patient p = new Patient();
    p.setId(pid);
    p.addName().setFamily(pid).addGiven("Matrix");
    p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1970-01-01"));
    repo.put(p);
    Reference subject = new Reference("Patient/" + pid);
    List<Resource> planted = new ArrayList<>();
    Condition old = condition(pid + "-cond-old", subject, DIABETES, "2012-05-01");
    Condition recent = condition(pid + "-cond-new", subject, HYPERTENSION, "2022-03-01");
    recent.getMeta().addSecurity(CONFIDENTIALITY, "R", "restricted");
    Observation vital = new Observation();
    vital.setId(pid + "-obs");
    vital.setStatus(Observation.ObservationStatus.FINAL);
    vital.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", null)));
    vital.setCode(new CodeableConcept(new Coding("http://loinc.org", "8867-4", "Heart rate")));
    vital.setSubject(subject);
    vital.setEffective(new DateTimeType("2020-01-15"));
    Immunization imm = new Immunization();
    imm.setId(pid + "-imm");
    imm.setStatus(Immunization.ImmunizationStatus.COMPLETED);
    imm.setVaccineCode(new CodeableConcept(new Coding("http://hl7.org/fhir/sid/cvx", "140", "Influenza")));
    imm.setPatient(subject);
    imm.setOccurrence(new DateTimeType("2019-10-01"));
    Coverage cov = new Coverage();
    cov.setId(pid + "-cov");
    cov.setStatus(Coverage.CoverageStatus.ACTIVE);
    cov.setBeneficiary(subject);
    cov.setPeriod(new Period().setStartElement(new DateTimeType("2018-01-01")));
    CareTeam team = new CareTeam();
    team.setId(pid + "-team");
    team.setSubject(subject);
    team.addParticipant().setMember(new Reference("Practitioner/" + Who.DOC_TEAM.subject()));
    planted.addAll(List.of(old, recent, vital, imm, cov));
    planted.forEach(repo::put);
    repo.put(team);
    if (kind == null) {
      return;
    }
    resources.put(kind, planted);
    records.put(kind, List.of(new Rec(old.getIdPart(), "Condition", DIABETES, LocalDate.of(2012, 5, 1), false),
        new Rec(recent.getIdPart(), "Condition", HYPERTENSION, LocalDate.of(2022, 3, 1), true),
        new Rec(vital.getIdPart(), "Observation", "8867-4", LocalDate.of(2020, 1, 15), false),
        new Rec(imm.getIdPart(), "Immunization", "140", LocalDate.of(2019, 10, 1), false),
        new Rec(cov.getIdPart(), "Coverage", null, LocalDate.of(2018, 1, 1), false),
        new Rec(pid, "Patient", null, null, false)));
    consent(kind, pid, team.getIdPart()).ifPresent(repo::put);
  }

  static Condition condition(String id, Reference subject, String code, String onset) {
    Condition c = new Condition();
    c.setId(id);
    c.setSubject(subject);
    c.setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)));
    c.setCode(new CodeableConcept(new Coding(SNOMED, code, null)));
    c.setOnset(new DateTimeType(onset));
    return c;
  }

  static Optional<Consent> consent(Kind kind, String pid, String team) {
    if (kind == Kind.NONE) {
      return Optional.empty();
    }
    Consent c = new Consent();
    c.setId("consent-" + pid);
    c.setStatus(Consent.ConsentState.ACTIVE);
    c.setPatient(new Reference("Patient/" + pid));
    c.setScope(new CodeableConcept(new Coding(ConsentEvaluator.CONSENT_SCOPE,
        kind == Kind.RESEARCH_OPT_OUT ? "research" : "patient-privacy", null)));
    var root = c.getProvision();
    switch (kind) {
      case ACTOR -> root.setType(Consent.ConsentProvisionType.DENY).addProvision().addActor()
          .setReference(new Reference("Organization/org-a"));
      case PURPOSE -> root.setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
          .addPurpose(new Coding(PurposeOfUse.SYSTEM, "HPAYMT", null));
      case CLASS -> root.setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
          .addClass_(new Coding("http://hl7.org/fhir/resource-types", "Immunization", null))
          .addClass_(new Coding("http://hl7.org/fhir/resource-types", "Communication", null));
      case CODE -> root.setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
          .addCode(new CodeableConcept(new Coding(SNOMED, DIABETES, null)));
      case DATA_PERIOD -> root.setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
          .setDataPeriod(new Period().setEnd(END_2019));
      case SECURITY_LABEL -> root.setType(Consent.ConsentProvisionType.PERMIT).addProvision().setType(Consent.ConsentProvisionType.DENY)
          .addSecurityLabel(new Coding(CONFIDENTIALITY, "R", null))
          .addProvision().addActor().setReference(new Reference("CareTeam/" + team));
      case NESTED -> root.setType(Consent.ConsentProvisionType.DENY).addProvision()
          .addPurpose(new Coding(PurposeOfUse.SYSTEM, "TREAT", null))
          .addProvision().addCode(new CodeableConcept(new Coding(SNOMED, DIABETES, null)));
      case RESEARCH_OPT_OUT -> root.setType(Consent.ConsentProvisionType.DENY)
          .addPurpose(new Coding(PurposeOfUse.SYSTEM, "HRESCH", null));
      case REVOKED -> {
        c.setStatus(Consent.ConsentState.INACTIVE);
        root.setType(Consent.ConsentProvisionType.DENY);
      }
      case EXPIRED -> root.setType(Consent.ConsentProvisionType.DENY)
          .setPeriod(new Period().setStart(Date.from(Instant.parse("2015-01-01T00:00:00Z"))).setEnd(END_2019));
      default -> throw new IllegalStateException();
    }
    return Optional.of(c);
  }

  // ---- the oracle, from the Consents' meaning --------------------------------------------------------------------

  /**
   * Whether the Consent of {@code kind} denies {@code who} acting for {@code purpose} on {@code type}: for one record, or
   * (empty) on the grounds of the request alone (actor, purpose, class).
   */
  static boolean denies(Kind kind, Who who, PurposeOfUse purpose, String type, Optional<Rec> rec, BreakGlassOverride override) {
    boolean research = purpose == PurposeOfUse.HRESCH;
    if (purpose == PurposeOfUse.ETREAT && override == BreakGlassOverride.PATIENT_PRIVACY) {
      return false; // every Consent but the research one is patient-privacy, and the research one never reaches treatment
    }
    boolean treat = purpose == PurposeOfUse.TREAT || purpose == PurposeOfUse.ETREAT;
    return switch (kind) {
      case ACTOR -> who == null || !who.org.equals("org-a");
      case PURPOSE -> purpose == PurposeOfUse.HPAYMT;
      case CLASS -> type.equals("Immunization") || type.equals("Communication");
      case CODE -> rec.map(r -> DIABETES.equals(r.code())).orElse(false);
      case DATA_PERIOD -> rec.map(r -> r.date() != null && !r.date().isAfter(LocalDate.of(2019, 12, 31))).orElse(false);
      case SECURITY_LABEL -> rec.map(r -> r.labelled() && (who == null || !who.team)).orElse(false);
      case NESTED -> !treat || rec.map(r -> DIABETES.equals(r.code())).orElse(false);
      case RESEARCH_OPT_OUT -> research;
      case REVOKED, EXPIRED, NONE -> false;
    };
  }

  static final SensitiveCategories SENSITIVE = new SensitiveCategories(FHIR);

  /** Whether the role policy (not the Consent) withholds {@code r} from {@code who}: excluded from both counts. */
  static boolean sensitiveWithheld(Who who, Resource r) {
    var categories = SENSITIVE.classify(r);
    return !categories.isEmpty() && !SensitiveDataPolicy.treating().permitsAll(who.caller(), categories);
  }

  // ---- the matrix ------------------------------------------------------------------------------------------------

  @Test
  void everyProvisionKindOnEveryRouteRoleAndBreakGlassHasNoEscapeAndNoFalseDenial() throws Exception {
    List<String> escapes = new ArrayList<>();
    List<String> falseDenials = new ArrayList<>();
    int cells = 0;
    int denials = 0;
    RolePolicy roles = RolePolicy.of(null, TestPaths.registry().toolNames());
    for (BreakGlassOverride override : BreakGlassOverride.values()) {
      GovernancePipeline pipeline = pipelines.get(override);
      for (Kind kind : Kind.values()) {
        String pid = patient(kind);
        for (Who who : Who.values()) {
          Set<String> allowed = roles.roles().get(who.role);
          for (var tool : READS.entrySet()) {
            if (!allowed.contains(tool.getKey())) {
              continue;
            }
            cells++;
            String cell = override + " " + kind + " " + who + " " + tool.getKey();
            ToolOutcome out = pipeline.handle(new ToolCall(tool.getKey(), Map.of("patient_id", pid), Optional.of(who.caller()), "s", "127.0.0.1"));
            if (!who.care && !who.glass) {
              assertThat(out.error()).as(cell).isEqualTo(Reason.NO_CARE_RELATIONSHIP);
              continue;
            }
            String type = tool.getValue();
            boolean refused = denies(kind, who, who.purpose(), type, Optional.empty(), override);
            if (refused) {
              denials++;
              if (out.error() != Reason.CONSENT) {
                escapes.add(cell + ": expected refusal, got " + (out.error() == null ? "a result" : out.error()));
              }
              continue;
            }
            if (out.error() != null) {
              falseDenials.add(cell + ": refused " + out.error());
              continue;
            }
            Set<String> expected = new TreeSet<>();
            int expectedWithheld = 0;
            for (Rec r : records.get(kind)) {
              if (!r.type().equals(type)) {
                continue;
              }
              Resource res = resources.get(kind).stream().filter(x -> x.getIdElement().getIdPart().equals(r.id())).findFirst()
                  .orElse(null);
              if (denies(kind, who, who.purpose(), type, Optional.of(r), override)) {
                expectedWithheld++;
                denials++;
              } else if (res != null && sensitiveWithheld(who, res)) {
                expectedWithheld++;
              } else {
                expected.add(r.id());
              }
            }
            Set<String> got = ids(out);
            for (String id : got) {
              if (!expected.contains(id)) {
                escapes.add(cell + ": returned " + id);
              }
            }
            for (String id : expected) {
              if (!got.contains(id)) {
                falseDenials.add(cell + ": withheld " + id);
              }
            }
            if (!type.equals("Patient") && withheld(out) != expectedWithheld) {
              escapes.add(cell + ": withheld count " + withheld(out) + ", expected " + expectedWithheld);
            }
          }
          if (allowed.contains("send_patient_message")) {
            cells++;
            String cell = override + " " + kind + " " + who + " send_patient_message";
            ToolOutcome out = pipeline.handle(new ToolCall("send_patient_message",
                Map.of("patient_id", pid, "subject", "Results", "text", "Your results are ready."), Optional.of(who.caller()), "s", "127.0.0.1"));
            if (!who.care && !who.glass) {
              assertThat(out.error()).as(cell).isEqualTo(Reason.NO_CARE_RELATIONSHIP);
            } else if (denies(kind, who, who.purpose(), "Communication", Optional.empty(), override)) {
              denials++;
              if (out.error() != Reason.CONSENT) {
                escapes.add(cell + ": expected refusal, got " + (out.error() == null ? "a proposal" : out.error()));
              }
            } else if (out.error() != null) {
              falseDenials.add(cell + ": refused " + out.error());
            }
          }
        }
      }
      // Research: the cohort of every planted patient (all have the diabetes Condition) less those the Consents exclude.
      cells++;
      Caller researcher = new Caller("researcher-1", "matrix-client", Optional.empty(), Set.of("researcher"), Set.of("user/*.rs"),
          Optional.empty(), true, "tok-researcher", Instant.now().plus(Duration.ofHours(1)));
      int expected = FILLERS;
      for (Kind kind : Kind.values()) {
        Rec diabetes = records.get(kind).get(0);
        if (denies(kind, null, PurposeOfUse.HRESCH, "Condition", Optional.of(diabetes), override)) {
          denials++;
        } else {
          expected++;
        }
      }
      ToolOutcome count = pipeline.handle(new ToolCall("cohort_count", Map.of("snomed_code", DIABETES, "age_band", "any"),
          Optional.of(researcher), "s", "127.0.0.1"));
      assertThat(count.error()).isNull();
      int got = ((Number) count.structured().get("count")).intValue();
      if (got > expected) {
        escapes.add(override + " cohort_count: " + got + ", expected " + expected);
      } else if (got < expected) {
        falseDenials.add(override + " cohort_count: " + got + ", expected " + expected);
      }
    }
    assertThat(escapes).as("escapes").isEmpty();
    assertThat(falseDenials).as("false denials").isEmpty();
    assertThat(cells).as("matrix cells").isGreaterThan(300);
    assertThat(denials).as("decisions that deny (the matrix exercises denial)").isGreaterThan(60);
  }

  @Test
  void decisionsAndOverridesAreAuditedByConsentHashAndProvisionPath() throws Exception {
    String pid = patient(Kind.ACTOR);
    Caller nurse = Who.NURSE.caller();
    assertThat(pipelines.get(BreakGlassOverride.NONE).handle(new ToolCall("get_vital_signs", Map.of("patient_id", pid),
        Optional.of(nurse), "s", "127.0.0.1")).error()).isEqualTo(Reason.CONSENT);
    assertThat(pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("get_vital_signs", Map.of("patient_id", pid),
        Optional.of(Who.DOC_GLASS.caller()), "s", "127.0.0.1")).error()).isNull();
    Consent consent = new Consent();
    consent.setId("consent-" + pid);
    String hash = ConsentDirectives.consentHash(consent);
    List<JsonNode> results = resultEvents(e -> e.path("tool").asText().equals("get_vital_signs"));
    assertThat(results).anySatisfy(e -> {
      assertThat(e.path("outcome").asText()).isEqualTo("consent");
      assertThat(e.path("consent").toString()).contains(hash + "#provision:deny\"");
    });
    assertThat(results).anySatisfy(e -> {
      assertThat(e.path("outcome").asText()).isEqualTo("success");
      assertThat(e.path("breakGlass").asBoolean()).isTrue();
      assertThat(e.path("consent").toString()).contains(hash + "#provision:deny:break-the-glass");
    });
    assertThat(Files.readString(auditFile)).doesNotContain("consent-" + pid);

    // The research route records the Consents that left patients out (the opt-out), in its result event too.
    Caller researcher = new Caller("researcher-audit", "matrix-client", Optional.empty(), Set.of("researcher"),
        Set.of("user/*.rs"), Optional.empty(), true, "tok-researcher-audit", Instant.now().plus(Duration.ofHours(1)));
    assertThat(pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("cohort_count",
        Map.of("snomed_code", DIABETES, "age_band", "any"), Optional.of(researcher), "s", "127.0.0.1")).error()).isNull();
    Consent optOut = new Consent();
    optOut.setId("consent-" + patient(Kind.RESEARCH_OPT_OUT));
    String optOutHash = ConsentDirectives.consentHash(optOut);
    List<JsonNode> research = resultEvents(e -> e.path("subject").asText().equals("researcher-audit"));
    assertThat(research).singleElement().satisfies(e -> assertThat(e.path("consent").toString()).contains(optOutHash + "#provision"));
  }

  /** The RESULT events of the audit trail that {@code which} accepts. */
  static List<JsonNode> resultEvents(java.util.function.Predicate<JsonNode> which) throws java.io.IOException {
    List<JsonNode> events = new ArrayList<>();
    for (String line : Files.readAllLines(auditFile)) {
      JsonNode e = new ObjectMapper().readTree(line);
      if ("RESULT".equals(e.path("phase").asText()) && which.test(e)) {
        events.add(e);
      }
    }
    return events;
  }

  @Test
  void aDirectoryLookupWithholdsAPatientWhoseConsentDeniesTheCaller() {
    Map<String, Object> args = Map.of("family", patient(Kind.ACTOR), "birthdate", "1970-01-01");
    ToolOutcome outsider = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("find_patient", args,
        Optional.of(Who.NURSE.caller()), "s", "127.0.0.1"));
    assertThat(ids(outsider)).isEmpty();
    assertThat(withheld(outsider)).isEqualTo(1);
    ToolOutcome insider = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("find_patient", args,
        Optional.of(Who.DOC_IN.caller()), "s", "127.0.0.1"));
    assertThat(ids(insider)).containsExactly(patient(Kind.ACTOR));
  }

  @Test
  void withheldRecordsAreSignalledWithCategoryConsent() {
    ToolOutcome out = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("get_active_conditions",
        Map.of("patient_id", patient(Kind.CODE)), Optional.of(Who.DOC_IN.caller()), "s", "127.0.0.1"));
    assertThat(ids(out)).as(out.text()).containsExactly(patient(Kind.CODE) + "-cond-new");
    @SuppressWarnings("unchecked")
    Map<String, Object> withheld = (Map<String, Object>) out.structured().get("withheld");
    assertThat(withheld).containsEntry("count", 1).containsEntry("categories", List.of("consent"));
  }

  @Test
  void getPatientConsentsShowsTheActiveConsentInPlainWords() {
    ToolOutcome out = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("get_patient_consents",
        Map.of("patient_id", patient(Kind.SECURITY_LABEL)), Optional.of(Who.DOC_IN.caller()), "s", "127.0.0.1"));
    assertThat(out.error()).isNull();
    List<?> items = (List<?>) out.structured().get("items");
    assertThat(items).hasSize(1);
    assertThat(((Map<?, ?>) items.get(0)).get("rules")).isEqualTo(List.of("Permit access to all records.",
        "Except: deny access to all records labelled restricted.",
        "Except (within the exception above): permit access to all records for members of care team CareTeam/" + patient(Kind.SECURITY_LABEL) + "-team."));
    ToolOutcome revoked = pipelines.get(BreakGlassOverride.PATIENT_PRIVACY).handle(new ToolCall("get_patient_consents",
        Map.of("patient_id", patient(Kind.REVOKED)), Optional.of(Who.DOC_IN.caller()), "s", "127.0.0.1"));
    assertThat((List<?>) revoked.structured().get("items")).as("a revoked consent is not listed").isEmpty();
  }

  static Set<String> ids(ToolOutcome out) {
    Set<String> ids = new TreeSet<>();
    if (out.structured().get("items") instanceof List<?> items) {
      items.forEach(i -> ids.add(String.valueOf(((Map<?, ?>) i).get("id"))));
    }
    if (out.structured().get("patient") instanceof Map<?, ?> p) {
      ids.add(String.valueOf(p.get("id")));
    }
    return ids;
  }

  static int withheld(ToolOutcome out) {
    return out.structured().get("withheld") instanceof Map<?, ?> w && w.get("count") instanceof Number n ? n.intValue() : 0;
  }
}
