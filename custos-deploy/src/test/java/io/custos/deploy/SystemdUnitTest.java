package io.custos.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/systemd/custos.service}: its hardening directives (systemd.exec(5)), parsed here, and where
 * {@code systemd-analyze} is installed, systemd's own verdict: {@code verify} reports no warning and
 * {@code security --offline} rates the exposure at most 2.0 of 10.
 */
class SystemdUnitTest {
  private static final Path UNIT = Path.of(System.getProperty("custos.repo", ".."), "deploy/systemd/custos.service");
  private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

  @TempDir
  Path work;

  /** Directives by section, each with its values in order (a key may repeat, e.g. SystemCallFilter). */
  private static Map<String, Map<String, List<String>>> parse(String text) {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, List<String>> current = null;
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        current = sections.computeIfAbsent(line.substring(1, line.length() - 1), s -> new LinkedHashMap<>());
        continue;
      }
      int eq = line.indexOf('=');
      assertThat(current).as("directive outside a section: " + line).isNotNull();
      assertThat(eq).as("not a directive: " + line).isPositive();
      current.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
    }
    return sections;
  }

  private static Map<String, List<String>> service() throws IOException {
    Map<String, List<String>> service = parse(Files.readString(UNIT)).get("Service");
    assertThat(service).isNotNull();
    return service;
  }

  @Test
  void runsAsAnUnprivilegedUserWithNoCapabilities() throws IOException {
    Map<String, List<String>> s = service();
    assertThat(s).containsEntry("DynamicUser", List.of("yes")).containsEntry("NoNewPrivileges", List.of("yes"))
        .containsEntry("CapabilityBoundingSet", List.of("")).containsEntry("AmbientCapabilities", List.of(""))
        .containsEntry("RestrictSUIDSGID", List.of("yes")).containsEntry("PrivateUsers", List.of("yes"));
    assertThat(s).doesNotContainKey("Group").doesNotContainKey("SupplementaryGroups");
  }

  @Test
  void writesOnlyToItsStateDirectory() throws IOException {
    Map<String, List<String>> s = service();
    assertThat(s).containsEntry("ProtectSystem", List.of("strict")).containsEntry("ProtectHome", List.of("yes"))
        .containsEntry("PrivateTmp", List.of("yes")).containsEntry("StateDirectory", List.of("custos"))
        .containsEntry("StateDirectoryMode", List.of("0700")).containsEntry("ReadWritePaths", List.of("/var/lib/custos"))
        .containsEntry("UMask", List.of("0077"));
  }

  @Test
  void confinesKernelDevicesSyscallsAndSockets() throws IOException {
    Map<String, List<String>> s = service();
    for (String key : List.of("PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
        "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RestrictNamespaces", "RestrictRealtime",
        "LockPersonality")) {
      assertThat(s).as(key).containsEntry(key, List.of("yes"));
    }
    assertThat(s.get("SystemCallFilter")).containsExactly("@system-service", "~@privileged");
    assertThat(s).containsEntry("SystemCallArchitectures", List.of("native"))
        .containsEntry("RestrictAddressFamilies", List.of("AF_INET AF_INET6 AF_UNIX"));
    // The JIT compiler needs writable, then executable, memory.
    assertThat(s).doesNotContainKey("MemoryDenyWriteExecute");
  }

  @Test
  void stopsGracefullyOnSigterm() throws IOException {
    Map<String, List<String>> s = service();
    assertThat(s).containsEntry("KillSignal", List.of("SIGTERM")).containsEntry("SuccessExitStatus", List.of("143"))
        .containsEntry("Restart", List.of("on-failure"));
    assertThat(Integer.parseInt(s.get("TimeoutStopSec").getFirst())).isGreaterThanOrEqualTo(30);
    assertThat(s.get("ExecStart").getFirst()).startsWith("/usr/bin/java ")
        .endsWith("-jar /opt/custos/custos.jar serve --config /etc/custos/custos.yaml");
  }

  @Test
  void systemdVerifiesTheUnitWithoutAWarning() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze not installed");
    Result r = analyze("verify", copy(Files.readString(UNIT)).toString());
    assertThat(r.output()).isEmpty();
    assertThat(r.exit()).isZero();
  }

  @Test
  void verifyReportsAMistypedDirective() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze not installed");
    Result r = analyze("verify", copy(Files.readString(UNIT).replace("ProtectSystem=strict", "ProtectSystem=strcit"))
        .toString());
    assertThat(r.output()).contains("custos.service:").contains("strcit");
  }

  @Test
  void systemdRatesTheExposureLow() throws Exception {
    assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze not installed");
    Result r = analyze("security", "--offline=true", "--no-pager", copy(Files.readString(UNIT)).toString());
    Matcher m = Pattern.compile("Overall exposure level for custos\\.service: (\\d+\\.\\d)").matcher(r.output());
    assertThat(m.find()).as(r.output()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isLessThanOrEqualTo(2.0);
  }

  /**
   * The unit as {@code custos.service} in a scratch directory, its {@code /usr/bin/java} replaced by this test's JVM
   * so that {@code verify}, which checks that the command exists, passes on machines without a system Java.
   */
  private Path copy(String unit) throws IOException {
    Path file = work.resolve("custos.service");
    Files.writeString(file, unit.replace("/usr/bin/java ", Path.of(System.getProperty("java.home"), "bin/java") + " "));
    return file;
  }

  private record Result(int exit, String output) {}

  private static Result analyze(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ANALYZE.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    return new Result(p.exitValue(), out);
  }
}
