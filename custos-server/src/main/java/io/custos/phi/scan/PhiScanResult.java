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
 * fields are stable within {@value #SCHEMA}: {@code schema}, {@code scanned_at} (ISO-8601 UTC), {@code status}
 * ({@code pass} or {@code fail}), {@code files}, {@code lines}, {@code skipped_files} (binary files not read),
 * {@code identifiers} (how many values were searched for), {@code findings} (count) and {@code locations} (at most
 * {@value #MAX_LOCATIONS} of {@code file}, {@code line}, {@code kind}; never a matched value).
 *
 * @param scannedAt   when the scan finished
 * @param files       text files read
 * @param lines       lines read
 * @param skipped     binary files skipped
 * @param identifiers distinct identifier values searched for
 * @param findings    how many identifiers were found (a line with two kinds counts twice)
 * @param locations   the findings in file and line order, at most {@value #MAX_LOCATIONS}
 */
public record PhiScanResult(Instant scannedAt, long files, long lines, long skipped, int identifiers, long findings,
    List<Finding> locations) {
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

  /** Whether nothing was found. */
  public boolean passed() {
    return findings == 0;
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
    m.put("status", passed() ? "pass" : "fail");
    m.put("files", files);
    m.put("lines", lines);
    m.put("skipped_files", skipped);
    m.put("identifiers", identifiers);
    m.put("findings", findings);
    List<Map<String, Object>> where = new ArrayList<>();
    locations.forEach(f -> where.add(Map.of("file", f.file(), "line", f.line(), "kind", f.kind().code())));
    m.put("locations", where);
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
    return new PhiScanResult(Instant.parse(n.path("scanned_at").asText()), n.path("files").asLong(),
        n.path("lines").asLong(), n.path("skipped_files").asLong(), n.path("identifiers").asInt(),
        n.path("findings").asLong(), where);
  }
}
