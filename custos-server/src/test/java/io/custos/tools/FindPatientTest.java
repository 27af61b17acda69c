package io.custos.tools;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.UpstreamRequest;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * find_patient cannot list the directory: it takes a complete identifier or an exact family name with a birth
 * date, sends {@code family:exact} (FHIR R4 3.1.1.5.5), and the embedded store matches it exactly. Regressions
 * for the attack run: an SSN system with an empty value (every patient with an SSN), prefix family matching,
 * wildcard-like input, comma (FHIR OR) and empty identifier values.
 */
class FindPatientTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final String SSN = "http://hl7.org/fhir/sid/us-ssn";
  private static final ToolSpec TOOL = ToolCatalog.readTools().find("find_patient").orElseThrow();
  private static final DefaultJsonSchemaValidator VALIDATOR = new DefaultJsonSchemaValidator(new ObjectMapper());

  private static EmbeddedFhirStore store;
  private static HapiFhirUpstream upstream;

  @BeforeAll
  static void start() {
    InMemoryRepository repo = new InMemoryRepository(FHIR);
    repo.put(patient("p-smith", "Smith", "1970-01-01", AdministrativeGender.FEMALE, "999-10-0001"));
    repo.put(patient("p-smithson", "Smithson", "1970-01-01", AdministrativeGender.FEMALE, "999-10-0002"));
    repo.put(patient("p-smyth", "Smyth", "1970-01-01", AdministrativeGender.MALE, "999-10-0003"));
    for (int i = 0; i < 12; i++) { // more namesakes than the tool lists
      repo.put(patient("p-lee-" + i, "Lee", "1980-05-05", AdministrativeGender.MALE, "999-20-00" + (10 + i)));
    }
    store = EmbeddedFhirStore.builder().fhirContext(FHIR).repository(repo).port(0).build().start();
    upstream = new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of());
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  private static Patient patient(String id, String family, String birthDate, AdministrativeGender gender, String ssn) {
    Patient p = new Patient();
    p.setId(id);
    p.addName().setFamily(family).addGiven("Alex");
    p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType(birthDate));
    p.setGender(gender);
    p.addIdentifier().setSystem(SSN).setValue(ssn);
    return p;
  }

  private static boolean accepted(Map<String, Object> args) {
    return VALIDATOR.validate(TOOL.inputSchema(), args).valid();
  }

  /** The ids the store returns for the tool's query built from {@code args}, at the tool's page size. */
  private static List<String> found(Map<String, Object> args) {
    UpstreamRequest request = TOOL.query().build(new ToolArguments(args), null, TOOL.maxResults());
    return upstream.execute(request).resources().stream().map(Resource::getIdPart).toList();
  }

  static Stream<Map<String, Object>> refused() {
    return Stream.of(
        // the attack run's directory dump: a system with an empty value matches every SSN holder
        Map.of("identifier", SSN + "|", "gender", "female"),
        Map.of("identifier", SSN + "|", "gender", "male"),
        // empty or incomplete identifier values
        Map.of("identifier", ""), Map.of("identifier", "|"), Map.of("identifier", "|999-10-0001"),
        Map.of("identifier", SSN + "|999-10-0001|"),
        // wildcard-like input
        Map.of("identifier", "*"), Map.of("identifier", "999%"), Map.of("identifier", "999_10_0001"),
        Map.of("family", "Sm*", "birthdate", "1970-01-01"), Map.of("family", "Sm%", "birthdate", "1970-01-01"),
        Map.of("family", "Sm_th", "birthdate", "1970-01-01"),
        // comma is FHIR OR; $ and backslash are FHIR search syntax
        Map.of("identifier", "999-10-0001,999-10-0002"), Map.of("family", "Smith,Smyth", "birthdate", "1970-01-01"),
        Map.of("identifier", "$everything"), Map.of("identifier", "999\\,1"),
        // a modifier smuggled into a value
        Map.of("identifier", ":missing"), Map.of("family", ":contains", "birthdate", "1970-01-01"),
        // a name alone is too broad
        Map.of("family", "Smith"), Map.of("gender", "female"), Map.of());
  }

  @ParameterizedTest
  @MethodSource("refused")
  void broadOrWildcardSearchesAreRefusedByTheSchema(Map<String, Object> args) {
    assertThat(accepted(args)).as("%s", args).isFalse();
  }

  @Test
  void completeIdentifiersAndFamilyWithBirthdateAreAccepted() {
    assertThat(accepted(Map.of("identifier", SSN + "|999-10-0001"))).isTrue();
    assertThat(accepted(Map.of("identifier", "MRN123"))).isTrue();
    assertThat(accepted(Map.of("identifier", "urn:oid:2.16.840.1.113883.4.1|999-10-0001"))).isTrue();
    assertThat(accepted(Map.of("family", "O'Brien-Núñez", "birthdate", "1970-01-01", "gender", "female"))).isTrue();
  }

  @Test
  void theSsnDumpWouldHaveListedEveryPatientAndACompleteSsnFindsOne() {
    // What the refused argument did: the system-only token matches all 15 patients.
    assertThat(found(Map.of("identifier", SSN + "|"))).hasSizeGreaterThan(1);
    assertThat(found(Map.of("identifier", SSN + "|999-10-0002"))).containsExactly("p-smithson");
    assertThat(found(Map.of("identifier", "999-10-0003"))).containsExactly("p-smyth");
  }

  @Test
  void familyMatchesExactlyNotByPrefix() {
    UpstreamRequest.Search request = (UpstreamRequest.Search) TOOL.query().build(
        new ToolArguments(Map.of("family", "Smith", "birthdate", "1970-01-01")), null, TOOL.maxResults());
    assertThat(request.params()).containsEntry("family:exact", List.of("Smith")).doesNotContainKey("family");

    assertThat(found(Map.of("family", "Smith", "birthdate", "1970-01-01"))).containsExactly("p-smith");
    assertThat(found(Map.of("family", "Smi", "birthdate", "1970-01-01"))).isEmpty();
    assertThat(found(Map.of("family", "Sm", "birthdate", "1970-01-01"))).isEmpty();
    assertThat(found(Map.of("family", "Smyth", "birthdate", "1970-01-01", "given", "Al"))).isEmpty();
    assertThat(found(Map.of("family", "Smyth", "birthdate", "1970-01-01", "given", "Alex"))).containsExactly("p-smyth");
  }

  @Test
  void atMostTenMatchesAndNoFurtherPages() {
    assertThat(TOOL.maxResults()).isEqualTo(10);
    assertThat(TOOL.shape()).isEqualTo(ResultShape.MATCHES);
    assertThat(properties(TOOL.inputSchema())).doesNotContainKeys("cursor", "limit");
    assertThat(properties(TOOL.outputSchema())).doesNotContainKey("next_cursor").containsKey("truncated");
    assertThat(found(Map.of("family", "Lee", "birthdate", "1980-05-05"))).hasSize(10);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> properties(Map<String, Object> schema) {
    return (Map<String, Object>) schema.get("properties");
  }

}
