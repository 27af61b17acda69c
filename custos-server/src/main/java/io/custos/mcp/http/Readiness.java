package io.custos.mcp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What {@code /readyz} reports: named dependency checks (for Custos: the audit ledger accepts appends, the keys are
 * loaded, the upstream FHIR server answers, the JWKS can be fetched). Each check's result is cached for
 * {@code maxAge}, and concurrent callers of a stale check wait for one probe, so the endpoint is cheap and cannot be
 * used to hammer a dependency. A probe that throws counts as failing. Thread-safe.
 */
public final class Readiness {
  /** Default re-check interval. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<Cached> checks;

  private Readiness(List<Cached> checks) {
    this.checks = List.copyOf(checks);
  }

  /** No dependencies: always ready (test fixtures, liveness). */
  public static Readiness none() {
    return new Readiness(List.of());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Each check's name and whether it passes now (cached), in the order added. */
  public Map<String, Boolean> status() {
    Map<String, Boolean> out = new LinkedHashMap<>();
    for (Cached c : checks) {
      out.put(c.name, c.ok());
    }
    return out;
  }

  /** Builds a {@link Readiness}. */
  public static final class Builder {
    private final List<Cached> checks = new ArrayList<>();
    private Duration maxAge = DEFAULT_MAX_AGE;
    private LongSupplier nanoTime = System::nanoTime;

    private Builder() {}

    /** How long a result is reused before the probe runs again (default 5 s). */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = maxAge;
      return this;
    }

    /** Monotonic time in nanoseconds deciding when a result is stale (default {@link System#nanoTime}; tests pass their own). */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = nanoTime;
      return this;
    }

    /**
     * @param name  shown in the {@code /readyz} body: a fixed word, never a URL or secret
     * @param probe true when the dependency is usable; should bound its own time (timeouts)
     */
    public Builder check(String name, BooleanSupplier probe) {
      checks.add(new Cached(name, probe, this));
      return this;
    }

    public Readiness build() {
      return new Readiness(checks);
    }
  }

  private static final class Cached {
    final String name;
    private final BooleanSupplier probe;
    private final Builder settings;
    private boolean checked;
    private long checkedAt;
    private boolean ok;

    Cached(String name, BooleanSupplier probe, Builder settings) {
      this.name = name;
      this.probe = probe;
      this.settings = settings;
    }

    synchronized boolean ok() {
      long now = settings.nanoTime.getAsLong();
      if (!checked || now - checkedAt >= settings.maxAge.toNanos()) {
        try {
          ok = probe.getAsBoolean();
        } catch (RuntimeException e) {
          ok = false;
        }
        checkedAt = now;
        checked = true;
      }
      return ok;
    }
  }

  private static final HttpClient PROBES = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .followRedirects(HttpClient.Redirect.NEVER).build();

  /**
   * A FHIR server answers its capability statement ({@code GET [base]/metadata}, FHIR R4 RESTful API "capabilities"):
   * any 2xx, or 401/403 (reachable, the statement needs credentials).
   *
   * @param fhirBase the FHIR base URL
   * @param timeout  bound of the whole request
   */
  public static BooleanSupplier fhirMetadata(String fhirBase, Duration timeout) {
    URI uri = URI.create(fhirBase.replaceAll("/+$", "") + "/metadata");
    return () -> {
      HttpResponse<Void> r = get(uri, timeout, "application/fhir+json", HttpResponse.BodyHandlers.discarding());
      return r != null && (r.statusCode() / 100 == 2 || r.statusCode() == 401 || r.statusCode() == 403);
    };
  }

  /**
   * A JWK Set (RFC 7517 section 5) can be fetched: 200 and a JSON object whose {@code keys} array is not empty.
   *
   * @param jwksUri the authorization server's {@code jwks_uri}
   * @param timeout bound of the whole request
   */
  public static BooleanSupplier jwks(String jwksUri, Duration timeout) {
    URI uri = URI.create(jwksUri);
    return () -> {
      HttpResponse<String> r = get(uri, timeout, "application/json", HttpResponse.BodyHandlers.ofString());
      if (r == null || r.statusCode() != 200) {
        return false;
      }
      try {
        JsonNode keys = JSON.readTree(r.body()).path("keys");
        return keys.isArray() && !keys.isEmpty();
      } catch (IOException e) {
        return false;
      }
    };
  }

  /** The response, or null when the server could not be reached in time. */
  private static <T> HttpResponse<T> get(URI uri, Duration timeout, String accept, HttpResponse.BodyHandler<T> body) {
    try {
      return PROBES.send(HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", accept).GET().build(), body);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
