package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The soak's verdict on recorded samples: each bound fails on its own, and a flat run passes. */
class SoakVerdictTest {
  private static final Soak.Limits LIMITS = new Soak.Limits(0.10, 16 * 1024, 1024);

  /** {@code n} samples 10 s apart, RSS {@code rss0 + slope * minutes} KiB, 100 calls each. */
  private static List<Soak.Sample> samples(int n, long rss0, double slopeKbPerMinute, Map<String, Long> errors) {
    List<Soak.Sample> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      double seconds = i * 10.0;
      long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
      LoadDriver.Result r = new LoadDriver.Result("custos", "open", 10, 64, 10, 100, errorCount, errors, 10, 5, 8, 20,
          30, 40, 6);
      out.add(new Soak.Sample(seconds, rss0 + Math.round(slopeKbPerMinute * seconds / 60), 100_000, r, "1.0 1.0 1.0"));
    }
    return out;
  }

  @Test
  void aFlatRunWithoutErrorsPasses() {
    Soak.Verdict v = Soak.verdict(samples(180, 400_000, 0, Map.of()), 100_000, 105_000, LIMITS);

    assertThat(v.pass()).isTrue();
    assertThat(v.failures()).isEmpty();
    assertThat(v.ok()).isEqualTo(18_000);
    assertThat(v.rssSlopeKbPerMinute()).isCloseTo(0, org.assertj.core.data.Offset.offset(0.5));
  }

  @Test
  void anyErrorFails() {
    Soak.Verdict v = Soak.verdict(samples(180, 400_000, 0, Map.of("http:500", 1L)), 100_000, 100_000, LIMITS);

    assertThat(v.pass()).isFalse();
    assertThat(v.errors()).isEqualTo(180);
    assertThat(v.errorKinds()).containsEntry("http:500", 180L);
    assertThat(v.failures()).containsExactly("errors");
  }

  @Test
  void retainedHeapBeyondTheLargerOfFractionAndFloorFails() {
    // 10% of 200,000 KiB = 20,000 KiB > the 16 MiB floor: the limit is 220,000 KiB.
    assertThat(Soak.verdict(samples(180, 400_000, 0, Map.of()), 200_000, 220_000, LIMITS).pass()).isTrue();
    Soak.Verdict v = Soak.verdict(samples(180, 400_000, 0, Map.of()), 200_000, 220_001, LIMITS);

    assertThat(v.heapLimitKb()).isEqualTo(220_000);
    assertThat(v.failures()).containsExactly("retained heap grew beyond the limit");
  }

  @Test
  void rssGrowingInTheSecondHalfFails() {
    Soak.Verdict v = Soak.verdict(samples(180, 400_000, 2048, Map.of()), 100_000, 100_000, LIMITS);

    assertThat(v.rssSlopeKbPerMinute()).isCloseTo(2048, org.assertj.core.data.Offset.offset(1.0));
    assertThat(v.failures()).containsExactly("RSS slope beyond the limit");
  }

  @Test
  void rssGrowthOnlyInTheFirstHalfPasses() {
    List<Soak.Sample> s = new ArrayList<>(samples(90, 400_000, 4096, Map.of()));
    long top = s.get(s.size() - 1).rssKb();
    samples(90, top, 0, Map.of()).forEach(x -> s.add(new Soak.Sample(x.seconds() + 900, x.rssKb(), x.heapUsedKb(),
        x.interval(), x.loadAvg())));

    assertThat(Soak.verdict(s, 100_000, 100_000, LIMITS).pass()).isTrue();
  }

  @Test
  void tooFewSamplesToJudgeRssFailUnlessRssIsNotJudged() {
    assertThat(Soak.verdict(samples(2, 400_000, 0, Map.of()), 100_000, 100_000, LIMITS).failures())
        .containsExactly("too few RSS samples in the second half");
    assertThat(Soak.verdict(samples(2, 400_000, 0, Map.of()), 100_000, 100_000,
        new Soak.Limits(0.10, 16 * 1024, Double.POSITIVE_INFINITY)).pass()).isTrue();
  }

  @Test
  void noSuccessfulCallFails() {
    assertThat(Soak.verdict(List.of(), 100_000, 100_000, new Soak.Limits(0.10, 16 * 1024, Double.POSITIVE_INFINITY))
        .failures()).containsExactly("no successful call");
  }

  @Test
  void thePlotDrawsRssAndHeapAndTheTwoRetainedHeapMarks() {
    List<Soak.Sample> s = samples(30, 400_000, 0, Map.of());
    Soak.Report report = new Soak.Report(new Soak.Plan(10, java.time.Duration.ofMinutes(5), java.time.Duration.ofSeconds(10),
        64, LIMITS), s, Soak.verdict(s, 100_000, 101_000, LIMITS));

    String svg = SvgPlot.memoryVsTime(report, Map.of("date", "2026-11-29T00:00:00Z", "nproc", 2, "rateRps", 10.0));

    assertThat(svg).startsWith("<svg").endsWith("</svg>\n").contains("RSS", "heap used", "heap after full GC");
    assertThat(svg.split("<polyline", -1)).hasSize(3);
    assertThat(svg.split("fill=\"#2b8a3e\"", -1)).hasSize(4); // start, end, legend
  }
}
