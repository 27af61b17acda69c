package io.custos.writes;

import static io.custos.writes.TestProposals.code;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.pipeline.ToolCallException;
import io.custos.state.InProcessStateStore;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The proposal binding rules: payload digest, user, client, expiry, single use. */
class ProposalStoreTest {
  static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  static final String ARGS = TestProposals.ARGS;

  final ProposalStore store = new ProposalStore(InProcessStateStore.builder().maxProposals(100).build().proposals());

  Proposal propose(String id) {
    Proposal p = TestProposals.note(id, "alice", T0);
    store.add(p, T0);
    return p;
  }

  Proposal.Approval human(String subject, String client) {
    return new Proposal.Approval(subject, client, Proposal.Channel.APPROVAL_ENDPOINT, null, T0.plusSeconds(5));
  }

  @Test
  void canonicalJsonIsKeyOrderIndependentAndHashesExactly() {
    String a = CanonicalJson.of(Map.of("b", 1, "a", Map.of("y", "2", "x", true)));
    String b = CanonicalJson.ofJson("{\"a\":{\"x\":true,\"y\":\"2\"},\"b\":1}");
    assertThat(a).isEqualTo(b).isEqualTo("{\"a\":{\"x\":true,\"y\":\"2\"},\"b\":1}");
    assertThat(CanonicalJson.sha256(a)).hasSize(64).isNotEqualTo(CanonicalJson.sha256(CanonicalJson.of(Map.of("b", 2))));
    assertThat(CanonicalJson.sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void proposalIdsAreRandomAndMatchTheSchemaPattern() {
    String a = ProposalStore.newId();
    assertThat(a).matches(WriteTools.PROPOSAL_ID).isNotEqualTo(ProposalStore.newId());
  }

  @Test
  void approveThenCommitOnce() {
    Proposal p = propose("p-1");
    var snap = store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0.plusSeconds(5));
    assertThat(snap.state()).isEqualTo(Proposal.State.APPROVED);
    assertThat(store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(6))).isEqualTo(p);
    store.completeCommit(p.id(), new io.custos.fhir.WriteOutcome("DocumentReference", "x", "1", true));
    assertThat(store.get(p.id()).orElseThrow().state()).isEqualTo(Proposal.State.COMMITTED);
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(7))))
        .isEqualTo(ToolCallException.Reason.REPLAYED.code());
    assertThat(code(() -> store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0.plusSeconds(8))))
        .isEqualTo(ToolCallException.Reason.REPLAYED.code());
  }

  @Test
  void approvalIsBoundToThePayloadDigestTheHumanSaw() {
    Proposal p = propose("p-2");
    assertThat(code(() -> store.approve(p.id(), human("alice", "approval-app"), CanonicalJson.sha256("other"), T0)))
        .isEqualTo(ToolCallException.Reason.PAYLOAD_MISMATCH.code());
    assertThat(code(() -> store.approve(p.id(), human("alice", "approval-app"), null, T0))).isEqualTo(ToolCallException.Reason.PAYLOAD_MISMATCH.code());
    assertThat(store.get(p.id()).orElseThrow().state()).isEqualTo(Proposal.State.PENDING);
  }

  @Test
  void theAgentsClientCannotApproveButElicitationByTheSameUserCan() {
    Proposal p = propose("p-3");
    assertThat(code(() -> store.approve(p.id(), human("alice", "agent-app"), p.payloadSha256(), T0)))
        .isEqualTo(ToolCallException.Reason.SELF_APPROVAL.code());
    var viaElicitation = new Proposal.Approval("alice", "agent-app", Proposal.Channel.ELICITATION, p.payloadSha256(), T0);
    assertThat(store.approve(p.id(), viaElicitation, p.payloadSha256(), T0).state()).isEqualTo(Proposal.State.APPROVED);
  }

  @Test
  void anotherUserCanNeitherApproveNorCommit() {
    Proposal p = propose("p-4");
    assertThat(code(() -> store.approve(p.id(), human("mallory", "approval-app"), p.payloadSha256(), T0)))
        .isEqualTo(ToolCallException.Reason.WRONG_USER.code());
    store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0);
    assertThat(code(() -> store.beginCommit(p.id(), "mallory", p.tool(), "p1", ARGS, T0))).isEqualTo(ToolCallException.Reason.WRONG_USER.code());
    assertThat(code(() -> store.reject(p.id(), "mallory", T0))).isEqualTo(ToolCallException.Reason.WRONG_USER.code());
  }

  @Test
  void differentArgumentsToolOrPatientAtCommitAreRefused() {
    Proposal p = propose("p-5");
    store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0);
    String swapped = CanonicalJson.sha256(CanonicalJson.of(Map.of("patient_id", "p1", "text", "HELLO")));
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p1", swapped, T0))).isEqualTo(ToolCallException.Reason.PAYLOAD_MISMATCH.code());
    assertThat(code(() -> store.beginCommit(p.id(), "alice", "send_patient_message", "p1", ARGS, T0)))
        .isEqualTo(ToolCallException.Reason.PROPOSAL_MISMATCH.code());
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p2", ARGS, T0))).isEqualTo(ToolCallException.Reason.PROPOSAL_MISMATCH.code());
    // none of the refusals used the proposal up
    assertThat(store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0)).isEqualTo(p);
  }

  @Test
  void expiredProposalsCanNeitherBeApprovedNorCommitted() {
    Proposal p = propose("p-6");
    Instant late = p.expiresAt();
    assertThat(code(() -> store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), late)))
        .isEqualTo(ToolCallException.Reason.EXPIRED.code());
    Proposal q = propose("p-7");
    store.approve(q.id(), human("alice", "approval-app"), q.payloadSha256(), T0);
    assertThat(code(() -> store.beginCommit(q.id(), "alice", q.tool(), "p1", ARGS, q.expiresAt().plusSeconds(1))))
        .isEqualTo(ToolCallException.Reason.EXPIRED.code());
  }

  @Test
  void unapprovedRejectedAndUnknownProposalsAreNotCommitted() {
    Proposal p = propose("p-8");
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0))).isEqualTo(ToolCallException.Reason.NOT_APPROVED.code());
    store.reject(p.id(), "alice", T0);
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0))).isEqualTo(ToolCallException.Reason.REJECTED.code());
    assertThat(code(() -> store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0)))
        .isEqualTo(ToolCallException.Reason.REJECTED.code());
    assertThat(code(() -> store.beginCommit("p-nope", "alice", p.tool(), "p1", ARGS, T0)))
        .isEqualTo(ToolCallException.Reason.PROPOSAL_NOT_FOUND.code());
  }

  @Test
  void aFailedCommitCanBeRetriedButAConcurrentOneCannot() {
    Proposal p = propose("p-9");
    store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0);
    store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0);
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0))).isEqualTo(ToolCallException.Reason.REPLAYED.code());
    store.abortCommit(p.id());
    assertThat(store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0)).isEqualTo(p);
  }

  @Test
  void aTamperedStoredPayloadIsNotWritten() {
    String payload = CanonicalJson.of(Map.of("resource", Map.of("a", 1)));
    Proposal p = new Proposal("p-10", "draft_clinical_note", "alice", "agent-app", "p1", "DocumentReference", ARGS,
        CanonicalJson.of(Map.of("resource", Map.of("a", 2))), CanonicalJson.sha256(payload), "preview", Map.of(), T0,
        T0.plusSeconds(60));
    store.add(p, T0);
    store.approve(p.id(), human("alice", "approval-app"), p.payloadSha256(), T0);
    assertThat(code(() -> store.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0))).isEqualTo(ToolCallException.Reason.PAYLOAD_MISMATCH.code());
  }

  @Test
  void theStoreIsBoundedAndForgetsLongExpiredProposals() {
    ProposalStore small = new ProposalStore(InProcessStateStore.builder().maxProposals(1).build().proposals());
    String payload = CanonicalJson.of(Map.of());
    Proposal a = new Proposal("p-a", "t", "u", "c", "p", "X", ARGS, payload, CanonicalJson.sha256(payload), "", Map.of(), T0,
        T0.plusSeconds(1));
    small.add(a, T0);
    Proposal b = new Proposal("p-b", "t", "u", "c", "p", "X", ARGS, payload, CanonicalJson.sha256(payload), "", Map.of(), T0,
        T0.plusSeconds(1));
    assertThatThrownBy(() -> small.add(b, T0)).isInstanceOf(ToolCallException.class);
    small.add(b, T0.plus(ProposalStore.RETENTION).plusSeconds(5));
    assertThat(small.get("p-a")).isEmpty();
  }
}
