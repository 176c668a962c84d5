-- recon.repairs: the audit of every repair, one row per step, newest first.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.repairs;
CREATE VIEW recon.repairs AS
SELECT
    r.id,
    r.fix_id,
    f.action,
    f.run_id,
    r.step,
    r.check_name,
    r.finding_id,
    r.wallet_source,
    r.wallet_key,
    r.strategy,
    r.amount,
    r.difference,
    r.moves,
    r.stored_before,
    r.stored_after,
    r.reverses,
    r.ticket,
    r.reason,
    r.applied_at,
    r.applied_by,
    r.session_user_name,
    v.id AS reversed_by,
    coalesce(e.entries, '[]') AS entries
FROM _recon.repair AS r
INNER JOIN _recon.fix AS f ON r.fix_id = f.id
LEFT JOIN _recon.repair AS v ON r.id = v.reverses
LEFT JOIN LATERAL (
    SELECT
        jsonb_agg(jsonb_build_object(
            'ledger', x.ledger_source, 'wallet', x.wallet_key, 'entry', x.entry,
            'deltas', x.deltas, 'reference', x.posting ->> 'reference'
        )) AS entries
    FROM _recon.repair_entry AS x
    WHERE x.repair_id = r.id
) AS e ON TRUE
ORDER BY r.id DESC;
COMMENT ON VIEW recon.repairs IS
'The repair audit (append-only): every step recon.fix(), recon.reverse_fix() and '
'recon.backfill() applied, with the call (fix_id, action, run), the finding, the wallet, the '
'strategy and amount, what it moved and the stored balances before and after, what it reverses '
'or was reversed by, the ticket and reason, when and who (current_user and session_user), and '
'the entries it posted.';
REVOKE ALL ON recon.repairs FROM PUBLIC;
GRANT SELECT ON recon.repairs TO recon_auditor, recon_operator;
