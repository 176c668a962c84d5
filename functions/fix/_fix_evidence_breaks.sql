-- _recon.fix_evidence_breaks(): where each wallet's running balance in a ledger breaks.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_breaks(
    p_ledger _recon.ledger_source, p_legs _recon.ledger_source, p_chain text, p_keys text[],
    p_key_type regtype
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_breaks jsonb;
BEGIN
    -- Each wallet's breaks, in entry order: balance_after <> the previous one plus the
    -- entry's effect (from 0). A break the next entry cancels is one running balance
    -- recorded wrong; one it does not is a gap of exactly what the ledger lost there.
    v_breaks := _recon.fix_read(format($q$
        SELECT COALESCE(jsonb_object_agg(z.k, z.breaks), '{}')
        FROM (
            SELECT y.k::text AS k,
                   jsonb_agg(jsonb_build_object(
                       'entry', y.entry, 'position', y.pos, 'gap', y.diff,
                       'kind', CASE WHEN y.next_diff = -y.diff THEN 'misrecorded'
                                    ELSE 'gap' END) ORDER BY y.pos) AS breaks
            FROM (
                SELECT x.*, lead(x.diff) OVER w AS next_diff,
                       lag(x.diff) OVER w AS prev_diff
                FROM (
                    SELECT l.%1$I AS k, (%2$s)::text AS entry,
                           row_number() OVER w AS pos,
                           (l.%3$I - (COALESCE(lag(l.%3$I) OVER w, 0) + (%4$s)))::numeric
                               AS diff
                    FROM %5$s AS l
                    WHERE l.%1$I = ANY ($1::%6$s[])
                    WINDOW w AS (PARTITION BY l.%1$I ORDER BY %7$s)
                ) AS x
                WINDOW w AS (PARTITION BY x.k ORDER BY x.pos)
            ) AS y
            WHERE y.diff IS DISTINCT FROM 0
              -- the far side of one misrecorded running balance is not a second break
              AND NOT COALESCE(y.prev_diff <> 0 AND y.diff = -y.prev_diff, FALSE)
            GROUP BY y.k
        ) AS z$q$,
        p_legs.wallet_column, _recon.entry_name_sql(p_legs, 'l'),
        p_legs.balance_after_column, _recon.effect_sql(p_legs, p_chain, 'l'),
        _recon.legs_sql(p_ledger), p_key_type, _recon.entry_order_sql(p_legs, 'l')), p_keys);
    RETURN v_breaks;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_breaks(
    _recon.ledger_source, _recon.ledger_source, text, text[], regtype
) IS
'For _recon.fix_evidence: the breaks of the running balance of column p_chain in ledger '
'p_ledger (legs p_legs) of wallets p_keys (of key type p_key_type), in entry order: {wallet: '
'[{entry, position, gap, kind: gap or misrecorded}]}; a wallet without breaks is left out.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_breaks(
    _recon.ledger_source, _recon.ledger_source, text, text[], regtype
) FROM PUBLIC;
