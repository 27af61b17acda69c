package io.custos.verify;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pruned-ranges.txt}: the append-only record of entry ranges whose segment ciphertext was deleted after
 * the HIPAA retention period (45 CFR 164.316(b)(2): six years from creation). One line per pruned segment:
 * {@code custos-pruned/v1 <first> <end exclusive> <pruned at ISO-8601> <retention days> <segment file>}.
 * Pruned entries keep their leaf hashes in {@link LeafHashFile} and every checkpoint stays, so the RFC 9162
 * tree still verifies against its signed roots; pruned ranges always form a prefix 0..end of the log.
 */
public final class PrunedRanges {
  public static final String FILE = "pruned-ranges.txt";
  /** Six years (2192 days, counting leap days), the retention of 45 CFR 164.316(b)(2). */
  public static final long DEFAULT_RETENTION_DAYS = 2192;
  static final String TAG = "custos-pruned/v1";

  private PrunedRanges() {}

  /** One pruned segment. */
  public record Range(long first, long end, Instant prunedAt, long retentionDays, String segment) {
    /** The record's line (without the newline), as stored in the file or in a database row. */
    public String toLine() {
      return TAG + " " + first + " " + end + " " + prunedAt + " " + retentionDays + " " + segment;
    }

    public long entries() {
      return end - first;
    }
  }

  /** Parsed ranges with problems (unparseable or non-contiguous lines). */
  public record Contents(List<Range> ranges, List<String> problems) {
    /** End of the contiguous pruned prefix (0 when nothing was pruned). */
    public long prefixEnd() {
      return ranges.isEmpty() ? 0 : ranges.get(ranges.size() - 1).end();
    }
  }

  /** Reads {@code dir/pruned-ranges.txt}; a missing file reads as empty; a torn last line is ignored. */
  public static Contents read(Path dir) throws IOException {
    Path f = dir.resolve(FILE);
    if (!Files.exists(f)) {
      return new Contents(new ArrayList<>(), new ArrayList<>());
    }
    return parse(Files.readString(f, StandardCharsets.UTF_8), f.toString());
  }

  /**
   * Parses newline-terminated range lines ({@code where} names their origin in problems); a last line without its
   * newline is torn and ignored.
   */
  public static Contents parse(String text, String where) {
    List<Range> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    long next = 0;
    for (int i = 0; i < lines.length - 1; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      String[] p = lines[i].trim().split(" ");
      try {
        if (p.length != 6 || !p[0].equals(TAG)) {
          throw new IllegalArgumentException();
        }
        Range r = new Range(Long.parseLong(p[1]), Long.parseLong(p[2]), Instant.parse(p[3]), Long.parseLong(p[4]), p[5]);
        if (r.first() != next || r.end() <= r.first()) {
          problems.add("line " + (i + 1) + " of " + where + ": pruned range " + r.first() + ".." + (r.end() - 1)
              + " does not continue the pruned prefix 0.." + (next - 1));
          break;
        }
        out.add(r);
        next = r.end();
      } catch (RuntimeException e) {
        problems.add("line " + (i + 1) + " of " + where + " is not a valid pruned range");
        break;
      }
    }
    return new Contents(out, problems);
  }

  /** Appends one range durably (before the segment file is deleted). */
  public static void append(Path dir, Range r) throws IOException {
    try (FileChannel ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      ByteBuffer b = ByteBuffer.wrap((r.toLine() + "\n").getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }
}
