-- A fleet's incident records (io.custos.incident.PostgresIncidentStore), so every replica's console and the command
-- line read the same incidents. Kept like the audit ledger: no expiry, never swept.

-- One incident per alert across the fleet (alert_id UNIQUE: a second escalation's insert does nothing). record is the
-- exact UTF-8 JSON whose SHA-256 (record_sha256) the custos.incident.open ledger event carries; patients appear only
-- as ledger pseudonyms. An edited record no longer matches its ledger event and is not shown.
CREATE TABLE custos_incident (
  id            TEXT PRIMARY KEY,
  alert_id      TEXT NOT NULL UNIQUE,
  record        TEXT NOT NULL,
  record_sha256 TEXT NOT NULL,
  opened_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
