package io.custos.config;

/** The configuration is invalid. The message names the offending key and never quotes secret values. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
