-- Undo 0014: the repeatable layer of 0013 creates the four-argument builder again. A drift
-- guard enabled on a ledger of a shape 0013's guards refuse keeps triggers that call
-- _recon.tg_drift_<id>_legs: disable it first (recon.disable_guard).
DROP FUNCTION IF EXISTS _recon.guard_statement_triggers(oid, integer, text, text[], text);
