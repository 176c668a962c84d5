-- _recon.fix_plan_findings(): the open findings to repair, each with its strategy and why not.
CREATE OR REPLACE FUNCTION _recon.fix_plan_findings(
    p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[], p_strategy text
)
RETURNS TABLE (
    id bigint, check_name text, kind text, finding_key text, wallet_key text,
    difference numeric, expected numeric, details jsonb, last_seen_run bigint,
    wallet_source text, strategy text, col text, other text, ledger text, manual text
)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
-- as _recon.fix_plan: joins over the findings are hashed, never nested loops
SET enable_nestloop = off
AS $body$
    SELECT f.id, f.check_name, c.kind, f.finding_key, f.wallet_key, f.difference, f.expected,
           f.details, f.last_seen_run, c.wallet_source, s.strategy, s.col, s.other, s.ledger,
           CASE
               WHEN s.strategy = 'none' AND c.kind = 'coverage' THEN format(
                   'missing wallets are created by SELECT recon.backfill(%L)', f.check_name)
               WHEN s.strategy = 'none' AND c.kind = 'total' THEN
                   'a total is repaired through its parts (missing wallets, balances)'
               WHEN s.strategy = 'none' THEN format(
                   'no automatic repair for %s findings: repair by hand, or acknowledge '
                   || 'with recon.set_fix_policy(%L, ''{"strategy": "acknowledge"}'')',
                   c.kind, f.check_name)
               WHEN s.strategy <> ALL (st.allowed) THEN format(
                   'strategy %s does not repair %s findings', s.strategy, c.kind)
               WHEN s.strategy = 'acknowledge' THEN NULL
               -- repairs read the ledger's legs (measures, evidence, conservation) and
               -- write through its writer: one-sided and transfer rows, of any filters,
               -- parents, effect rules and running balances; a duplicated transfer row is
               -- not reversed automatically yet
               WHEN jsonb_typeof(c.options -> 'ledger') = 'array' THEN
                   'a check summing several ledgers is repaired by hand so far, or '
                   || 'acknowledged'
               WHEN c.ledger_source = ANY (odd.ledgers) OR s.ledger = ANY (odd.ledgers)
                   OR c.wallet_source = ANY (odd.wallets)
                   OR (s.strategy = 'reverse' AND (c.ledger_source = ANY (odd.transfers)
                                                   OR s.ledger = ANY (odd.transfers))) THEN (
                   SELECT format('ledger %s is of a shape repairs do not read (%s): repairs '
                                 || 'on it are by hand so far, or acknowledged', l.name,
                                 COALESCE(_recon.ledger_writer_refusal(l, NULL),
                                          'a duplicated transfer row is reversed by hand'))
                   FROM _recon.ledger_source AS l
                   WHERE (l.name IN (c.ledger_source, s.ledger)
                          OR l.wallet_source = c.wallet_source)
                     AND (_recon.ledger_writer_refusal(l, NULL) IS NOT NULL
                          OR (l.shape = 'transfer' AND s.strategy = 'reverse'))
                   ORDER BY l.name LIMIT 1)
               -- an orphan whose payment id is on several rows of its table (a webhook stored
               -- twice; keys numbered #n): one payment or several is for a person, and posting
               -- each would book it twice (its wallet's balance steps wait for it:
               -- _recon.fix_hold_orphan_wallets)
               WHEN EXISTS (SELECT FROM _recon.check_kind AS k
                            WHERE k.kind = c.kind AND 'payment' = ANY (k.cause_roles))
                   AND EXISTS (SELECT FROM _recon.finding AS g
                               WHERE g.check_name = f.check_name AND g.id <> f.id
                                 AND g.resolved_run IS NULL AND g.dropped_at IS NULL
                                 AND g.wallet_key IS NOT DISTINCT FROM f.wallet_key
                                 AND g.details ->> 'item' IS NOT DISTINCT FROM
                                     f.details ->> 'item')
                   THEN format('payment %s is on %s rows of its table: whether they are one '
                               || 'payment or several needs a human', f.details ->> 'item', (
                                   SELECT count(*) FROM _recon.finding AS g
                                   WHERE g.check_name = f.check_name
                                     AND g.resolved_run IS NULL AND g.dropped_at IS NULL
                                     AND g.wallet_key IS NOT DISTINCT FROM f.wallet_key
                                     AND g.details ->> 'item' IS NOT DISTINCT FROM
                                         f.details ->> 'item'))
               WHEN f.wallet_key IS NULL THEN 'no wallet to repair: needs a human'
               WHEN f.cause IN ('invalid_balance', 'invalid_amount', 'unknown_wallet',
                                'unmapped_entry_type') THEN format(
                   'broken data (%s) needs a human', f.cause)
               WHEN f.difference IS NULL OR f.difference IN ('NaN', 'Infinity', '-Infinity')
                   OR f.expected IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'no finite difference to repair'
               WHEN s.col IS NULL THEN 'no balance column to repair'
               WHEN s.strategy = 'move' AND s.other IS NULL THEN format(
                   'no column to move %s to: set "from_column" with recon.set_fix_policy()',
                   s.col)
               WHEN s.strategy = 'reverse' AND (f.details ->> 'wallets')::integer > 1
                   THEN 'a reference posted on several wallets: which posting is the '
                        || 'duplicate needs a human'
               -- the reversal is recorded (_recon.reversal), whatever the reference column
               -- holds; but a compensating entry on a ledger with a lifecycle check is a
               -- hold transition of its own there (a RELEASE reversed by an ON_HOLD opens a
               -- hold nothing resolves)
               WHEN s.strategy = 'reverse' AND EXISTS (
                   SELECT FROM _recon.check_def AS h
                   WHERE h.kind = 'lifecycle' AND h.enabled
                     AND h.ledger_source = c.ledger_source)
                   THEN format('ledger %s has a lifecycle check: a compensating entry would '
                               || 'count there as a hold transition; reverse it by hand, or '
                               || 'acknowledge', c.ledger_source)
           END AS manual
    FROM _recon.finding AS f
    JOIN _recon.check_def AS c ON c.name = f.check_name
    LEFT JOIN _recon.fix_policy AS p ON p.check_name = c.name
    LEFT JOIN _recon.wallet_source AS w ON w.name = c.wallet_source
    -- the strategies of each kind, once per kind rather than per finding (OFFSET 0 keeps
    -- the planner from pulling the call up into every reference of every finding's row)
    INNER JOIN (SELECT k.kind, _recon.fix_strategies(k.kind) AS allowed
                FROM (SELECT DISTINCT d.kind FROM _recon.check_def AS d) AS k
                OFFSET 0) AS st
        ON st.kind = c.kind
    CROSS JOIN LATERAL (
        SELECT COALESCE(p_strategy, p.strategy, (st.allowed)[1]) AS strategy,
               CASE WHEN c.kind IN ('balance', 'derived') THEN f.details ->> 'column'
                    ELSE COALESCE(p.options ->> 'column', (
                        SELECT b FROM _recon.ledger_source AS l, unnest(w.balance_columns) AS b
                        WHERE l.name = c.ledger_source AND l.effects ? b LIMIT 1)) END AS col
    ) AS s0
    CROSS JOIN LATERAL (
        SELECT s0.strategy, s0.col,
               COALESCE(p.options ->> 'from_column', (
                   SELECT b FROM unnest(w.balance_columns) AS b
                   WHERE b <> s0.col AND cardinality(w.balance_columns) = 2)) AS other,
               COALESCE(c.ledger_source, (
                   SELECT l.name FROM _recon.ledger_source AS l
                   WHERE l.wallet_source = c.wallet_source AND l.effects ? s0.col
                   ORDER BY l.name LIMIT 1)) AS ledger
    ) AS s
    -- ledgers the repairs cannot read yet (_recon.ledger_writer_refusal: a row shape of one's
    -- own), and their wallet sources; transfer ledgers, whose duplicates are reversed by hand:
    -- found once, not per finding
    CROSS JOIN (
        SELECT ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                     WHERE _recon.ledger_writer_refusal(l, NULL) IS NOT NULL) AS ledgers,
               ARRAY(SELECT l.wallet_source FROM _recon.ledger_source AS l
                     WHERE _recon.ledger_writer_refusal(l, NULL) IS NOT NULL) AS wallets,
               ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                     WHERE l.shape = 'transfer') AS transfers
    ) AS odd
    WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND (p_run IS NULL OR EXISTS (SELECT FROM _recon.observation AS o
                                    WHERE o.run_id = p_run AND o.finding_id = f.id))
      AND (p_checks IS NULL OR f.check_name = ANY (p_checks))
      AND (p_wallets IS NULL OR f.wallet_key = ANY (p_wallets))
      AND (p_findings IS NULL OR f.id = ANY (p_findings))
      -- acknowledged as it is now: nothing left to do, and never acknowledged twice
      AND NOT EXISTS (SELECT FROM _recon.repair AS r
                      WHERE r.finding_id = f.id AND r.strategy = 'acknowledge'
                        AND r.difference IS NOT DISTINCT FROM f.difference
                        AND NOT EXISTS (SELECT FROM _recon.repair AS v
                                        WHERE v.reverses = r.id));
$body$;

COMMENT ON FUNCTION _recon.fix_plan_findings(bigint, text[], text[], bigint[], text) IS
'Phase 1 of _recon.fix_plan: the open findings to repair (of run p_run, checks p_checks, '
'wallets p_wallets, findings p_findings; not one acknowledged as it is), each with its strategy '
'(p_strategy, else the check''s policy, else its kind''s default), the balance column it '
'repairs and the one a move takes from, the ledger it posts into, and "manual": why it needs '
'a human (NULL: it is repaired automatically).';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan_findings(bigint, text[], text[], bigint[], text)
FROM PUBLIC;
