-- Only a signed pruned-range record (format v2: the checkpoint key's signature over the range) lets an entry lose
-- its ciphertext; an unsigned record inserted by hand permits nothing (the verifier reports it too).
CREATE OR REPLACE FUNCTION ledger_entry_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.leaf_index = OLD.leaf_index AND OLD.entry IS NOT NULL AND NEW.entry IS NULL
     AND NEW.leaf_hash = OLD.leaf_hash
     AND EXISTS (SELECT 1 FROM ledger_pruned p WHERE OLD.leaf_index >= p.first_index AND OLD.leaf_index < p.end_index
                 AND p.line LIKE 'custos-pruned/v2 %') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ledger entries are append-only';
END;
$$ LANGUAGE plpgsql;
