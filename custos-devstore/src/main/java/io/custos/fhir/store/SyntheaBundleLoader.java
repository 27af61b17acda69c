package io.custos.fhir.store;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Loads Synthea FHIR R4 output (transaction bundles, FHIR R4 &sect;2.36 Bundle, &sect;3.1.0.11 transactions) into an
 * {@link InMemoryRepository}.
 *
 * <p>Input: a directory containing {@code *.json} and/or {@code *.json.gz} files, each a Bundle (any type) or a
 * single resource. Files named {@code hospitalInformation*} and {@code practitionerInformation*} are loaded first
 * (in that order), then all other files in file-name order, so loading is deterministic.
 *
 * <p>For each bundle entry the loader:
 * <ol>
 *   <li>assigns a stable logical id: the resource's own id when present (Synthea always sets one), otherwise the
 *       UUID of a {@code urn:uuid:} fullUrl, otherwise the id part of the fullUrl, otherwise a name-based UUID of
 *       {@code fileName#entryIndex};</li>
 *   <li>rewrites every {@code urn:uuid:...} reference whose fullUrl was seen (in this bundle or an earlier one) to a
 *       relative {@code Type/id} reference (FHIR R4 &sect;2.36.4.1 resolving references in bundles);</li>
 *   <li>rewrites conditional references of the form {@code Type?identifier=system|value} (as Synthea writes for
 *       Practitioner, Organization and Location) to {@code Type/id} when a loaded resource of that type carries the
 *       identifier; unresolvable ones are left untouched and counted;</li>
 *   <li>completes logical references ({@code Reference.identifier} only, as in Synthea's provider bundles) with
 *       {@code reference = Type/id} when exactly one loaded resource carries the identifier.</li>
 * </ol>
 *
 * <p>Errors: {@link UncheckedIOException} if the directory or a file cannot be read;
 * {@link ca.uhn.fhir.parser.DataFormatException} if a file is not valid FHIR JSON. Logs only file counts, resource
 * counts and types, never ids, names or identifiers.
 */
public final class SyntheaBundleLoader {

  private static final Logger LOG = LoggerFactory.getLogger(SyntheaBundleLoader.class);
  private static final String URN_UUID = "urn:uuid:";

  /** Outcome of a load; contains counts only (safe to log). */
  public record LoadResult(int files, int resources, int unresolvedReferences) {}

  private final FhirContext fhirContext;
  private final InMemoryRepository repository;
  private final FhirTerser terser;
  /** fullUrl -> "Type/id", across all bundles loaded by this loader. */
  private final Map<String, String> fullUrlIndex = new HashMap<>();

  /**
   * @param repository target repository; its FHIR context (R4) is used for parsing
   */
  public SyntheaBundleLoader(InMemoryRepository repository) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.fhirContext = repository.fhirContext();
    this.terser = fhirContext.newTerser();
  }

  /**
   * Loads every {@code *.json} / {@code *.json.gz} file in {@code directory} (not recursive).
   *
   * @param directory an existing directory
   * @return counts of files, resources and unresolved references
   * @throws UncheckedIOException if the directory cannot be listed or a file cannot be read
   * @throws IllegalArgumentException if {@code directory} is not a directory
   */
  public LoadResult loadDirectory(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new IllegalArgumentException("not a directory: " + directory);
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(directory)) {
      files = list.filter(Files::isRegularFile)
          .filter(p -> {
            String n = p.getFileName().toString();
            return n.endsWith(".json") || n.endsWith(".json.gz");
          })
          .sorted(Comparator.comparingInt(SyntheaBundleLoader::loadRank)
              .thenComparing(p -> p.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list FHIR data directory", e);
    }
    int resources = 0;
    int unresolved = 0;
    for (Path file : files) {
      LoadResult r = loadFile(file);
      resources += r.resources();
      unresolved += r.unresolvedReferences();
    }
    LOG.info("Loaded {} FHIR files: {} resources, {} unresolved references", files.size(), resources, unresolved);
    return new LoadResult(files.size(), resources, unresolved);
  }

  /**
   * Loads one {@code .json} or {@code .json.gz} file holding a Bundle or a single resource.
   *
   * @throws UncheckedIOException if the file cannot be read
   */
  public LoadResult loadFile(Path file) {
    return load(parse(fhirContext, file), file.getFileName().toString());
  }

  /** Parses one {@code .json} or {@code .json.gz} file (a Bundle or a single resource). */
  static IBaseResource parse(FhirContext fhirContext, Path file) {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
         InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
         Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      return fhirContext.newJsonParser().parseResource(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read FHIR data file", e);
    }
  }

  /**
   * Loads an already parsed Bundle (its entries) or a single resource.
   *
   * @param parsed a Bundle or any resource
   * @param sourceName a name used only to derive ids for entries that have none
   */
  public LoadResult load(IBaseResource parsed, String sourceName) {
    List<Resource> resources = new ArrayList<>();
    if (parsed instanceof Bundle bundle) {
      int index = 0;
      for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
        Resource resource = entry.getResource();
        if (resource == null) {
          index++;
          continue;
        }
        String type = resource.fhirType();
        String id = chooseId(resource, entry.getFullUrl(), sourceName, index++);
        resource.setIdElement(new IdType(type, id));
        if (entry.hasFullUrl()) {
          fullUrlIndex.put(entry.getFullUrl(), type + "/" + id);
        }
        resources.add(resource);
      }
    } else if (parsed instanceof Resource resource) {
      String id = chooseId(resource, null, sourceName, 0);
      resource.setIdElement(new IdType(resource.fhirType(), id));
      resources.add(resource);
    }
    // Index identifiers first so that conditional references within the same bundle resolve.
    for (Resource r : resources) {
      repository.put(r);
    }
    int unresolved = 0;
    for (Resource r : resources) {
      for (Reference ref : terser.getAllPopulatedChildElementsOfType(r, Reference.class)) {
        if (!resolve(ref)) {
          unresolved++;
        }
      }
    }
    // Re-index now that references are relative (the patient index reads subject/patient references).
    for (Resource r : resources) {
      repository.put(r);
    }
    return new LoadResult(1, resources.size(), unresolved);
  }

  /** @return false if the reference is a urn:uuid or conditional reference that could not be resolved */
  private boolean resolve(Reference ref) {
    if (!ref.hasReference()) {
      resolveLogical(ref);
      return true;
    }
    String value = ref.getReference();
    if (value.startsWith(URN_UUID)) {
      String target = fullUrlIndex.get(value);
      if (target == null) {
        return false;
      }
      ref.setReference(target);
      return true;
    }
    int q = value.indexOf('?');
    if (q > 0 && !value.startsWith("http")) {
      String type = value.substring(0, q);
      String target = resolveConditional(type, value.substring(q + 1));
      if (target == null) {
        return false;
      }
      ref.setReference(type + "/" + target);
      return true;
    }
    return true;
  }

  /**
   * Logical reference (R4 &sect;2.3.0.1, {@code Reference.identifier} without {@code reference}), as Synthea writes in
   * its provider bundles: adds {@code reference = Type/id} when exactly one loaded resource (of
   * {@code Reference.type}, if given) carries that identifier. The identifier is kept.
   */
  private void resolveLogical(Reference ref) {
    if (!ref.hasIdentifier() || !ref.getIdentifier().hasValue()) {
      return;
    }
    List<String> hits = repository.referencesByIdentifier(ref.getIdentifier().getSystem(),
        ref.getIdentifier().getValue());
    if (ref.hasType()) {
      String prefix = ref.getType() + "/";
      hits = hits.stream().filter(h -> h.startsWith(prefix)).toList();
    }
    if (hits.size() == 1) {
      ref.setReference(hits.get(0));
    }
  }

  /** Resolves {@code identifier=system|value} (the only criterion Synthea uses); null if not found. */
  private String resolveConditional(String type, String query) {
    for (String part : query.split("&")) {
      int eq = part.indexOf('=');
      if (eq < 0 || !"identifier".equals(part.substring(0, eq))) {
        continue;
      }
      String token = URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      int bar = token.indexOf('|');
      String system = bar < 0 ? null : token.substring(0, bar);
      String code = bar < 0 ? token : token.substring(bar + 1);
      var id = repository.idByIdentifier(type, system, code);
      if (id.isPresent()) {
        return id.get();
      }
    }
    return null;
  }

  private static String chooseId(Resource resource, String fullUrl, String sourceName, int index) {
    String own = resource.getIdElement().getIdPart();
    if (own != null && !own.isBlank()) {
      if (own.startsWith(URN_UUID)) {
        return own.substring(URN_UUID.length());
      }
      if (!own.contains(":")) {
        return own;
      }
    }
    if (fullUrl != null && !fullUrl.isBlank()) {
      if (fullUrl.startsWith(URN_UUID)) {
        return fullUrl.substring(URN_UUID.length());
      }
      String idPart = new IdType(fullUrl).getIdPart();
      if (idPart != null && !idPart.isBlank() && !idPart.contains(":")) {
        return idPart;
      }
    }
    return UUID.nameUUIDFromBytes((sourceName + "#" + index).getBytes(StandardCharsets.UTF_8)).toString();
  }

  private static int loadRank(Path p) {
    String n = p.getFileName().toString();
    if (n.startsWith("hospitalInformation")) {
      return 0;
    }
    if (n.startsWith("practitionerInformation")) {
      return 1;
    }
    return 2;
  }
}
