-- recon.reverse_fix(): undo an applied fix by compensating entries, never by deleting.
CREATE OR REPLACE FUNCTION recon.reverse_fix(
    fix_id bigint,
    dry_run boolean DEFAULT TRUE,
    ticket text DEFAULT NULL,
    reason text DEFAULT NULL
)
RETURNS SETOF recon.fix_step
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $body$
#variable_conflict use_column
DECLARE
    v_stage bigint;
    v_fix bigint;
    v_invoker name;
BEGIN
    PERFORM _recon.require_writable('recon.reverse_fix()',
                                    'Even a dry run stages its plan in _recon.fix_stage (a '
                                    || 'scratch table of the toolkit) and removes it after.');
    v_invoker := _recon.fix_caller(reverse_fix.dry_run, reverse_fix.ticket, reverse_fix.reason,
                                   'reversing a fix');
    IF NOT EXISTS (SELECT FROM _recon.fix AS f
                   WHERE f.id = reverse_fix.fix_id AND f.action IN ('fix', 'backfill')) THEN
        PERFORM _recon.fail('RC308', format('unknown fix %s', reverse_fix.fix_id),
                            'Only an applied recon.fix() or recon.backfill() can be reversed.',
                            'SELECT * FROM recon.repairs; lists them with their fix_id.');
    END IF;

    -- Every repair of the fix, undone: each entry it posted compensated by an entry
    -- REV-<entry id> (or, where the reference column cannot hold that, the writer's reference)
    -- with the opposite effect (the writer posts the offset side again), each stored balance
    -- moved back, the compensated entries recorded (_recon.reversal). An acknowledgement or a
    -- covered step is withdrawn.
    v_stage := nextval('_recon.fix_stage_seq');
    INSERT INTO _recon.fix_stage (
        stage_id, step, finding_id, check_name, finding_key, wallet_source, wallet_key,
        ledger_source, strategy, amount, postings, moves, status, note, repair_key
    )
    SELECT v_stage, row_number() OVER (ORDER BY r.wallet_source, r.wallet_key NULLS LAST, r.step),
           r.finding_id, r.check_name, r.finding_key, r.wallet_source, r.wallet_key,
           (SELECT min(e.ledger_source) FROM _recon.repair_entry AS e WHERE e.repair_id = r.id),
           'reversal', r.amount,
           COALESCE((SELECT jsonb_agg(jsonb_build_object(
                         'wallet', p.wallet_key, 'purpose', 'reversal', 'entry', p.entry,
                         'offset_wallet', p.posting -> 'offset_wallet',
                         -- on monotonic counters the opposite leg (the row the other way,
                         -- _recon.fix_offset_legs), never a negative amount
                         'deltas', COALESCE(p.posting -> 'offset_deltas',
                                            (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                             FROM jsonb_each_text(p.deltas) AS d)))
                         || jsonb_strip_nulls(jsonb_build_object('reference',
                                _recon.reversal_reference(p.ledger_source,
                                                          COALESCE(p.entry, 'R' || r.id)),
                                -- a one-sided posting into a journal of the ledger's (a hold's
                                -- resolution, a restored leg) is undone in that journal; one
                                -- with an offset side is a journal of its own, and so is its
                                -- reversal (the writer's template)
                                'journal', CASE WHEN p.posting ->> 'offset_wallet' IS NULL
                                                THEN p.posting -> 'journal' END))
                         ORDER BY p.n)
                     FROM (SELECT DISTINCT ON (e.posting) e.ledger_source, e.wallet_key,
                                  e.entry, e.deltas,
                                  e.posting, row_number() OVER () AS n
                           FROM _recon.repair_entry AS e
                           WHERE e.repair_id = r.id AND e.posting ->> 'side' IS NULL
                           ORDER BY e.posting, e.entry) AS p), '[]'),
           CASE WHEN r.moves <> '{}' AND EXISTS (
                    SELECT FROM _recon.repair_entry AS e
                    WHERE e.repair_id = r.id AND e.posting ->> 'side' IS NULL
                      AND e.posting ? 'offset_deltas')
                -- the stored balance moved with the entry: it moves with the opposite leg now
                THEN COALESCE((SELECT jsonb_object_agg(o.key, o.total) FROM (
                                   SELECT d.key, sum(d.value::numeric) AS total
                                   FROM (SELECT DISTINCT ON (e.posting) e.posting
                                         FROM _recon.repair_entry AS e
                                         WHERE e.repair_id = r.id
                                           AND e.posting ->> 'side' IS NULL) AS x,
                                        jsonb_each_text(_recon.fix_offset_deltas(x.posting)) AS d
                                   GROUP BY d.key) AS o), '{}')
                ELSE COALESCE((SELECT jsonb_object_agg(m.key, -(m.value::numeric))
                               FROM jsonb_each_text(r.moves) AS m), '{}') END,
           'planned', format('reverses repair %s (%s)', r.id, r.strategy), 'reverse:' || r.id
    FROM _recon.repair AS r
    WHERE r.fix_id = reverse_fix.fix_id AND r.reverses IS NULL;

    -- a compensating row an INSERT writer cannot post with exactly the opposite effect (effects
    -- keyed on several columns) is left to a person, saying why
    PERFORM _recon.fix_offset_legs(v_stage);
    PERFORM _recon.fix_unpostable(v_stage);

    IF reverse_fix.dry_run THEN
        PERFORM _recon.fix_assess(v_stage, NULL, NULL, FALSE);
    ELSE
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('reverse', NULL, reverse_fix.ticket, reverse_fix.reason,
                jsonb_build_object('fix_id', reverse_fix.fix_id), v_invoker)
        RETURNING id INTO v_fix;
        PERFORM _recon.fix_apply(v_stage, v_fix, reverse_fix.ticket, reverse_fix.reason,
                                 v_invoker, NULL, NULL, FALSE);
    END IF;
    RETURN QUERY SELECT r.* FROM _recon.fix_report(v_stage) AS r;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
END;
$body$;

COMMENT ON FUNCTION recon.reverse_fix(bigint, boolean, text, text) IS
'Undoes an applied recon.fix() (or recon.backfill()): every entry it posted is compensated by '
'an entry REV-<entry id> (the writer''s reference where the reference column cannot hold it) '
'with the opposite effect, in the journal the entry was posted into when it had no offset '
'side (a hold''s resolution, a restored leg), and recorded in _recon.reversal, every stored '
'balance moved back; a '
'reversal it undoes cancels nothing any more (the duplicate comes back); nothing is deleted. '
'Dry run by default; applying needs a ticket and a reason, locks the wallets in key order, '
'refuses to overdraw, and reverses each repair once (a unique key). Errors: RC303 no '
'ticket or reason, RC308 unknown fix, RC305 the writer failed. docs/REPAIRS.md.';

REVOKE EXECUTE ON FUNCTION recon.reverse_fix(bigint, boolean, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.reverse_fix(bigint, boolean, text, text) TO recon_operator;
