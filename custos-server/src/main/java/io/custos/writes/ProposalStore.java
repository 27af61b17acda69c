package io.custos.writes;

import io.custos.pipeline.ToolCallException;
import io.custos.fhir.WriteOutcome;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The rules that bind proposals (the heart of the two-phase commit), over a {@link ProposalRecords} store that holds
 * them. Every transition is one atomic update of the store, so a proposal is approved at most once and committed at
 * most once, whichever server of a fleet handles each step.
 *
 * <p>Approval ({@link #approve}) requires: the proposal exists and is pending and unexpired; the approver is the
 * proposing user ({@code sub}); the digest the human was shown equals the proposal's payload digest; and on the
 * out-of-band channel, a client other than the proposing (agent's) client. Commit ({@link #beginCommit})
 * requires: the same user, the same tool and patient, an approval, no earlier commit (replay), no expiry, the same
 * canonical arguments, and a stored payload that still hashes to the approved digest.
 *
 * <p>Committed and rejected proposals are kept for {@link #RETENTION} after their expiry so that a replay is
 * recognised as such; the store bounds how many proposals it holds and new ones are refused beyond that.
 */
public final class ProposalStore {
  /** How long finished proposals are remembered after they expire (replay detection). */
  public static final Duration RETENTION = Duration.ofHours(24);

  /** Most pending proposals {@link #pendingFor} returns in one page. */
  public static final int MAX_PAGE = 100;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ProposalRecords records;

  /** A proposal with its state, approval and written result (a snapshot; also the stored record). */
  public record Snapshot(Proposal proposal, Proposal.State state, Optional<Proposal.Approval> approval,
      Optional<WriteOutcome> written) {
    Snapshot in(Proposal.State next) {
      return new Snapshot(proposal, next, approval, written);
    }
  }

  /** @param records where the proposals are kept (the server's state store) */
  public ProposalStore(ProposalRecords records) {
    this.records = records;
  }

  /** A new random proposal id (128 bits, URL-safe). */
  public static String newId() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "p-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Stores a new pending proposal. @throws ToolCallException when the store is full */
  public void add(Proposal p, Instant now) {
    if (!records.insert(new Snapshot(p, Proposal.State.PENDING, Optional.empty(), Optional.empty()), now.minus(RETENTION))) {
      throw new ToolCallException(ToolCallException.Reason.UPSTREAM_UNAVAILABLE, "Too many open proposals; try again later.");
    }
  }

  public Optional<Snapshot> get(String id) {
    return id == null ? Optional.empty() : records.find(id);
  }

  /**
   * The proposals {@code subject} may still decide: their own, pending and unexpired at {@code now}, oldest first.
   *
   * @param limit page size, 1 to {@link #MAX_PAGE}
   * @throws IllegalArgumentException when {@code limit} is outside that range
   */
  public List<Snapshot> pendingFor(String subject, Instant now, int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      throw new IllegalArgumentException("page size must be 1 to " + MAX_PAGE);
    }
    return records.pending(subject, now, limit);
  }

  /**
   * Records a human approval.
   *
   * @param presentedSha256 the payload digest the human was shown (and approved)
   * @throws ToolCallException naming the broken rule
   */
  public Snapshot approve(String id, Proposal.Approval approval, String presentedSha256, Instant now) {
    return change(id, e -> {
      decidable(e, approval.subject(), now);
      // Without a client id on either side a separate application cannot be shown, so it counts as self-approval.
      if (approval.channel() == Proposal.Channel.APPROVAL_ENDPOINT && (approval.clientId() == null
          || e.proposal().clientId() == null || approval.clientId().equals(e.proposal().clientId()))) {
        throw new ToolCallException(ToolCallException.Reason.SELF_APPROVAL,
            "The agent's client cannot approve its own proposal; a person must approve it from a separate application.");
      }
      if (presentedSha256 == null || !presentedSha256.equals(e.proposal().payloadSha256())) {
        throw new ToolCallException(ToolCallException.Reason.PAYLOAD_MISMATCH,
            "The payload digest does not match this proposal; nothing was approved.");
      }
      // the approval records the digest the human was shown (verified equal above)
      var approved = new Proposal.Approval(approval.subject(), approval.clientId(), approval.channel(), presentedSha256,
          approval.at());
      return new Snapshot(e.proposal(), Proposal.State.APPROVED, Optional.of(approved), e.written());
    });
  }

  /** Records a human rejection. @throws ToolCallException naming the broken rule */
  public Snapshot reject(String id, String subject, Instant now) {
    return change(id, e -> {
      decidable(e, subject, now);
      return e.in(Proposal.State.REJECTED);
    });
  }

  /** Applies {@code rule} to proposal {@code id} atomically. @throws ToolCallException when there is no such proposal */
  private Snapshot change(String id, UnaryOperator<Snapshot> rule) {
    return (id == null ? Optional.<Snapshot>empty() : records.update(id, rule)).orElseThrow(
        () -> new ToolCallException(ToolCallException.Reason.PROPOSAL_NOT_FOUND, "No such proposal."));
  }

  private static void decidable(Snapshot e, String subject, Instant now) {
    owned(e, subject);
    switch (e.state()) {
      case PENDING -> { }
      case REJECTED -> throw new ToolCallException(ToolCallException.Reason.REJECTED, "This proposal was rejected.");
      default -> throw new ToolCallException(ToolCallException.Reason.REPLAYED, "This proposal has already been decided.");
    }
    if (!now.isBefore(e.proposal().expiresAt())) {
      throw new ToolCallException(ToolCallException.Reason.EXPIRED, "This proposal has expired; propose the write again.");
    }
  }

  private static void owned(Snapshot e, String subject) {
    if (!e.proposal().subject().equals(subject)) {
      throw new ToolCallException(ToolCallException.Reason.WRONG_USER, "This proposal belongs to another user.");
    }
  }

  /**
   * Starts the commit of an approved proposal (moves it to {@code COMMITTING}, so it is used at most once).
   *
   * @param argumentsSha256 digest of the canonical arguments presented with the commit
   * @throws ToolCallException naming the broken rule
   */
  public Proposal beginCommit(String id, String subject, String tool, String patientId, String argumentsSha256,
      Instant now) {
    return change(id, e -> {
      owned(e, subject);
      Proposal p = e.proposal();
      if (!p.tool().equals(tool) || !p.patientId().equals(patientId)) {
        throw new ToolCallException(ToolCallException.Reason.PROPOSAL_MISMATCH, "This proposal is for another tool or patient.");
      }
      switch (e.state()) {
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
      if (!p.payloadSha256().equals(e.approval().orElseThrow().payloadSha256())
          || !p.payloadSha256().equals(CanonicalJson.sha256(p.payloadJson()))) {
        throw new ToolCallException(ToolCallException.Reason.PAYLOAD_MISMATCH, "The payload no longer matches what was approved.");
      }
      return e.in(Proposal.State.COMMITTING);
    }).proposal();
  }

  /** Marks a commit done. */
  public void completeCommit(String id, WriteOutcome written) {
    records.update(id, e -> new Snapshot(e.proposal(), Proposal.State.COMMITTED, e.approval(), Optional.of(written)));
  }

  /** Returns a failed commit to {@code APPROVED} (the idempotency key prevents a duplicate on retry). */
  public void abortCommit(String id) {
    leaveCommitting(id, Proposal.State.APPROVED);
  }

  /** Marks a commit permanently failed (e.g. the slot was taken meanwhile): the proposal cannot be used again. */
  public void failCommit(String id) {
    leaveCommitting(id, Proposal.State.REJECTED);
  }

  private void leaveCommitting(String id, Proposal.State next) {
    records.update(id, e -> e.state() == Proposal.State.COMMITTING ? e.in(next) : e);
  }
}
