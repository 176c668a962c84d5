-- _recon.fix_skip_generated(): skip a wallet whose repair would write a GENERATED column.
CREATE OR REPLACE FUNCTION _recon.fix_skip_generated(p_stage bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A balance column PostgreSQL computes (GENERATED ALWAYS AS (credits - debits), as
    -- TigerBeetle-like accounts keep it) is read by the checks like any other, but no UPDATE
    -- can set it: a step that moves it, or a ledger-first posting that aligns it first
    -- (_recon.fix_post_first), would fail at apply. Skipped in the plan already, saying why.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('cannot write %s of %s: it is GENERATED ALWAYS AS %s; repair the '
                      || 'columns it is computed from by hand, or acknowledge', o.col,
                      o.relid::regclass, o.expr)
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
               x.col, w.relid, pg_get_expr(d.adbin, d.adrelid) AS expr
        FROM (
            SELECT m.wallet_source, m.wallet_key, m.col, m.first_step AS step
            FROM _recon.fix_wallet_moves(p_stage) AS m
            WHERE m.moved <> 0
            UNION ALL
            SELECT y.wallet_source, y.wallet_key, b.col, y.step
            FROM _recon.fix_stage AS y
            JOIN _recon.writer AS r ON r.ledger_source = y.ledger_source
            JOIN _recon.ledger_source AS l ON l.name = y.ledger_source
            CROSS JOIN LATERAL jsonb_object_keys(l.effects) AS b (col)
            WHERE y.stage_id = p_stage AND y.status = 'planned'
              AND jsonb_array_length(y.postings) > 0
              AND r.options @> '{"moves_balances": true}'
        ) AS x
        JOIN _recon.wallet_source AS w ON w.name = x.wallet_source
        JOIN pg_attribute AS a ON a.attrelid = w.relid AND a.attname = x.col
        JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attgenerated <> '' AND x.wallet_key IS NOT NULL
        ORDER BY x.wallet_source, x.wallet_key, x.step
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_generated(bigint) IS
'Phase of _recon.fix_assess: skips every planned step of a wallet whose repair would write a '
'balance column PostgreSQL generates (GENERATED ALWAYS AS ...): a step that moves it, or a '
'ledger-first posting that aligns it first. The note names the column and its expression.';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_generated(bigint) FROM PUBLIC;
