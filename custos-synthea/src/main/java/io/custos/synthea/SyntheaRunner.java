package io.custos.synthea;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.mitre.synthea.engine.Generator;
import org.mitre.synthea.export.Exporter;
import org.mitre.synthea.helpers.Config;
import org.mitre.synthea.world.agents.Person;
import org.mitre.synthea.world.geography.Location;

/**
 * Generates a synthetic population with Synthea 3.3.0, fully offline (Synthea's bundled modules,
 * demographics and provider lists), and writes FHIR R4 transaction bundles flat into one directory:
 * one {@code <patient-uuid>.json} per patient, plus Synthea's {@code hospitalInformation*.json} and
 * {@code practitionerInformation*.json} bundles, which hold the Organization, Location,
 * Practitioner and PractitionerRole resources the patient bundles reference conditionally.
 *
 * <p>Deterministic: the same {@code --patients}, {@code --seed}, {@code --state} and
 * {@code --years-of-history} produce byte-identical output on every run, because the population
 * seed and clinician seed are both set from {@code --seed}, the simulation's reference and end time
 * are fixed to {@value #REFERENCE_TIME}, and generation runs on a single thread.
 *
 * <p>Progress goes to stderr as PHI-free lines ({@code synthea: patient 3/20 generated}). Synthea's
 * own console output (which can include patient names) is discarded unless {@code --verbose}.
 */
public final class SyntheaRunner {

  /** Fixed "now" of the simulation, so that ages, dates and history windows never drift. */
  static final String REFERENCE_TIME = "2026-01-01T00:00:00Z";

  static final String USAGE = String.join("\n",
      "usage: SyntheaRunner --patients N --seed S --out DIR [--state NAME] [--years-of-history Y]"
          + " [--only-alive] [--csv] [--verbose]",
      "  --patients N          number of patients to generate (1..100000)",
      "  --seed S              population and clinician seed (a long); same seed + N = same patients",
      "  --out DIR             output directory; FHIR R4 transaction bundles are written flat as DIR/*.json",
      "  --state NAME          US state name or abbreviation (default: Massachusetts)",
      "  --years-of-history Y  years of history kept in each record, 0 = all (default: 5)",
      "  --only-alive          generate living patients only (default: deceased patients may occur)",
      "  --csv                 also write Synthea's CSV export of the same patients to DIR/csv/",
      "  --verbose             pass Synthea's own console output through to stderr"
          + " (may include synthetic names)");

  private SyntheaRunner() {
  }

  /** Parsed command line. */
  record Options(int patients, long seed, Path out, String state, int yearsOfHistory,
      boolean onlyAlive, boolean csv, boolean verbose) {
  }

  /** Bad command line: printed as one line on stderr, then the process exits with status 2. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    // Synthea ships slf4j-api without a binding; silence its "no providers" notice.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    Options options;
    try {
      options = parse(args);
    } catch (UsageException e) {
      System.err.println("synthea: " + e.getMessage() + " (see --help)");
      System.exit(2);
      return;
    }
    if (options == null) { // --help
      System.out.println(USAGE);
      return;
    }
    try {
      long started = System.nanoTime();
      int written = run(options);
      System.err.printf(Locale.ROOT,
          "synthea: done, %d patients generated, %d bundle files written to %s (%.1fs)%n",
          options.patients(), written, options.out().toAbsolutePath().normalize(),
          (System.nanoTime() - started) / 1e9);
      System.exit(0);
    } catch (Exception | LinkageError e) {
      System.err.println("synthea: generation failed: " + e);
      System.exit(1);
    }
  }

  static Options parse(String[] args) throws UsageException {
    Integer patients = null;
    Long seed = null;
    Path out = null;
    String state = "Massachusetts";
    int years = 5;
    boolean onlyAlive = false;
    boolean csv = false;
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      switch (arg) {
        case "-h", "--help" -> {
          return null;
        }
        case "--only-alive" -> onlyAlive = true;
        case "--csv" -> csv = true;
        case "--verbose" -> verbose = true;
        case "--patients", "-p" -> {
          value = value != null ? value : next(args, ++i, arg);
          patients = (int) parseLong(arg, value, 1, 100_000);
        }
        case "--seed", "-s" -> {
          value = value != null ? value : next(args, ++i, arg);
          seed = parseLong(arg, value, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        case "--out", "-o" -> {
          value = value != null ? value : next(args, ++i, arg);
          if (value.isBlank()) {
            throw new UsageException("--out needs a directory");
          }
          out = Path.of(value);
        }
        case "--state" -> {
          value = value != null ? value : next(args, ++i, arg);
          state = value.trim();
        }
        case "--years-of-history" -> {
          value = value != null ? value : next(args, ++i, arg);
          years = (int) parseLong(arg, value, 0, 200);
        }
        default -> throw new UsageException("unknown argument '" + args[i] + "'");
      }
    }
    if (patients == null) {
      throw new UsageException("missing required --patients N");
    }
    if (seed == null) {
      throw new UsageException("missing required --seed S");
    }
    if (out == null) {
      throw new UsageException("missing required --out DIR");
    }
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new UsageException("--out " + out + " exists and is not a directory");
    }
    return new Options(patients, seed, out, canonicalState(state), years, onlyAlive, csv, verbose);
  }

  private static String next(String[] args, int i, String flag) throws UsageException {
    if (i >= args.length) {
      throw new UsageException(flag + " needs a value");
    }
    return args[i];
  }

  private static long parseLong(String flag, String value, long min, long max)
      throws UsageException {
    long v;
    try {
      v = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " must be an integer, got '" + value + "'");
    }
    if (v < min || v > max) {
      throw new UsageException(flag + " must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  /** Accepts a full state name (any case) or a two-letter abbreviation; returns Synthea's name. */
  private static String canonicalState(String state) throws UsageException {
    if (Location.getAbbreviation(state) != null) {
      return state;
    }
    String byAbbreviation = Location.getStateName(state.toUpperCase(Locale.ROOT));
    if (byAbbreviation != null) {
      return byAbbreviation;
    }
    for (String abbreviation : US_STATE_ABBREVIATIONS) {
      String name = Location.getStateName(abbreviation);
      if (name != null && name.equalsIgnoreCase(state)) {
        return name;
      }
    }
    throw new UsageException("unknown --state '" + state
        + "' (use a US state name such as Massachusetts, or its abbreviation such as MA)");
  }

  private static final List<String> US_STATE_ABBREVIATIONS = List.of(
      "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
      "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
      "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
      "VT", "VA", "WA", "WV", "WI", "WY");

  /** Generates the population; returns the number of bundle files written to the output dir. */
  static int run(Options o) throws IOException {
    Path out = o.out().toAbsolutePath().normalize();
    Files.createDirectories(out);
    // Synthea writes into <baseDirectory>/fhir/; stage there, then move the bundles up flat.
    Path staging = Files.createTempDirectory(out, ".synthea-staging-");
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    try {
      configure(o, staging);
      long referenceTime = Instant.parse(REFERENCE_TIME).toEpochMilli();

      Generator.GeneratorOptions go = new Generator.GeneratorOptions();
      go.population = o.patients();
      go.seed = o.seed();
      go.clinicianSeed = o.seed();
      go.referenceTime = referenceTime;
      go.endTime = referenceTime;
      go.threadPoolSize = 1; // the clinician RNG is shared: one thread keeps output deterministic
      go.state = o.state();
      // overflow=true would export extra deceased patients beyond N; false gives exactly N.
      go.overflow = false;

      Exporter.ExporterRuntimeOptions ero = new Exporter.ExporterRuntimeOptions();
      ero.yearsOfHistory = o.yearsOfHistory();

      // Synthea prints banners and (in "simple" mode) patient names to System.out.
      System.setOut(o.verbose() ? originalErr : new PrintStream(OutputStream.nullOutputStream()));
      if (!o.verbose()) {
        // On JDK >= 22 the JDK's ScriptEngineManager reports that Synthea's bundled GraalJS 22.3
        // cannot start; Synthea does not need it for this run, so drop that one notice.
        System.setErr(new PrintStream(new LineFilter(originalErr,
            "ScriptEngineManager providers.next():"), true, StandardCharsets.UTF_8));
      }
      ProgressGenerator generator = new ProgressGenerator(go, ero, o.patients(),
          originalErr);
      generator.run();
      if (generator.completed.get() != o.patients()) {
        throw new IOException("Synthea generated " + generator.completed.get() + " of "
            + o.patients() + " patients");
      }
      int moved = moveBundles(staging.resolve("fhir"), out);
      if (o.csv()) {
        moveCsv(staging.resolve("csv"), out.resolve("csv"));
      }
      return moved;
    } finally {
      System.setOut(originalOut);
      System.err.flush();
      System.setErr(originalErr);
      deleteRecursively(staging);
    }
  }

  private static void configure(Options o, Path staging) {
    Config.set("exporter.baseDirectory", staging.toString() + "/");
    Config.set("exporter.use_uuid_filenames", "true"); // <patient-uuid>.json: no names on disk
    Config.set("exporter.subfolders_by_id_substring", "false");
    Config.set("exporter.years_of_history", Integer.toString(o.yearsOfHistory()));
    Config.set("exporter.split_records", "false");
    Config.set("exporter.metadata.export", "false"); // run metadata embeds wall-clock times
    Config.set("exporter.pretty_print", "true");
    // FHIR R4 transaction bundles only.
    Config.set("exporter.fhir.export", "true");
    Config.set("exporter.fhir.transaction_bundle", "true");
    Config.set("exporter.fhir.bulk_data", "false");
    Config.set("exporter.fhir.use_us_core_ig", "true");
    Config.set("exporter.fhir_stu3.export", "false");
    Config.set("exporter.fhir_dstu2.export", "false");
    Config.set("exporter.groups.fhir.export", "false");
    // The hospital/practitioner bundles carry the Organization, Location, Practitioner and
    // PractitionerRole resources that patient bundles reference (Synthea's default is on).
    Config.set("exporter.hospital.fhir.export", "true");
    Config.set("exporter.practitioner.fhir.export", "true");
    Config.set("exporter.hospital.fhir_stu3.export", "false");
    Config.set("exporter.hospital.fhir_dstu2.export", "false");
    Config.set("exporter.practitioner.fhir_stu3.export", "false");
    Config.set("exporter.practitioner.fhir_dstu2.export", "false");
    // The CSV export describes the same simulated people as the FHIR bundles (a relational view of one population).
    Config.set("exporter.csv.export", Boolean.toString(o.csv()));
    Config.set("exporter.csv.append_mode", "false");
    Config.set("exporter.csv.folder_per_run", "false");
    for (String off : List.of("exporter.ccda.export",
        "exporter.text.export", "exporter.text.per_encounter_export", "exporter.json.export",
        "exporter.cpcds.export", "exporter.bfd.export", "exporter.cdw.export",
        "exporter.clinical_note.export", "exporter.symptoms.csv.export",
        "exporter.symptoms.text.export", "exporter.custom.export")) {
      Config.set(off, "false");
    }
    Config.set("exporter.enable_custom_exporters", "false");
    // Offline: no terminology server lookups.
    Config.set("generate.terminology_service_url", "");
    Config.set("generate.log_patients.detail", "none");
    Config.set("generate.thread_pool_size", "1");
    Config.set("generate.only_alive_patients", Boolean.toString(o.onlyAlive()));
    Config.set("generate.only_dead_patients", "false");
  }

  /** The CSV files written with {@code --csv}: what a relational copy of the clinical record needs. */
  static final List<String> CSV_FILES = List.of("patients.csv", "encounters.csv", "conditions.csv", "medications.csv",
      "observations.csv", "allergies.csv");

  /** Moves the {@link #CSV_FILES} from staging/csv/ into out/csv/; the rest of Synthea's CSV export is dropped. */
  private static void moveCsv(Path csvDir, Path out) throws IOException {
    Files.createDirectories(out);
    for (String name : CSV_FILES) {
      Path f = csvDir.resolve(name);
      if (!Files.isRegularFile(f)) {
        throw new IOException("Synthea wrote no " + name + " (expected in " + csvDir + ")");
      }
      Files.move(f, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Moves staging/fhir/*.json into out/, in name order; returns how many were moved. */
  private static int moveBundles(Path fhirDir, Path out) throws IOException {
    if (!Files.isDirectory(fhirDir)) {
      throw new IOException("Synthea wrote no FHIR output (expected " + fhirDir + ")");
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(fhirDir, "*.json")) {
      ds.forEach(files::add);
    }
    files.sort(Comparator.naturalOrder());
    for (Path f : files) {
      Files.move(f, out.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
    }
    return files.size();
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort cleanup of the staging directory
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** Passes bytes through line by line, dropping lines that start with a given prefix. */
  static final class LineFilter extends OutputStream {
    private final PrintStream target;
    private final byte[] dropPrefix;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

    LineFilter(PrintStream target, String dropPrefix) {
      this.target = target;
      this.dropPrefix = dropPrefix.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
      line.write(b);
      if (b == '\n') {
        emit();
      }
    }

    @Override
    public synchronized void flush() {
      emit();
      target.flush();
    }

    private void emit() {
      byte[] bytes = line.toByteArray();
      line.reset();
      if (bytes.length >= dropPrefix.length
          && java.util.Arrays.equals(bytes, 0, dropPrefix.length, dropPrefix, 0, dropPrefix.length)) {
        return;
      }
      target.write(bytes, 0, bytes.length);
    }
  }

  /** A Generator that reports each finished patient on stderr (count only, never demographics). */
  static final class ProgressGenerator extends Generator {
    final AtomicInteger completed = new AtomicInteger();
    private final int total;
    private final PrintStream progress;

    ProgressGenerator(GeneratorOptions go, Exporter.ExporterRuntimeOptions ero, int total,
        PrintStream progress) {
      super(go, ero);
      this.total = total;
      this.progress = progress;
    }

    @Override
    public Person generatePerson(int index, long personSeed) {
      Person person = super.generatePerson(index, personSeed);
      int done = completed.incrementAndGet();
      progress.println("synthea: patient " + done + "/" + total + " generated");
      progress.flush();
      return person;
    }
  }
}
