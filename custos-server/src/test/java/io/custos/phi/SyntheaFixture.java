package io.custos.phi;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.fhir.store.SyntheaBundleLoader;
import io.custos.fhir.store.SyntheaEnrichment;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.r4.model.Patient;

/** The 5-patient Synthea fixture loaded into a fresh in-memory repository (tests only). */
public final class SyntheaFixture {
  public static final Instant REFERENCE = Instant.parse("2026-01-01T00:00:00Z");

  private SyntheaFixture() {}

  /** Directory of the fixture bundles on the test classpath. */
  public static Path directory() {
    try {
      return Path.of(SyntheaFixture.class.getResource("/fixtures/synthea").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new repository holding the fixture (enriched with Coverage and Appointment like the embedded store). */
  public static InMemoryRepository load() {
    InMemoryRepository repo = new InMemoryRepository(FhirContext.forR4Cached());
    new SyntheaBundleLoader(repo).loadDirectory(directory());
    new SyntheaEnrichment(REFERENCE).enrich(repo);
    return repo;
  }

  public static List<Patient> patients(InMemoryRepository repo) {
    return repo.all("Patient").stream().map(Patient.class::cast).toList();
  }
}
