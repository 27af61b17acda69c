package io.custos.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the {@code custos} command line in-process, capturing its standard output. */
final class CliRun {
  private CliRun() {}

  /** Runs {@code args}; standard output goes to {@code out}. @return the exit status */
  static int capturingOut(ByteArrayOutputStream out, String... args) {
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      return new CommandLine(new CustosCli()).execute(args);
    } finally {
      System.setOut(old);
    }
  }
}
