-- The compliance console's shared records in a fleet (io.custos.console.PostgresAlertLog, PostgresCaseNotes), so every
-- replica's console shows the same alerts and notes. Kept like the audit ledger: no expiry, never swept.

-- Alerts as the detection rules raised them (AlertSink.Alert.document(), PHI-free: pseudonyms, ids, counts).
CREATE TABLE custos_alert (
  seq         BIGSERIAL PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  document    TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Notes written with a console action, sealed (AES-GCM under the ledger keyset, the ledger event id as associated
-- data); the ledger event carries only the note's SHA-256.
CREATE TABLE custos_case_note (
  event_id   TEXT PRIMARY KEY,
  sealed     TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Compliance evidence that must not depend on which replica produced it: the last result of each kind (phi-scan: the
-- custos.phi-scan/1 document of the last `custos phi scan`; locations and counts, never a matched value).
CREATE TABLE custos_evidence (
  kind        TEXT PRIMARY KEY,
  document    TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
