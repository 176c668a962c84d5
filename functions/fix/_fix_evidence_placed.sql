-- _recon.fix_evidence_placed(): which unbalanced journals sit where a wallet's running balance
-- breaks.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_placed(
    p_ledger _recon.ledger_source, p_legs _recon.ledger_source, p_breaks jsonb,
    p_journals jsonb, p_key_type regtype
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols text[] := ARRAY(SELECT c FROM unnest(ARRAY[p_legs.order_column,
                                                      p_legs.posted_at_column,
                                                      p_legs.entry_id_column]) AS c
                           WHERE c IS NOT NULL);
    v_placed jsonb;
BEGIN
    -- A leg the ledger lost sits, in the wallet's entry order, between the entry before the gap
    -- and the entry whose running balance shows it; the legs its journal kept were written with
    -- it. So an unbalanced journal is where a wallet lost its entry only when one of its legs
    -- lies there (in the wallet's currency, on ledgers with one per row). A journal elsewhere
    -- that lacks the same amount may be another wallet's story: a restore into it would create
    -- money (a lost update "restored" into an unrelated payment), and a resync would too if it
    -- was this wallet's after all (ids taken before a lock): neither, a person decides.
    IF cardinality(v_cols) = 0 OR p_breaks = '{}' OR p_journals = '[]' THEN
        RETURN p_breaks;
    END IF;
    v_placed := _recon.fix_read(format($q$
        WITH w AS (
            SELECT l.%1$I::text AS k, row_number() OVER (PARTITION BY l.%1$I ORDER BY %2$s)
                       AS pos, ROW(%3$s) AS at, %4$s AS currency
            FROM %5$s AS l
            WHERE l.%1$I = ANY ($1::%6$s[])
        ),
        legs AS (
            SELECT l.%7$I::text AS journal, ROW(%3$s) AS at, %4$s AS currency
            FROM %5$s AS l
            WHERE l.%7$I = ANY ($2::%8$s[])
        )
        SELECT jsonb_object_agg(b.key, (
            SELECT jsonb_agg(x.value || jsonb_build_object('journals_at_gap', (
                       SELECT COALESCE(jsonb_agg(DISTINCT j.journal ORDER BY j.journal), '[]')
                       FROM w AS hi
                       LEFT JOIN w AS lo ON lo.k = hi.k AND lo.pos = hi.pos - 1
                       JOIN legs AS j ON j.at < hi.at AND (lo.k IS NULL OR j.at > lo.at)
                                     AND j.currency IS NOT DISTINCT FROM hi.currency
                       WHERE hi.k = b.key AND hi.pos = (x.value ->> 'position')::bigint))
                   ORDER BY x.n)
            FROM jsonb_array_elements(b.value) WITH ORDINALITY AS x (value, n)))
        FROM jsonb_each($3) AS b$q$,
        p_legs.wallet_column, _recon.entry_order_sql(p_legs, 'l'),
        (SELECT string_agg(format('l.%I', c), ', ') FROM unnest(v_cols) AS c),
        CASE WHEN p_legs.currency_column IS NOT NULL
             THEN format('l.%I::text', p_legs.currency_column) ELSE 'NULL::text' END,
        _recon.legs_sql(p_ledger), p_key_type, p_legs.journal_column,
        _recon.column_type(p_ledger.relid, p_ledger.journal_column)),
        ARRAY(SELECT jsonb_object_keys(p_breaks)),
        ARRAY(SELECT j ->> 'journal' FROM jsonb_array_elements(p_journals) AS j),
        p_breaks);
    RETURN COALESCE(v_placed, p_breaks);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_placed(
    _recon.ledger_source, _recon.ledger_source, jsonb, jsonb, regtype
) IS
'For _recon.fix_evidence: p_breaks ({wallet: [break]}, _recon.fix_evidence_breaks) with, on '
'each break, journals_at_gap: the unbalanced journals of p_journals with a leg between the '
'wallet''s entry before the break and the break''s entry in entry order (and of the break '
'entry''s currency on a ledger with a currency per row). _recon.fix_evidence_judge restores '
'only into such a journal; another lacking the same amount leaves the step manual.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_placed(
    _recon.ledger_source, _recon.ledger_source, jsonb, jsonb, regtype
) FROM PUBLIC;
