package io.custos.pipeline;

import io.custos.auth.SmartScope;
import java.util.Optional;

/**
 * Stage 2, authorize (deny unless allowed): a granted SMART scope must permit the tool's resource type,
 * and the patient the call reads is bound here. With a {@code patient/} scope the patient comes from the
 * token's launch context and cannot be changed by arguments; with {@code user/} or {@code system/} scopes it
 * is the {@code patient_id} argument.
 */
final class Authorize implements Stage {

  @Override
  public void apply(ToolExchange ex) {
    var spec = ex.spec;
    Optional<String> requested = ex.call.arguments().get("patient_id") instanceof String s ? Optional.of(s) : Optional.empty();
    for (String context : new String[] {"patient", "user", "system"}) {
      Optional<String> granted = ex.caller.scopes().stream()
          .filter(s -> SmartScope.parse(s).map(p -> p.grantsReadSearch(context, spec.resourceType())).orElse(false))
          .filter(s -> spec.requiredScopes().contains(context + "/" + spec.resourceType() + ".rs"))
          .findFirst();
      if (granted.isEmpty()) {
        continue;
      }
      ex.scope = granted.get();
      if (!spec.patientScoped()) {
        return;
      }
      if (context.equals("patient")) {
        String bound = ex.caller.patientContext().orElseThrow(() ->
            new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The token has patient scopes but no patient context."));
        if (requested.isPresent() && !requested.get().equals(bound)) {
          throw new ToolCallException(ToolCallException.Reason.FORBIDDEN,
              "patient_id is outside this token's patient context.");
        }
        ex.patientId = bound;
      } else {
        ex.patientId = requested.orElse(null); // absence is reported by argument validation
      }
      return;
    }
    throw new ToolCallException(ToolCallException.Reason.FORBIDDEN,
        "No granted scope permits this tool; it needs one of " + String.join(", ", spec.requiredScopes()) + ".");
  }
}
