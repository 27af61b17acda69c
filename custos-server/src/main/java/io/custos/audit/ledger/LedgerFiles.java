package io.custos.audit.ledger;

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
   * @param entries  entries read (indices 0..entries-1)
   * @param findings damage that stopped or disturbed the read
   * @param warnings benign observations
   */
  public record ScanResult(long entries, List<Finding> findings, List<String> warnings) {}

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
    for (SegmentFormat.Segment seg : SegmentFormat.list(dir)) {
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
    List<SegmentFormat.Segment> segments = SegmentFormat.list(dir);
    if (segments.isEmpty()) {
      throw new IOException("no ledger segments in " + dir);
    }
    long next = 0;
    for (int s = 0; s < segments.size(); s++) {
      SegmentFormat.Segment seg = segments.get(s);
      boolean last = s == segments.size() - 1;
      if (seg.firstIndex() != next) {
        findings.add(new Finding(seg.firstIndex() > next ? Finding.Kind.DELETED : Finding.Kind.INSERTED, next, -1,
            "segment " + seg.file().getFileName() + " starts at entry " + seg.firstIndex() + " but " + next
                + " entries precede it: entries " + Math.min(next, seg.firstIndex()) + ".."
                + (Math.max(next, seg.firstIndex()) - 1) + (seg.firstIndex() > next ? " are missing" : " are duplicated")));
        return new ScanResult(next, findings, warnings);
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
            return new ScanResult(next, findings, warnings);
          }
        }
        case CORRUPT -> {
          findings.add(new Finding(Finding.Kind.DAMAGED_RECORD, next, -1, "entry " + next + " (" + seg.file().getFileName()
              + ", byte " + scan.badOffset() + "): record fails its length/CRC check: edited or corrupted"));
          return new ScanResult(next, findings, warnings);
        }
        case BAD_HEADER -> {
          findings.add(new Finding(Finding.Kind.DAMAGED_RECORD, next, -1, "segment " + seg.file().getFileName()
              + " has a bad header"));
          return new ScanResult(next, findings, warnings);
        }
        default -> throw new IllegalStateException();
      }
    }
    return new ScanResult(next, findings, warnings);
  }
}
