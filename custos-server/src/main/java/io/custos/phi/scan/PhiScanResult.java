package io.custos.phi.scan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of one PHI scan, kept as {@value #FILE} in the data directory for the compliance report. The JSON
 * fields are stable within {@value #SCHEMA} (fields are added, never renamed): {@code schema}, {@code scanned_at}
 * (ISO-8601 UTC), {@code status} ({@code pass}, {@code fail} or {@code inconclusive}), {@code files}, {@code lines},
 * {@code skipped_files} (files that could hold text but were not read), {@code identifiers} (how many values were
 * searched for), {@code findings} (count), {@code locations} (at most {@value #MAX_LOCATIONS} of {@code file},
 * {@code line}, {@code kind}; never a matched value), then {@code replica} (string or null), {@code roots} (absolute
 * paths scanned), {@code data_dir} and {@code alert_log} (booleans: included), {@code patient_limit_reached},
 * {@code sealed_files} (the server's own encrypted ledger and key files, not read) and {@code inconclusive} (reasons,
 * empty unless the status is {@code inconclusive}). A document without the scope fields reads as a scan of nothing
 * known, hence inconclusive.
 *
 * @param scannedAt   when the scan finished
 * @param files       text files read
 * @param lines       lines read
 * @param skipped     files not read although they may hold text: binary outside the sealed directories, UTF-16 or
 *                    UTF-32, compressed other than gzip
 * @param identifiers distinct identifier values searched for
 * @param findings    how many identifiers were found (a line with two kinds counts twice)
 * @param locations   the findings in file and line order, at most {@value #MAX_LOCATIONS}
 * @param coverage    what was scanned and by which replica
 */
public record PhiScanResult(Instant scannedAt, long files, long lines, long skipped, int identifiers, long findings,
    List<Finding> locations, Coverage coverage) {
  /** File name of the last result in the data directory. */
  public static final String FILE = "phi-scan.json";
  /** Schema identifier of the JSON form. */
  public static final String SCHEMA = "custos.phi-scan/1";
  /** Most locations kept in the result file (the count is always complete). */
  public static final int MAX_LOCATIONS = 1000;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public PhiScanResult {
    locations = List.copyOf(locations.subList(0, Math.min(locations.size(), MAX_LOCATIONS)));
  }

  /**
   * One identifier found: where, and which kind.
   *
   * @param file absolute path of the file
   * @param line 1-based line number
   * @param kind the identifier's kind
   */
  public record Finding(String file, long line, IdentifierKind kind) {}

  /**
   * What a scan covered.
   *
   * @param replica             the replica that ran it (fleet evidence is kept per replica); empty when not recorded
   * @param roots               the files and directories walked, absolute
   * @param dataDir             whether the server's data directory was among them
   * @param alertLog            whether the alert log was scanned (inside the data directory or on its own)
   * @param patientLimitReached whether {@code --max-patients} stopped the reading of identifiers early
   * @param sealedFiles         binary files of the server's encrypted ledger and key directories, not read
   */
  public record Coverage(Optional<String> replica, List<String> roots, boolean dataDir, boolean alertLog,
      boolean patientLimitReached, long sealedFiles) {
    public Coverage {
      roots = List.copyOf(roots);
    }

    /** {@code roots} walked, nothing else known yet. */
    public static Coverage of(List<String> roots, long sealedFiles) {
      return new Coverage(Optional.empty(), roots, false, false, false, sealedFiles);
    }

    public Coverage withReplica(String id) {
      return new Coverage(Optional.of(id), roots, dataDir, alertLog, patientLimitReached, sealedFiles);
    }

    public Coverage withServerFiles(boolean dataDirScanned, boolean alertLogScanned) {
      return new Coverage(replica, roots, dataDirScanned, alertLogScanned, patientLimitReached, sealedFiles);
    }

    public Coverage withPatientLimitReached(boolean reached) {
      return new Coverage(replica, roots, dataDir, alertLog, reached, sealedFiles);
    }
  }

  /** Outcome of a scan. */
  public enum Status {
    /** Everything that should be read was read, with identifiers to look for, and none was found. */
    PASS,
    /** At least one identifier was found. */
    FAIL,
    /** Nothing was found, but the scan cannot vouch for the server's output: see {@link #inconclusiveReasons()}. */
    INCONCLUSIVE;

    /** The JSON value. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** This result with {@code c} as its coverage. */
  public PhiScanResult with(Coverage c) {
    return new PhiScanResult(scannedAt, files, lines, skipped, identifiers, findings, locations, c);
  }

  /** {@code FAIL} on any finding, else {@code INCONCLUSIVE} when there is a reason, else {@code PASS}. */
  public Status status() {
    return findings > 0 ? Status.FAIL : inconclusiveReasons().isEmpty() ? Status.PASS : Status.INCONCLUSIVE;
  }

  /** Whether nothing was found by a scan that covered what it must. */
  public boolean passed() {
    return status() == Status.PASS;
  }

  /** Why an empty result proves nothing (PHI-free sentences); empty when it proves what it should. */
  public List<String> inconclusiveReasons() {
    List<String> why = new ArrayList<>();
    if (!coverage.dataDir()) {
      why.add("the data directory was not scanned");
    }
    if (lines == 0) {
      why.add("no line was read");
    }
    if (identifiers == 0) {
      why.add("no identifier was searched for");
    }
    if (skipped > 0) {
      why.add(skipped + " file(s) not read (binary, UTF-16/UTF-32, or compressed other than gzip)");
    }
    if (coverage.patientLimitReached()) {
      why.add("--max-patients was reached: not every patient's identifiers were searched");
    }
    return why;
  }

  /** Writes {@value #FILE} into {@code dataDir} atomically (a reader never sees half a result). */
  public void save(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path tmp = Files.createTempFile(dataDir, FILE, ".tmp");
    Files.write(tmp, document());
    Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The {@value #SCHEMA} JSON document, UTF-8. */
  public byte[] document() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schema", SCHEMA);
    m.put("scanned_at", scannedAt.toString());
    m.put("status", status().code());
    m.put("files", files);
    m.put("lines", lines);
    m.put("skipped_files", skipped);
    m.put("identifiers", identifiers);
    m.put("findings", findings);
    List<Map<String, Object>> where = new ArrayList<>();
    locations.forEach(f -> where.add(Map.of("file", f.file(), "line", f.line(), "kind", f.kind().code())));
    m.put("locations", where);
    m.put("replica", coverage.replica().orElse(null));
    m.put("roots", coverage.roots());
    m.put("data_dir", coverage.dataDir());
    m.put("alert_log", coverage.alertLog());
    m.put("patient_limit_reached", coverage.patientLimitReached());
    m.put("sealed_files", coverage.sealedFiles());
    m.put("inconclusive", inconclusiveReasons());
    return JSON.writeValueAsBytes(m);
  }

  /**
   * The last result saved in {@code dataDir}; empty when no scan ran there.
   *
   * @throws IOException when the file exists but cannot be read or is not a {@value #SCHEMA} document
   */
  public static Optional<PhiScanResult> load(Path dataDir) throws IOException {
    try {
      return Optional.of(parse(Files.readAllBytes(dataDir.resolve(FILE))));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Reads a {@link #document()}. @throws IOException when it is not a {@value #SCHEMA} document */
  public static PhiScanResult parse(byte[] document) throws IOException {
    JsonNode n = JSON.readTree(document);
    if (!SCHEMA.equals(n.path("schema").asText())) {
      throw new IOException("not a " + SCHEMA + " document");
    }
    List<Finding> where = new ArrayList<>();
    for (JsonNode l : n.path("locations")) {
      where.add(new Finding(l.path("file").asText(), l.path("line").asLong(),
          IdentifierKind.valueOf(l.path("kind").asText().toUpperCase(Locale.ROOT).replace('-', '_'))));
    }
    List<String> roots = new ArrayList<>();
    n.path("roots").forEach(r -> roots.add(r.asText()));
    Coverage c = new Coverage(Optional.ofNullable(n.path("replica").textValue()), roots, n.path("data_dir").asBoolean(false),
        n.path("alert_log").asBoolean(false), n.path("patient_limit_reached").asBoolean(false),
        n.path("sealed_files").asLong());
    return new PhiScanResult(Instant.parse(n.path("scanned_at").asText()), n.path("files").asLong(),
        n.path("lines").asLong(), n.path("skipped_files").asLong(), n.path("identifiers").asInt(),
        n.path("findings").asLong(), where, c);
  }
}
