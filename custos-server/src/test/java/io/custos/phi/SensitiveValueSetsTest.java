package io.custos.phi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.ValueSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checked-in value sets are FHIR ValueSets naming their source and version; lookups; organisation directories. */
class SensitiveValueSetsTest {
  private static final Path CHECKED_IN = Path.of("src/main/resources/io/custos/phi/valuesets");
  private static final String SOURCE_REFERENCE = "http://hl7.org/fhir/StructureDefinition/valueset-sourceReference";

  @Test
  void everyCheckedInFileIsIndexedParsesAndNamesItsSourceVersionAndCategory() throws IOException {
    List<String> onDisk;
    try (Stream<Path> files = Files.list(CHECKED_IN)) {
      onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
    }
    assertThat(SensitiveValueSets.builtInFiles()).containsExactlyInAnyOrderElementsOf(onDisk);
    assertThat(onDisk).hasSizeGreaterThanOrEqualTo(20);
    var parser = FhirContext.forR4Cached().newJsonParser();
    for (String name : onDisk) {
      ValueSet vs = parser.parseResource(ValueSet.class, Files.readString(CHECKED_IN.resolve(name)));
      String stem = name.substring(0, name.length() - ".json".length());
      assertThat(vs.getIdPart()).as(name).isEqualTo(stem);
      assertThat(vs.getUrl()).as(name).isEqualTo("urn:custos:valueset:" + stem);
      assertThat(vs.getVersion()).as(name).matches("\\d{4}\\.\\d{2}\\.\\d{2}");
      assertThat(vs.getPublisher()).as(name).contains("not a VSAC release");
      assertThat(vs.getDescription()).as(name).contains("Built from:").contains("NOT a VSAC expansion").contains("must refresh it from VSAC")
          .contains("policy.sensitiveValueSets");
      List<Extension> sources = vs.getExtensionsByUrl(SOURCE_REFERENCE);
      assertThat(sources).as(name + " names its published sources").isNotEmpty();
      for (Extension e : sources) {
        URI uri = URI.create(e.getValue().primitiveValue());
        assertThat(uri.getScheme()).as(name).isIn("http", "https");
        if (uri.getHost().equals("cts.nlm.nih.gov")) {
          assertThat(uri.getPath()).as(name + ": a VSAC OID").matches("/fhir/ValueSet/2\\.16\\.840\\.1\\.\\d+(\\.\\d+)+");
          assertThat(vs.getDescription()).as(name + " names the OID in words too").contains(lastArcs(uri.getPath()));
        }
      }
      var focus = vs.getUseContext().stream().filter(u -> u.getCode().getCode().equals("focus")).findFirst().orElseThrow();
      var label = focus.getValueCodeableConcept().getCodingFirstRep();
      SensitiveCategory category = SecurityLabels.builtIn().category(label.getSystem(), label.getCode()).orElseThrow();
      assertThat(name).as("file named for its category").startsWith(category.id() + "-");
      assertThat(vs.getCompose().getInclude()).as(name).isNotEmpty()
          .allSatisfy(inc -> assertThat(inc.hasConcept() || inc.hasFilter()).isTrue());
    }
    assertThat(SensitiveValueSets.builtIn().sources()).hasSize(onDisk.size()).allSatisfy(s -> assertThat(s.codes()).isPositive());
  }

  /** "2.16.840.1.113762.1.4.1142.41" is cited in the description as ".41" or in full. */
  private static String lastArcs(String path) {
    return path.substring(path.lastIndexOf('.'));
  }

  @Test
  void lookupsAreByCodeSystemAndCodeWithIcdHierarchyAndAliases() {
    SensitiveValueSets sets = SensitiveValueSets.builtIn();
    assertThat(sets.categoriesOf(SensitiveValueSets.SNOMED, "75544000")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.RXNORM, "351266")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.LOINC, "65750-2")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.ICD10CM, "F11.20")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.ICD10CM, "f1120")).as("dotless, lower case").containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.ICD10, "F11.2")).as("WHO ICD-10").containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.ICD10CM, "F17.210")).as("nicotine is not Part 2").isEmpty();
    assertThat(sets.categoriesOf(SensitiveValueSets.ICD10CM, "O99.320")).as("drug use in pregnancy")
        .containsExactlyInAnyOrder(SensitiveCategory.SUBSTANCE_USE, SensitiveCategory.REPRODUCTIVE_HEALTH);
    assertThat(sets.categoriesOf("http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "H0020")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.SNOMED, "44054006")).isEmpty();
    assertThat(sets.categoriesOf(SensitiveValueSets.SNOMED, "F11.20")).as("a code means nothing in another system").isEmpty();
    assertThat(sets.categoriesOf(null, "F11.20")).isEmpty();
    assertThat(sets.categoriesOf(SensitiveValueSets.ICD10CM, null)).isEmpty();
    assertThat(sets.covers(SensitiveValueSets.RXNORM)).isTrue();
    assertThat(sets.covers("urn:oid:1.2.3.4.local")).isFalse();
  }

  @Test
  void theCodesOfSomeCategoriesAreListedForAQueryToWithhold() {
    SensitiveValueSets sets = SensitiveValueSets.builtIn();
    var snomed = sets.withheld(SensitiveValueSets.SNOMED, java.util.Set.of(SensitiveCategory.SUBSTANCE_USE));
    assertThat(snomed.codes()).contains("7200002", "75544000").allSatisfy(c -> assertThat(sets.categoriesOf(
        SensitiveValueSets.SNOMED, c)).contains(SensitiveCategory.SUBSTANCE_USE));
    assertThat(snomed.roots()).isEmpty();
    assertThat(snomed.normalized()).isFalse();
    var icd = sets.withheld(SensitiveValueSets.ICD10, java.util.Set.of(SensitiveCategory.SUBSTANCE_USE));
    assertThat(icd.roots()).contains("F10", "F11");
    assertThat(icd.normalized()).isTrue();
    // A category not asked for is not withheld.
    assertThat(sets.withheld(SensitiveValueSets.SNOMED, java.util.Set.of(SensitiveCategory.HIV)).codes()).doesNotContain("7200002");
  }

  @Test
  void anOrganisationsVsacExpansionsAreAddedByDirectoryOrLabel(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("substance-use"));
    Files.writeString(dir.resolve("substance-use").resolve("2.16.840.1.113762.1.4.1142.41.json"), """
        {"resourceType": "ValueSet", "url": "http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113762.1.4.1142.41", "version": "20250101",
         "status": "active", "expansion": {"timestamp": "2025-01-01T00:00:00Z", "contains": [
           {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2599999", "display": "a newer buprenorphine product"},
           {"contains": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2599998"}]}]}}
        """);
    Files.writeString(dir.resolve("hiv-labelled.json"), """
        {"resourceType": "ValueSet", "url": "urn:example:hiv", "status": "active",
         "useContext": [{"code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type", "code": "focus"},
           "valueCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HIV"}]}}],
         "compose": {"include": [{"system": "http://loinc.org", "concept": [{"code": "99999-9"}]}]}}
        """);
    SensitiveValueSets sets = SensitiveValueSets.load(Optional.of(dir));
    assertThat(sets.categoriesOf(SensitiveValueSets.RXNORM, "2599999")).containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.RXNORM, "2599998")).as("nested contains").containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.categoriesOf(SensitiveValueSets.LOINC, "99999-9")).containsExactly(SensitiveCategory.HIV);
    assertThat(sets.categoriesOf(SensitiveValueSets.RXNORM, "351266")).as("built-in sets stay").containsExactly(SensitiveCategory.SUBSTANCE_USE);
    assertThat(sets.sources()).extracting(SensitiveValueSets.Source::version).contains("20250101");
    assertThat(SensitiveValueSets.builtIn().categoriesOf(SensitiveValueSets.RXNORM, "2599999")).isEmpty();
  }

  @Test
  void organisationFilesThatCannotBeEvaluatedHereAreRefusedByName(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("no-category.json"), """
        {"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": "http://loinc.org", "concept": [{"code": "1-8"}]}]}}
        """);
    assertThatThrownBy(() -> SensitiveValueSets.load(Optional.of(dir))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-category.json").hasMessageContaining("names no category");
    Files.delete(dir.resolve("no-category.json"));
    Files.createDirectories(dir.resolve("mental-health"));
    Files.writeString(dir.resolve("mental-health").resolve("snomed-isa.json"), """
        {"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": "http://snomed.info/sct",
          "filter": [{"property": "concept", "op": "is-a", "value": "74732009"}]}]}}
        """);
    assertThatThrownBy(() -> SensitiveValueSets.load(Optional.of(dir))).hasMessageContaining("snomed-isa.json")
        .hasMessageContaining("terminology server");
    Files.writeString(dir.resolve("mental-health").resolve("snomed-isa.json"), "{\"resourceType\": \"Patient\"}");
    assertThatThrownBy(() -> SensitiveValueSets.load(Optional.of(dir))).hasMessageContaining("not a FHIR R4 ValueSet");
    assertThatThrownBy(() -> SensitiveValueSets.load(Optional.of(dir.resolve("absent")))).hasMessageContaining("not a directory");
  }
}
