package io.custos.audit.ledger.bench;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Durable appends per second through {@link MerkleLedger} (fsync per group-commit batch, AES-256-GCM, real
 * files). Run with many threads ({@code -t 64}): each thread is one in-flight tool call waiting for its
 * intent event to be durable. The ledger directory is kept under {@code ledger.bench.dir} (default: a temp
 * dir) so the verification rate can be measured on it afterwards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LedgerAppendBenchmark {
  private MerkleLedger ledger;
  private Path dir;

  @Setup
  public void open() throws IOException {
    String d = System.getProperty("ledger.bench.dir");
    dir = d != null ? Path.of(d) : Files.createTempDirectory("ledger-bench");
    ledger = MerkleLedger.open(dir.resolve("ledger"), LocalKeySource.openOrCreate(dir.resolve("keys")));
  }

  @TearDown
  public void close() {
    ledger.close();
  }

  @Benchmark
  public void durableAppend() {
    ledger.append(intentEvent());
  }

  /** A typical intent event (synthetic: fixed user, tool and pseudonymous patient; fresh event and call ids). */
  public static AuditEvent intentEvent() {
    return new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), Instant.now(),
        AuditEvent.Phase.INTENT, "dr-alice", "Practitioner/p1", "agent-client", "session-1", "tokhash",
        Set.of("clinician"), "get_medications", "MedicationRequest", List.of("pt_0123456789abcdef0123456789abcdef"),
        "patient/MedicationRequest.rs", "success", 0, null, 1234, "127.0.0.1", "0.1.0");
  }
}
