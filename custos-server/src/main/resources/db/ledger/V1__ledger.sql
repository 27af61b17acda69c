-- Custos audit ledger (HIPAA 45 CFR 164.312(b)/(c)): one gapless leaf sequence shared by all writers.
CREATE TABLE ledger_head (
  id         INT PRIMARY KEY CHECK (id = 1),
  next_index BIGINT NOT NULL
);
INSERT INTO ledger_head (id, next_index) VALUES (1, 0);

CREATE TABLE ledger_entry (
  leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
  entry      BYTEA  NOT NULL
);

-- Append-only: entries can never be updated or deleted through SQL (a DBA can still drop the trigger;
-- the signed checkpoints catch that).
CREATE FUNCTION ledger_entry_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE OR DELETE ON ledger_entry
  FOR EACH ROW EXECUTE FUNCTION ledger_entry_immutable();
