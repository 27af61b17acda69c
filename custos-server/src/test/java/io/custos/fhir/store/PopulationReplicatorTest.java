package io.custos.fhir.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import io.custos.phi.SyntheaFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PopulationReplicatorTest {
  static final FhirContext CTX = FhirContext.forR4Cached();
  static final PopulationReplicator REPLICATOR = new PopulationReplicator(CTX);
  static List<Bundle> templates;

  @BeforeAll
  static void parseTemplates() throws Exception {
    try (Stream<Path> files = Files.list(SyntheaFixture.directory())) {
      templates = files.filter(f -> f.getFileName().toString().endsWith(".json.gz"))
          .filter(f -> !f.getFileName().toString().startsWith("hospital") && !f.getFileName().toString().startsWith("practitioner"))
          .sorted().map(f -> (Bundle) SyntheaBundleLoader.parse(CTX, f)).toList();
    }
    assertThat(templates).hasSize(5);
  }

  @Test
  void everyInBundleReferenceOfACopyPointsAtTheMappedEntryOfTheSameCopy() {
    for (Bundle template : templates) {
      for (int copy : List.of(1, 7, 1999)) {
        Bundle replica = REPLICATOR.replicate(template, copy);
        assertThat(replica.getEntry()).hasSameSizeAs(template.getEntry());
        Set<String> replicaUrls = new HashSet<>();
        replica.getEntry().forEach(e -> replicaUrls.add(e.getFullUrl()));
        int checked = 0;
        for (int i = 0; i < template.getEntry().size(); i++) {
          Resource before = template.getEntry().get(i).getResource();
          Resource after = replica.getEntry().get(i).getResource();
          assertThat(after.getIdElement().getIdPart())
              .isEqualTo(PopulationReplicator.replicaId(PopulationReplicator.ownId(before).orElseThrow(), copy));
          assertThat(replica.getEntry().get(i).getFullUrl()).isEqualTo("urn:uuid:" + after.getIdElement().getIdPart());
          List<Reference> was = CTX.newTerser().getAllPopulatedChildElementsOfType(before, Reference.class);
          List<Reference> is = CTX.newTerser().getAllPopulatedChildElementsOfType(after, Reference.class);
          assertThat(is).hasSameSizeAs(was);
          for (int r = 0; r < was.size(); r++) {
            String old = was.get(r).getReference();
            String now = is.get(r).getReference();
            if (old != null && old.startsWith("urn:uuid:")) {
              assertThat(now).isEqualTo("urn:uuid:" + PopulationReplicator.replicaId(old.substring(9), copy));
              assertThat(replicaUrls).contains(now); // resolves inside the copy, not into the template
              checked++;
            } else {
              assertThat(now).isEqualTo(old); // provider (conditional) and contained references are shared
            }
          }
        }
        assertThat(checked).as("in-bundle references checked").isGreaterThan(template.getEntry().size());
      }
    }
  }

  @Test
  void idsAreUniqueAcrossCopiesAndDeterministic() {
    Set<String> ids = new HashSet<>();
    int total = 0;
    for (Bundle template : templates) {
      for (int copy = 0; copy < 4; copy++) {
        for (var e : REPLICATOR.replicate(template, copy).getEntry()) {
          ids.add(e.getResource().fhirType() + "/" + PopulationReplicator.ownId(e.getResource()).orElseThrow());
          total++;
        }
      }
    }
    assertThat(ids).hasSize(total);
    var json = CTX.newJsonParser();
    assertThat(json.encodeResourceToString(REPLICATOR.replicate(templates.get(0), 3)))
        .isEqualTo(json.encodeResourceToString(REPLICATOR.replicate(templates.get(0), 3)));
    assertThat(json.encodeResourceToString(REPLICATOR.replicate(templates.get(0), 0)))
        .isEqualTo(json.encodeResourceToString(templates.get(0)));
  }

  @Test
  void copiesAreDistinctPeopleWithSameShapedIdentifiers() {
    Patient original = patient(templates.get(0));
    Patient copy = patient(REPLICATOR.replicate(templates.get(0), 2));
    assertThat(copy.getNameFirstRep().getFamily()).isEqualTo(original.getNameFirstRep().getFamily() + "-2");
    assertThat(copy.getIdentifier()).hasSameSizeAs(original.getIdentifier());
    for (int i = 0; i < original.getIdentifier().size(); i++) {
      Identifier was = original.getIdentifier().get(i);
      Identifier is = copy.getIdentifier().get(i);
      assertThat(is.getSystem()).isEqualTo(was.getSystem());
      assertThat(is.getValue()).isNotEqualTo(was.getValue());
    }
    assertThat(PopulationReplicator.vary("999-12-3456", 5)).matches("999-\\d\\d-\\d{4}|\\d{3}-\\d\\d-\\d{4}")
        .isNotEqualTo("999-12-3456");
    assertThat(PopulationReplicator.vary("no digits", 5)).isEqualTo("no digits-5");
  }

  @Test
  void loadedPopulationHasNPatientsWithTheirOwnRecordsAndResolvedPractitioners() {
    InMemoryRepository repo = new InMemoryRepository(CTX);
    long loaded = REPLICATOR.load(repo, SyntheaFixture.directory(), 12, Set.of("Encounter", "Condition", "CareTeam"));
    InMemoryRepository fixture = new InMemoryRepository(CTX);
    new SyntheaBundleLoader(fixture).loadDirectory(SyntheaFixture.directory());

    assertThat(repo.count("Patient")).isEqualTo(12);
    assertThat(loaded).isEqualTo(repo.size());
    assertThat(repo.types()).containsOnly("Patient", "Encounter", "Condition", "CareTeam", "Practitioner",
        "PractitionerRole", "Organization", "Location");
    List<String> templateIds = fixture.all("Patient").stream().map(r -> r.getIdElement().getIdPart()).sorted().toList();
    for (int i = 0; i < 12; i++) {
      String template = templateIds.get(i % 5);
      String id = PopulationReplicator.replicaId(template, i / 5);
      assertThat(repo.get("Patient", id)).isPresent();
      // The copy has exactly the template's records, linked to the copy, not to the template.
      assertThat(repo.forPatient("Condition", id)).hasSameSizeAs(fixture.forPatient("Condition", template));
      List<IBaseResource> encounters = repo.forPatient("Encounter", id);
      assertThat(encounters).hasSameSizeAs(fixture.forPatient("Encounter", template)).isNotEmpty();
      List<String> practitioners = new ArrayList<>();
      for (IBaseResource r : encounters) {
        assertThat(((Encounter) r).getSubject().getReference()).isEqualTo("Patient/" + id);
        ((Encounter) r).getParticipant().forEach(p -> practitioners.add(p.getIndividual().getReference()));
      }
      // Care relationships still hold: every participant is a loaded, shared Practitioner.
      assertThat(practitioners).isNotEmpty().allSatisfy(ref -> {
        assertThat(ref).startsWith("Practitioner/");
        assertThat(repo.get("Practitioner", ref.substring("Practitioner/".length()))).isPresent();
      });
    }
    assertThatThrownBy(() -> REPLICATOR.load(repo, SyntheaFixture.directory(), 0, Set.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static Patient patient(Bundle b) {
    return b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(Patient.class::isInstance)
        .map(Patient.class::cast).findFirst().orElseThrow();
  }
}
