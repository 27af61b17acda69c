package io.custos.phi.deid;

import java.util.List;

/**
 * One line of the de-identification configuration.
 *
 * @param target  what the rule applies to: an element path ({@code Patient.photo}, {@code Device.serialNumber},
 *                {@code Reference.display}: type-qualified, matched on the element's parent type) or a FHIR
 *                datatype ({@code type:HumanName}, {@code type:date}); path rules win over type rules, the
 *                first matching rule of each kind wins
 * @param method  what to do
 * @param kinds   the Safe Harbor kinds (45 CFR 164.514(b)(2)(i)) this rule addresses, for the coverage report
 * @param value   replacement for {@link DeidMethod#SUBSTITUTE}, else null
 */
public record DeidRule(String target, DeidMethod method, List<SafeHarborKind> kinds, String value) {
  public DeidRule {
    kinds = List.copyOf(kinds);
  }

  public DeidRule(String target, DeidMethod method, SafeHarborKind... kinds) {
    this(target, method, List.of(kinds), null);
  }

  boolean isTypeRule() {
    return target.startsWith("type:");
  }

  String typeName() {
    return target.substring("type:".length());
  }
}
