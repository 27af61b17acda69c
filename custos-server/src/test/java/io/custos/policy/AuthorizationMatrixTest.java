package io.custos.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.auth.JwtAuthenticator;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.emergency.EmergencyAccess;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException.Reason;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.net.InetAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every role x every tool x (own patient, patient outside the care relationship, that patient with
 * break-the-glass active), through the real {@link GovernancePipeline} with a real {@link AccessControl}
 * (default roles, SMART scopes, care relationships from the FHIR data, MFA and break-the-glass required),
 * for callers established from REAL tokens (mock-oauth2-server) validated by {@link JwtAuthenticator}.
 * The expected outcome is computed from {@link RolePolicy#DEFAULT_ROLES}; the test fails on any escape
 * (success where a denial is expected) and on any false denial.
 */
class AuthorizationMatrixTest {
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";
  static final String CLIENT = "custos-matrix-client";
  /** Own patient: the fixture patient with the most data. */
  static final String P1 = "79590754-4679-dafd-8aab-103706580fff";
  /** Outside patient: another living fixture patient. */
  static final String P2 = "1e621f4c-db30-c273-49e9-2dcad508a9cb";
  static final List<String> ROLES = List.of("clinician", "nurse", "front-desk", "billing", "researcher", "compliance-officer",
      "patient");
  static final Set<String> BREAK_GLASS_ROLES = Set.of("clinician", "nurse");
  static final String REASON = "Unconscious patient in the emergency department, no relatives reachable";
  static final Set<Reason> ACCESS_DENIALS = Set.of(Reason.FORBIDDEN, Reason.NO_CARE_RELATIONSHIP, Reason.INSUFFICIENT_SCOPE,
      Reason.MFA_REQUIRED);
  static final FhirContext FHIR = FhirContext.forR4Cached();
  static final ObjectMapper MAPPER = new ObjectMapper();

  enum Column { OWN, OUTSIDE, BREAK_GLASS }

  @TempDir
  static Path dir;
  static EmbeddedFhirStore store;
  static MockOAuth2Server oauth;
  static JwtAuthenticator authenticator;
  static ToolCatalog catalog;
  static GovernancePipeline pipeline;
  static JsonLinesAuditTrail trail;
  static Path auditFile;
  static String practitioner;
  static final Map<String, Map<String, Object>> findArgs = new HashMap<>();
  static final Map<String, String> encounterOf = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    URL url = AuthorizationMatrixTest.class.getResource("/fixtures/synthea");
    assumeTrue(url != null, "Synthea fixture not present");
    store = EmbeddedFhirStore.builder().fhirContext(FHIR).dataDirectory(Path.of(url.toURI())).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    practitioner = practitionerOfP1Only();
    for (String p : List.of(P1, P2)) {
      Patient pt = (Patient) store.repository().get("Patient", p).orElseThrow();
      findArgs.put(p, Map.of("family", pt.getNameFirstRep().getFamily(), "birthdate", pt.getBirthDateElement().getValueAsString()));
      encounterOf.put(p, store.repository().forPatient("Encounter", p).get(0).getIdElement().getIdPart());
    }

    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    authenticator = JwtAuthenticator.remote(new JwtAuthenticator.Settings(oauth.issuerUrl(ISSUER_ID).toString(), AUDIENCE,
        List.of("at+jwt"), List.of("RS256", "ES256"), Duration.ofSeconds(60), "roles", List.of("mfa"), List.of()),
        oauth.jwksUrl(ISSUER_ID).toString());

    Clock clock = Clock.systemUTC();
    catalog = ToolCatalog.readTools();
    var upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
    AccessControl access = new AccessControl(
        RolePolicy.of(null, io.custos.routes.Routes.registry(catalog, io.custos.writes.WriteTools.standard()).toolNames()),
        new ScopeCheck(Set.of()),
        new FhirCareRelationship(upstream, clock, Duration.ofMinutes(5)),
        true, true, new BreakGlass(clock, Duration.ofMinutes(60), io.custos.state.InProcessStateStore.builder().clock(clock).build().grants()), BREAK_GLASS_ROLES);
    auditFile = dir.resolve("audit").resolve("audit.jsonl");
    trail = new JsonLinesAuditTrail(auditFile);
    pipeline = io.custos.routes.TestPaths.pipeline(io.custos.routes.TestPaths.stages(trail, upstream, clock, access)
        .audit(trail, new PatientPseudonyms("matrix-test-pseudonym-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8))));
  }

  @AfterAll
  static void stop() {
    if (trail != null) {
      trail.close();
    }
    if (oauth != null) {
      oauth.shutdown();
    }
    if (store != null) {
      store.close();
    }
  }

  /**
   * A Practitioner who is an Encounter participant of P1 and appears in no Encounter, CareTeam or
   * generalPractitioner of P2, computed from the fixture.
   */
  static String practitionerOfP1Only() {
    Set<String> p2 = new TreeSet<>();
    store.repository().forPatient("Encounter", P2).forEach(r -> ((Encounter) r).getParticipant()
        .forEach(p -> p2.add(p.getIndividual().getReference())));
    store.repository().forPatient("CareTeam", P2).forEach(r -> ((CareTeam) r).getParticipant()
        .forEach(p -> p2.add(p.getMember().getReference())));
    ((Patient) store.repository().get("Patient", P2).orElseThrow()).getGeneralPractitioner()
        .forEach(r -> p2.add(r.getReference()));
    Map<String, Integer> p1 = new LinkedHashMap<>();
    store.repository().forPatient("Encounter", P1).forEach(r -> ((Encounter) r).getParticipant().stream()
        .map(p -> p.getIndividual().getReference()).filter(ref -> ref != null && ref.startsWith("Practitioner/"))
        .forEach(ref -> p1.merge(ref, 1, Integer::sum)));
    p2.forEach(p1::remove);
    assertThat(p1).as("a practitioner with encounters of P1 only").isNotEmpty();
    return p1.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  // --- callers from real tokens --------------------------------------------------------------

  /**
   * A caller from a real, validated token. Staff roles hold {@code user/*.rs} with the practitioner as
   * {@code fhirUser}; the patient role holds what a patient-facing app gets: {@code patient/*.rs} with P1 as
   * the launch context and {@code fhirUser} (a patient never has a practitioner identity).
   */
  static Caller caller(String subject, String role, boolean mfa, Optional<Instant> authTime) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("roles", List.of(role));
    claims.put("client_id", CLIENT);
    if (role.equals("patient")) {
      claims.put("scope", "openid fhirUser launch/patient patient/*.rs");
      claims.put("patient", P1);
      claims.put("fhirUser", "Patient/" + P1);
    } else {
      claims.put("scope", "openid fhirUser user/*.rs");
      claims.put("fhirUser", practitioner);
    }
    if (mfa) {
      claims.put("amr", List.of("pwd", "otp", "mfa"));
    }
    authTime.ifPresent(t -> claims.put("auth_time", t.getEpochSecond()));
    String token = oauth.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt",
        List.of(AUDIENCE), claims, 3600)).serialize();
    Caller c = authenticator.authenticate(Optional.of(token));
    assertThat(c.subject()).isEqualTo(subject);
    assertThat(c.mfa()).isEqualTo(mfa);
    return c;
  }

  static Caller caller(String subject, String role) {
    return caller(subject, role, true, Optional.of(Instant.now()));
  }

  static Map<String, Object> args(String tool, String patientId) {
    return switch (tool) {
      case "find_patient" -> findArgs.get(patientId);
      case "get_encounter" -> Map.of("patient_id", patientId, "encounter_id", encounterOf.get(patientId));
      case EmergencyAccess.TOOL -> Map.of("patient_id", patientId, "reason", REASON);
      default -> Map.of("patient_id", patientId);
    };
  }

  static ToolOutcome run(Caller caller, String tool, Map<String, Object> args, String session) {
    ToolCall call = new ToolCall(tool, args, Optional.of(caller), session, "127.0.0.1");
    return pipeline.handle(call);
  }

  static ToolOutcome declare(Caller caller, String patientId, Object reason) {
    Map<String, Object> a = new HashMap<>();
    a.put("patient_id", patientId);
    if (reason != null) {
      a.put("reason", reason);
    }
    return pipeline.handle(new ToolCall(EmergencyAccess.TOOL, a, Optional.of(caller), "btg-session",
        "127.0.0.1"));
  }

  /** The outcome the policy demands, from {@link RolePolicy#DEFAULT_ROLES} (and the default break-the-glass roles). */
  static boolean expectedAllowed(String role, String tool, Column column) {
    if (tool.equals(EmergencyAccess.TOOL)) {
      return BREAK_GLASS_ROLES.contains(role);
    }
    if (!RolePolicy.DEFAULT_ROLES.get(role).contains(tool)) {
      return false;
    }
    if (!catalog.find(tool).orElseThrow().patientScoped()) {
      return true;
    }
    return column == Column.OWN || (column == Column.BREAK_GLASS && BREAK_GLASS_ROLES.contains(role));
  }

  static List<JsonNode> audit() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(auditFile, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(MAPPER.readTree(line));
      }
    }
    return out;
  }

  // --- the matrix ----------------------------------------------------------------------------

  @Test
  void everyRoleTimesEveryToolTimesOwnOutsideAndBreakGlassHasZeroEscapesAndZeroFalseDenials() {
    List<String> tools = new ArrayList<>(catalog.tools().stream().map(ToolSpec::name).toList());
    assertThat(tools).hasSize(14);
    tools.add(EmergencyAccess.TOOL); // last in each column: it activates a grant for its subject
    assertThat(RolePolicy.DEFAULT_ROLES.keySet()).containsExactlyInAnyOrderElementsOf(ROLES);

    List<String> escapes = new ArrayList<>();
    List<String> falseDenials = new ArrayList<>();
    List<String> wrongReasons = new ArrayList<>();
    Map<Column, int[]> tally = new EnumMap<>(Column.class);
    int cells = 0;
    for (String role : ROLES) {
      for (Column column : Column.values()) {
        // One identity per role and column, so a grant declared in one column cannot leak into another.
        Caller caller = caller(role + "-" + column.name().toLowerCase(), role);
        String patient = column == Column.OWN ? P1 : P2;
        if (column == Column.BREAK_GLASS) {
          ToolOutcome declared = declare(caller, P2, REASON);
          assertThat(declared.isError()).as("%s declares break-the-glass: %s", role, declared.text())
              .isEqualTo(!BREAK_GLASS_ROLES.contains(role));
        }
        for (String tool : tools) {
          cells++;
          boolean expected = expectedAllowed(role, tool, column);
          ToolOutcome outcome = run(caller, tool, args(tool, patient), "matrix-" + role);
          String cell = role + " x " + tool + " x " + column;
          tally.computeIfAbsent(column, c -> new int[2])[outcome.isError() ? 1 : 0]++;
          if (!outcome.isError() && !expected) {
            escapes.add(cell + " -> SUCCESS");
          } else if (outcome.isError() && expected) {
            falseDenials.add(cell + " -> " + outcome.text());
          } else if (outcome.isError()) {
            if (!ACCESS_DENIALS.contains(outcome.error())) {
              wrongReasons.add(cell + " -> " + outcome.text());
            }
            assertThat(outcome.structured()).as(cell).isNull();
          } else {
            assertThat(outcome.structured()).as(cell).isNotNull();
          }
        }
      }
    }
    tally.forEach((column, counts) -> System.out.printf("matrix %s: %d allowed, %d denied%n", column, counts[0], counts[1]));
    assertThat(cells).isEqualTo(ROLES.size() * 15 * 3);
    assertThat(escapes).as("ESCAPES (success where the policy demands denial)").isEmpty();
    assertThat(falseDenials).as("FALSE DENIALS").isEmpty();
    assertThat(wrongReasons).as("denied, but not by access control").isEmpty();
    // The matrix is not trivially all-deny or all-allow in any column.
    tally.forEach((column, counts) -> assertThat(counts).as("%s [allowed, denied]", column).doesNotContain(0));
  }

  @Test
  void careRelationshipComesFromTheFhirData() {
    Caller clinician = caller("clinician-care", "clinician");
    assertThat(run(clinician, "get_active_conditions", args("get_active_conditions", P1), "s").isError()).isFalse();
    ToolOutcome outside = run(clinician, "get_active_conditions", args("get_active_conditions", P2), "s");
    assertThat(outside.error()).isEqualTo(Reason.NO_CARE_RELATIONSHIP);
    // The same person without a fhirUser has no relationship with anyone.
    assertThat(new FhirCareRelationship(new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of()),
        Clock.systemUTC(), Duration.ofMinutes(1)).exists(new Caller("x", CLIENT, Optional.empty(), Set.of("clinician"),
        Set.of("user/*.rs"), Optional.empty(), true, "h", Instant.now().plusSeconds(60)), P1)).isFalse();
  }

  // --- break-the-glass -----------------------------------------------------------------------

  @Test
  void breakGlassIsRefusedForRolesNotAllowedToDeclareIt() {
    for (String role : ROLES) {
      if (BREAK_GLASS_ROLES.contains(role)) {
        continue;
      }
      Caller c = caller(role + "-btg-refused", role);
      ToolOutcome declared = declare(c, P2, REASON);
      assertThat(declared.error()).as(role).isEqualTo(Reason.FORBIDDEN);
      assertThat(declared.structured()).isNull();
      ToolOutcome after = run(c, "get_patient_demographics", args("get_patient_demographics", P2), "s");
      assertThat(after.isError()).as("%s after a refused declaration", role).isTrue();
    }
  }

  @Test
  void breakGlassIsRefusedWithoutAReason() {
    for (String role : BREAK_GLASS_ROLES) {
      Caller c = caller(role + "-btg-noreason", role);
      for (Object reason : new Object[] {null, "", "   ", "emergency", "x".repeat(19), "  " + "y".repeat(18) + "  ",
          "z".repeat(501), 42}) {
        ToolOutcome declared = declare(c, P2, reason);
        assertThat(declared.error()).as("%s, reason %s", role, reason).isEqualTo(Reason.INVALID_ARGUMENTS);
      }
      assertThat(run(c, "get_active_conditions", args("get_active_conditions", P2), "s").error())
          .isEqualTo(Reason.NO_CARE_RELATIONSHIP);
    }
  }

  @Test
  void breakGlassIsRefusedWithoutAFreshMfaSignIn() {
    for (String role : BREAK_GLASS_ROLES) {
      Map<String, Caller> stale = Map.of(
          "MFA 30 minutes ago", caller(role + "-btg-stale", role, true, Optional.of(Instant.now().minus(Duration.ofMinutes(30)))),
          "MFA 11 minutes ago", caller(role + "-btg-stale11", role, true, Optional.of(Instant.now().minus(Duration.ofMinutes(11)))),
          "fresh sign-in without MFA", caller(role + "-btg-nomfa", role, false, Optional.of(Instant.now())),
          "no auth_time", caller(role + "-btg-noauthtime", role, true, Optional.empty()));
      stale.forEach((why, c) -> {
        ToolOutcome declared = declare(c, P2, REASON);
        assertThat(declared.error()).as("%s: %s", role, why).isEqualTo(Reason.MFA_REQUIRED);
        assertThat(run(c, "get_patient_demographics", args("get_patient_demographics", P2), "s").isError()).as(why).isTrue();
      });
      // A fresh MFA sign-in (within the 10-minute window) is accepted.
      Caller fresh = caller(role + "-btg-fresh", role, true, Optional.of(Instant.now().minus(Duration.ofMinutes(9))));
      assertThat(declare(fresh, P2, REASON).isError()).isFalse();
    }
  }

  @Test
  void callsUnderBreakGlassAreAuditedAsEmergencyTreatment() throws Exception {
    String subject = "nurse-btg-audited";
    Caller nurse = caller(subject, "nurse");
    assertThat(run(nurse, "get_vital_signs", args("get_vital_signs", P2), "s").error()).isEqualTo(Reason.NO_CARE_RELATIONSHIP);
    ToolOutcome declared = declare(nurse, P2, REASON);
    assertThat(declared.isError()).as(declared.text()).isFalse();
    assertThat(declared.structured()).containsEntry("patient_id", P2).containsKey("active_until");
    for (String tool : List.of("get_vital_signs", "get_active_conditions", "get_encounter")) {
      assertThat(run(nurse, tool, args(tool, P2), "s").isError()).as(tool).isFalse();
    }
    assertThat(run(nurse, "get_allergies", args("get_allergies", P1), "s").isError()).isFalse(); // own patient: ordinary

    List<JsonNode> events = audit().stream().filter(e -> e.path("subject").asText().equals(subject)).toList();
    String p2Ref = new PatientPseudonyms("matrix-test-pseudonym-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8)).tokenize(P2);
    List<JsonNode> declarationEvents = events.stream().filter(e -> e.path("tool").asText().equals(EmergencyAccess.TOOL)).toList();
    assertThat(declarationEvents).extracting(e -> e.path("phase").asText()).containsExactly("INTENT", "RESULT"); // one pair
    JsonNode declaration = declarationEvents.get(1);
    assertThat(declaration.path("outcome").asText()).isEqualTo("break_the_glass_declared");
    assertThat(declaration.path("breakGlass").asBoolean()).isTrue();
    assertThat(declaration.path("breakGlassReason").asText()).isEqualTo(REASON);
    assertThat(declaration.path("purposeOfUse").asText()).isEqualTo("ETREAT");

    // The intent is durable before the patient is bound, so the purpose of use is on each call's RESULT.
    List<JsonNode> underGlass = events.stream().filter(e -> !e.path("tool").asText().equals(EmergencyAccess.TOOL)
        && e.path("patientRefs").toString().contains(p2Ref) && e.path("phase").asText().equals("RESULT")
        && e.path("outcome").asText().equals("success")).toList();
    assertThat(underGlass).hasSize(3); // one RESULT for each of the three calls
    for (JsonNode e : underGlass) {
      assertThat(e.path("breakGlass").asBoolean()).as(e.toString()).isTrue();
      assertThat(e.path("purposeOfUse").asText()).as(e.toString()).isEqualTo("ETREAT");
      assertThat(e.path("breakGlassReason").asText()).isEqualTo(REASON);
      assertThat(e.toString()).doesNotContain(P2);
    }
    // The refused call before the declaration, and calls on the own patient, are ordinary treatment.
    Set<String> underGlassCalls = underGlass.stream().map(e -> e.path("callId").asText()).collect(Collectors.toSet());
    List<JsonNode> ordinary = events.stream().filter(e -> !underGlassCalls.contains(e.path("callId").asText())
        && !declarationEvents.contains(e)).toList();
    assertThat(ordinary).isNotEmpty();
    for (JsonNode e : ordinary) {
      assertThat(e.path("breakGlass").asBoolean()).as(e.toString()).isFalse();
      assertThat(e.path("purposeOfUse").asText()).as(e.toString()).isEqualTo("TREAT");
    }
  }
}
