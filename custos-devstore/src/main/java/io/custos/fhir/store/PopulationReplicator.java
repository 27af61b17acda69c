package io.custos.fhir.store;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Grows a small Synthea population to N synthetic patients by copying its patient bundles under new ids, for
 * scaling benchmarks (generating 10,000 patients with Synthea takes hours on a small machine).
 *
 * <p>Copy {@code k} of a patient bundle (FHIR R4 &sect;2.36 Bundle, one Patient and its records, as Synthea writes
 * them) is the bundle with:
 * <ul>
 *   <li>every entry's logical id and {@code urn:uuid:} fullUrl replaced by {@link #replicaId(String, int)};</li>
 *   <li>every {@code Reference.reference} to an entry of the same bundle ({@code urn:uuid:<id>} or
 *       {@code Type/<id>}) rewritten to that entry's new id, so the copy's reference graph is the template's;</li>
 *   <li>every {@code Identifier.value} equal to an entry id replaced the same way (Synthea's own identifiers);</li>
 *   <li>the Patient's other identifiers (MRN, SSN, driver's licence, passport) varied digit by digit and its family
 *       names suffixed with the copy number, so copies are distinct people with valid-looking identifiers.</li>
 * </ul>
 * Conditional references to the shared provider bundles ({@code Practitioner?identifier=...}) are kept, so every
 * copy is cared for by the template's practitioners and organizations (care relationships hold as in the template).
 * Copy 0 is the template itself. The mapping is deterministic: a name-based UUID (RFC 9562 version 3) of the copy
 * number and the template id, so the same N always yields the same ids, and ids of different copies never collide.
 *
 * <p>Synthetic data only; nothing here is PHI.
 */
public final class PopulationReplicator {
  private static final String URN_UUID = "urn:uuid:";

  private final FhirTerser terser;

  /** @param fhirContext an R4 context */
  public PopulationReplicator(FhirContext fhirContext) {
    this.terser = fhirContext.newTerser();
  }

  /**
   * The id of copy {@code copy} of the resource with id {@code id}.
   *
   * @param id a template logical id (any string)
   * @param copy 0 or more; 0 returns {@code id}
   * @return {@code id} for copy 0, otherwise the name-based UUID of {@code "replica|<copy>|<id>"}
   */
  public static String replicaId(String id, int copy) {
    if (copy < 0) {
      throw new IllegalArgumentException("copy must be >= 0");
    }
    return copy == 0 ? id : UUID.nameUUIDFromBytes(("replica|" + copy + "|" + id).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /**
   * A deep copy of {@code template} as copy {@code copy} (see the class description). The template is not changed.
   *
   * @param template a patient bundle whose entries carry ids or {@code urn:uuid:} fullUrls
   * @param copy 0 or more
   * @return a new bundle
   */
  public Bundle replicate(Bundle template, int copy) {
    Bundle out = template.copy();
    if (copy == 0) {
      return out;
    }
    Map<String, String> ids = new HashMap<>();
    for (Bundle.BundleEntryComponent e : out.getEntry()) {
      if (e.getFullUrl() != null && e.getFullUrl().startsWith(URN_UUID)) {
        String old = e.getFullUrl().substring(URN_UUID.length());
        ids.put(old, replicaId(old, copy));
      }
      ownId(e.getResource()).ifPresent(old -> ids.put(old, replicaId(old, copy)));
    }
    for (Bundle.BundleEntryComponent e : out.getEntry()) {
      if (e.getFullUrl() != null && e.getFullUrl().startsWith(URN_UUID)) {
        e.setFullUrl(URN_UUID + ids.get(e.getFullUrl().substring(URN_UUID.length())));
      }
      Resource r = e.getResource();
      if (r == null) {
        continue;
      }
      ownId(r).ifPresent(old -> r.setIdElement(new IdType(r.fhirType(), ids.get(old))));
      for (Reference ref : terser.getAllPopulatedChildElementsOfType(r, Reference.class)) {
        if (ref.hasReference()) {
          ref.setReference(rewrite(ref.getReference(), ids));
        }
      }
      for (Identifier identifier : terser.getAllPopulatedChildElementsOfType(r, Identifier.class)) {
        String value = identifier.getValue();
        if (value != null && ids.containsKey(value)) {
          identifier.setValue(ids.get(value));
        } else if (value != null && r instanceof Patient) {
          identifier.setValue(vary(value, copy));
        }
      }
      if (r instanceof Patient p) {
        for (HumanName name : p.getName()) {
          if (name.hasFamily()) {
            name.setFamily(name.getFamily() + "-" + copy);
          }
        }
      }
    }
    return out;
  }

  /** The resource's logical id without a {@code urn:uuid:} prefix (HAPI keeps the fullUrl form for bundle entries). */
  static Optional<String> ownId(Resource r) {
    String id = r == null ? null : r.getIdElement().getIdPart();
    if (id == null || id.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(id.startsWith(URN_UUID) ? id.substring(URN_UUID.length()) : id);
  }

  /** {@code urn:uuid:<old>} or {@code Type/<old>} -> the same form with the new id; anything else unchanged. */
  private static String rewrite(String reference, Map<String, String> ids) {
    if (reference.startsWith(URN_UUID)) {
      String id = ids.get(reference.substring(URN_UUID.length()));
      return id == null ? reference : URN_UUID + id;
    }
    int slash = reference.indexOf('/');
    if (slash > 0 && reference.indexOf('?') < 0 && reference.indexOf(':') < 0) {
      String id = ids.get(reference.substring(slash + 1));
      return id == null ? reference : reference.substring(0, slash + 1) + id;
    }
    return reference;
  }

  /** Each decimal digit shifted by a SHA-256-derived amount: same shape (e.g. an SSN stays 999-99-9999), new value. */
  static String vary(String value, int copy) {
    byte[] h = SyntheaEnrichment.sha256(copy + "|" + value);
    StringBuilder s = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      s.append(Character.isDigit(c) && c < 128 ? (char) ('0' + (c - '0' + (h[i % h.length] & 0xff)) % 10) : c);
    }
    String varied = s.toString();
    return varied.equals(value) ? value + "-" + copy : varied;
  }

  /**
   * Loads a Synthea directory grown to {@code patients} patients: the provider bundles ({@code hospitalInformation*},
   * {@code practitionerInformation*}) once, then patient bundles in file-name order, copy 0 of each, then copy 1 of
   * each, and so on until {@code patients} bundles are loaded (each bundle holds one Patient).
   *
   * @param repository target (its context must be R4)
   * @param directory a directory of Synthea {@code *.json}/{@code *.json.gz} bundles
   * @param patients number of patient bundles to load, 1 or more
   * @param keepTypes resource types to keep from patient bundles (empty: all); Patient is always kept
   * @return the number of resources loaded
   * @throws UncheckedIOException if a file cannot be read
   * @throws IllegalArgumentException if {@code patients < 1} or the directory holds no patient bundle
   */
  public long load(InMemoryRepository repository, Path directory, int patients, Set<String> keepTypes) {
    if (patients < 1) {
      throw new IllegalArgumentException("patients must be >= 1");
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(directory)) {
      files = list.filter(p -> p.getFileName().toString().matches(".*\\.json(\\.gz)?")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list FHIR data directory", e);
    }
    SyntheaBundleLoader providers = new SyntheaBundleLoader(repository);
    long loaded = 0;
    for (String prefix : List.of("hospitalInformation", "practitionerInformation")) {
      for (Path f : files) {
        if (f.getFileName().toString().startsWith(prefix)) {
          loaded += providers.loadFile(f).resources();
        }
      }
    }
    List<Bundle> templates = new ArrayList<>();
    for (Path f : files) {
      String n = f.getFileName().toString();
      if (!n.startsWith("hospitalInformation") && !n.startsWith("practitionerInformation")) {
        templates.add(keep((Bundle) SyntheaBundleLoader.parse(repository.fhirContext(), f), keepTypes));
      }
    }
    if (templates.isEmpty()) {
      throw new IllegalArgumentException("no patient bundles in the directory");
    }
    for (int i = 0; i < patients; i++) {
      // A loader per bundle: a patient bundle's urn:uuid references stay inside it, providers resolve by identifier.
      loaded += new SyntheaBundleLoader(repository)
          .load(replicate(templates.get(i % templates.size()), i / templates.size()), "replica-" + i).resources();
    }
    return loaded;
  }

  private static Bundle keep(Bundle bundle, Set<String> types) {
    if (!types.isEmpty()) {
      bundle.getEntry().removeIf(e -> e.getResource() != null && !(e.getResource() instanceof Patient)
          && !types.contains(e.getResource().fhirType()));
    }
    return bundle;
  }
}
