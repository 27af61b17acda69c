package io.custos.writes;

import io.custos.pipeline.ToolCallException;
import io.custos.fhir.WriteOutcome;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * In-memory proposals and the rules that bind them (the heart of the two-phase commit). Thread-safe: every
 * transition is one synchronized step, so a proposal is approved at most once and committed at most once.
 *
 * <p>Approval ({@link #approve}) requires: the proposal exists and is pending and unexpired; the approver is the
 * proposing user ({@code sub}); the digest the human was shown equals the proposal's payload digest; and on the
 * out-of-band channel, a client other than the proposing (agent's) client. Commit ({@link #beginCommit})
 * requires: the same user, the same tool and patient, an approval, no earlier commit (replay), no expiry, the same
 * canonical arguments, and a stored payload that still hashes to the approved digest.
 *
 * <p>Committed and rejected proposals are kept for {@link #RETENTION} after their expiry so that a replay is
 * recognised as such; the store holds at most {@code capacity} proposals and refuses new ones beyond that.
 */
public final class ProposalStore {
  /** How long finished proposals are remembered after they expire (replay detection). */
  public static final Duration RETENTION = Duration.ofHours(24);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final int capacity;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  private static final class Entry {
    final Proposal proposal;
    Proposal.State state = Proposal.State.PENDING;
    Proposal.Approval approval;
    WriteOutcome written;

    Entry(Proposal proposal) {
      this.proposal = proposal;
    }
  }

  /** A proposal with its state, approval and written result (a snapshot). */
  public record Snapshot(Proposal proposal, Proposal.State state, Optional<Proposal.Approval> approval,
      Optional<WriteOutcome> written) {}

  public ProposalStore(int capacity) {
    this.capacity = capacity;
  }

  /** A new random proposal id (128 bits, URL-safe). */
  public static String newId() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "p-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Stores a new pending proposal. @throws ToolCallException when the store is full */
  public synchronized void add(Proposal p, Instant now) {
    entries.values().removeIf(e -> e.proposal.expiresAt().plus(RETENTION).isBefore(now));
    if (entries.size() >= capacity) {
      throw new ToolCallException(ToolCallException.Reason.UPSTREAM_UNAVAILABLE, "Too many open proposals; try again later.");
    }
    entries.put(p.id(), new Entry(p));
  }

  public synchronized Optional<Snapshot> get(String id) {
    Entry e = entries.get(id);
    return e == null ? Optional.empty() : Optional.of(snapshot(e));
  }

  /**
   * Records a human approval.
   *
   * @param presentedSha256 the payload digest the human was shown (and approved)
   * @throws ToolCallException naming the broken rule
   */
  public synchronized Snapshot approve(String id, Proposal.Approval approval, String presentedSha256, Instant now) {
    Entry e = decidable(id, approval.subject(), now);
    // Without a client id on either side a separate application cannot be shown, so it counts as self-approval.
    if (approval.channel() == Proposal.Channel.APPROVAL_ENDPOINT && (approval.clientId() == null
        || e.proposal.clientId() == null || approval.clientId().equals(e.proposal.clientId()))) {
      throw new ToolCallException(ToolCallException.Reason.SELF_APPROVAL,
          "The agent's client cannot approve its own proposal; a person must approve it from a separate application.");
    }
    if (presentedSha256 == null || !presentedSha256.equals(e.proposal.payloadSha256())) {
      throw new ToolCallException(ToolCallException.Reason.PAYLOAD_MISMATCH,
          "The payload digest does not match this proposal; nothing was approved.");
    }
    e.state = Proposal.State.APPROVED;
    // the approval records the digest the human was shown (verified equal above)
    e.approval = new Proposal.Approval(approval.subject(), approval.clientId(), approval.channel(), presentedSha256, approval.at());
    return snapshot(e);
  }

  /** Records a human rejection. @throws ToolCallException naming the broken rule */
  public synchronized Snapshot reject(String id, String subject, Instant now) {
    Entry e = decidable(id, subject, now);
    e.state = Proposal.State.REJECTED;
    return snapshot(e);
  }

  private Entry decidable(String id, String subject, Instant now) {
    Entry e = owned(id, subject);
    switch (e.state) {
      case PENDING -> { }
      case REJECTED -> throw new ToolCallException(ToolCallException.Reason.REJECTED, "This proposal was rejected.");
      default -> throw new ToolCallException(ToolCallException.Reason.REPLAYED, "This proposal has already been decided.");
    }
    if (!now.isBefore(e.proposal.expiresAt())) {
      throw new ToolCallException(ToolCallException.Reason.EXPIRED, "This proposal has expired; propose the write again.");
    }
    return e;
  }

  private Entry owned(String id, String subject) {
    Entry e = id == null ? null : entries.get(id);
    if (e == null) {
      throw new ToolCallException(ToolCallException.Reason.PROPOSAL_NOT_FOUND, "No such proposal.");
    }
    if (!e.proposal.subject().equals(subject)) {
      throw new ToolCallException(ToolCallException.Reason.WRONG_USER, "This proposal belongs to another user.");
    }
    return e;
  }

  /**
   * Starts the commit of an approved proposal (moves it to {@code COMMITTING}, so it is used at most once).
   *
   * @param argumentsSha256 digest of the canonical arguments presented with the commit
   * @throws ToolCallException naming the broken rule
   */
  public synchronized Proposal beginCommit(String id, String subject, String tool, String patientId, String argumentsSha256,
      Instant now) {
    Entry e = owned(id, subject);
    Proposal p = e.proposal;
    if (!p.tool().equals(tool) || !p.patientId().equals(patientId)) {
      throw new ToolCallException(ToolCallException.Reason.PROPOSAL_MISMATCH, "This proposal is for another tool or patient.");
    }
    switch (e.state) {
      case APPROVED -> { }
      case PENDING -> throw new ToolCallException(ToolCallException.Reason.NOT_APPROVED,
          "This proposal has not been approved by a person yet; nothing was written.");
      case REJECTED -> throw new ToolCallException(ToolCallException.Reason.REJECTED, "This proposal was rejected; nothing was written.");
      default -> throw new ToolCallException(ToolCallException.Reason.REPLAYED,
          "This proposal has already been committed; it cannot be used again.");
    }
    if (!now.isBefore(p.expiresAt())) {
      throw new ToolCallException(ToolCallException.Reason.EXPIRED, "This proposal has expired; propose the write again.");
    }
    if (!p.argumentsSha256().equals(argumentsSha256)) {
      throw new ToolCallException(ToolCallException.Reason.PAYLOAD_MISMATCH,
          "The arguments differ from the approved proposal; only the exact approved payload can be written.");
    }
    if (!p.payloadSha256().equals(e.approval.payloadSha256()) || !p.payloadSha256().equals(CanonicalJson.sha256(p.payloadJson()))) {
      throw new ToolCallException(ToolCallException.Reason.PAYLOAD_MISMATCH, "The payload no longer matches what was approved.");
    }
    e.state = Proposal.State.COMMITTING;
    return p;
  }

  /** Marks a commit done. */
  public synchronized void completeCommit(String id, WriteOutcome written) {
    Entry e = entries.get(id);
    e.state = Proposal.State.COMMITTED;
    e.written = written;
  }

  /** Returns a failed commit to {@code APPROVED} (the idempotency key prevents a duplicate on retry). */
  public synchronized void abortCommit(String id) {
    Entry e = entries.get(id);
    if (e != null && e.state == Proposal.State.COMMITTING) {
      e.state = Proposal.State.APPROVED;
    }
  }

  /** Marks a commit permanently failed (e.g. the slot was taken meanwhile): the proposal cannot be used again. */
  public synchronized void failCommit(String id) {
    Entry e = entries.get(id);
    if (e != null && e.state == Proposal.State.COMMITTING) {
      e.state = Proposal.State.REJECTED;
    }
  }

  private static Snapshot snapshot(Entry e) {
    return new Snapshot(e.proposal, e.state, Optional.ofNullable(e.approval), Optional.ofNullable(e.written));
  }
}
