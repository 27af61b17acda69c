package io.custos.pipeline;

import io.custos.auth.Caller;
import io.custos.policy.AccessControl;
import io.custos.policy.RateLimits;
import io.custos.tools.ToolCatalog;
import java.util.List;

/**
 * The HTTP-level part of authorization for a {@code tools/call}, decided before the MCP layer runs so the
 * answer can be an HTTP challenge: 403 {@code insufficient_scope} naming the scopes to step up to (MCP
 * 2025-11-25 authorization, "Scope challenge"), 401 {@code insufficient_user_authentication} for missing
 * MFA (RFC 9470), or 429 with {@code Retry-After}. The pipeline repeats the scope and MFA checks, so stdio
 * and anything that bypasses this are covered.
 */
public final class Preflight {
  /** Outcome of a preflight check. */
  public sealed interface Result {}

  public record Allowed() implements Result {}

  public record InsufficientScope(List<String> scopes) implements Result {}

  public record StepUp() implements Result {}

  public record RateLimited(long retryAfterSeconds) implements Result {}

  /** Not a tool this server declares: refused before the MCP SDK, whose error would echo the name. */
  public record UnknownTool() implements Result {}

  private final ToolCatalog catalog;
  private final AccessControl access;
  private final RateLimits limits;
  private final java.util.Set<String> known;

  /**
   * @param otherTools names of tools registered outside the read catalog, break-the-glass and research tools
   *                   (the write tools), so they are not mistaken for unknown tools
   */
  public Preflight(ToolCatalog catalog, AccessControl access, RateLimits limits, java.util.Collection<String> otherTools) {
    this.catalog = catalog;
    this.access = access;
    this.limits = limits;
    java.util.Set<String> names = new java.util.HashSet<>();
    catalog.tools().forEach(t -> names.add(t.name()));
    names.add(GovernancePipeline.BREAK_THE_GLASS);
    io.custos.tools.ResearchTools.all().forEach(t -> names.add(t.name()));
    names.addAll(otherTools);
    this.known = java.util.Set.copyOf(names);
  }

  /** Whether {@code tool} is a tool this server declares (clinical, break-the-glass, research or write). */
  public boolean known(String tool) {
    return known.contains(tool);
  }

  /** Checks one call of {@code tool}. */
  public Result check(Caller caller, String tool) {
    if (!known(tool)) {
      return new UnknownTool();
    }
    var spec = catalog.find(tool);
    if (spec.isPresent()) {
      if (access.scopes().grant(caller, spec.get().resourceType()).isEmpty()) {
        return new InsufficientScope(spec.get().requiredScopes().stream().filter(s -> !s.startsWith("system/")).toList());
      }
      if (access.requireMfa() && !caller.mfa()) {
        return new StepUp();
      }
    }
    return limits.acquire(caller.subject(), String.valueOf(caller.clientId()), tool)
        .<Result>map(RateLimited::new).orElse(new Allowed());
  }
}
