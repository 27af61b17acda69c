package io.custos.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only JSON Lines audit file, fsynced on every append. Simple and durable; the tamper-evident,
 * encrypted ledger replaces it behind the same {@link AuditTrail} interface.
 */
public final class JsonLinesAuditTrail implements AuditTrail {
  private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private final FileChannel channel;

  /** Opens (creating if needed) {@code file} for appending. @throws IOException if it cannot be opened */
  public JsonLinesAuditTrail(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  @Override
  public synchronized void append(AuditEvent event) {
    try {
      byte[] line = (mapper.writeValueAsString(event) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ByteBuffer buf = ByteBuffer.wrap(line);
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      channel.force(false);
    } catch (IOException | RuntimeException e) {
      throw new AuditUnavailableException(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing on shutdown: nothing left to make durable
    }
  }
}
