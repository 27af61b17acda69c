package io.custos.compliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JUnit XML totals, read with external entities refused. */
class TestReportsTest {
  @TempDir Path dir;

  @Test
  void sumsEverySuiteOfTheDirectory() throws Exception {
    Files.writeString(dir.resolve("TEST-a.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuite name="a" time="1.5" tests="4" errors="0" skipped="1" failures="0">
          <testcase name="x"/><system-out><![CDATA[ok]]></system-out>
        </testsuite>""");
    Files.writeString(dir.resolve("TEST-b.xml"), """
        <testsuites><testsuite name="b" time="2" tests="3" errors="1" skipped="0" failures="2"
          timestamp="2026-11-29T10:00:00"/></testsuites>""");
    Files.writeString(dir.resolve("other.xml"), "<project/>");
    TestReports.Group g = TestReports.read(dir);
    assertThat(g.reports()).isEqualTo(2);
    assertThat(g.tests()).isEqualTo(7);
    assertThat(g.failures()).isEqualTo(2);
    assertThat(g.errors()).isEqualTo(1);
    assertThat(g.skipped()).isEqualTo(1);
    assertThat(g.seconds()).isEqualTo(3.5);
    assertThat(g.newest()).contains(Instant.parse("2026-11-29T10:00:00Z"));
    assertThat(g.passed()).isFalse();
  }

  @Test
  void aDirectoryWithoutReportsDoesNotPass() throws Exception {
    assertThat(TestReports.read(dir).passed()).isFalse();
  }

  @Test
  void aDoctypeIsRefusedSoNoExternalEntityIsRead() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "42");
    Files.writeString(dir.resolve("TEST-x.xml"), """
        <?xml version="1.0"?>
        <!DOCTYPE testsuite [<!ENTITY n SYSTEM "%s">]>
        <testsuite tests="&n;" failures="0" errors="0"/>""".formatted(secret.toUri()));
    assertThatThrownBy(() -> TestReports.read(dir)).isInstanceOf(IOException.class).hasMessageContaining("TEST-x.xml");
  }

  private TestReports.Group read(String... reports) throws Exception {
    for (int i = 0; i < reports.length; i++) {
      Files.writeString(dir.resolve("TEST-" + i + ".xml"), reports[i]);
    }
    return TestReports.read(dir);
  }

  @Test
  void testCaseFailuresCountWhenTheReporterOmitsOrUnderstatesTheAttributes() throws Exception {
    TestReports.Group g = read("""
        <testsuite name="a"><testcase name="x"/><testcase name="y"><failure message="m"/></testcase>
          <testcase name="z"><error/></testcase><testcase name="s"><skipped/></testcase></testsuite>""",
        """
        <testsuite name="b" tests="1" failures="0" errors="0"><testcase name="w"><failure/></testcase></testsuite>""");
    assertThat(g.testcases()).isEqualTo(5);
    assertThat(g.tests()).isEqualTo(5);
    assertThat(g.failures()).isEqualTo(2);
    assertThat(g.errors()).isEqualTo(1);
    assertThat(g.skipped()).isEqualTo(1);
    assertThat(g.passed()).isFalse();
  }

  @Test
  void aNegativeOrUnparsableCountIsInvalidAndCannotCancelARealFailure() throws Exception {
    TestReports.Group g = read("""
        <testsuite tests="1" failures="1" errors="0"><testcase name="x"><failure/></testcase></testsuite>""",
        """
        <testsuite tests="1" failures="-1" errors="0"><testcase name="y"/></testsuite>""");
    assertThat(g.failures()).isEqualTo(1);
    assertThat(g.invalidCounts()).isEqualTo(1);
    assertThat(g.passed()).isFalse();

    TestReports.Group unparsable = read("""
        <testsuite tests="1" failures="none" errors="0"><testcase name="x"/></testsuite>""",
        """
        <testsuite tests="1" failures="0" errors="0"><testcase name="y"/></testsuite>""");
    assertThat(unparsable.failures()).as("no failure anywhere").isZero();
    assertThat(unparsable.invalidCounts()).isEqualTo(1);
    assertThat(unparsable.passed()).as("an unreadable count is not evidence").isFalse();
  }

  @Test
  void reportsWithoutTestCasesDoNotPassWhateverTheirAttributesSay() throws Exception {
    TestReports.Group g = read("""
        <testsuite tests="12" failures="0" errors="0"/>""");
    assertThat(g.reports()).isEqualTo(1);
    assertThat(g.testcases()).isZero();
    assertThat(g.passed()).isFalse();
    Files.writeString(dir.resolve("TEST-1.xml"), "<testsuite tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"x\"/></testsuite>");
    assertThat(TestReports.read(dir).passed()).isTrue();
  }
}
