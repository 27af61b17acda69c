package io.custos.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;

/**
 * What one JSqlParser parse of the SQL benchmark's {@code sql_query} statement costs, wall time and process CPU per
 * parse, two ways: {@code CCJSqlParserUtil.parse(String)}, which starts a new single-thread executor (a new thread) per
 * statement to enforce its parse timeout, and {@code parse(String, ExecutorService, Consumer)} with one long-lived
 * executor. Rounds of {@code n} parses each (default 3 x 5,000). Not a test: run by hand (BENCHMARKS.md).
 */
public final class SqlParseCost {
  private SqlParseCost() {}

  public static void main(String[] args) throws JSQLParserException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ExecutorService shared = Executors.newSingleThreadExecutor();
    try {
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        long c0 = os.getProcessCpuTime();
        for (int i = 0; i < n; i++) {
          CCJSqlParserUtil.parse(SqlBaseline.ANALYST_QUERY);
        }
        long t1 = System.nanoTime();
        long c1 = os.getProcessCpuTime();
        for (int i = 0; i < n; i++) {
          CCJSqlParserUtil.parse(SqlBaseline.ANALYST_QUERY, shared, parser -> { });
        }
        long t2 = System.nanoTime();
        long c2 = os.getProcessCpuTime();
        System.out.printf(Locale.ROOT, "round %d: parse(String) %.3f ms wall, %.3f ms CPU; parse(String, shared executor) "
            + "%.3f ms wall, %.3f ms CPU (per parse)%n", r, (t1 - t0) / 1e6 / n, (c1 - c0) / 1e6 / n, (t2 - t1) / 1e6 / n,
            (c2 - c1) / 1e6 / n);
      }
    } finally {
      shared.shutdown();
    }
  }
}
