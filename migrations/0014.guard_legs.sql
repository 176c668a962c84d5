-- 0014 guards read the legs relation: a drift guard on a ledger whose effects are keyed on
-- several columns or read parent rows adds, per statement, what the legs of the rows written
-- (or of the ledger rows under a parent row written) moved. The statement triggers' builder
-- takes the trigger function to run: its old signature is dropped here, the repeatable layer
-- creates the new one.
DROP FUNCTION IF EXISTS _recon.guard_statement_triggers(oid, integer, text, text[]);
