package io.custos.bench.jmh;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.deid.DeidContext;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Safe Harbor de-identification per resource ({@link DeIdentifier#deidentify}, default
 * {@link DeidConfig#safeHarbor} rules, keyed pseudonyms) on fixture resources: the first Patient, and that
 * patient's Condition, Observation and Encounter with the longest JSON.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DeIdentifyBenchmark {
  private DeIdentifier deid;
  private DeidContext context;
  private Patient patient;
  private Condition condition;
  private Observation observation;
  private Encounter encounter;

  @Setup
  public void setUp() {
    FhirContext fhir = FhirContext.forR4Cached();
    InMemoryRepository repo = SyntheaFixture.load();
    patient = SyntheaFixture.patients(repo).stream().min(Comparator.comparing(Patient::getIdPart)).orElseThrow();
    var parser = fhir.newJsonParser();
    Comparator<org.hl7.fhir.instance.model.api.IBaseResource> size =
        Comparator.comparingInt(r -> parser.encodeResourceToString(r).length());
    String id = patient.getIdPart();
    condition = (Condition) repo.forPatient("Condition", id).stream().max(size).orElseThrow();
    observation = (Observation) repo.forPatient("Observation", id).stream().max(size).orElseThrow();
    encounter = (Encounter) repo.forPatient("Encounter", id).stream().max(size).orElseThrow();
    deid = new DeIdentifier(fhir, DeidConfig.safeHarbor("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8),
        LocalDate.of(2026, 1, 1)));
    context = DeidContext.of(patient);
  }

  @Benchmark
  public Patient deidPatient() {
    return deid.deidentify(patient, context);
  }

  @Benchmark
  public Condition deidCondition() {
    return deid.deidentify(condition, context);
  }

  @Benchmark
  public Observation deidObservation() {
    return deid.deidentify(observation, context);
  }

  @Benchmark
  public Encounter deidEncounter() {
    return deid.deidentify(encounter, context);
  }
}
