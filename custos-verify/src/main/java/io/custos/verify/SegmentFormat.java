package io.custos.verify;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The on-disk format of ledger segment files, and a read-only scanner shared by the store (crash recovery)
 * and the offline verifier.
 *
 * <p>File {@code segment-<first leaf index, 20 digits>.seg}: an 8-byte magic {@code CUSTOSL1}, then records
 * {@code [payload length: int32 BE][CRC-32C of payload: int32 BE][payload]}. A record that runs past the end
 * of the last segment, or is the last record and fails its CRC, or is followed only by zero bytes, is a torn
 * tail left by a crash (it was never acknowledged). Any other bad record is corruption.
 */
public final class SegmentFormat {
  /** The 8-byte magic at the start of every segment file. */
  public static final byte[] MAGIC = "CUSTOSL1".getBytes(StandardCharsets.US_ASCII);
  /** Size of the segment header (the magic). */
  public static final int HEADER = 8;
  /** Largest record payload. */
  public static final int MAX_RECORD = 16 * 1024 * 1024;
  private static final Pattern NAME = Pattern.compile("segment-(\\d{20})\\.seg");

  private SegmentFormat() {}

  /** @return the segment file name for a segment whose first entry has index {@code firstIndex} */
  public static String fileName(long firstIndex) {
    return String.format("segment-%020d.seg", firstIndex);
  }

  /** A segment file and the leaf index of its first record (from its name). */
  public record Segment(Path file, long firstIndex) {}

  /** Segment files of {@code dir}, ordered by first index. */
  public static List<Segment> list(Path dir) throws IOException {
    List<Segment> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          out.add(new Segment(p, Long.parseLong(m.group(1))));
        }
      });
    }
    out.sort((a, b) -> Long.compare(a.firstIndex(), b.firstIndex()));
    return out;
  }

  /** @return CRC-32C of {@code len} bytes of {@code b} from {@code off}, as a record header stores it */
  public static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  /** Receives each good record of a scan. */
  @FunctionalInterface
  public interface RecordSink {
    void accept(long offset, byte[] payload) throws IOException;
  }

  /** How a scan ended. */
  public enum End { CLEAN, TORN_TAIL, CORRUPT, BAD_HEADER }

  /**
   * Result of scanning one segment.
   *
   * @param records    good records before the end
   * @param validBytes offset just after the last good record
   * @param end        how the scan ended
   * @param badOffset  offset of the bad record (TORN_TAIL / CORRUPT), else -1
   */
  public record Scan(long records, long validBytes, End end, long badOffset) {}

  /** Scans a segment file read-only, streaming good records to {@code sink}. */
  public static Scan scan(Path file, RecordSink sink) throws IOException {
    try (FileChannel ch = FileChannel.open(file)) {
      long size = ch.size();
      if (size < HEADER) {
        return new Scan(0, 0, size == 0 ? End.TORN_TAIL : End.BAD_HEADER, 0);
      }
      ByteBuffer magic = ByteBuffer.allocate(HEADER);
      readFully(ch, magic, 0);
      if (!java.util.Arrays.equals(magic.array(), MAGIC)) {
        return new Scan(0, 0, End.BAD_HEADER, 0);
      }
      // Buffered sequential read.
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      long pos = HEADER;
      long bufStart = pos;
      buf.limit(0);
      long records = 0;
      byte[] head = new byte[8];
      while (pos < size) {
        if (size - pos < 8) {
          return new Scan(records, pos, End.TORN_TAIL, pos);
        }
        buf = ensure(ch, buf, bufStart, pos, 8);
        bufStart = pos - buf.position();
        buf.get(head);
        ByteBuffer h = ByteBuffer.wrap(head);
        int len = h.getInt();
        int crc = h.getInt();
        if (len < 0 || len > MAX_RECORD || pos + 8 + len > size) {
          return new Scan(records, pos, zerosOrOverrun(ch, pos, size, len) ? End.TORN_TAIL : End.CORRUPT, pos);
        }
        buf = ensure(ch, buf, bufStart, pos + 8, len);
        bufStart = pos + 8 - buf.position();
        byte[] payload = new byte[len];
        buf.get(payload);
        if (crc(payload, 0, len) != crc) {
          boolean last = pos + 8 + len == size;
          return new Scan(records, pos, last || zerosOrOverrun(ch, pos, size, -1) ? End.TORN_TAIL : End.CORRUPT, pos);
        }
        sink.accept(pos, payload);
        records++;
        pos += 8 + len;
        bufStart = pos - buf.position();
      }
      return new Scan(records, pos, End.CLEAN, -1);
    }
  }

  /** Ensures {@code n} bytes at file offset {@code at} are available at the buffer's position. */
  private static ByteBuffer ensure(FileChannel ch, ByteBuffer buf, long bufStart, long at, int n) throws IOException {
    long bufEnd = bufStart + buf.limit();
    if (at >= bufStart && at + n <= bufEnd) {
      buf.position((int) (at - bufStart));
      return buf;
    }
    ByteBuffer b = n > buf.capacity() ? ByteBuffer.allocate(n) : buf;
    b.clear();
    int read = 0;
    while (read < b.capacity()) {
      int r = ch.read(b, at + read);
      if (r < 0) {
        break;
      }
      read += r;
    }
    b.flip();
    // caller computes bufStart as (at - position) = at
    return b;
  }

  /** True if the bytes from {@code pos} to EOF are all zero, or a length overruns EOF (a torn write). */
  private static boolean zerosOrOverrun(FileChannel ch, long pos, long size, int len) throws IOException {
    if (len >= 0 && len <= MAX_RECORD && pos + 8 + len > size) {
      return true;
    }
    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
    long p = pos;
    while (p < size) {
      b.clear();
      int r = ch.read(b, p);
      if (r <= 0) {
        break;
      }
      for (int i = 0; i < r; i++) {
        if (b.get(i) != 0) {
          return false;
        }
      }
      p += r;
    }
    return true;
  }

  /** Reads until {@code b} is full from file offset {@code at}, then flips it. @throws IOException at end of file */
  public static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, at + b.position());
      if (r < 0) {
        throw new IOException("unexpected end of file");
      }
    }
    b.flip();
  }

  /** Frames one payload as a record. */
  public static void frame(ByteBuffer out, byte[] payload) {
    out.putInt(payload.length).putInt(crc(payload, 0, payload.length)).put(payload);
  }
}
