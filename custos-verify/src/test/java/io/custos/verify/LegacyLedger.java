package io.custos.verify;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A ledger written by the server before checkpoints became signed notes (15 entries, legacy checkpoints after 5, 10
 * and 15), kept as a test resource, and an "attacker" that rewrites its entries with valid CRCs.
 */
final class LegacyLedger {
  private LegacyLedger() {}

  /** Copies the legacy ledger into {@code dir} (created) and returns it. */
  static Path copyTo(Path dir) throws IOException, URISyntaxException {
    Path src = Path.of(LegacyLedger.class.getResource("/legacy-ledger").toURI());
    Files.createDirectories(dir);
    try (Stream<Path> s = Files.list(src)) {
      for (Path p : s.toList()) {
        Files.copy(p, dir.resolve(p.getFileName()));
      }
    }
    return dir;
  }

  /** Replaces the entries of the ledger's single segment by {@code change(entries)}, every record with a valid CRC. */
  static void rewrite(Path dir, UnaryOperator<List<byte[]>> change) throws IOException {
    Path seg = dir.resolve(SegmentFormat.fileName(0));
    List<byte[]> entries = new ArrayList<>();
    SegmentFormat.scan(seg, (off, p) -> entries.add(p));
    List<byte[]> after = change.apply(entries);
    ByteBuffer b = ByteBuffer.allocate((int) Files.size(seg) + 64).put(SegmentFormat.MAGIC);
    after.forEach(p -> SegmentFormat.frame(b, p));
    Files.write(seg, java.util.Arrays.copyOf(b.array(), b.position()));
  }
}
