package io.custos.verify;

import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Read-only access to the entries of a segment-file ledger directory, for offline tools (verify, prove,
 * export, report). Never modifies the files, never needs a key.
 */
public final class LedgerFiles {
  private LedgerFiles() {}

  /** Receives each readable entry in index order. */
  @FunctionalInterface
  public interface EntryVisitor {
    void visit(long index, byte[] entry) throws IOException;
  }

  /**
   * What a scan found besides the entries.
   *
   * @param entries  entries read (indices 0..entries-1), counting pruned ones
   * @param pruned   entries 0..pruned-1 whose ciphertext was pruned after retention ({@link PrunedRanges}); only
   *                 their kept leaf hashes remain
   * @param findings damage that stopped or disturbed the read
   * @param warnings benign observations
   */
  public record ScanResult(long entries, long pruned, List<Finding> findings, List<String> warnings) {}

  /**
   * Kept leaf hashes of the pruned prefix (45 CFR 164.316(b)(2) retention pruning): RFC 9162 leaves whose
   * entries are gone, authenticated by the signed roots that cover them.
   */
  public static List<byte[]> prunedLeafHashes(Path dir) throws IOException {
    long p = PrunedRanges.read(dir).prefixEnd();
    if (p == 0) {
      return new ArrayList<>();
    }
    List<byte[]> all = LeafHashFile.readAll(dir);
    if (all.size() < p) {
      throw new LedgerCorruptException("leaf-hash file holds " + all.size() + " hashes but entries 0.." + (p - 1)
          + " were pruned: the kept leaf hashes of pruned entries are missing");
    }
    return new ArrayList<>(all.subList(0, (int) p));
  }

  /** Segments holding entries not pruned (a pruned segment whose deletion was interrupted is skipped). */
  private static List<SegmentFormat.Segment> liveSegments(Path dir, long pruned) throws IOException {
    List<SegmentFormat.Segment> out = new ArrayList<>();
    for (SegmentFormat.Segment s : SegmentFormat.list(dir)) {
      if (s.firstIndex() >= pruned) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Leaf hashes of every entry, segments read and hashed in parallel (the verifier's hot path), with the
   * same findings as {@link #scan}.
   */
  public static ScanResult leafHashes(Path dir, List<byte[]> out) throws IOException {
    List<java.util.concurrent.CompletableFuture<Part>> parts = new ArrayList<>();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors() - 1),
        r -> Thread.ofPlatform().daemon(true).name("custos-verify").unstarted(r));
    try {
      return leafHashes(dir, out, parts, pool);
    } finally {
      pool.shutdownNow();
    }
  }

  private static ScanResult leafHashes(Path dir, List<byte[]> out, List<java.util.concurrent.CompletableFuture<Part>> parts,
      java.util.concurrent.ExecutorService pool) throws IOException {
    out.addAll(prunedLeafHashes(dir));
    for (SegmentFormat.Segment seg : liveSegments(dir, PrunedRanges.read(dir).prefixEnd())) {
      parts.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        List<byte[]> h = new ArrayList<>();
        try {
          return new Part(SegmentFormat.scan(seg.file(), (off, p) -> h.add(MerkleHash.leaf(p))), h);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, pool));
    }
    return scan(dir, (i, seg, base) -> {
      try {
        Part p = parts.get(i).join();
        out.addAll(p.hashes());
        return p.scan();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
      }
    });
  }

  private record Part(SegmentFormat.Scan scan, List<byte[]> hashes) {}

  /** Scans one segment whose first entry has index {@code base}. */
  @FunctionalInterface
  private interface SegmentScanner {
    SegmentFormat.Scan scan(int segmentIndex, SegmentFormat.Segment segment, long base) throws IOException;
  }

  /** Streams every entry of the ledger in {@code dir}; stops at the first damaged record. */
  public static ScanResult scan(Path dir, EntryVisitor visitor) throws IOException {
    return scan(dir, (i, seg, base) -> {
      long[] count = {0};
      return SegmentFormat.scan(seg.file(), (off, payload) -> visitor.visit(base + count[0]++, payload));
    });
  }

  private static ScanResult scan(Path dir, SegmentScanner scanner) throws IOException {
    List<Finding> findings = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    PrunedRanges.Contents prunedRanges = PrunedRanges.read(dir);
    for (String p : prunedRanges.problems()) {
      findings.add(new Finding(Finding.Kind.BAD_CHECKPOINT_LOG, -1, -1, p));
    }
    final long pruned = prunedRanges.prefixEnd();
    for (SegmentFormat.Segment s : SegmentFormat.list(dir)) {
      if (s.firstIndex() < pruned) {
        warnings.add("segment " + s.file().getFileName() + " was recorded as pruned but still exists (interrupted prune)");
      }
    }
    List<SegmentFormat.Segment> segments = liveSegments(dir, pruned);
    if (segments.isEmpty()) {
      throw new IOException("no ledger segments in " + dir);
    }
    long next = pruned;
    for (int s = 0; s < segments.size(); s++) {
      SegmentFormat.Segment seg = segments.get(s);
      boolean last = s == segments.size() - 1;
      if (seg.firstIndex() != next) {
        findings.add(new Finding(seg.firstIndex() > next ? Finding.Kind.DELETED : Finding.Kind.INSERTED, next, -1,
            "segment " + seg.file().getFileName() + " starts at entry " + seg.firstIndex() + " but " + next
                + " entries precede it: entries " + Math.min(next, seg.firstIndex()) + ".."
                + (Math.max(next, seg.firstIndex()) - 1) + (seg.firstIndex() > next ? " are missing" : " are duplicated")));
        return new ScanResult(next, pruned, findings, warnings);
      }
      final long base = next;
      SegmentFormat.Scan scan = scanner.scan(s, seg, base);
      next = base + scan.records();
      switch (scan.end()) {
        case CLEAN -> { }
        case TORN_TAIL -> {
          if (last) {
            warnings.add("torn tail after entry " + (next - 1) + " in " + seg.file().getFileName()
                + " (an unacknowledged batch cut by a crash; truncated when the ledger is next opened)");
          } else {
            findings.add(new Finding(Finding.Kind.TRUNCATED, next, -1, "entry " + next + ": segment "
                + seg.file().getFileName() + " ends in a partial record at byte " + scan.badOffset()
                + " but is not the last segment"));
            return new ScanResult(next, pruned, findings, warnings);
          }
        }
        case CORRUPT -> {
          findings.add(new Finding(Finding.Kind.DAMAGED_RECORD, next, -1, "entry " + next + " (" + seg.file().getFileName()
              + ", byte " + scan.badOffset() + "): record fails its length/CRC check: edited or corrupted"));
          return new ScanResult(next, pruned, findings, warnings);
        }
        case BAD_HEADER -> {
          findings.add(new Finding(Finding.Kind.DAMAGED_RECORD, next, -1, "segment " + seg.file().getFileName()
              + " has a bad header"));
          return new ScanResult(next, pruned, findings, warnings);
        }
        default -> throw new IllegalStateException();
      }
    }
    return new ScanResult(next, pruned, findings, warnings);
  }
}
