-- _recon.fix_post_first(): one posting through a ledger-first writer, whose posting function
-- moves the stored balances (and running balances) itself.
CREATE OR REPLACE FUNCTION _recon.fix_post_first(
    p_ledger _recon.ledger_source, p_writer _recon.writer, p_request jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_ledger.wallet_source);
    v_keys text[] := ARRAY[p_request ->> 'wallet'];
    v_read text;
    v_write text;
    v_sides jsonb;  -- {wallet: its deltas in this posting}
    v_now jsonb;    -- {wallet: {"stored": {column: value}, "version": n}}
    v_sums jsonb;
    v_pre jsonb := '{}'::jsonb;     -- {wallet: {column: what the toolkit moved before}}
    v_expect jsonb := '{}'::jsonb;  -- {wallet: {column: stored balance after the posting}}
    v_target jsonb;
    v_key text;
    v_result jsonb;
    v_bad text;
BEGIN
    v_sides := jsonb_build_object(p_request ->> 'wallet', p_request -> 'deltas');
    IF p_request ->> 'offset_wallet' IS NOT NULL THEN
        v_keys := v_keys || (p_request ->> 'offset_wallet');
        v_sides := v_sides || jsonb_build_object(p_request ->> 'offset_wallet', (
            SELECT jsonb_object_agg(d.key, -(d.value::numeric))
            FROM jsonb_each_text(p_request -> 'deltas') AS d));
    END IF;
    IF cardinality(v_keys) = 2 AND v_keys[1] = v_keys[2] THEN
        PERFORM _recon.fail(
            'RC306', format('ledger %s: a posting of wallet %s against itself', p_ledger.name,
                            v_keys[1]),
            'The wallet of a repair is its writer''s offset wallet; nothing was applied.',
            'Repair the offset wallet by hand, or acknowledge its finding.');
    END IF;
    -- the wallets' stored balances and version, read (they are locked by recon.fix), and the
    -- alignment of a wallet's stored balances (_recon.fix_post_first_sql)
    SELECT x.read_sql, x.write_sql INTO v_read, v_write FROM _recon.fix_post_first_sql(v_ws) AS x;
    EXECUTE v_read INTO v_now USING v_keys;

    -- 1. Each wallet's stored balances as its ledgers have them (the sum of all their
    --    entries), on the columns this ledger moves, so that the running balance the ledger
    --    computes from the stored balance continues its entries (a repaired drift is not carried
    --    into it). Nothing moves where they agree (the offset wallet, as a rule). recon.fix
    --    moves the difference back after the posting, where the plan keeps it (_recon.fix_move).
    v_sums := _recon.fix_measure(v_ws.name, v_keys, ARRAY(
        SELECT l.name FROM _recon.ledger_source AS l WHERE l.wallet_source = v_ws.name));
    FOREACH v_key IN ARRAY v_keys LOOP
        IF NOT v_now ? v_key THEN
            PERFORM _recon.fail(
                'RC306', format('ledger %s: wallet %s is not in %s', p_ledger.name, v_key,
                                v_ws.relid::regclass),
                'A ledger-first posting moves the wallet''s stored balances; nothing was applied.',
                'Create the wallet (the offset wallet of recon.register_writer) first.');
        END IF;
        SELECT jsonb_object_agg(b, x.total) INTO v_target
        FROM unnest(v_ws.balance_columns) AS b
        CROSS JOIN LATERAL (
            SELECT _recon.fix_alignment_target(v_sums, v_key, b) AS total) AS x
        WHERE p_ledger.effects ? b AND x.total
              IS DISTINCT FROM (v_now -> v_key -> 'stored' ->> b)::numeric;
        IF v_target IS NOT NULL THEN
            EXECUTE v_write USING v_key, v_target;
            v_pre := v_pre || jsonb_build_object(v_key, (
                SELECT jsonb_object_agg(t.key, t.value::numeric
                                               - (v_now -> v_key -> 'stored' ->> t.key)::numeric)
                FROM jsonb_each_text(v_target) AS t));
        END IF;
    END LOOP;
    IF v_pre <> '{}' THEN
        EXECUTE v_read INTO v_now USING v_keys;
    END IF;

    -- 2. The request says what the posting finds and must leave: every balance column of the
    --    wallet and of the offset wallet, before and after, and their versions.
    FOREACH v_key IN ARRAY v_keys LOOP
        v_expect := v_expect || jsonb_build_object(v_key, (
            SELECT jsonb_object_agg(st.key, st.value::numeric
                                            + COALESCE((v_sides -> v_key ->> st.key)::numeric, 0))
            FROM jsonb_each_text(v_now -> v_key -> 'stored') AS st));
    END LOOP;
    p_request := p_request || jsonb_build_object(
        'moves_balances', TRUE,
        'stored_before', v_now -> v_keys[1] -> 'stored', 'stored_after', v_expect -> v_keys[1],
        'version', v_now -> v_keys[1] -> 'version');
    IF cardinality(v_keys) = 2 THEN
        p_request := p_request || jsonb_build_object(
            'offset_stored_before', v_now -> v_keys[2] -> 'stored',
            'offset_stored_after', v_expect -> v_keys[2],
            'offset_version', v_now -> v_keys[2] -> 'version');
    END IF;

    -- 3. Post: the ledger's own routine writes the entries and moves the balances.
    EXECUTE format('SELECT %s($1)', p_writer.posting_function::regproc)
    INTO v_result USING p_request;

    -- 4. Each wallet must hold exactly what the request said, on every balance column.
    EXECUTE v_read INTO v_now USING v_keys;
    SELECT string_agg(format('wallet %s %s: expected %s, found %s', k, e.key, e.value,
                             COALESCE(v_now -> k -> 'stored' ->> e.key, 'no row')), '; '
                      ORDER BY k, e.key)
    INTO v_bad
    FROM unnest(v_keys) AS k, jsonb_each_text(v_expect -> k) AS e
    WHERE (v_now -> k -> 'stored' ->> e.key)::numeric IS DISTINCT FROM e.value::numeric;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC307', format('the ledger-first writer of ledger %s did not move the stored '
                            || 'balances the plan asked for; nothing was applied', p_ledger.name),
            format('Step %s: %s.', p_request ->> 'step', v_bad),
            'A posting function registered with "moves_balances" moves each balance column of '
            || 'the wallet (and of the offset wallet) from stored_before to stored_after in the '
            || 'request, and nothing else. Check it (recon.register_writer), and run the dry run '
            || 'again.');
    END IF;
    -- what moved during this posting, the toolkit's and the routine's part: recon.fix moves the
    -- stored balances by the plan less this (_recon.fix_post, _recon.fix_move)
    RETURN jsonb_build_object('result', v_result, 'moved', (
        SELECT jsonb_object_agg(k, (
            SELECT COALESCE(jsonb_object_agg(c, COALESCE((v_pre -> k ->> c)::numeric, 0)
                                                + COALESCE((v_sides -> k ->> c)::numeric, 0)),
                            '{}')
            FROM unnest(v_ws.balance_columns) AS c))
        FROM unnest(v_keys) AS k));
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_first(_recon.ledger_source, _recon.writer, jsonb) IS
'One posting of recon.fix() through a ledger-first writer ("moves_balances": its posting '
'function moves the stored balances and running balances itself). Under the fix''s locks: '
'sets the wallet''s and the offset wallet''s stored balances, on the columns the ledger moves, '
'to what their ledgers sum to (so the running balance the routine writes continues the '
'entries; the version column bumped where it moves), calls the function with stored_before, '
'stored_after and version of both wallets, then checks that every balance column holds '
'stored_after (RC307 otherwise: nothing applied). Returns {"result": what the function '
'returned, "moved": {wallet: {column: delta}}} for _recon.fix_post to net against the plan.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_first(_recon.ledger_source, _recon.writer, jsonb)
FROM PUBLIC;
