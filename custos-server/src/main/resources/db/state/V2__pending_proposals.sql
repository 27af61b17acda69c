-- The proposals a person may still decide, listed for the approvals page: pending records by proposing user and expiry
-- (a partial index, so it holds only the open proposals, not those kept after a decision for replay detection).
CREATE INDEX custos_proposal_pending ON custos_proposal ((record->'proposal'->>'subject'), expires_at)
  WHERE record->>'state' = 'PENDING';
