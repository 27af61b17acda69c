package io.custos.audit.ledger;

import io.custos.verify.LedgerCorruptException;
import io.custos.verify.SegmentFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default {@link LedgerStore}: append-only segment files in a directory ({@link SegmentFormat}), one
 * {@code fdatasync} per batch (group commit). Crash-safe: on open, a torn tail record in the last segment
 * (an unacknowledged batch) is truncated; a bad record with good data after it is corruption and the store
 * refuses to open (it is never silently accepted or skipped). One process at a time: an exclusive lock on
 * {@code .lock} keeps a second writer out.
 */
public final class SegmentFileStore implements LedgerStore {
  /** Default segment roll-over size. */
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

  private final Path dir;
  private final long segmentBytes;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final TreeMap<Long, Path> segments = new TreeMap<>();
  private FileChannel tail;
  private long tailFirst;
  private long tailPosition;
  private volatile long size;
  private volatile long truncatedTornBytes;

  /**
   * Where a sequential reader stopped: the next index and its file offset within its segment. Two of them, so the
   * checkpointer reading the tail and a background check reading from the start each continue where they stopped
   * instead of re-scanning a segment's record headers from its beginning on every call.
   */
  private static final class Cursor {
    long segment = -1;
    long index = -1;
    long offset;
    FileChannel channel;
    long lastUse;
  }

  private final Object readLock = new Object();
  private final Cursor[] cursors = {new Cursor(), new Cursor()};
  private long reads;

  private SegmentFileStore(Path dir, long segmentBytes, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Opens (creating) the store in {@code dir}, recovering a torn tail. */
  public static SegmentFileStore open(Path dir) throws IOException {
    return open(dir, DEFAULT_SEGMENT_BYTES);
  }

  /** How long {@link #open} waits for another process to release the ledger. */
  static final long LOCK_WAIT_MILLIS = 15_000;

  /** As {@link #open(Path)} with a given segment roll-over size. */
  public static SegmentFileStore open(Path dir, long segmentBytes) throws IOException {
    Files.createDirectories(dir);
    FileChannel lc = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    // A previous process (e.g. the last stdio session of a client) may still be writing its final
    // checkpoint: wait a bounded time for the single-writer lock before refusing.
    FileLock lock = lc.tryLock();
    for (int i = 0; lock == null && i < LOCK_WAIT_MILLIS / 100; i++) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      lock = lc.tryLock();
    }
    if (lock == null) {
      lc.close();
      throw new IOException("ledger " + dir + " is in use by another process");
    }
    SegmentFileStore s = new SegmentFileStore(dir, segmentBytes, lc, lock);
    try {
      s.recover();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void recover() throws IOException {
    List<SegmentFormat.Segment> list = SegmentFormat.list(dir);
    if (list.isEmpty()) {
      newSegment(0);
      return;
    }
    for (SegmentFormat.Segment seg : list) {
      segments.put(seg.firstIndex(), seg.file());
    }
    // Earlier segments are sealed; their record counts follow from the next segment's first index.
    SegmentFormat.Segment last = list.get(list.size() - 1);
    SegmentFormat.Scan scan = SegmentFormat.scan(last.file(), (off, p) -> { });
    switch (scan.end()) {
      case CORRUPT -> throw new LedgerCorruptException("ledger segment " + last.file().getFileName()
          + " has a damaged record at byte " + scan.badOffset() + " (entry " + (last.firstIndex() + scan.records())
          + ") followed by more data; refusing to open. Run: custos audit verify --ledger " + dir);
      case BAD_HEADER -> {
        if (Files.size(last.file()) >= SegmentFormat.HEADER || list.size() == 1 && last.firstIndex() != 0) {
          throw new LedgerCorruptException("ledger segment " + last.file().getFileName() + " has a bad header");
        }
      }
      default -> { }
    }
    tail = FileChannel.open(last.file(), StandardOpenOption.READ, StandardOpenOption.WRITE);
    tailFirst = last.firstIndex();
    long valid = scan.validBytes();
    if (valid < SegmentFormat.HEADER) {
      // torn header of a fresh segment: rewrite it
      tail.truncate(0);
      tail.write(ByteBuffer.wrap(SegmentFormat.MAGIC), 0);
      valid = SegmentFormat.HEADER;
    }
    if (tail.size() > valid) {
      truncatedTornBytes = tail.size() - valid;
      tail.truncate(valid);
    }
    tail.force(true);
    tailPosition = valid;
    size = tailFirst + scan.records();
  }

  private void newSegment(long firstIndex) throws IOException {
    Path file = dir.resolve(SegmentFormat.fileName(firstIndex));
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ch.write(ByteBuffer.wrap(SegmentFormat.MAGIC), 0);
    ch.force(true);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true); // make the new directory entry durable
    }
    if (tail != null) {
      tail.close();
    }
    tail = ch;
    tailFirst = firstIndex;
    tailPosition = SegmentFormat.HEADER;
    synchronized (segments) {
      segments.put(firstIndex, file);
    }
  }

  /** Bytes of a torn tail truncated when this store was opened (0 after a clean shutdown). */
  public long truncatedTornBytes() {
    return truncatedTornBytes;
  }

  @Override
  public synchronized long append(int count, EntryEncoder encoder) throws IOException, GeneralSecurityException {
    long first = size;
    byte[][] payloads = new byte[count][];
    int total = 0;
    for (int i = 0; i < count; i++) {
      payloads[i] = encoder.encode(i, first + i);
      total += 8 + payloads[i].length;
    }
    ByteBuffer buf = ByteBuffer.allocate(total);
    for (byte[] p : payloads) {
      SegmentFormat.frame(buf, p);
    }
    buf.flip();
    long pos = tailPosition;
    try {
      while (buf.hasRemaining()) {
        pos += tail.write(buf, pos);
      }
      tail.force(false);
    } catch (IOException e) {
      // Nothing of this batch is acknowledged; cut it off so a later batch cannot follow garbage.
      try {
        tail.truncate(tailPosition);
      } catch (IOException ignored) {
        // the caller fails closed regardless
      }
      throw e;
    }
    tailPosition = pos;
    size = first + count;
    if (tailPosition >= segmentBytes) {
      newSegment(size);
    }
    return first;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public List<byte[]> read(long from, int max) throws IOException {
    long end = Math.min(size, from + max);
    List<byte[]> out = new ArrayList<>();
    synchronized (readLock) {
      long idx = from;
      while (idx < end) {
        Map.Entry<Long, Path> seg;
        synchronized (segments) {
          seg = segments.floorEntry(idx);
        }
        if (seg == null) {
          throw new IOException("no segment holds entry " + idx);
        }
        Cursor c = cursorFor(seg.getKey(), idx);
        if (c.segment != seg.getKey()) {
          if (c.channel != null) {
            c.channel.close();
          }
          c.channel = FileChannel.open(seg.getValue(), StandardOpenOption.READ);
          c.segment = seg.getKey();
          c.index = seg.getKey();
          c.offset = SegmentFormat.HEADER;
        }
        if (c.index > idx) {
          c.index = seg.getKey();
          c.offset = SegmentFormat.HEADER;
        }
        ByteBuffer head = ByteBuffer.allocate(8);
        while (c.index <= idx && idx < end) {
          head.clear();
          int r = c.channel.read(head, c.offset);
          if (r < 8) {
            break; // end of this segment: next segment
          }
          head.flip();
          int len = head.getInt();
          int crc = head.getInt();
          if (c.index == idx) {
            ByteBuffer p = ByteBuffer.allocate(len);
            SegmentFormat.readFully(c.channel, p, c.offset + 8);
            if (SegmentFormat.crc(p.array(), 0, len) != crc) {
              throw new LedgerCorruptException("entry " + idx + " fails its CRC");
            }
            out.add(p.array());
            idx++;
          }
          c.index++;
          c.offset += 8 + len;
        }
        if (c.index <= idx && idx < end) {
          // ran off the end of the segment: continue in the next one
          Long next;
          synchronized (segments) {
            next = segments.higherKey(seg.getKey());
          }
          if (next == null || next > idx) {
            throw new IOException("entry " + idx + " missing from segment " + seg.getValue().getFileName());
          }
        }
      }
    }
    return out;
  }

  /** The cursor nearest before {@code idx} in segment {@code segment}, else the least recently used one. */
  private Cursor cursorFor(long segment, long idx) {
    Cursor best = null;
    for (Cursor c : cursors) {
      if (c.segment == segment && c.index <= idx && (best == null || c.index > best.index)) {
        best = c;
      }
    }
    if (best == null) {
      best = cursors[0].lastUse <= cursors[1].lastUse ? cursors[0] : cursors[1];
    }
    best.lastUse = ++reads;
    return best;
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      synchronized (readLock) {
        for (Cursor c : cursors) {
          if (c.channel != null) {
            c.channel.close();
          }
        }
      }
      if (tail != null) {
        tail.close();
      }
    } finally {
      lock.release();
      lockChannel.close();
    }
  }
}
