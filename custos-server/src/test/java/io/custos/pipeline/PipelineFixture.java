package io.custos.pipeline;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.tools.ToolCatalog;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;

/**
 * Real components for pipeline tests: the embedded FHIR store loaded with the Synthea fixture, a
 * {@link HapiFhirUpstream} to it, and helpers to build callers, calls and to read the JSON Lines audit file.
 * Each test class starts one store in its {@code @BeforeAll} and closes it in {@code @AfterAll}.
 */
final class PipelineFixture {
  /** The fixture's simulation end time (fixtures/synthea/README.md). */
  static final Instant REFERENCE = Instant.parse("2026-01-01T00:00:00Z");
  /** Patient A: the fixture patient with the most data (517 labs, 34 notes, 34 encounters). */
  static final String PATIENT_A = "79590754-4679-dafd-8aab-103706580fff";
  /** Patient B: another living fixture patient. */
  static final String PATIENT_B = "1e621f4c-db30-c273-49e9-2dcad508a9cb";
  /** Patient ids of the fixture (= patient bundle file names). */
  static final List<String> ALL_PATIENTS = List.of("069b5064-ff05-2225-3995-f32685518bc6", PATIENT_B,
      "347ceebf-0248-5a56-14f3-e1e8e8ffb73c", "7353e17f-0cd5-5b0a-c736-92b9ca5f8366", PATIENT_A);
  static final byte[] PSEUDONYM_KEY = io.custos.routes.TestPaths.PSEUDONYM_KEY;
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final FhirContext FHIR = FhirContext.forR4Cached();

  final EmbeddedFhirStore store;
  final HapiFhirUpstream upstream;

  private PipelineFixture(EmbeddedFhirStore store) {
    this.store = store;
    this.upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
  }

  /** Starts the embedded store on an ephemeral loopback port with the Synthea fixture. */
  static PipelineFixture start() {
    URL url = PipelineFixture.class.getResource("/fixtures/synthea");
    assumeTrue(url != null, "Synthea fixture not present");
    Path dir;
    try {
      dir = Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return new PipelineFixture(EmbeddedFhirStore.builder().fhirContext(FHIR).dataDirectory(dir).port(0)
        .referenceInstant(REFERENCE).build().start());
  }

  void close() {
    store.close();
  }

  GovernancePipeline pipeline(AuditTrail trail) {
    return pipeline(trail, upstream, Clock.systemUTC());
  }

  static GovernancePipeline pipeline(AuditTrail trail, FhirUpstream upstream, Clock clock) {
    return io.custos.routes.TestPaths.pipeline(io.custos.routes.TestPaths.stages(trail, upstream, clock, access(clock)));
  }

  static io.custos.policy.AccessControl access(Clock clock) {
    return io.custos.policy.TestAccess.withoutCareRelationships(clock);
  }

  static String pseudonym(String patientId) {
    return new PatientPseudonyms(PSEUDONYM_KEY).tokenize(patientId);
  }

  /** A clinician: user-level read/search on every resource type. */
  static Caller user(String subject, String... scopes) {
    return new Caller(subject, "test-client", Optional.of("Practitioner/" + subject), Set.of("clinician"),
        Set.of(scopes.length == 0 ? new String[] {"user/*.rs"} : scopes), Optional.empty(), true,
        "tokhash-" + subject, Instant.now().plus(Duration.ofHours(1)));
  }

  /** A patient-bound caller (SMART launch context). */
  static Caller patientBound(String subject, String patientId, String... scopes) {
    return new Caller(subject, "test-client", Optional.of("Patient/" + patientId), Set.of("patient"),
        Set.of(scopes.length == 0 ? new String[] {"patient/*.rs"} : scopes), Optional.of(patientId), true,
        "tokhash-" + subject, Instant.now().plus(Duration.ofHours(1)));
  }

  /** Number of records the result reports as withheld (sensitive categories), 0 when none. */
  static int withheld(ToolOutcome out) {
    return out.structured().get("withheld") instanceof Map<?, ?> w && w.get("count") instanceof Number n ? n.intValue() : 0;
  }

  static ToolCall call(Caller caller, String tool, Map<String, Object> args) {
    return new ToolCall(tool, args, Optional.ofNullable(caller), "session-1", "127.0.0.1");
  }

  Patient patient(String id) {
    return (Patient) store.repository().get("Patient", id).orElseThrow();
  }

  /** Every family and given name of every fixture patient (for "no names in the audit" checks). */
  List<String> allPatientNames() {
    List<String> names = new ArrayList<>();
    for (var r : store.repository().all("Patient")) {
      for (HumanName n : ((Patient) r).getName()) {
        if (n.hasFamily()) {
          names.add(n.getFamily());
        }
        n.getGiven().stream().map(StringType::getValue).forEach(names::add);
      }
    }
    return names;
  }

  /** Ids of the patient's encounters, in store order. */
  List<String> encounterIds(String patientId) {
    return store.repository().forPatient("Encounter", patientId).stream()
        .map(r -> r.getIdElement().getIdPart()).toList();
  }

  static List<JsonNode> readAudit(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(MAPPER.readTree(line));
      }
    }
    return out;
  }

  static List<String> phases(List<JsonNode> events) {
    return events.stream().map(e -> e.get("phase").asText()).toList();
  }
}
