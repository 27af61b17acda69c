package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SvgPlotTest {
  private static final Pattern POLYLINE = Pattern.compile("<polyline points=\"([^\"]+)\"");

  @Test
  void relativeGrowthDrawsAConstantCostOnTheOneXLineAndAGrowingOneAboveIt() {
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    series.put("flat", List.of(new double[] {1, 1}, new double[] {10, 1}, new double[] {1000, 1}));
    series.put("linear", List.of(new double[] {1, 1}, new double[] {10, 10}));
    String svg = SvgPlot.relativeGrowth("t", "s", series);

    Matcher m = POLYLINE.matcher(svg);
    assertThat(m.find()).isTrue();
    List<String[]> flat = points(m.group(1));
    assertThat(flat).hasSize(3);
    assertThat(flat).extracting(p -> p[1]).containsOnly(flat.get(0)[1]);
    // x grows with the size (log axis), 1x is the left edge
    assertThat(Double.parseDouble(flat.get(1)[0])).isGreaterThan(Double.parseDouble(flat.get(0)[0]));
    assertThat(m.find()).isTrue();
    List<String[]> linear = points(m.group(1));
    assertThat(Double.parseDouble(linear.get(1)[1])).isLessThan(Double.parseDouble(linear.get(0)[1])); // SVG y grows downwards
    assertThat(svg).contains(">flat</text>", ">linear</text>", ">1x</text>", ">0.01x</text>");
  }

  private static List<String[]> points(String s) {
    return java.util.Arrays.stream(s.split(" ")).map(p -> p.split(",")).toList();
  }
}
