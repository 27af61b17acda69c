package io.custos.pipeline;

/** The stages a call can pass, in the order routes use them; recorded per call for observers and tests. */
public enum StageName {
  AUTHENTICATE,
  RATE_LIMIT,
  AUTHORIZE,
  AUDIT_INTENT,
  VALIDATE,
  BIND_PATIENT,
  CONSENT,
  FETCH,
  FILTER,
  SQL,
  COHORT,
  DECLARE_EMERGENCY_ACCESS,
  ALERT,
  ACTIVATE_EMERGENCY_ACCESS,
  PROPOSE,
  APPROVE,
  COMMIT,
  RENDER,
  AUDIT_RESULT
}
