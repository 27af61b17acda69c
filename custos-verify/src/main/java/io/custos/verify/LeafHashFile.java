package io.custos.verify;

import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code leaf-hashes.bin}: the 32-byte leaf hash of every entry, in order (the bottom level of the RFC 9162
 * tree, like CT's hash tiles). It is derived data, authenticated by the signed checkpoints: when entries are
 * tampered with, the verifier checks this file against a checkpoint root and, if it matches, compares it
 * with the entries to name exactly which entry was edited, deleted, inserted or moved.
 */
public final class LeafHashFile implements AutoCloseable {
  public static final String FILE = "leaf-hashes.bin";
  private final FileChannel ch;

  private LeafHashFile(FileChannel ch) {
    this.ch = ch;
  }

  public static LeafHashFile open(Path dir) throws IOException {
    Files.createDirectories(dir);
    return new LeafHashFile(FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE));
  }

  /** @return number of whole hashes in the file */
  public long count() throws IOException {
    return ch.size() / MerkleHash.SIZE;
  }

  public byte[] get(long index) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(MerkleHash.SIZE);
    SegmentFormat.readFully(ch, b, index * MerkleHash.SIZE);
    return b.array();
  }

  /** Drops everything from hash {@code count} on. */
  public void truncate(long count) throws IOException {
    ch.truncate(count * MerkleHash.SIZE);
  }

  /** Appends hashes at the end (after any partial trailing bytes are cut off). */
  public void append(List<byte[]> hashes) throws IOException {
    if (hashes.isEmpty()) {
      return;
    }
    long pos = count() * MerkleHash.SIZE;
    ByteBuffer b = ByteBuffer.allocate(hashes.size() * MerkleHash.SIZE);
    hashes.forEach(b::put);
    b.flip();
    while (b.hasRemaining()) {
      pos += ch.write(b, pos);
    }
  }

  public void force() throws IOException {
    ch.force(false);
  }

  /** Reads the whole file of {@code dir} (read-only); empty if missing. */
  public static List<byte[]> readAll(Path dir) throws IOException {
    Path f = dir.resolve(FILE);
    List<byte[]> out = new ArrayList<>();
    if (!Files.exists(f)) {
      return out;
    }
    byte[] all = Files.readAllBytes(f);
    for (int i = 0; i + MerkleHash.SIZE <= all.length; i += MerkleHash.SIZE) {
      byte[] h = new byte[MerkleHash.SIZE];
      System.arraycopy(all, i, h, 0, MerkleHash.SIZE);
      out.add(h);
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
