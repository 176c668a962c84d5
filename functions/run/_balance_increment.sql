-- _recon.balance_increment(): a balance check's findings from its watermark and what changed.
CREATE OR REPLACE FUNCTION _recon.balance_increment(p_check _recon.check_def, p_run bigint)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_reason text := _recon.incremental_blocker(p_check);
    v_key_type regtype := _recon.column_type(v_wallet.relid, v_wallet.key_column);
    v_cols integer := cardinality(_recon.balance_columns(p_check.options));
    v_wm _recon.watermark;
    v_bound numeric;
    v_delta text[];
    v_inserted bigint;
    v_wallets_xmin xid8;
    v_since xid;
    v_sums text;
    v_combined text;
    v_pa text;
    v_insert text;
    v_state_rows bigint;
    v_wp text;
    v_counts text;
    v_old_rows bigint;
    v_new_keys text[];
    v_members bigint;
    v_written bigint;
    v_null_key boolean;
BEGIN
    IF v_reason IS NOT NULL THEN
        RETURN v_reason;
    END IF;
    -- One snapshot for the whole transaction cannot see the entries committed while the run
    -- waits for the transactions in flight: the new bound would cover entries it never read.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN format('the run is at %s isolation: it cannot read the entries committed '
                      || 'below its bound while it waits (incremental mode needs READ COMMITTED)',
                      upper(current_setting('transaction_isolation')));
    END IF;
    SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = p_check.name;

    -- 1. The new bound, settled: the highest id now, once every transaction open now is over.
    EXECUTE format('SELECT max(l.%I) FROM %s AS l', v_ledger.order_column,
                   v_ledger.relid::regclass) INTO v_bound;
    v_bound := GREATEST(v_bound, v_wm.order_bound);
    PERFORM _recon.ledger_bound_publish(v_ledger.relid, v_bound);  -- for recon_ledger_order
    -- A transaction still open after a second (a session idle in a transaction, a long
    -- writer): the bound stays where it was, settled; every entry above it is summed on the
    -- fly in step 3, as entries above a new bound are. Incremental all the same, never full.
    IF NOT _recon.wait_for_transactions(interval '1 second') THEN
        v_bound := v_wm.order_bound;
    END IF;
    -- An entry without a wallet key (NULL) since the watermark: a finding the per-wallet state
    -- cannot hold (_recon.balance_full), read by the ordering index from the old bound on.
    EXECUTE format('SELECT EXISTS (SELECT FROM (%s) AS x)', _recon.balance_agg_sql(
        p_check.options, format('l.ord > %s AND l.wallet IS NULL', v_wm.order_bound)))
    INTO v_null_key;
    IF v_null_key THEN
        RETURN 'an entry without a wallet key (NULL) was added since the watermark';
    END IF;
    -- Where the next run starts looking for written wallet and parent rows: taken before
    -- anything below reads them (the sums of step 2 join parent rows too).
    v_wallets_xmin := pg_snapshot_xmin(pg_current_snapshot());
    v_since := (v_wm.snapshot_xmin::text::numeric % 4294967296)::bigint::text::xid;

    -- 2. The settled entries between the two bounds, added to the per-wallet sums.
    SELECT string_agg('a.s' || i, ', ' ORDER BY i) INTO v_sums FROM generate_series(1, v_cols) AS i;
    v_delta := ARRAY[]::text[];
    v_inserted := 0;
    IF v_bound > v_wm.order_bound THEN
        EXECUTE format($q$
            WITH a AS (%1$s), up AS (
                INSERT INTO _recon.balance_state AS s
                    (check_name, wallet_key, n, n_amount, n_bad, sums)
                SELECT %2$L, a.k::text, a.n, a.n_amount, a.n_bad, ARRAY[%3$s]::numeric[] FROM a
                ON CONFLICT (check_name, wallet_key) DO UPDATE
                SET n = s.n + excluded.n,
                    n_amount = s.n_amount + excluded.n_amount,
                    n_bad = s.n_bad + excluded.n_bad,
                    sums = ARRAY(SELECT CASE WHEN u.x IS NULL THEN u.y WHEN u.y IS NULL THEN u.x
                                             ELSE u.x + u.y END
                                 FROM unnest(s.sums, excluded.sums) WITH ORDINALITY AS u (x, y, i)
                                 ORDER BY u.i)
                RETURNING s.wallet_key, s.xmax = 0 AS inserted
            )
            SELECT COALESCE(array_agg(up.wallet_key), '{}'),
                   count(*) FILTER (WHERE up.inserted)
            FROM up$q$,
            _recon.balance_agg_sql(p_check.options, format('l.ord > %s AND l.ord <= %s',
                                                           v_wm.order_bound, v_bound)),
            p_check.name, v_sums
        ) INTO v_delta, v_inserted;
    END IF;

    -- 3. Re-check, in one statement (one snapshot), every wallet that may have changed: new
    --    settled entries (step 2), entries above the new bound, a wallet row written since the
    --    last run read the wallets (xmin), every open finding, and, for a ledger that reads
    --    parent rows, every wallet with a leg under a parent row written since then (xmin
    --    again, then down each link by index: pk). Judged by the same SQL as a full run
    --    (_recon.balance_findings_sql), from sums = state + entries above the bound; a wallet
    --    under a changed parent row is summed afresh up to the bound (pa), and its state
    --    replaced by that in the same statement, so what it is judged on and what the next
    --    run starts from are read in this one snapshot.
    -- (without parents the statement is the plain INSERT it always was: no pk, no pa)
    v_pa := CASE WHEN v_ledger.parents IS NOT NULL THEN ' + COALESCE(pa.%s, 0)' ELSE '' END;
    SELECT string_agg(format(
        ', CASE WHEN s.n IS NULL AND t.n IS NULL%2$s THEN NULL '
        || 'ELSE COALESCE(s.sums[%1$s], 0)%3$s + COALESCE(t.s%1$s, 0) END AS s%1$s',
        i, CASE WHEN v_pa <> '' THEN ' AND pa.n IS NULL' ELSE '' END,
        format(v_pa, 's' || i)), '' ORDER BY i)
    INTO v_combined FROM generate_series(1, v_cols) AS i;
    v_insert := format($q$
        INSERT INTO _recon.run_stage
            (run_id, check_name, finding_key, wallet_key, stored, expected, difference, details,
             cause)
        SELECT $1, f.check_name, concat_ws('/', COALESCE(f.wallet_key, '-'), f.details ->> 'item'),
               f.wallet_key, f.stored, f.expected, f.difference, f.details, f.details ->> 'cause'
        FROM (%s) AS f
        -- a re-checked key that is neither a wallet nor in the ledger (a wallet with an open
        -- finding deleted, or re-keyed) is nothing to report, as in a full run
        WHERE NOT (f.details ->> 'cause' = 'unknown_wallet'
                   AND (f.details ->> 'entries')::bigint = 0)$q$,
        _recon.balance_findings_sql(p_check.name, p_check.options, format($e$(
            WITH t AS MATERIALIZED (%1$s),
            -- the keys to re-check, first, as one array: its rows are estimated as few, so the
            -- state and the wallets are probed by primary key, not hash-joined whole
            rk AS MATERIALIZED (SELECT ARRAY(
                SELECT t.k FROM t
                UNION SELECT x.k FROM wp CROSS JOIN LATERAL unnest(wp.new_keys) AS x (k)
                UNION SELECT o.wallet_key::%4$s FROM _recon.finding AS o
                      WHERE o.check_name = %5$L AND o.resolved_run IS NULL AND o.dropped_at IS NULL
                        AND o.wallet_key IS NOT NULL
                UNION SELECT d::%4$s FROM unnest($2::text[]) AS d%7$s) AS ks),
            r AS (SELECT u.k FROM unnest((SELECT rk.ks FROM rk)) AS u (k))
            SELECT r.k,
                   NULLIF(COALESCE(s.n, 0)%8$s + COALESCE(t.n, 0), 0) AS n,
                   COALESCE(s.n_amount, 0)%9$s + COALESCE(t.n_amount, 0) AS n_amount,
                   COALESCE(s.n_bad, 0)%10$s + COALESCE(t.n_bad, 0) AS n_bad%6$s
            FROM r%11$s
            LEFT JOIN _recon.balance_state AS s
                ON %12$ss.check_name = %5$L AND s.wallet_key = r.k::text%13$s
            LEFT JOIN t ON t.k = r.k
        ) AS e$e$,
            _recon.balance_agg_sql(p_check.options, format('l.ord > %s', v_bound)),
            v_wallet.key_column, v_wallet.relid::regclass, v_key_type, p_check.name, v_combined,
            CASE WHEN v_pa <> '' THEN ' UNION SELECT pk.k FROM pk' ELSE '' END,
            format(v_pa, 'n'), format(v_pa, 'n_amount'), format(v_pa, 'n_bad'),
            CASE WHEN v_pa <> '' THEN ' LEFT JOIN pk AS q ON q.k = r.k' ELSE '' END,
            CASE WHEN v_pa <> '' THEN 'q.k IS NULL AND ' ELSE '' END,
            CASE WHEN v_pa <> '' THEN ' LEFT JOIN pa ON pa.k = r.k' ELSE '' END),
        'LEFT'));
    -- The one pass over the wallets, in the same statement: the rows written since the last
    -- run (their keys are re-checked) and the count of the others, unchanged since. With the
    -- state's wallet keys (has_wallet), that count shows whether a wallet vanished (deleted,
    -- or re-keyed: its entries stay under a key that is no wallet now).
    v_wp := format($q$wp AS MATERIALIZED (
                SELECT count(*) FILTER (WHERE age(w.xmin) > age($3)) AS old_rows,
                       COALESCE(array_agg(w.%1$I) FILTER (WHERE age(w.xmin) <= age($3)),
                                ARRAY[]::%2$s[]) AS new_keys
                FROM %3$s AS w),$q$,
                   v_wallet.key_column, v_key_type, v_wallet.relid::regclass);
    -- (each written key probed once: the ones that were no wallet then)
    v_counts := format($q$(SELECT wp.old_rows FROM wp),
                   (SELECT cardinality(wp.new_keys) FROM wp),
                   ARRAY(SELECT x.k::text FROM wp CROSS JOIN LATERAL unnest(wp.new_keys) AS x (k)
                         WHERE NOT EXISTS (SELECT FROM _recon.balance_state AS g
                                           WHERE g.check_name = %1$L
                                             AND g.wallet_key = x.k::text AND g.has_wallet))$q$,
                       p_check.name);
    IF v_ledger.parents IS NULL THEN
        EXECUTE format('WITH %s staged AS (%s RETURNING 1) SELECT 0::bigint, %s',
                       v_wp, v_insert, v_counts)
        INTO v_state_rows, v_old_rows, v_written, v_new_keys USING p_run, v_delta, v_since;
    ELSE
        EXECUTE format($q$
            WITH %7$s pk AS MATERIALIZED (SELECT DISTINCT x.k::%1$s AS k FROM (%2$s) AS x (k)),
            pa AS MATERIALIZED (%3$s),
            up AS (
                INSERT INTO _recon.balance_state AS s
                    (check_name, wallet_key, n, n_amount, n_bad, sums)
                SELECT %4$L, pa.k::text, pa.n, pa.n_amount, pa.n_bad, ARRAY[%5$s]::numeric[]
                FROM pa
                ON CONFLICT (check_name, wallet_key) DO UPDATE
                SET n = excluded.n, n_amount = excluded.n_amount, n_bad = excluded.n_bad,
                    sums = excluded.sums
                RETURNING s.xmax = 0 AS inserted
            ),
            gone AS (
                DELETE FROM _recon.balance_state AS s USING pk
                WHERE s.check_name = %4$L AND s.wallet_key = pk.k::text AND NOT s.has_wallet
                  AND NOT EXISTS (SELECT FROM pa WHERE pa.k = pk.k)
                RETURNING 1
            ),
            -- a wallet left without entries keeps its row (has_wallet), emptied
            emptied AS (
                UPDATE _recon.balance_state AS s
                SET n = 0, n_amount = 0, n_bad = 0, sums = ARRAY[]::numeric[]
                FROM pk
                WHERE s.check_name = %4$L AND s.wallet_key = pk.k::text AND s.has_wallet
                  AND NOT EXISTS (SELECT FROM pa WHERE pa.k = pk.k)
                RETURNING 1
            ),
            staged AS (%6$s RETURNING 1)
            SELECT (SELECT count(*) FROM up WHERE up.inserted) - (SELECT count(*) FROM gone),
                   %8$s$q$,
            v_key_type, _recon.incremental_parent_wallets_sql(v_ledger, '$3'),
            -- (the one-time EXISTS skips the ledger altogether when no parent row changed)
            _recon.balance_agg_sql(p_check.options, format(
                'l.wallet = ANY (ARRAY(SELECT pk.k FROM pk)) AND l.ord <= %s '
                || 'AND EXISTS (SELECT FROM pk)', v_bound)),
            p_check.name, replace(v_sums, 'a.s', 'pa.s'), v_insert, v_wp, v_counts
        ) INTO v_state_rows, v_old_rows, v_written, v_new_keys
        USING p_run, v_delta, v_since;
    END IF;
    -- Wallets then = those unchanged since + those written since that were wallets then;
    -- any other wallet of then is gone: its entries, if any, are under no wallet now, and
    -- nothing re-checked them. The run is then full (and says why).
    v_members := v_written - cardinality(v_new_keys);
    IF v_wm.wallet_rows <> v_old_rows + v_members THEN
        DELETE FROM _recon.run_stage AS s
        WHERE s.run_id = p_run AND s.check_name = p_check.name;
        RETURN format('%s wallet(s) deleted, or their key changed, since the watermark',
                      v_wm.wallet_rows - v_old_rows - v_members);
    END IF;
    -- An UPDATE or DELETE of an old entry committed before the re-check's snapshot: read here,
    -- in a later snapshot, so none is missed (one committed later is seen by the next run).
    IF _recon.ledger_written_since(v_ledger.relid, v_wm.snapshot_xmin) IS NOT NULL THEN
        DELETE FROM _recon.run_stage AS s
        WHERE s.run_id = p_run AND s.check_name = p_check.name;
        RETURN _recon.ledger_written_since(v_ledger.relid, v_wm.snapshot_xmin);
    END IF;
    -- the wallets now, for the next run: the keys written since that were no wallet then
    IF cardinality(v_new_keys) > 0 THEN
        INSERT INTO _recon.balance_state AS s
            (check_name, wallet_key, n, n_amount, n_bad, sums, has_wallet)
        SELECT p_check.name, x.k, 0, 0, 0, ARRAY[]::numeric[], TRUE
        FROM unnest(v_new_keys) AS x (k)
        ON CONFLICT (check_name, wallet_key) DO UPDATE SET has_wallet = TRUE;
    END IF;

    UPDATE _recon.balance_state_mark AS g SET run_id = p_run WHERE g.check_name = p_check.name;
    UPDATE _recon.watermark AS m
    SET run_id = p_run, order_bound = v_bound, snapshot_xmin = v_wallets_xmin,
        state_rows = m.state_rows + v_inserted + v_state_rows, taken_at = now(),
        wallet_rows = v_old_rows + v_written
    WHERE m.check_name = p_check.name;
    PERFORM _recon.ledger_write_prune();
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_increment(_recon.check_def, bigint) IS
'Runs a balance check incrementally into the current run''s findings and advances its '
'watermark; returns NULL, or the reason it cannot (the caller then runs the check in full). '
'Its result equals a full run''s: docs/INCREMENTAL.md gives the argument and its limits.';

REVOKE EXECUTE ON FUNCTION _recon.balance_increment(_recon.check_def, bigint) FROM PUBLIC;
