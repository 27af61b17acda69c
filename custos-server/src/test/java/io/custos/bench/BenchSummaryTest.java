package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The overhead benchmark's summary: Custos's p99 against twice the bare server's at 100 and 200 calls/s. */
class BenchSummaryTest {
  private static BenchMain.Row open(String target, double rate, double p99, long errors) {
    return new BenchMain.Row(new LoadDriver.Result(target, "open", rate, 256, 20, 2000, errors, Map.of(), rate, 5, 8, p99,
        p99, p99, 6), 0, 0, 0, "1.0 1.0 1.0");
  }

  @SuppressWarnings("unchecked")
  @Test
  void p99IsHeldToTwiceTheBareServersAtOneAndTwoHundredPerSecond() {
    List<BenchMain.Row> rows = List.of(open("bare", 50, 10, 0), open("custos", 50, 90, 0),
        open("bare", 100, 10, 0), open("custos", 100, 20, 0),
        open("bare", 200, 10, 0), open("custos", 200, 20.001, 0));

    var tails = (List<Map<String, Object>>) BenchMain.ratios(rows, 100).get("p99AtMostTwiceBare");

    assertThat(tails).extracting(m -> m.get("offeredRps")).containsExactly(100.0, 200.0);
    assertThat(tails.get(0)).containsEntry("limitMs", 20.0).containsEntry("ratio", 2.0).containsEntry("met", true);
    assertThat(tails.get(1)).containsEntry("met", false);
  }

  @SuppressWarnings("unchecked")
  @Test
  void errorsFailTheTailTargetEvenWithALowP99() {
    List<BenchMain.Row> rows = List.of(open("bare", 100, 10, 0), open("custos", 100, 5, 93));

    var tails = (List<Map<String, Object>>) BenchMain.ratios(rows, 100).get("p99AtMostTwiceBare");

    assertThat(tails).singleElement().satisfies(m -> assertThat(m).containsEntry("met", false).containsEntry("errorsCustos", 93L));
  }
}
