package io.custos.config;

import java.util.List;

/**
 * The {@code metrics} section of {@code custos.yaml}: a Prometheus scrape endpoint ({@code GET /metrics}, text
 * exposition format) on its own plain-HTTP management listener. It carries no PHI and no user or patient labels, but
 * it is unauthenticated, so it binds only to a loopback address; a remote Prometheus scrapes it through a local agent
 * or an authenticating TLS proxy.
 *
 * @param enabled whether the listener runs; default true when the section is present
 * @param host    loopback bind address; default 127.0.0.1
 * @param port    default 9464; 0 = ephemeral
 */
public record MetricsSettings(Boolean enabled, String host, Integer port) {
  /** No metrics listener (the section is absent). */
  public static MetricsSettings disabled() {
    return new MetricsSettings(false, "127.0.0.1", 9464);
  }

  /** Fills defaults for absent keys. */
  public MetricsSettings withDefaults() {
    return new MetricsSettings(enabled == null || enabled, host == null ? "127.0.0.1" : host, port == null ? 9464 : port);
  }

  void validate(List<String> errors) {
    if (!enabled) {
      return;
    }
    if (!AlertSettings.loopback(host)) {
      errors.add("metrics.host: must be a loopback address (the endpoint is unauthenticated)");
    }
    if (port < 0 || port > 65535) {
      errors.add("metrics.port: must be 0..65535");
    }
  }
}
