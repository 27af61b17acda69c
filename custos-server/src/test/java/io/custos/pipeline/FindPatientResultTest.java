package io.custos.pipeline;

import static io.custos.pipeline.PipelineFixture.call;
import static io.custos.pipeline.PipelineFixture.user;
import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.JsonLinesAuditTrail;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * find_patient through the pipeline: the attack run's SSN-system dump is refused before any upstream request,
 * with a sentence; a search with more matches than the tool lists returns at most 10, says so with
 * {@code truncated}, and offers no cursor (its input schema has none).
 */
class FindPatientResultTest {
  @TempDir
  Path dir;

  /** An upstream whose every search returns {@code matches} patients and a next link, counting requests. */
  private static final class ManyMatches implements FhirUpstream {
    final AtomicInteger requests = new AtomicInteger();
    final int matches;

    ManyMatches(int matches) {
      this.matches = matches;
    }

    @Override
    public SearchPage execute(UpstreamRequest request) {
      requests.incrementAndGet();
      int count = request instanceof UpstreamRequest.Search s ? s.count() : 1;
      List<Resource> page = new ArrayList<>();
      for (int i = 0; i < Math.min(count, matches); i++) {
        Patient p = new Patient();
        p.setId("p-" + i);
        p.addName().setFamily("Lee").addGiven("Alex");
        page.add(p);
      }
      return new SearchPage(page, matches > count ? Optional.of(baseUrl() + "?page=2") : Optional.empty());
    }

    @Override
    public SearchPage nextPage(String nextLink) {
      throw new AssertionError("find_patient must not page");
    }

    @Override
    public String baseUrl() {
      return "http://upstream.invalid/fhir";
    }
  }

  private ToolOutcome find(FhirUpstream upstream, Map<String, Object> args) throws IOException {
    try (var trail = new JsonLinesAuditTrail(dir.resolve("audit.jsonl"))) {
      return PipelineFixture.pipeline(trail, upstream, Clock.systemUTC()).handle(call(user("dr-who"), "find_patient", args));
    }
  }

  @Test
  void theSsnSystemDumpIsRefusedBeforeTheUpstreamWithASentence() throws IOException {
    ManyMatches upstream = new ManyMatches(20);
    ToolOutcome out = find(upstream, Map.of("identifier", "http://hl7.org/fhir/sid/us-ssn|", "gender", "female"));
    assertThat(out.error()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(out.text()).contains("identifier is not in the accepted form").doesNotContain("us-ssn").doesNotContain("female");
    assertThat(upstream.requests).hasValue(0);
  }

  @Test
  void moreMatchesThanTheToolListsAreTruncatedWithoutACursor() throws IOException {
    ToolOutcome out = find(new ManyMatches(20), Map.of("family", "Lee", "birthdate", "1980-05-05"));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat((List<?>) out.structured().get("items")).hasSize(10);
    assertThat(out.structured()).containsEntry("count", 10).containsEntry("truncated", true).doesNotContainKey("next_cursor");
    // Every listed patient is in the result's audit event, as a pseudonym, never as an id.
    var result = PipelineFixture.readAudit(dir.resolve("audit.jsonl")).stream()
        .filter(e -> e.path("phase").asText().equals("RESULT")).reduce((a, b) -> b).orElseThrow();
    assertThat(result.path("patientRefs")).hasSize(10);
    assertThat(result.toString()).doesNotContain("p-0");
  }

  @Test
  void allMatchesListedAreNotTruncated() throws IOException {
    ToolOutcome out = find(new ManyMatches(3), Map.of("family", "Lee", "birthdate", "1980-05-05"));
    assertThat(out.isError()).as(out.text()).isFalse();
    assertThat(out.structured()).containsEntry("count", 3).doesNotContainKeys("truncated", "next_cursor");
  }
}
