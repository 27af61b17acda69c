package io.custos.phi.deid;

/** The 18 identifier kinds of HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(A)-(R). */
public enum SafeHarborKind {
  A("Names"),
  B("Geographic subdivisions smaller than a state (street, city, county, precinct, ZIP; 3-digit ZIP rule)"),
  C("All elements of dates (except year) directly related to an individual; ages over 89"),
  D("Telephone numbers"),
  E("Fax numbers"),
  F("Electronic mail addresses"),
  G("Social security numbers"),
  H("Medical record numbers"),
  I("Health plan beneficiary numbers"),
  J("Account numbers"),
  K("Certificate/license numbers"),
  L("Vehicle identifiers and serial numbers, including license plate numbers"),
  M("Device identifiers and serial numbers"),
  N("Web Universal Resource Locators (URLs)"),
  O("Internet Protocol (IP) address numbers"),
  P("Biometric identifiers, including finger and voice prints"),
  Q("Full face photographic images and any comparable images"),
  R("Any other unique identifying number, characteristic, or code");

  private final String description;

  SafeHarborKind(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }

  /** The regulation citation, e.g. {@code 45 CFR 164.514(b)(2)(i)(G)}. */
  public String citation() {
    return "45 CFR 164.514(b)(2)(i)(" + name() + ")";
  }
}
