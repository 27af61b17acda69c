package io.custos.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Disk I/O contention for a benchmark: one background thread that writes blocks of 4 KiB to 1 MiB (uniform in
 * size, random bytes) to a scratch file and forces each to the device ({@code FileChannel.force(false)}, fdatasync
 * on Linux), without pause, until closed. The scratch file lives in the directory given, which must be on the same
 * file system as the server's ledger so the two compete for the same device queue; it wraps at 256 MiB and is
 * deleted on close.
 */
final class DiskContention implements AutoCloseable {
  private static final int MIN_BLOCK = 4 * 1024;
  private static final int MAX_BLOCK = 1024 * 1024;
  private static final long WRAP_AT = 256L * 1024 * 1024;

  private final Path file;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final LongAdder bytes = new LongAdder();
  private final LongAdder syncs = new LongAdder();
  private final LongAdder syncNanos = new LongAdder();
  private final Thread writer;
  private final long startNanos = System.nanoTime();
  private volatile long endNanos;

  private DiskContention(Path file) {
    this.file = file;
    this.writer = Thread.ofPlatform().daemon().name("disk-contention").start(this::write);
  }

  /** Starts the writer on a new scratch file in {@code dir} (created if absent). */
  static DiskContention start(Path dir) throws IOException {
    Files.createDirectories(dir);
    return new DiskContention(Files.createTempFile(dir, "disk-contention-", ".bin"));
  }

  private void write() {
    SplittableRandom random = new SplittableRandom(42);
    byte[] block = new byte[MAX_BLOCK];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      long position = 0;
      while (running.get()) {
        int size = random.nextInt(MIN_BLOCK, MAX_BLOCK + 1);
        random.nextBytes(block);
        ByteBuffer buf = ByteBuffer.wrap(block, 0, size);
        while (buf.hasRemaining()) {
          position += ch.write(buf, position);
        }
        long t0 = System.nanoTime();
        ch.force(false);
        syncNanos.add(System.nanoTime() - t0);
        syncs.increment();
        bytes.add(size);
        if (position >= WRAP_AT) {
          position = 0;
        }
      }
    } catch (IOException e) {
      BenchMain.log("disk contention writer stopped: " + e.getClass().getSimpleName());
    }
  }

  /**
   * What the writer did: {@code file} (its directory), {@code seconds}, {@code mebibytesWritten}, {@code fsyncs},
   * {@code writeMiBPerSecond} and {@code meanFsyncMs}.
   */
  Map<String, Object> summary() {
    long end = endNanos == 0 ? System.nanoTime() : endNanos;
    double seconds = (end - startNanos) / 1e9;
    double mib = bytes.sum() / (1024.0 * 1024.0);
    long n = syncs.sum();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("directory", file.getParent().toString());
    m.put("seconds", Math.round(seconds * 10) / 10.0);
    m.put("mebibytesWritten", Math.round(mib));
    m.put("fsyncs", n);
    m.put("writeMiBPerSecond", Math.round(mib / Math.max(seconds, 1e-9) * 10) / 10.0);
    m.put("meanFsyncMs", n == 0 ? 0 : Math.round(syncNanos.sum() / 1e6 / n * 100) / 100.0);
    return m;
  }

  /** Stops the writer, waits for its last fsync and deletes the scratch file. */
  @Override
  public void close() throws IOException {
    running.set(false);
    try {
      writer.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    endNanos = System.nanoTime();
    Files.deleteIfExists(file);
  }
}
