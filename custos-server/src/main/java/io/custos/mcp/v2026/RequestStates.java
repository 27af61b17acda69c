package io.custos.mcp.v2026;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code requestState} of a multi-round-trip request (MCP 2026-07-28, Basic, Patterns, "Multi round-trip
 * requests"): the client echoes it unchanged, so it is treated as attacker-controlled. Each state is sealed with Tink
 * AEAD (AES256-GCM, associated data naming this format) and bound to the caller (subject and client id), the tool, a
 * SHA-256 digest of the original arguments and an expiry; it carries a random 128-bit id that the server claims once
 * ({@link OneTime}), so a replay is refused. Opening never says why a state failed beyond {@link Failure}; the
 * caller logs and audits that code only.
 */
public final class RequestStates {
  /** Default lifetime of a state: the user has this long to answer the form. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
  private static final byte[] ASSOCIATED_DATA = "custos.mcp.request-state.v1".getBytes(StandardCharsets.UTF_8);
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule()).build();

  /** Single-use records: true the first time a key is claimed before {@code expiresAt}, false on every later claim. */
  @FunctionalInterface
  public interface OneTime {
    boolean claimOnce(String key, Instant expiresAt);
  }

  /**
   * What a state holds.
   *
   * @param id              random 128-bit id (hex), claimed once
   * @param subject         the caller's {@code sub}
   * @param clientId        the caller's OAuth client id
   * @param tool            the tool called
   * @param argumentsSha256 SHA-256 (hex) of the canonical JSON of the original arguments
   * @param expiresAt       end of validity
   * @param proposal        the pending proposal the form asks about (the write tool's structured result)
   */
  public record State(String id, String subject, String clientId, String tool, String argumentsSha256, Instant expiresAt,
      Map<String, Object> proposal) {}

  /** Why a state was refused (log and audit code; never sent to the client). */
  public enum Failure {
    /** Not a state this server sealed, or altered. */
    FORGED,
    /** Past its expiry. */
    EXPIRED,
    /** Sealed for another user, client, tool or set of arguments. */
    MISMATCH,
    /** Already used. */
    REPLAYED
  }

  /** The opened state, or the failure. */
  public sealed interface Opened {
    record Valid(State state) implements Opened {}

    record Invalid(Failure failure) implements Opened {}
  }

  private final Aead aead;
  private final OneTime oneTime;
  private final Clock clock;
  private final Duration ttl;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param aead    the sealing key (the key directory's request-state keyset, shared by every server that may receive
   *                the retry)
   * @param oneTime the single-use store
   * @param ttl     lifetime of a state, 1 s .. 1 h
   */
  public RequestStates(Aead aead, OneTime oneTime, Clock clock, Duration ttl) {
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("request state lifetime must be between 1 second and 1 hour");
    }
    this.aead = aead;
    this.oneTime = oneTime;
    this.clock = clock;
    this.ttl = ttl;
  }

  /** Seals a new state for {@code proposal}; returns the opaque base64url token. */
  public String seal(String subject, String clientId, String tool, String argumentsSha256, Map<String, Object> proposal) {
    byte[] id = new byte[16];
    random.nextBytes(id);
    State s = new State(HexFormat.of().formatHex(id), subject, clientId, tool, argumentsSha256, clock.instant().plus(ttl),
        proposal);
    try {
      byte[] sealed = aead.encrypt(JSON.writeValueAsBytes(s), ASSOCIATED_DATA);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sealed);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("request state could not be sealed");
    }
  }

  /**
   * Opens {@code token} for this caller, tool and arguments and claims it; a valid state cannot be opened twice.
   */
  public Opened open(String token, String subject, String clientId, String tool, String argumentsSha256) {
    Optional<State> state = decrypt(token);
    if (state.isEmpty()) {
      return new Opened.Invalid(Failure.FORGED);
    }
    State s = state.get();
    if (!clock.instant().isBefore(s.expiresAt())) {
      return new Opened.Invalid(Failure.EXPIRED);
    }
    if (!s.subject().equals(subject) || !s.clientId().equals(clientId) || !s.tool().equals(tool)
        || !s.argumentsSha256().equals(argumentsSha256)) {
      return new Opened.Invalid(Failure.MISMATCH);
    }
    if (!oneTime.claimOnce("request-state:" + s.id(), s.expiresAt())) {
      return new Opened.Invalid(Failure.REPLAYED);
    }
    return new Opened.Valid(s);
  }

  private Optional<State> decrypt(String token) {
    try {
      byte[] plain = aead.decrypt(Base64.getUrlDecoder().decode(token), ASSOCIATED_DATA);
      return Optional.of(JSON.readValue(plain, new TypeReference<State>() { }));
    } catch (GeneralSecurityException | IllegalArgumentException | IOException e) {
      return Optional.empty();
    }
  }
}
