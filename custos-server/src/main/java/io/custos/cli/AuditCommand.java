package io.custos.cli;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.custos.audit.ledger.AuditEventCodec;
import io.custos.audit.ledger.CheckpointSigner;
import io.custos.audit.ledger.DisclosureReport;
import io.custos.audit.ledger.DisclosureReporter;
import io.custos.audit.ledger.FhirAuditEventMapper;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LedgerProver;
import io.custos.audit.ledger.LedgerPruner;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.config.CustosConfig;
import io.custos.config.LedgerSettings;
import io.custos.verify.KeyTransitions;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.JdbcLedger;
import io.custos.verify.LedgerSource;
import io.custos.verify.PrunedRanges;
import io.custos.verify.VerificationReport;
import io.custos.verify.VerifyMain;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.merkle.ConsistencyProof;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code custos audit verify|prove|export|report|prune}: the compliance officer's tools over the audit ledger
 * (HIPAA 45 CFR 164.312(b), 164.312(c), 164.528, 164.316(b)(2)).
 */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Verify, prove, export and report on the audit ledger.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Prove.class, AuditCommand.Export.class, AuditCommand.Report.class,
        AuditCommand.Prune.class})
final class AuditCommand {
  private AuditCommand() {}

  /**
   * The checkpoint key from {@code file} (C2SP verifier key or PEM), else the ledger's first checkpoint key: the key
   * retired by the first transition statement it publishes, or, if its key never rotated, the PEM copy in its
   * directory.
   */
  static CheckpointKey publicKey(Path ledger, Path file) throws Exception {
    return file != null ? CheckpointKey.read(file) : CheckpointSigner.firstKey(ledger);
  }

  static Path keysDir(Path ledger, Path keys) {
    return keys != null ? keys : ledger.toAbsolutePath().getParent().resolve("keys");
  }

  @Command(name = "verify", description = "Check every entry, checkpoint signature and root offline (no decryption key)."
      + " The same check as the stand-alone custos-verify.jar that auditors run without the server.")
  static final class Verify implements Callable<Integer> {
    @Option(names = "--ledger", required = true, description = "ledger directory, or the jdbc:postgresql:// URL of the"
        + " database a fleet shares (credentials from PGUSER and PGPASSWORD)") String ledger;
    @Option(names = "--public-key", description = "checkpoint key: a C2SP verifier key (" + CheckpointSigner.VKEY_FILE
        + ", pins the origin) or a PEM public key; later keys are followed through the transition statements in "
        + KeyTransitions.FILE + "; default for a directory: the ledger's first key (from those statements, else the PEM"
        + " copy in it); required for a database. Auditors should pass the key they obtained out of band.") Path publicKey;
    @Option(names = "--witness", description = "witness directory holding copies of the checkpoints") Path witness;

    @Override
    public Integer call() throws Exception {
      boolean database = ledger.startsWith("jdbc:");
      if (database && publicKey == null) {
        System.err.println("custos: --public-key is required to verify a database ledger");
        return 1;
      }
      Path dir = database ? null : Path.of(ledger);
      if (!database && (!Files.isDirectory(dir) || !Files.exists(dir.resolve(LocalKeySource.PUBLIC_KEY)) && publicKey == null)) {
        System.err.println("custos: no ledger at " + dir.toAbsolutePath().normalize()
            + " (expected a directory with segment files and " + LocalKeySource.PUBLIC_KEY + ")");
        return 1;
      }
      CheckpointKey key = database ? CheckpointKey.read(publicKey) : publicKey(dir, publicKey);
      try (LedgerSource source = LedgerSource.open(ledger)) {
        VerificationReport r = LedgerVerifier.verify(source, key, Optional.ofNullable(witness));
        VerifyMain.print(r, System.out);
        return r.ok() ? VerifyMain.OK : VerifyMain.FINDINGS;
      }
    }
  }

  @Command(name = "prove", description = "Print an RFC 9162 inclusion proof of one event against the latest signed checkpoint,"
      + " or a consistency proof between two checkpoints (--consistency).")
  static final class Prove implements Callable<Integer> {
    @Option(names = "--ledger", required = true) Path ledger;
    @Option(names = "--public-key") Path publicKey;
    @Option(names = "--consistency", arity = "2", paramLabel = "SIZE",
        description = "prove the checkpoint of the first size is a prefix of the checkpoint of the second") long[] sizes;
    @Parameters(arity = "0..1", paramLabel = "EVENT_ID") String eventId;

    @Override
    public Integer call() throws Exception {
      LedgerProver prover = LedgerProver.load(ledger, publicKey(ledger, publicKey));
      ObjectMapper m = AuditEventCodec.mapper();
      ObjectNode out = m.createObjectNode();
      if (sizes != null) {
        Checkpoint a = find(prover, sizes[0]);
        Checkpoint b = find(prover, sizes[1]);
        ConsistencyProof p = prover.consistency(a, b);
        out.put("type", "consistency").put("firstSize", a.treeSize()).put("firstRoot", a.rootHex())
            .put("secondSize", b.treeSize()).put("secondRoot", b.rootHex()).put("proofBytes", p.sizeBytes());
        hashes(out.putArray("path"), p.path());
        out.put("firstCheckpoint", a.encode()).put("secondCheckpoint", b.encode()).put("verified", true);
      } else {
        if (eventId == null) {
          System.err.println("custos: give an EVENT_ID or --consistency SIZE SIZE");
          return 1;
        }
        var proof = prover.prove(eventId);
        if (proof.isEmpty()) {
          System.err.println("custos: event " + eventId + " is not in the ledger");
          return 3;
        }
        var p = proof.get();
        out.put("type", "inclusion").put("eventId", p.eventId()).put("leafIndex", p.leafIndex())
            .put("leafHash", HexFormat.of().formatHex(p.leafHash())).put("treeSize", p.checkpoint().treeSize())
            .put("rootHash", p.checkpoint().rootHex()).put("proofBytes", p.proof().sizeBytes());
        hashes(out.putArray("path"), p.proof().path());
        out.put("checkpoint", p.checkpoint().encode()).put("verified", true);
      }
      System.out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(out));
      return 0;
    }

    private static Checkpoint find(LedgerProver p, long size) {
      return p.checkpoints().stream().filter(c -> c.treeSize() == size).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no signed checkpoint of size " + size));
    }

    private static void hashes(ArrayNode arr, List<byte[]> path) {
      path.forEach(h -> arr.add(HexFormat.of().formatHex(h)));
    }
  }

  @Command(name = "export", description = "Export events for a SIEM: FHIR R4 AuditEvent (IHE BALP) NDJSON, PHI-free JSON"
      + " lines, RFC 5424 syslog lines with structured data, or CEF; once, or --follow to keep appending new events.")
  static final class Export implements Callable<Integer> {
    @Option(names = "--ledger", required = true, description = "ledger directory, or the jdbc:postgresql:// URL of a"
        + " fleet's database") String ledger;
    @Option(names = "--keys", description = "key directory (default: keys/ beside a ledger directory; required for a"
        + " database)") Path keys;
    @Option(names = "--format", required = true, description = "fhir | jsonl | rfc5424 | cef") String format;
    @Option(names = "--out", description = "output file (default: standard output; appended to with --follow)") Path out;
    @Option(names = "--from", defaultValue = "0", description = "first ledger index to export (default 0)") long from;
    @Option(names = "--follow", description = "after the existing events, poll for new ones until interrupted") boolean follow;
    @Option(names = "--interval", defaultValue = "2", description = "seconds between polls with --follow (default 2)")
    long interval;
    @Option(names = "--hostname", description = "HOSTNAME of rfc5424 lines (default: this machine's name)") String hostname;

    private static final List<String> FORMATS = List.of("fhir", "jsonl", "rfc5424", "cef");

    @Override
    public Integer call() throws Exception {
      if (!FORMATS.contains(format)) {
        System.err.println("custos: --format must be fhir, jsonl, rfc5424 or cef");
        return 1;
      }
      if (ledger.startsWith("jdbc:") && keys == null) {
        System.err.println("custos: --keys is required to export a database ledger");
        return 1;
      }
      var keySource = LocalKeySource.open(ledger.startsWith("jdbc:") ? keys : keysDir(Path.of(ledger), keys));
      IParser fhir = FhirContext.forR4Cached().newJsonParser().setPrettyPrint(false);
      ObjectMapper m = AuditEventCodec.mapper();
      String host = hostname != null ? hostname : java.net.InetAddress.getLocalHost().getHostName();
      Writer w = out != null ? Files.newBufferedWriter(out, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
          follow ? java.nio.file.StandardOpenOption.APPEND : java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
          java.nio.file.StandardOpenOption.WRITE)
          : new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
      long[] n = {0};
      long next = from;
      try (PrintWriter pw = new PrintWriter(w)) {
        LedgerEvents.Sink sink = s -> {
          switch (format) {
            case "fhir" -> {
              for (var ae : FhirAuditEventMapper.map(s)) {
                pw.println(fhir.encodeResourceToString(ae));
                n[0]++;
              }
              return;
            }
            case "rfc5424" -> pw.println(io.custos.alerting.Rfc5424.auditEvent(s.event(), s.leafIndex(), host)
                .toRfc5424SyslogMessage());
            case "cef" -> pw.println(io.custos.alerting.Cef.line(s.event(), s.leafIndex()));
            default -> {
              ObjectNode line = m.valueToTree(s.event());
              line.put("ledgerIndex", s.leafIndex());
              pw.println(m.writeValueAsString(line));
            }
          }
          n[0]++;
        };
        next = Math.max(next, export(keySource, next, sink));
        pw.flush();
        boolean failedLastPoll = false;
        while (follow && !Thread.currentThread().isInterrupted()) {
          Thread.sleep(java.time.Duration.ofSeconds(Math.max(1, interval)));
          // Entries are append-only and authenticated under their index: only those past the last export are decrypted.
          try {
            next = Math.max(next, export(keySource, next, sink));
            failedLastPoll = false;
          } catch (io.custos.verify.LedgerCorruptException e) {
            // An entry being written as we read looks torn; damage that is still there at the next poll is real.
            if (failedLastPoll) {
              throw e;
            }
            failedLastPoll = true;
          }
          pw.flush();
        }
      }
      System.err.println("exported " + n[0] + " " + (format.equals("fhir") ? "AuditEvent resources" : "events"));
      return 0;
    }

    /** One pass over the ledger (a directory or a fleet's database) from index {@code from}. */
    private long export(LocalKeySource keySource, long from, LedgerEvents.Sink sink) throws Exception {
      try (LedgerSource source = LedgerSource.open(ledger)) {
        return LedgerEvents.forEach(source, keySource.ledgerAead(), from, sink);
      }
    }
  }

  @Command(name = "report", description = "Accounting of disclosures for one patient (45 CFR 164.528), JSON and HTML."
      + " The re-identification is itself recorded in the ledger; stop the server first (it holds the ledger lock).")
  static final class Report implements Callable<Integer> {
    @Option(names = "--ledger", required = true) Path ledger;
    @Option(names = "--keys", description = "key directory (default: keys/ beside the ledger)") Path keys;
    @Option(names = "--patient", required = true, description = "patient id to report on") String patient;
    @Option(names = "--from", required = true, description = "start date (YYYY-MM-DD, inclusive, UTC)") LocalDate from;
    @Option(names = "--to", required = true, description = "end date (YYYY-MM-DD, inclusive, UTC)") LocalDate to;
    @Option(names = "--out", defaultValue = ".", description = "directory for the report files") Path outDir;
    @Option(names = "--operator", description = "who runs the report (default: the OS user)") String operator;

    @Override
    public Integer call() throws Exception {
      Instant start = from.atStartOfDay(ZoneOffset.UTC).toInstant();
      Instant end = to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      String who = operator != null ? operator : System.getProperty("user.name", "unknown");
      DisclosureReport r = DisclosureReporter.report(ledger, LocalKeySource.open(keysDir(ledger, keys)), patient, start, end, who);
      Files.createDirectories(outDir);
      String base = "disclosures-" + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest(patient.getBytes(StandardCharsets.UTF_8)))
          .substring(0, 10) + "-" + from + "-" + to;
      Path json = outDir.resolve(base + ".json");
      Path html = outDir.resolve(base + ".html");
      AuditEventCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), r);
      Files.writeString(html, DisclosureReporter.html(r));
      System.out.println(r.disclosures().size() + " disclosure(s); written " + json + " and " + html
          + "; the re-identification was recorded in the ledger");
      return 0;
    }
  }

  @Command(name = "prune", description = "Delete the ciphertext of sealed segments older than the retention period"
      + " (45 CFR 164.316(b)(2), default six years); leaf hashes and checkpoints are kept so the RFC 9162 tree still"
      + " verifies, and each pruned range is recorded signed by the checkpoint key. Refuses anything younger. Stop the"
      + " server first (it holds the ledger lock).")
  static final class Prune implements Callable<Integer> {
    @Option(names = "--ledger", required = true, description = "ledger directory, or the jdbc:postgresql:// URL of a"
        + " fleet's database (credentials from PGUSER and PGPASSWORD)") String ledger;
    @Option(names = "--public-key", description = "checkpoint key the ledger must verify under (C2SP verifier key or PEM);"
        + " default for a directory: the ledger's first key (required for a database)") Path publicKey;
    @Option(names = "--keys", description = "key directory holding the checkpoint signing key (default: the"
        + " configuration's keysDir, else <dataDir>/keys, with --config; else keys/ beside the ledger)") Path keys;
    @Option(names = "--config", description = "custos.yaml: ledger.retentionDays sets the retention period") Path config;
    @Option(names = "--retention-days", description = "retention period in days, overriding ledger.retentionDays"
        + " (default: the configuration's, else " + PrunedRanges.DEFAULT_RETENTION_DAYS + " = six years)") Long retentionDays;
    @Option(names = "--now", description = "the current instant (ISO-8601; for tests), default: the clock") Instant now;

    @Override
    public Integer call() throws Exception {
      boolean database = ledger.startsWith("jdbc:");
      if (database && (publicKey == null || keys == null && config == null)) {
        System.err.println("custos: pruning a database ledger needs --public-key and --keys (or --config)");
        return 1;
      }
      if (!database && !Files.isDirectory(Path.of(ledger))) {
        System.err.println("custos: no ledger at " + Path.of(ledger).toAbsolutePath().normalize());
        return 1;
      }
      Optional<CustosConfig> cfg = config == null ? Optional.empty() : Optional.of(CustosConfig.load(config));
      long days = retentionDays != null ? retentionDays
          : cfg.map(c -> c.ledger().retentionDays()).orElse(LedgerSettings.DEFAULT_RETENTION_DAYS);
      if (days < PrunedRanges.DEFAULT_RETENTION_DAYS) {
        System.err.println("warning: a retention of " + days + " days is shorter than the six years of 45 CFR 164.316(b)(2)");
      }
      Path keyDir = keys != null ? keys : cfg.isPresent() ? cfg.get().keysPath() : keysDir(Path.of(ledger), null);
      Instant at = now != null ? now : Instant.now();
      LedgerPruner.Result r;
      if (database) {
        Path scratch = Files.createTempDirectory("custos-prune");
        try (PostgresLedgerStore store = PostgresLedgerStore.connect(ledger, System.getenv("PGUSER"), System.getenv("PGPASSWORD"));
            JdbcLedger source = JdbcLedger.connect(ledger)) {
          r = LedgerPruner.prune(store, source, CheckpointKey.read(publicKey), LocalKeySource.open(keyDir), scratch, days, at);
        } finally {
          try (var files = Files.walk(scratch)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
          }
        }
      } else {
        r = LedgerPruner.prune(Path.of(ledger), publicKey(Path.of(ledger), publicKey), LocalKeySource.open(keyDir), days, at);
      }
      for (var range : r.pruned()) {
        System.out.println("pruned " + range.segment() + ": entries " + range.first() + ".." + (range.end() - 1));
      }
      r.refused().ifPresent(m -> System.out.println("kept: " + m));
      System.out.println("pruned " + r.pruned().size() + " segment(s), " + r.prunedEntries() + " entries; run custos audit verify"
          + " to check the ledger");
      return 0;
    }
  }
}
