package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import io.custos.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

class FhirPatientFactsTest {
  static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

  /** An upstream holding one patient with 150 encounters over two pages; counts the reads. */
  static final class TwoPages implements FhirUpstream {
    final List<UpstreamRequest> requests = new ArrayList<>();
    boolean down;

    @Override
    public SearchPage execute(UpstreamRequest request) {
      requests.add(request);
      if (down) {
        throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, 503);
      }
      if (request instanceof UpstreamRequest.Read) {
        Patient p = new Patient();
        p.addName().setFamily("O'Brien").addGiven("Mary").addGiven("Ann");
        p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1970-02-03"));
        p.addAddress().addLine("12 Elm St.").setPostalCode("02139");
        p.getMeta().addSecurity(new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", null));
        return new SearchPage(List.of(p), Optional.empty());
      }
      return new SearchPage(encounters(0, 100, "org-a"), Optional.of(baseUrl() + "?page=2"));
    }

    @Override
    public SearchPage nextPage(String nextLink) {
      return new SearchPage(encounters(100, 50, "org-b"), Optional.empty());
    }

    private static List<Resource> encounters(int from, int n, String org) {
      List<Resource> out = new ArrayList<>();
      for (int i = from; i < from + n; i++) {
        out.add(new Encounter().setServiceProvider(new Reference("Organization/" + org))
            .setPeriod(new Period().setStart(Date.from(NOW.minus(Duration.ofDays(1000 - i))))));
      }
      return out;
    }

    @Override
    public String baseUrl() {
      return "http://upstream.test/fhir";
    }
  }

  @Test
  void factsComeFromThePatientAndEveryPageOfItsEncountersAndAreCached() {
    TwoPages upstream = new TwoPages();
    ManualClock clock = new ManualClock(NOW);
    var facts = new FhirPatientFacts(upstream, p -> p.equals("pt_1") ? Optional.of("patient-1") : Optional.empty(), clock,
        Duration.ofMinutes(10));
    PatientFacts f = facts.facts("pt_1").orElseThrow();
    assertThat(f.family()).isEqualTo("obrien");
    assertThat(f.given()).isEqualTo("mary");
    assertThat(f.birthDate()).contains(LocalDate.parse("1970-02-03"));
    assertThat(f.address()).isEqualTo("12elmst|02139");
    assertThat(f.securityLabels()).containsExactly("R");
    assertThat(f.deceased()).isFalse();
    assertThat(f.lastVisitByOrganization()).containsOnlyKeys("org-a", "org-b");
    assertThat(f.lastVisit()).contains(NOW.minus(Duration.ofDays(1000 - 149)));
    assertThat(upstream.requests).allSatisfy(r -> {
      if (r instanceof UpstreamRequest.Search s) {
        assertThat(s.params()).isEqualTo(Map.of("patient", List.of("patient-1")));
      }
    });
    int reads = upstream.requests.size();
    assertThat(facts.facts("pt_1")).isPresent();
    assertThat(upstream.requests).hasSize(reads);
    assertThat(facts.facts("pt_unknown")).isEmpty();
  }

  @Test
  void anUnavailableUpstreamGivesNoFactsRatherThanAGuess() {
    TwoPages upstream = new TwoPages();
    upstream.down = true;
    var facts = new FhirPatientFacts(upstream, p -> Optional.of("patient-1"), new ManualClock(NOW), Duration.ofMinutes(10));
    assertThat(facts.facts("pt_1")).isEmpty();
  }
}
