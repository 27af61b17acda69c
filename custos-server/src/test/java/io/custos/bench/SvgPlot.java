package io.custos.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A small dependency-free SVG: p50 (dashed) and p99 (solid) latency against offered load, log-scale latency axis. */
final class SvgPlot {
  private SvgPlot() {}

  private static final Map<String, String> COLORS = Map.of("upstream", "#2b8a3e", "bare", "#1c7ed6", "custos", "#e8590c");

  static String latencyVsLoad(List<LoadDriver.Result> results, Map<String, Object> meta) {
    Map<String, List<LoadDriver.Result>> series = new LinkedHashMap<>();
    for (String t : List.of("upstream", "bare", "custos")) {
      List<LoadDriver.Result> pts = new ArrayList<>(results.stream()
          .filter(r -> r.mode().equals("open") && r.target().equals(t) && r.ok() > 0).toList());
      pts.sort((x, y) -> Double.compare(x.offeredRps(), y.offeredRps()));
      series.put(t, pts);
    }
    double xMax = results.stream().filter(r -> r.mode().equals("open")).mapToDouble(LoadDriver.Result::offeredRps).max().orElse(1);
    double yMin = 0.1;
    double yMax = Math.max(1, results.stream().filter(r -> r.mode().equals("open")).mapToDouble(LoadDriver.Result::p99).max().orElse(1));
    double lo = Math.log10(yMin);
    double hi = Math.ceil(Math.log10(yMax));
    int w = 640;
    int h = 400;
    int left = 60;
    int right = 150;
    int top = 40;
    int bottom = 50;
    int pw = w - left - right;
    int ph = h - top - bottom;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n", w, h));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">get_active_conditions latency vs offered load "
        + "(open loop)</text>%n", left));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"32\" fill=\"#555\">%s, %s CPUs, %s; load avg %s</text>%n", left,
        esc(String.valueOf(meta.get("date"))).substring(0, 10), meta.get("nproc"), esc(String.valueOf(meta.get("jdk"))),
        esc(String.valueOf(meta.get("loadAvgStart")))));
    // axes and grid
    for (double d = lo; d <= hi + 1e-9; d++) {
      double y = top + ph - (d - lo) / (hi - lo) * ph;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", left, y, left + pw, y));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left - 5, y + 4,
          fmt(Math.pow(10, d))));
    }
    for (int i = 0; i <= 5; i++) {
      double v = xMax * i / 5;
      double x = left + v / xMax * pw;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>%n", x, top, x, top + ph));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n", x, top + ph + 15, v));
    }
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
        left, top, pw, ph));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">offered load (requests/s)</text>%n",
        left + pw / 2, h - 12));
    s.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">latency (ms, log)"
        + "</text>%n", top + ph / 2));
    int legend = top + 10;
    for (var e : series.entrySet()) {
      String color = COLORS.get(e.getKey());
      for (String pct : List.of("p99", "p50")) {
        StringBuilder pts = new StringBuilder();
        for (LoadDriver.Result r : e.getValue()) {
          double v = Math.max(yMin, pct.equals("p99") ? r.p99() : r.p50());
          double x = left + r.offeredRps() / xMax * pw;
          double y = top + ph - (Math.log10(v) - lo) / (hi - lo) * ph;
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
          s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n", x, y, color));
        }
        s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s/>%n",
            pts.toString().trim(), color, pct.equals("p50") ? " stroke-dasharray=\"5,3\"" : ""));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.8\"%s/>%n",
            left + pw + 10, legend, left + pw + 35, legend, color, pct.equals("p50") ? " stroke-dasharray=\"5,3\"" : ""));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s %s</text>%n", left + pw + 40, legend + 4, e.getKey(), pct));
        legend += 16;
      }
    }
    s.append("</svg>\n");
    return s.toString();
  }

  /**
   * Relative growth on log-log axes: each series is a list of (scale, cost) points, both relative to the series'
   * first point (scale 1, cost 1), so a flat line at 1 means the cost per unit of work does not grow with the size.
   * Costs are clamped to [0.01, 100].
   */
  static String relativeGrowth(String title, String subtitle, Map<String, List<double[]>> series) {
    double xHi = Math.max(1, Math.ceil(Math.log10(series.values().stream().flatMap(List::stream)
        .mapToDouble(p -> p[0]).max().orElse(10))));
    double yLo = -2;
    double yHi = 2;
    Layout l = new Layout(820, 420, 60, 290, 44, 50);
    int left = l.left();
    int top = l.top();
    int pw = l.plotWidth();
    int ph = l.plotHeight();
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", l.width(), l.height(), l.width(), l.height()));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">%s</text>%n", left, esc(title)));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"34\" fill=\"#555\">%s</text>%n", left, esc(subtitle)));
    for (double d = yLo; d <= yHi; d++) {
      double y = top + ph - (d - yLo) / (yHi - yLo) * ph;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>%n", left, y,
          left + pw, y, d == 0 ? "#999" : "#ddd"));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%sx</text>%n", left - 5, y + 4,
          fmt(Math.pow(10, d))));
    }
    for (double d = 0; d <= xHi; d++) {
      double x = left + d / xHi * pw;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>%n", x, top, x, top + ph));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%sx</text>%n", x, top + ph + 15,
          fmt(Math.pow(10, d))));
    }
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
        left, top, pw, ph));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">size relative to the smallest "
        + "(log)</text>%n", left + pw / 2, l.height() - 12));
    s.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">cost per unit "
        + "relative to the smallest size (log)</text>%n", top + ph / 2));
    int legend = top + 6;
    int i = 0;
    for (var e : series.entrySet()) {
      String color = PALETTE.get(i % PALETTE.size());
      String dash = i >= PALETTE.size() ? " stroke-dasharray=\"5,3\"" : "";
      StringBuilder pts = new StringBuilder();
      for (double[] p : e.getValue()) {
        double x = left + Math.log10(Math.max(1, p[0])) / xHi * pw;
        double y = top + ph - (Math.log10(Math.min(100, Math.max(0.01, p[1]))) - yLo) / (yHi - yLo) * ph;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n", x, y, color));
      }
      s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s/>%n",
          pts.toString().trim(), color, dash));
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.8\"%s/>%n",
          left + pw + 10, legend, left + pw + 30, legend, color, dash));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", left + pw + 35, legend + 4, esc(e.getKey())));
      legend += 16;
      i++;
    }
    s.append("</svg>\n");
    return s.toString();
  }

  /** Canvas size and margins, in pixels. */
  private record Layout(int width, int height, int left, int right, int top, int bottom) {
    int plotWidth() {
      return width - left - right;
    }

    int plotHeight() {
      return height - top - bottom;
    }
  }

  private static final List<String> PALETTE = List.of("#e8590c", "#1c7ed6", "#2b8a3e", "#862e9c", "#c92a2a", "#495057");

  private static String fmt(double v) {
    return String.format(Locale.ROOT, v >= 1 ? "%.0f" : v >= 0.1 ? "%.1f" : "%.2f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
