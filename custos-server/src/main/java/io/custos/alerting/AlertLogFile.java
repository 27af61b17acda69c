package io.custos.alerting;

import io.custos.policy.AlertSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert log: every alert's {@link AlertSink.Alert#document()} appended as one JSON line (JSON Lines) to a local,
 * owner-only file, flushed to disk before {@link #alert} returns. It is what {@code custos incident open --alert ID}
 * reads, and what a log shipper may tail. A write failure is logged (by exception class) and does not fail the call
 * that raised the alert: the alert's evidence is in the audit ledger either way.
 */
public final class AlertLogFile implements AlertSink {
  private static final Logger log = LoggerFactory.getLogger(AlertLogFile.class);

  private final Path file;

  /** @param file the JSON Lines file; created (with its directory) on first use */
  public AlertLogFile(Path file) {
    this.file = file.toAbsolutePath();
  }

  public Path file() {
    return file;
  }

  @Override
  public void alert(Alert alert) {
    try {
      append(file, AlertJson.line(alert));
    } catch (IOException e) {
      log.error("alert {} not written to the alert log: {}", alert.id(), e.getClass().getName());
    }
  }

  /** Appends one line to an owner-only file and forces it to disk. */
  static synchronized void append(Path file, String line) throws IOException {
    if (!Files.exists(file)) {
      Files.createDirectories(file.getParent());
      Files.createFile(file);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // non-POSIX file system
      }
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
      ch.force(false);
    }
  }

  /**
   * Every alert document in an alert log, oldest first.
   *
   * @throws UncheckedIOException if the file cannot be read or a line is not a JSON object
   */
  public static List<Map<String, Object>> read(Path file) {
    List<Map<String, Object>> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(AlertJson.MAPPER.readValue(line, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The alert document with this id in an alert log, if any. */
  public static Optional<Map<String, Object>> find(Path file, String alertId) {
    return read(file).stream().filter(d -> alertId.equals(d.get("id"))).findFirst();
  }
}
