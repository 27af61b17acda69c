package io.custos.incident;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A security incident opened from an alert (45 CFR 164.308(a)(6) security incident procedures), holding what breach
 * notification needs: the affected patients as ledger pseudonyms only (re-identification is a separate, audited step),
 * the date of discovery and the notification deadline of 164.404(b) (without unreasonable delay, at the latest 60
 * calendar days after discovery), and the risk assessment of 164.402(2).
 *
 * @param id                   incident id (a UUID string); also the correlation id of its ledger events
 * @param alertId              the alert it was opened from
 * @param rule                 the alert's rule
 * @param severity             the alert's severity
 * @param user                 the workforce member whose access raised the alert
 * @param patientPseudonyms    affected patients, as pseudonyms
 * @param evidence             ledger event ids supporting it
 * @param discoveredAt         when the breach counts as discovered (164.404(a)(2)): the end of the alert's window,
 *                             the first moment the monitoring knew of it
 * @param notificationDeadline {@code discoveredAt} plus {@link #NOTIFICATION_LIMIT}
 * @param openedAt             when the incident was opened
 * @param openedBy             who opened it
 * @param riskAssessment       the four-factor assessment
 */
public record Incident(String id, String alertId, String rule, String severity, String user, List<String> patientPseudonyms,
    List<String> evidence, Instant discoveredAt, Instant notificationDeadline, Instant openedAt, String openedBy,
    RiskAssessment riskAssessment) {
  /** 164.404(b): notification no later than 60 calendar days after discovery. */
  public static final Duration NOTIFICATION_LIMIT = Duration.ofDays(60);

  public Incident {
    patientPseudonyms = List.copyOf(patientPseudonyms);
    evidence = List.copyOf(evidence);
  }

  /** What the four factors lead to. */
  public enum Conclusion {
    /** Not yet assessed: presumed a breach until the assessment shows a low probability of compromise. */
    PENDING,
    /** The assessment shows a low probability that the PHI has been compromised: no notification (164.402(2)). */
    LOW_PROBABILITY_OF_COMPROMISE,
    /** A breach of unsecured PHI: notify individuals (164.404), HHS (164.408) and, above 500 in a state, media (164.406). */
    NOTIFICATION_REQUIRED
  }

  /**
   * The risk assessment of 45 CFR 164.402(2): an impermissible use or disclosure is presumed a breach unless a
   * low probability of compromise is shown from at least these four factors.
   *
   * @param natureAndExtent   (i) the nature and extent of the PHI involved (types of identifiers, likelihood of re-identification)
   * @param unauthorizedPerson (ii) the unauthorized person who used the PHI or to whom it was disclosed
   * @param acquiredOrViewed  (iii) whether the PHI was actually acquired or viewed
   * @param mitigation        (iv) the extent to which the risk to the PHI has been mitigated
   * @param conclusion        the outcome
   */
  public record RiskAssessment(String natureAndExtent, String unauthorizedPerson, String acquiredOrViewed,
      String mitigation, Conclusion conclusion) {
    /** Nothing assessed yet. */
    public static RiskAssessment pending() {
      return new RiskAssessment("not yet assessed", "not yet assessed", "not yet assessed", "not yet assessed",
          Conclusion.PENDING);
    }
  }
}
