-- The PHI scan evidence of a fleet, per replica: each replica's logs and data directory are its own, so the latest
-- custos.phi-scan/1 document of every replica is kept (keyed by the replica id the scan recorded) and the compliance
-- report requires each to pass. Locations and counts only, never a matched value.
CREATE TABLE custos_phi_scan (
  replica     TEXT PRIMARY KEY,
  document    TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The fleet-wide "last scan" row is superseded: whichever replica wrote it, it hid the others' results.
DELETE FROM custos_evidence WHERE kind = 'phi-scan';
