package io.custos.compliance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.Attributes;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Totals of a directory of JUnit XML reports (Maven Surefire and Failsafe {@code TEST-*.xml}, or any report with
 * {@code <testsuite>} elements), for the evaluation evidence of 45 CFR 164.308(a)(8). The {@code <testcase>} elements
 * and their {@code <failure>}, {@code <error>} and {@code <skipped>} children are the source of truth; a suite's count
 * attributes can only raise the totals (each total is the larger of the two), so a reporter that omits or understates
 * them cannot make a failure disappear. Parsed with the JDK's SAX parser with document type declarations refused, so
 * no external entity or DTD is ever read (OWASP XXE prevention).
 */
public final class TestReports {
  private TestReports() {}

  /**
   * The totals of one directory of reports.
   *
   * @param group         the directory as given (e.g. {@code custos-server/target/failsafe-reports})
   * @param reports       report files read
   * @param tests         tests run: the larger of the {@code <testcase>} elements and the suites' {@code tests} sum
   * @param failures      failed assertions: the larger of the test cases with a {@code <failure>} and the suites' sum
   * @param errors        unexpected exceptions: likewise with {@code <error>}
   * @param skipped       skipped or disabled tests: likewise with {@code <skipped>}
   * @param seconds       summed suite time, seconds
   * @param newest        the newest suite's {@code timestamp} attribute, or the newest report file's modification time
   *                      when the reports carry none (Surefire writes none); empty without reports
   * @param testcases     {@code <testcase>} elements read
   * @param invalidCounts suite count attributes ({@code tests}, {@code failures}, {@code errors}, {@code skipped},
   *                      {@code disabled}) that are not a non-negative integer
   */
  public record Group(String group, int reports, long tests, long failures, long errors, long skipped, double seconds,
      Optional<Instant> newest, long testcases, int invalidCounts) {
    /** A directory that could not be read: no report, so it does not pass. */
    public static Group unreadable(String group) {
      return new Group(group, 0, 0, 0, 0, 0, 0, Optional.empty(), 0, 0);
    }

    /**
     * Whether the evidence shows a passing run: at least one report and one test case read, every count attribute
     * valid, and no failure or error.
     */
    public boolean passed() {
      return reports > 0 && testcases > 0 && invalidCounts == 0 && failures == 0 && errors == 0;
    }
  }

  /**
   * Reads every {@code *.xml} file directly in {@code dir} whose root element is {@code testsuite} or
   * {@code testsuites}; other XML files are ignored.
   *
   * @throws IOException when the directory cannot be read, or a report is not well-formed XML or has a DOCTYPE
   */
  public static Group read(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> f.getFileName().toString().endsWith(".xml") && Files.isRegularFile(f)).sorted().toList();
    }
    Totals t = new Totals();
    SAXParser parser = parser();
    for (Path f : files) {
      int before = t.suites;
      try (InputStream in = Files.newInputStream(f)) {
        parser.parse(in, t);
      } catch (SAXException e) {
        throw new IOException(f.getFileName() + " is not a readable JUnit XML report", e);
      } finally {
        parser.reset();
      }
      if (t.suites > before) {
        t.reports++;
        Instant modified = Files.getLastModifiedTime(f).toInstant();
        t.fileNewest = t.fileNewest == null || modified.isAfter(t.fileNewest) ? modified : t.fileNewest;
      }
    }
    return new Group(dir.toString(), t.reports, Math.max(t.tests, t.cases), Math.max(t.failures, t.caseFailures),
        Math.max(t.errors, t.caseErrors), Math.max(t.skipped, t.caseSkipped), t.seconds,
        Optional.ofNullable(t.stampNewest != null ? t.stampNewest : t.fileNewest), t.cases, t.invalid);
  }

  private static SAXParser parser() throws IOException {
    try {
      SAXParserFactory f = SAXParserFactory.newInstance();
      f.setNamespaceAware(false);
      f.setXIncludeAware(false);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature("http://xml.org/sax/features/external-general-entities", false);
      f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      return f.newSAXParser();
    } catch (ParserConfigurationException | SAXException e) {
      throw new IOException("the JDK's XML parser cannot be configured securely", e);
    }
  }

  /**
   * Sums {@code <testsuite>} attributes (nested suites, a {@code testsuites} root, are each counted once) and counts
   * {@code <testcase>} elements with their outcome children.
   */
  private static final class Totals extends DefaultHandler {
    int reports;
    int suites;
    long tests;
    long failures;
    long errors;
    long skipped;
    double seconds;
    Instant stampNewest;
    Instant fileNewest;
    long cases;
    long caseFailures;
    long caseErrors;
    long caseSkipped;
    int invalid;
    private boolean inCase;
    private boolean failed;
    private boolean errored;
    private boolean wasSkipped;

    @Override
    public void startElement(String uri, String localName, String qName, Attributes a) {
      switch (qName) {
        case "testsuite" -> suite(a);
        case "testcase" -> {
          inCase = true;
          failed = false;
          errored = false;
          wasSkipped = false;
        }
        // Surefire's flakyFailure/rerunFailure record a test that passed on a rerun: not a failure of the run.
        case "failure" -> failed |= inCase;
        case "error" -> errored |= inCase;
        case "skipped" -> wasSkipped |= inCase;
        default -> { }
      }
    }

    @Override
    public void endElement(String uri, String localName, String qName) {
      if (qName.equals("testcase") && inCase) {
        inCase = false;
        cases++;
        caseFailures += failed ? 1 : 0;
        caseErrors += errored ? 1 : 0;
        caseSkipped += wasSkipped ? 1 : 0;
      }
    }

    private void suite(Attributes a) {
      suites++;
      tests += number(a.getValue("tests"));
      failures += number(a.getValue("failures"));
      errors += number(a.getValue("errors"));
      skipped += number(a.getValue("skipped")) + number(a.getValue("disabled"));
      try {
        seconds += a.getValue("time") == null ? 0 : Double.parseDouble(a.getValue("time").replace(",", ""));
      } catch (NumberFormatException e) {
        // an unreadable time adds nothing
      }
      String stamp = a.getValue("timestamp");
      if (stamp != null) {
        try {
          Instant at = LocalDateTime.parse(stamp).toInstant(ZoneOffset.UTC);
          stampNewest = stampNewest == null || at.isAfter(stampNewest) ? at : stampNewest;
        } catch (DateTimeParseException e) {
          // not ISO-8601 local time: the file time stands in
        }
      }
    }

    /** An absent count is 0; an unparsable or negative one adds nothing and is counted as invalid. */
    private long number(String v) {
      if (v == null) {
        return 0;
      }
      try {
        long n = Long.parseLong(v.strip());
        if (n >= 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // counted below
      }
      invalid++;
      return 0;
    }
  }
}
