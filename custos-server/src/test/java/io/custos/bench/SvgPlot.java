package io.custos.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Small dependency-free SVG plots: latency against offered load (p50 dashed, p99 solid, log-scale latency axis) and
 * a soak's memory against time.
 */
final class SvgPlot {
  private SvgPlot() {}

  /** The plot area inside a 640 x 400 px image: 60 px left (axis), 150 px right (legend), 40 px top, 50 px bottom. */
  private record Box(int left, int top, int width, int height) {
    static final int IMAGE_WIDTH = 640;
    static final int IMAGE_HEIGHT = 400;
  }

  private static final Box BOX = new Box(60, 40, Box.IMAGE_WIDTH - 60 - 150, Box.IMAGE_HEIGHT - 40 - 50);

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
    int left = BOX.left();
    int top = BOX.top();
    int pw = BOX.width();
    int ph = BOX.height();
    StringBuilder s = header("get_active_conditions latency vs offered load (open loop)", meta);
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
    frame(s, "offered load (requests/s)", "latency (ms, log)");
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
        legend(s, left + pw + 10, legend, color, pct.equals("p50"), e.getKey() + " " + pct);
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

  /**
   * Memory of a soak against time: resident set size and used heap (MiB, linear axis from 0) per sample, and the
   * retained heap after a full collection at the start and the end (squares). Latency per interval is left to the
   * CSV (a second axis would hide the memory trend).
   */
  static String memoryVsTime(Soak.Report report, Map<String, Object> meta) {
    List<Soak.Sample> samples = report.samples();
    int left = BOX.left();
    int top = BOX.top();
    int pw = BOX.width();
    int ph = BOX.height();
    double xMax = Math.max(1, samples.stream().mapToDouble(x -> x.seconds() / 60).max().orElse(1));
    double yMax = Math.max(1, samples.stream().mapToLong(x -> Math.max(x.rssKb(), x.heapUsedKb())).max().orElse(1) / 1024.0);
    double yStep = Math.pow(10, Math.floor(Math.log10(yMax)));
    yMax = Math.ceil(yMax / yStep) * yStep;
    StringBuilder s = header("Custos memory during the soak (" + meta.get("rateRps") + " calls/s, open loop)", meta);
    for (int i = 0; i <= 5; i++) {
      double v = yMax * i / 5;
      double y = top + ph - v / yMax * ph;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", left, y, left + pw, y));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n", left - 5, y + 4, v));
      double t = xMax * i / 5;
      double x = left + t / xMax * pw;
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>%n", x, top + ph + 15, t));
    }
    frame(s, "time since the load started (min)", "MiB");
    Map<String, java.util.function.ToLongFunction<Soak.Sample>> series = new LinkedHashMap<>();
    series.put("RSS", Soak.Sample::rssKb);
    series.put("heap used", Soak.Sample::heapUsedKb);
    int legend = top + 10;
    for (var e : series.entrySet()) {
      String color = e.getKey().equals("RSS") ? "#e8590c" : "#1c7ed6";
      StringBuilder pts = new StringBuilder();
      for (Soak.Sample x : samples) {
        long kb = e.getValue().applyAsLong(x);
        if (kb >= 0) {
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + x.seconds() / 60 / xMax * pw, top + ph - kb / 1024.0 / yMax * ph));
        }
      }
      s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
          pts.toString().trim(), color));
      legend(s, left + pw + 10, legend, color, false, e.getKey());
      legend += 16;
    }
    double end = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).seconds() / 60;
    for (double[] p : new double[][] {{0, report.verdict().heapAfterGcStartKb()}, {end, report.verdict().heapAfterGcEndKb()}}) {
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"#2b8a3e\"/>%n",
          left + p[0] / xMax * pw - 3.5, top + ph - p[1] / 1024.0 / yMax * ph - 3.5));
    }
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"7\" height=\"7\" fill=\"#2b8a3e\"/>%n",
        left + pw + 19, legend - 3));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">heap after full GC</text>%n", left + pw + 40, legend + 4));
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

  /** The document start: white background, title and a subtitle with date, CPUs, JDK and load average. */
  private static StringBuilder header(String title, Map<String, Object> meta) {
    int w = Box.IMAGE_WIDTH;
    int h = Box.IMAGE_HEIGHT;
    int left = BOX.left();
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n", w, h));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">%s</text>%n", left, esc(title)));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"32\" fill=\"#555\">%s, %s CPUs, %s; load avg %s</text>%n", left,
        esc(String.valueOf(meta.get("date"))).substring(0, 10), meta.get("nproc"), esc(String.valueOf(meta.get("jdk"))),
        esc(String.valueOf(meta.get("loadAvgStart")))));
    return s;
  }

  /** The plot area's border and axis titles. */
  private static void frame(StringBuilder s, String xTitle, String yTitle) {
    int left = BOX.left();
    int top = BOX.top();
    int pw = BOX.width();
    int ph = BOX.height();
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
        left, top, pw, ph));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", left + pw / 2, Box.IMAGE_HEIGHT - 12,
        esc(xTitle)));
    s.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
        top + ph / 2, esc(yTitle)));
  }

  private static void legend(StringBuilder s, int x, int y, String color, boolean dashed, String label) {
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.8\"%s/>%n",
        x, y, x + 25, y, color, dashed ? " stroke-dasharray=\"5,3\"" : ""));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 30, y + 4, esc(label)));
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, v >= 1 ? "%.0f" : v >= 0.1 ? "%.1f" : "%.2f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
