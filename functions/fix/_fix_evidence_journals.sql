-- _recon.fix_evidence_journals(): the unbalanced journals a ledger's journal checks found.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_journals(
    p_ledger _recon.ledger_source, p_legs _recon.ledger_source, p_wallet _recon.wallet_source,
    p_journal_checks text[]
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_journals jsonb;
BEGIN
    v_journals := _recon.fix_read(format($q$
        SELECT COALESCE(jsonb_agg(jsonb_build_object(
                   'journal', j.journal, 'imbalance', j.imbalance, 'wallets', j.wallets)
                   ORDER BY j.journal), '[]')
        FROM (
            SELECT l.%1$I::text AS journal, jsonb_build_object(%2$s) AS imbalance,
                   jsonb_agg(DISTINCT l.%3$I::text) AS wallets
            FROM %4$s AS l
            WHERE l.%1$I = ANY ($1::%5$s[])
            GROUP BY l.%1$I
        ) AS j
        WHERE EXISTS (SELECT FROM jsonb_each_text(j.imbalance) AS i
                      WHERE i.value::numeric <> 0)$q$,
        p_legs.journal_column,
        (SELECT string_agg(format('%L, sum(%s)', b, _recon.effect_sql(p_legs, b, 'l')),
                           ', ')
         FROM unnest(p_wallet.balance_columns) AS b WHERE p_ledger.effects ? b),
        p_legs.wallet_column, _recon.legs_sql(p_ledger),
        _recon.column_type(p_ledger.relid, p_ledger.journal_column)),
        ARRAY(SELECT DISTINCT f.details ->> 'journal' FROM _recon.finding AS f
              WHERE f.check_name = ANY (p_journal_checks) AND f.resolved_run IS NULL
                AND f.dropped_at IS NULL AND f.details ? 'journal'));
    RETURN v_journals;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_journals(
    _recon.ledger_source, _recon.ledger_source, _recon.wallet_source, text[]
) IS
'For _recon.fix_evidence: the journals of ledger p_ledger (legs p_legs) its journal checks '
'p_journal_checks found unbalanced and still open, read again now (only those journals, never '
'the whole ledger), that are still unbalanced: [{journal, imbalance: {balance column: sum of '
'effects}, wallets}].';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_journals(
    _recon.ledger_source, _recon.ledger_source, _recon.wallet_source, text[]
) FROM PUBLIC;
