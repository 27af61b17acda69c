package io.custos.bench;

import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.phi.SyntheaFixture;
import java.nio.file.Path;

/**
 * The shared upstream of the benchmark, in its own JVM so its CPU is measured apart: the embedded FHIR R4 store
 * with the Synthea fixture (5 patients). Prints {@code READY <baseUrl>} and runs until standard input closes
 * (so it never outlives the driver that started it).
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.BenchUpstream [fixtureDir]}
 */
public final class BenchUpstream {
  private BenchUpstream() {}

  public static void main(String[] args) throws Exception {
    Path fixture = args.length > 0 ? Path.of(args[0]) : SyntheaFixture.directory();
    EmbeddedFhirStore store = EmbeddedFhirStore.builder().dataDirectory(fixture)
        .referenceInstant(SyntheaFixture.REFERENCE).port(0).build().start();
    System.out.println("READY " + store.baseUrl());
    System.out.flush();
    BenchProcess.awaitStdinClosed();
    store.close();
  }
}
