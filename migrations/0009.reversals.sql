-- 0009 reversals the toolkit recorded: which ledger entries a repair compensated. The duplicate
-- and orphan checks leave such an entry out while its repair stands, whatever the reversing
-- entry's reference is (a uuid reference column cannot hold REV-<entry id>). A hand-posted
-- entry counts as a reversal only when it matches (docs/REPAIRS.md, "Reversals").

CREATE TABLE _recon.reversal (
    ledger_source text NOT NULL REFERENCES _recon.ledger_source (name) ON DELETE CASCADE,
    entry text NOT NULL,
    repair_id bigint NOT NULL REFERENCES _recon.repair (id),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT reversal_once PRIMARY KEY (ledger_source, entry, repair_id)
);
CREATE INDEX reversal_repair ON _recon.reversal (repair_id);
COMMENT ON INDEX _recon.reversal_repair IS 'Entries one repair compensated.';
COMMENT ON TABLE _recon.reversal IS
'Ledger entries the toolkit compensated: recon.fix() reversing a duplicate, '
'recon.reverse_fix() compensating the entries of a repair. An entry recorded here is not in '
'effect for the duplicate and orphan checks, unless its repair was itself reversed '
'(recon.reverse_fix). Rows go with their ledger source (recon.drop_source); the repair audit '
'(_recon.repair_entry) keeps the history.';
COMMENT ON COLUMN _recon.reversal.ledger_source IS 'The ledger the entry is in.';
COMMENT ON COLUMN _recon.reversal.entry IS
'The compensated entry: its entry id (or ordering id) as text, as the checks name it.';
COMMENT ON COLUMN _recon.reversal.repair_id IS
'The repair whose posting compensates it (recon.repairs); reversing that repair puts the entry '
'back in effect.';
COMMENT ON COLUMN _recon.reversal.recorded_at IS 'When.';
COMMENT ON CONSTRAINT reversal_once ON _recon.reversal IS
'An entry is recorded once per repair.';
