package io.custos.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import io.custos.testing.ManualClock;
import org.hl7.fhir.r4.model.CareTeam;
import org.junit.jupiter.api.Test;

/** Care relationships are decided upstream once per (user, practitioner, patient) and reused only for the TTL. */
class FhirCareRelationshipTest {
  private final AtomicInteger searches = new AtomicInteger();

  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-29T12:00:00Z"));

  /** Patient p1 has a CareTeam with Practitioner/dr; nothing else exists. */
  private final FhirUpstream upstream = new FhirUpstream() {
    @Override
    public SearchPage execute(UpstreamRequest request) {
      searches.incrementAndGet();
      boolean match = request instanceof UpstreamRequest.Search s && s.resourceType().equals("CareTeam")
          && s.params().get("patient").contains("p1") && s.params().get("participant").contains("Practitioner/dr");
      return new SearchPage(match ? List.of(new CareTeam()) : List.of(), Optional.empty());
    }

    @Override
    public SearchPage nextPage(String nextLink) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String baseUrl() {
      return "https://ehr.test/fhir";
    }
  };

  private static Caller caller(String subject, String fhirUser) {
    return new Caller(subject, "agent", Optional.of(fhirUser), Set.of("clinician"), Set.of("user/*.rs"), Optional.empty(),
        true, "tok", Instant.parse("2026-11-29T13:00:00Z"));
  }

  @Test
  void anAnswerIsReusedWithinTheTtlAndDecidedAgainAfterIt() {
    FhirCareRelationship care = new FhirCareRelationship(upstream, clock, Duration.ofMinutes(5));
    assertThat(care.exists(caller("u1", "Practitioner/dr"), "p1")).isTrue();
    int first = searches.get();
    clock.advance(Duration.ofMinutes(4));
    assertThat(care.exists(caller("u1", "Practitioner/dr"), "p1")).isTrue();
    assertThat(searches.get()).isEqualTo(first);
    clock.advance(Duration.ofMinutes(2));
    assertThat(care.exists(caller("u1", "Practitioner/dr"), "p1")).isTrue();
    assertThat(searches.get()).isGreaterThan(first);
  }

  @Test
  void answersBelongToTheirUserPractitionerAndPatient() {
    FhirCareRelationship care = new FhirCareRelationship(upstream, clock, Duration.ofMinutes(5));
    assertThat(care.exists(caller("u1", "Practitioner/dr"), "p1")).isTrue();
    assertThat(care.exists(caller("u1", "Practitioner/other"), "p1")).isFalse();
    assertThat(care.exists(caller("u1", "Practitioner/dr"), "p2")).isFalse();
    assertThat(care.exists(caller("u2", "https://ehr.test/fhir/Practitioner/dr"), "p1")).isTrue();
    assertThat(care.exists(caller("u3", "Patient/p1"), "p1")).as("not a practitioner").isFalse();
  }
}
