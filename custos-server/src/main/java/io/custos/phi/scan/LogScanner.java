package io.custos.phi.scan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Searches text files (server logs, the alert log, SIEM and audit exports; {@code .gz} rotations too) for patient
 * identifiers, as whole words and case-insensitively (an identifier counts only where it is not part of a longer
 * run of letters or digits). Text is read as UTF-8. Files it cannot read as text are counted, never silently passed:
 * binary files (a NUL byte in their first 8 KiB) of the sealed directories (the server's encrypted ledger and keys)
 * as sealed, every other binary file, UTF-16 or UTF-32 text (a byte-order mark) and archives other than gzip
 * ({@code .zip}, {@code .bz2}, {@code .xz}, ...) as skipped, which makes the result inconclusive. Cost is linear in the text: each word of a line is looked up by its first token, so thousands of
 * patients do not slow the scan down. A finding keeps the file, line number and identifier kind, never the value.
 */
public final class LogScanner {
  private static final int SNIFF = 8192;
  /** Compressed or archive formats this scanner does not decompress. */
  private static final List<String> UNREAD_ARCHIVES = List.of(".zip", ".bz2", ".xz", ".zst", ".7z", ".lz4", ".lzma", ".z");
  private final Map<String, List<Candidate>> byFirstToken = new HashMap<>();
  private final int identifiers;

  /** One identifier: its lower-case text and how many characters precede its first token. */
  private record Candidate(String text, int lead, IdentifierKind kind) {}

  /** @param identifiers what to search for */
  public LogScanner(PatientIdentifiers identifiers) {
    identifiers.byKind().forEach((kind, values) -> values.forEach(v -> {
      String lower = v.toLowerCase(Locale.ROOT);
      int start = 0;
      while (start < lower.length() && !word(lower.charAt(start))) {
        start++;
      }
      int end = start;
      while (end < lower.length() && word(lower.charAt(end))) {
        end++;
      }
      if (end > start) {
        byFirstToken.computeIfAbsent(lower.substring(start, end), k -> new ArrayList<>()).add(new Candidate(lower, start, kind));
      }
    }));
    this.identifiers = identifiers.size();
  }

  /** Scans {@code roots} with no sealed directory. @see #scan(List, Clock, Set, Set) */
  public PhiScanResult scan(List<Path> roots, Clock clock, Set<Path> excluded) throws IOException {
    return scan(roots, clock, excluded, Set.of());
  }

  /**
   * Scans every regular file of {@code roots} (a directory is walked; symbolic links are not followed). The result's
   * coverage names the roots and the sealed files; the caller adds what else it knows.
   *
   * @param excluded absolute paths left out
   * @param sealed   absolute directories whose binary files are the server's own encrypted stores (counted as sealed)
   * @throws IOException when a root or a file cannot be read
   */
  public PhiScanResult scan(List<Path> roots, Clock clock, Set<Path> excluded, Set<Path> sealed) throws IOException {
    long files = 0;
    long lines = 0;
    long skipped = 0;
    long sealedFiles = 0;
    long found = 0;
    List<PhiScanResult.Finding> findings = new ArrayList<>();
    for (Path root : roots) {
      List<Path> all;
      try (Stream<Path> walk = Files.walk(root)) {
        all = walk.filter(Files::isRegularFile).filter(f -> !excluded.contains(f.toAbsolutePath())).sorted().toList();
      }
      for (Path f : all) {
        Path abs = f.toAbsolutePath();
        if (unreadArchive(f)) {
          skipped++;
          continue;
        }
        Sniff look = sniff(f);
        if (look == Sniff.BINARY && sealed.stream().anyMatch(abs::startsWith)) {
          sealedFiles++;
          continue;
        }
        if (look != Sniff.TEXT) {
          skipped++;
          continue;
        }
        files++;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(open(f), StandardCharsets.UTF_8))) {
          long n = 0;
          for (String line = in.readLine(); line != null; line = in.readLine()) {
            n++;
            for (IdentifierKind kind : kinds(line)) {
              found++;
              if (findings.size() < PhiScanResult.MAX_LOCATIONS) {
                findings.add(new PhiScanResult.Finding(f.toAbsolutePath().toString(), n, kind));
              }
            }
          }
          lines += n;
        }
      }
    }
    return new PhiScanResult(clock.instant(), files, lines, skipped, identifiers, found, findings,
        PhiScanResult.Coverage.of(roots.stream().map(r -> r.toAbsolutePath().toString()).toList(), sealedFiles));
  }

  /** The kinds of identifier found in {@code line}, each kind once. */
  List<IdentifierKind> kinds(String line) {
    String lower = line.toLowerCase(Locale.ROOT);
    List<IdentifierKind> out = new ArrayList<>();
    int i = 0;
    while (i < lower.length()) {
      if (!word(lower.charAt(i))) {
        i++;
        continue;
      }
      int end = i;
      while (end < lower.length() && word(lower.charAt(end))) {
        end++;
      }
      for (Candidate c : byFirstToken.getOrDefault(lower.substring(i, end), List.of())) {
        int from = i - c.lead();
        int to = from + c.text().length();
        if (!out.contains(c.kind()) && from >= 0 && lower.startsWith(c.text(), from)
            && (from == 0 || !word(lower.charAt(from - 1)) || c.lead() > 0)
            && (to == lower.length() || !word(lower.charAt(to)) || !word(c.text().charAt(c.text().length() - 1)))) {
          out.add(c.kind());
        }
      }
      i = end;
    }
    return out;
  }

  private static boolean word(char c) {
    return Character.isLetterOrDigit(c);
  }

  private static InputStream open(Path f) throws IOException {
    InputStream in = Files.newInputStream(f);
    return f.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
  }

  private static boolean unreadArchive(Path f) {
    String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
    return UNREAD_ARCHIVES.stream().anyMatch(name::endsWith);
  }

  /** How a file's first bytes look. */
  private enum Sniff { TEXT, BINARY, WIDE_TEXT }

  /** A gzip file's content is sniffed after decompression: a compressed ledger backup is binary too. */
  private static Sniff sniff(Path f) throws IOException {
    byte[] head = new byte[SNIFF];
    int n;
    try (InputStream in = open(f)) {
      n = in.readNBytes(head, 0, SNIFF);
    }
    // UTF-16 (FE FF, FF FE) and UTF-32 byte-order marks: the text is there, but not as UTF-8.
    if (n >= 2 && ((head[0] == (byte) 0xFE && head[1] == (byte) 0xFF) || (head[0] == (byte) 0xFF && head[1] == (byte) 0xFE))
        || n >= 4 && head[0] == 0 && head[1] == 0 && head[2] == (byte) 0xFE && head[3] == (byte) 0xFF) {
      return Sniff.WIDE_TEXT;
    }
    for (int i = 0; i < n; i++) {
      if (head[i] == 0) {
        return Sniff.BINARY;
      }
    }
    return Sniff.TEXT;
  }
}
