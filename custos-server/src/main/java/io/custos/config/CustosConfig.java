package io.custos.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one configuration file, {@code custos.yaml}. Validated at start; every error names its key
 * (see README "Configuration reference").
 *
 * @param server   listener settings
 * @param upstream FHIR R4 upstream
 * @param identity how callers are authenticated
 * @param dataDir  directory for the audit trail, keys and the generated TLS certificate
 */
public record CustosConfig(Server server, Upstream upstream, Identity identity, String dataDir) {

  /**
   * @param host            bind address; default 127.0.0.1
   * @param port            default 8443; 0 = ephemeral
   * @param tls             {@code tls13} (default), {@code tls12} (also allows TLS 1.2), or {@code plain} (loopback only)
   * @param allowedOrigins  Origin header values accepted (browser clients such as the Inspector UI)
   * @param allowedHosts    extra Host header names accepted (e.g. the public DNS name behind a load balancer)
   * @param maxRequestBytes request body bound; default 1 MiB
   */
  public record Server(String host, Integer port, String tls, List<String> allowedOrigins, List<String> allowedHosts,
      Integer maxRequestBytes) {}

  /**
   * @param baseUrl        FHIR R4 base URL; {@code https} required unless the host is loopback
   * @param timeoutSeconds connect/read timeout; default 10, 1..120
   */
  public record Upstream(String baseUrl, Integer timeoutSeconds) {}

  /** @param mode {@code development} (loopback only, no identity provider; never for real PHI) */
  public record Identity(String mode) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads and validates a YAML file.
   *
   * @throws ConfigException on unreadable, malformed or invalid configuration, naming the key
   */
  public static CustosConfig load(Path file) {
    CustosConfig raw;
    try {
      raw = YAML.readValue(Files.readAllBytes(file), CustosConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException("unknown configuration key '" + e.getPathReference().replaceAll("io\\.custos\\.config\\.CustosConfig(\\$\\w+)?", "")
          .replaceAll("\\[\"(\\w+)\"\\]", ".$1").replaceAll("^\\.|->", "") + "' in " + file.getFileName());
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + file.getFileName() + ": " + e.getClass().getSimpleName());
    }
    return raw.withDefaults().validated();
  }

  /** Fills defaults for absent keys. */
  public CustosConfig withDefaults() {
    Server s = server == null ? new Server(null, null, null, null, null, null) : server;
    Upstream u = upstream == null ? new Upstream(null, null) : upstream;
    return new CustosConfig(
        new Server(s.host() == null ? "127.0.0.1" : s.host(), s.port() == null ? 8443 : s.port(),
            s.tls() == null ? "tls13" : s.tls().toLowerCase(Locale.ROOT),
            s.allowedOrigins() == null ? List.of() : s.allowedOrigins(), s.allowedHosts() == null ? List.of() : s.allowedHosts(),
            s.maxRequestBytes() == null ? 1 << 20 : s.maxRequestBytes()),
        new Upstream(u.baseUrl(), u.timeoutSeconds() == null ? 10 : u.timeoutSeconds()),
        identity == null ? new Identity(null) : identity,
        dataDir == null ? ".custos-data" : dataDir);
  }

  /** @throws ConfigException listing every invalid key */
  public CustosConfig validated() {
    List<String> errors = new ArrayList<>();
    if (server.port() < 0 || server.port() > 65535) {
      errors.add("server.port: must be 0..65535");
    }
    if (!List.of("tls13", "tls12", "plain").contains(server.tls())) {
      errors.add("server.tls: must be tls13, tls12 or plain");
    }
    boolean loopback = isLoopback(server.host());
    if (server.tls().equals("plain") && !loopback) {
      errors.add("server.tls: plain HTTP is allowed only when server.host is a loopback address");
    }
    if (server.maxRequestBytes() < 1024 || server.maxRequestBytes() > 16 << 20) {
      errors.add("server.maxRequestBytes: must be 1024..16777216");
    }
    if (upstream.baseUrl() == null || upstream.baseUrl().isBlank()) {
      errors.add("upstream.baseUrl: required (the FHIR R4 base URL)");
    } else {
      try {
        URI uri = URI.create(upstream.baseUrl());
        if (!"https".equals(uri.getScheme()) && !("http".equals(uri.getScheme()) && isLoopback(uri.getHost()))) {
          errors.add("upstream.baseUrl: must use https (plain http only for a loopback upstream)");
        }
      } catch (IllegalArgumentException e) {
        errors.add("upstream.baseUrl: not a valid URL");
      }
    }
    if (upstream.timeoutSeconds() < 1 || upstream.timeoutSeconds() > 120) {
      errors.add("upstream.timeoutSeconds: must be 1..120");
    }
    if (!"development".equals(identity.mode())) {
      errors.add("identity.mode: must be 'development' (an OAuth identity provider is configured under identity.issuer in a later version)");
    } else if (!loopback) {
      errors.add("identity.mode: 'development' is allowed only when server.host is a loopback address");
    }
    if (!errors.isEmpty()) {
      throw new ConfigException("invalid configuration:\n  " + String.join("\n  ", errors));
    }
    return this;
  }

  private static boolean isLoopback(String host) {
    try {
      return host != null && InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
