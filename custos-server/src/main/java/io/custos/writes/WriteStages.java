package io.custos.writes;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.WriteOutcome;
import io.custos.pipeline.Completion;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolExchange;
import io.custos.policy.RolePolicy;
import io.custos.tools.Access;
import io.custos.tools.Declaration;
import io.custos.tools.OperationSpec;
import io.custos.tools.Route;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Resource;

/**
 * The write routes' own stages (human in the loop): {@link #propose()} builds the exact FHIR resource and holds it as
 * a {@link Proposal} bound to the payload digest, user, patient and expiry, writing nothing; {@link #approve()} lets
 * the proposing person view, approve or reject it from a separate application (the approval page) or in the client's
 * elicitation dialog; {@link #commit()} writes an approved payload exactly once. Authentication, rate limits, role,
 * scope, MFA, audit, argument validation and the care relationship are the pipeline's shared stages.
 */
public final class WriteStages {
  /** Name of the approval operation (the approval page and elicitation answers; not an MCP tool). */
  public static final String APPROVE = "approve_write";

  private final FhirUpstream upstream;
  private final FhirContext fhir;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final WriteSettings settings;
  private final ProposalStore proposals;
  private final RolePolicy roles;
  private volatile Supplier<Optional<String>> approvalBase = Optional::empty;

  /**
   * @param roles who may approve a proposal: a role that lists the proposal's tool
   */
  public WriteStages(FhirUpstream upstream, FhirContext fhir, ObjectMapper mapper, Clock clock, WriteSettings settings,
      ProposalStore proposals, RolePolicy roles) {
    this.upstream = upstream;
    this.fhir = fhir;
    this.mapper = mapper;
    this.clock = clock;
    this.settings = settings;
    this.proposals = proposals;
    this.roles = roles;
  }

  /** Where the approval page is served: {@code https://host:port} (set once the HTTP server is up). */
  public void approvalBase(Supplier<Optional<String>> base) {
    this.approvalBase = base;
  }

  /** The approval operation: {@code proposal_id}, {@code decision} (view, approve, reject), {@code payload_sha256}. */
  public static Declaration approvalDeclaration() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("proposal_id", WriteTools.string("The proposal to decide", WriteTools.PROPOSAL_ID, 24));
    in.put("decision", WriteTools.enumOf("view shows the proposal; approve writes exactly the payload shown; reject writes nothing",
        List.of("view", "approve", "reject")));
    in.put("payload_sha256", WriteTools.string("SHA-256 of the payload the person was shown", "^[0-9a-f]{64}$", 64));
    return OperationSpec.builder(APPROVE).title("Approve a write")
        .description("A person views, approves or rejects a write an agent proposed for them (approval page or elicitation).")
        .input(WriteTools.object(in, List.of("proposal_id", "decision"))).hints(new io.custos.tools.ToolHints(false, false, false, false))
        .route(Route.WRITE_APPROVE).access(Access.authenticated(Access.PatientBinding.NONE, true))
        .kind(Declaration.Kind.OPERATION).build();
  }

  /** Gate stage of the write routes: in read-only mode ({@code policy.readOnly}) every write is refused. */
  public Stage writable() {
    return Stage.step(StageName.AUTHORIZE, ex -> requireWritable());
  }

  // --- propose -------------------------------------------------------------------------------------

  /** Builds the resource and stores the pending proposal; nothing is written. */
  public Stage propose() {
    return Stage.step(StageName.PROPOSE, ex -> {
      WriteToolSpec spec = (WriteToolSpec) ex.declaration();
      Caller caller = ex.caller();
      String patient = ex.patientId().orElseThrow();
      Map<String, Object> args = arguments(ex);
      String id = ProposalStore.newId();
      Instant now = clock.instant();
      WriteAction.Draft draft = upstreamCall(() -> spec.action().draft(new WriteAction.Context(
          new io.custos.tools.ToolArguments(args), patient, caller, upstream.as(caller), now, id)));
      refuseWhereConsentDenies(ex, draft.resource());
      Map<String, Object> payload = new LinkedHashMap<>();
      payload.put("tool", spec.name());
      payload.put("patient_id", patient);
      payload.put("resource", resourceTree(draft.resource()));
      payload.put("bindings", draft.bindings());
      String payloadJson = CanonicalJson.of(payload);
      Proposal p = new Proposal(id, spec.name(), caller.subject(), caller.clientId(), patient, spec.resourceType(),
          CanonicalJson.sha256(CanonicalJson.of(args)), payloadJson, CanonicalJson.sha256(payloadJson), draft.preview(),
          draft.details(), now, now.plus(settings.proposalTtl()));
      proposals.add(p, now);
      ex.result(proposalResult(p, "pending_approval", null), 0, Completion.WRITE_PROPOSED);
      ex.boundToPayload(p.payloadSha256());
    });
  }

  /** The record to be written is judged by the patient's Consents like a record read (its codes, labels and dates). */
  private static void refuseWhereConsentDenies(ToolExchange ex, Resource record) {
    if (ex.withheldByConsent(record)) {
      throw new ToolCallException(ToolCallException.Reason.CONSENT,
          "The patient's consent does not permit this record to be written by this caller for this purpose.");
    }
  }

  // --- approve -------------------------------------------------------------------------------------

  /**
   * A person's decision on their own proposal: only the proposing user, with a role that may use the tool; on the
   * approval page only from an application other than the agent's client.
   */
  public Stage approve() {
    return Stage.step(StageName.APPROVE, ex -> {
      var args = ex.arguments();
      String id = args.required("proposal_id");
      Caller approver = ex.caller();
      var snap = proposals.get(id).orElseThrow(() ->
          new ToolCallException(ToolCallException.Reason.PROPOSAL_NOT_FOUND, "No such proposal."));
      Proposal p = snap.proposal();
      if (!p.subject().equals(approver.subject())) {
        throw new ToolCallException(ToolCallException.Reason.WRONG_USER, "This proposal belongs to another user.");
      }
      ex.attributePatient(p.patientId()); // only now: never attribute another user's patient to this event
      if (!roles.allows(approver, p.tool())) {
        throw new ToolCallException(ToolCallException.Reason.WRONG_ROLE, "Your role does not permit approving this write.");
      }
      Proposal.Channel channel = ex.call().channel() == ToolCall.Channel.ELICITATION
          ? Proposal.Channel.ELICITATION : Proposal.Channel.APPROVAL_ENDPOINT;
      // The page is for the person, from their own application: the agent's client may neither decide nor look.
      if (channel == Proposal.Channel.APPROVAL_ENDPOINT && (approver.clientId() == null || p.clientId() == null
          || approver.clientId().equals(p.clientId()))) {
        throw new ToolCallException(ToolCallException.Reason.SELF_APPROVAL,
            "The agent's client cannot approve its own proposal; a person must approve it from a separate application.");
      }
      Instant now = clock.instant();
      switch (args.required("decision")) {
        case "approve" -> {
          var done = proposals.approve(id, new Proposal.Approval(approver.subject(), approver.clientId(), channel,
              args.string("payload_sha256").orElse(null), now), args.string("payload_sha256").orElse(null), now);
          ex.result(view(done), 0, Completion.WRITE_APPROVED);
        }
        case "reject" -> ex.result(view(proposals.reject(id, approver.subject(), now)), 0, Completion.WRITE_REJECTED);
        default -> ex.result(view(snap), 0, Completion.SUCCESS);
      }
      ex.boundToPayload(p.payloadSha256());
    });
  }

  /** What the approval page shows (the person's own proposal: its preview and digest). */
  private static Map<String, Object> view(ProposalStore.Snapshot s) {
    Proposal p = s.proposal();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("proposal_id", p.id());
    m.put("state", s.state().name().toLowerCase(java.util.Locale.ROOT));
    m.put("tool", p.tool());
    m.put("patient_id", p.patientId());
    m.put("resource_type", p.resourceType());
    m.put("payload_sha256", p.payloadSha256());
    m.put("expires_at", p.expiresAt().toString());
    m.put("preview", p.preview());
    if (!p.details().isEmpty()) {
      m.put("details", p.details());
    }
    return m;
  }

  // --- commit --------------------------------------------------------------------------------------

  /** Writes an approved proposal's exact payload, once. */
  public Stage commit() {
    return Stage.step(StageName.COMMIT, ex -> {
      WriteToolSpec spec = (WriteToolSpec) ex.declaration();
      String id = ex.arguments().required("proposal_id");
      Proposal p = proposals.beginCommit(id, ex.caller().subject(), spec.name(), ex.patientId().orElseThrow(),
          CanonicalJson.sha256(CanonicalJson.of(arguments(ex))), clock.instant());
      WriteOutcome written;
      try {
        Map<?, ?> payload = mapper.readValue(p.payloadJson(), Map.class);
        Resource resource = (Resource) fhir.newJsonParser().parseResource(mapper.writeValueAsString(payload.get("resource")));
        refuseWhereConsentDenies(ex, resource); // a Consent made or changed since the proposal also counts
        @SuppressWarnings("unchecked")
        Map<String, String> bindings = (Map<String, String>) payload.get("bindings");
        written = upstreamCall(() -> spec.action().commit(resource, bindings, p.id(), upstream.as(ex.caller())));
      } catch (ToolCallException e) {
        if (e.reason() == ToolCallException.Reason.SLOT_TAKEN) {
          proposals.failCommit(id);
        } else {
          proposals.abortCommit(id);
        }
        throw e;
      } catch (IOException | RuntimeException e) {
        proposals.abortCommit(id);
        throw new ToolCallException(ToolCallException.Reason.INTERNAL, "Internal error; nothing was written.");
      }
      proposals.completeCommit(id, written);
      Map<String, Object> out = proposalResult(p, "committed", "Wrote " + written.resourceType() + "/" + written.id()
          + (written.versionId() == null ? "" : " (version " + written.versionId() + ")")
          + (written.created() ? "" : "; it already existed from this proposal, so nothing new was written") + ".");
      out.remove("preview");
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("resource_type", written.resourceType());
      w.put("id", written.id());
      if (written.versionId() != null) {
        w.put("version", written.versionId());
      }
      w.put("created", written.created());
      out.put("written", w);
      ex.result(out, 1, Completion.WRITE_COMMITTED);
      ex.boundToPayload(p.payloadSha256());
    });
  }

  // --- shared ------------------------------------------------------------------------------------

  private void requireWritable() {
    if (settings.readOnly()) {
      throw new ToolCallException(ToolCallException.Reason.READ_ONLY, "This server is in read-only mode; no writes are possible.");
    }
  }

  /** The validated arguments without {@code proposal_id}, with the bound patient. */
  private static Map<String, Object> arguments(ToolExchange ex) {
    Map<String, Object> args = new LinkedHashMap<>(ex.arguments().values());
    args.remove("proposal_id");
    args.put("patient_id", ex.patientId().orElseThrow());
    return args;
  }

  private static <T> T upstreamCall(Supplier<T> call) {
    try {
      return call.get();
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e);
    }
  }

  private Object resourceTree(Resource resource) {
    try {
      return mapper.readValue(fhir.newJsonParser().encodeResourceToString(resource), Object.class);
    } catch (IOException e) {
      throw new IllegalStateException("resource could not be encoded");
    }
  }

  /** The elicitation dialog's text: the preview, the payload digest and the proposal's expiry. */
  public static String elicitationMessage(Map<String, Object> proposal) {
    return "Approve this write to the health record?\n\n" + proposal.get("preview") + "\n\n"
        + "Payload SHA-256: " + proposal.get("payload_sha256") + "\n"
        + "Proposal: " + proposal.get("proposal_id") + " (expires " + proposal.get("expires_at") + ")\n"
        + "Only approve if you, the signed-in clinician, reviewed it. Rejecting writes nothing.";
  }

  private Map<String, Object> proposalResult(Proposal p, String status, String message) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", status);
    out.put("proposal_id", p.id());
    out.put("tool", p.tool());
    out.put("patient_id", p.patientId());
    out.put("payload_sha256", p.payloadSha256());
    out.put("expires_at", p.expiresAt().toString());
    out.put("preview", p.preview());
    if (status.equals("pending_approval")) {
      Map<String, Object> approval = new LinkedHashMap<>();
      Optional<String> base = approvalBase.get();
      approval.put("channel", "approval_endpoint");
      base.ifPresent(b -> approval.put("url", b + "/approvals/" + p.id()));
      approval.put("instructions", "Nothing has been written. Ask the user to review and approve this proposal"
          + (base.isPresent() ? " at the approval url, signed in from their own application (not this agent's client)" : "")
          + "; then call " + p.tool() + " again with the same arguments and proposal_id to commit.");
      out.put("approval", approval);
    }
    if (message != null) {
      out.put("message", message);
    }
    if (!p.details().isEmpty()) {
      out.put("details", p.details());
    }
    return out;
  }
}
