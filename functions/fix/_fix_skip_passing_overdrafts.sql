-- _recon.fix_skip_passing_overdrafts(): skip a wallet that a ledger-first posting would take
-- below zero on the way (its stored balance set to what its entries add up to first).
CREATE OR REPLACE FUNCTION _recon.fix_skip_passing_overdrafts(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_source text;
    v_keys text[];
    v_now jsonb;
BEGIN
    -- Each wallet source with planned postings through a ledger-first writer. Such a posting
    -- first sets the wallet's stored balance to its entries' sum (_recon.fix_post_first), then
    -- the ledger's routine moves it by each posting in step order, and only then does recon.fix
    -- move it to where the plan leaves it. The end is judged by _recon.fix_skip_overdrafts; the
    -- way there is judged here, so that a CHECK (balance >= 0) on the wallet table never fails
    -- the whole fix half-way (a lost credit on a wallet spent since: its entries sum below 0).
    FOR v_source, v_keys IN
        SELECT s.wallet_source, array_agg(DISTINCT s.wallet_key ORDER BY s.wallet_key)
        FROM _recon.fix_stage AS s
        JOIN _recon.writer AS w ON w.ledger_source = s.ledger_source
        WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_key IS NOT NULL
          AND jsonb_array_length(s.postings) > 0 AND w.options @> '{"moves_balances": true}'
        GROUP BY s.wallet_source
        ORDER BY s.wallet_source
    LOOP
        v_now := _recon.fix_measure(v_source, v_keys, ARRAY(
            SELECT l.name FROM _recon.ledger_source AS l WHERE l.wallet_source = v_source
            ORDER BY l.name));
        UPDATE _recon.fix_stage AS s
        SET status = 'skipped',
            note = format('would overdraw %s in passing: %s -> %s (the ledger''s routine posts '
                          || 'from what the entries add up to, %s)', o.col, o.stored, o.low,
                          o.total)
        FROM (
            SELECT DISTINCT ON (p.wallet_key) p.wallet_key, p.col, p.stored, p.total,
                   p.total + least(0, min(p.prefix)) AS low
            FROM (
                -- each posting's move of the wallet's column, in step order (the wallet's side,
                -- or the opposite as the offset wallet of another step), summed as it goes
                SELECT m.wallet_key, m.col, m.stored, m.total,
                       sum(m.delta) OVER (PARTITION BY m.wallet_key, m.col
                                          ORDER BY m.step, m.n) AS prefix
                FROM (
                    SELECT k.key AS wallet_key, b.col,
                           (v_now -> k.key -> 'stored' ->> b.col)::numeric AS stored,
                           (SELECT COALESCE(sum((l.value ->> b.col)::numeric), 0)
                            FROM jsonb_each(v_now -> k.key -> 'ledger') AS l
                            WHERE l.value ? b.col) AS total,
                           y.step, e.n,
                           CASE WHEN e.value ->> 'wallet' = k.key
                                THEN COALESCE((e.value -> 'deltas' ->> b.col)::numeric, 0)
                                ELSE -COALESCE((e.value -> 'deltas' ->> b.col)::numeric, 0) END
                               AS delta
                    FROM jsonb_each(v_now) AS k
                    CROSS JOIN LATERAL (
                        SELECT DISTINCT d.key AS col
                        FROM _recon.fix_stage AS x
                        JOIN _recon.ledger_source AS l ON l.name = x.ledger_source
                        CROSS JOIN LATERAL jsonb_object_keys(l.effects) AS d (key)
                        JOIN _recon.writer AS w ON w.ledger_source = x.ledger_source
                        WHERE x.stage_id = p_stage AND x.status = 'planned'
                          AND x.wallet_source = v_source AND x.wallet_key = k.key
                          AND w.options @> '{"moves_balances": true}'
                          AND v_now -> k.key -> 'stored' ? d.key
                    ) AS b
                    CROSS JOIN _recon.fix_stage AS y
                    JOIN _recon.writer AS w ON w.ledger_source = y.ledger_source
                    JOIN _recon.ledger_source AS l ON l.name = y.ledger_source
                    CROSS JOIN LATERAL jsonb_array_elements(y.postings) WITH ORDINALITY AS e (
                        value, n
                    )
                    WHERE y.stage_id = p_stage AND y.status = 'planned'
                      AND w.options @> '{"moves_balances": true}'
                      AND l.wallet_source = v_source
                      AND (e.value ->> 'wallet' = k.key
                           OR COALESCE(CASE WHEN e.value ? 'offset_wallet'
                                            THEN e.value ->> 'offset_wallet'
                                            ELSE w.offset_wallet END, '') = k.key)
                ) AS m
            ) AS p
            GROUP BY p.wallet_key, p.col, p.stored, p.total
            HAVING p.total + least(0, min(p.prefix)) < 0
               AND p.total + least(0, min(p.prefix)) < p.stored
               -- unless the owner lets that wallet or column go negative (recon.allow_overdraft)
               AND _recon.overdraft_exemption_for(v_source, p.wallet_key, p.col) IS NULL
            ORDER BY p.wallet_key, p.col
        ) AS o
        WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = v_source
          AND s.wallet_key = o.wallet_key;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_passing_overdrafts(bigint) IS
'Phase of _recon.fix_assess for ledger-first writers ("moves_balances"): such a posting first '
'sets the wallet''s stored balance to what its entries add up to, then the ledger''s routine '
'moves it by each posting in step order. Skips every planned step of a wallet whose balance '
'column would pass below zero (and below where it stands) on that way, unless an overdraft '
'exemption (_recon.overdraft_exemption_for) lets it: the note says "would overdraw ... in '
'passing".';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_passing_overdrafts(bigint) FROM PUBLIC;
