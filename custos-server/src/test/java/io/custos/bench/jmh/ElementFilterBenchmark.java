package io.custos.bench.jmh;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.ElementAllowlist;
import io.custos.phi.SyntheaFixture;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Observation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Element filtering per resource: {@link ElementAllowlist#apply} with the allowlists the tools declare
 * ({@code get_active_conditions} for Condition, {@code get_lab_results} for Observation) on fixture resources
 * (the Condition and the Observation with the longest JSON in the Synthea fixture).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ElementFilterBenchmark {
  private ElementAllowlist conditions;
  private ElementAllowlist observations;
  private Condition condition;
  private Observation observation;

  @Setup
  public void setUp() {
    FhirContext fhir = FhirContext.forR4Cached();
    InMemoryRepository repo = SyntheaFixture.load();
    var parser = fhir.newJsonParser();
    condition = repo.all("Condition").stream().map(Condition.class::cast)
        .max(Comparator.comparingInt(r -> parser.encodeResourceToString(r).length())).orElseThrow();
    observation = repo.all("Observation").stream().map(Observation.class::cast)
        .max(Comparator.comparingInt(r -> parser.encodeResourceToString(r).length())).orElseThrow();
    ToolCatalog catalog = ToolCatalog.readTools();
    ToolSpec c = catalog.find("get_active_conditions").orElseThrow();
    ToolSpec o = catalog.find("get_lab_results").orElseThrow();
    conditions = new ElementAllowlist(fhir, c.resourceType(), c.allowedElements());
    observations = new ElementAllowlist(fhir, o.resourceType(), o.allowedElements());
  }

  @Benchmark
  public Condition filterCondition() {
    return conditions.apply(condition);
  }

  @Benchmark
  public Observation filterObservation() {
    return observations.apply(observation);
  }
}
