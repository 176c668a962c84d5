-- 0014 guards read the legs relation: a drift guard on a ledger whose effects are keyed on
-- several columns or read parent rows adds, per statement, what the legs of the rows written
-- (or of the ledger rows under a parent row written) moved. The statement triggers' builder
-- takes the trigger function to run: its old signature is dropped here, the repeatable layer
-- creates the new one.
DROP FUNCTION IF EXISTS _recon.guard_statement_triggers(oid, integer, text, text[]);

-- The guards ask _recon.require_guard_shape() which shapes they read: the plain-shape test the
-- lifecycle guard used is folded into it.
DROP FUNCTION IF EXISTS _recon.require_plain_ledger(_recon.ledger_source, text, text);
DROP FUNCTION IF EXISTS _recon.ledger_plain(_recon.ledger_source);
-- The write paths' shape test (_recon.ledger_writable) gives way to the guards' and the
-- writers' own (_recon.require_guard_shape, _recon.ledger_writer_refusal).
DROP FUNCTION IF EXISTS _recon.require_writable_ledger(_recon.ledger_source, text, text);
DROP FUNCTION IF EXISTS _recon.ledger_writable(_recon.ledger_source);
