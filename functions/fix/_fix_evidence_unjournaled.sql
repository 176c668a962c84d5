-- _recon.fix_evidence_unjournaled(): skip a restore its writer cannot put in its journal.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_unjournaled(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- A restored entry belongs in its journal: an INSERT writer without a journal template
    -- does not write the journal column.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('the writer of ledger %s does not write its journal column, and the '
                      || 'restored entry belongs in journal %s: register the writer with a '
                      || '"journal" template, or restore it by hand', w.ledger_source,
                      s.postings -> 0 ->> 'journal')
    FROM _recon.writer AS w
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.strategy = 'restore'
      AND w.ledger_source = s.ledger_source AND w.kind = 'insert' AND w.journal IS NULL
      AND s.postings -> 0 ? 'journal';
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_unjournaled(bigint) IS
'For _recon.fix_evidence: skips a planned restore whose ledger''s INSERT writer has no '
'"journal" template (it does not write the journal column the restored entry belongs in).';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_unjournaled(bigint) FROM PUBLIC;
