-- The checkpoint key's transition statements (C2SP signed notes: each retired key endorses its successor and the
-- instant it takes over), oldest first, as the key directory's checkpoint-transitions.txt holds them; published by
-- the first server that signs with the new key, before it signs.
CREATE TABLE ledger_key_transition (
  seq  BIGSERIAL PRIMARY KEY,
  note TEXT      NOT NULL UNIQUE
);
CREATE TRIGGER ledger_key_transition_no_update BEFORE UPDATE OR DELETE ON ledger_key_transition
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
