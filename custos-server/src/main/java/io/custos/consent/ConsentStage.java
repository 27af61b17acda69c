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
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Enforces the patients' Consents on a route that reads or writes a patient's record, after the patient is bound and
 * before anything is read or written. A request every one of whose records a Consent denies (a disclosure restricted
 * to another organisation, a purpose the patient refused) is refused with reason {@code consent}; otherwise each record
 * a Consent denies is withheld by the filter and signalled in {@code withheld} (category {@code consent}). A directory
 * lookup (no bound patient) withholds each Patient whose own Consents deny it. The Consent provisions that decided, and
 * any that break-the-glass set aside, are recorded PHI-free in the call's result event.
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
    Set<String> applied = Collections.synchronizedSet(new LinkedHashSet<>());
    Optional<String> bound = ex.patientId();
    try {
      if (bound.isEmpty()) {
        ex.withholdByConsent(r -> r instanceof Patient p && denied(ex, p.getIdPart(), r, applied));
      } else {
        String patientId = bound.get();
        for (String type : ex.declaration().access().resourceTypes()) {
          var whole = directives.judge(ex.caller(), patientId, request(ex, patientId, type), Optional.empty());
          applied.addAll(whole.applied());
          if (whole.denied()) {
            ex.consentApplied(applied);
            throw new ToolCallException(ToolCallException.Reason.CONSENT,
                "The patient's consent does not permit this disclosure to this caller for this purpose.");
          }
        }
        ex.withholdByConsent(r -> denied(ex, patientId, r, applied));
      }
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e);
    }
    try {
      return next.proceed(ex);
    } finally {
      ex.consentApplied(applied);
    }
  }

  private ConsentRequest request(ToolExchange ex, String patientId, String type) {
    var action = ex.declaration().hints().readOnly() ? ConsentRequest.Action.READ : ConsentRequest.Action.WRITE;
    return directives.request(ex.caller(), patientId, PurposeOfUse.of(ex.caller(), ex.breakGlass().isPresent()), action, type);
  }

  /** Whether the patient's Consents deny {@code record}; fails closed when they cannot be read (expired from the cache). */
  private boolean denied(ToolExchange ex, String patientId, Resource record, Set<String> applied) {
    try {
      var one = directives.judge(ex.caller(), patientId, request(ex, patientId, record.fhirType()), Optional.of(record));
      applied.addAll(one.applied());
      return one.denied();
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e);
    }
  }
}
