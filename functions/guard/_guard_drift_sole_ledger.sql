-- _recon.guard_drift_sole_ledger(): refuse a drift guard judging a balance another ledger moves.
CREATE OR REPLACE FUNCTION _recon.guard_drift_sole_ledger(p_ledger text, p_registering boolean)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    r record;
BEGIN
    -- A drift guard judges each wallet's stored change against the effects of its own ledger:
    -- a balance column that another registered ledger moves too (entries and fees on one
    -- wallet table, docs/CHECKS.md) changes by both, so every correct posting to the other
    -- ledger would be refused (block) or alerted (warn). Compared by the wallet table (a view's
    -- base table) and the balance column's name. p_registering: p_ledger was just registered,
    -- and a guard on the other ledger is what is in the way.
    SELECT o.name AS other, array_agg(DISTINCT b ORDER BY b) AS cols
    INTO r
    FROM _recon.ledger_source AS l
    JOIN _recon.wallet_source AS w ON w.name = l.wallet_source
    JOIN _recon.wallet_source AS ow
        ON COALESCE(_recon.base_table(ow.relid), ow.relid) = COALESCE(_recon.base_table(w.relid), w.relid)
    JOIN _recon.ledger_source AS o ON o.wallet_source = ow.name AND o.name <> l.name
    CROSS JOIN LATERAL unnest(w.balance_columns) AS b
    WHERE l.name = p_ledger AND l.effects ? b AND b = ANY (ow.balance_columns) AND o.effects ? b
      AND (NOT p_registering OR EXISTS (SELECT FROM _recon.guard AS g
                                        WHERE g.kind = 'drift' AND g.target = o.name))
    GROUP BY l.name, o.name
    ORDER BY o.name
    LIMIT 1;
    IF FOUND THEN
        PERFORM _recon.fail(
            'RC406',
            CASE WHEN p_registering
                 THEN format('cannot register %s: the drift guard on %s judges %s against %s alone',
                             p_ledger, r.other, array_to_string(r.cols, ', '), r.other)
                 ELSE format('a drift guard on %s cannot judge %s: ledger %s moves it too',
                             p_ledger, array_to_string(r.cols, ', '), r.other) END,
            format('Ledgers %s and %s both move %s of one wallet table. A drift guard compares '
                   || 'each wallet''s stored change with the effects of its own ledger only, so '
                   || 'every correct posting to the other ledger would be refused (block) or '
                   || 'alerted (warn).', p_ledger, r.other, array_to_string(r.cols, ', ')),
            CASE WHEN p_registering
                 THEN format('Run recon.disable_guard(''drift'', %L) first. ', r.other)
                 ELSE '' END
            || 'Check such a wallet table with a balance check over both ledgers ({"ledger": '
            || '[...]}) and guard it with append_only or double_entry guards on each ledger; '
            || 'docs/GUARDS.md "One ledger per balance column".');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_sole_ledger(text, boolean) IS
'Refuses (RC406) a drift guard on ledger p_ledger when another registered ledger moves one of '
'the same balance columns of the same wallet table (a view''s base table): the guard judges '
'each wallet against its own ledger only and would refuse every correct posting to the other. '
'recon.enable_guard calls it (p_registering false); recon.register_ledger_source calls it for '
'the ledger it just registered (true: refused while the other ledger has a drift guard).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_sole_ledger(text, boolean) FROM PUBLIC;
