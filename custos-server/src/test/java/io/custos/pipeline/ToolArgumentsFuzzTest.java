package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fuzzing tool argument validation (Jazzer): random argument maps (known and unknown keys, strings, numbers,
 * booleans, nulls, lists, nested maps) for every tool through the real {@link GovernancePipeline} (empty upstream,
 * in-memory audit). Property: {@code handle} never throws, never ends in {@code internal_error}, and an error text
 * is one short sentence without exception or class names.
 */
class ToolArgumentsFuzzTest {
  static final List<String> KEYS = List.of("patient_id", "limit", "cursor", "date_from", "date_to", "code", "status",
      "encounter_id", "family", "birthdate", "identifier", "break_the_glass", "x");
  static final FhirUpstream EMPTY = new FhirUpstream() {
    @Override
    public SearchPage execute(UpstreamRequest request) {
      return new SearchPage(List.of(), Optional.empty());
    }

    @Override
    public SearchPage nextPage(String nextLink) {
      return new SearchPage(List.of(), Optional.empty());
    }

    @Override
    public String baseUrl() {
      return "http://127.0.0.1:1/fhir";
    }
  };
  static final AuditTrail MEMORY = new AuditTrail() {
    @Override
    public void append(AuditEvent event) {
      // discarded
    }

    @Override
    public void close() {
    }
  };
  static final GovernancePipeline PIPELINE = PipelineFixture.pipeline(MEMORY, EMPTY, Clock.systemUTC());
  static final List<String> TOOLS = ToolCatalog.readTools().tools().stream().map(ToolSpec::name).toList();

  static Object value(FuzzedDataProvider d, int depth) {
    return switch (d.consumeInt(0, depth > 2 ? 4 : 6)) {
      case 0 -> d.consumeString(80);
      case 1 -> d.consumeInt();
      case 2 -> d.consumeLong();
      case 3 -> d.consumeBoolean();
      case 4 -> null;
      case 5 -> {
        List<Object> l = new ArrayList<>();
        for (int i = d.consumeInt(0, 3); i > 0; i--) {
          l.add(value(d, depth + 1));
        }
        yield l;
      }
      default -> {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = d.consumeInt(0, 3); i > 0; i--) {
          m.put(d.consumeString(12), value(d, depth + 1));
        }
        yield m;
      }
    };
  }

  @FuzzTest(maxDuration = "5m")
  void arguments(FuzzedDataProvider d) {
    String tool = d.consumeBoolean() ? TOOLS.get(d.consumeInt(0, TOOLS.size() - 1)) : d.consumeString(40);
    Map<String, Object> args = new LinkedHashMap<>();
    for (int i = d.consumeInt(0, 6); i > 0; i--) {
      args.put(d.consumeBoolean() ? KEYS.get(d.consumeInt(0, KEYS.size() - 1)) : d.consumeString(16), value(d, 0));
    }
    ToolOutcome out = PIPELINE.handle(PipelineFixture.call(PipelineFixture.user("fuzzer"), tool, args));
    if (out.isError()) {
      assertThat(out.error()).isNotEqualTo(ToolCallException.Reason.INTERNAL);
      assertThat(out.text()).hasSizeLessThan(400).doesNotContain("Exception", "java.", "\tat ");
    }
  }
}
