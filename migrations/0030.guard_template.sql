-- 0030 (issue 18) the drift guard's generator is one template with named slots
-- (_recon.template_fill): the branch helper that indented generated code is gone (the template
-- indents each slot). A sealed (block-mode) drift guard's row counts the writes that added to
-- each of its rows of _recon.guard_spill: a row written for the first time probes the
-- transaction's marker (which queues the commit-time check), a row added to again does not.
DROP FUNCTION IF EXISTS _recon.guard_drift_indent_sql(text, text, boolean);
ALTER TABLE _recon.guard_spill ADD COLUMN writes integer NOT NULL DEFAULT 1;
COMMENT ON COLUMN _recon.guard_spill.writes IS
'Block mode: how many row writes added to this sum (1 when first written: the row trigger then '
'makes sure the transaction''s marker, item '''' and column 0, is there, whose insert queues '
'the commit-time check through the trigger guard_tick_spill).';
