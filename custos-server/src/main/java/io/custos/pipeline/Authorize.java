package io.custos.pipeline;

import io.custos.auth.Caller;
import io.custos.policy.AccessControl;
import io.custos.policy.ScopeCheck;
import io.custos.tools.Access;
import io.custos.tools.Declaration;
import io.custos.tools.Route;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Authorize (deny unless allowed; HIPAA 164.312(a)), from the declaration's {@link Access} and without any upstream
 * I/O, so it runs before the intent is audited and before arguments are trusted. In order: a role lists the
 * declaration (break-the-glass: a role in {@code policy.breakGlassRoles}); a granted SMART v2 scope grants the
 * declared permissions on every declared resource type ({@code patient/} scopes only where the declaration allows
 * them); MFA evidence (164.312(d)), fresh where declared; for a {@code patient/} grant, the patient is the token's
 * launch context and a different {@code patient_id} is refused. Care relationships are checked later, by
 * {@link BindPatient}, once the arguments are validated.
 */
final class Authorize implements Stage {
  private final AccessControl access;
  private final Clock clock;

  Authorize(AccessControl access, Clock clock) {
    this.access = access;
    this.clock = clock;
  }

  @Override
  public StageName name() {
    return StageName.AUTHORIZE;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    Declaration d = ex.declaration;
    Caller caller = ex.caller;
    if (!roleAllows(caller, d)) {
      throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, d.route() == Route.EMERGENCY_ACCESS
          ? "Your role may not declare break-the-glass." : "Your role does not permit this " + noun(d) + ".");
    }
    List<ScopeCheck.Grant> grants = grants(caller, d.access()).orElseThrow(() ->
        new ToolCallException(ToolCallException.Reason.INSUFFICIENT_SCOPE,
            "No granted scope permits this tool; it needs " + String.join(" or ", d.requiredScopes()) + "."));
    Access a = d.access();
    if (a.mfa() && access.requireMfa() && !caller.mfa()) {
      throw new ToolCallException(ToolCallException.Reason.MFA_REQUIRED,
          "Clinical data requires multi-factor authentication; sign in again with MFA (step-up).");
    }
    a.maxAuthAge().ifPresent(age -> {
      boolean fresh = caller.authTime().map(t -> !t.isBefore(clock.instant().minus(age))).orElse(false);
      if (!caller.mfa() || !fresh) {
        throw new ToolCallException(ToolCallException.Reason.MFA_REQUIRED,
            "This requires a multi-factor sign-in within the last " + age.toMinutes() + " minutes.");
      }
    });
    ex.grantContext = grants.isEmpty() ? null : grants.get(0).context();
    ex.scope = grants.isEmpty() ? null : String.join(" ", grants.stream().map(ScopeCheck.Grant::scope).distinct().toList());
    if (a.binding() != Access.PatientBinding.NONE && grants.stream().anyMatch(g -> g.context().equals("patient"))) {
      String bound = caller.patientContext().orElseThrow(() ->
          new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The token has patient scopes but no patient context."));
      if (ex.call.arguments().containsKey("patient_id") && !bound.equals(ex.call.arguments().get("patient_id"))) {
        throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "patient_id is outside this token's patient context.");
      }
      ex.patientId = bound;
    }
    return next.proceed(ex);
  }

  /** Whether {@code tools/list} shows {@code d} to {@code caller}: role and scopes permit it (calls are checked in full). */
  boolean visible(Caller caller, Declaration d) {
    return roleAllows(caller, d) && grants(caller, d.access()).isPresent();
  }

  /** The scopes a caller lacks for {@code d}, for the HTTP 403 {@code insufficient_scope} challenge. */
  static List<String> challengeScopes(Declaration d) {
    return d.requiredScopes().stream().filter(s -> !s.startsWith("system/")).toList();
  }

  private boolean roleAllows(Caller caller, Declaration d) {
    if (d.route() == Route.EMERGENCY_ACCESS) {
      return caller.roles().stream().anyMatch(access.breakGlassRoles()::contains);
    }
    return !d.access().roleListed() || access.roles().allows(caller, d.name());
  }

  /** One grant per declared resource type, or empty when any type is not granted. */
  private Optional<List<ScopeCheck.Grant>> grants(Caller caller, Access a) {
    List<ScopeCheck.Grant> out = new ArrayList<>();
    for (String type : a.resourceTypes()) {
      Optional<ScopeCheck.Grant> g = access.scopes().grant(caller, type, a.permissions(), a.patientScopes());
      if (g.isEmpty()) {
        return Optional.empty();
      }
      out.add(g.get());
    }
    return Optional.of(out);
  }

  private static String noun(Declaration d) {
    return switch (d.kind()) {
      case PROMPT -> "prompt";
      case RESOURCE -> "resource";
      default -> "tool";
    };
  }
}
