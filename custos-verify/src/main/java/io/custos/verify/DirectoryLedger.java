package io.custos.verify;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A segment-file ledger directory ({@code segment-*.seg}, {@code checkpoints.txt}, {@code leaf-hashes.bin}, and
 * {@code checkpoint-transitions.txt} once the checkpoint key was rotated).
 */
public final class DirectoryLedger implements LedgerSource {
  private final Path dir;

  public DirectoryLedger(Path dir) {
    this.dir = dir;
  }

  @Override
  public String describe() {
    return dir.toString();
  }

  @Override
  public LedgerFiles.ScanResult leafHashes(List<byte[]> out) throws IOException {
    return LedgerFiles.leafHashes(dir, out);
  }

  @Override
  public LedgerFiles.ScanResult scan(LedgerFiles.EntryVisitor visitor) throws IOException {
    return LedgerFiles.scan(dir, visitor);
  }

  @Override
  public CheckpointLog.Contents checkpoints() throws IOException {
    return CheckpointLog.read(dir);
  }

  @Override
  public List<byte[]> recordedLeafHashes() throws IOException {
    return LeafHashFile.readAll(dir);
  }

  @Override
  public PrunedRanges.Contents prunedRanges() throws IOException {
    return PrunedRanges.read(dir);
  }

  @Override
  public KeyTransitions.Contents keyTransitions() throws IOException {
    return KeyTransitions.read(dir);
  }

  @Override
  public void close() {
    // nothing held open
  }
}
