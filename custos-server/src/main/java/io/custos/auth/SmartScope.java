package io.custos.auth;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SMART App Launch scope for FHIR resources (SMART v2.0.0 section "Scopes for requesting clinical data").
 * v2 form {@code context/Type.cruds[?param=value]}; v1 forms {@code .read}, {@code .write}, {@code .*} are
 * mapped to {@code rs}, {@code cud} and {@code cruds}.
 *
 * @param context     {@code patient}, {@code user} or {@code system}
 * @param resource    FHIR resource type, or {@code *}
 * @param permissions subset of {@code c r u d s}
 * @param query       granular constraint such as {@code category=laboratory}, or empty
 */
public record SmartScope(String context, String resource, Set<Character> permissions, Optional<String> query) {

  private static final Pattern FORM = Pattern.compile("^(patient|user|system)/([A-Za-z]+|\\*)\\.([a-z*]+)(\\?(.+))?$");

  /** Parses one scope string; returns empty for non-resource scopes ({@code openid}, {@code launch/patient}, ...). */
  public static Optional<SmartScope> parse(String scope) {
    Matcher m = FORM.matcher(scope);
    if (!m.matches()) {
      return Optional.empty();
    }
    String perms = switch (m.group(3)) {
      case "read" -> "rs";
      case "write" -> "cud";
      case "*" -> "cruds";
      default -> m.group(3);
    };
    if (!perms.matches("c?r?u?d?s?") || perms.isEmpty()) {
      return Optional.empty(); // v2 requires this order; anything else is not a valid scope
    }
    Set<Character> set = new java.util.HashSet<>();
    perms.chars().forEach(c -> set.add((char) c));
    return Optional.of(new SmartScope(m.group(1), m.group(2), Set.copyOf(set), Optional.ofNullable(m.group(5))));
  }

  /** Whether this scope grants read and search on {@code resourceType} in {@code ctx}, without a granular constraint. */
  public boolean grantsReadSearch(String ctx, String resourceType) {
    return grants(ctx, resourceType, "rs");
  }

  /**
   * Whether this scope grants every permission in {@code perms} (letters of {@code cruds}) on {@code resourceType}
   * in {@code ctx}, without a granular constraint.
   */
  public boolean grants(String ctx, String resourceType, String perms) {
    return context.equals(ctx.toLowerCase(Locale.ROOT))
        && (resource.equals("*") || resource.equals(resourceType))
        && perms.chars().allMatch(c -> permissions.contains((char) c))
        && query.isEmpty();
  }
}
