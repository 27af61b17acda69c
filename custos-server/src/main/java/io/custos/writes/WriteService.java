package io.custos.writes;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.AuditUnavailableException;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.auth.SmartScope;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.WriteOutcome;
import io.custos.pipeline.ToolCall;
import io.custos.policy.AccessControl;
import io.custos.policy.BreakGlass;
import io.custos.tools.ToolArguments;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The human-approved write flow (issue 6; SPEC.md "human in the loop"): propose, approve, commit.
 *
 * <p>Every call runs, in order: authenticate (an identity for this request, unexpired); authorize (global
 * read-only mode off; the role lists the tool; a granted SMART v2 scope permits the write, e.g.
 * {@code user/DocumentReference.c}; MFA evidence; the patient bound as for reads: a {@code patient/} token's
 * context, or a care relationship or break-the-glass grant for {@code user/} tokens); validate arguments (the
 * tool's strict schema); then either <b>propose</b> (audit intent, build the exact FHIR resource, store a
 * {@link Proposal} bound to the payload digest, user, patient and expiry, audit; nothing is written; with an MCP
 * client that supports elicitation the user is asked at once and an approval is committed in the same call) or,
 * with {@code proposal_id}, <b>commit</b> (the {@link ProposalStore} rules, audit intent, the write once,
 * audit result). Approvals out of band go through {@link #decide} (the approval endpoint).
 */
public final class WriteService {
  private static final Logger log = LoggerFactory.getLogger(WriteService.class);

  /** Asks the user of the MCP client to approve (MCP elicitation). */
  @FunctionalInterface
  public interface Elicitor {
    /** @return true approved, false rejected, empty when there was no answer (error, timeout) */
    Optional<Boolean> ask(String message);
  }

  private final WriteTools tools;
  private final FhirUpstream upstream;
  private final WriteAudit audit;
  private final AccessControl access;
  private final JsonSchemaValidator validator;
  private final FhirContext fhir;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final WriteSettings settings;
  private final ProposalStore proposals;
  private volatile Supplier<Optional<String>> approvalBase = Optional::empty;

  public WriteService(WriteTools tools, FhirUpstream upstream, AuditTrail trail, PatientPseudonyms pseudonyms,
      AccessControl access, JsonSchemaValidator validator, FhirContext fhir, ObjectMapper mapper, Clock clock, String version,
      WriteSettings settings) {
    this.tools = tools;
    this.upstream = upstream;
    this.audit = new WriteAudit(trail, pseudonyms, clock, version);
    this.access = access;
    this.validator = validator;
    this.fhir = fhir;
    this.mapper = mapper;
    this.clock = clock;
    this.settings = settings;
    this.proposals = new ProposalStore(10_000);
  }

  public WriteTools tools() {
    return tools;
  }

  public WriteSettings settings() {
    return settings;
  }

  /** Where the approval page is served: {@code https://host:port} (set once the HTTP server is up). */
  public void approvalBase(Supplier<Optional<String>> base) {
    this.approvalBase = base;
  }

  /** Whether {@code tools/list} shows the write tool {@code tool} to this caller. */
  public boolean visible(Optional<Caller> caller, String tool) {
    if (caller.isEmpty()) {
      return false;
    }
    if (tool.equals(WriteTools.PRIOR_AUTH_STATUS)) {
      return access.roles().allows(caller.get(), tool) && access.scopes().grant(caller.get(), "ClaimResponse").isPresent();
    }
    return !settings.readOnly() && tools.find(tool).map(spec -> access.roles().allows(caller.get(), tool)
        && writeGrant(caller.get(), spec).isPresent()).orElse(false);
  }

  // --- one call ----------------------------------------------------------------------------------

  /** State of one call, for the audit trail. */
  private static final class Call {
    final ToolCall call;
    final long start = System.nanoTime();
    String callId = UUID.randomUUID().toString();
    Caller caller;
    WriteToolSpec spec;
    String patientId;
    String scope;
    BreakGlass.Grant breakGlass;
    /** Whether an intent event was recorded (refusals after it are RESULT events, before it DENIED). */
    boolean intent;

    Call(ToolCall call) {
      this.call = call;
    }

    WriteAudit.Step step() {
      return new WriteAudit.Step(callId, caller != null ? caller : call.caller().orElse(null), call.sessionId(),
          call.sourceAddress(), call.toolName(), spec == null ? null : spec.resourceType(),
          patientId != null ? patientId : call.arguments().get("patient_id") instanceof String s ? s : null,
          scope, breakGlass, start);
    }
  }

  /**
   * Handles one call of a write tool. Never throws.
   *
   * @param elicitor asks the user for approval, or null when the client did not declare elicitation
   */
  public WriteResponse handle(ToolCall toolCall, Elicitor elicitor) {
    Call c = new Call(toolCall);
    boolean intent = false;
    try {
      c.spec = tools.find(toolCall.toolName()).orElseThrow(() ->
          new WriteException(WriteException.NOT_FOUND, "Unknown tool."));
      authorize(c);
      Map<String, Object> args = validate(c);
      Object proposalId = toolCall.arguments().get("proposal_id");
      if (proposalId instanceof String id) {
        c.callId = id;
        return commit(c, id, args);
      }
      return propose(c, args, elicitor);
    } catch (WriteException e) {
      return refuse(c, e);
    } catch (UpstreamException e) {
      return refuse(c, upstreamFailure(e));
    } catch (AuditUnavailableException e) {
      return WriteResponse.failure(new WriteException(WriteException.AUDIT_UNAVAILABLE,
          "The audit trail is unavailable, so nothing can be written."));
    } catch (RuntimeException e) {
      log.error("write call {} failed internally: {}", c.callId, e.getClass().getName());
      return refuse(c, new WriteException(WriteException.INTERNAL, "Internal error; nothing was written."));
    }
  }

  private WriteResponse refuse(Call c, WriteException e) {
    try {
      audit.record(c.step(), c.intent ? AuditEvent.Phase.RESULT : AuditEvent.Phase.DENIED,
          e.code(), null, 0);
    } catch (AuditUnavailableException auditDown) {
      log.error("write call {} refused ({}) and its audit event could not be written", c.callId, e.code());
    }
    return WriteResponse.failure(e);
  }

  private void authorize(Call c) {
    Caller caller = c.call.caller().orElseThrow(() ->
        new WriteException("unauthenticated", "Authentication is required."));
    if (!caller.expiresAt().isAfter(clock.instant())) {
      throw new WriteException("unauthenticated", "The access token has expired; sign in again.");
    }
    c.caller = caller;
    if (settings.readOnly()) {
      throw new WriteException(WriteException.READ_ONLY, "This server is in read-only mode; no writes are possible.");
    }
    if (!access.roles().allows(caller, c.spec.name())) {
      throw new WriteException(WriteException.FORBIDDEN, "Your role does not permit this tool.");
    }
    var grant = writeGrant(caller, c.spec).orElseThrow(() -> new WriteException(WriteException.INSUFFICIENT_SCOPE,
        "No granted scope permits this write; it needs one of " + String.join(", ", c.spec.requiredScopes()) + "."));
    if (access.requireMfa() && !caller.mfa()) {
      throw new WriteException(WriteException.MFA_REQUIRED,
          "Writes require multi-factor authentication; sign in again with MFA (step-up).");
    }
    c.scope = grant.scope();
    Object requested = c.call.arguments().get("patient_id");
    if (grant.context().equals("patient")) {
      String bound = caller.patientContext().orElseThrow(() ->
          new WriteException(WriteException.FORBIDDEN, "The token has patient scopes but no patient context."));
      if (requested instanceof String s && !s.equals(bound)) {
        throw new WriteException(WriteException.FORBIDDEN, "patient_id is outside this token's patient context.");
      }
      c.patientId = bound;
      return;
    }
    if (!(requested instanceof String pid) || !pid.matches(WriteTools.ID)) {
      throw FhirWrites.invalid("patient_id is required (a FHIR id).");
    }
    c.patientId = pid;
    if (access.requireCareRelationship() && !access.care().exists(caller, pid)) {
      c.breakGlass = access.breakGlass().active(caller.subject(), pid).orElseThrow(() ->
          new WriteException(WriteException.NO_CARE_RELATIONSHIP,
              "You have no care relationship with this patient. In an emergency, declare break_the_glass with a reason."));
    }
  }

  /** The granted scope permitting {@code permission} on the tool's resource type (SMART v2), patient before user. */
  private static Optional<io.custos.policy.ScopeCheck.Grant> writeGrant(Caller caller, WriteToolSpec spec) {
    for (String context : new String[] {"patient", "user"}) {
      for (String s : caller.scopes()) {
        var parsed = SmartScope.parse(s);
        if (parsed.isPresent() && parsed.get().context().equals(context)
            && (parsed.get().resource().equals("*") || parsed.get().resource().equals(spec.resourceType()))
            && parsed.get().permissions().contains(spec.permission()) && parsed.get().query().isEmpty()) {
          return Optional.of(new io.custos.policy.ScopeCheck.Grant(s, context));
        }
      }
    }
    return Optional.empty();
  }

  /** Validates against the strict schema; returns the arguments without {@code proposal_id}, patient bound. */
  private Map<String, Object> validate(Call c) {
    Map<String, Object> raw = new LinkedHashMap<>(c.call.arguments());
    raw.putIfAbsent("patient_id", c.patientId);
    var response = validator.validate(c.spec.inputSchema(), raw);
    if (!response.valid()) {
      throw FhirWrites.invalid("Arguments do not match the tool's input schema: " + summarize(response.errorMessage()));
    }
    raw.remove("proposal_id");
    return raw;
  }

  private static String summarize(String message) {
    if (message == null || message.isBlank()) {
      return "invalid arguments.";
    }
    String s = message.replaceAll("\"[^\"]*\"|'[^']*'", "(value)").replaceAll("\\s+", " ").trim();
    int idx = s.indexOf("Validation failed:");
    if (idx >= 0) {
      s = s.substring(idx + "Validation failed:".length()).trim();
    }
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  // --- propose -----------------------------------------------------------------------------------

  private WriteResponse propose(Call c, Map<String, Object> args, Elicitor elicitor) {
    String id = ProposalStore.newId();
    c.callId = id;
    audit.record(c.step(), AuditEvent.Phase.INTENT, WriteAudit.PROPOSE_INTENT, null, 0); // before any PHI is read
    c.intent = true;
    Instant now = clock.instant();
    WriteAction.Draft draft = c.spec.action().draft(new WriteAction.Context(new ToolArguments(args), c.patientId, c.caller,
        upstream, now, id));
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("tool", c.spec.name());
    payload.put("patient_id", c.patientId);
    payload.put("resource", resourceTree(draft.resource()));
    payload.put("bindings", draft.bindings());
    String payloadJson = CanonicalJson.of(payload);
    Proposal p = new Proposal(id, c.spec.name(), c.caller.subject(), c.caller.clientId(), c.patientId, c.spec.resourceType(),
        CanonicalJson.sha256(CanonicalJson.of(args)), payloadJson, CanonicalJson.sha256(payloadJson), draft.preview(),
        draft.details(), now, now.plus(settings.proposalTtl()));
    proposals.add(p, now);
    audit.record(c.step(), AuditEvent.Phase.RESULT, WriteAudit.PROPOSED, p.payloadSha256(), 0);
    if (elicitor != null && settings.elicitationApproval()) {
      Optional<Boolean> answer;
      try {
        answer = elicitor.ask(elicitationMessage(p));
      } catch (RuntimeException e) {
        answer = Optional.empty();
      }
      if (answer.isPresent()) {
        if (!answer.get()) {
          proposals.reject(id, c.caller.subject(), clock.instant());
          audit.record(c.step(), AuditEvent.Phase.RESULT, WriteAudit.REJECTED, p.payloadSha256(), 0);
          return respond(proposalResult(p, "rejected", "The user rejected this write in the approval dialog; nothing was written."));
        }
        proposals.approve(id, new Proposal.Approval(c.caller.subject(), c.caller.clientId(), Proposal.Channel.ELICITATION,
            p.payloadSha256(), clock.instant()), p.payloadSha256(), clock.instant());
        audit.record(c.step(), AuditEvent.Phase.RESULT, WriteAudit.APPROVED, p.payloadSha256(), 0);
        return commit(c, id, args);
      }
    }
    return respond(proposalResult(p, "pending_approval", null));
  }

  private Object resourceTree(Resource resource) {
    try {
      return mapper.readValue(fhir.newJsonParser().encodeResourceToString(resource), Object.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("resource could not be encoded");
    }
  }

  static String elicitationMessage(Proposal p) {
    return "Approve this write to the health record?\n\n" + p.preview() + "\n\n"
        + "Payload SHA-256: " + p.payloadSha256() + "\n"
        + "Proposal: " + p.id() + " (expires " + p.expiresAt() + ")\n"
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

  private WriteResponse respond(Map<String, Object> structured) {
    try {
      return new WriteResponse(structured, mapper.writeValueAsString(structured), null);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("result could not be serialized");
    }
  }

  // --- commit ------------------------------------------------------------------------------------

  private WriteResponse commit(Call c, String id, Map<String, Object> args) {
    Proposal p = proposals.beginCommit(id, c.caller.subject(), c.spec.name(), c.patientId,
        CanonicalJson.sha256(CanonicalJson.of(args)), clock.instant());
    WriteOutcome written;
    try {
      audit.record(c.step(), AuditEvent.Phase.INTENT, WriteAudit.COMMIT_INTENT, p.payloadSha256(), 0);
      c.intent = true;
      Map<?, ?> payload = mapper.readValue(p.payloadJson(), Map.class);
      Resource resource = (Resource) fhir.newJsonParser().parseResource(mapper.writeValueAsString(payload.get("resource")));
      @SuppressWarnings("unchecked")
      Map<String, String> bindings = (Map<String, String>) payload.get("bindings");
      written = c.spec.action().commit(resource, bindings, p.id(), upstream);
    } catch (WriteException e) {
      if (e.code().equals(WriteException.SLOT_TAKEN)) {
        proposals.failCommit(id);
      } else {
        proposals.abortCommit(id);
      }
      throw e;
    } catch (java.io.IOException e) {
      proposals.abortCommit(id);
      throw new IllegalStateException("stored payload unreadable");
    } catch (RuntimeException e) {
      proposals.abortCommit(id);
      throw e;
    }
    proposals.completeCommit(id, written);
    audit.record(c.step(), AuditEvent.Phase.RESULT, WriteAudit.COMMITTED, p.payloadSha256(), 1);
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
    return respond(out);
  }

  private static WriteException upstreamFailure(UpstreamException e) {
    return switch (e.kind()) {
      case NOT_FOUND -> new WriteException(WriteException.NOT_FOUND, e.kind().publicMessage());
      case DENIED -> new WriteException(WriteException.UPSTREAM_DENIED, e.kind().publicMessage());
      case UNAVAILABLE -> new WriteException(WriteException.UPSTREAM_UNAVAILABLE, e.kind().publicMessage());
      case INVALID_RESPONSE -> e.status() == 409 || e.status() == 412
          ? new WriteException(WriteException.CONFLICT, "The record changed meanwhile; nothing was written.")
          : new WriteException(WriteException.UPSTREAM_INVALID, e.kind().publicMessage());
    };
  }

  // --- approval endpoint -------------------------------------------------------------------------

  /** What the approval page shows. */
  public record ApprovalView(Proposal proposal, Proposal.State state) {}

  /**
   * The proposal as the approval page shows it to {@code approver}, after the same identity checks as a decision
   * (the proposing user, a client other than the agent's, MFA, a role allowed to use the tool).
   *
   * @throws WriteException naming the broken rule (audited)
   */
  public ApprovalView view(Caller approver, String proposalId, String source) {
    Call c = approvalCall(approver, proposalId, source);
    try {
      var snap = checkApprover(c, approver, proposalId);
      return new ApprovalView(snap.proposal(), snap.state());
    } catch (WriteException e) {
      refuse(c, e);
      throw e;
    }
  }

  /**
   * A human decision from the approval endpoint.
   *
   * @param decision        {@code approve} or {@code reject}
   * @param presentedSha256 the payload digest on the page the human approved
   * @throws WriteException naming the broken rule (audited)
   */
  public ApprovalView decide(Caller approver, String proposalId, String decision, String presentedSha256, String source) {
    Call c = approvalCall(approver, proposalId, source);
    try {
      var snap = checkApprover(c, approver, proposalId);
      Instant now = clock.instant();
      if ("approve".equals(decision)) {
        var done = proposals.approve(proposalId, new Proposal.Approval(approver.subject(), approver.clientId(),
            Proposal.Channel.APPROVAL_ENDPOINT, presentedSha256, now), presentedSha256, now);
        audit.record(c.step(), AuditEvent.Phase.RESULT, WriteAudit.APPROVED, snap.proposal().payloadSha256(), 0);
        return new ApprovalView(done.proposal(), done.state());
      }
      if ("reject".equals(decision)) {
        var done = proposals.reject(proposalId, approver.subject(), now);
        audit.record(c.step(), AuditEvent.Phase.RESULT, WriteAudit.REJECTED, snap.proposal().payloadSha256(), 0);
        return new ApprovalView(done.proposal(), done.state());
      }
      throw FhirWrites.invalid("decision must be approve or reject.");
    } catch (WriteException e) {
      refuse(c, e);
      throw e;
    }
  }

  private Call approvalCall(Caller approver, String proposalId, String source) {
    var snap = proposalId == null ? Optional.<ProposalStore.Snapshot>empty() : proposals.get(proposalId);
    String tool = snap.map(s -> s.proposal().tool()).orElse("approve_write");
    Call c = new Call(new ToolCall(tool, Map.of(), Optional.ofNullable(approver), null, source));
    c.caller = approver;
    c.callId = snap.isPresent() ? proposalId : UUID.randomUUID().toString();
    snap.ifPresent(s -> {
      c.spec = tools.find(s.proposal().tool()).orElse(null);
      if (approver != null && s.proposal().subject().equals(approver.subject())) {
        c.patientId = s.proposal().patientId(); // never attribute another user's patient to this event
      }
    });
    return c;
  }

  private ProposalStore.Snapshot checkApprover(Call c, Caller approver, String proposalId) {
    if (!approver.expiresAt().isAfter(clock.instant())) {
      throw new WriteException("unauthenticated", "The access token has expired; sign in again.");
    }
    var snap = proposals.get(proposalId).orElseThrow(() ->
        new WriteException(WriteException.PROPOSAL_NOT_FOUND, "No such proposal."));
    Proposal p = snap.proposal();
    if (!p.subject().equals(approver.subject())) {
      throw new WriteException(WriteException.WRONG_USER, "This proposal belongs to another user.");
    }
    if (approver.clientId() != null && approver.clientId().equals(p.clientId())) {
      throw new WriteException(WriteException.SELF_APPROVAL,
          "The agent's client cannot approve its own proposal; a person must approve it from a separate application.");
    }
    if (!approver.mfa()) {
      throw new WriteException(WriteException.MFA_REQUIRED, "Approving a write requires multi-factor authentication.");
    }
    if (!access.roles().allows(approver, p.tool())) {
      throw new WriteException(WriteException.WRONG_ROLE, "Your role does not permit approving this write.");
    }
    if (settings.readOnly()) {
      throw new WriteException(WriteException.READ_ONLY, "This server is in read-only mode; no writes are possible.");
    }
    c.scope = "approval";
    return snap;
  }

  // --- prior authorization status ----------------------------------------------------------------

  /**
   * {@value WriteTools#PRIOR_AUTH_STATUS}: the Claim (must be the patient's, {@code use = preauthorization}) and the
   * ClaimResponses answering it ({@code ClaimResponse.request}): outcome, disposition, preAuthRef. Authorized and
   * audited like a read tool (role, {@code ClaimResponse} read scope, MFA, patient binding). Never throws.
   */
  public WriteResponse status(ToolCall toolCall) {
    Call c = new Call(toolCall);
    try {
      Caller caller = toolCall.caller().orElseThrow(() -> new WriteException("unauthenticated", "Authentication is required."));
      if (!caller.expiresAt().isAfter(clock.instant())) {
        throw new WriteException("unauthenticated", "The access token has expired; sign in again.");
      }
      c.caller = caller;
      if (!access.roles().allows(caller, WriteTools.PRIOR_AUTH_STATUS)) {
        throw new WriteException(WriteException.FORBIDDEN, "Your role does not permit this tool.");
      }
      var grant = access.scopes().grant(caller, "ClaimResponse").orElseThrow(() -> new WriteException(
          WriteException.INSUFFICIENT_SCOPE, "No granted scope permits this tool; it needs user/ClaimResponse.rs."));
      if (access.requireMfa() && !caller.mfa()) {
        throw new WriteException(WriteException.MFA_REQUIRED, "Clinical data requires multi-factor authentication.");
      }
      c.scope = grant.scope();
      var response = validator.validate(WriteTools.statusInputSchema(), toolCall.arguments());
      if (!response.valid()) {
        throw FhirWrites.invalid("Arguments do not match the tool's input schema: " + summarize(response.errorMessage()));
      }
      String pid = (String) toolCall.arguments().get("patient_id");
      if (grant.context().equals("patient") && !caller.patientContext().map(pid::equals).orElse(false)) {
        throw new WriteException(WriteException.FORBIDDEN, "patient_id is outside this token's patient context.");
      }
      c.patientId = pid;
      if (grant.context().equals("user") && access.requireCareRelationship() && !access.care().exists(caller, pid)) {
        c.breakGlass = access.breakGlass().active(caller.subject(), pid).orElseThrow(() ->
            new WriteException(WriteException.NO_CARE_RELATIONSHIP, "You have no care relationship with this patient."));
      }
      audit.record(c.step(), AuditEvent.Phase.INTENT, "intent", null, 0);
      c.intent = true;
      String claimId = (String) toolCall.arguments().get("claim_id");
      var claim = (org.hl7.fhir.r4.model.Claim) FhirWrites.readOwned(upstream, "Claim", claimId, pid, "patient");
      if (claim.getUse() != org.hl7.fhir.r4.model.Claim.Use.PREAUTHORIZATION) {
        throw new WriteException(WriteException.NOT_FOUND, "No prior authorization request with this id for this patient.");
      }
      List<Map<String, Object>> responses = new java.util.ArrayList<>();
      for (Resource r : FhirWrites.search(upstream, "ClaimResponse", Map.of("request", List.of("Claim/" + claimId)), 20)) {
        var cr = (org.hl7.fhir.r4.model.ClaimResponse) r;
        if (!cr.getPatient().getReferenceElement().getIdPart().equals(pid)) {
          continue;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", cr.getIdPart());
        m.put("status", cr.hasStatus() ? cr.getStatus().toCode() : null);
        m.put("outcome", cr.hasOutcome() ? cr.getOutcome().toCode() : null);
        m.put("disposition", cr.getDisposition());
        m.put("pre_auth_ref", cr.getPreAuthRef());
        m.put("created", cr.hasCreated() ? cr.getCreatedElement().getValueAsString() : null);
        m.values().removeIf(java.util.Objects::isNull);
        responses.add(m);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("patient_id", pid);
      out.put("claim", Map.of("id", claimId, "status", claim.getStatus().toCode(), "use", claim.getUse().toCode(),
          "created", claim.hasCreated() ? claim.getCreatedElement().getValueAsString() : ""));
      out.put("responses", responses);
      String state = responses.isEmpty() ? "pending" : String.valueOf(responses.get(responses.size() - 1).getOrDefault("outcome", "pending"));
      out.put("authorization_status", responses.isEmpty() ? "pending (no ClaimResponse from the payer yet)" : state);
      WriteResponse result = respond(out);
      audit.record(c.step(), AuditEvent.Phase.RESULT, "success", CanonicalJson.sha256(result.text()), 1 + responses.size());
      return result;
    } catch (WriteException e) {
      return refuse(c, e);
    } catch (UpstreamException e) {
      return refuse(c, upstreamFailure(e));
    } catch (AuditUnavailableException e) {
      return WriteResponse.failure(new WriteException(WriteException.AUDIT_UNAVAILABLE,
          "The audit trail is unavailable, so no clinical data can be accessed."));
    } catch (RuntimeException e) {
      log.error("status call {} failed internally: {}", c.callId, e.getClass().getName());
      return refuse(c, new WriteException(WriteException.INTERNAL, "Internal error; the call was not completed."));
    }
  }
}
