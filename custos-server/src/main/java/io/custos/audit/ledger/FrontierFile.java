package io.custos.audit.ledger;

import io.custos.verify.merkle.MerkleFrontier;
import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code merkle-frontier.bin} in the checkpoint directory: the RFC 9162 compact range of the tree at one signed
 * checkpoint (tree size, then one 32-byte hash per perfect subtree, largest first; at most 64 hashes), so that a
 * reopened ledger resumes from it instead of re-hashing every entry (as Trillian/Tessera resume from their
 * stored compact range). It is not trusted by itself: the opener accepts it only if its root equals the root of a
 * checkpoint whose signature verifies. Replaced atomically (write to a temporary file, fsync, rename).
 *
 * <p>Layout: 8 bytes {@link #MAGIC}, 8 bytes big-endian tree size, {@code Long.bitCount(size)} x 32 bytes.
 */
final class FrontierFile {
  static final String FILE = "merkle-frontier.bin";
  private static final byte[] MAGIC = {'c', 'f', 'r', 'o', 'n', 't', '/', '1'};

  private FrontierFile() {}

  /**
   * Reads the frontier saved in {@code dir}.
   *
   * @return empty if there is none, or it is cut short or malformed (the caller then replays every entry)
   */
  static Optional<MerkleFrontier> read(Path dir) throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(dir.resolve(FILE));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (all.length < 16 || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(all, MAGIC.length, all.length - MAGIC.length);
    long size = b.getLong();
    if (size < 0 || b.remaining() != (long) Long.bitCount(size) * MerkleHash.SIZE) {
      return Optional.empty();
    }
    List<byte[]> subtrees = new ArrayList<>();
    while (b.hasRemaining()) {
      byte[] h = new byte[MerkleHash.SIZE];
      b.get(h);
      subtrees.add(h);
    }
    return Optional.of(MerkleFrontier.of(size, subtrees));
  }

  /** Durably replaces the saved frontier with {@code frontier} (a crash leaves the old or the new file whole). */
  static void write(Path dir, MerkleFrontier frontier) throws IOException {
    List<byte[]> subtrees = frontier.subtrees();
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 8 + subtrees.size() * MerkleHash.SIZE);
    b.put(MAGIC).putLong(frontier.size());
    subtrees.forEach(b::put);
    b.flip();
    Path tmp = dir.resolve(FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(false);
    }
    try {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
