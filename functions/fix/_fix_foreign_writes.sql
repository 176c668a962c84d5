-- _recon.fix_foreign_writes(): refuse a repair that changed wallets it did not lock.
CREATE OR REPLACE FUNCTION _recon.fix_foreign_writes(p_stage bigint, p_pre jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_top bigint := pg_current_xact_id()::text::bigint;
    v_since bigint;
    v_next bigint;
    v_keys text[];
    v_written text;
    v_rows text;
    v_bad text;
    v_all text := '';
BEGIN
    -- The conservation measure (_recon.fix_conserve) reads the wallets the repair locked. A
    -- writer's posting function (or a trigger of the application) that also wrote another
    -- wallet's row, an entry and its balance alike, moves money no measure of those wallets
    -- sees. Every row of the wallet tables the repair posts into that this transaction wrote
    -- since the postings began must be a wallet it locked. _recon.fix_post's subtransaction
    -- marked the fix's row of _recon.fix_active first: the postings' writes have its id or a
    -- later one, and what the caller's transaction wrote before has an earlier one. A
    -- subtransaction here marks it again: no write of this transaction is later. A row is
    -- written so when its xmin, widened to 64 bits, lies between the two marks, and it is in
    -- progress to anyone else (a committed transaction's rows are not ours).
    SELECT a.xmin::text::bigint INTO v_since
    FROM _recon.fix_active AS a WHERE a.txid = pg_current_xact_id();
    BEGIN
        UPDATE _recon.fix_active AS a SET fix_id = a.fix_id
        WHERE a.txid = pg_current_xact_id()
        RETURNING a.xmin::text::bigint INTO v_next;
    EXCEPTION WHEN OTHERS THEN
        RAISE;  -- a subtransaction only for its id: nothing is caught
    END;
    IF v_since IS NULL OR v_next IS NULL THEN
        PERFORM _recon.fail('RC307', 'the repair cannot tell its own writes; nothing was applied',
                            'The fix holds no row in _recon.fix_active.',
                            'Run recon.fix() again; report it if it repeats.');
    END IF;
    -- the 32-bit ids in this transaction's epoch (the next one after a wraparound)
    v_since := (v_top >> 32 << 32) + v_since
               + CASE WHEN (v_top >> 32 << 32) + v_since < v_top THEN 4294967296 ELSE 0 END;
    v_next := (v_top >> 32 << 32) + v_next
              + CASE WHEN (v_top >> 32 << 32) + v_next < v_top THEN 4294967296 ELSE 0 END;
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT jsonb_object_keys(COALESCE(p_pre -> 'keys', '{}'))
                                 UNION
                                 SELECT l.wallet_source FROM _recon.fix_stage AS s
                                 JOIN _recon.ledger_source AS l ON l.name = s.ledger_source
                                 WHERE s.stage_id = p_stage AND s.status = 'applied')
                ORDER BY w.name LOOP
        v_keys := ARRAY(SELECT jsonb_array_elements_text(p_pre -> 'keys' -> v_ws.name));
        -- the rows this transaction wrote since the first mark: the 32-bit xmin in the first
        -- mark's epoch, or the next, between the marks, and in progress
        v_written := 'pg_xact_status((CASE WHEN ($2 >> 32 << 32) + %1$s.xmin::text::bigint '
            || 'BETWEEN $2 AND $3 THEN ($2 >> 32 << 32) + %1$s.xmin::text::bigint '
            || 'WHEN ($2 >> 32 << 32) + 4294967296 + %1$s.xmin::text::bigint BETWEEN $2 AND $3 '
            || 'THEN ($2 >> 32 << 32) + 4294967296 + %1$s.xmin::text::bigint END)::text::xid8) '
            || '= ''in progress''';
        v_rows := format('(SELECT w.* FROM %s AS w WHERE %s)', v_ws.relid::regclass,
                         format(v_written, 'w'));
        IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = v_ws.relid) = 'v' THEN
            -- a wallet source on a simple view ((account, currency) keys): its base table's
            -- rows written so, read through the view's own query (a row the view leaves out
            -- is no wallet of the source)
            v_rows := _recon.view_rows_sql(v_ws.relid, format(
                '(SELECT b.* FROM %s AS b WHERE %s)',
                _recon.base_table(v_ws.relid)::regclass, format(v_written, 'b')));
            IF v_rows IS NULL THEN
                PERFORM _recon.fail(
                    'RC307', 'the repair cannot tell which wallets it wrote; nothing was applied',
                    format('Wallet source %s is a view that is not a simple view over one table.',
                           v_ws.name),
                    'Register the wallet source on its table, or on a simple view of it (one '
                    || 'table, no join, aggregate or subquery); or repair by hand.');
            END IF;
            v_rows := '(' || v_rows || ')';
        END IF;
        EXECUTE format($q$
            SELECT string_agg(x.k, ', ' ORDER BY x.k) FROM (
                SELECT w.%1$I::text AS k FROM %2$s AS w
            ) AS x
            WHERE x.k IS NULL OR NOT x.k = ANY ($1)
            $q$, v_ws.key_column, v_rows)
        INTO v_bad USING v_keys, v_since, v_next;
        IF v_bad IS NOT NULL THEN
            v_all := v_all || format('%s%s: %s', CASE WHEN v_all = '' THEN '' ELSE '; ' END,
                                     v_ws.name, v_bad);
        END IF;
    END LOOP;
    IF v_all <> '' THEN
        PERFORM _recon.fail(
            'RC307', 'the repair changed wallets it did not lock; nothing was applied',
            format('Written in this transaction, outside the plan: %s.', v_all),
            'A writer''s posting function posts the request and nothing else (no other '
            || 'wallet, no fee), and no trigger of the wallet or ledger tables moves other '
            || 'wallets. Check the writer (recon.register_writer) and the tables'' triggers, '
            || 'then run the dry run again.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_foreign_writes(bigint, jsonb) IS
'Phase of _recon.fix_apply after the stored balances moved: fails with RC307 (nothing '
'applied) when, since the postings began, this transaction wrote a row of a wallet table the '
'repair posts into or measures whose wallet it did not lock (p_pre''s keys), as a posting '
'function that also pays another wallet, or a trigger, would: the conservation measure reads '
'only the locked wallets. A row is written so when its xmin, widened to 64 bits, lies between '
'the transaction id _recon.fix_post marked the fix''s _recon.fix_active row with and the one '
'this function marks it with, and pg_xact_status says in progress; on a simple view, its base '
'table''s rows so written, read through the view. Reads each such wallet table once.';

REVOKE EXECUTE ON FUNCTION _recon.fix_foreign_writes(bigint, jsonb) FROM PUBLIC;
