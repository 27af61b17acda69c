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

  /** Roles that treat patients (and the patient themself) and so may see sensitive categories other than Part 2 and restricted. */
  Set<String> TREATING_ROLES = Set.of("clinician", "nurse", "patient");

  /**
   * The server's default: treating roles (clinician, nurse, the patient) receive every category except
   * substance-use records (42 CFR Part 2 requires specific consent, granted as role
   * {@code sensitive-data:substance-use}) and records marked restricted confidentiality (role
   * {@code sensitive-data:restricted}); every other role only with the sensitive-data roles.
   */
  static SensitiveDataPolicy treating() {
    SensitiveDataPolicy roles = byRole();
    Set<SensitiveCategory> needRole = EnumSet.of(SensitiveCategory.SUBSTANCE_USE, SensitiveCategory.RESTRICTED);
    return (caller, category) -> roles.permits(caller, category)
        || (!needRole.contains(category) && caller.roles().stream().anyMatch(TREATING_ROLES::contains));
  }

  /** Deny-unless-role policy with nothing open to everyone. */
  static SensitiveDataPolicy byRole() {
    return byRole(Set.of());
  }
}
