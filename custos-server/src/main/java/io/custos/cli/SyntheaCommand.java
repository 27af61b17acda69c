package io.custos.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custos synthea}: generates synthetic patients with Synthea 3.3.0 in a separate JVM, so Synthea's
 * dependencies never join the server's classpath. Progress goes to standard error.
 */
@Command(name = "synthea", mixinStandardHelpOptions = true, description = "Generate synthetic FHIR R4 patients (offline).")
final class SyntheaCommand implements Callable<Integer> {
  @Option(names = "--patients", required = true, description = "Number of patients (1..100000).")
  int patients;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed; same seed and count give the same patients.")
  long seed;

  @Option(names = "--out", required = true, description = "Output directory for the FHIR transaction bundles.")
  Path out;

  @Override
  public Integer call() throws Exception {
    return run(patients, seed, out);
  }

  /** Runs the generator and waits; returns its exit code. */
  static int run(int patients, long seed, Path out) throws Exception {
    return run(patients, seed, out, false);
  }

  /** As above; {@code csv}: also Synthea's CSV export of the same patients, in {@code out/csv/}. */
  static int run(int patients, long seed, Path out, boolean csv) throws Exception {
    Path script = home().resolve("scripts").resolve("synthea.sh");
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("scripts/synthea.sh not found under " + home());
    }
    List<String> cmd = new ArrayList<>(List.of(script.toString(), "--patients", Integer.toString(patients),
        "--seed", Long.toString(seed), "--out", out.toAbsolutePath().toString()));
    if (csv) {
      cmd.add("--csv");
    }
    Process p = new ProcessBuilder(cmd).directory(home().toFile()).redirectOutput(ProcessBuilder.Redirect.to(new java.io.File("/dev/stderr")))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return p.waitFor();
  }

  static Path home() {
    return Path.of(System.getProperty("custos.home", ".")).toAbsolutePath().normalize();
  }
}
