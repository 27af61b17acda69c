package io.custos.policy;

import io.custos.auth.Caller;
import io.custos.auth.SmartScope;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the granted SMART scope that permits reading a resource type (SMART App Launch v2 "Scopes for
 * requesting clinical data"). {@code system/} scopes count only for configured backend clients.
 */
public final class ScopeCheck {

  /** A scope that permits the call, and the context it grants ({@code patient}, {@code user} or {@code system}). */
  public record Grant(String scope, String context) {}

  private final Set<String> systemClients;

  /** @param systemClients client ids allowed to use {@code system/} scopes */
  public ScopeCheck(Set<String> systemClients) {
    this.systemClients = Set.copyOf(systemClients);
  }

  /** The first granted scope permitting read+search on {@code resourceType}, preferring patient, then user, then system. */
  public Optional<Grant> grant(Caller caller, String resourceType) {
    return grant(caller, resourceType, "rs", true);
  }

  /**
   * The first granted scope permitting every SMART v2 permission in {@code permissions} (e.g. {@code rs}, {@code c})
   * on {@code resourceType} without a granular constraint, preferring patient, then user, then system context.
   *
   * @param patientContext whether {@code patient/} scopes qualify (false for cross-patient tools)
   */
  public Optional<Grant> grant(Caller caller, String resourceType, String permissions, boolean patientContext) {
    for (String context : new String[] {"patient", "user", "system"}) {
      if ((context.equals("system") && !systemClients.contains(caller.clientId())) || (context.equals("patient") && !patientContext)) {
        continue;
      }
      for (String s : caller.scopes()) {
        if (SmartScope.parse(s).map(p -> p.grants(context, resourceType, permissions)).orElse(false)) {
          return Optional.of(new Grant(s, context));
        }
      }
    }
    return Optional.empty();
  }
}
