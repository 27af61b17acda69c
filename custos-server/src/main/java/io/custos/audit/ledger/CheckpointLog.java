package io.custos.audit.ledger;

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
 * An append-only text file of {@link Checkpoint} lines ({@code checkpoints.txt}), fsynced per line. The
 * ledger keeps one in its directory; a witness keeps an independent copy elsewhere, so that rewriting or
 * rolling back the whole ledger directory is still detected (RFC 9162 section 8.2 "gossip"/witnessing).
 */
public final class CheckpointLog implements AutoCloseable {
  public static final String FILE = "checkpoints.txt";

  private final FileChannel channel;

  private CheckpointLog(FileChannel channel) {
    this.channel = channel;
  }

  /** Opens (creating) the checkpoint file in {@code dir} for appending. */
  public static CheckpointLog open(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(FILE);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    // A line torn by a crash (no terminator) is dropped before new lines are appended.
    long size = ch.size();
    if (size > 0) {
      ByteBuffer all = ByteBuffer.allocate((int) size);
      ch.read(all, 0);
      int end = (int) size;
      while (end > 0 && all.get(end - 1) != '\n') {
        end--;
      }
      if (end != size) {
        ch.truncate(end);
        ch.force(true);
      }
    }
    return new CheckpointLog(ch);
  }

  /** Appends one checkpoint durably. */
  public synchronized void append(Checkpoint cp) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((cp.toLine() + "\n").getBytes(StandardCharsets.UTF_8));
    long pos = channel.size();
    while (b.hasRemaining()) {
      pos += channel.write(b, pos);
    }
    channel.force(false);
  }

  /** Parsed checkpoint lines of a file, with unparseable lines reported by line number. */
  public record Contents(List<Checkpoint> checkpoints, List<String> problems) {}

  /** Reads every complete line of {@code dir/checkpoints.txt}; missing file reads as empty. */
  public static Contents read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    List<Checkpoint> cps = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    if (!Files.exists(file)) {
      return new Contents(cps, problems);
    }
    String text = Files.readString(file, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    // the last element is "" for a terminated file, else a torn line left by a crash: ignored
    for (int i = 0; i < lines.length - 1; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      try {
        cps.add(Checkpoint.parse(lines[i]));
      } catch (IllegalArgumentException e) {
        problems.add("line " + (i + 1) + " of " + file + " is not a valid checkpoint");
      }
    }
    return new Contents(cps, problems);
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
