package io.custos.verify;

import io.custos.verify.checkpoint.KeyTransition;
import io.custos.verify.checkpoint.SignedNote;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@value #FILE}: the checkpoint key's transition statements ({@link KeyTransition}), oldest first, each a C2SP
 * signed note followed by one blank line. The key directory keeps the file (it also keeps the retired public keys);
 * every ledger publishes a copy next to its verifier key, where verifiers read it. The file is rewritten whole, never
 * edited: a new statement is appended by writing a new file and renaming it over the old one.
 */
public final class KeyTransitions {
  public static final String FILE = "checkpoint-transitions.txt";

  private KeyTransitions() {}

  /**
   * Parsed statements of a file (signatures not checked here: see {@link KeyRing}).
   *
   * @param transitions well-formed statements in file order
   * @param problems    one message per malformed entry
   */
  public record Contents(List<KeyTransition> transitions, List<String> problems) {
    public Contents {
      transitions = List.copyOf(transitions);
      problems = List.copyOf(problems);
    }

    /** No statement: the checkpoint key was never rotated. */
    public static Contents none() {
      return new Contents(List.of(), List.of());
    }
  }

  /** Reads {@code dir/}{@value #FILE}; a missing file reads as {@link Contents#none()}. */
  public static Contents read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    return Files.exists(file) ? parse(Files.readString(file, StandardCharsets.UTF_8)) : Contents.none();
  }

  /** Parses the text of a transitions file: entries of text lines, a blank line, signature lines, a blank line. */
  public static Contents parse(String text) {
    List<KeyTransition> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    int start = 0;
    int blanks = 0;
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].isEmpty()) {
        continue;
      }
      if (++blanks < 2 && i > start) {
        continue; // the blank line between a note's text and its signatures
      }
      if (i > start) {
        StringBuilder note = new StringBuilder();
        for (int j = start; j < i; j++) {
          note.append(lines[j]).append('\n');
        }
        try {
          out.add(KeyTransition.parse(SignedNote.parse(note.toString())));
        } catch (IllegalArgumentException e) {
          problems.add("lines " + (start + 1) + ".." + i + " of " + FILE + " are not a valid key transition statement");
        }
      }
      start = i + 1;
      blanks = 0;
    }
    if (start < lines.length - 1) {
      problems.add("lines " + (start + 1) + ".." + lines.length + " of " + FILE + " are an incomplete statement");
    }
    return new Contents(out, problems);
  }

  /** @return the file text of {@code transitions}, in order */
  public static String encode(List<KeyTransition> transitions) {
    StringBuilder b = new StringBuilder();
    transitions.forEach(t -> b.append(t.entry()));
    return b.toString();
  }

  /** Writes {@code text} as {@code dir/}{@value #FILE} atomically (temporary file, fsync, rename). */
  public static void write(Path dir, String text) throws IOException {
    Path tmp = dir.resolve(FILE + ".tmp");
    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
      var b = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
