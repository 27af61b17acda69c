-- The ledger's origin, once claimed, never changes: a new origin would make every earlier checkpoint another ledger's.
CREATE TRIGGER ledger_origin_no_update BEFORE UPDATE OR DELETE ON ledger_origin
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
