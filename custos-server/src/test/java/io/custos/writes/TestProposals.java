package io.custos.writes;

import io.custos.pipeline.ToolCallException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** Proposals for tests of the two-phase commit's rules and of the stores that keep proposals. */
public final class TestProposals {
  /** Digest of the canonical arguments every proposal here was made with. */
  public static final String ARGS = CanonicalJson.sha256(CanonicalJson.of(Map.of("patient_id", "p1", "text", "hello")));

  private TestProposals() {}

  /** A clinical note draft by {@code subject} (client {@code agent-app}) for patient {@code p1}, open 15 minutes from t0. */
  public static Proposal note(String id, String subject, Instant t0) {
    String payload = CanonicalJson.of(Map.of("tool", "draft_clinical_note", "patient_id", "p1", "resource", Map.of("a", 1)));
    return new Proposal(id, "draft_clinical_note", subject, "agent-app", "p1", "DocumentReference", ARGS, payload,
        CanonicalJson.sha256(payload), "preview", Map.of(), t0, t0.plus(Duration.ofMinutes(15)));
  }

  /** The reason code of the {@link ToolCallException} {@code r} throws, or {@code "none"} when it returns. */
  public static String code(Runnable r) {
    try {
      r.run();
    } catch (ToolCallException e) {
      return e.reason().code();
    }
    return "none";
  }
}
