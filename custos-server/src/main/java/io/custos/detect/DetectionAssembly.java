package io.custos.detect;

import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.config.ConfigException;
import io.custos.fhir.FhirUpstream;
import io.custos.policy.AlertSink;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the detection engine of a server from the {@code detection} configuration. */
public final class DetectionAssembly {
  private static final Logger log = LoggerFactory.getLogger(DetectionAssembly.class);
  /** How long resolved patient facts are reused. */
  static final Duration FACTS_TTL = Duration.ofMinutes(10);

  private DetectionAssembly() {}

  /**
   * What the engine needs from the server.
   *
   * @param upstream   the FHIR upstream (staff directory from FHIR, patient facts)
   * @param reidentify pseudonym to patient id (the encrypted token map), used only inside the engine
   * @param pseudonyms the ledger's pseudonymiser (VIP ids become pseudonyms at start)
   * @param ledger     where ALERT events are appended
   * @param clock      the server's clock
   * @param version    server version recorded in the ALERT events
   * @param sink       the server's alert sink
   */
  public record Server(FhirUpstream upstream, Function<String, Optional<String>> reidentify, PatientPseudonyms pseudonyms,
      AuditTrail ledger, Clock clock, String version, AlertSink sink) {}

  /**
   * The engine, started on {@code source}; empty when the section is absent or disabled.
   *
   * @throws ConfigException if the staff directory CSV cannot be read (the message names the key, never a field value)
   */
  public static Optional<DetectionEngine> start(Optional<DetectionConfig> config, Server server, AuditEventSource source) {
    if (config.isEmpty() || !config.get().on()) {
      return Optional.empty();
    }
    DetectionConfig c = config.get();
    StaffDirectory staff = staff(c, server.upstream());
    DetectionEngine engine = DetectionEngine.builder().config(c).staff(staff)
        .facts(new FhirPatientFacts(server.upstream(), server.reidentify(), server.clock(), FACTS_TTL))
        .vipPseudonyms(c.vipIds().stream().map(server.pseudonyms()::tokenize).collect(Collectors.toSet()))
        .ledger(server.ledger(), server.version()).clock(server.clock()).sink(server.sink()).build().start(source);
    log.info("misuse detection on: {} staff directory entries, {} VIP patients", staff.size(), c.vipIds().size());
    return Optional.of(engine);
  }

  private static StaffDirectory staff(DetectionConfig c, FhirUpstream upstream) {
    var source = c.staffDirectory();
    if (source == null) {
      return StaffDirectory.empty();
    }
    if (source.csv() != null) {
      try {
        return StaffDirectory.csv(Path.of(source.csv()));
      } catch (IOException e) {
        throw new ConfigException("detection.staffDirectory.csv: " + e.getMessage());
      }
    }
    if (Boolean.TRUE.equals(source.fhir())) {
      try {
        return StaffDirectory.fhir(upstream);
      } catch (RuntimeException e) {
        log.warn("detection.staffDirectory.fhir: Practitioner directory not readable ({}); staff rules silent",
            e.getClass().getSimpleName());
      }
    }
    return StaffDirectory.empty();
  }
}
