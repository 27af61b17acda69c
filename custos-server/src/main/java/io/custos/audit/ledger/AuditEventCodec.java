package io.custos.audit.ledger;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.custos.audit.AuditEvent;
import java.io.IOException;
import java.io.UncheckedIOException;

/** JSON form of an {@link AuditEvent} (the plaintext that the ledger encrypts). Thread-safe. */
public final class AuditEventCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new JavaTimeModule()).registerModule(new BlackbirdModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private AuditEventCodec() {}

  public static byte[] encode(AuditEvent e) {
    try {
      return MAPPER.writeValueAsBytes(e);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  public static AuditEvent decode(byte[] json) throws IOException {
    return MAPPER.readValue(json, AuditEvent.class);
  }

  /** The shared mapper (JSON output of CLI commands). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
