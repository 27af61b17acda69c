package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-minute soak of the default suite (the 30-minute one is {@code scripts/bench.sh soak}): the same
 * {@link Soak#run} at a modest fixed rate against an in-process Custos (oauth mode, real tokens, full pipeline,
 * durable audit). Every call must succeed and the retained heap after a full collection must not grow by more than
 * {@value #HEAP_GROWTH_MIB} MiB from after warm-up to the end (the whole test JVM's heap, which holds Custos): over
 * 1,500 calls, a leak of about 6 KiB or more per call (a response, a session's history, an audit record kept in
 * memory) fails it. RSS is sampled but not judged here: in the first
 * minutes of a JVM it follows the JIT and the heap's sizing, not leaks.
 */
class SoakMinuteTest {
  private static final double RATE = 25;
  private static final int SECONDS = 60;
  private static final int HEAP_GROWTH_MIB = 8;

  @TempDir
  Path dir;

  @Test
  void aMinuteAtFixedRateWithoutErrorsOrRetainedHeapGrowth() throws Exception {
    try (InProcessCustos custos = new InProcessCustos(dir); Target target = custos.target()) {
      // Warm-up: first-use caches (JWKS, HAPI parsers, JIT) fill here, not during the measured minute.
      assertThat(LoadDriver.closed(target, 4, Duration.ofSeconds(30), 600).errors()).isZero();
      Soak.Plan plan = new Soak.Plan(RATE, Duration.ofSeconds(SECONDS), Duration.ofSeconds(5), 256,
          new Soak.Limits(0, HEAP_GROWTH_MIB * 1024L, Double.POSITIVE_INFINITY));

      Soak.Report report = Soak.run(target, MemoryProbe.self(), plan);

      Soak.Verdict v = report.verdict();
      assertThat(v.errorKinds()).isEmpty();
      assertThat(v.ok()).isEqualTo((long) (RATE * SECONDS));
      assertThat(v.heapAfterGcStartKb()).isPositive();
      assertThat(v.heapAfterGcEndKb()).isLessThanOrEqualTo(v.heapAfterGcStartKb() + HEAP_GROWTH_MIB * 1024L);
      assertThat(v.failures()).isEmpty();
      assertThat(report.samples()).hasSizeGreaterThanOrEqualTo(SECONDS / 5)
          .allSatisfy(s -> assertThat(s.heapUsedKb()).isPositive());
    }
  }
}
