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
    -- first sets the stored balance of its wallet and of its offset wallet to their entries'
    -- sum (_recon.fix_post_first, _recon.fix_alignment_target), then the ledger's routine moves
    -- them by each posting in step order, and only then does recon.fix move them to where the
    -- plan leaves them. The end is judged by _recon.fix_skip_overdrafts; the way there is
    -- judged here, so that a CHECK (balance >= 0) on the wallet table never fails the whole
    -- fix half-way (a lost credit on a wallet spent since: its entries sum below 0).
    FOR v_source, v_keys IN
        SELECT p.wallet_source, array_agg(DISTINCT k.key ORDER BY k.key)
        FROM _recon.fix_first_postings(p_stage) AS p
        CROSS JOIN LATERAL unnest(ARRAY[p.wallet, p.offset_wallet]) AS k (key)
        WHERE k.key IS NOT NULL
        GROUP BY p.wallet_source
        ORDER BY p.wallet_source
    LOOP
        v_now := _recon.fix_measure(v_source, v_keys, ARRAY(
            SELECT l.name FROM _recon.ledger_source AS l WHERE l.wallet_source = v_source
            ORDER BY l.name));
        WITH p AS (
            SELECT * FROM _recon.fix_first_postings(p_stage) AS f
            WHERE f.wallet_source = v_source
        ),
        low AS (
            -- the lowest point of each wallet's column on the way: aligned to its entries'
            -- sum, then each posting's move of it (its own side, or the opposite as the offset
            -- wallet), summed in step order
            SELECT DISTINCT ON (m.wallet_key) m.wallet_key, m.col, m.stored, m.total,
                   m.total + least(0, min(m.prefix)) AS low
            FROM (
                SELECT k.key AS wallet_key, b.col,
                       (v_now -> k.key -> 'stored' ->> b.col)::numeric AS stored,
                       EXISTS (SELECT FROM p AS q WHERE q.wallet = k.key) AS own,
                       _recon.fix_alignment_target(v_now, k.key, b.col) AS total,
                       sum(CASE WHEN p.wallet = k.key
                                THEN COALESCE((p.deltas ->> b.col)::numeric, 0)
                                ELSE -COALESCE((p.deltas ->> b.col)::numeric, 0) END)
                           OVER (PARTITION BY k.key, b.col ORDER BY p.step, p.n) AS prefix
                FROM jsonb_each(v_now) AS k
                JOIN p ON k.key IN (p.wallet, p.offset_wallet)
                CROSS JOIN LATERAL jsonb_object_keys(p.effects) AS b (col)
                WHERE v_now -> k.key -> 'stored' ? b.col
            ) AS m
            GROUP BY m.wallet_key, m.col, m.stored, m.total, m.own
            HAVING m.total + least(0, min(m.prefix)) < 0
               AND m.total + least(0, min(m.prefix)) < m.stored
               -- a wallet moved only as an offset (world, the house) is judged only while it
               -- has not been below zero: an issuing wallet that stands negative may go lower
               AND (m.own OR (m.stored >= 0 AND m.total >= 0))
               -- unless the owner lets that wallet or column go negative (recon.allow_overdraft)
               AND _recon.overdraft_exemption_for(v_source, m.wallet_key, m.col) IS NULL
            ORDER BY m.wallet_key, m.col
        ),
        hit AS (
            -- every planned step of such a wallet, and every step whose postings move it as
            -- their offset wallet; the wallet's own reason first
            SELECT DISTINCT ON (s.step) s.step, o.*
            FROM _recon.fix_stage AS s
            JOIN low AS o
                ON o.wallet_key = s.wallet_key
                   OR EXISTS (SELECT FROM p WHERE p.step = s.step
                                              AND o.wallet_key IN (p.wallet, p.offset_wallet))
            WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = v_source
            ORDER BY s.step, o.wallet_key IS DISTINCT FROM s.wallet_key, o.wallet_key
        )
        UPDATE _recon.fix_stage AS s
        SET status = 'skipped',
            note = format('would overdraw %s%s in passing: %s -> %s (the ledger''s routine posts '
                          || 'from what the entries add up to, %s)', h.col,
                          CASE WHEN h.wallet_key IS DISTINCT FROM s.wallet_key
                               THEN format(' of wallet %s', h.wallet_key) ELSE '' END,
                          h.stored, h.low, h.total)
        FROM hit AS h
        WHERE s.stage_id = p_stage AND s.step = h.step;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_passing_overdrafts(bigint) IS
'Phase of _recon.fix_assess for ledger-first writers ("moves_balances"): such a posting first '
'sets the stored balance of its wallet and of its offset wallet to what their entries add up '
'to (_recon.fix_alignment_target), then the ledger''s routine moves them by each posting in '
'step order. Skips every planned step of a wallet whose balance column would pass below zero '
'(and below where it stands) on that way, and every step whose postings move such a wallet as '
'their offset wallet (a wallet moved only as an offset is judged while it stands at or above '
'zero: world, which issues money, stands below), unless an overdraft exemption '
'(_recon.overdraft_exemption_for) lets it: the note says "would overdraw <column> [of wallet '
'<key>] in passing".';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_passing_overdrafts(bigint) FROM PUBLIC;
