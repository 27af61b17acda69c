package io.custos.audit.ledger;

import io.custos.audit.AuditEvent;
import io.custos.verify.SegmentFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/** Test helpers: synthetic events and an "attacker" that rewrites segment files with valid CRCs. */
final class LedgerFixtures {
  private LedgerFixtures() {}

  static AuditEvent event(String pseudonym, AuditEvent.Phase phase) {
    return new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), Instant.now(), phase,
        "dr-alice", "Practitioner/p1", "agent-client", "session-1", "tokhash", Set.of("clinician"),
        "get_medications", "MedicationRequest", pseudonym == null ? List.of() : List.of(pseudonym),
        "patient/MedicationRequest.rs", "success", phase == AuditEvent.Phase.RESULT ? 3 : 0,
        phase == AuditEvent.Phase.RESULT ? "ab".repeat(32) : null, 1234, "127.0.0.1", "0.1.0");
  }

  static AuditEvent event() {
    return event("pt_0123456789abcdef0123456789abcdef", AuditEvent.Phase.INTENT);
  }

  /** Reads every record payload of every segment. */
  static List<byte[]> payloads(Path dir) throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (SegmentFormat.Segment s : SegmentFormat.list(dir)) {
      SegmentFormat.scan(s.file(), (off, p) -> out.add(p));
    }
    return out;
  }

  /** Rewrites the ledger as one segment holding {@code change(payloads)}, with correct CRCs. */
  static void rewrite(Path dir, UnaryOperator<List<byte[]>> change) throws IOException {
    List<byte[]> after = change.apply(new ArrayList<>(payloads(dir)));
    for (SegmentFormat.Segment s : SegmentFormat.list(dir)) {
      Files.delete(s.file());
    }
    int total = SegmentFormat.HEADER;
    for (byte[] p : after) {
      total += 8 + p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(total).put(SegmentFormat.MAGIC);
    after.forEach(p -> SegmentFormat.frame(b, p));
    Files.write(dir.resolve(SegmentFormat.fileName(0)), b.array());
  }

  static byte[] flipLastByte(byte[] p) {
    byte[] c = p.clone();
    c[c.length - 1] ^= 1;
    return c;
  }
}
