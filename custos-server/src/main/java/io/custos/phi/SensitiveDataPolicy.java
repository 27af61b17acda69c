package io.custos.phi;

import io.custos.auth.Caller;
import java.util.EnumSet;
import java.util.Set;

/**
 * Decides whether a caller may receive records in a {@link SensitiveCategory}. Deny unless allowed: the
 * default ({@link #byRole(Set)}) permits a category only to callers holding the role
 * {@value #ALL_ROLE} (every category) or {@code sensitive-data:<category id>} (that category), or when the
 * category is allowed by configuration for everyone. The access-control layer can supply its own
 * implementation (role x scope x purpose of use).
 */
@FunctionalInterface
public interface SensitiveDataPolicy {
  /** Role granting every sensitive category. */
  String ALL_ROLE = "sensitive-data";

  boolean permits(Caller caller, SensitiveCategory category);

  /** Whether the caller may receive a record carrying all of {@code categories}. */
  default boolean permitsAll(Caller caller, Set<SensitiveCategory> categories) {
    for (SensitiveCategory c : categories) {
      if (!permits(caller, c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The default policy.
   *
   * @param allowedForEveryone categories released to every authorized caller (configuration; usually empty)
   */
  static SensitiveDataPolicy byRole(Set<SensitiveCategory> allowedForEveryone) {
    Set<SensitiveCategory> open = allowedForEveryone.isEmpty() ? EnumSet.noneOf(SensitiveCategory.class) : EnumSet.copyOf(allowedForEveryone);
    return (caller, category) -> open.contains(category) || caller.roles().contains(ALL_ROLE)
        || caller.roles().contains(ALL_ROLE + ":" + category.id());
  }

  /** Deny-unless-role policy with nothing open to everyone. */
  static SensitiveDataPolicy byRole() {
    return byRole(Set.of());
  }
}
