package io.custos.verify;

import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.NoteKey;
import io.custos.verify.checkpoint.SignedNote;
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
import java.util.Optional;

/**
 * {@code pruned-ranges.txt}: the append-only record of entry ranges whose segment ciphertext was deleted after
 * the HIPAA retention period (45 CFR 164.316(b)(2): six years from creation). One line per pruned segment:
 * {@code custos-pruned/v2 <first> <end exclusive> <pruned at ISO-8601> <retention days> <segment file> <origin>
 * <signature>}, where {@code <signature>} is the base64 signature field (key ID and Ed25519 signature) of a C2SP
 * signed note by the checkpoint key valid at the prune time, named after the ledger's origin, over
 * {@link Range#noteText(String)}: the record's fields, one per line. Ledgers pruned before records were signed hold
 * {@code custos-pruned/v1} lines, the same without the last two fields.
 * Pruned entries keep their leaf hashes in {@link LeafHashFile} and every checkpoint stays, so the RFC 9162
 * tree still verifies against its signed roots; pruned ranges always form a prefix 0..end of the log.
 */
public final class PrunedRanges {
  public static final String FILE = "pruned-ranges.txt";
  /** Six years (2192 days, counting leap days), the retention of 45 CFR 164.316(b)(2). */
  public static final long DEFAULT_RETENTION_DAYS = 2192;
  static final String TAG = "custos-pruned/v1";
  /** First field of a signed record, and first line of the signed note text. */
  static final String SIGNED_TAG = "custos-pruned/v2";

  private PrunedRanges() {}

  /**
   * One pruned segment.
   *
   * @param note the signed note over {@link #noteText(String)}; empty in records written before they were signed
   */
  public record Range(long first, long end, Instant prunedAt, long retentionDays, String segment, Optional<SignedNote> note) {
    /** An unsigned record (sign it with {@link #signed}). */
    public Range(long first, long end, Instant prunedAt, long retentionDays, String segment) {
      this(first, end, prunedAt, retentionDays, segment, Optional.empty());
    }

    /** @return the text a signature covers: tag, origin, first, end, pruned-at, retention days, segment, one per line */
    public String noteText(String origin) {
      return SIGNED_TAG + "\norigin " + origin + "\nfirst " + first + "\nend " + end + "\npruned-at " + prunedAt
          + "\nretention-days " + retentionDays + "\nsegment " + segment + "\n";
    }

    /**
     * @return this record carrying {@code note}, one signature by the key named after the ledger's origin over
     *     {@link #noteText(String)}
     * @throws IllegalArgumentException if the note does not have that shape
     */
    public Range signed(SignedNote note) {
      if (note.signatures().size() != 1 || !note.text().equals(noteText(note.signatures().get(0).name()))) {
        throw new IllegalArgumentException("a pruned-range record is signed once, over its own fields");
      }
      return new Range(first, end, prunedAt, retentionDays, segment, Optional.of(note));
    }

    /** @return the ledger origin the signature names; empty if unsigned */
    public Optional<String> origin() {
      return note.map(n -> n.signatures().get(0).name());
    }

    /** @return true if signed by {@code key} (under its pinned origin, if any) over exactly these fields */
    public boolean verifiedBy(CheckpointKey key) {
      Optional<String> origin = origin();
      return origin.isPresent() && key.origin().map(origin.get()::equals).orElse(true)
          && new NoteKey(origin.get(), key.publicKey()).verifies(note.get());
    }

    /** The record's line (without the newline), as stored in the file or in a database row. */
    public String toLine() {
      String fields = " " + first + " " + end + " " + prunedAt + " " + retentionDays + " " + segment;
      return note.map(n -> SIGNED_TAG + fields + " " + origin().orElseThrow() + " " + n.signatures().get(0).base64())
          .orElse(TAG + fields);
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
        boolean signed = p.length == 8 && p[0].equals(SIGNED_TAG);
        if (!signed && (p.length != 6 || !p[0].equals(TAG))) {
          throw new IllegalArgumentException();
        }
        Range r = new Range(Long.parseLong(p[1]), Long.parseLong(p[2]), Instant.parse(p[3]), Long.parseLong(p[4]), p[5]);
        if (signed) {
          r = r.signed(new SignedNote(r.noteText(p[6]), List.of(SignedNote.Signature.of(p[6], p[7]))));
        }
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
