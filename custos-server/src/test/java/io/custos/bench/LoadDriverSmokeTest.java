package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of the load driver (the real runs are behind {@code scripts/bench.sh}): 50 {@code tools/call}s over
 * Streamable HTTP with real tokens against an in-process Custos in oauth mode, care relationships required, plus
 * the bare SDK tool handler against the same upstream.
 */
class LoadDriverSmokeTest {
  @TempDir
  Path dir;

  @Test
  void fiftyRealCallsThroughTheFullPipelineWithoutErrors() throws Exception {
    try (InProcessCustos custos = new InProcessCustos(dir)) {
      assertThat(custos.pairs).hasSize(5);
      try (Target target = custos.target()) {
        LoadDriver.Result r = LoadDriver.closed(target, 4, Duration.ofSeconds(60), 50);
        assertThat(r.errorKinds()).isEmpty();
        assertThat(r.ok()).isEqualTo(50);
        assertThat(r.p99()).isPositive().isLessThanOrEqualTo(r.max());
        LoadDriver.Result open = LoadDriver.open(target, 100, Duration.ofSeconds(10), 20, 64);
        assertThat(open.ok()).isEqualTo(20);
        assertThat(open.errors()).isZero();
      }
      try (Target upstream = new Target.Fhir(custos.store.baseUrl(), custos.mix, 4)) {
        assertThat(LoadDriver.closed(upstream, 2, Duration.ofSeconds(30), 10).ok()).isEqualTo(10);
      }
      var bare = BareSdkServer.conditions(new io.custos.fhir.HapiFhirUpstream(ca.uhn.fhir.context.FhirContext.forR4Cached(),
          custos.store.baseUrl(), Duration.ofSeconds(10), List.of()), ca.uhn.fhir.context.FhirContext.forR4Cached().newJsonParser(),
          java.util.Map.of("patient_id", custos.mix.patient(0)));
      assertThat(bare.isError()).isFalse();
      assertThat(bare.content().toString()).contains("\"resourceType\":\"Condition\"");
    }
  }
}
