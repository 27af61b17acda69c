package io.custos.tools;

/**
 * The named routes a governed call can take. Each route is one list of stages, composed in
 * {@code io.custos.routes.Routes}; the shared stages (authenticate, rate limit, authorize, audit, validate) are the
 * same objects on every route and only the route's own stages differ.
 */
public enum Route {
  /** One patient's FHIR record, or a directory lookup: fetch, then the minimum-necessary filter. */
  READ,
  /** De-identified, cross-patient cohort tools (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)). */
  RESEARCH,
  /** Break-the-glass declaration (45 CFR 164.312(a)(2)(ii) emergency access procedure). */
  EMERGENCY_ACCESS,
  /** First half of a human-approved write: build the exact FHIR resource and hold it for approval. */
  WRITE_PROPOSE,
  /** A person approves or rejects a proposal (approval page or MCP elicitation). */
  WRITE_APPROVE,
  /** Second half of a write: the approved payload is written once. Chosen when a write tool gets {@code proposal_id}. */
  WRITE_COMMIT,
  /** Status of a prior authorization request (FHIR Claim and ClaimResponse), filtered like a read. */
  STATUS,
  /** One patient's rows from the SQL upstream (a declared SQL tool or {@code sql_query}), filtered like a read. */
  SQL,
  /** {@code prompts/get}. */
  PROMPT,
  /** {@code resources/read}. */
  RESOURCE
}
