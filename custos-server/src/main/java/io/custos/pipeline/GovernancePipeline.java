package io.custos.pipeline;

import io.custos.auth.Caller;
import io.custos.state.StateUnavailableException;
import io.custos.tools.Declaration;
import io.custos.tools.Registry;
import io.custos.tools.Route;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one governed path: every tool call, prompt, resource read and approval, over stdio and HTTP, is looked up in the
 * {@link Registry} and run through its route's stages ({@code io.custos.routes.Routes} composes them). A refusal or
 * failure anywhere becomes one audit event ({@code DENIED} before the intent, a {@code RESULT} with the reason after
 * it) and a PHI-free error outcome; this class never throws from {@link #handle}.
 */
public final class GovernancePipeline {
  private static final Logger log = LoggerFactory.getLogger(GovernancePipeline.class);

  /** Sees every completed call: the stages it entered and its outcome (metrics, tests). */
  @FunctionalInterface
  public interface Observer {
    void completed(ToolCall call, List<StageName> passed, ToolOutcome outcome);

    Observer NONE = (call, passed, outcome) -> { };
  }

  private final Registry registry;
  private final Stages stages;
  private final Map<Route, RouteStages> routes;
  private final Observer observer;

  /**
   * @param routes one entry per {@link Route} used by a declaration in {@code registry}
   * @throws IllegalArgumentException when a declared route has no stages
   */
  public GovernancePipeline(Registry registry, Stages stages, List<RouteStages> routes, Observer observer) {
    this.registry = registry;
    this.stages = stages;
    this.routes = new EnumMap<>(Route.class);
    routes.forEach(r -> this.routes.put(r.route(), r));
    this.observer = observer;
    for (Declaration d : registry.all()) {
      if (!this.routes.containsKey(d.route())) {
        throw new IllegalArgumentException("no stages for route " + d.route() + " of " + d.name());
      }
    }
  }

  public Registry registry() {
    return registry;
  }

  /** Runs one MCP tool call. */
  public ToolOutcome handle(ToolCall call) {
    return handle(Declaration.Kind.TOOL, call);
  }

  /** Runs one call of a declaration of {@code kind} through its whole route. Never throws. */
  public ToolOutcome handle(Declaration.Kind kind, ToolCall call) {
    Optional<Admission> admission = call.admission().filter(a -> a.name().equals(call.name()));
    if (admission.orElse(null) instanceof Admission.Refused refused) {
      return refused.outcome(); // decided and audited by the preflight
    }
    ToolExchange ex;
    List<Stage> todo;
    if (admission.orElse(null) instanceof Admission.Admitted admitted) {
      ex = admitted.exchange();
      todo = route(ex).body();
    } else {
      ex = new ToolExchange(call);
      todo = null;
    }
    ToolOutcome outcome = run(ex, kind, todo);
    observer.completed(call, ex.passed(), outcome);
    return outcome;
  }

  /**
   * The gate stages of the call's route only (authenticate, rate limit, authorize), for a front that must answer a
   * refusal with its own status (HTTP 401, 403, 429). A refusal is audited here; pass the result on with
   * {@link ToolCall#admitted} so {@link #handle} continues without deciding again.
   */
  public Admission admit(Declaration.Kind kind, ToolCall call) {
    ToolExchange ex = new ToolExchange(call);
    try {
      lookup(ex, kind);
      Stage.run(route(ex).gate(), ex);
      return new Admission.Admitted(call.name(), ex);
    } catch (ToolCallException e) {
      ToolOutcome refused = stages.audit().refuse(ex, e);
      observer.completed(call, ex.passed(), refused);
      return new Admission.Refused(call.name(), refused);
    } catch (StateUnavailableException e) {
      return new Admission.Refused(call.name(), stateUnavailable(ex, e));
    } catch (RuntimeException e) {
      return new Admission.Refused(call.name(), internal(ex, e));
    }
  }

  /**
   * Records a request refused because no valid credential was presented (HTTP 401) as one PHI-free DENIED event,
   * within a per-address rate limit so that requests without a credential cannot grow the audit trail without bound.
   *
   * @return empty when the refusal was audited (answer 401); else the seconds to wait (answer 429 with
   *     {@code Retry-After}; not audited one by one), also while the shared state store holding the per-address
   *     buckets cannot be reached
   */
  public Optional<Long> refuseAuthentication(String presentedTokenSha256, String sourceAddress) {
    Optional<Long> wait;
    try {
      wait = stages.rateLimits().acquireUnauthenticated(String.valueOf(sourceAddress));
    } catch (StateUnavailableException e) {
      log.warn("refused authentication not audited: {}", e.getMessage());
      return Optional.of(1L);
    }
    if (wait.isEmpty()) {
      ToolExchange ex = new ToolExchange(new ToolCall(AuditRecorder.UNDECLARED, Map.of(), Optional.empty(), null, sourceAddress));
      ex.presentedTokenSha256 = presentedTokenSha256;
      stages.audit().refuse(ex, new ToolCallException(ToolCallException.Reason.UNAUTHENTICATED, "Authentication is required."));
    }
    return wait;
  }

  /**
   * Records a call that a protocol front refused before any route ran (an invalid, expired or replayed
   * multi-round-trip request state) as one audited refusal of the named declaration.
   *
   * @param reason        the audited reason code
   * @param publicMessage fixed text, never a request value
   * @return the refusal as the route would have returned it
   */
  public ToolOutcome refuse(Declaration.Kind kind, ToolCall call, ToolCallException.Reason reason, String publicMessage) {
    ToolExchange ex = new ToolExchange(call);
    ex.declaration = registry.find(kind, call.name()).orElse(null);
    ToolOutcome refused = stages.audit().refuse(ex, new ToolCallException(reason, publicMessage));
    observer.completed(call, ex.passed(), refused);
    return refused;
  }

  /** Whether a listing shows {@code d} to this caller: its role and scopes permit it (calls are checked in full). */
  public boolean visible(Optional<Caller> caller, Declaration d) {
    return caller.isPresent() && stages.authorizer().visible(caller.get(), d);
  }

  /** Scopes to name in an HTTP 403 {@code insufficient_scope} challenge for {@code name}. */
  public List<String> challengeScopes(Declaration.Kind kind, String name) {
    return registry.find(kind, name).map(Authorize::challengeScopes).orElse(List.of());
  }

  private ToolOutcome run(ToolExchange ex, Declaration.Kind kind, List<Stage> body) {
    try {
      if (body != null) {
        return Stage.run(body, ex);
      }
      lookup(ex, kind);
      RouteStages r = route(ex);
      List<Stage> all = new ArrayList<>(r.gate());
      all.addAll(r.body());
      return Stage.run(all, ex);
    } catch (ToolCallException e) {
      return stages.audit().refuse(ex, e);
    } catch (StateUnavailableException e) {
      return stateUnavailable(ex, e);
    } catch (RuntimeException e) {
      return internal(ex, e);
    }
  }

  /** Fails closed, audited, with a code the client may retry on: the shared state could not be read or changed. */
  private ToolOutcome stateUnavailable(ToolExchange ex, StateUnavailableException e) {
    log.warn("call {} refused: {}", ex.callId, e.getMessage());
    return stages.audit().refuse(ex, ToolCallException.stateUnavailable());
  }

  private ToolOutcome internal(ToolExchange ex, RuntimeException e) {
    // The exception class only: messages of library exceptions may quote PHI.
    log.error("call {} failed internally: {}", ex.callId, e.getClass().getName());
    return stages.audit().refuse(ex, new ToolCallException(ToolCallException.Reason.INTERNAL,
        "Internal error; the call was not completed."));
  }

  private void lookup(ToolExchange ex, Declaration.Kind kind) {
    ex.declaration = registry.find(kind, ex.call.name()).orElseThrow(() -> new ToolCallException(
        ToolCallException.Reason.UNKNOWN_TOOL, switch (kind) {
          case PROMPT -> "Unknown prompt.";
          case RESOURCE -> "Unknown resource.";
          default -> "Unknown tool.";
        }));
  }

  /** The declaration's route; a write tool called with {@code proposal_id} commits instead of proposing. */
  private RouteStages route(ToolExchange ex) {
    Route r = ex.declaration.route();
    if (r == Route.WRITE_PROPOSE && ex.call.arguments().get("proposal_id") instanceof String) {
      r = Route.WRITE_COMMIT;
    }
    return routes.get(r);
  }
}
