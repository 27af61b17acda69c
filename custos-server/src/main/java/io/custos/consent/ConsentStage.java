package io.custos.consent;

import io.custos.fhir.UpstreamException;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolExchange;
import io.custos.pipeline.ToolOutcome;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Enforces the bound patient's Consents on a route that reads or writes their record, after the patient is bound and
 * before anything is read or written. A request every one of whose records a Consent denies (a disclosure restricted
 * to another organisation, a purpose the patient refused) is refused with reason {@code consent}; otherwise each record
 * a Consent denies is withheld by the filter and signalled in {@code withheld} (category {@code consent}). The Consent
 * provisions that decided, and any that break-the-glass set aside, are recorded PHI-free in the call's result event.
 * A call without a bound patient (a directory lookup) is not a disclosure of one patient's record and passes.
 */
public final class ConsentStage implements Stage {
  private final ConsentDirectives directives;

  public ConsentStage(ConsentDirectives directives) {
    this.directives = directives;
  }

  @Override
  public StageName name() {
    return StageName.CONSENT;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    Optional<String> bound = ex.patientId();
    if (bound.isEmpty()) {
      return next.proceed(ex);
    }
    String patientId = bound.get();
    var action = ex.declaration().hints().readOnly() ? ConsentRequest.Action.READ : ConsentRequest.Action.WRITE;
    Set<String> applied = Collections.synchronizedSet(new LinkedHashSet<>());
    try {
      ConsentRequest request = directives.request(ex.caller(), patientId, PurposeOfUse.of(ex.caller(), ex.breakGlass().isPresent()),
          action, "");
      for (String type : ex.declaration().access().resourceTypes()) {
        var whole = directives.judge(ex.caller(), patientId, request.forType(type), Optional.empty());
        applied.addAll(whole.applied());
        if (whole.denied()) {
          ex.consentApplied(applied);
          throw new ToolCallException(ToolCallException.Reason.CONSENT,
              "The patient's consent does not permit this disclosure to this caller for this purpose.");
        }
      }
      ex.withholdByConsent(r -> {
        try {
          var one = directives.judge(ex.caller(), patientId, request.forType(r.fhirType()), Optional.of(r));
          applied.addAll(one.applied());
          return one.denied();
        } catch (UpstreamException e) { // the Consents expired from the cache and cannot be read again: fail closed
          throw ToolCallException.fromUpstream(e);
        }
      });
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e);
    }
    try {
      return next.proceed(ex);
    } finally {
      ex.consentApplied(applied);
    }
  }
}
