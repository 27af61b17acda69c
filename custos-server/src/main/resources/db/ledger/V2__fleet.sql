-- A fleet's whole audit trail in one database: the kept leaf hash of every entry (so a pruned entry still counts in
-- the RFC 9162 tree), the signed checkpoints, the pruned-range records and the encrypted pseudonym token map.
ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_no_update;
ALTER TABLE ledger_entry ADD COLUMN leaf_hash BYTEA;
UPDATE ledger_entry SET leaf_hash = sha256('\x00'::bytea || entry);
ALTER TABLE ledger_entry ALTER COLUMN leaf_hash SET NOT NULL;
ALTER TABLE ledger_entry ALTER COLUMN entry DROP NOT NULL;
ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_no_update;

-- 45 CFR 164.316(b)(2) retention: one row per pruned range of leaf indices [first_index, end_index).
CREATE TABLE ledger_pruned (
  seq         BIGSERIAL PRIMARY KEY,
  first_index BIGINT NOT NULL,
  end_index   BIGINT NOT NULL CHECK (end_index > first_index),
  line        TEXT   NOT NULL
);

-- The only change an entry may undergo: its ciphertext dropped, leaf hash kept, inside a recorded pruned range.
CREATE OR REPLACE FUNCTION ledger_entry_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.leaf_index = OLD.leaf_index AND OLD.entry IS NOT NULL AND NEW.entry IS NULL
     AND NEW.leaf_hash = OLD.leaf_hash
     AND EXISTS (SELECT 1 FROM ledger_pruned p WHERE OLD.leaf_index >= p.first_index AND OLD.leaf_index < p.end_index) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ledger entries are append-only';
END;
$$ LANGUAGE plpgsql;

-- Signed checkpoints (C2SP signed notes) of every replica, in the order written; sizes and times never go back.
CREATE TABLE ledger_checkpoint (
  seq       BIGSERIAL   PRIMARY KEY,
  tree_size BIGINT      NOT NULL,
  signed_at TIMESTAMPTZ NOT NULL,
  note      TEXT        NOT NULL
);

CREATE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'append-only table';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_checkpoint_no_update BEFORE UPDATE OR DELETE ON ledger_checkpoint
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_pruned_no_update BEFORE UPDATE OR DELETE ON ledger_pruned
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Pseudonym to patient id, sealed with the token-map key (45 CFR 164.514(c)); written once per pseudonym.
CREATE TABLE ledger_token (
  pseudonym TEXT  PRIMARY KEY,
  sealed    BYTEA NOT NULL
);

-- The ledger's one C2SP origin (the key name of every checkpoint signature), claimed by the first replica.
CREATE TABLE ledger_origin (
  id     INT  PRIMARY KEY CHECK (id = 1),
  origin TEXT NOT NULL
);
