package io.custos.phi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.UsageContext;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * The sensitive-data value sets: which (code system, code) puts a record in which {@link SensitiveCategory}.
 *
 * <p>Loaded once at start-up from FHIR R4 {@code ValueSet} resources: the built-in set checked in under
 * {@code io/custos/phi/valuesets/} (one file per category and code system, each naming the published value sets it
 * was compiled from), plus, when configured ({@code policy.sensitiveValueSets}), an organisation's directory of VSAC
 * FHIR expansions; the two are united (a code in either is sensitive). A value set's category is its
 * {@code useContext} of type {@code focus} holding an HL7 v3 ActCode sensitivity label (e.g. {@code ETH}), or, for
 * an organisation's file without one, the name of the directory holding it (a category id such as
 * {@code substance-use}).
 *
 * <p>A value set contributes {@code expansion.contains} (what VSAC returns) when present, else
 * {@code compose.include.concept}; {@code compose.include.filter} {@code concept is-a X} is honoured for ICD-10-CM,
 * whose hierarchy is its code prefix (a descendant's code starts with its ancestor's). Lookups are hash lookups: one
 * per code, plus for ICD-10-CM one per prefix length up to the longest is-a root (6 characters in the checked-in
 * sets). WHO ICD-10 codes are looked up in the ICD-10-CM sets (ICD-10-CM keeps ICD-10's categories); ICD codes are
 * compared without their dot and in upper case.
 */
public final class SensitiveValueSets {
  static final String SNOMED = "http://snomed.info/sct";
  static final String LOINC = "http://loinc.org";
  static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
  static final String ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm";
  static final String ICD10 = "http://hl7.org/fhir/sid/icd-10";
  static final String HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
  private static final String FOCUS = "focus";
  private static final String BUILT_IN = "/io/custos/phi/valuesets/";
  /** Other URIs in use for the same code systems (HL7 Terminology NamingSystem). */
  private static final Map<String, String> ALIASES = Map.of(ICD10, ICD10CM,
      "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", HCPCS);
  /** Code systems whose is-a hierarchy is a code prefix. */
  private static final Set<String> PREFIX_HIERARCHY = Set.of(ICD10CM);

  /**
   * One loaded value set, for review and tests.
   *
   * @param url      the ValueSet's canonical url
   * @param version  its version
   * @param file     the file it was read from (name only)
   * @param category the category its codes put a record in
   * @param codes    how many codes and is-a roots it contributed
   */
  public record Source(String url, String version, String file, SensitiveCategory category, int codes) {}

  private final Map<String, Map<String, Set<SensitiveCategory>>> exact = new HashMap<>();
  private final Map<String, Map<String, Set<SensitiveCategory>>> prefixes = new HashMap<>();
  private final List<Source> sources = new ArrayList<>();
  private final SecurityLabels labels;
  private int longestPrefix;

  private SensitiveValueSets(SecurityLabels labels) {
    this.labels = labels;
  }

  private static final class BuiltIn {
    static final SensitiveValueSets INSTANCE = load(Optional.empty());
  }

  /** The checked-in value sets (read once per process). */
  public static SensitiveValueSets builtIn() {
    return BuiltIn.INSTANCE;
  }

  /**
   * The checked-in value sets united with an organisation's directory of FHIR ValueSet JSON files (searched two levels
   * deep, so files may sit in per-category directories).
   *
   * @param organisationDirectory the directory, or empty for the checked-in sets only
   * @throws IllegalArgumentException naming the file (never its content) when a file is not a FHIR ValueSet, names no
   *                                  category, or uses a filter or value-set reference that needs a terminology server
   * @throws UncheckedIOException     when a file cannot be read
   */
  public static SensitiveValueSets load(Optional<Path> organisationDirectory) {
    SensitiveValueSets sets = new SensitiveValueSets(SecurityLabels.builtIn());
    FhirContext fhir = FhirContext.forR4Cached();
    for (String name : builtInFiles()) {
      try (InputStream in = SensitiveValueSets.class.getResourceAsStream(BUILT_IN + name)) {
        if (in == null) {
          throw new IllegalStateException("built-in value set missing: " + name);
        }
        sets.add(parse(fhir, in, name), name, Optional.empty());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read built-in value set " + name, e);
      }
    }
    organisationDirectory.ifPresent(dir -> sets.addDirectory(fhir, dir));
    return sets;
  }

  /** File names of the built-in value sets ({@code valuesets/index.txt}). */
  static List<String> builtInFiles() {
    try (InputStream in = SensitiveValueSets.class.getResourceAsStream(BUILT_IN + "index.txt")) {
      if (in == null) {
        throw new IllegalStateException("built-in value set index missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the built-in value set index", e);
    }
  }

  private void addDirectory(FhirContext fhir, Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("not a directory");
    }
    try (Stream<Path> files = Files.walk(dir, 2)) {
      for (Path f : files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        String name = f.getFileName().toString();
        Optional<SensitiveCategory> byDirectory = f.getParent().equals(dir) ? Optional.empty()
            : SensitiveCategory.byId(f.getParent().getFileName().toString());
        try (InputStream in = Files.newInputStream(f)) {
          add(parse(fhir, in, name), name, byDirectory);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the value set directory", e);
    }
  }

  private static ValueSet parse(FhirContext fhir, InputStream in, String name) {
    try {
      return fhir.newJsonParser().parseResource(ValueSet.class, in);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException(name + ": not a FHIR R4 ValueSet in JSON");
    }
  }

  private void add(ValueSet vs, String name, Optional<SensitiveCategory> byDirectory) {
    SensitiveCategory category = focus(vs).or(() -> byDirectory).orElseThrow(() -> new IllegalArgumentException(name
        + ": names no category (a useContext 'focus' with a v3-ActCode sensitivity label, or a directory named for the category)"));
    int before = size();
    if (vs.hasExpansion()) {
      addContains(vs.getExpansion().getContains(), category);
    } else {
      for (ValueSet.ConceptSetComponent inc : vs.getCompose().getInclude()) {
        if (inc.hasValueSet()) {
          throw new IllegalArgumentException(name + ": includes other value sets; supply their expansions instead");
        }
        String system = system(inc.getSystem());
        inc.getConcept().forEach(c -> put(exact, system, c.getCode(), category));
        for (ValueSet.ConceptSetFilterComponent f : inc.getFilter()) {
          if (!PREFIX_HIERARCHY.contains(system) || f.getOp() != ValueSet.FilterOperator.ISA || !"concept".equals(f.getProperty())) {
            throw new IllegalArgumentException(name + ": filter needs a terminology server (only ICD-10-CM 'concept is-a' is evaluated here); "
                + "supply the expansion instead");
          }
          String root = normalize(system, f.getValue());
          longestPrefix = Math.max(longestPrefix, root.length());
          put(prefixes, system, root, category);
        }
      }
    }
    sources.add(new Source(vs.getUrl(), vs.getVersion(), name, category, size() - before));
  }

  private void addContains(List<ValueSet.ValueSetExpansionContainsComponent> contains, SensitiveCategory category) {
    for (ValueSet.ValueSetExpansionContainsComponent c : contains) {
      if (c.hasCode() && c.hasSystem()) {
        put(exact, system(c.getSystem()), c.getCode(), category);
      }
      addContains(c.getContains(), category);
    }
  }

  private Optional<SensitiveCategory> focus(ValueSet vs) {
    for (UsageContext uc : vs.getUseContext()) {
      if (FOCUS.equals(uc.getCode().getCode()) && uc.getValue() instanceof CodeableConcept cc) {
        for (Coding c : cc.getCoding()) {
          Optional<SensitiveCategory> cat = labels.category(c.getSystem(), c.getCode());
          if (cat.isPresent()) {
            return cat;
          }
        }
      }
    }
    return Optional.empty();
  }

  private static void put(Map<String, Map<String, Set<SensitiveCategory>>> index, String system, String code, SensitiveCategory cat) {
    index.computeIfAbsent(system, s -> new HashMap<>())
        .merge(normalize(system, code), Collections.unmodifiableSet(EnumSet.of(cat)), (a, b) -> {
          Set<SensitiveCategory> both = EnumSet.copyOf(a);
          both.addAll(b);
          return Collections.unmodifiableSet(both);
        });
  }

  private int size() {
    return exact.values().stream().mapToInt(Map::size).sum() + prefixes.values().stream().mapToInt(Map::size).sum();
  }

  private static String system(String system) {
    return system == null ? "" : ALIASES.getOrDefault(system, system);
  }

  private static String normalize(String system, String code) {
    String c = code.strip();
    return PREFIX_HIERARCHY.contains(system) ? c.replace(".", "").toUpperCase(Locale.ROOT) : c;
  }

  /**
   * The categories {@code code} of {@code system} puts a record in: exact codes of every value set, and for ICD-10-CM
   * (and WHO ICD-10) the categories of each is-a root the code descends from.
   *
   * @return an unmodifiable set, empty when the code is not sensitive or either argument is null
   */
  public Set<SensitiveCategory> categoriesOf(String system, String code) {
    if (system == null || code == null) {
      return Set.of();
    }
    String sys = system(system);
    String c = normalize(sys, code);
    Set<SensitiveCategory> found = exact.getOrDefault(sys, Map.of()).getOrDefault(c, Set.of());
    Map<String, Set<SensitiveCategory>> roots = prefixes.get(sys);
    if (roots != null) {
      for (int n = Math.min(c.length(), longestPrefix); n > 0; n--) {
        Set<SensitiveCategory> more = roots.get(c.substring(0, n));
        if (more != null && !found.containsAll(more)) {
          Set<SensitiveCategory> union = found.isEmpty() ? EnumSet.noneOf(SensitiveCategory.class) : EnumSet.copyOf(found);
          union.addAll(more);
          found = Collections.unmodifiableSet(union);
        }
      }
    }
    return found;
  }

  /**
   * The codes of one system that put a record in some categories, for a query to leave such records out before it
   * reads them.
   *
   * @param codes      exact codes, compared as {@link #categoriesOf} compares them
   * @param roots      is-a roots of a code-prefix hierarchy (ICD-10-CM): a code starting with one descends from it
   * @param normalized whether a code is compared without its dots and in upper case (ICD-10-CM, WHO ICD-10)
   */
  public record Withheld(Set<String> codes, Set<String> roots, boolean normalized) {}

  /** The codes of {@code system} that put a record in any of {@code categories} (none for a null system). */
  public Withheld withheld(String system, Set<SensitiveCategory> categories) {
    String sys = system(system);
    return new Withheld(matching(exact.getOrDefault(sys, Map.of()), categories),
        matching(prefixes.getOrDefault(sys, Map.of()), categories), PREFIX_HIERARCHY.contains(sys));
  }

  private static Set<String> matching(Map<String, Set<SensitiveCategory>> index, Set<SensitiveCategory> categories) {
    return index.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(categories::contains))
        .map(Map.Entry::getKey).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }

  /** Whether any value set lists codes of {@code system} (so a concept coded in it is classified by its code). */
  public boolean covers(String system) {
    String sys = system(system);
    return exact.containsKey(sys) || prefixes.containsKey(sys);
  }

  /** The security-label mapping these value sets were categorised with. */
  SecurityLabels labels() {
    return labels;
  }

  /** Every loaded value set, built-in first. */
  public List<Source> sources() {
    return List.copyOf(sources);
  }
}
