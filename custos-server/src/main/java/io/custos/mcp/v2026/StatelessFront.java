package io.custos.mcp.v2026;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.custos.auth.Caller;
import io.custos.mcp.Catalog;
import io.custos.mcp.ElicitedApproval;
import io.custos.mcp.EnvelopeFront;
import io.custos.mcp.RpcError;
import io.custos.pipeline.Admission;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolOutcome;
import io.custos.state.StateUnavailableException;
import io.custos.tools.Declaration;
import io.custos.tools.Route;
import io.custos.writes.CanonicalJson;
import io.custos.writes.WriteStages;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP 2026-07-28 front (stateless: no {@code initialize}, no session; every request carries its own envelope),
 * beside the SDK's 2025-11-25 front on the same endpoint and on stdio. It only checks the envelope ({@link Envelope}),
 * dispatches and renders; every {@code tools/call}, {@code prompts/get} and {@code resources/read} is one call of the
 * {@link GovernancePipeline}, exactly as on the 2025-11-25 front: authentication of every request (by the transport),
 * authorization, audit, filtering, paging and limits. Listings and descriptors come from the same {@link Catalog}.
 *
 * <p>Differences from 2025-11-25 that this front owns: {@code server/discover}; {@code resultType} on every result;
 * {@code ttlMs} and {@code cacheScope} on discover, list and read results ({@code private} for everything that depends
 * on the caller); unknown resources are -32602; a write proposal that needs the user's approval is answered with an
 * {@code InputRequiredResult} (a form the client shows its user, and a sealed {@link RequestStates request state})
 * instead of a server-initiated elicitation; the retry carrying the answer is approved and committed once.
 */
public final class StatelessFront implements EnvelopeFront {
  private static final Logger log = LoggerFactory.getLogger(StatelessFront.class);
  /** Lifetime hint for listings: role or scope changes show within this time. */
  static final Duration LIST_TTL = Duration.ofMinutes(5);
  private static final String APPROVAL_INPUT = "approval";
  private static final Set<ToolCallException.Reason> HTTP_GATE_REASONS = Set.of(ToolCallException.Reason.INSUFFICIENT_SCOPE,
      ToolCallException.Reason.MFA_REQUIRED, ToolCallException.Reason.RATE_LIMITED);

  private final Catalog catalog;
  private final GovernancePipeline pipeline;
  private final ObjectMapper json;
  private final RequestStates states;
  private final boolean elicitationApproval;

  /**
   * @param elicitationApproval whether a pending write proposal is put to the client's user as a form
   */
  public StatelessFront(Catalog catalog, ObjectMapper json, RequestStates states, boolean elicitationApproval) {
    this.catalog = catalog;
    this.pipeline = catalog.pipeline();
    this.json = json;
    this.states = states;
    this.elicitationApproval = elicitationApproval;
  }

  @Override
  public Reply answer(JsonNode message, Inbound inbound) {
    return switch (Envelope.check(message, inbound.headers())) {
      case Checked.Notification n -> new Reply.Answer(202, Optional.empty());
      case Checked.Rejected r -> {
        log.info("2026-07-28 request refused: JSON-RPC error {}", r.error().code());
        yield error(r.response(), r.error().code());
      }
      case Envelope e -> {
        try {
          yield dispatch(e, inbound);
        } catch (BadParams b) {
          yield fail(e, b.error);
        } catch (RuntimeException x) {
          // The class only: library exception messages may quote request values.
          log.error("2026-07-28 request failed internally: {}", x.getClass().getName());
          yield fail(e, RpcError.INTERNAL_ERROR);
        }
      }
    };
  }

  private Reply dispatch(Envelope e, Inbound in) {
    return switch (e.method()) {
      case "server/discover" -> complete(e, discover(), Optional.of(CacheScope.PUBLIC), LIST_TTL);
      case "tools/list" -> list(e, in, Declaration.Kind.TOOL, "tools", Catalog::tool);
      case "prompts/list" -> list(e, in, Declaration.Kind.PROMPT, "prompts", Catalog::prompt);
      case "resources/list" -> list(e, in, Declaration.Kind.RESOURCE, "resources", Catalog::resource);
      case "resources/templates/list" -> {
        noCursor(e);
        ObjectNode r = json.createObjectNode();
        r.putArray("resourceTemplates");
        yield complete(e, r, Optional.of(CacheScope.PRIVATE), LIST_TTL);
      }
      case "tools/call" -> callTool(e, in);
      case "prompts/get" -> getPrompt(e, in);
      case "resources/read" -> readResource(e, in);
      default -> fail(e, RpcError.METHOD_NOT_FOUND);
    };
  }

  private ObjectNode discover() {
    ObjectNode r = json.createObjectNode();
    Envelope.SUPPORTED_VERSIONS.forEach(r.putArray("supportedVersions")::add);
    ObjectNode caps = r.putObject("capabilities");
    caps.putObject("tools").put("listChanged", false);
    caps.putObject("prompts").put("listChanged", false);
    caps.putObject("resources").put("subscribe", false).put("listChanged", false);
    r.put("instructions", Catalog.INSTRUCTIONS);
    return r;
  }

  private Reply list(Envelope e, Inbound in, Declaration.Kind kind, String member,
      java.util.function.Function<Declaration, Object> descriptor) {
    noCursor(e);
    ObjectNode r = json.createObjectNode();
    var items = r.putArray(member);
    for (Declaration d : catalog.offered(kind)) {
      // tools/list shows a caller only what its role and scopes permit, as on the 2025-11-25 front.
      if (kind != Declaration.Kind.TOOL || pipeline.visible(in.caller(), d)) {
        items.add(json.valueToTree(descriptor.apply(d)));
      }
    }
    return complete(e, r, Optional.of(CacheScope.PRIVATE), LIST_TTL);
  }

  private Reply callTool(Envelope e, Inbound in) {
    String name = stringParam(e, "name");
    Map<String, Object> args = objectParam(e, "arguments");
    ToolCall call = new ToolCall(name, args, in.caller(), null, in.sourceAddress());
    JsonNode requestState = e.params().get("requestState");
    if (requestState != null && !requestState.isNull() && !requestState.isTextual()) {
      throw new BadParams(RpcError.invalidParam("requestState", "a string"));
    }
    // The gate runs first for a retry too: a caller sending request states is authorized and rate limited like any call.
    Admission admission = pipeline.admit(Declaration.Kind.TOOL, call);
    Optional<Reply> refused = refusal(e, in, Declaration.Kind.TOOL, admission);
    if (refused.isPresent()) {
      return refused.get();
    }
    if (requestState != null && requestState.isTextual()) {
      if (admission instanceof Admission.Refused r) {
        return complete(e, json.valueToTree(Catalog.toolResult(r.outcome())), Optional.empty(), Duration.ZERO);
      }
      return resumeApproval(e, call, requestState.textValue());
    }
    ToolOutcome outcome = pipeline.handle(call.admitted(admission));
    Declaration d = pipeline.registry().find(Declaration.Kind.TOOL, name).orElseThrow();
    if (d.route() == Route.WRITE_PROPOSE && !outcome.isError() && elicitationApproval && formElicitation(e)
        && "pending_approval".equals(outcome.structured().get("status")) && call.caller().isPresent()) {
      return inputRequired(e, call, outcome);
    }
    return complete(e, json.valueToTree(Catalog.toolResult(outcome)), Optional.empty(), Duration.ZERO);
  }

  private Reply getPrompt(Envelope e, Inbound in) {
    String name = stringParam(e, "name");
    ToolCall call = new ToolCall(name, objectParam(e, "arguments"), in.caller(), null, in.sourceAddress());
    Admission admission = pipeline.admit(Declaration.Kind.PROMPT, call);
    Optional<Reply> refused = refusal(e, in, Declaration.Kind.PROMPT, admission);
    if (refused.isPresent()) {
      return refused.get();
    }
    ToolOutcome out = pipeline.handle(Declaration.Kind.PROMPT, call.admitted(admission));
    Declaration d = pipeline.registry().find(Declaration.Kind.PROMPT, name).orElseThrow();
    return Catalog.promptResult(d, out).<Reply>map(r -> complete(e, json.valueToTree(r), Optional.empty(), Duration.ZERO))
        .orElseGet(() -> refusedAsError(e, out));
  }

  private Reply readResource(Envelope e, Inbound in) {
    String uri = stringParam(e, "uri");
    ToolCall call = new ToolCall(uri, Map.of(), in.caller(), null, in.sourceAddress());
    Admission admission = pipeline.admit(Declaration.Kind.RESOURCE, call);
    Optional<Reply> refused = refusal(e, in, Declaration.Kind.RESOURCE, admission);
    if (refused.isPresent()) {
      return refused.get();
    }
    ToolOutcome out = pipeline.handle(Declaration.Kind.RESOURCE, call.admitted(admission));
    Declaration d = pipeline.registry().find(Declaration.Kind.RESOURCE, uri).orElseThrow();
    return catalog.resourceResult(d, out)
        .<Reply>map(r -> complete(e, json.valueToTree(r), Optional.of(CacheScope.PRIVATE), Duration.ZERO))
        .orElseGet(() -> refusedAsError(e, out));
  }

  /**
   * The answer to a gate refusal, if the request ends here: an undeclared name is -32602 (never echoed); over HTTP a
   * scope, step-up or rate-limit refusal becomes 403/401/429 through the transport. Other refusals continue into
   * {@link GovernancePipeline#handle}, which returns the refusal the route already decided (audited once).
   */
  private Optional<Reply> refusal(Envelope e, Inbound in, Declaration.Kind kind, Admission admission) {
    if (!(admission instanceof Admission.Refused refused)) {
      return Optional.empty();
    }
    ToolCallException.Reason reason = refused.outcome().error();
    if (reason == ToolCallException.Reason.UNKNOWN_TOOL) {
      return Optional.of(fail(e, switch (kind) {
        case PROMPT -> RpcError.UNKNOWN_PROMPT;
        // MCP 2026-07-28 answers an unknown resource with -32602 (2025-11-25 used -32002).
        case RESOURCE -> new RpcError(-32602, RpcError.RESOURCE_NOT_FOUND.message());
        default -> RpcError.UNKNOWN_TOOL;
      }));
    }
    if (in.httpGate() && HTTP_GATE_REASONS.contains(reason)) {
      return Optional.of(new Reply.GateRefusal(e.id(), kind, admission.name(), refused.outcome()));
    }
    return Optional.empty();
  }

  /** A refused prompt or resource read: -32602 with the pipeline's fixed sentence (as on the 2025-11-25 front). */
  private Reply refusedAsError(Envelope e, ToolOutcome out) {
    return fail(e, new RpcError(-32602, out.text()));
  }

  // ---- human approval of a write as a multi-round-trip request

  private Reply inputRequired(Envelope e, ToolCall call, ToolOutcome proposal) {
    Caller caller = call.caller().orElseThrow();
    Map<String, Object> pending = new LinkedHashMap<>(proposal.structured());
    String token = states.seal(caller.subject(), caller.clientId(), call.name(), argumentsSha256(call.arguments()), pending);
    ObjectNode r = json.createObjectNode();
    ObjectNode form = r.putObject("inputRequests").putObject(APPROVAL_INPUT);
    form.put("method", "elicitation/create");
    ObjectNode params = form.putObject("params");
    params.put("mode", "form");
    params.put("message", WriteStages.elicitationMessage(proposal.structured()));
    params.set("requestedSchema", json.valueToTree(ElicitedApproval.decisionSchema()));
    r.put("requestState", token);
    return result(e, r, "input_required");
  }

  /** The retry of a write whose proposal was put to the user: open the state once, then decide and commit. */
  private Reply resumeApproval(Envelope e, ToolCall call, String token) {
    Optional<Caller> caller = call.caller();
    RequestStates.Opened opened;
    try {
      opened = caller.isEmpty() ? new RequestStates.Opened.Invalid(RequestStates.Failure.MISMATCH)
          : states.open(token, caller.get().subject(), caller.get().clientId(), call.name(), argumentsSha256(call.arguments()));
    } catch (StateUnavailableException down) {
      // the claim could not be recorded, so the state is not honoured now; it stays unclaimed for a retry
      log.warn("2026-07-28 request state not opened: the state store is unavailable (refused as retryable)");
      ToolCallException refusal = ToolCallException.stateUnavailable();
      ToolOutcome refused = pipeline.refuse(Declaration.Kind.TOOL, call, refusal.reason(), refusal.getMessage());
      return complete(e, json.valueToTree(Catalog.toolResult(refused)), Optional.empty(), Duration.ZERO);
    }
    if (opened instanceof RequestStates.Opened.Invalid invalid) {
      log.warn("2026-07-28 request state refused: {}", invalid.failure());
      ToolCallException.Reason reason = switch (invalid.failure()) {
        case EXPIRED -> ToolCallException.Reason.EXPIRED;
        case REPLAYED -> ToolCallException.Reason.REPLAYED;
        default -> ToolCallException.Reason.REQUEST_STATE_INVALID;
      };
      pipeline.refuse(Declaration.Kind.TOOL, call, reason, "Invalid or expired request state.");
      return fail(e, new RpcError(-32602, "Invalid or expired requestState."));
    }
    RequestStates.State state = ((RequestStates.Opened.Valid) opened).state();
    Optional<Boolean> decision = decision(e.params().path("inputResponses").path(APPROVAL_INPUT));
    ToolOutcome outcome = ElicitedApproval.decide(pipeline, call, ToolOutcome.of(state.proposal()), message -> decision);
    return complete(e, json.valueToTree(Catalog.toolResult(outcome)), Optional.empty(), Duration.ZERO);
  }

  /** The user's answer to the form: approve, reject, or none (dismissed or missing: the proposal stays pending). */
  private static Optional<Boolean> decision(JsonNode response) {
    return switch (response.path("action").asText("")) {
      case "accept" -> Optional.of("approve".equals(response.path("content").path("decision").asText("")));
      case "decline" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  /** Whether the client declared form-mode elicitation in this request's envelope. */
  private static boolean formElicitation(Envelope e) {
    JsonNode elicitation = e.clientCapabilities().path("elicitation");
    return elicitation.isObject() && (elicitation.has("form") || !elicitation.has("url"));
  }

  private static String argumentsSha256(Map<String, Object> arguments) {
    return CanonicalJson.sha256(CanonicalJson.of(arguments));
  }

  // ---- rendering

  /** {@code cacheScope} of a cacheable result (MCP 2026-07-28, "CacheableResult"). */
  enum CacheScope {
    /** The same for every caller. */
    PUBLIC,
    /** Depends on the caller's authorization: caches must not be shared across access tokens. */
    PRIVATE;

    String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A final result; cacheable ones carry {@code ttlMs} and {@code cacheScope}. */
  private Reply complete(Envelope e, JsonNode body, Optional<CacheScope> scope, Duration ttl) {
    ObjectNode r = (ObjectNode) body;
    scope.ifPresent(s -> r.put("ttlMs", ttl.toMillis()).put("cacheScope", s.wire()));
    return result(e, r, "complete");
  }

  private Reply result(Envelope e, ObjectNode r, String resultType) {
    r.put("resultType", resultType);
    ObjectNode meta = r.has("_meta") && r.get("_meta").isObject() ? (ObjectNode) r.get("_meta") : r.putObject("_meta");
    meta.set(Envelope.SERVER_INFO_META_KEY, json.valueToTree(catalog.serverInfo()));
    ObjectNode response = json.createObjectNode().put("jsonrpc", "2.0");
    response.set("id", e.id());
    response.set("result", r);
    return new Reply.Answer(200, Optional.of(response));
  }

  private static Reply fail(Envelope e, RpcError error) {
    return error(error.response(Optional.of(e.id())), error.code());
  }

  private static Reply error(JsonNode response, int code) {
    return new Reply.Answer(Envelope.httpStatus(code), Optional.of(response));
  }

  // ---- params

  /** A params member of the wrong type: -32602 naming the member (a schema name, never a request value). */
  private static final class BadParams extends RuntimeException {
    final RpcError error;

    BadParams(RpcError error) {
      super(null, null, false, false);
      this.error = error;
    }
  }

  private static String stringParam(Envelope e, String member) {
    JsonNode v = e.params().get(member);
    if (v == null || !v.isTextual()) {
      throw new BadParams(RpcError.invalidParam(member, "a string"));
    }
    return v.textValue();
  }

  private Map<String, Object> objectParam(Envelope e, String member) {
    JsonNode v = e.params().get(member);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw new BadParams(RpcError.invalidParam(member, "an object"));
    }
    return json.convertValue(v, new TypeReference<Map<String, Object>>() { });
  }

  /** This server never issues list cursors (every list fits one page), so any cursor is not one of its own. */
  private static void noCursor(Envelope e) {
    JsonNode cursor = e.params().get("cursor");
    if (cursor != null && !cursor.isNull()) {
      throw new BadParams(new RpcError(-32602, "Invalid params: cursor is not one this server issued."));
    }
  }
}
