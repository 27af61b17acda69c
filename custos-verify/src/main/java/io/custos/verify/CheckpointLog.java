package io.custos.verify;

import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.LegacyCheckpoint;
import io.custos.verify.checkpoint.NoteCheckpoint;
import io.custos.verify.checkpoint.SignedNote;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only text file of {@link Checkpoint}s ({@code checkpoints.txt}), fsynced per checkpoint. The ledger
 * keeps one in its directory; a witness keeps an independent copy elsewhere, so that rewriting or rolling back the
 * whole ledger directory is still detected (RFC 9162 section 8.2 "gossip"/witnessing).
 *
 * <p>Entries, in order: C2SP signed-note checkpoints ({@link NoteCheckpoint}), each followed by one blank line that
 * ends the entry, and, in ledgers written before signed notes, one-line {@link LegacyCheckpoint}s; both may appear in
 * one file. An entry cut short by a crash at the end of the file (no terminating blank line) is ignored, and dropped
 * before new entries are appended.
 */
public final class CheckpointLog implements AutoCloseable {
  public static final String FILE = "checkpoints.txt";

  private final FileChannel channel;

  private CheckpointLog(FileChannel channel) {
    this.channel = channel;
  }

  /** Opens (creating) the checkpoint file in {@code dir} for appending, dropping a torn last entry. */
  public static CheckpointLog open(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(FILE);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size = ch.size();
    if (size > 0) {
      ByteBuffer all = ByteBuffer.allocate((int) size);
      SegmentFormat.readFully(ch, all, 0);
      long complete = parse(new String(all.array(), StandardCharsets.UTF_8), file.toString()).completeBytes();
      if (complete != size) {
        ch.truncate(complete);
        ch.force(true);
      }
    }
    return new CheckpointLog(ch);
  }

  /** @return {@code cp} as a log entry: its text, and for a signed note the blank line that ends the entry */
  public static String entry(Checkpoint cp) {
    return cp instanceof NoteCheckpoint ? cp.encode() + "\n" : cp.encode();
  }

  /** Appends one checkpoint durably. */
  public synchronized void append(Checkpoint cp) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(entry(cp).getBytes(StandardCharsets.UTF_8));
    long pos = channel.size();
    while (b.hasRemaining()) {
      pos += channel.write(b, pos);
    }
    channel.force(false);
  }

  /**
   * Parsed checkpoints of a file, with malformed entries reported by line number.
   *
   * @param checkpoints   the well-formed checkpoints, in file order (signatures not yet checked)
   * @param problems      one message per malformed entry
   * @param completeBytes length of the file up to the end of its last complete entry
   */
  public record Contents(List<Checkpoint> checkpoints, List<String> problems, long completeBytes) {}

  /** Reads {@code dir/checkpoints.txt}; a missing file reads as empty. */
  public static Contents read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return new Contents(new ArrayList<>(), new ArrayList<>(), 0);
    }
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses checkpoint-log text (entries as {@link #entry} writes them; {@code file} names their origin in problems).
   * A last entry without its terminating blank line is torn and ignored.
   */
  public static Contents parse(String text, String file) {
    List<Checkpoint> cps = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    // The last element is "" for a terminated file, else a line torn by a crash: never part of an entry.
    String[] lines = text.split("\n", -1);
    int complete = lines.length - 1;
    long offset = 0;
    long completeBytes = 0;
    int i = 0;
    while (i < complete) {
      if (lines[i].isEmpty() || lines[i].startsWith(LegacyCheckpoint.TAG + " ")) {
        if (!lines[i].isEmpty()) {
          try {
            cps.add(LegacyCheckpoint.parse(lines[i]));
          } catch (IllegalArgumentException e) {
            problems.add("line " + (i + 1) + " of " + file + " is not a valid checkpoint");
          }
        }
        offset += bytes(lines[i]);
        completeBytes = offset;
        i++;
        continue;
      }
      // A signed note: text lines, a blank line, signature lines, and the blank line that ends the entry.
      int blank = next(lines, i, complete);
      int end = next(lines, blank + 1, complete);
      if (end >= complete) {
        break; // torn last entry: the crash came before it was complete
      }
      StringBuilder note = new StringBuilder();
      for (int j = i; j < end; j++) {
        note.append(lines[j]).append('\n');
        offset += bytes(lines[j]);
      }
      offset += bytes(lines[end]);
      try {
        cps.add(NoteCheckpoint.parse(SignedNote.parse(note.toString())));
      } catch (IllegalArgumentException e) {
        problems.add("lines " + (i + 1) + ".." + end + " of " + file + " are not a valid signed-note checkpoint");
      }
      completeBytes = offset;
      i = end + 1;
    }
    return new Contents(cps, problems, completeBytes);
  }

  /** @return the index of the first empty line at or after {@code from}, or {@code complete} if none */
  private static int next(String[] lines, int from, int complete) {
    int i = from;
    while (i < complete && !lines[i].isEmpty()) {
      i++;
    }
    return i;
  }

  private static long bytes(String line) {
    return line.getBytes(StandardCharsets.UTF_8).length + 1L;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
