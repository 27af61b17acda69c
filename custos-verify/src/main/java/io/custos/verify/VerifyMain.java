package io.custos.verify;

import io.custos.verify.checkpoint.CheckpointKey;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The auditor's stand-alone verifier: {@code java -jar custos-verify.jar <ledger-dir> --public-key <file>
 * [--witness <dir>]}, or for a fleet's PostgreSQL ledger {@code java -cp custos-verify.jar:postgresql.jar
 * io.custos.verify.VerifyMain jdbc:postgresql://... --public-key <file>}. Needs the JDK only, no server and no decryption key. Prints every warning and finding, then
 * one summary line. Exit status: 0 the ledger verifies, 2 a finding (tampering or damage), 1 a usage or read error.
 */
public final class VerifyMain {
  /** Exit status when the ledger verifies. */
  public static final int OK = 0;
  /** Exit status for a usage or read error. */
  public static final int USAGE = 1;
  /** Exit status when verification found a problem. */
  public static final int FINDINGS = 2;

  static final String HELP = """
      Usage: java -jar custos-verify.jar <ledger-dir> --public-key <file> [--witness <dir>]
             java -cp custos-verify.jar:postgresql.jar io.custos.verify.VerifyMain <jdbc-url> --public-key <file>

      Verifies a Custos audit ledger offline: every record's framing and CRC-32C, every checkpoint's Ed25519
      signature (C2SP signed-note checkpoints, and the legacy one-line checkpoints of older ledgers), and every
      checkpoint's RFC 9162 Merkle root recomputed from the entries. No decryption key is needed.

        <ledger-dir>        the ledger directory (segment-*.seg, checkpoints.txt, leaf-hashes.bin, and
                            checkpoint-transitions.txt once the checkpoint key was rotated)
        <jdbc-url>          or the PostgreSQL ledger a fleet shares, jdbc:postgresql://host:port/db
                            (credentials from PGUSER and PGPASSWORD; the PostgreSQL JDBC driver on the class path)
        --public-key FILE   the checkpoint key, obtained out of band: a C2SP verifier key
                            (<origin>+<key id>+<base64 key>, pins the origin) or a PEM Ed25519 public key;
                            keys it endorsed later (key transitions signed by it) are followed from it
        --witness DIR       a witness directory holding independent copies of the checkpoints
        -h, --help          print this help

      Exit status: 0 verified, 2 tampering or damage found, 1 usage or read error.
      """;

  private VerifyMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the verifier with {@code args}, printing to {@code out} and {@code err}; returns the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Optional<String> ledger = Optional.empty();
    Optional<Path> key = Optional.empty();
    Optional<Path> witness = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-h", "--help" -> {
          out.print(HELP);
          return OK;
        }
        case "--public-key", "--witness" -> {
          if (i + 1 == args.length) {
            err.println("custos-verify: " + args[i] + " needs a value\n\n" + HELP);
            return USAGE;
          }
          Path p = Path.of(args[++i]);
          if (args[i - 1].equals("--public-key")) {
            key = Optional.of(p);
          } else {
            witness = Optional.of(p);
          }
        }
        default -> {
          if (args[i].startsWith("-") || ledger.isPresent()) {
            err.println("custos-verify: unexpected argument\n\n" + HELP);
            return USAGE;
          }
          ledger = Optional.of(args[i]);
        }
      }
    }
    if (ledger.isEmpty() || key.isEmpty()) {
      err.println("custos-verify: give the ledger directory and --public-key\n\n" + HELP);
      return USAGE;
    }
    try (LedgerSource source = LedgerSource.open(ledger.get())) {
      VerificationReport r = LedgerVerifier.verify(source, CheckpointKey.read(key.get()), witness);
      print(r, out);
      return r.ok() ? OK : FINDINGS;
    } catch (NoSuchFileException e) {
      err.println("custos-verify: no such file: " + e.getFile());
      return USAGE;
    } catch (IOException | IllegalArgumentException e) {
      err.println("custos-verify: " + e.getMessage());
      return USAGE;
    }
  }

  /** Prints every warning and finding of {@code r}, then its summary line. */
  public static void print(VerificationReport r, PrintStream out) {
    for (String w : r.warnings()) {
      out.println("warning: " + w);
    }
    for (Finding f : r.findings()) {
      out.println("TAMPERED " + f);
    }
    out.println(r.summary());
  }
}
