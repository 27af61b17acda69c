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
    for (String context : new String[] {"patient", "user", "system"}) {
      if (context.equals("system") && !systemClients.contains(caller.clientId())) {
        continue;
      }
      for (String s : caller.scopes()) {
        if (SmartScope.parse(s).map(p -> p.grantsReadSearch(context, resourceType)).orElse(false)) {
          return Optional.of(new Grant(s, context));
        }
      }
    }
    return Optional.empty();
  }
}
