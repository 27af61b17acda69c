package io.custos.policy;

import java.util.Set;

/**
 * Everything the authorize stage decides with (deny unless allowed): role policy, SMART scopes, MFA,
 * care relationships and break-the-glass. Built once from configuration by the composition root.
 *
 * @param roles                   role -> tools
 * @param scopes                  SMART scope matching
 * @param care                    care-relationship lookup for {@code user/} callers
 * @param requireCareRelationship whether {@code user/} callers need a care relationship (or break-the-glass)
 * @param requireMfa              whether clinical-data tools need MFA evidence in the token (164.312(d))
 * @param breakGlass              active emergency-access grants
 * @param breakGlassRoles         roles allowed to declare break-the-glass
 */
public record AccessControl(RolePolicy roles, ScopeCheck scopes, CareRelationship care, boolean requireCareRelationship,
    boolean requireMfa, BreakGlass breakGlass, Set<String> breakGlassRoles) {
  public AccessControl {
    breakGlassRoles = Set.copyOf(breakGlassRoles);
  }
}
