package io.custos.writes;

import java.time.Duration;

/**
 * Write-tool configuration ({@code policy.readOnly}, {@code policy.proposalTtlSeconds},
 * {@code policy.elicitationApproval}).
 *
 * @param readOnly            global read-only mode: write tools are hidden and refused
 * @param proposalTtl         how long a proposal can be approved and committed
 * @param elicitationApproval whether a user's answer to an MCP elicitation counts as approval (it trusts the MCP
 *                            client host to show the question to the person, as the MCP specification requires);
 *                            when false, approval is only out of band, from a client other than the agent's
 */
public record WriteSettings(boolean readOnly, Duration proposalTtl, boolean elicitationApproval) {
  /** Defaults: writes enabled, 15-minute proposals, elicitation approval allowed. */
  public static WriteSettings defaults() {
    return new WriteSettings(false, Duration.ofMinutes(15), true);
  }
}
