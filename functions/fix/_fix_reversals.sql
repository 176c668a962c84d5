-- _recon.fix_reversals(): record the entries an applied plan compensated.
CREATE OR REPLACE FUNCTION _recon.fix_reversals(p_stage bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- recon.fix() reversing a duplicate: each posting names the entry it compensates.
    INSERT INTO _recon.reversal (ledger_source, entry, repair_id)
    SELECT DISTINCT s.ledger_source, p.value ->> 'entry', s.repair_id
    FROM _recon.fix_stage AS s
    CROSS JOIN LATERAL jsonb_array_elements(s.postings) AS p (value)
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND s.strategy = 'reverse'
      AND p.value ->> 'purpose' = 'reversal' AND p.value ->> 'entry' IS NOT NULL
    UNION
    -- recon.fix() reversing a hold's extra resolution (resolve): the resolution and the entry
    -- that compensates it, in the same transaction. The pair nets to nothing; neither is a
    -- duplicate of the resolution kept or of the hold.
    SELECT DISTINCT s.ledger_source, x.entry, s.repair_id
    FROM _recon.fix_stage AS s
    CROSS JOIN LATERAL jsonb_array_elements(s.postings) AS p (value)
    CROSS JOIN LATERAL (SELECT p.value ->> 'entry' AS entry
                        UNION ALL
                        SELECT e.entry FROM _recon.repair_entry AS e
                        WHERE e.repair_id = s.repair_id AND e.posting ->> 'entry' = p.value ->> 'entry'
                       ) AS x
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND s.strategy = 'resolve'
      AND p.value ->> 'purpose' = 'reversal' AND x.entry IS NOT NULL
    UNION
    -- recon.reverse_fix(): every entry the reversed repair posted, both sides of a double
    -- entry. A reversal compensated this way cancels nothing any more: its repair is reversed.
    SELECT e.ledger_source, e.entry, s.repair_id
    FROM _recon.fix_stage AS s
    JOIN _recon.repair AS v ON v.id = s.repair_id
    JOIN _recon.repair_entry AS e ON e.repair_id = v.reverses
    JOIN _recon.ledger_source AS l ON l.name = e.ledger_source
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND e.entry IS NOT NULL
    UNION
    -- ... and its own compensating entry where it went into the journal of the entry it
    -- undoes (a hold's resolution, a restored leg: no offset side): as for resolve above, the
    -- pair nets to nothing, and neither is a duplicate of the hold or of the journal's legs.
    SELECT e.ledger_source, e.entry, s.repair_id
    FROM _recon.fix_stage AS s
    JOIN _recon.repair AS v ON v.id = s.repair_id
    JOIN _recon.repair_entry AS e ON e.repair_id = s.repair_id
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND v.reverses IS NOT NULL
      AND e.entry IS NOT NULL AND e.posting ->> 'journal' IS NOT NULL
      AND e.posting ->> 'offset_wallet' IS NULL
      AND EXISTS (SELECT FROM _recon.repair_entry AS o
                  WHERE o.repair_id = v.reverses AND o.posting ->> 'offset_wallet' IS NULL
                    AND o.posting ->> 'journal' = e.posting ->> 'journal')
    ON CONFLICT ON CONSTRAINT reversal_once DO NOTHING;
$body$;

COMMENT ON FUNCTION _recon.fix_reversals(bigint) IS
'Records in _recon.reversal the ledger entries the applied steps of a staged plan compensated: '
'the duplicates a reverse step reversed (recon.fix), and every entry of a repair '
'recon.reverse_fix() undid, and reverse_fix''s own compensating entries posted into the '
'journal of the entry they undo (no offset side: the pair nets to nothing). The duplicate '
'and orphan checks then leave those entries out, '
'whatever the reference column can hold; called by _recon.fix_post() after posting, before '
'the verification.';

REVOKE EXECUTE ON FUNCTION _recon.fix_reversals(bigint) FROM PUBLIC;
