package io.custos.bench;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.fhir.store.PopulationReplicator;
import io.custos.phi.SyntheaFixture;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The scaling benchmark's upstream, in its own JVM: the embedded FHIR R4 store holding the Synthea fixture grown to
 * N patients by {@link PopulationReplicator} (copies under new ids, same practitioners), without derived
 * resources (the measured tool reads Conditions; care relationships come from Encounters and CareTeams). Prints
 * {@code LOADED <patients> <resources> <millis>} then {@code READY <baseUrl>}, and runs until standard input closes.
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.PopulationUpstream PATIENTS [Type,Type,...]}; the
 * optional list keeps only those resource types from the patient bundles (default: all).
 */
public final class PopulationUpstream {
  private PopulationUpstream() {}

  public static void main(String[] args) throws Exception {
    int patients = Integer.parseInt(args[0]);
    Set<String> types = args.length > 1 ? Arrays.stream(args[1].split(",")).collect(Collectors.toSet()) : Set.of();
    long t0 = System.nanoTime();
    InMemoryRepository repo = new InMemoryRepository(FhirContext.forR4Cached());
    long resources = new PopulationReplicator(repo.fhirContext()).load(repo, SyntheaFixture.directory(), patients, types);
    System.out.println("LOADED " + patients + " " + resources + " " + (System.nanoTime() - t0) / 1_000_000);
    EmbeddedFhirStore store = EmbeddedFhirStore.builder().repository(repo).enrich(false).port(0).build().start();
    System.out.println("READY " + store.baseUrl());
    System.out.flush();
    BenchProcess.awaitStdinClosed();
    store.close();
  }
}
