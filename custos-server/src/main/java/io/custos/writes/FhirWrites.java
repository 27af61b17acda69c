package io.custos.writes;

import io.custos.pipeline.ToolCallException;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TimeZone;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/** Small FHIR R4 helpers shared by the write actions. */
final class FhirWrites {
  /** Identifier system of the proposal id on every written resource (the commit's idempotency key). */
  static final String PROPOSAL_SYSTEM = "urn:custos:proposal";
  static final String ID = "^[A-Za-z0-9\\-.]{1,64}$";
  private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

  private FhirWrites() {}

  static Identifier proposalIdentifier(String proposalId) {
    return new Identifier().setSystem(PROPOSAL_SYSTEM).setValue(proposalId);
  }

  /** {@code If-None-Exist} criterion for the proposal identifier. */
  static String ifNoneExist(String proposalId) {
    return "identifier=" + PROPOSAL_SYSTEM + "|" + proposalId;
  }

  static Reference patient(String patientId) {
    return new Reference("Patient/" + patientId);
  }

  /** The user as author/sender: their SMART {@code fhirUser} (Practitioner or PractitionerRole), if any. */
  static Optional<Reference> user(Caller caller) {
    return caller.fhirUser().filter(u -> u.matches("^(?:.*/)?(Practitioner|PractitionerRole)/[A-Za-z0-9\\-.]{1,64}$"))
        .map(u -> new Reference(u.substring(u.lastIndexOf('/', u.lastIndexOf('/') - 1) + 1)));
  }

  static DateTimeType dateTime(java.time.Instant at) {
    return new DateTimeType(Date.from(at), TemporalPrecisionEnum.SECOND, UTC);
  }

  /**
   * Reads {@code type/id} and checks it belongs to the patient through {@code patientElement} (a Reference
   * child such as {@code subject} or {@code patient}).
   *
   * @throws ToolCallException not_found when it does not exist or belongs to another patient (indistinguishable)
   */
  static Resource readOwned(FhirUpstream upstream, String type, String id, String patientId, String patientElement) {
    Resource r;
    try {
      r = upstream.execute(new UpstreamRequest.Read(type, id)).resources().get(0);
    } catch (UpstreamException e) {
      if (e.kind() == UpstreamException.Kind.NOT_FOUND) {
        throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The referenced " + type + " was not found for this patient.");
      }
      throw e;
    }
    var child = r.getNamedProperty(patientElement);
    boolean owned = child != null && child.getValues().stream().anyMatch(v -> v instanceof Reference ref
        && "Patient".equals(ref.getReferenceElement().getResourceType()) && patientId.equals(ref.getReferenceElement().getIdPart()));
    if (!owned) {
      throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The referenced " + type + " was not found for this patient.");
    }
    return r;
  }

  /** Runs a search. */
  static List<Resource> search(FhirUpstream upstream, String type, Map<String, List<String>> params, int count) {
    return upstream.execute(new UpstreamRequest.Search(type, params, count)).resources();
  }

  static ToolCallException invalid(String message) {
    return new ToolCallException(ToolCallException.Reason.INVALID_ARGUMENTS, message);
  }
}
