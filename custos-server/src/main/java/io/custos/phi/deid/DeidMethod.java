package io.custos.phi.deid;

/**
 * De-identification methods, named as in Microsoft's FHIR Tools for Anonymization, plus free-text
 * scrubbing.
 */
public enum DeidMethod {
  /** Remove the element. */
  REDACT,
  /** Keep the element (its sub-elements are still processed by the other rules). */
  KEEP,
  /** Dates: shift by a per-patient keyed offset, consistent across that patient's resources. Not Safe Harbor by itself. */
  DATE_SHIFT,
  /** Replace by a keyed pseudonym (HMAC-SHA256): linkage kept, value not recoverable without the key. */
  CRYPTO_HASH,
  /** Dates: keep the year; postal codes: 3-digit ZIP rule; addresses: state and country only; ages > 89: 90+. */
  GENERALIZE,
  /** Replace by a fixed value. */
  SUBSTITUTE,
  /** Free text: remove known names and identifier patterns (phone, email, SSN, URL, IP, dates, numbers). */
  SCRUB_TEXT
}
