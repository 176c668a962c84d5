--
-- PostgreSQL database dump
--

\restrict walletrecon

--
-- Name: _recon; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA _recon;

--
-- Name: SCHEMA _recon; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA _recon IS 'wallet-recon private schema: bookkeeping tables and helpers. Not an API; use schema recon.';

--
-- Name: _recon_guard; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA _recon_guard;

--
-- Name: SCHEMA _recon_guard; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA _recon_guard IS 'wallet-recon: the functions a drift guard''s trigger functions call as whoever writes the guarded tables (queue a commit-time check, move a large accumulator to a table, judge it). Every role may use it; the functions only ever act on the calling transaction''s own accumulator. docs/SECURITY.md.';

--
-- Name: recon; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA recon;

--
-- Name: SCHEMA recon; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA recon IS 'wallet-recon public API: the views and functions a DBA calls. See \dv recon.* and \df+ recon.*';

--
-- Name: fix_step; Type: TYPE; Schema: recon; Owner: -
--

CREATE TYPE recon.fix_step AS (
	step integer,
	finding_id bigint,
	check_name text,
	wallet_key text,
	strategy text,
	amount numeric,
	entries jsonb,
	stored_before jsonb,
	stored_after jsonb,
	status text,
	note text,
	repair_id bigint,
	currency text,
	stored_change jsonb,
	ledger_change jsonb,
	evidence jsonb
);

--
-- Name: TYPE fix_step; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON TYPE recon.fix_step IS 'One step of a repair plan, as recon.fix() and recon.reverse_fix() return it (docs/REPAIRS.md).';

--
-- Name: COLUMN fix_step.step; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.step IS 'Step number, in the order steps are applied.';

--
-- Name: COLUMN fix_step.finding_id; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.finding_id IS 'The finding it repairs (recon.run_findings).';

--
-- Name: COLUMN fix_step.check_name; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.check_name IS 'The finding''s check.';

--
-- Name: COLUMN fix_step.wallet_key; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.wallet_key IS 'The wallet it repairs.';

--
-- Name: COLUMN fix_step.strategy; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.strategy IS 'adjust, resync, restore, post_missing, reverse, move, resolve, acknowledge, none or reversal.';

--
-- Name: COLUMN fix_step.amount; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.amount IS 'How much it repairs (absolute).';

--
-- Name: COLUMN fix_step.entries; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.entries IS 'Entries to post (applied: the entries posted, with their ids).';

--
-- Name: COLUMN fix_step.stored_before; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.stored_before IS 'The wallet''s stored balances before the step.';

--
-- Name: COLUMN fix_step.stored_after; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.stored_after IS 'The wallet''s stored balances after the step.';

--
-- Name: COLUMN fix_step.status; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.status IS 'planned, applied, covered, manual or skipped.';

--
-- Name: COLUMN fix_step.note; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.note IS 'Why it is manual or skipped, or what covers it.';

--
-- Name: COLUMN fix_step.repair_id; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.repair_id IS 'Its audit row in recon.repairs, once applied.';

--
-- Name: COLUMN fix_step.currency; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.currency IS 'The wallet''s currency (its currency column, else the check''s currency option).';

--
-- Name: COLUMN fix_step.stored_change; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.stored_change IS 'What the step adds to the stored balances, per balance column, offset wallet included.';

--
-- Name: COLUMN fix_step.ledger_change; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.ledger_change IS 'What the entries it posts add to the ledger''s effects, per balance column, both sides of a double-entry posting included (0 for a balanced posting).';

--
-- Name: COLUMN fix_step.evidence; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.fix_step.evidence IS 'What the ledger shows about the wallet, on which the strategy was chosen: its running balance (chain), its journals, or that the ledger keeps neither (docs/REPAIRS.md).';

--
-- Name: analyze_run_stage(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.analyze_run_stage() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '50ms'
    AS $$
BEGIN
    ANALYZE _recon.run_stage;
    RETURN TRUE;
EXCEPTION WHEN lock_not_available THEN
    -- the statistics of an earlier run stay: plans may be slower, never results different
    RETURN FALSE;
END;
$$;

--
-- Name: FUNCTION analyze_run_stage(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.analyze_run_stage() IS 'ANALYZE of _recon.run_stage for recon.reconcile(), so the joins over a run''s findings are planned on their number; skipped (false) when its lock is not granted within 50 ms (autovacuum on the stage), so a run never stalls behind it. Statistics only: results do not depend on it.';

--
-- Name: check_def; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.check_def (
    name text NOT NULL,
    kind text NOT NULL,
    options jsonb NOT NULL,
    wallet_source text,
    ledger_source text,
    view_name name NOT NULL,
    compiled_sql text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    currency text,
    tolerance jsonb DEFAULT '{}'::jsonb NOT NULL,
    low_limit jsonb DEFAULT '{}'::jsonb NOT NULL,
    high_wallets integer DEFAULT 2 NOT NULL,
    critical_wallets integer DEFAULT 10 NOT NULL,
    pattern_wallets integer DEFAULT 5 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT check_def_critical_above_high CHECK ((critical_wallets > high_wallets)),
    CONSTRAINT check_def_high_wallets CHECK ((high_wallets >= 2)),
    CONSTRAINT check_def_low_limit CHECK ((jsonb_typeof(low_limit) = 'object'::text)),
    CONSTRAINT check_def_name_format CHECK ((name ~ '^[a-z][a-z0-9_]{0,39}$'::text)),
    CONSTRAINT check_def_pattern_min CHECK ((pattern_wallets >= 2)),
    CONSTRAINT check_def_tolerance CHECK ((jsonb_typeof(tolerance) = 'object'::text))
);

--
-- Name: TABLE check_def; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.check_def IS 'Registered checks, each compiled once to a view recon.check_<name> (recon.register_check).';

--
-- Name: COLUMN check_def.name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.name IS 'Check name: lower case, digits, _; at most 40.';

--
-- Name: COLUMN check_def.kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.kind IS 'Its kind, a row of _recon.check_kind (recon.kinds; docs/CHECKS.md).';

--
-- Name: COLUMN check_def.options; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.options IS 'The options it was registered with.';

--
-- Name: COLUMN check_def.wallet_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.wallet_source IS 'Wallet source it reads, if any.';

--
-- Name: COLUMN check_def.ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.ledger_source IS 'Ledger source it reads, if any.';

--
-- Name: COLUMN check_def.view_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.view_name IS 'Its view in schema recon.';

--
-- Name: COLUMN check_def.compiled_sql; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.compiled_sql IS 'The set-based query the view runs.';

--
-- Name: COLUMN check_def.enabled; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.enabled IS 'Disabled checks are left out of recon.discrepancies and of recon.reconcile().';

--
-- Name: COLUMN check_def.currency; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.currency IS 'Currency of its amounts and thresholds (a label).';

--
-- Name: COLUMN check_def.tolerance; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.tolerance IS 'Per currency, differences up to this (absolute) are rounding, not findings: {"USD": 0.01, "*": 0}. A currency without an entry uses "*", else 0.';

--
-- Name: COLUMN check_def.low_limit; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.low_limit IS 'Per currency, a single-wallet finding above this amount is MEDIUM, at or below it LOW (runbook: R10): {"USD": 10, "JPY": 1000, "*": 5}. A currency without an entry uses "*"; without either its findings are at least MEDIUM, and recon.fix() repairs none of them automatically unless a wallet_limit is given for it.';

--
-- Name: COLUMN check_def.high_wallets; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.high_wallets IS 'From this many wallets with findings in one run, the findings are HIGH.';

--
-- Name: COLUMN check_def.critical_wallets; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.critical_wallets IS 'From this many wallets with findings in one run, the findings are CRITICAL (systematic).';

--
-- Name: COLUMN check_def.pattern_wallets; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.pattern_wallets IS 'From this many wallets sharing one cause (or one hour), the findings are CRITICAL.';

--
-- Name: COLUMN check_def.created_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.created_at IS 'When it was registered.';

--
-- Name: COLUMN check_def.created_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_def.created_by IS 'Who registered it (session_user).';

--
-- Name: CONSTRAINT check_def_critical_above_high ON check_def; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON CONSTRAINT check_def_critical_above_high ON _recon.check_def IS 'CRITICAL needs more wallets than HIGH.';

--
-- Name: CONSTRAINT check_def_pattern_min ON check_def; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON CONSTRAINT check_def_pattern_min ON _recon.check_def IS 'A pattern is at least two wallets.';

--
-- Name: backfill_apply(bigint, bigint, _recon.check_def, jsonb, text, text, name); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_apply(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_drift jsonb;
    v_created bigint;
    v_offsets jsonb;
BEGIN
    -- 1. An audited fix: the drift guards let its writes through, and judge the rest after.
    v_drift := _recon.guard_drift_save();
    PERFORM set_config('wallet_recon.fix_id', p_fix::text, TRUE);
    INSERT INTO _recon.fix_active AS a (txid, fix_id) VALUES (pg_current_xact_id(), p_fix)
    ON CONFLICT (txid) DO UPDATE SET fix_id = excluded.fix_id;
    -- 2. The offset wallet and the owners locked, each owner claimed once.
    PERFORM _recon.backfill_claim(p_stage, p_fix, p_check, p_target, p_ticket, p_reason,
                                  p_invoker);
    -- 3. The wallets created at zero, the opening entries posted through the writer, the
    --    balances moved, and the new wallets checked.
    v_created := _recon.backfill_create_wallets(p_stage, p_check, p_target);
    v_offsets := _recon.fix_post(p_stage, p_fix, p_ticket, p_reason, '{}');
    PERFORM _recon.fix_move(p_stage, v_offsets);
    PERFORM _recon.backfill_verify(p_stage, p_check.wallet_source);
    DELETE FROM _recon.fix_active AS a WHERE a.txid = pg_current_xact_id();
    PERFORM set_config('wallet_recon.fix_id', '', TRUE);
    PERFORM _recon.guard_drift_restore(v_drift);  -- the drift guards judge the rest
    RETURN v_created;
END;
$$;

--
-- Name: FUNCTION backfill_apply(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_apply(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name) IS 'Phase 3 of recon.backfill, when applying: as audited fix p_fix, claims the staged owners (_recon.backfill_claim), creates their wallets at zero, posts the opening entries through the writer and moves the balances (_recon.fix_post, _recon.fix_move), then verifies them (_recon.backfill_verify: RC307, nothing applied). Returns how many wallets were created.';

--
-- Name: backfill_check_wallets(bigint, _recon.check_def, jsonb, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_check_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb, p_wallet_key text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
    v_bad text;
BEGIN
    -- every key a value of the key column, none NULL, none twice, none taken; every owner and
    -- wallet_columns value one of its column
    BEGIN
        EXECUTE format($q$
            SELECT string_agg(format('%%s (owner %%s)', COALESCE(quote_literal(y.k), 'NULL'),
                                     y.owner), ', ' ORDER BY y.step)
            FROM (
                SELECT s.step, s.finding_key AS owner, s.wallet_key AS k,
                       count(*) OVER (PARTITION BY s.wallet_key) AS n,
                       jsonb_build_array(s.wallet_key::%3$s, s.finding_key::%4$s%5$s) AS v
                FROM _recon.fix_stage AS s
                CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', s.finding_key,
                                                              'wallet', s.wallet_key) AS j) AS x
                WHERE s.stage_id = $1 AND s.status = 'planned'
            ) AS y
            WHERE y.k IS NULL OR y.n > 1 OR y.v IS NULL
               OR EXISTS (SELECT FROM %1$s AS w WHERE w.%2$I = y.k::%3$s)$q$,
            v_ws.relid::regclass, v_ws.key_column, p_target ->> 'key_type',
            _recon.column_type_sql(v_ws.relid, p_target ->> 'owner_column'),
            p_target ->> 'values')
        INTO v_bad USING p_stage;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
        PERFORM _recon.fail('RC309', 'a new wallet''s key or column does not fit its column',
                            format('%s (SQLSTATE %s).', SQLERRM, SQLSTATE),
                            'Check wallet_key and wallet_columns against the column types of '
                            || v_ws.relid::regclass::text || '.');
    END;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail('RC309', 'the new wallets'' keys must be distinct, new and not NULL',
                            format('wallet_key %L gives: %s.', p_wallet_key, v_bad),
                            'Use a template that differs per owner, e.g. ''{uuid}'' or '
                            || '''w-{owner}''.');
    END IF;
END;
$_$;

--
-- Name: FUNCTION backfill_check_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb, p_wallet_key text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_check_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb, p_wallet_key text) IS 'Phase 2 of recon.backfill, before anything is written (a dry run too): the staged new wallets (p_stage) have keys of the key column''s type, none NULL, none twice, none taken, and owners and wallet_columns values of their columns'' types; RC309 otherwise, naming them.';

--
-- Name: backfill_claim(bigint, bigint, _recon.check_def, jsonb, text, text, name); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_claim(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
BEGIN
    EXECUTE format('SELECT FROM %s AS w WHERE w.%I = $1::%s FOR UPDATE',
                   v_ws.relid::regclass, v_ws.key_column, p_target ->> 'key_type')
    USING p_target ->> 'offset_wallet';
    -- The owners, locked (an application creating a wallet for one of them, with a foreign
    -- key to it, waits), then the coverage check again under the lock: an owner who got a
    -- wallet since the plan is skipped.
    EXECUTE format('SELECT FROM %s AS o WHERE o.%I::text = ANY ($1) ORDER BY o.%I FOR UPDATE',
                   (p_target ->> 'owner_table')::oid::regclass, p_check.options ->> 'owner_key',
                   p_check.options ->> 'owner_key')
    USING ARRAY(SELECT s.finding_key FROM _recon.fix_stage AS s
                WHERE s.stage_id = p_stage AND s.status = 'planned');
    EXECUTE format($q$
        UPDATE _recon.fix_stage AS s SET status = 'skipped',
            note = 'has a wallet now: created since the plan'
        WHERE s.stage_id = $1 AND s.status = 'planned'
          AND NOT EXISTS (SELECT FROM recon.%I AS v WHERE v.wallet_key = s.finding_key)$q$,
        p_check.view_name)
    USING p_stage;
    -- each owner once: a second run, or a concurrent one, finds the claim
    PERFORM _recon.fix_claim(p_stage, p_fix, p_ticket, p_reason, p_invoker);
END;
$_$;

--
-- Name: FUNCTION backfill_claim(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_claim(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name) IS 'Phase 3 of recon.backfill: locks the offset wallet and the owners (FOR UPDATE, in key order), skips an owner who got a wallet since the plan, and claims each remaining owner''s repair key for fix p_fix (_recon.fix_claim), so that a second or concurrent backfill skips it.';

--
-- Name: backfill_create_wallets(bigint, _recon.check_def, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_create_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
    v_created bigint;
BEGIN
    EXECUTE format($q$
        INSERT INTO %1$s (%2$I, %3$I%4$s%5$s)
        SELECT s.wallet_key::%6$s, s.finding_key::%7$s%8$s%9$s
        FROM _recon.fix_stage AS s
        CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', s.finding_key,
                                                      'wallet', s.wallet_key) AS j) AS x
        WHERE s.stage_id = $1 AND s.status = 'applied'
        ORDER BY s.step$q$,
        v_ws.relid::regclass, v_ws.key_column, p_target ->> 'owner_column',
        (SELECT string_agg(', ' || quote_ident(b), '') FROM unnest(v_ws.balance_columns) AS b),
        p_target ->> 'columns', p_target ->> 'key_type',
        _recon.column_type_sql(v_ws.relid, p_target ->> 'owner_column'),
        repeat(', 0', cardinality(v_ws.balance_columns)), p_target ->> 'values')
    USING p_stage;
    GET DIAGNOSTICS v_created = ROW_COUNT;
    RETURN v_created;
END;
$_$;

--
-- Name: FUNCTION backfill_create_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_create_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb) IS 'Phase 3 of recon.backfill: inserts the claimed (applied) steps'' new wallets into the wallet table, every balance column at 0 (the opening entries move them), with their owner and wallet_columns. Returns how many were created.';

--
-- Name: backfill_plan(_recon.check_def, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_plan(p_check _recon.check_def, p_target jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
    v_ledger _recon.ledger_source := _recon.ledger(p_target ->> 'ledger');
    v_col text := p_target ->> 'column';
    v_stage bigint := nextval('_recon.fix_stage_seq');
BEGIN
    -- one new wallet per missing owner, opening at the owner's legacy balance
    EXECUTE format($q$
        INSERT INTO _recon.fix_stage (
            stage_id, step, check_name, kind, finding_key, wallet_source, wallet_key,
            ledger_source, strategy, amount, postings, moves, stored_before, stored_after,
            status, repair_key, finding_id
        )
        SELECT $1, row_number() OVER (ORDER BY m.owner), $2, 'coverage', m.owner, $3, m.k, $4,
               'backfill', abs(m.opening),
               CASE WHEN m.opening IS NULL OR m.opening = 0 THEN '[]'::jsonb
                    ELSE jsonb_build_array(jsonb_build_object(
                   'wallet', m.k, 'deltas', jsonb_build_object($5, m.opening),
                   'purpose', 'opening', 'owner', m.owner,
                   'reference', 'OPENING-' || m.owner)) END,
               jsonb_strip_nulls(jsonb_build_object($5, m.opening)),
               (SELECT jsonb_object_agg(b, 0) FROM unnest($6::text[]) AS b),
               (SELECT jsonb_object_agg(b, CASE WHEN b = $5 THEN m.opening ELSE 0 END)
                FROM unnest($6::text[]) AS b),
               -- once per owner and wallet table: a source dropped and registered again over a
               -- new table (e.g. the demo run twice) starts afresh
               'planned', format('backfill:%%s:%%s:%%s', $3, $7, m.owner),
               (SELECT f.id FROM _recon.finding AS f
                WHERE f.check_name = $2 AND f.wallet_key = m.owner AND f.resolved_run IS NULL
                  AND f.dropped_at IS NULL LIMIT 1)
        FROM (
            SELECT v.wallet_key AS owner, %s AS opening, %s AS k
            FROM recon.%I AS v
            CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', v.wallet_key) AS j) AS x
        ) AS m$q$,
        -- the legacy balance as it is: a NULL one is not an opening balance of 0
        CASE WHEN p_check.options ? 'owner_balance' THEN format(
            '(SELECT o.%I::numeric FROM %s AS o WHERE o.%I::text = v.wallet_key)',
            p_check.options ->> 'owner_balance', (p_target ->> 'owner_table')::oid::regclass,
            p_check.options ->> 'owner_key') ELSE '0::numeric' END,
        p_target ->> 'key_sql', p_check.view_name)
    USING v_stage, p_check.name, v_ws.name, v_ledger.name, v_col, v_ws.balance_columns,
        v_ws.relid::oid::text;
    -- a legacy balance that is not an amount, or that the columns cannot hold: a human's
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('legacy balance %s is not an amount: needs a human',
                      COALESCE(s.moves ->> v_col, 'NULL'))
    WHERE s.stage_id = v_stage
      AND (s.moves ->> v_col IS NULL
           OR (s.moves ->> v_col)::numeric IN ('NaN', 'Infinity', '-Infinity'));
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('legacy balance %s does not fit %s (%s) or %s (%s): needs a human',
                      s.moves ->> v_col, v_col, _recon.column_type_sql(v_ws.relid, v_col),
                      v_ledger.amount_column,
                      _recon.column_type_sql(v_ledger.relid, v_ledger.amount_column))
    WHERE s.stage_id = v_stage AND s.status = 'planned'
      AND NOT (_recon.column_holds(v_ws.relid, v_col, (s.moves ->> v_col)::numeric)
               AND _recon.column_holds(v_ledger.relid, v_ledger.amount_column,
                                       abs((s.moves ->> v_col)::numeric)));
    RETURN v_stage;
END;
$_$;

--
-- Name: FUNCTION backfill_plan(p_check _recon.check_def, p_target jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_plan(p_check _recon.check_def, p_target jsonb) IS 'Phase 2 of recon.backfill: stages one step per owner the coverage check p_check finds without a wallet (its new key from the template, its opening entry at the owner''s legacy balance), and leaves to a human (status manual) a legacy balance that is not an amount or does not fit the balance or amount column. p_target: _recon.backfill_target''s. Returns the stage id.';

--
-- Name: backfill_report(_recon.check_def); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_report(p_coverage _recon.check_def) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_coverage.wallet_source);
    v_check _recon.check_def;
    v_wallets bigint;
    v_missing jsonb;
    v_drift jsonb := '{}'::jsonb;
    v_treasury jsonb := '{}'::jsonb;
    v_row jsonb;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', v_ws.relid::regclass) INTO v_wallets;
    EXECUTE format('SELECT jsonb_build_object(''missing'', count(*), ''missing_amount'', '
                   || 'COALESCE(sum(v.expected), 0)) FROM recon.%I AS v', p_coverage.view_name)
    INTO v_missing;
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.enabled AND (c.kind = 'total'
                                        OR (c.kind = 'balance' AND c.wallet_source = v_ws.name))
                   ORDER BY c.name LOOP
        EXECUTE format('SELECT jsonb_build_object(''findings'', count(*), ''wallets'', '
                       || 'count(DISTINCT v.wallet_key), ''amount'', COALESCE(sum(v.difference), 0)) '
                       || 'FROM recon.%I AS v', v_check.view_name)
        INTO v_row;
        IF v_check.kind = 'total' THEN
            v_treasury := v_treasury || jsonb_build_object(v_check.name, v_row -> 'amount');
        ELSE
            v_drift := v_drift || jsonb_build_object(v_check.name, v_row - 'findings');
        END IF;
    END LOOP;
    RETURN jsonb_build_object('wallets', v_wallets, 'treasury_drift', v_treasury,
                              'balance_drift', v_drift) || v_missing;
END;
$$;

--
-- Name: FUNCTION backfill_report(p_coverage _recon.check_def); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_report(p_coverage _recon.check_def) IS 'The report recon.backfill() gives before and after (seed 003''s): wallets in the table, owners missing a wallet and their legacy total (the coverage check), the difference of every total check (treasury drift), and per balance check of the wallet source the wallets with drift and its sum.';

--
-- Name: backfill_target(_recon.check_def, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_target(p_check _recon.check_def, p_wallet_key text, p_wallet_columns jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ws _recon.wallet_source;
    v_owner_rel oid;
    v_owner_col text;
    v_ledger _recon.ledger_source;
    v_writer _recon.writer;
    v_col text;
    v_key_sql text;
    v_key_type text;
    v_cols text := '';
    v_vals text := '';
    v_name text;
    v_value jsonb;
BEGIN
    -- a coverage check, a ledger of that wallet source with a double-entry writer (the opening
    -- entries are balanced against its offset wallet)
    IF p_check.kind <> 'coverage' THEN
        PERFORM _recon.fail('RC309', format('%s is a %s check, not a coverage check',
                                            p_check.name, p_check.kind),
                            'A backfill creates the wallets a coverage check finds missing.',
                            'Name a coverage check (SELECT name FROM recon.checks WHERE kind = '
                            || '''coverage'').');
    END IF;
    v_ws := _recon.wallet(p_check.wallet_source);
    v_owner_rel := _recon.resolve_table(p_check.options ->> 'owner_table');
    v_owner_col := COALESCE(p_check.options ->> 'wallet_column', v_ws.owner_column);
    SELECT l.* INTO v_ledger FROM _recon.ledger_source AS l
    JOIN _recon.writer AS w ON w.ledger_source = l.name AND w.offset_wallet IS NOT NULL
    WHERE l.wallet_source = v_ws.name ORDER BY l.name LIMIT 1;
    IF v_ledger.name IS NULL THEN
        PERFORM _recon.fail(
            'RC309', format('wallet source %s has no ledger with a double-entry writer',
                            v_ws.name),
            'Opening balances are posted against a system offset account.',
            'recon.register_writer(<ledger>, ''{"offset_wallet": "system", ...}'').');
    END IF;
    SELECT w.* INTO v_writer FROM _recon.writer AS w WHERE w.ledger_source = v_ledger.name;
    SELECT b INTO v_col FROM unnest(v_ws.balance_columns) AS b WHERE v_ledger.effects ? b LIMIT 1;
    -- the new wallets' key template and other columns
    IF jsonb_typeof(p_wallet_columns) IS DISTINCT FROM 'object' THEN
        PERFORM _recon.fail('RC309', 'wallet_columns must be a JSON object',
                            format('Got %s.', p_wallet_columns),
                            'It maps a wallet column to a template, e.g. {"status": "active"}.');
    END IF;
    v_key_sql := _recon.template_sql(p_wallet_key, 'the new wallet key', 'x.j');
    v_key_type := _recon.column_type_sql(v_ws.relid, v_ws.key_column);
    FOR v_name, v_value IN SELECT m.key, m.value FROM jsonb_each(p_wallet_columns) AS m LOOP
        IF jsonb_typeof(v_value) <> 'string'
            OR v_name IN (v_ws.key_column, v_owner_col) OR v_name = ANY (v_ws.balance_columns) THEN
            PERFORM _recon.fail('RC309', format('bad wallet column %L', v_name),
                                'Key, owner and balances are the toolkit''s; values are strings.',
                                'Map the other columns, e.g. {"status": "active"}.');
        END IF;
        v_cols := v_cols || ', ' || quote_ident(
            _recon.resolve_column(v_ws.relid, v_name, 'a new wallet column'));
        v_vals := v_vals || format(', %s::%s',
                                   _recon.template_sql(v_value #>> '{}', 'column ' || v_name,
                                                       'x.j'),
                                   _recon.column_type_sql(v_ws.relid, v_name));
    END LOOP;
    RETURN jsonb_build_object(
        'ledger', v_ledger.name, 'column', v_col, 'offset_wallet', v_writer.offset_wallet,
        'owner_table', v_owner_rel, 'owner_column', v_owner_col, 'key_sql', v_key_sql,
        'key_type', v_key_type, 'columns', v_cols, 'values', v_vals);
END;
$$;

--
-- Name: FUNCTION backfill_target(p_check _recon.check_def, p_wallet_key text, p_wallet_columns jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_target(p_check _recon.check_def, p_wallet_key text, p_wallet_columns jsonb) IS 'Phase 1 of recon.backfill: checks that p_check is a coverage check whose wallet source has a ledger with a double-entry writer, and that the new wallets'' key template (p_wallet_key) and other columns (p_wallet_columns) are good (RC309 otherwise). Returns what the later phases use: {"ledger", "column" (the balance column it posts to), "offset_wallet", "owner_table" (oid), "owner_column", "key_sql", "key_type", "columns", "values" (SQL fragments)}.';

--
-- Name: backfill_verify(bigint, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.backfill_verify(p_stage bigint, p_wallet_source text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_balance _recon.check_def;
    v_found text;
    v_bad text;
BEGIN
    FOR v_balance IN SELECT c.* FROM _recon.check_def AS c
                     WHERE c.kind = 'balance' AND c.enabled AND c.wallet_source = p_wallet_source
                     ORDER BY c.name LOOP
        EXECUTE format('SELECT string_agg(r.check_name || '' '' || r.finding_key, ''; '') '
                       || 'FROM (%s) AS r', _recon.recheck_sql(v_balance))
        INTO v_found USING ARRAY(SELECT s.wallet_key FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage AND s.status = 'applied');
        v_bad := NULLIF(concat_ws('; ', v_bad, v_found), '');
    END LOOP;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail('RC307', 'the backfill did not verify; nothing was applied',
                            v_bad, 'Check the writer (recon.register_writer) and try again.');
    END IF;
END;
$$;

--
-- Name: FUNCTION backfill_verify(p_stage bigint, p_wallet_source text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.backfill_verify(p_stage bigint, p_wallet_source text) IS 'Phase 3 of recon.backfill, after the opening entries were posted: every enabled balance check of the wallet source is run again for the new wallets; a finding fails the call (RC307) and so applies nothing.';

--
-- Name: balance_agg_sql(jsonb, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.balance_agg_sql(p_options jsonb, p_where text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_cols text[] := _recon.balance_columns(p_options);
    v_names text[] := _recon.check_ledgers(p_options);
    v_name text;
    v_raw _recon.ledger_source;
    v_ledger _recon.ledger_source;
    v_sums text;
    v_unmapped text;
    v_folded boolean;
    v_balances name[];
    v_parts text[] := ARRAY[]::text[];
BEGIN
    FOREACH v_name IN ARRAY v_names LOOP
        v_raw := _recon.ledger(v_name);
        v_ledger := _recon.legs(v_raw);
        v_unmapped := _recon.unmapped_sql(v_ledger, 'l');
        -- Legs with sides and no rules carry their signed effects (effect_<i>, _recon.legs_sql):
        -- the kind is a constant per branch, so each branch has done the effect's CASE.
        v_folded := v_raw.shape <> 'entries' AND v_raw.kinds IS NULL;
        v_balances := (_recon.wallet(v_raw.wallet_source)).balance_columns;
        IF v_folded AND NOT EXISTS (
            SELECT FROM _recon.ledger_shape AS s
            CROSS JOIN LATERAL jsonb_array_elements(s.legs) AS g
            WHERE s.shape = v_raw.shape
              AND NOT EXISTS (SELECT FROM jsonb_each(v_raw.effects) AS c
                              WHERE c.value ? (g ->> 'side'))) THEN
            v_unmapped := 'FALSE';  -- every side maps to an effect: no leg can be unmapped
        END IF;
        SELECT string_agg(format(', sum(%s) AS s%s', CASE
            WHEN v_folded AND v_raw.effects ? c AND array_position(v_balances, c::name) IS NOT NULL
                THEN format('l.%I', 'effect_' || array_position(v_balances, c::name))
            ELSE _recon.effect_sql(v_ledger, c, 'l') END, i), '' ORDER BY i)
        INTO v_sums
        FROM unnest(v_cols) WITH ORDINALITY AS u (c, i);
        v_parts := v_parts || format(
            'SELECT l.wallet AS k, count(*) AS n, count(l.amount) AS n_amount, '
            || '%1$s AS n_bad%2$s FROM %3$s AS l WHERE (%4$s) %5$sGROUP BY l.wallet',
            -- a signed ledger, or one whose every side maps, has nothing to map: no per-leg
            -- work for it
            CASE WHEN v_unmapped = 'FALSE' THEN '0::bigint'
                 ELSE format('count(*) FILTER (WHERE %s)', v_unmapped) END,
            v_sums, _recon.legs_sql(v_raw), p_where,
            -- A serial plan for one-sided ledgers (docs/PERFORMANCE.md): a parallel-unsafe
            -- call, evaluated once as an InitPlan, keeps the planner from a parallel one, which
            -- lost at ~10 entries per wallet. Built in, so that no compiled view depends on a
            -- toolkit function (which uninstall must be able to drop). Legs of several sides
            -- (a UNION ALL) are left to the planner: its parallel plan, partial hash aggregates
            -- merged sorted, is what a hand-written query over both legs gets, and won there.
            CASE WHEN v_raw.shape = 'entries'
                 THEN 'AND (SELECT pg_catalog.current_schemas(FALSE)) IS NOT NULL ' ELSE '' END
        );
    END LOOP;
    IF cardinality(v_parts) = 1 THEN
        RETURN v_parts[1];
    END IF;
    -- Several ledgers feed the wallets: each aggregated on its own, then added per wallet.
    RETURN format(
        'SELECT u.k, sum(u.n)::bigint AS n, sum(u.n_amount)::bigint AS n_amount, '
        || 'sum(u.n_bad)::bigint AS n_bad%s FROM (%s) AS u GROUP BY u.k',
        (SELECT string_agg(format(', sum(u.s%1$s) AS s%1$s', i), '' ORDER BY i)
         FROM generate_series(1, cardinality(v_cols)) AS i),
        array_to_string(v_parts, ' UNION ALL ')
    );
END;
$_$;

--
-- Name: FUNCTION balance_agg_sql(p_options jsonb, p_where text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.balance_agg_sql(p_options jsonb, p_where text) IS 'SQL aggregating a balance check''s ledgers per wallet: k, n (legs), n_amount (non-NULL amounts), n_bad (unmapped legs), s1..sN (sum of effects per checked column), over the legs (_recon.legs_sql) matching p_where (an SQL condition on alias l, in the legs'' canonical column names). Several ledgers are aggregated each on its own, then added per wallet. A one-sided ledger is aggregated serially (a parallel-unsafe InitPlan); legs with sides and no rules are summed from their folded effects (effect_<i>), with no unmapped count when every side maps, and planned freely (docs/PERFORMANCE.md "Ledger shapes").';

--
-- Name: balance_columns(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.balance_columns(p_options jsonb) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ledgers text[] := _recon.check_ledgers(p_options);
    v_wallet _recon.wallet_source := _recon.wallet((_recon.ledger(v_ledgers[1])).wallet_source);
    v_cols text[];
    v_col text;
BEGIN
    IF p_options ? 'columns' THEN
        IF jsonb_typeof(p_options -> 'columns') <> 'array'
            OR jsonb_array_length(p_options -> 'columns') = 0
            OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> 'columns') AS e
                       WHERE jsonb_typeof(e) <> 'string')
            OR (SELECT count(DISTINCT e) <> count(*)
                FROM jsonb_array_elements(p_options -> 'columns') AS e) THEN
            PERFORM _recon.fail('RC106',
                                '"columns" must be a non-empty array of distinct column names',
                                format('Got %s.', p_options -> 'columns'),
                                'E.g. ["available", "on_hold"], or leave it out for all.');
        END IF;
        v_cols := ARRAY(SELECT jsonb_array_elements_text(p_options -> 'columns'));
    ELSE  -- every balance column the ledgers move
        v_cols := ARRAY(SELECT c FROM unnest(v_wallet.balance_columns) AS c
                        WHERE EXISTS (SELECT FROM _recon.ledger_source AS l
                                      WHERE l.name = ANY (v_ledgers) AND l.effects ? c));
    END IF;
    FOREACH v_col IN ARRAY v_cols LOOP
        IF v_col <> ALL (v_wallet.balance_columns) THEN
            PERFORM _recon.fail(
                'RC102', format('%L is not a balance column of wallet source %s', v_col,
                                v_wallet.name),
                format('Balance columns: %s.', array_to_string(v_wallet.balance_columns, ', ')),
                'Fix "columns", or leave it out to check every column the ledger moves.'
            );
        END IF;
    END LOOP;
    RETURN v_cols;
END;
$$;

--
-- Name: FUNCTION balance_columns(p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.balance_columns(p_options jsonb) IS 'The balance columns a balance check compares: "columns" (RC106 unless a non-empty array of distinct names), else every column the ledger moves; RC102 for one that is not a balance column.';

--
-- Name: balance_findings_sql(text, jsonb, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.balance_findings_sql(p_name text, p_options jsonb, p_from text, p_join text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger((_recon.check_ledgers(p_options))[1]);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    -- per wallet, its currency's tolerance (the wallet's currency column, else the check's)
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency',
        CASE WHEN v_wallet.currency_column IS NOT NULL
             THEN format('w.%I::text', v_wallet.currency_column) END, 0);
    v_values text;
BEGIN
    -- the stored balances in major units, exactly, when they hold minor units
    SELECT string_agg(format('(%L, %s::numeric, COALESCE(e.s%s, 0)::numeric)', c,
                             _recon.major_sql(v_wallet.balance_scale, format('w.%I', c), 'w'), i),
                      ', ' ORDER BY i)
    INTO v_values
    FROM unnest(_recon.balance_columns(p_options)) WITH ORDINALITY AS u (c, i);
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       COALESCE(w.%2$I::text, e.k::text) AS wallet_key,
       v.stored,
       v.expected,
       v.stored - v.expected AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           -- an unknown wallet is one finding, whatever its columns (acknowledged once)
           'item', CASE WHEN w.%2$I IS NOT NULL THEN v.col END,
           'column', v.col,
           'label', %9$s,%10$s
           'entries', COALESCE(e.n, 0),
           'null_amounts', NULLIF(e.n - e.n_amount, 0),
           'unmapped_entries', NULLIF(e.n_bad, 0),
           'cause', CASE
               WHEN w.%2$I IS NULL THEN 'unknown_wallet'
               WHEN e.n_bad > 0 THEN 'unmapped_entry_type'
               WHEN e.n > e.n_amount OR v.expected IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_amount'
               WHEN v.stored IS NULL OR v.stored IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_balance'
               WHEN e.n IS NULL THEN 'no_ledger_entries'
           END
       )) AS details
FROM %3$s
%4$s JOIN %5$s AS w ON w.%2$I = e.k
CROSS JOIN LATERAL (VALUES %6$s) AS v (col, stored, expected)
WHERE CASE WHEN w.%2$I IS NULL THEN v.col = %8$L
           ELSE e.n > e.n_amount
                OR e.n_bad > 0
                OR v.stored IS NULL
                OR v.stored IN ('NaN', 'Infinity', '-Infinity')
                OR v.expected IN ('NaN', 'Infinity', '-Infinity')
                OR abs(v.stored - v.expected) > %7$s END$sql$,
        p_name, v_wallet.key_column, p_from, p_join, v_wallet.relid::regclass, v_values, v_tol,
        (_recon.balance_columns(p_options))[1],
        _recon.column_sql('w', v_wallet.label_column, 'text'),
        -- float amounts or balances: said on each finding (also in incremental runs)
        CASE WHEN cardinality(_recon.check_floats(p_options)) > 0
             THEN E'\n           ''float_amounts'', TRUE,' ELSE '' END
    );
END;
$_$;

--
-- Name: FUNCTION balance_findings_sql(p_name text, p_options jsonb, p_from text, p_join text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.balance_findings_sql(p_name text, p_options jsonb, p_from text, p_join text) IS 'The findings of a balance check, from p_from (per-wallet aggregates named e: k, n, n_amount, n_bad, s1..sN; n NULL for a wallet without entries) joined (p_join: FULL or LEFT) to the wallets: one per wallet and column, one per unknown wallet (keyed by the wallet alone, its first column shown), stored balances of minor units read in major units (_recon.major_sql), "float_amounts" on each finding of a check reading floats. Full and incremental runs share it, so they judge a wallet the same way.';

--
-- Name: balance_full(_recon.check_def, bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.balance_full(p_check _recon.check_def, p_run bigint) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_unsupported text := _recon.incremental_unsupported(v_ledger);
    v_cols integer := cardinality(_recon.balance_columns(p_check.options));
    v_bound numeric;
    v_rows bigint;
    v_wallet_rows bigint;
    v_sums text;
    v_combined text;
    v_wallets_xmin xid8;
    v_ledger_storage jsonb;
    v_wallet_storage jsonb;
    v_parents_storage jsonb;
BEGIN
    -- Where no watermark can be set, the caller runs the check's view (and says why).
    IF v_unsupported IS NOT NULL
       OR jsonb_typeof(p_check.options -> 'ledger') = 'array' THEN
        DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
        DELETE FROM _recon.balance_state AS s WHERE s.check_name = p_check.name;
        RETURN COALESCE(v_unsupported,
                        'the check sums several ledgers, each with its own ordering');
    END IF;
    -- Below, a run that cannot set a new watermark leaves the previous one and its state as
    -- they were: this run changed no data, and the next incremental run judges that watermark
    -- on what changed since it was set.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN format('the run is at %s isolation: entries committed below the bound while it '
                      || 'waits are not in its snapshot; no new watermark',
                      upper(current_setting('transaction_isolation')));
    END IF;
    -- The storage first: a change after this point is seen by the next run (never missed).
    v_ledger_storage := _recon.incremental_storage(v_ledger.relid);
    v_wallet_storage := _recon.incremental_storage(v_wallet.relid);
    v_parents_storage := _recon.incremental_parents_storage(v_ledger);
    -- The bound: the highest ordering id now; once every transaction open now is over, every
    -- entry up to it is settled (docs/INCREMENTAL.md, "Which order_by proves the bookmark").
    EXECUTE format('SELECT max(l.%I) FROM %s AS l', v_ledger.order_column,
                   v_ledger.relid::regclass) INTO v_bound;
    v_bound := COALESCE(v_bound, -1e30);  -- an empty ledger: below any id
    IF NOT _recon.wait_for_transactions(interval '10 seconds') THEN
        RETURN 'transactions in flight did not finish within 10 s; no new watermark';
    END IF;
    -- where the next incremental run starts looking for written wallet and parent rows
    v_wallets_xmin := pg_snapshot_xmin(pg_current_snapshot());
    DELETE FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
    DELETE FROM _recon.balance_state AS s WHERE s.check_name = p_check.name;

    -- One statement, one snapshot, one pass over the settled entries (a): they are the new
    -- state, and, with the few entries above the bound (t, by the ordering index), the sums
    -- the findings are judged on, by the very SQL of the check's view
    -- (_recon.balance_findings_sql, FULL JOIN to the wallets).
    SELECT string_agg('a.s' || i, ', ' ORDER BY i) INTO v_sums FROM generate_series(1, v_cols) AS i;
    SELECT string_agg(format(', CASE WHEN a.n IS NULL AND t.n IS NULL THEN NULL '
                             || 'ELSE COALESCE(a.s%1$s, 0) + COALESCE(t.s%1$s, 0) END AS s%1$s', i),
                      '' ORDER BY i)
    INTO v_combined FROM generate_series(1, v_cols) AS i;
    EXECUTE format($q$
        WITH a AS MATERIALIZED (%1$s),
        t AS MATERIALIZED (%2$s),
        -- a row per summed key and per wallet (n = 0 without entries): has_wallet tells the
        -- next run which keys were wallets
        st AS (
            INSERT INTO _recon.balance_state
                (check_name, wallet_key, n, n_amount, n_bad, sums, has_wallet)
            SELECT %3$L, COALESCE(a.k, w.%6$I)::text, COALESCE(a.n, 0), COALESCE(a.n_amount, 0),
                   COALESCE(a.n_bad, 0), ARRAY[%4$s]::numeric[], w.%6$I IS NOT NULL
            FROM a FULL JOIN %7$s AS w ON w.%6$I = a.k
            ORDER BY 2  -- in key order: each index entry goes to the rightmost page
            RETURNING has_wallet
        ),
        staged AS (
            INSERT INTO _recon.run_stage
                (run_id, check_name, finding_key, wallet_key, stored, expected, difference,
                 details, cause)
            SELECT $1, f.check_name,
                   concat_ws('/', COALESCE(f.wallet_key, '-'), f.details ->> 'item'),
                   f.wallet_key, f.stored, f.expected, f.difference, f.details,
                   f.details ->> 'cause'
            FROM (%5$s) AS f
            RETURNING 1
        )
        SELECT count(*), count(*) FILTER (WHERE st.has_wallet) FROM st$q$,
        _recon.balance_agg_sql(p_check.options, format('l.ord <= %s', v_bound)),
        _recon.balance_agg_sql(p_check.options, format('l.ord > %s', v_bound)),
        p_check.name, v_sums,
        _recon.balance_findings_sql(p_check.name, p_check.options, format(
            '(SELECT COALESCE(a.k, t.k) AS k, '
            || 'COALESCE(a.n, 0) + COALESCE(t.n, 0) AS n, '
            || 'COALESCE(a.n_amount, 0) + COALESCE(t.n_amount, 0) AS n_amount, '
            || 'COALESCE(a.n_bad, 0) + COALESCE(t.n_bad, 0) AS n_bad%s '
            || 'FROM a FULL JOIN t ON t.k = a.k) AS e', v_combined), 'FULL'),
        v_wallet.key_column, v_wallet.relid::regclass
    ) INTO v_rows, v_wallet_rows USING p_run;

    INSERT INTO _recon.balance_state_mark AS g (check_name, run_id) VALUES (p_check.name, p_run)
    ON CONFLICT (check_name) DO UPDATE SET run_id = excluded.run_id;
    INSERT INTO _recon.watermark (
        check_name, run_id, compiled_md5, order_bound, snapshot_xmin, ledger_relfilenode,
        wallet_relfilenode, ledger_changes, wallet_deletes, state_rows, ledger_storage,
        wallet_storage, parents_storage, wallet_rows
    ) VALUES (
        p_check.name, p_run, md5(p_check.compiled_sql), v_bound, v_wallets_xmin,
        (SELECT c.relfilenode FROM pg_class AS c WHERE c.oid = v_ledger.relid),
        (SELECT c.relfilenode FROM pg_class AS c WHERE c.oid = v_wallet.relid),
        (v_ledger_storage ->> 'updated')::bigint + (v_ledger_storage ->> 'deleted')::bigint,
        (v_wallet_storage ->> 'deleted')::bigint, v_rows, v_ledger_storage, v_wallet_storage,
        v_parents_storage, v_wallet_rows
    );
    RETURN NULL;
END;
$_$;

--
-- Name: FUNCTION balance_full(p_check _recon.check_def, p_run bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.balance_full(p_check _recon.check_def, p_run bigint) IS 'A full run of a balance check that also leaves its incremental state, from one pass over the ledger: the settled entries (up to the highest ordering id, once the transactions in flight are over) are summed once, stored as the new state and, with the entries above the bound, judged by the check''s own SQL into the run''s findings. Returns NULL (findings staged, watermark set), or why it cannot (nothing staged, the previous watermark kept unless the ledger can never run incrementally): the caller then runs the check''s view.';

--
-- Name: balance_increment(_recon.check_def, bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.balance_increment(p_check _recon.check_def, p_run bigint) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
    -- A transaction still open after a second (a session idle in a transaction, a long
    -- writer): the bound stays where it was, settled; every entry above it is summed on the
    -- fly in step 3, as entries above a new bound are. Incremental all the same, never full.
    IF NOT _recon.wait_for_transactions(interval '1 second') THEN
        v_bound := v_wm.order_bound;
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
    RETURN NULL;
END;
$_$;

--
-- Name: FUNCTION balance_increment(p_check _recon.check_def, p_run bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.balance_increment(p_check _recon.check_def, p_run bigint) IS 'Runs a balance check incrementally into the current run''s findings and advances its watermark; returns NULL, or the reason it cannot (the caller then runs the check in full). Its result equals a full run''s: docs/INCREMENTAL.md gives the argument and its limits.';

--
-- Name: base_table(oid); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.base_table(p_view oid) RETURNS oid
    LANGUAGE sql STABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- automatically updatable (one FROM item, no aggregate, DISTINCT, set operation or LIMIT),
    -- no subquery (its rows could depend on another table or on other rows) and exactly one
    -- table or partitioned table behind it
    SELECT min(d.refobjid)
    FROM pg_catalog.pg_class AS v
    JOIN pg_catalog.pg_rewrite AS r ON r.ev_class = v.oid
    JOIN pg_catalog.pg_depend AS d
        ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
       AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> v.oid
    WHERE v.oid = p_view AND v.relkind = 'v'
      AND pg_catalog.pg_relation_is_updatable(v.oid, FALSE) & 28 = 28
      AND r.ev_action::text LIKE '%:hasSubLinks false%'
    HAVING count(DISTINCT d.refobjid) = 1
       AND (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = min(d.refobjid))
           IN ('r', 'p');
$$;

--
-- Name: FUNCTION base_table(p_view oid); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.base_table(p_view oid) IS 'The base table of a simple view (automatically updatable, no subquery, over exactly one table or partitioned table), or NULL for any other view and for anything that is not a view. Incremental mode and guards read such a view through its base table.';

--
-- Name: check(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon."check"(p_name text) RETURNS _recon.check_def
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_check _recon.check_def;
BEGIN
    SELECT c.* INTO v_check FROM _recon.check_def AS c WHERE c.name = p_name;
    IF NOT FOUND THEN
        PERFORM _recon.fail('RC107', format('unknown check %L', p_name),
                            'No check of that name is registered.',
                            'SELECT name FROM recon.checks; lists them.');
    END IF;
    RETURN v_check;
END;
$$;

--
-- Name: FUNCTION "check"(p_name text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon."check"(p_name text) IS 'The registered check of that name; RC107 if none.';

--
-- Name: check_floats(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.check_floats(p_options jsonb) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- Every (table, column) of money the check's options name or its sources register: the
    -- ledgers' amounts and running balances, their wallet sources' balances, the tables of a
    -- derived, total, coverage or orphan check. Those of type real or double precision.
    RETURN (WITH ledgers AS (
        SELECT l.* FROM _recon.ledger_source AS l
        WHERE l.name = p_options ->> 'ledger'
           OR (jsonb_typeof(p_options -> 'ledger') = 'array' AND p_options -> 'ledger' ? l.name)
    ), wallets AS (
        SELECT w.* FROM _recon.wallet_source AS w
        WHERE w.name = p_options ->> 'wallet' OR w.name IN (SELECT wallet_source FROM ledgers)
    ), money (relid, col) AS (
        SELECT l.relid, l.amount_column::text FROM ledgers AS l
        UNION ALL SELECT l.relid, l.balance_after_column FROM ledgers AS l
        UNION ALL SELECT l.relid, a.value #>> '{}' FROM ledgers AS l,
                                                   jsonb_each(l.after_columns) AS a
        UNION ALL SELECT w.relid, b FROM wallets AS w, unnest(w.balance_columns) AS b
        UNION ALL SELECT w.relid, p_options ->> 'column' FROM wallets AS w
        UNION ALL SELECT to_regclass(p_options ->> 'table'), c
                  FROM unnest(ARRAY[p_options ->> 'amount_column', p_options ->> 'value_column',
                                    p_options ->> 'minus_column']) AS c
        UNION ALL SELECT to_regclass(p_options ->> 'owner_table'), p_options ->> 'owner_balance'
        UNION ALL SELECT to_regclass(p_options -> s ->> 'table'), p_options -> s ->> 'column'
                  FROM unnest(ARRAY['stored', 'expected']) AS s
                  WHERE jsonb_typeof(p_options -> s) = 'object'
    )
    SELECT COALESCE(array_agg(DISTINCT format('%s.%I (%s)', m.relid::regclass, m.col,
                                              _recon.column_type(m.relid, m.col::name))),
                    ARRAY[]::text[])
    FROM money AS m
    WHERE m.relid IS NOT NULL AND m.col IS NOT NULL
      AND _recon.column_type(m.relid, m.col::name)
          IN ('real'::regtype, 'double precision'::regtype));
END;
$$;

--
-- Name: FUNCTION check_floats(p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.check_floats(p_options jsonb) IS 'The amount and balance columns of type real or double precision a check with options p_options reads ("table.column (type)"): its ledgers'' amounts and running balances, their wallet sources'' balances, the wallet source and the tables a derived, total, coverage or orphan check names. Empty when none. Their findings carry "float_amounts" (docs/CHECKS.md "Minor units").';

--
-- Name: check_ledgers(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.check_ledgers(p_options jsonb) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_names text[];
    v_wallets text[];
BEGIN
    IF jsonb_typeof(p_options -> 'ledger') IS DISTINCT FROM 'array' THEN
        RETURN ARRAY[(_recon.ledger(p_options ->> 'ledger')).name];
    END IF;
    IF jsonb_array_length(p_options -> 'ledger') = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> 'ledger') AS e
                   WHERE jsonb_typeof(e) <> 'string')
        OR (SELECT count(DISTINCT e) <> count(*)
            FROM jsonb_array_elements(p_options -> 'ledger') AS e) THEN
        PERFORM _recon.fail('RC106', '"ledger" must be a name or a list of distinct names',
                            format('Got %s.', p_options -> 'ledger'),
                            'E.g. "entries", or ["entries", "fees"] for a balance check.');
    END IF;
    v_names := ARRAY(SELECT jsonb_array_elements_text(p_options -> 'ledger'));
    SELECT array_agg(DISTINCT (_recon.ledger(n)).wallet_source) INTO v_wallets
    FROM unnest(v_names) AS n;
    IF cardinality(v_wallets) > 1 THEN
        PERFORM _recon.fail('RC106', 'the ledgers of one check move different wallet sources',
                            format('Wallet sources: %s.', array_to_string(v_wallets, ', ')),
                            'List ledgers of one wallet source, or register one check each.');
    END IF;
    RETURN v_names;
END;
$$;

--
-- Name: FUNCTION check_ledgers(p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.check_ledgers(p_options jsonb) IS 'The ledger sources a check reads: its "ledger" option, one name or (balance checks) a list of ledgers that move the same wallet source, summed together. RC106 for a bad list, RC107 for an unknown ledger.';

--
-- Name: check_name(text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.check_name(p_what text, p_name text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
    IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_]{0,39}$' THEN
        PERFORM _recon.fail(
            'RC105', format('invalid %s name %L', p_what, p_name),
            'Names start with a lower-case letter and hold lower-case letters, digits and _; '
            || 'at most 40 characters.',
            'Choose a name like wallets, main_ledger or wallet_balance.'
        );
    END IF;
    RETURN p_name;
END;
$_$;

--
-- Name: FUNCTION check_name(p_what text, p_name text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.check_name(p_what text, p_name text) IS 'Returns the name if it is a valid source or check name, else raises RC105.';

--
-- Name: check_options(text, jsonb, text[], text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.check_options(p_what text, p_options jsonb, p_allowed text[], p_required text[] DEFAULT '{}'::text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_bad text;
BEGIN
    IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
        PERFORM _recon.fail(
            'RC106', format('options of %s must be a JSON object', p_what),
            format('Got %s.', COALESCE(p_options::text, 'NULL')),
            'Pass options as a JSON object, e.g. ''{"ledger": "main"}''.'
        );
    END IF;
    SELECT string_agg(quote_literal(k), ', ' ORDER BY k) INTO v_bad
    FROM jsonb_object_keys(p_options) AS k WHERE k <> ALL (p_allowed);
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC106', format('unknown option %s for %s', v_bad, p_what),
            format('Known options: %s.', array_to_string(p_allowed, ', ')),
            'Check the spelling; docs/CHECKS.md lists every option.'
        );
    END IF;
    SELECT string_agg(quote_literal(k), ', ' ORDER BY k) INTO v_bad
    FROM unnest(p_required) AS k WHERE NOT (p_options ? k) OR p_options -> k = 'null';
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC106', format('option %s is required for %s', v_bad, p_what),
            format('Required options: %s.', array_to_string(p_required, ', ')),
            'docs/CHECKS.md shows an example of every kind.'
        );
    END IF;
    RETURN p_options;
END;
$$;

--
-- Name: FUNCTION check_options(p_what text, p_options jsonb, p_allowed text[], p_required text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.check_options(p_what text, p_options jsonb, p_allowed text[], p_required text[]) IS 'Returns the options if they are a JSON object with only known keys and every required key; RC106 otherwise.';

--
-- Name: check_row_currency(text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.check_row_currency(p_kind text, p_ledger text, p_wallet text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- what the compiled check reads and what reconcile gives its findings (stage_currency):
    -- a journal's entries' currency; a wallet's currency for a kind whose findings name one
    -- wallet; a chain without one, its entries'
    SELECT CASE
        WHEN p_kind = 'journal' THEN (
            SELECT format('%s.%s', l.relid::regclass, l.currency_column)
            FROM _recon.ledger_source AS l
            WHERE l.name = p_ledger AND l.currency_column IS NOT NULL)
        ELSE COALESCE(
            (SELECT format('%s.%I', w.relid::regclass, w.currency_column)
             FROM _recon.wallet_source AS w
             JOIN _recon.check_kind AS k ON k.kind = p_kind AND k.wallet_keyed
             WHERE w.name = p_wallet AND w.currency_column IS NOT NULL),
            (SELECT format('%s.%s', l.relid::regclass, l.currency_column)
             FROM _recon.ledger_source AS l
             WHERE p_kind = 'chain' AND l.name = p_ledger AND l.currency_column IS NOT NULL))
    END;
$$;

--
-- Name: FUNCTION check_row_currency(p_kind text, p_ledger text, p_wallet text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.check_row_currency(p_kind text, p_ledger text, p_wallet text) IS 'Names the column a check''s rows take their own currency from, as its compiled SQL and reconcile read it: a journal check''s entries'' currency (the ledger''s currency option); for a kind whose findings name one wallet, the wallet source''s currency column, else for a chain check its entries''; NULL when there is none (the check''s currency option is then the currency of all its amounts). One amount is refused for such a check unless it names its currency (_recon.currency_amounts).';

--
-- Name: column_holds(oid, name, numeric); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.column_holds(p_relid oid, p_column name, p_value numeric) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- numeric(p,s): at most s decimals (a value with more would be rounded) and below 10^(p-s);
    -- the integer types: whole and in range; anything else (numeric, real, double precision):
    -- yes. A domain's own CHECK constraints are not looked at.
    -- A column of minor units (a source's "scale", docs/CHECKS.md "Minor units") holds
    -- p_value, given in major units, as p_value * 10^places. With a per-row scale the row's
    -- scale is not known here: the write itself refuses a value that is not whole (RC321).
    SELECT CASE
        WHEN p_value IS NULL OR x.per_row THEN TRUE
        WHEN x.typ IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
            x.v = trunc(x.v)
            AND x.v BETWEEN CASE x.typ WHEN 'smallint'::regtype THEN -32768
                                       WHEN 'integer'::regtype THEN -2147483648
                                       ELSE -9223372036854775808 END
                        AND CASE x.typ WHEN 'smallint'::regtype THEN 32767
                                       WHEN 'integer'::regtype THEN 2147483647
                                       ELSE 9223372036854775807 END
        WHEN x.typ = 'numeric'::regtype AND x.typmod >= 4 THEN
            x.v = round(x.v, x.scale) AND abs(x.v) < 10::numeric ^ (x.prec - x.scale)
        WHEN x.typ = 'numeric'::regtype AND x.places IS NOT NULL THEN x.v = trunc(x.v)
        ELSE TRUE
    END
    FROM (
        SELECT b.typ, b.typmod, ((b.typmod - 4) >> 16) & 65535 AS prec,
               (((b.typmod - 4) & 2047) # 1024) - 1024 AS scale,  -- PostgreSQL 15: may be < 0
               p_value * COALESCE(('1e' || m.places)::numeric, 1) AS v, m.places, m.per_row
        FROM pg_catalog.pg_attribute AS a
        JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
        CROSS JOIN LATERAL (
            SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)::regtype AS typ,
                   CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END AS typmod
        ) AS b
        LEFT JOIN LATERAL (
            SELECT max((u.sc ->> 'places')::integer) AS places, bool_or(u.sc ? 'column') AS per_row
            FROM (SELECT w.balance_scale AS sc FROM _recon.wallet_source AS w
                  WHERE w.relid = p_relid AND p_column = ANY (w.balance_columns)
                  UNION ALL
                  SELECT l.amount_scale FROM _recon.ledger_source AS l
                  WHERE l.relid = p_relid
                    AND (p_column IN (l.amount_column, l.balance_after_column)
                         OR EXISTS (SELECT FROM jsonb_each_text(l.after_columns) AS e
                                    WHERE e.value = p_column))) AS u
            WHERE u.sc IS NOT NULL
        ) AS m ON TRUE
        WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0
          AND NOT a.attisdropped
    ) AS x;
$$;

--
-- Name: FUNCTION column_holds(p_relid oid, p_column name, p_value numeric); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.column_holds(p_relid oid, p_column name, p_value numeric) IS 'True if the column can hold the value as it is: for numeric(p,s) at most s decimals and below 10^(p-s), for smallint, integer and bigint a whole number in range, for other numeric types always (domains resolved to their base type and modifier). NULL for an unknown column. A column of minor units (a source''s scale) takes p_value in major units: at a fixed scale it must be a whole number of minor units; at a per-row scale the write itself checks (RC321).';

--
-- Name: column_sql(text, name, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.column_sql(p_alias text, p_column name, p_null_type text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN p_column IS NULL THEN 'NULL::' || p_null_type
                ELSE format('%I.%I', p_alias, p_column) END;
$$;

--
-- Name: FUNCTION column_sql(p_alias text, p_column name, p_null_type text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.column_sql(p_alias text, p_column name, p_null_type text) IS 'SQL for an optional ledger column: the quoted alias.column, or NULL cast to p_null_type when the column was not registered (so that max(), array_agg() and jsonb_agg() still know its type).';

--
-- Name: column_type(oid, name); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.column_type(p_relid oid, p_column name) RETURNS regtype
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)::regtype
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped;
$$;

--
-- Name: FUNCTION column_type(p_relid oid, p_column name); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.column_type(p_relid oid, p_column name) IS 'Base type of a column (a domain is resolved to its base type); NULL if there is no such column.';

--
-- Name: column_type_sql(oid, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.column_type_sql(p_relid oid, p_column text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT format_type(a.atttypid, a.atttypmod)
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped;
$$;

--
-- Name: FUNCTION column_type_sql(p_relid oid, p_column text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.column_type_sql(p_relid oid, p_column text) IS 'The declared type of a table column (with its modifier, e.g. numeric(14,2)), as SQL.';

--
-- Name: compile_balance(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_balance(p_name text, p_options jsonb) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT _recon.balance_findings_sql(
        p_name, p_options, '(' || _recon.balance_agg_sql(p_options, 'TRUE') || ') AS e', 'FULL'
    );
$$;

--
-- Name: FUNCTION compile_balance(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_balance(p_name text, p_options jsonb) IS 'Compiles a balance check: each stored balance column against the sum of the ledger''s effects on it, in one pass over the ledger (GROUP BY wallet) fully joined to the wallets. A wallet with no entries and a zero balance is clean; NULL, NaN and infinite values, entries of unknown wallets and unmapped entry types are findings.';

--
-- Name: compile_chain(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_chain(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    -- per entry, its currency's tolerance (the entry's currency option, else the check's)
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', CASE WHEN v_raw.currency_column IS NOT NULL
                                            AND v_wallet.currency_column IS NULL
                                       THEN 'l.currency::text' END, 0);
    v_column text;
    v_after text := 'NULL::numeric';
    v_version text := 'NULL::bigint';
    v_pairs text[][];
    v_parts text[] := ARRAY[]::text[];
BEGIN
    IF v_ledger.order_column IS NULL AND v_ledger.posted_at_column IS NULL THEN
        PERFORM _recon.require_column(v_ledger, NULL, 'order_by', 'chain');
    END IF;
    IF v_ledger.balance_after_column IS NULL AND v_ledger.after_columns IS NULL
        AND v_ledger.version_column IS NULL THEN
        PERFORM _recon.require_column(v_ledger, NULL, 'balance_after', 'chain');
    END IF;
    -- The running balances checked: one per balance column when registered as a map (each
    -- chain on its own), else the one running balance, following the check's "column".
    IF v_ledger.after_columns IS NOT NULL THEN
        IF p_options ? 'column' AND NOT v_ledger.after_columns ? (p_options ->> 'column') THEN
            PERFORM _recon.fail('RC102', format('ledger %s has no running balance of column %L',
                                                v_ledger.name, p_options ->> 'column'),
                                format('Running balances: %s.', v_raw.after_columns),
                                'Set "column" to one of them, or leave it out for all.');
        END IF;
        SELECT array_agg(ARRAY[a.key, format('l.%I::numeric', a.value)] ORDER BY a.key)
        INTO v_pairs FROM jsonb_each_text(v_ledger.after_columns) AS a
        WHERE NOT p_options ? 'column' OR a.key = p_options ->> 'column';
    ELSE
        v_column := COALESCE(p_options ->> 'column', (
            SELECT c FROM unnest(v_wallet.balance_columns) AS c WHERE v_ledger.effects ? c LIMIT 1
        ));
        IF NOT v_ledger.effects ? v_column THEN
            PERFORM _recon.fail('RC102', format('ledger %s does not move column %L', v_ledger.name,
                                                v_column),
                                'The running balance follows one balance column.',
                                'Set "column" to a column the ledger moves.');
        END IF;
        IF v_ledger.balance_after_column IS NOT NULL THEN
            v_after := format('l.%I::numeric', v_ledger.balance_after_column);
        END IF;
        v_pairs := ARRAY[ARRAY[v_column, CASE WHEN v_ledger.balance_after_column IS NOT NULL
                                              THEN v_after END]];
    END IF;
    IF v_ledger.version_column IS NOT NULL THEN
        v_version := format('l.%I::bigint', v_ledger.version_column);
    END IF;
    -- x: each entry with the previous running balance; y: its difference and the previous
    -- entry's. An entry whose difference exactly cancels the previous one is the far side of a
    -- single mis-recorded running balance, not a second break: the break is reported once.
    FOR v_i IN 1 .. array_length(v_pairs, 1) LOOP
        v_parts := v_parts || format(
        $sql$SELECT %1$L::text AS check_name,
       y.k::text AS wallet_key,
       y.after AS stored,
       (y.prev + y.eff)::numeric AS expected,
       y.diff AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', y.entry::text%12$s,
           'column', %13$L,
           'entry', y.entry,
           'position', y.pos,
           'posted_at', y.posted_at,
           'previous_balance', y.prev,
           'amount', y.eff,
           'version', y.ver,
           'previous_version', y.prev_ver,
           'cause', CASE
               WHEN NOT y.broken THEN 'version_gap'
               WHEN y.after IS NULL OR y.after IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_balance'
               WHEN y.eff IS NULL OR y.eff IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_amount'
               ELSE 'chain_break'
           END
       )) AS details
FROM (
    SELECT x.*,
           x.has_after AND (x.after IS NULL OR x.eff IS NULL OR abs(x.diff) > x.tol
                            OR x.after IN ('NaN', 'Infinity', '-Infinity')) AS broken,
           lag(x.diff) OVER w AS prev_diff
    FROM (
        SELECT l.%3$I AS k,
               %4$s AS entry,
               %5$s AS posted_at,
               (%6$s)::numeric AS eff,
               %7$s AS after,
               %8$s AS has_after,
               COALESCE(lag(%7$s) OVER w, 0) AS prev,
               (%7$s - (COALESCE(lag(%7$s) OVER w, 0) + (%6$s)))::numeric AS diff,
               row_number() OVER w AS pos,
               %9$s AS ver,
               lag(%9$s) OVER w AS prev_ver,
               %2$s AS tol
        FROM %10$s AS l
        WINDOW w AS (PARTITION BY l.%3$I ORDER BY %11$s)
    ) AS x
    WINDOW w AS (PARTITION BY x.k ORDER BY x.pos)
) AS y
WHERE (y.broken AND NOT COALESCE(abs(y.prev_diff) > y.tol
                                  AND abs(y.diff + y.prev_diff) <= y.tol, FALSE))
   OR y.ver IS DISTINCT FROM COALESCE(y.prev_ver + 1, y.ver)$sql$,
        p_name, v_tol, v_ledger.wallet_column, _recon.entry_name_sql(v_ledger, 'l'),
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'),
        _recon.effect_sql(v_ledger, v_pairs[v_i][1], 'l'),
        COALESCE(v_pairs[v_i][2], 'NULL::numeric'),
        CASE WHEN v_pairs[v_i][2] IS NULL THEN 'FALSE' ELSE 'TRUE' END,
        -- version gaps are the entry's, not a column's: reported once, with the first chain
        CASE WHEN v_i = 1 THEN v_version ELSE 'NULL::bigint' END,
        _recon.legs_sql(v_raw), _recon.entry_order_sql(v_ledger, 'l'),
        -- several chains: the item names the column, so each break is its own finding
        CASE WHEN v_ledger.after_columns IS NULL THEN ''
             ELSE format(' || %L', '/' || v_pairs[v_i][1]) END,
        v_pairs[v_i][1]
        );
    END LOOP;
    RETURN array_to_string(v_parts, E'\nUNION ALL\n');
END;
$_$;

--
-- Name: FUNCTION compile_chain(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_chain(p_name text, p_options jsonb) IS 'Compiles a chain check: per wallet, in entry order, balance_after must equal the previous balance_after plus the entry''s effect (the first entry starts from 0), and a version column must go up by one. Each break is reported at the entry where it happens.';

--
-- Name: check_kind; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.check_kind (
    kind text NOT NULL,
    options text[] DEFAULT '{}'::text[] NOT NULL,
    required text[] DEFAULT '{}'::text[] NOT NULL,
    compiler text NOT NULL,
    strategies text[] DEFAULT '{none,acknowledge}'::text[] NOT NULL,
    cause_roles text[] DEFAULT '{}'::text[] NOT NULL,
    user_query boolean DEFAULT false NOT NULL,
    description text NOT NULL,
    wallet_keyed boolean DEFAULT false NOT NULL,
    CONSTRAINT check_kind_cause_roles CHECK ((cause_roles <@ ARRAY['explained'::text, 'payment'::text, 'amount'::text, 'break'::text, 'total'::text, 'missing_wallet'::text, 'pattern'::text])),
    CONSTRAINT check_kind_name_format CHECK ((kind ~ '^[a-z][a-z0-9_]{0,39}$'::text)),
    CONSTRAINT check_kind_required_allowed CHECK ((required <@ options)),
    CONSTRAINT check_kind_strategies CHECK (((cardinality(strategies) > 0) AND (strategies <@ ARRAY['resync'::text, 'adjust'::text, 'move'::text, 'post_missing'::text, 'reverse'::text, 'resolve'::text, 'acknowledge'::text, 'none'::text])))
);

--
-- Name: TABLE check_kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.check_kind IS 'The check kinds recon.register_check() knows, one row each: the options a check of the kind takes, its compiler, its repair strategies and its part in reconcile''s causes. Adding a kind is one compiler function and one row (docs/CHECKS.md, "Adding a check kind"); read it as recon.kinds.';

--
-- Name: COLUMN check_kind.kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.kind IS 'Kind name, as register_check takes it: lower case, digits, _; at most 40.';

--
-- Name: COLUMN check_kind.options; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.options IS 'Options a check of this kind takes, besides the common ones (tolerance, low_limit, high_wallets, critical_wallets, pattern_wallets, currency); any other key is RC106.';

--
-- Name: COLUMN check_kind.required; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.required IS 'Options that must be given (not null); a subset of options.';

--
-- Name: COLUMN check_kind.compiler; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.compiler IS 'Schema-qualified name of the function compiler(p_name text, p_options jsonb) RETURNS text that compiles a check to the SELECT of its view (the common row shape, docs/CHECKS.md §3).';

--
-- Name: COLUMN check_kind.strategies; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.strategies IS 'The repairs recon.fix() can apply to its findings, the default first (docs/REPAIRS.md); none and acknowledge fit every kind, the others only findings shaped as the built-in kind they were written for.';

--
-- Name: COLUMN check_kind.cause_roles; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.cause_roles IS 'Its part in reconcile''s causes (docs/CHECKS.md §4): explained (a finding whose cause is looked for in another finding on the same wallet), payment, amount, break (explains such a finding: by payments summing to minus it, by the same absolute amount, by any break on the wallet; tried in that order), total (a total explained by missing wallets), missing_wallet (explains a total by what its findings expect), pattern (a cause shared by pattern_wallets wallets makes its findings CRITICAL: the cause explains rather than defines them).';

--
-- Name: COLUMN check_kind.user_query; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.user_query IS 'The compiled SQL is the user''s own query (custom): bound on the caller''s search_path, RC110 when it does not compile, refused when it would run another role''s code as the toolkit owner, never compiled again by an upgrade, its details not read as the toolkit''s.';

--
-- Name: COLUMN check_kind.description; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.description IS 'What its findings are, in one line.';

--
-- Name: COLUMN check_kind.wallet_keyed; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.check_kind.wallet_keyed IS 'Its findings'' wallet_key is a key of the check''s wallet source (not an owner, not the user''s own value): reconcile gives such a finding its wallet''s currency (the wallet source''s currency column).';

--
-- Name: compile_check(_recon.check_kind, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_check(p_kind _recon.check_kind, p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_proc regprocedure;
    v_call text;
    v_sql text;
BEGIN
    -- 1. The compiler the row names: compiler(text, jsonb) RETURNS text, schema-qualified.
    BEGIN
        v_proc := to_regprocedure(format('%s(text, jsonb)', p_kind.compiler));
    EXCEPTION WHEN OTHERS THEN
        v_proc := NULL;  -- a malformed name (PostgreSQL before 16 raises on some)
    END;
    SELECT format('%I.%I', n.nspname, p.proname) INTO v_call
    FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE p.oid = v_proc AND p.prorettype = 'text'::regtype AND p.prokind = 'f';
    IF v_call IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('check kind %L has no compiler %s(text, jsonb) returning text',
                            p_kind.kind, p_kind.compiler),
            format('_recon.check_kind names %L as its compiler.', p_kind.compiler),
            'Create the function, or correct the row (docs/CHECKS.md, "Adding a check kind").'
        );
    END IF;
    -- 2. Called with the check's name and options (table names already schema-qualified).
    EXECUTE format('SELECT %s($1, $2)', v_call) INTO v_sql USING p_name, p_options;
    -- 3. A check reading float amounts or balances says so on each finding (docs/CHECKS.md
    --    "Minor units"); any other check's SQL is the compiler's, unchanged.
    IF cardinality(_recon.check_floats(p_options)) > 0 THEN
        v_sql := format('SELECT f.check_name, f.wallet_key, f.stored, f.expected, f.difference, '
                        || 'f.details || %L::jsonb AS details FROM (%s) AS f',
                        jsonb_build_object('float_amounts', TRUE), v_sql);
    END IF;
    RETURN v_sql;
END;
$_$;

--
-- Name: FUNCTION compile_check(p_kind _recon.check_kind, p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_check(p_kind _recon.check_kind, p_name text, p_options jsonb) IS 'Compiles a check with its kind''s compiler (_recon.check_kind.compiler, called as compiler(p_name, p_options)) and returns the SELECT of its view; RC106 if the kind names no such function; a check reading float amounts or balances (_recon.check_floats) gets "float_amounts": true in every finding''s details. Used by recon.register_check() and _recon.recompile_checks().';

--
-- Name: compile_coverage(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_coverage(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_options ->> 'wallet');
    v_relid oid := _recon.resolve_table(p_options ->> 'owner_table');
    v_owner_key name := _recon.resolve_column(v_relid, p_options ->> 'owner_key', 'the owner key');
    v_wallet_col text := COALESCE(p_options ->> 'wallet_column', v_wallet.owner_column);
    v_balance text := 'NULL';
    v_where text;
BEGIN
    IF v_wallet_col IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('wallet source %s has no owner column', v_wallet.name),
            'A coverage check matches owners to wallets through the wallet''s owner column.',
            'Register the wallet source with {"owner": "<column>"} or give "wallet_column".'
        );
    END IF;
    PERFORM _recon.resolve_column(v_wallet.relid, v_wallet_col, 'the wallet owner');
    PERFORM _recon.same_key_type(v_relid, v_owner_key, v_wallet.relid, v_wallet_col::name);
    IF p_options ? 'owner_balance' THEN
        v_balance := format('o.%I', _recon.resolve_column(
            v_relid, p_options ->> 'owner_balance', 'the owner''s legacy balance', TRUE));
    END IF;
    v_where := _recon.exclude_sql(v_relid, 'o', p_options);
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       o.%2$I::text AS wallet_key,
       0::numeric AS stored,
       COALESCE(%3$s, 0)::numeric AS expected,
       (0 - COALESCE(%3$s, 0))::numeric AS difference,
       jsonb_build_object('item', 'wallet', 'owner', o.%2$I, 'cause', 'missing_wallet') AS details
FROM %4$s AS o
WHERE %5$s
  AND NOT EXISTS (SELECT FROM %6$s AS w WHERE w.%7$I = o.%2$I)$sql$,
        p_name, v_owner_key, v_balance, v_relid::regclass, v_where, v_wallet.relid::regclass,
        v_wallet_col
    );
END;
$_$;

--
-- Name: FUNCTION compile_coverage(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_coverage(p_name text, p_options jsonb) IS 'Compiles a coverage check: rows of owner_table whose owner_key has no wallet (matched on the wallet''s owner column); expected is the owner''s legacy balance when owner_balance is given.';

--
-- Name: compile_currency(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_currency(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_wallet _recon.wallet_source := _recon.wallet(v_raw.wallet_source);
    v_item text := _recon.entry_name_sql(v_ledger, 'l');
BEGIN
    PERFORM _recon.require_column(v_raw, v_raw.currency_column, 'currency', 'currency');
    IF v_wallet.currency_column IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('a currency check needs wallet source %s to have a currency column',
                            v_wallet.name),
            format('Wallet source %s was registered without "currency".', v_wallet.name),
            'Drop and re-register the wallet source with {"currency": "<column>"}.');
    END IF;
    IF v_item = 'NULL::text' THEN
        PERFORM _recon.fail(
            'RC106', format('a currency check needs ledger %s to name its entries', v_raw.name),
            'Each finding is one entry: it needs "entry_id" or "order_by".',
            'Drop and re-register the ledger source with {"entry_id": "<column>"}.');
    END IF;
    -- One finding per leg whose currency is not its wallet's (a NULL on either side is one
    -- too): the entry's whole amount was booked in another currency than the balance it moves,
    -- whatever the balance checks say. An entry of a wallet that does not exist is the orphan's
    -- and the balance check's, not this one's.
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       l.wallet::text AS wallet_key,
       l.amount::numeric AS stored,
       0::numeric AS expected,
       l.amount::numeric AS difference,
       jsonb_build_object(
           'item', (%2$s)::text,
           'entry', %2$s,
           'entry_currency', l.currency,
           'wallet_currency', w.%3$I,
           'currency', l.currency,
           'columns', %4$s,
           'posted_at', %5$s,
           'cause', 'currency_mismatch'
       ) AS details
FROM %6$s AS l
JOIN %7$s AS w ON w.%8$I = l.wallet
WHERE l.currency IS DISTINCT FROM w.%3$I$sql$,
        p_name, v_item, v_wallet.currency_column, _recon.leg_columns_sql(v_ledger, 'l'),
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'),
        _recon.legs_sql(v_raw), v_wallet.relid::regclass, v_wallet.key_column);
END;
$_$;

--
-- Name: FUNCTION compile_currency(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_currency(p_name text, p_options jsonb) IS 'Compiles a currency check: one finding per leg whose currency (the ledger''s "currency" option) is not its wallet''s (the wallet source''s "currency" column), NULL on either side included. stored and difference are the entry''s amount, in the entry''s currency; details name the entry, both currencies and the balance columns it moves. Repair: acknowledge (a person decides). RC106 without the currency columns or an entry id.';

--
-- Name: compile_custom(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_custom(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_query text := btrim(p_options ->> 'query');
BEGIN
    IF v_query !~* '^(select|with)\s' OR position(';' IN v_query) > 0 THEN
        PERFORM _recon.fail(
            'RC110', 'a custom check is one SELECT (or WITH ... SELECT) without ";"',
            'The query becomes the body of a view; anything else is refused.',
            'Return columns wallet_key, stored, expected, difference and details (jsonb; put '
            || 'an "item" key in it when a wallet can have several findings).'
        );
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       q.wallet_key::text AS wallet_key,
       q.stored::numeric AS stored,
       q.expected::numeric AS expected,
       q.difference::numeric AS difference,
       COALESCE(q.details::jsonb, '{}') AS details
FROM (%2$s
) AS q$sql$,
        p_name, v_query
    );
END;
$_$;

--
-- Name: FUNCTION compile_custom(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_custom(p_name text, p_options jsonb) IS 'Compiles a custom check around the user''s query, which must be a single SELECT returning wallet_key, stored, expected, difference and details (RC110 otherwise).';

--
-- Name: compile_derived(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_derived(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_options ->> 'wallet');
    -- per wallet, its currency's tolerance (the wallet's currency column, else the check's)
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', CASE WHEN v_wallet.currency_column IS NOT NULL
                                       THEN format('w.%I::text', v_wallet.currency_column) END,
        0);
    v_relid oid := _recon.resolve_table(p_options ->> 'table');
    v_column name := _recon.resolve_column(v_wallet.relid, p_options ->> 'column',
                                           'the derived balance', TRUE);
    v_key name := _recon.resolve_column(v_relid, p_options ->> 'key_column', 'the wallet key');
    v_value name := _recon.resolve_column(v_relid, p_options ->> 'value_column', 'the value', TRUE);
    v_join name := v_wallet.key_column;
    v_minus text := '0';
    v_filter text := 'TRUE';
BEGIN
    IF p_options ? 'wallet_column' THEN  -- match on another wallet column, e.g. its owner
        v_join := _recon.resolve_column(v_wallet.relid, p_options ->> 'wallet_column',
                                        'the wallet column to match');
    END IF;
    PERFORM _recon.same_key_type(v_relid, v_key, v_wallet.relid, v_join);
    IF p_options ? 'minus_column' THEN
        v_minus := format('COALESCE(t.%I, 0)', _recon.resolve_column(
            v_relid, p_options ->> 'minus_column', 'the subtracted value', TRUE));
    END IF;
    IF p_options ? 'filter_column' THEN
        v_filter := _recon.in_list_sql(v_relid, 't', p_options ->> 'filter_column',
                                       p_options -> 'filter_values', 'filter_values');
    ELSIF p_options ? 'filter_values' THEN
        PERFORM _recon.fail('RC106', '"filter_values" needs "filter_column"',
                            'The values are matched against that column.', 'Add "filter_column".');
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       COALESCE(w.%2$I::text, d.k::text) AS wallet_key,
       w.%3$I::numeric AS stored,
       COALESCE(d.v, 0)::numeric AS expected,
       (w.%3$I - COALESCE(d.v, 0))::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', %3$L,
           'column', %3$L,
           'rows', COALESCE(d.n, 0),
           'direction', CASE WHEN w.%3$I > COALESCE(d.v, 0) THEN 'over'
                             WHEN w.%3$I < COALESCE(d.v, 0) THEN 'under' END,
           'cause', CASE
               WHEN w.%2$I IS NULL THEN 'unknown_wallet'
               WHEN w.%3$I IS NULL OR w.%3$I IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_balance'
               WHEN d.n > d.n_value OR d.v IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_amount'
           END
       )) AS details
FROM %4$s AS w
FULL JOIN (
    SELECT t.%5$I AS k, sum(t.%6$I - %7$s) AS v, count(*) AS n, count(t.%6$I) AS n_value
    FROM %8$s AS t
    WHERE %9$s
    GROUP BY t.%5$I
) AS d ON d.k = w.%11$I
WHERE w.%2$I IS NULL
   OR w.%3$I IS NULL
   OR w.%3$I IN ('NaN', 'Infinity', '-Infinity')
   OR d.n > d.n_value
   OR d.v IN ('NaN', 'Infinity', '-Infinity')
   OR abs(w.%3$I - COALESCE(d.v, 0)) > %10$s$sql$,
        p_name, v_wallet.key_column, v_column, v_wallet.relid::regclass, v_key, v_value,
        v_minus, v_relid::regclass, v_filter, v_tol, v_join
    );
END;
$_$;

--
-- Name: FUNCTION compile_derived(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_derived(p_name text, p_options jsonb) IS 'Compiles a derived check: a stored wallet column (e.g. locked_balance) against sum(value_column - minus_column) over another table''s rows for that wallet, optionally only rows whose filter_column is in filter_values (e.g. open activations). Rows are matched to wallets on key_column = the wallet key, or = wallet_column when given (e.g. the owner); rows of no wallet are findings (unknown_wallet).';

--
-- Name: compile_duplicate(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_duplicate(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_ref name := _recon.require_column(v_ledger, v_ledger.reference_column, 'reference',
                                        'duplicate');
    v_scope text := COALESCE(p_options ->> 'scope', 'wallet');
    v_kind text := CASE v_ledger.amount_mode
        WHEN 'direction' THEN v_ledger.direction_column
        WHEN 'operation' THEN v_ledger.operation_column END;
    v_group text;
    v_item text;
    v_cols text;
BEGIN
    IF v_scope NOT IN ('wallet', 'global') THEN
        PERFORM _recon.fail('RC106', format('unknown scope %L', v_scope),
                            'A reference is unique per wallet or across the whole ledger.',
                            'Use "wallet" (the default) or "global".');
    END IF;
    -- The same reference under a different direction or operation type (an ON_HOLD and its
    -- DEBIT), or on a signed ledger with the other sign (a payment and its refund), is a pair,
    -- not a duplicate. A signed ledger's item is the reference for positive amounts (as before
    -- signs were told apart, so findings and acknowledgements keep their keys), reference/- for
    -- negative ones, reference/0 for zero.
    v_group := format('l.%I', v_ref)
        || CASE WHEN v_scope = 'wallet' THEN format(', l.%I', v_ledger.wallet_column) ELSE '' END
        || CASE WHEN v_kind IS NOT NULL THEN format(', l.%I', v_kind)
                WHEN v_ledger.amount_mode = 'signed'
                    THEN format(', sign(l.%I)', v_ledger.amount_column)
                ELSE '' END;
    v_item := format('l.%I::text', v_ref)
        || CASE WHEN v_kind IS NOT NULL THEN format(' || ''/'' || l.%I::text', v_kind)
                WHEN v_ledger.amount_mode = 'signed' THEN format(
                    ' || CASE sign(l.%1$I) WHEN 1 THEN '''' WHEN -1 THEN ''/-'' ELSE ''/0'' END',
                    v_ledger.amount_column)
                ELSE '' END;
    -- The balance columns the duplicated entry moved (per kind on a typed ledger).
    v_cols := _recon.leg_columns_sql(v_ledger, 'l');
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       min(l.%2$I::text) AS wallet_key,
       sum(l.%3$I)::numeric AS stored,
       ((array_agg(l.%3$I ORDER BY %4$s))[1])::numeric AS expected,
       (sum(l.%3$I) - (array_agg(l.%3$I ORDER BY %4$s))[1])::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', %5$s,
           'reference', l.%6$I,
           'columns', %12$s,
           'postings', count(*),
           'wallets', count(DISTINCT l.%2$I),
           'entries', jsonb_agg(%7$s ORDER BY %4$s),
           'posted_at', max(%8$s),
           'cause', 'duplicate_reference'
       )) AS details
FROM %9$s AS l
WHERE l.%6$I IS NOT NULL
  AND %11$s
GROUP BY %10$s
HAVING count(*) > 1$sql$,
        p_name, v_ledger.wallet_column, v_ledger.amount_column,
        _recon.entry_order_sql(v_ledger, 'l'), v_item, v_ref, _recon.entry_name_sql(v_ledger, 'l'),
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'), _recon.legs_sql(v_raw),
        v_group, _recon.in_effect_sql(v_raw, 'l'), v_cols
    );
END;
$_$;

--
-- Name: FUNCTION compile_duplicate(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_duplicate(p_name text, p_options jsonb) IS 'Compiles a duplicate check: references posted more than once (per wallet, or "global") in the same direction: the same reference under another direction or operation type, or on a signed ledger with the other sign (a payment and its refund), is a pair, not a duplicate. Only entries in effect count (_recon.in_effect_sql: not reversed by the toolkit, nor by a matching REV-<entry id> of the opposite effect on the same wallet). expected is the first posting''s amount; difference is what the extra postings added. docs/CHECKS.md.';

--
-- Name: compile_journal(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_journal(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_journal name := _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                            'journal');
    -- Entries that carry their currency (the ledger's currency option) balance per currency:
    -- a journal moving USD and EUR is two sums, never one.
    v_cur text := CASE WHEN v_raw.currency_column IS NOT NULL THEN 'l.currency::text' END;
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', CASE WHEN v_cur IS NOT NULL THEN 'j.currency' END, 0);
    v_credit text;
    v_debit text;
    v_col text;
BEGIN
    IF v_ledger.amount_mode = 'operation' THEN
        PERFORM _recon.fail(
            'RC106', 'a journal check needs a signed or direction ledger',
            format('Ledger %s is operation-based.', v_ledger.name),
            'Register the journal entries as a direction (credit/debit) or signed ledger.'
        );
    END IF;
    -- a signed or direction ledger moves one balance column: the one its journals concern
    SELECT c.key INTO v_col FROM jsonb_each(v_ledger.effects) AS c LIMIT 1;
    IF v_ledger.amount_mode = 'direction' THEN
        SELECT format('sum(l.%I) FILTER (WHERE l.%I::text = %L)', v_ledger.amount_column,
                      v_ledger.direction_column, e.key)
        INTO v_credit FROM jsonb_each(v_ledger.effects -> v_col) AS e WHERE e.value::numeric > 0;
        SELECT format('sum(l.%I) FILTER (WHERE l.%I::text = %L)', v_ledger.amount_column,
                      v_ledger.direction_column, e.key)
        INTO v_debit FROM jsonb_each(v_ledger.effects -> v_col) AS e WHERE e.value::numeric < 0;
    ELSE
        v_credit := format('sum(l.%1$I) FILTER (WHERE l.%1$I > 0)', v_ledger.amount_column);
        v_debit := format('-sum(l.%1$I) FILTER (WHERE l.%1$I < 0)', v_ledger.amount_column);
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       NULL::text AS wallet_key,
       COALESCE(j.credits, 0)::numeric AS stored,
       COALESCE(j.debits, 0)::numeric AS expected,
       (COALESCE(j.credits, 0) - COALESCE(j.debits, 0))::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', j.journal::text%13$s,
           'journal', j.journal,
           'currency', j.currency,
           'column', %11$L,
           'entries', j.n,
           'wallets', j.wallets,
           'posted_at', j.posted_at,
           'cause', CASE WHEN j.n > j.n_amount OR j.n_bad > 0 THEN 'invalid_amount'
                         ELSE 'unbalanced_journal' END
       )) AS details
FROM (
    SELECT l.%2$I AS journal, %3$s AS credits, %4$s AS debits, count(*) AS n,
           count(l.%5$I) AS n_amount, count(*) FILTER (WHERE %6$s) AS n_bad,
           jsonb_agg(DISTINCT l.%7$I) AS wallets, max(%8$s) AS posted_at, %12$s AS currency,
           %14$s AS currencies
    FROM %9$s AS l
    WHERE l.%2$I IS NOT NULL
    GROUP BY l.%2$I, 9
) AS j
WHERE j.n > j.n_amount
   OR j.n_bad > 0
   OR abs(COALESCE(j.credits, 0) - COALESCE(j.debits, 0)) > %10$s
   OR j.credits IN ('NaN', 'Infinity', '-Infinity')
   OR j.debits IN ('NaN', 'Infinity', '-Infinity')$sql$,
        p_name, v_journal, v_credit, v_debit, v_ledger.amount_column,
        _recon.unmapped_sql(v_ledger, 'l'), v_ledger.wallet_column,
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'), _recon.legs_sql(v_raw),
        v_tol, v_col, COALESCE(v_cur, 'NULL::text'),
        -- a journal's findings, one per currency it moves: named by the journal alone when it
        -- moves one (as before the currency option), by journal/currency when it moves several
        CASE WHEN v_cur IS NOT NULL
             THEN ' || CASE WHEN j.currencies > 1 THEN ''/'' || COALESCE(j.currency, '''') '
                  || 'ELSE '''' END' ELSE '' END,
        CASE WHEN v_cur IS NOT NULL THEN format('count(*) OVER (PARTITION BY l.%I)', v_journal)
             ELSE '1' END
    );
END;
$_$;

--
-- Name: FUNCTION compile_journal(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_journal(p_name text, p_options jsonb) IS 'Compiles a journal check: per journal transaction, the credits must equal the debits (a signed ledger: the amounts must sum to zero). stored = credits, expected = debits.';

--
-- Name: compile_lifecycle(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_lifecycle(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_journal name := _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                            'lifecycle');
    v_op name := _recon.require_column(v_ledger, v_ledger.operation_column, 'operation',
                                       'lifecycle');
    v_hold text := p_options ->> 'hold';
    v_terminal text;
    v_status text := 'NULL::text';
    v_join text := '';
    v_pending text := 'FALSE';
    v_stale text := 'FALSE';
    v_relid oid;
    v_column text;
BEGIN
    IF jsonb_typeof(p_options -> 'terminal') IS DISTINCT FROM 'array'
        OR jsonb_array_length(p_options -> 'terminal') = 0 THEN
        PERFORM _recon.fail('RC106', '"terminal" must be a non-empty array',
                            'It lists the operation types that resolve a hold.',
                            'E.g. ["RELEASE", "DEBIT"].');
    END IF;
    SELECT string_agg(quote_literal(t), ', ') INTO v_terminal
    FROM jsonb_array_elements_text(p_options -> 'terminal') AS t;
    -- The hold and its resolutions are kinds of entry of the ledger (operation values, or rule
    -- labels): one it never has would make a check that can find nothing.
    IF NOT EXISTS (SELECT FROM jsonb_each(v_ledger.effects) AS c, jsonb_object_keys(c.value) AS k
                   WHERE k = ANY (v_hold || ARRAY(
                       SELECT jsonb_array_elements_text(p_options -> 'terminal')))
                   HAVING count(DISTINCT k) = 1 + jsonb_array_length(p_options -> 'terminal'))
        THEN
        PERFORM _recon.fail(
            'RC106', format('"hold" %L or a "terminal" value is not a kind of entry of ledger %s',
                            v_hold, v_ledger.name),
            format('Its kinds: %s.', (SELECT string_agg(DISTINCT k, ', ' ORDER BY k)
                                      FROM jsonb_each(v_ledger.effects) AS c,
                                           jsonb_object_keys(c.value) AS k)),
            'Name operation values (or, for effects keyed on several columns, rule labels).'
        );
    END IF;
    -- The transaction's status: from a status table, else from the ledger's latest entry.
    IF p_options ? 'status_table' THEN
        IF NOT (p_options ? 'status_key' AND p_options ? 'status_column') THEN
            PERFORM _recon.fail('RC106', '"status_table" needs "status_key" and "status_column"',
                                'They name the transaction id and its status in that table.',
                                'E.g. {"status_table": "transaction", "status_key": "id", '
                                || '"status_column": "status"}.');
        END IF;
        v_relid := _recon.resolve_table(p_options ->> 'status_table');
        v_join := format(
            'LEFT JOIN %s AS st ON st.%I = g.journal', v_relid::regclass,
            _recon.resolve_column(v_relid, p_options ->> 'status_key', 'the transaction key'));
        PERFORM _recon.same_key_type(v_relid, (p_options ->> 'status_key')::name, v_raw.relid,
                                     v_raw.journal_column);
        v_status := format('st.%I::text', _recon.resolve_column(
            v_relid, p_options ->> 'status_column', 'the transaction status'));
    ELSIF v_ledger.status_column IS NOT NULL THEN
        v_status := 'g.last_status';
    END IF;
    IF p_options ? 'pending' THEN
        IF v_status = 'NULL::text' THEN
            PERFORM _recon.fail('RC106', '"pending" needs a transaction status',
                                'Neither "status_table" nor a ledger status column is registered.',
                                'Add status_table/status_key/status_column, or register the '
                                || 'ledger with {"status": "<column>"}.');
        END IF;
        IF jsonb_typeof(p_options -> 'pending') <> 'array' THEN
            PERFORM _recon.fail('RC106', '"pending" must be an array',
                                'It lists the statuses under which a hold may stay open.',
                                'E.g. ["PENDING"].');
        END IF;
        SELECT format('%s IS NOT NULL AND %s NOT IN (%s)', v_status, v_status,
                      string_agg(quote_literal(s), ', '))
        INTO v_pending FROM jsonb_array_elements_text(p_options -> 'pending') AS s;
    END IF;
    -- The statuses that tell a lifecycle repair (strategy resolve) to commit or to release.
    FOREACH v_column IN ARRAY ARRAY['approved', 'canceled'] LOOP
        CONTINUE WHEN NOT p_options ? v_column;
        IF jsonb_typeof(p_options -> v_column) IS DISTINCT FROM 'array'
            OR jsonb_array_length(p_options -> v_column) = 0
            OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> v_column) AS s
                       WHERE jsonb_typeof(s) <> 'string') THEN
            PERFORM _recon.fail('RC106', format('"%s" must be a non-empty array of statuses',
                                                v_column),
                                'It lists the transaction statuses under which a hold left open '
                                || 'is committed ("approved") or released ("canceled").',
                                'E.g. {"approved": ["APPROVED"], "canceled": ["CANCELED"]}.');
        END IF;
        IF v_status = 'NULL::text' THEN
            PERFORM _recon.fail('RC106', format('"%s" needs a transaction status', v_column),
                                'Neither "status_table" nor a ledger status column is registered.',
                                'Add status_table/status_key/status_column, or register the '
                                || 'ledger with {"status": "<column>"}.');
        END IF;
    END LOOP;
    v_column := NULL;
    IF p_options ? 'max_pending' THEN
        PERFORM _recon.require_column(v_ledger, v_ledger.posted_at_column, 'posted_at',
                                      'lifecycle with max_pending');
        BEGIN
            PERFORM (p_options ->> 'max_pending')::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
            OR interval_field_overflow THEN
            PERFORM _recon.fail('RC106', format('"max_pending" %L is not an interval',
                                                p_options ->> 'max_pending'),
                                'It is how long a hold may stay unresolved.', 'E.g. "1 day".');
        END;
        v_stale := format('g.last_at < now() - %L::interval', p_options ->> 'max_pending');
    END IF;
    -- The balance column the hold concerns: the one its entry moves up (on_hold), else the first
    -- it moves.
    SELECT c.b INTO v_column
    FROM unnest((_recon.wallet(v_ledger.wallet_source)).balance_columns) WITH ORDINALITY AS c (b, o)
    WHERE (v_ledger.effects -> c.b ->> v_hold)::numeric <> 0
    ORDER BY (v_ledger.effects -> c.b ->> v_hold)::numeric > 0 DESC, c.o LIMIT 1;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       g.k::text AS wallet_key,
       COALESCE(g.resolved, 0)::numeric AS stored,
       g.held::numeric AS expected,
       (COALESCE(g.resolved, 0) - g.held)::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', g.journal::text,
           'transaction', g.journal,
           'column', %16$L,
           'holds', g.holds,
           'resolutions', g.resolutions,
           'status', %2$s,
           'posted_at', g.last_at,
           'cause', CASE
               WHEN g.resolutions > g.holds THEN 'hold_resolved_twice'
               WHEN COALESCE(g.resolved, 0) > g.held THEN 'hold_over_resolved'
               ELSE 'hold_not_resolved'
           END
       )) AS details
FROM (
    SELECT l.%3$I AS journal,
           l.%4$I AS k,
           count(*) FILTER (WHERE l.%5$I::text = %6$L) AS holds,
           count(*) FILTER (WHERE l.%5$I::text IN (%7$s)) AS resolutions,
           sum(l.%8$I) FILTER (WHERE l.%5$I::text = %6$L) AS held,
           sum(l.%8$I) FILTER (WHERE l.%5$I::text IN (%7$s)) AS resolved,
           max(%9$s) AS last_at,
           (array_agg(%10$s ORDER BY %11$s))[1]::text AS last_status
    FROM %12$s AS l
    WHERE l.%3$I IS NOT NULL
    GROUP BY l.%3$I, l.%4$I
    HAVING count(*) FILTER (WHERE l.%5$I::text = %6$L) > 0
) AS g
%13$s
WHERE g.resolutions > g.holds
   OR COALESCE(g.resolved, 0) > g.held
   OR (g.resolutions = 0 AND ((%14$s) OR (%15$s)))$sql$,
        p_name, v_status, v_journal, v_ledger.wallet_column, v_op, v_hold, v_terminal,
        v_ledger.amount_column, _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'),
        _recon.column_sql('l', v_ledger.status_column, 'text'),
        _recon.entry_order_sql(v_ledger, 'l', 'DESC'), _recon.legs_sql(v_raw), v_join, v_pending,
        v_stale, v_column
    );
END;
$_$;

--
-- Name: FUNCTION compile_lifecycle(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_lifecycle(p_name text, p_options jsonb) IS 'Compiles a lifecycle check over an operation ledger with a journal (transaction) column: per transaction and wallet, a "hold" must be resolved by at most one "terminal" operation, for at most the held amount, and must be resolved once the transaction''s status is no longer "pending" (status from status_table/status_key/status_column, else the ledger''s status of the latest entry) or after "max_pending".';

--
-- Name: compile_orphan(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_orphan(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_ref name := _recon.require_column(v_ledger, v_ledger.reference_column, 'reference', 'orphan');
    v_relid oid := _recon.resolve_table(p_options ->> 'table');
    v_id name := _recon.resolve_column(v_relid, p_options ->> 'id_column', 'the source id');
    v_amount name := _recon.resolve_column(v_relid, p_options ->> 'amount_column', 'the amount',
                                           TRUE);
    v_wallet text := 'NULL';
    v_where text := 'TRUE';
    v_match text;
    v_col text;
    v_val jsonb;
BEGIN
    IF p_options ? 'wallet_column' THEN
        v_wallet := format('s.%I', _recon.resolve_column(v_relid, p_options ->> 'wallet_column',
                                                          'the wallet key'));
    END IF;
    IF p_options ? 'filters' THEN
        IF jsonb_typeof(p_options -> 'filters') <> 'object' THEN
            PERFORM _recon.fail('RC106', '"filters" must be an object',
                                'It maps a column to the values it must have.',
                                'E.g. {"status": ["COMPLETED"]}.');
        END IF;
        FOR v_col, v_val IN SELECT f.key, f.value FROM jsonb_each(p_options -> 'filters') AS f LOOP
            v_where := v_where || ' AND ' || _recon.in_list_sql(v_relid, 's', v_col, v_val,
                                                                  'filters.' || v_col);
        END LOOP;
    END IF;
    IF p_options ? 'like' THEN
        IF jsonb_typeof(p_options -> 'like') <> 'object' THEN
            PERFORM _recon.fail('RC106', '"like" must be an object',
                                'It maps a column to a LIKE pattern.',
                                'E.g. {"source_id": "wallet-%"}.');
        END IF;
        FOR v_col, v_val IN SELECT f.key, f.value FROM jsonb_each(p_options -> 'like') AS f LOOP
            IF jsonb_typeof(v_val) <> 'string' THEN
                PERFORM _recon.fail('RC106', format('pattern for %L must be a string', v_col),
                                    format('Got %s.', v_val), 'E.g. "wallet-%".');
            END IF;
            v_where := v_where || format(' AND s.%I::text LIKE %L',
                _recon.resolve_column(v_relid, v_col, 'like.' || v_col), v_val #>> '{}');
        END LOOP;
    END IF;
    -- Compare as the columns are when their types agree (so an index on the reference is used),
    -- as text otherwise.
    IF _recon.column_type(v_relid, v_id) = _recon.column_type(v_raw.relid, v_raw.reference_column)
    THEN
        v_match := format('l.%I = s.%I', v_ref, v_id);
    ELSE
        v_match := format('l.%I::text = s.%I::text', v_ref, v_id);
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       %2$s::text AS wallet_key,
       0::numeric AS stored,
       s.%3$I::numeric AS expected,
       (0 - s.%3$I)::numeric AS difference,
       jsonb_build_object('item', s.%4$I::text, 'source_id', s.%4$I, 'column', %10$L,
                          'cause', 'orphaned_payment') AS details
FROM %5$s AS s
WHERE %6$s
  AND NOT EXISTS (SELECT FROM %7$s AS l WHERE %8$s AND %9$s)$sql$,
        p_name, v_wallet, v_amount, v_id, v_relid::regclass, v_where,
        _recon.legs_sql(v_raw), v_match, _recon.in_effect_sql(v_raw, 'l'),
        -- the balance column a missing entry would have moved: the first the ledger moves
        (SELECT c.b FROM unnest((_recon.wallet(v_ledger.wallet_source)).balance_columns)
                            WITH ORDINALITY AS c (b, o)
         WHERE v_ledger.effects ? c.b ORDER BY c.o LIMIT 1)
    );
END;
$_$;

--
-- Name: FUNCTION compile_orphan(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_orphan(p_name text, p_options jsonb) IS 'Compiles an orphan check: rows of a source table (payments) matching "filters" ({"status": ["COMPLETED"]}) and "like" ({"source_id": "wallet-%"}) whose id no ledger entry has as its reference. Only entries in effect count (_recon.in_effect_sql): one the toolkit reversed, or one reversed by a matching REV-<entry id> of the opposite effect on the same wallet, does not; a 0.00 or foreign REV- changes nothing. expected is the amount that should have been posted. docs/CHECKS.md.';

--
-- Name: compile_total(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.compile_total(p_name text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', NULL, 0);
BEGIN
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       NULL::text AS wallet_key,
       s.v AS stored,
       e.v AS expected,
       (COALESCE(s.v, 0) - COALESCE(e.v, 0))::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', 'total',
           'stored_rows', s.n,
           'expected_rows', e.n,
           'cause', CASE
               WHEN s.n > s.n_value OR e.n > e.n_value
                   OR s.v IN ('NaN', 'Infinity', '-Infinity')
                   OR e.v IN ('NaN', 'Infinity', '-Infinity') THEN 'invalid_amount'
           END
       )) AS details
FROM (%2$s) AS s, (%3$s) AS e
WHERE s.n > s.n_value
   OR e.n > e.n_value
   OR s.v IN ('NaN', 'Infinity', '-Infinity')
   OR e.v IN ('NaN', 'Infinity', '-Infinity')
   OR abs(COALESCE(s.v, 0) - COALESCE(e.v, 0)) > %4$s$sql$,
        p_name, _recon.side_sql('stored', p_options -> 'stored'),
        _recon.side_sql('expected', p_options -> 'expected'), v_tol
    );
END;
$_$;

--
-- Name: FUNCTION compile_total(p_name text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.compile_total(p_name text, p_options jsonb) IS 'Compiles a total check: sum over the "stored" table against sum over the "expected" table, each {"table", "column", optional "exclude_column" + "exclude_values"}. One finding at most.';

--
-- Name: currency_amount(jsonb, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.currency_amount(p_map jsonb, p_currency text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN COALESCE(((p_map ->> p_currency))::numeric, ((p_map ->> '*'::text))::numeric);

--
-- Name: FUNCTION currency_amount(p_map jsonb, p_currency text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.currency_amount(p_map jsonb, p_currency text) IS 'The amount a map per currency ({"USD": 10, "*": 5}) gives p_currency: its own entry, else "*", else NULL (no amount: no limit applies, and none is assumed). A NULL currency (unknown) gets "*" only.';

--
-- Name: currency_amount_sql(jsonb, text, text, numeric); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.currency_amount_sql(p_map jsonb, p_currency text, p_row_currency text, p_else numeric) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_else numeric := COALESCE(_recon.currency_amount(p_map, p_currency), p_else);
    v_cases text;
BEGIN
    -- one amount for every row: a literal, as 0.1 compiled it
    IF p_row_currency IS NULL OR p_map IS NULL
       OR NOT EXISTS (SELECT FROM jsonb_object_keys(p_map) AS k WHERE k <> '*') THEN
        RETURN format('%s::numeric', v_else);
    END IF;
    -- keys quoted as literals, values cast to numeric: nothing of the map is SQL text
    SELECT string_agg(format('WHEN %L THEN %s', e.key, (e.value #>> '{}')::numeric), ' '
                      ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each(p_map) AS e WHERE e.key <> '*';
    -- the row's currency, else the check's; a currency not in the map: "*", else p_else
    RETURN format('COALESCE(CASE COALESCE(%s, %L) %s END, %s)::numeric', p_row_currency,
                  p_currency, v_cases, COALESCE(_recon.currency_amount(p_map, NULL), p_else));
END;
$$;

--
-- Name: FUNCTION currency_amount_sql(p_map jsonb, p_currency text, p_row_currency text, p_else numeric); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.currency_amount_sql(p_map jsonb, p_currency text, p_row_currency text, p_else numeric) IS 'SQL for the amount a map per currency gives each row of a compiled check: p_row_currency is the row''s currency expression (a wallet''s or an entry''s currency column; NULL: none), p_currency the check''s own currency (for rows without one), p_else the amount when the map has neither the currency nor "*". A literal when every row gets the same amount.';

--
-- Name: currency_amounts(text, jsonb, text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.currency_amounts(p_what text, p_value jsonb, p_currency text, p_per_row text, p_code text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_bad text;
BEGIN
    IF p_value IS NULL OR p_value = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_value) = 'number' THEN
        -- One amount: its check's currency's; with no currency at all, "*". Where each wallet
        -- or entry has a currency of its own and the check names none, one amount would be
        -- read in every currency at once (9.5 BTC as LOW as 9.5 JPY): refused.
        IF p_currency IS NULL AND p_per_row IS NOT NULL THEN
            PERFORM _recon.fail(
                p_code, format('%s must name its currencies', p_what),
                format('Got %s; the amounts of this check are in the currency of each row (%s) '
                       || 'and it names no currency of its own.', p_value, p_per_row),
                format('Give a map, e.g. {"%s": {"USD": %s, "JPY": 1000}}; "*" applies one '
                       || 'amount to every currency not named ({"*": %s}).', p_what, p_value,
                       p_value));
        END IF;
        p_value := jsonb_build_object(COALESCE(p_currency, '*'), p_value);
    END IF;
    IF jsonb_typeof(p_value) <> 'object' THEN
        PERFORM _recon.fail(
            p_code, format('%s must be an amount or a map of amounts per currency', p_what),
            format('Got %s.', p_value),
            format('E.g. {"%s": {"USD": 10, "JPY": 1000, "*": 5}}.', p_what));
    END IF;
    SELECT string_agg(format('%s: %s', to_jsonb(e.key), e.value), ', ' ORDER BY e.key)
    INTO v_bad
    FROM jsonb_each(p_value) AS e
    WHERE btrim(e.key) = '' OR e.key <> btrim(e.key) OR length(e.key) > 32
       OR jsonb_typeof(e.value) <> 'number' OR (e.value::text)::numeric < 0;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            p_code, format('bad %s: %s', p_what, v_bad),
            'Each key is a currency code as the findings carry it (or "*" for every other '
            || 'currency), each value an amount >= 0.',
            format('E.g. {"%s": {"USD": 10, "JPY": 1000, "*": 5}}.', p_what));
    END IF;
    RETURN p_value;
END;
$$;

--
-- Name: FUNCTION currency_amounts(p_what text, p_value jsonb, p_currency text, p_per_row text, p_code text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.currency_amounts(p_what text, p_value jsonb, p_currency text, p_per_row text, p_code text) IS 'An amount setting (tolerance, low_limit, wallet_limit, run_limit) as a map {"<currency>": n, "*": n}: a map is checked (keys non-empty codes or "*", values numbers >= 0), one number becomes the map of the check''s currency p_currency, or {"*": n} when the check has no currency at all; refused (p_code, with p_what in the message) when the amounts are in each row''s own currency (p_per_row says whose) and the check names none. NULL stays NULL.';

--
-- Name: custom_trusted(text, regclass); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.custom_trusted(p_name text, p_view regclass) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_found text;
BEGIN
    -- A check's view runs inside recon.reconcile(), SECURITY DEFINER: with the toolkit owner's
    -- rights, for any auditor. A function, operator or view of the custom query that another
    -- role owns could be replaced by that role and run as the owner: only objects of the
    -- registering role, of a superuser, or of the catalog may be used. A table (no code runs on
    -- a SELECT) may belong to anyone, unless row-level security runs its owner's policies.
    SELECT string_agg(DISTINCT format('%s %s (owner %s)', x.what, x.name, x.owner), ', ')
    INTO v_found
    FROM pg_depend AS d
    JOIN pg_rewrite AS r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
    CROSS JOIN LATERAL (
        SELECT 'function' AS what, p.oid::regprocedure::text AS name, p.proowner AS owner_id,
               p.pronamespace AS nsp
        FROM pg_proc AS p
        WHERE d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
        UNION ALL
        SELECT 'operator', o.oid::regoperator::text, o.oprowner, o.oprnamespace
        FROM pg_operator AS o
        WHERE d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
        UNION ALL
        SELECT CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table with row-level security' END,
               c.oid::regclass::text, c.relowner, c.relnamespace
        FROM pg_class AS c
        WHERE d.refclassid = 'pg_class'::regclass AND c.oid = d.refobjid AND c.oid <> p_view
          AND (c.relkind IN ('v', 'm') OR c.relrowsecurity)
    ) AS y
    CROSS JOIN LATERAL (SELECT y.what, y.name, y.owner_id::regrole::text AS owner) AS x
    WHERE r.ev_class = p_view
      AND y.nsp <> 'pg_catalog'::regnamespace
      AND y.owner_id <> (SELECT u.oid FROM pg_roles AS u WHERE u.rolname = current_user)
      AND NOT (SELECT u.rolsuper FROM pg_roles AS u WHERE u.oid = y.owner_id);
    IF v_found IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC110', format('custom check %s uses code another role owns: %s', p_name, v_found),
            'Its view runs with the toolkit owner''s rights inside recon.reconcile(); that role '
            || 'could replace the code and run anything as the owner.',
            'Use your own functions and views (or have a superuser own them), or ask their owner '
            || 'to register the check.'
        );
    END IF;
END;
$$;

--
-- Name: FUNCTION custom_trusted(p_name text, p_view regclass); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.custom_trusted(p_name text, p_view regclass) IS 'Refuses (RC110) a custom check whose view uses a function, operator, view or row-level security table owned by a role other than the registering role or a superuser: the view runs with the toolkit owner''s rights inside recon.reconcile(). docs/SECURITY.md.';

--
-- Name: ledger_source; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.ledger_source (
    name text NOT NULL,
    wallet_source text NOT NULL,
    relid oid NOT NULL,
    wallet_column name,
    amount_column name NOT NULL,
    amount_mode text NOT NULL,
    effects jsonb NOT NULL,
    direction_column name,
    operation_column name,
    entry_id_column name,
    reference_column name,
    posted_at_column name,
    order_column name,
    balance_after_column name,
    version_column name,
    journal_column name,
    status_column name,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT SESSION_USER NOT NULL,
    shape text DEFAULT 'entries'::text NOT NULL,
    leg_columns jsonb,
    debit_wallet_column name GENERATED ALWAYS AS (((leg_columns ->> 'debit'::text))::name) STORED,
    credit_wallet_column name GENERATED ALWAYS AS (((leg_columns ->> 'credit'::text))::name) STORED,
    filters jsonb,
    parents jsonb,
    kinds jsonb,
    after_columns jsonb,
    currency_column text,
    amount_scale jsonb,
    CONSTRAINT ledger_source_amount_mode CHECK ((amount_mode = ANY (ARRAY['signed'::text, 'direction'::text, 'operation'::text]))),
    CONSTRAINT ledger_source_name_format CHECK ((name ~ '^[a-z][a-z0-9_]{0,39}$'::text)),
    CONSTRAINT ledger_source_wallet_column CHECK (((shape = 'entries'::text) = ((wallet_column IS NOT NULL) AND (leg_columns IS NULL))))
);

--
-- Name: TABLE ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.ledger_source IS 'Registered ledger (entries) tables and how an entry moves balances (recon.register_ledger_source).';

--
-- Name: COLUMN ledger_source.name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.name IS 'Source name: lower case, digits, _; at most 40.';

--
-- Name: COLUMN ledger_source.wallet_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.wallet_source IS 'The wallet source whose balances it moves.';

--
-- Name: COLUMN ledger_source.relid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.relid IS 'The user''s table (pg_class oid; survives renames).';

--
-- Name: COLUMN ledger_source.wallet_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.wallet_column IS 'Column holding the wallet key (entries shape); NULL for the other shapes (leg_columns).';

--
-- Name: COLUMN ledger_source.amount_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.amount_column IS 'Amount column, numeric.';

--
-- Name: COLUMN ledger_source.amount_mode; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.amount_mode IS 'signed: the amount is signed; direction: amount + credit/debit column; operation: amount + operation type mapped to effects on balance columns.';

--
-- Name: COLUMN ledger_source.effects; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.effects IS 'Effect of an entry on each balance column: {"<balance column>": {"<value>": multiplier}}; the value is "*" for signed mode, the direction or operation value otherwise.';

--
-- Name: COLUMN ledger_source.direction_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.direction_column IS 'direction mode: credit/debit column.';

--
-- Name: COLUMN ledger_source.operation_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.operation_column IS 'operation mode: operation type column.';

--
-- Name: COLUMN ledger_source.entry_id_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.entry_id_column IS 'Optional entry id, named in findings.';

--
-- Name: COLUMN ledger_source.reference_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.reference_column IS 'Optional reference (duplicate, orphan).';

--
-- Name: COLUMN ledger_source.posted_at_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.posted_at_column IS 'Optional posting time.';

--
-- Name: COLUMN ledger_source.order_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.order_column IS 'Optional ordering id (chain checks).';

--
-- Name: COLUMN ledger_source.balance_after_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.balance_after_column IS 'Optional running balance (chain).';

--
-- Name: COLUMN ledger_source.version_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.version_column IS 'Optional per-wallet version (chain gaps).';

--
-- Name: COLUMN ledger_source.journal_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.journal_column IS 'Optional journal/transaction id.';

--
-- Name: COLUMN ledger_source.status_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.status_column IS 'Optional status column.';

--
-- Name: COLUMN ledger_source.created_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.created_at IS 'When it was registered.';

--
-- Name: COLUMN ledger_source.created_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.created_by IS 'Who registered it (session_user).';

--
-- Name: COLUMN ledger_source.shape; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.shape IS 'Its shape (_recon.ledger_shape): entries (one row moves one wallet) or transfer (two legs), or a shape of one''s own.';

--
-- Name: COLUMN ledger_source.leg_columns; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.leg_columns IS 'Shapes with several legs: the wallet column of each leg, {"<side>": "<column>"}.';

--
-- Name: COLUMN ledger_source.debit_wallet_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.debit_wallet_column IS 'transfer shape: the column of the wallet the amount leaves (from leg_columns).';

--
-- Name: COLUMN ledger_source.credit_wallet_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.credit_wallet_column IS 'transfer shape: the column of the wallet the amount reaches (from leg_columns).';

--
-- Name: COLUMN ledger_source.filters; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.filters IS 'Entry filters, all ANDed: [{"column": ref, "op": op, "values": [...]}], validated at registration; NULL when every row counts.';

--
-- Name: COLUMN ledger_source.parents; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.parents IS 'Parent rows reached through a registered unique key: {"<alias>": {"table": regclass text, "key": column, "via": ref}}; NULL when none.';

--
-- Name: COLUMN ledger_source.kinds; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.kinds IS 'Effects keyed on several columns: {"keys": [ref, ...], "rules": [{"when": {ref: value}, "label": text}]}; the effects column maps each rule''s label. NULL for one-column keys.';

--
-- Name: COLUMN ledger_source.after_columns; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.after_columns IS 'Running balances per balance column: {"<balance column>": "<after column>"}; NULL when none.';

--
-- Name: COLUMN ledger_source.currency_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.currency_column IS 'The currency of each entry: a column of the ledger, or "<parent alias>.<column>" of a registered parent row ("currency" option); the legs relation carries it as currency. NULL: the entries carry none (their wallet''s is assumed).';

--
-- Name: COLUMN ledger_source.amount_scale; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_source.amount_scale IS 'The scale of the amount column (and of the running balances), when it holds minor units: {"places": n} (a fixed number of decimal places), or {"column": c, "as": "places"|"multiplier"} (per row, from an integer column of the ledger). NULL: the amounts are in major units.';

--
-- Name: effect_sql(_recon.ledger_source, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.effect_sql(p_ledger _recon.ledger_source, p_column text, p_alias text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_amount text := format('%I.%I', p_alias, p_ledger.amount_column);
    v_kind text := CASE p_ledger.amount_mode
        WHEN 'direction' THEN p_ledger.direction_column ELSE p_ledger.operation_column END;
    v_cases text;
BEGIN
    IF p_ledger.effects -> p_column IS NULL THEN
        RETURN '0';  -- this ledger does not move that column
    END IF;
    IF p_ledger.amount_mode = 'signed' THEN
        RETURN CASE (p_ledger.effects -> p_column ->> '*')::numeric
            WHEN 1 THEN v_amount
            WHEN -1 THEN '-' || v_amount
            ELSE format('%s * %s', v_amount, (p_ledger.effects -> p_column ->> '*')::numeric)
        END;
    END IF;
    SELECT string_agg(format(' WHEN %L THEN %s', e.key, CASE e.value::numeric
        WHEN 1 THEN v_amount WHEN -1 THEN '-' || v_amount
        ELSE format('%s * %s', v_amount, e.value::numeric) END), '' ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each(p_ledger.effects -> p_column) AS e;
    RETURN format('CASE %I.%I::text%s ELSE 0 END', p_alias, v_kind, v_cases);
END;
$$;

--
-- Name: FUNCTION effect_sql(p_ledger _recon.ledger_source, p_column text, p_alias text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.effect_sql(p_ledger _recon.ledger_source, p_column text, p_alias text) IS 'An SQL expression (over the ledger row alias) for one entry''s effect on a balance column: the signed amount, or a CASE over the direction or operation type. Identifiers quoted with %I, values with %L.';

--
-- Name: entry_for(_recon.ledger_source, jsonb, text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.entry_for(p_ledger _recon.ledger_source, p_deltas jsonb, p_prefer text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_cols text[] := (_recon.wallet(p_ledger.wallet_source)).balance_columns;
    v_value text;
    v_amount numeric;
    v_fits boolean;
    v_col text;
    v_mult numeric;
    v_delta numeric;
BEGIN
    FOR v_value IN
        SELECT d.k FROM (SELECT DISTINCT e.key AS k
                         FROM jsonb_each(p_ledger.effects) AS x, jsonb_each(x.value) AS e) AS d
        ORDER BY array_position(p_prefer, d.k) NULLS LAST, d.k
    LOOP
        v_amount := NULL;
        v_fits := TRUE;
        FOREACH v_col IN ARRAY v_cols LOOP
            v_mult := COALESCE((p_ledger.effects -> v_col ->> v_value)::numeric, 0);
            v_delta := COALESCE((p_deltas ->> v_col)::numeric, 0);
            IF v_mult = 0 THEN
                v_fits := v_fits AND v_delta = 0;
            ELSIF v_amount IS NULL THEN
                v_amount := CASE WHEN abs(v_mult) = 1 THEN v_delta * v_mult
                                 ELSE v_delta / v_mult END;
            ELSE
                v_fits := v_fits AND v_amount * v_mult = v_delta;
            END IF;
        END LOOP;
        -- a signed ledger posts negative amounts; a typed one posts a positive amount
        IF v_fits AND v_amount IS NOT NULL AND v_amount <> 0
            AND (v_value = '*' OR v_amount > 0) THEN
            RETURN jsonb_build_object('entry_type', NULLIF(v_value, '*'), 'amount', v_amount);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION entry_for(p_ledger _recon.ledger_source, p_deltas jsonb, p_prefer text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.entry_for(p_ledger _recon.ledger_source, p_deltas jsonb, p_prefer text[]) IS 'The one ledger entry that moves the balance columns by exactly p_deltas ({column: delta}): {"entry_type": direction or type (NULL for a signed ledger), "amount": a}, preferring the types in p_prefer; NULL when no registered entry type does (the repair is then skipped).';

--
-- Name: entry_name_sql(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.entry_name_sql(p_ledger _recon.ledger_source, p_alias text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE
        WHEN p_ledger.entry_id_column IS NOT NULL
            THEN format('%I.%I', p_alias, p_ledger.entry_id_column)
        WHEN p_ledger.order_column IS NOT NULL
            THEN format('%I.%I', p_alias, p_ledger.order_column)
        ELSE 'NULL::text'
    END;
$$;

--
-- Name: FUNCTION entry_name_sql(p_ledger _recon.ledger_source, p_alias text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.entry_name_sql(p_ledger _recon.ledger_source, p_alias text) IS 'Expression identifying a ledger entry in findings: the entry id column, else the ordering column.';

--
-- Name: entry_order_sql(_recon.ledger_source, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.entry_order_sql(p_ledger _recon.ledger_source, p_alias text, p_direction text DEFAULT 'ASC'::text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(string_agg(format('%I.%I %s', p_alias, c,
                                      CASE p_direction WHEN 'DESC' THEN 'DESC' ELSE 'ASC' END),
                               ', ' ORDER BY o), 'NULL')
    FROM unnest(ARRAY[p_ledger.order_column, p_ledger.posted_at_column, p_ledger.entry_id_column])
        WITH ORDINALITY AS u (c, o)
    WHERE c IS NOT NULL;
$$;

--
-- Name: FUNCTION entry_order_sql(p_ledger _recon.ledger_source, p_alias text, p_direction text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.entry_order_sql(p_ledger _recon.ledger_source, p_alias text, p_direction text) IS 'ORDER BY list for a ledger''s entries: its ordering column, then posting time, then entry id (those registered), each ASC or, with p_direction DESC, each DESC.';

--
-- Name: evt_guard_children(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.evt_guard_children() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard _recon.guard;
    v_trigger jsonb;
    v_expected jsonb;
    v_kept jsonb;
BEGIN
    -- cheap exit for every DDL while no guard is enabled
    IF NOT EXISTS (SELECT FROM _recon.guard AS g WHERE g.compiled ? 'roots') THEN
        RETURN;
    END IF;
    -- a foreign key a guard on parent rows needs, dropped or disabled: refused
    PERFORM _recon.guard_recheck_parents();
    -- no row lock: a CREATE TEMP TABLE in a read-only transaction must still work; a guard
    -- row is written only when a table joined or left its tree
    FOR v_guard IN SELECT g.* FROM _recon.guard AS g WHERE g.compiled ? 'roots'
                   ORDER BY g.id LOOP
        v_expected := _recon.guard_tree_triggers(v_guard.compiled -> 'roots');
        -- 1. a table no longer in the tree (detached, NO INHERIT) loses what it got as a child
        v_kept := '[]';
        FOR v_trigger IN SELECT t.value FROM jsonb_array_elements(v_guard.triggers) AS t LOOP
            IF v_trigger ? 'root' AND NOT EXISTS (
                SELECT FROM jsonb_array_elements(v_expected) AS e
                WHERE e.value ->> 'table' = v_trigger ->> 'table'
                  AND e.value ->> 'trigger' = v_trigger ->> 'trigger') THEN
                IF to_regclass(v_trigger ->> 'table') IS NOT NULL THEN
                    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger ->> 'trigger',
                                   v_trigger ->> 'table');
                END IF;
            ELSE
                v_kept := v_kept || jsonb_build_array(v_trigger);
            END IF;
        END LOOP;
        -- 2. a table new in the tree (created as a partition or child, attached, INHERIT)
        FOR v_trigger IN
            SELECT t.value
            FROM jsonb_array_elements(v_expected) AS t
            WHERE NOT EXISTS (SELECT FROM pg_trigger AS x
                              WHERE x.tgrelid = (t.value ->> 'table')::regclass
                                AND x.tgname = t.value ->> 'trigger') LOOP
            EXECUTE format(CASE WHEN (v_trigger ->> 'constraint')::boolean
                                THEN 'CREATE CONSTRAINT TRIGGER %I ' ELSE 'CREATE TRIGGER %I ' END,
                           v_trigger ->> 'trigger')
                || (v_trigger ->> 'definition');
            EXECUTE format('COMMENT ON TRIGGER %I ON %s IS %L', v_trigger ->> 'trigger',
                           v_trigger ->> 'table',
                           format('wallet-recon %s guard %s on %s (recon.disable_guard(%L, %L) '
                                  || 'removes it)', v_guard.kind, v_guard.id, v_guard.target,
                                  v_guard.kind, v_guard.target));
            IF v_trigger ? 'root' THEN
                v_kept := v_kept || jsonb_build_array(v_trigger - 'definition');
            END IF;
        END LOOP;
        IF v_kept <> v_guard.triggers THEN
            UPDATE _recon.guard AS g SET triggers = v_kept WHERE g.id = v_guard.id;
        END IF;
    END LOOP;
END;
$$;

--
-- Name: FUNCTION evt_guard_children(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.evt_guard_children() IS 'Event trigger function (recon_guard_children, ddl_command_end on CREATE TABLE and ALTER TABLE): a table that has become a partition or an inheritance child of a guarded table gets the guard''s triggers (_recon.guard_tree_triggers), recorded in the guard so that recon.disable_guard() drops them; if that fails, the DDL fails. A table detached (DETACH PARTITION, NO INHERIT) loses the triggers it got as a child. A statement that takes away a foreign key an enabled guard on parent rows needs is refused (RC409, _recon.guard_recheck_parents). SECURITY DEFINER: the table''s owner needs no right on the toolkit. docs/GUARDS.md "Partitioned ledgers".';

--
-- Name: exclude_sql(oid, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.exclude_sql(p_relid oid, p_alias text, p_options jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_options ? 'exclude_values' AND NOT p_options ? 'exclude_column' THEN
        PERFORM _recon.fail('RC106', '"exclude_values" needs "exclude_column"',
                            'The values are matched against that column.', 'Add "exclude_column".');
    END IF;
    IF NOT p_options ? 'exclude_column' THEN
        RETURN 'TRUE';
    END IF;
    RETURN 'NOT ' || _recon.in_list_sql(p_relid, p_alias, p_options ->> 'exclude_column',
                                        p_options -> 'exclude_values', 'exclude_values');
END;
$$;

--
-- Name: FUNCTION exclude_sql(p_relid oid, p_alias text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.exclude_sql(p_relid oid, p_alias text, p_options jsonb) IS 'SQL condition leaving out the rows whose exclude_column is in exclude_values (e.g. a system offset account), TRUE without them; RC106 for exclude_values alone or a bad list.';

--
-- Name: fail(text, text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fail(p_code text, p_message text, p_detail text, p_hint text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = p_code, MESSAGE = p_message, DETAIL = p_detail, HINT = p_hint;
END;
$$;

--
-- Name: FUNCTION fail(p_code text, p_message text, p_detail text, p_hint text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fail(p_code text, p_message text, p_detail text, p_hint text) IS 'Raises a wallet-recon error: SQLSTATE (docs/SQLSTATES.md), message, DETAIL and HINT.';

--
-- Name: fix_all_or_nothing(bigint, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_all_or_nothing(p_stage bigint, p_blocking text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('not applied: step %s of this wallet was skipped (%s); a wallet''s '
                      || 'repairs are applied all or none', b.step, b.note)
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key, x.step,
               x.note
        FROM _recon.fix_stage AS x
        WHERE x.stage_id = p_stage AND x.status = 'skipped' AND x.note ~ p_blocking
          AND x.wallet_key IS NOT NULL
        ORDER BY x.wallet_source, x.wallet_key, x.step
    ) AS b
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.wallet_source = b.wallet_source AND s.wallet_key = b.wallet_key;
$$;

--
-- Name: FUNCTION fix_all_or_nothing(p_stage bigint, p_blocking text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_all_or_nothing(p_stage bigint, p_blocking text) IS 'Skips every planned step of a wallet one of whose steps was skipped for a reason matching p_blocking (a limit, an overdraft, a change, no writer): a wallet is repaired whole or not at all.';

--
-- Name: fix_apply(bigint, bigint, text, text, name, jsonb, jsonb, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_apply(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name, p_wallet_limit jsonb, p_run_limit jsonb, p_verify boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_pre jsonb;
    v_offsets jsonb;
    v_before jsonb;
    v_drift jsonb := _recon.guard_drift_save();
BEGIN
    -- the toolkit's own writes say so, for the guards on the write path
    PERFORM set_config('wallet_recon.fix_id', p_fix::text, TRUE);
    INSERT INTO _recon.fix_active AS a (txid, fix_id) VALUES (pg_current_xact_id(), p_fix)
    ON CONFLICT (txid) DO UPDATE SET fix_id = excluded.fix_id;
    -- 1. Lock the wallets in key order; re-verify every finding under the lock; limits.
    v_pre := _recon.fix_assess(p_stage, p_wallet_limit, p_run_limit, TRUE);
    --    A hold's resolution: the transaction's status and entries read again under the lock.
    PERFORM _recon.fix_lifecycle(p_stage, TRUE);
    -- 2. Claim each repair by its unique key: a repair applied by anyone before (or by a
    --    concurrent call that committed first) is not applied again.
    PERFORM _recon.fix_claim(p_stage, p_fix, p_ticket, p_reason, p_invoker);
    -- 3. Post into the ledgers, move the stored balances, and check the result.
    --    Each currency's totals must move by exactly the plan (offset wallets included), and
    --    every enabled check of those wallets find what it found before, less the repairs.
    v_before := _recon.fix_conserve(p_stage, v_pre, NULL);
    v_offsets := _recon.fix_post(p_stage, p_fix, p_ticket, p_reason, v_pre);
    PERFORM _recon.fix_move(p_stage, v_offsets);
    IF p_verify THEN
        PERFORM _recon.fix_verify(p_stage, v_pre);
    END IF;
    PERFORM _recon.fix_conserve(p_stage, v_pre, v_before);
    -- what the caller's transaction writes after this is not the fix's
    DELETE FROM _recon.fix_active AS a WHERE a.txid = pg_current_xact_id();
    PERFORM set_config('wallet_recon.fix_id', '', TRUE);
    PERFORM _recon.guard_drift_restore(v_drift);  -- the drift guards judge the rest
END;
$$;

--
-- Name: FUNCTION fix_apply(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name, p_wallet_limit jsonb, p_run_limit jsonb, p_verify boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_apply(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name, p_wallet_limit jsonb, p_run_limit jsonb, p_verify boolean) IS 'Applies a staged plan (recon.fix, recon.reverse_fix): locks and re-verifies (_recon.fix_assess), claims each step by its unique repair key into the audit, posts through the writers (_recon.fix_post), moves the stored balances (_recon.fix_move), checks that each currency''s totals moved by exactly the plan (_recon.fix_conserve) and, with p_verify, re-runs the checks (_recon.fix_verify). Sets wallet_recon.fix_id for the transaction.';

--
-- Name: fix_assess(bigint, jsonb, jsonb, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_assess(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_nestloop TO 'off'
    AS $$
DECLARE
    v_stored jsonb;
    v_pre jsonb;
    v_drift jsonb;
    v_currency jsonb;
    v_blocking CONSTANT text :=
        '^(above|over|would|wallet|changed|ledger|no entry|cannot|the writer|the wallet)';
BEGIN
    -- 1. Every wallet the plan touches, and the offset wallets its writers post against: read,
    --    or locked FOR UPDATE in source and key order (no deadlock between two repairs).
    v_stored := _recon.fix_read_wallets(p_stage, p_lock);

    -- 2. What each check finds now for those wallets (under the locks when applying), and
    --    how much of what the plan posts each stored balance holds already: a step whose
    --    finding is gone or has changed since the run is skipped. The same checks run again
    --    after the repair (recon.fix), against this picture.
    v_pre := _recon.fix_recheck(p_stage, v_stored);
    v_drift := _recon.fix_stored_holds(p_stage);
    PERFORM _recon.fix_skip_changed(p_stage, v_pre);

    -- 3. Applied before (this plan twice, or another operator): the unique repair key says so.
    PERFORM _recon.fix_skip_applied(p_stage);

    -- 4. Limits, in each step's currency, then what would overdraw a wallet or not fit its
    --    columns. A wallet's repairs are all applied or none: after each phase that skips a
    --    step, the wallet's other steps are skipped too (_recon.fix_all_or_nothing).
    v_currency := _recon.fix_currencies(p_stage, v_stored);
    PERFORM _recon.fix_step_limits(p_stage, p_wallet_limit, p_run_limit);
    PERFORM _recon.fix_skip_over_wallet_limit(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);
    PERFORM _recon.fix_skip_overdrafts(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);
    PERFORM _recon.fix_overdraft_evidence(p_stage);
    PERFORM _recon.fix_skip_unfit(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);
    PERFORM _recon.fix_skip_over_run_limit(p_stage);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);

    -- 5. Each step's stored balances before and after it, in step order within the wallet.
    PERFORM _recon.fix_stored_steps(p_stage);

    -- 6. What each step changes, stored and in the ledger, in its currency.
    PERFORM _recon.fix_step_changes(p_stage);
    RETURN jsonb_build_object('checks', v_pre, 'currency', v_currency, 'drift', v_drift, 'keys', (
        -- a source with no wallet in the plan (e.g. only a journal finding): [], not null
        SELECT COALESCE(jsonb_object_agg(k.key, (SELECT COALESCE(jsonb_agg(x), '[]'::jsonb)
                                                 FROM jsonb_object_keys(k.value) AS x)), '{}')
        FROM jsonb_each(v_stored) AS k));
END;
$$;

--
-- Name: FUNCTION fix_assess(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_assess(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean) IS 'Reads a staged plan''s wallets (p_lock: locks them FOR UPDATE, by source name then key), re-runs its checks for those wallets under the lock and skips what is gone or changed, skips what was applied before (repair key), what is over the per-wallet or per-call limit of its currency (p_wallet_limit, p_run_limit: the call''s maps per currency, else the policy''s, else the check''s low_limit; no limit for a currency: no automatic repair), would overdraw (unless recon.allow_overdraft() exempts the wallet or column: the step''s evidence "overdraft" says so), or would not fit your balance or amount columns (numeric(14,2) and 1e12, a third decimal), all of a wallet''s steps together; fills stored balances before and after each step. Returns {"checks": {check: {finding key: difference}} found under the lock, "keys": {wallet source: [wallet keys read or locked]}}.';

--
-- Name: fix_call_limits(bigint, numeric, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_call_limits(p_stage bigint, p_amount numeric, p_what text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_checks text;
BEGIN
    IF p_amount IS NULL THEN
        RETURN NULL;
    END IF;
    -- As for a check's own options: one amount is the limit of the check's currency, or "*"
    -- for a check where nothing carries a currency; a check whose wallets or entries each
    -- carry one and that names none cannot read it (9.5 BTC is not 9.5 JPY).
    SELECT string_agg(DISTINCT c.name, ', ' ORDER BY c.name) INTO v_checks
    FROM _recon.check_def AS c
    WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                     WHERE s.stage_id = p_stage AND s.status = 'planned')
      AND c.currency IS NULL
      AND _recon.check_row_currency(c.kind, c.ledger_source, c.wallet_source) IS NOT NULL;
    IF v_checks IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC302', format('%s %s names no currency', p_what, p_amount),
            format('The amounts of check(s) %s are in each wallet''s or entry''s own currency, '
                   || 'and they name no currency of their own.', v_checks),
            format('Give %ss per currency, e.g. %ss => ''{"USD": %s, "JPY": 50000}'' (the CLI: '
                   || '--%s USD=%s,JPY=50000); "*" applies one amount to every currency not '
                   || 'named.', p_what, p_what, p_amount, replace(p_what, '_', '-'), p_amount));
    END IF;
    RETURN (SELECT jsonb_object_agg(x.currency, p_amount)
            FROM (SELECT DISTINCT COALESCE(c.currency, '*') AS currency
                  FROM _recon.check_def AS c
                  WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                                   WHERE s.stage_id = p_stage)) AS x);
END;
$$;

--
-- Name: FUNCTION fix_call_limits(p_stage bigint, p_amount numeric, p_what text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_call_limits(p_stage bigint, p_amount numeric, p_what text) IS 'recon.fix()''s wallet_limit or run_limit given as one amount, as a map per currency: the amount for the currency of each check the plan repairs, "*" for a check without one where nothing carries a currency; RC302 when a planned check''s wallets or entries each carry a currency and it names none (wallet_limits / run_limits name them).';

--
-- Name: fix_caller(boolean, text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_caller(p_dry_run boolean, p_ticket text, p_reason text, p_what text) RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_dry_run IS NULL THEN
        PERFORM _recon.fail('RC303', 'dry_run is NULL', 'It must be true (plan) or false (apply).',
                            'Leave it out for a dry run.');
    END IF;
    IF NOT p_dry_run AND (NULLIF(btrim(p_ticket), '') IS NULL
                          OR NULLIF(btrim(p_reason), '') IS NULL) THEN
        PERFORM _recon.fail('RC303', format('%s needs a ticket and a reason', p_what),
                            format('ticket %L, reason %L.', p_ticket, p_reason),
                            'E.g. dry_run => false, ticket => ''INC-42'', reason => ''...'': '
                            || 'both go into the audit (recon.repairs).');
    END IF;
    -- A repair re-checks under its locks what it read before them. Under REPEATABLE READ or
    -- SERIALIZABLE every statement reads the transaction's first snapshot, taken before the
    -- lock wait: a concurrent repair that committed meanwhile is invisible, and would be
    -- applied twice. Only READ COMMITTED sees what the lock protects.
    IF NOT p_dry_run AND current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM _recon.fail(
            'RC310', format('%s needs READ COMMITTED, not %s', p_what,
                            upper(current_setting('transaction_isolation'))),
            'A repair re-verifies under its locks what it read before them; a REPEATABLE READ '
            || 'or SERIALIZABLE snapshot is older than the locks, so a concurrent repair would '
            || 'be invisible to it. Nothing was changed.',
            'Apply it in a READ COMMITTED transaction (the default), e.g. on its own: '
            || 'BEGIN ISOLATION LEVEL READ COMMITTED; ... COMMIT; a dry run works at any level.');
    END IF;
    -- SECURITY DEFINER callers see the owner as current_user; the role the session has set
    -- (else its login) is who is calling.
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role') END;
END;
$$;

--
-- Name: FUNCTION fix_caller(p_dry_run boolean, p_ticket text, p_reason text, p_what text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_caller(p_dry_run boolean, p_ticket text, p_reason text, p_what text) IS 'For recon.fix(), recon.reverse_fix() and recon.backfill(): RC303 when dry_run is NULL, or when applying without a ticket or a reason (p_what names the call in the message); RC310 when applying in a transaction that is not READ COMMITTED; returns the caller''s role for the audit (the role it set, else its login).';

--
-- Name: fix_claim(bigint, bigint, text, text, name); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_claim(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_nestloop TO 'off'
    AS $$
BEGIN
    WITH claimed AS (
        INSERT INTO _recon.repair AS r (
            fix_id, repair_key, step, finding_id, check_name, finding_key, wallet_source,
            wallet_key, strategy, amount, difference, moves, stored_before, stored_after,
            reverses, ticket, reason, applied_by
        )
        SELECT p_fix, s.repair_key, s.step, s.finding_id, s.check_name, s.finding_key,
               s.wallet_source, s.wallet_key,
               CASE WHEN s.status = 'covered' THEN 'covered' ELSE s.strategy END,
               CASE WHEN s.status = 'covered' THEN 0 ELSE COALESCE(s.amount, 0) END, s.difference,
               s.moves, COALESCE(s.stored_before, '{}'), COALESCE(s.stored_after, '{}'),
               CASE WHEN s.repair_key LIKE 'reverse:%'
                    THEN split_part(s.repair_key, ':', 2)::bigint END,
               p_ticket, p_reason, p_invoker
        FROM _recon.fix_stage AS s
        WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
        ORDER BY s.step
        ON CONFLICT (repair_key) DO NOTHING
        RETURNING r.id, r.step
    )
    UPDATE _recon.fix_stage AS s
    SET repair_id = c.id, status = CASE WHEN s.status = 'planned' THEN 'applied'
                                        ELSE s.status END
    FROM claimed AS c
    WHERE s.stage_id = p_stage AND s.step = c.step;
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = 'already applied by a concurrent call'
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered') AND s.repair_id IS NULL;
END;
$$;

--
-- Name: FUNCTION fix_claim(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_claim(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name) IS 'Writes the audit row of every planned (or covered) step of a staged plan, keyed by its repair key (INSERT ... ON CONFLICT DO NOTHING): a step whose key exists, or a concurrent call claimed first, is skipped; the others become applied, with their audit id.';

--
-- Name: fix_conserve(bigint, jsonb, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_conserve(p_stage bigint, p_pre jsonb, p_before jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_source text;
    v_measure jsonb := '{}'::jsonb;
    v_bad text;
    v_ledgers text[];
BEGIN
    -- 1. Measure every wallet the repair locked (offset wallets included): stored balances,
    --    and the effects of the ledgers it posts into. Called before posting (p_before NULL)
    --    and after moving the stored balances.
    FOR v_source IN SELECT k.key FROM jsonb_each(COALESCE(p_pre -> 'keys', '{}')) AS k
                    ORDER BY k.key LOOP
        v_ledgers := ARRAY(SELECT DISTINCT s.ledger_source FROM _recon.fix_stage AS s
                           JOIN _recon.ledger_source AS l ON l.name = s.ledger_source
                           WHERE s.stage_id = p_stage AND s.status = 'applied'
                             AND s.postings <> '[]' AND l.wallet_source = v_source);
        v_measure := v_measure || jsonb_build_object(v_source, _recon.fix_measure(
            v_source, ARRAY(SELECT jsonb_array_elements_text(p_pre -> 'keys' -> v_source)),
            v_ledgers));
    END LOOP;
    IF p_before IS NULL THEN
        RETURN v_measure;
    END IF;

    -- 2. Per currency (each wallet's own), wallet source or ledger, and column: what moved,
    --    against what the applied steps planned (recon.fix_step's stored_change and
    --    ledger_change). Anything else, in any currency, and nothing is applied.
    WITH moved AS (
        SELECT COALESCE(a.value ->> 'currency', '-') AS currency,
               'stored balances of ' || x.key AS what, st.key AS col,
               st.value::numeric - COALESCE((p_before -> x.key -> a.key -> 'stored'
                                            ->> st.key)::numeric, 0) AS delta
        FROM jsonb_each(v_measure) AS x, jsonb_each(x.value) AS a,
             jsonb_each_text(a.value -> 'stored') AS st
        UNION ALL
        SELECT COALESCE(a.value ->> 'currency', '-'), 'ledger ' || lg.key, e.key,
               e.value::numeric - COALESCE((p_before -> x.key -> a.key -> 'ledger' -> lg.key
                                           ->> e.key)::numeric, 0)
        FROM jsonb_each(v_measure) AS x, jsonb_each(x.value) AS a,
             jsonb_each(a.value -> 'ledger') AS lg, jsonb_each_text(lg.value) AS e
        UNION ALL  -- a wallet whose entries in a ledger are all gone
        SELECT COALESCE(a.value ->> 'currency', '-'), 'ledger ' || lg.key, e.key,
               -(e.value::numeric)
        FROM jsonb_each(p_before) AS x, jsonb_each(x.value) AS a,
             jsonb_each(a.value -> 'ledger') AS lg, jsonb_each_text(lg.value) AS e
        WHERE NOT v_measure -> x.key -> a.key -> 'ledger' -> lg.key ? e.key
    ), planned AS (
        SELECT COALESCE(p_pre -> 'currency' -> s.wallet_source ->> s.wallet_key, '-')
                   AS currency,
               'stored balances of ' || s.wallet_source AS what, d.key AS col,
               d.value::numeric AS delta
        FROM _recon.fix_stage AS s, jsonb_each_text(s.stored_change) AS d
        WHERE s.stage_id = p_stage AND s.status = 'applied'
        UNION ALL
        SELECT COALESCE(p_pre -> 'currency' -> s.wallet_source ->> s.wallet_key, '-'),
               'ledger ' || s.ledger_source, d.key, d.value::numeric
        FROM _recon.fix_stage AS s, jsonb_each_text(s.ledger_change) AS d
        WHERE s.stage_id = p_stage AND s.status = 'applied'
    ), cmp AS (
        SELECT t.currency, t.what, t.col, sum(t.delta) FILTER (WHERE t.side = 'moved') AS moved,
               sum(t.delta) FILTER (WHERE t.side = 'planned') AS planned
        FROM (SELECT 'moved' AS side, m.* FROM moved AS m
              UNION ALL
              SELECT 'planned', p.* FROM planned AS p) AS t
        GROUP BY t.currency, t.what, t.col
    )
    SELECT string_agg(format('%s %s %s: planned %s, moved %s', c.currency, c.what, c.col,
                             COALESCE(c.planned, 0), COALESCE(c.moved, 0)), '; '
                      ORDER BY c.currency, c.what, c.col)
    INTO v_bad
    FROM cmp AS c
    WHERE COALESCE(c.moved, 0) <> COALESCE(c.planned, 0);
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC307', 'the repair did not conserve: totals moved other than planned; nothing was '
                     || 'applied',
            v_bad,
            'A writer or posting function posted something other than the plan (or moved '
            || 'balances itself), an offset wallet holds another currency, or something else '
            || 'moved these wallets. Check the writer (recon.register_writer) and run the dry '
            || 'run again.');
    END IF;
    RETURN v_measure;
END;
$$;

--
-- Name: FUNCTION fix_conserve(p_stage bigint, p_pre jsonb, p_before jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_conserve(p_stage bigint, p_pre jsonb, p_before jsonb) IS 'recon.fix()''s conservation check. With p_before NULL (before posting): measures every wallet the repair locked (stored balances, currency, and sums of the ledgers it posts into) and returns it. With p_before (after moving the stored balances): measures again and raises RC307 unless, per currency, wallet source or ledger, and column, the totals moved by exactly what the applied steps planned (stored_change, ledger_change; offset wallets included).';

--
-- Name: fix_counters(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_counters(p_stage bigint) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_nestloop TO 'off'
    AS $$
DECLARE
    v_group record;
    v_ledger _recon.ledger_source;
    v_writer _recon.writer;
    v_deltas jsonb;
    v_alone boolean;
    v_together boolean;
    v_rows integer := 0;
BEGIN
    -- 1. A wallet's balance findings on several columns of one ledger, each adjusted by a
    --    posting of its own column (balance and credit_balance, inflight columns), are one
    --    posting whose effects match them all: the first step posts it, the others are covered
    --    by it. Unless each column can be posted alone and the combination cannot: then they
    --    stay apart. When neither can be posted, the one posting is refused with the reason.
    FOR v_group IN
        SELECT s.wallet_source, s.wallet_key, s.ledger_source, min(s.step) AS first_step,
               array_agg(s.step ORDER BY s.step) AS steps
        FROM _recon.fix_stage AS s
        WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
          AND s.strategy = 'adjust' AND s.ledger_source IS NOT NULL
          AND jsonb_array_length(s.postings) = 1
        GROUP BY s.wallet_source, s.wallet_key, s.ledger_source
        HAVING count(*) > 1
        ORDER BY 1, 2, 3
    LOOP
        v_ledger := _recon.ledger(v_group.ledger_source);
        SELECT w.* INTO v_writer FROM _recon.writer AS w WHERE w.ledger_source = v_ledger.name;
        v_deltas := (SELECT jsonb_object_agg(d.key, d.value)
                     FROM _recon.fix_stage AS s,
                          jsonb_each(s.postings -> 0 -> 'deltas') AS d
                     WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps));
        CONTINUE WHEN v_writer.ledger_source IS NULL OR (
            SELECT count(*) FROM _recon.fix_stage AS s,
                   jsonb_object_keys(s.postings -> 0 -> 'deltas') AS k
            WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps))
            <> (SELECT count(*) FROM jsonb_object_keys(v_deltas));
        v_together := _recon.fix_postable(v_ledger, v_writer, v_deltas);
        v_alone := NOT EXISTS (SELECT FROM _recon.fix_stage AS s
                               WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps)
                                 AND NOT _recon.fix_postable(v_ledger, v_writer,
                                                             s.postings -> 0 -> 'deltas'));
        CONTINUE WHEN v_alone AND NOT v_together;
        UPDATE _recon.fix_stage AS s
        SET postings = jsonb_build_array(jsonb_set(s.postings -> 0, '{deltas}', v_deltas)),
            -- the size of the one entry (5 for balance +5 with its counter +5)
            amount = (SELECT max(x.amount) FROM _recon.fix_stage AS x
                      WHERE x.stage_id = p_stage AND x.step = ANY (v_group.steps))
        WHERE s.stage_id = p_stage AND s.step = v_group.first_step;
        UPDATE _recon.fix_stage AS s
        SET status = 'covered', covered_by = v_group.first_step, postings = '[]', moves = '{}',
            amount = 0,
            note = format('repaired by step %s (one posting of %s)', v_group.first_step,
                          v_deltas)
        WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps)
          AND s.step <> v_group.first_step;
        v_rows := v_rows + 1;
    END LOOP;
    -- 2. On transfer rows whose rules keep monotonic counters, the row's other leg moves the
    --    offset wallet by its own rule (a debit counter where the wallet's leg moves a credit
    --    counter): each posting says so ("offset_deltas"), so that the plan shows, the toolkit
    --    moves and the verification expects that, not the opposite of the wallet's deltas.
    PERFORM _recon.fix_offset_legs(p_stage);
    RETURN v_rows;
END;
$$;

--
-- Name: FUNCTION fix_counters(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_counters(p_stage bigint) IS 'Counter-aware repairs in a staged plan: a wallet''s adjustments of several balance columns of one ledger (balance with credit_balance or debit_balance, inflight columns) become one posting whose effects match them all (the first step posts it, the others are covered by it), unless each column can be posted alone and the combination cannot; then records on every posting what the other leg of a transfer row moves the offset wallet by (_recon.fix_offset_legs). Returns how many postings it merged.';

--
-- Name: fix_currencies(bigint, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_currencies(p_stage bigint, p_stored jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ws _recon.wallet_source;
    v_map jsonb;
    v_currency jsonb := '{}'::jsonb;
BEGIN
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage)
                  AND w.currency_column IS NOT NULL
                ORDER BY w.name LOOP
        v_map := _recon.fix_measure(v_ws.name,
                                    ARRAY(SELECT jsonb_object_keys(p_stored -> v_ws.name)), '{}');
        v_currency := v_currency || jsonb_build_object(v_ws.name, COALESCE((
            SELECT jsonb_object_agg(m.key, m.value -> 'currency') FROM jsonb_each(v_map) AS m),
            '{}'));
    END LOOP;
    UPDATE _recon.fix_stage AS s
    SET currency = COALESCE(v_currency -> s.wallet_source ->> s.wallet_key, f.currency,
                            c.currency)
    FROM _recon.fix_stage AS s0
    LEFT JOIN _recon.check_def AS c ON c.name = s0.check_name
    LEFT JOIN _recon.finding AS f ON f.id = s0.finding_id
    WHERE s.stage_id = p_stage AND s0.stage_id = p_stage AND s0.step = s.step;
    RETURN v_currency;
END;
$$;

--
-- Name: FUNCTION fix_currencies(p_stage bigint, p_stored jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_currencies(p_stage bigint, p_stored jsonb) IS 'Phase 4 of _recon.fix_assess: sets each step''s currency: its wallet''s currency column (read for the wallets in p_stored), else its finding''s, else its check''s. Returns {wallet source: {wallet key: currency}} for the sources with a currency column.';

--
-- Name: fix_evidence(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_evidence(p_stage bigint) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_nestloop TO 'off'
    AS $_$
DECLARE
    v_ledger _recon.ledger_source;
    v_legs _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_chain text;
    v_keys text[];
    v_key_type regtype;
    v_breaks jsonb;
    v_journals jsonb;
    v_journal_checks text[];
    v_rows integer := 0;
    v_n integer;
BEGIN
    -- Ledger by ledger: the balance steps that would set a stored balance to the ledger
    -- (resync) or the ledger to a stored balance (adjust). Either is right only when the
    -- ledger is internally consistent: its running balance unbroken, its journals balanced.
    FOR v_ledger IN SELECT DISTINCT l.* FROM _recon.fix_stage AS s
                    JOIN _recon.check_def AS c ON c.name = s.check_name
                    JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
                    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
                      AND s.strategy IN ('resync', 'adjust')
                    ORDER BY l.name LOOP
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        -- the ledger's legs, as the checks count them (_recon.legs_sql), under canonical names
        v_legs := _recon.legs(v_ledger);
        v_key_type := _recon.column_type(v_wallet.relid, v_wallet.key_column);
        v_keys := ARRAY(SELECT DISTINCT s.wallet_key FROM _recon.fix_stage AS s
                        JOIN _recon.check_def AS c ON c.name = s.check_name
                        WHERE s.stage_id = p_stage AND s.kind = 'balance'
                          AND s.status = 'planned' AND s.strategy IN ('resync', 'adjust')
                          AND c.ledger_source = v_ledger.name AND s.wallet_key IS NOT NULL);
        -- The running balance follows one column (as recon.fix posts it): the chain check's,
        -- else the first the ledger moves.
        v_chain := NULL;
        v_breaks := '{}';
        IF v_ledger.balance_after_column IS NOT NULL THEN
            v_chain := COALESCE(
                (SELECT c.options ->> 'column' FROM _recon.check_def AS c
                 WHERE c.kind = 'chain' AND c.ledger_source = v_ledger.name
                 ORDER BY c.name LIMIT 1),
                (SELECT b FROM unnest(v_wallet.balance_columns) AS b
                 WHERE v_ledger.effects ? b LIMIT 1));
            -- Each wallet's breaks, in entry order: balance_after <> the previous one plus the
            -- entry's effect (from 0). A break the next entry cancels is one running balance
            -- recorded wrong; one it does not is a gap of exactly what the ledger lost there.
            EXECUTE format($q$
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
                v_legs.wallet_column, _recon.entry_name_sql(v_legs, 'l'),
                v_legs.balance_after_column, _recon.effect_sql(v_legs, v_chain, 'l'),
                _recon.legs_sql(v_ledger), v_key_type, _recon.entry_order_sql(v_legs, 'l'))
            INTO v_breaks USING v_keys;
        END IF;

        -- Unbalanced journals, as the ledger's enabled journal checks last found them and as
        -- they are now: each with its imbalance in effect on every balance column, and its
        -- wallets. Only those journals are read (never the whole ledger).
        v_journals := '[]';
        v_journal_checks := ARRAY(SELECT c.name FROM _recon.check_def AS c
                                  WHERE c.kind = 'journal' AND c.enabled
                                    AND c.ledger_source = v_ledger.name ORDER BY c.name);
        IF v_ledger.journal_column IS NOT NULL AND cardinality(v_journal_checks) > 0 THEN
            EXECUTE format($q$
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
                v_legs.journal_column,
                (SELECT string_agg(format('%L, sum(%s)', b, _recon.effect_sql(v_legs, b, 'l')),
                                   ', ')
                 FROM unnest(v_wallet.balance_columns) AS b WHERE v_ledger.effects ? b),
                v_legs.wallet_column, _recon.legs_sql(v_ledger),
                _recon.column_type(v_ledger.relid, v_ledger.journal_column))
            INTO v_journals
            USING ARRAY(SELECT DISTINCT f.details ->> 'journal' FROM _recon.finding AS f
                        WHERE f.check_name = ANY (v_journal_checks) AND f.resolved_run IS NULL
                          AND f.dropped_at IS NULL AND f.details ? 'journal');
        END IF;

        -- The verdict per step.
        UPDATE _recon.fix_stage AS s
        SET evidence = v.evidence,
            status = CASE WHEN v.keep THEN s.status
                          WHEN v.verdict = 'lost_entry' AND v.restore THEN s.status
                          ELSE 'manual' END,
            strategy = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN 'restore'
                            ELSE s.strategy END,
            ledger_source = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN v_ledger.name
                                 ELSE s.ledger_source END,
            moves = CASE WHEN v.keep THEN s.moves ELSE '{}'::jsonb END,
            postings = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN jsonb_build_array(
                                jsonb_strip_nulls(jsonb_build_object(
                                    'wallet', s.wallet_key,
                                    'deltas', jsonb_build_object(v.col, s.difference),
                                    'purpose', 'restore', 'journal', v.journal))
                                || jsonb_build_object('offset_wallet', NULL))
                            WHEN v.keep THEN s.postings
                            ELSE '[]'::jsonb END,
            note = CASE WHEN v.keep THEN s.note ELSE v.note END
        FROM (
            SELECT e.step, e.col, e.verdict, e.restore, e.journal,
                   -- the strategy stands where the evidence supports it; an adjustment
                   -- trusts the stored balance, which a lost update shows wrong
                   (e.verdict IN ('consistent', 'no_evidence')
                    OR (e.verdict = 'lost_update' AND e.strategy = 'resync')) AS keep,
                   jsonb_strip_nulls(jsonb_build_object(
                       'verdict', e.verdict,
                       'ledger', v_ledger.name,
                       'chain', CASE WHEN NOT e.chain_kept THEN 'not kept'
                                     WHEN e.breaks IS NULL THEN 'intact'
                                     ELSE 'broken' END,
                       'breaks', e.breaks,
                       'journals', CASE
                           WHEN v_ledger.journal_column IS NULL THEN 'not kept'
                           WHEN cardinality(v_journal_checks) = 0
                               THEN 'not examined: no enabled journal check'
                           WHEN e.journals = '[]' THEN 'balanced' ELSE 'unbalanced' END,
                       'unbalanced_journals', NULLIF(e.journals, '[]'),
                       'restore_journal', CASE WHEN e.verdict = 'lost_entry' AND e.restore
                                               THEN e.journal END,
                       'note', CASE e.verdict
                           WHEN 'no_evidence' THEN 'no ledger evidence available'
                           WHEN 'lost_update' THEN format(
                               'the running balance has a gap of exactly the drift at entry %s '
                               || 'and %s: the stored balance lost an update',
                               e.breaks -> 0 ->> 'entry',
                               CASE WHEN e.journals_kept THEN 'every journal balances'
                                    ELSE 'the ledger keeps no journal to show a lost entry' END)
                           END)) AS evidence,
                   CASE e.verdict
                       WHEN 'lost_update' THEN format(
                           'the running balance shows the stored balance lost an update (a gap '
                           || 'of exactly the drift at entry %s): an adjustment would book the '
                           || 'loss into the ledger; resync it (force_strategy => ''resync'')',
                           e.breaks -> 0 ->> 'entry')
                       WHEN 'lost_entry' THEN CASE WHEN e.restore THEN NULL ELSE format(
                           'the ledger lost an entry of %s on this wallet (a gap in its running '
                           || 'balance at entry %s) but no single unbalanced journal lacks '
                           || 'exactly that amount: restore it by hand, or acknowledge',
                           e.difference, e.breaks -> 0 ->> 'entry') END
                       ELSE format(
                           'the ledger is not consistent for this wallet (%s): resyncing or '
                           || 'adjusting would book its error; repair by hand, or acknowledge',
                           concat_ws('; ',
                               CASE WHEN e.breaks IS NOT NULL THEN format(
                                   'running balance breaks at %s',
                                   (SELECT string_agg(format('entry %s (%s %s)', b ->> 'entry',
                                                             b ->> 'kind', b ->> 'gap'), ', ')
                                    FROM jsonb_array_elements(e.breaks) AS b)) END,
                               CASE WHEN e.journals <> '[]' THEN format(
                                   'unbalanced journal %s',
                                   (SELECT string_agg(format('%s (%s)', j ->> 'journal',
                                                             j -> 'imbalance' ->> e.col), ', ')
                                    FROM jsonb_array_elements(e.journals) AS j)) END))
                   END AS note
            FROM (
                SELECT d.*,
                       CASE
                           WHEN NOT d.chain_kept AND NOT d.journals_kept THEN 'no_evidence'
                           WHEN d.breaks IS NULL AND d.journals = '[]' THEN 'consistent'
                           WHEN jsonb_array_length(d.breaks) = 1
                                AND d.breaks -> 0 ->> 'kind' = 'gap'
                                AND (d.breaks -> 0 ->> 'gap')::numeric = d.difference
                               THEN CASE
                                   -- every entry there and every journal balanced: the
                                   -- running balance shows the stored balance was overwritten
                                   -- (a lost update), not that the ledger lost a row
                                   WHEN d.journals = '[]' THEN 'lost_update'
                                   ELSE 'lost_entry' END
                           ELSE 'inconsistent'
                       END AS verdict,
                       -- restored exactly: the gap gives the amount, and the one unbalanced
                       -- journal lacking exactly it gives the transaction
                       (d.journals_kept AND jsonb_array_length(d.journals) = 1
                        AND (d.journals -> 0 -> 'imbalance' ->> d.col)::numeric = -d.difference)
                           AS restore,
                       d.journals -> 0 ->> 'journal' AS journal
                FROM (
                    SELECT s.step, s.difference, s.strategy, f.details ->> 'column' AS col,
                           (v_chain IS NOT NULL AND f.details ->> 'column' = v_chain)
                               AS chain_kept,
                           (v_ledger.journal_column IS NOT NULL
                            AND cardinality(v_journal_checks) > 0) AS journals_kept,
                           CASE WHEN f.details ->> 'column' = v_chain
                                THEN v_breaks -> s.wallet_key END AS breaks,
                           -- journals of this wallet's entries, or lacking exactly its drift
                           COALESCE((SELECT jsonb_agg(j.value ORDER BY j.value ->> 'journal')
                                     FROM jsonb_array_elements(v_journals) AS j
                                     WHERE j.value -> 'wallets' ? s.wallet_key
                                        OR (j.value -> 'imbalance' ->> (f.details ->> 'column'))
                                           ::numeric = -s.difference), '[]') AS journals
                    FROM _recon.fix_stage AS s
                    JOIN _recon.finding AS f ON f.id = s.finding_id
                    JOIN _recon.check_def AS c ON c.name = s.check_name
                    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
                      AND s.strategy IN ('resync', 'adjust')
                      AND c.ledger_source = v_ledger.name AND s.wallet_key IS NOT NULL
                ) AS d
            ) AS e
        ) AS v
        WHERE s.stage_id = p_stage AND s.step = v.step;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_rows := v_rows + v_n;
    END LOOP;
    -- A restored entry belongs in its journal: an INSERT writer without a journal template
    -- does not write the journal column.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('the writer of ledger %s does not write its journal column, and the '
                      || 'restored entry belongs in journal %s: register the writer with a '
                      || '"journal" template, or restore it by hand', w.ledger_source,
                      s.postings -> 0 ->> 'journal')
    FROM _recon.writer AS w
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.strategy = 'restore'
      AND w.ledger_source = s.ledger_source AND w.kind = 'insert' AND w.journal IS NULL
      AND s.postings -> 0 ? 'journal';
    RETURN v_rows;
END;
$_$;

--
-- Name: FUNCTION fix_evidence(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_evidence(p_stage bigint) IS 'Chooses, on the ledger''s evidence, how recon.fix() repairs each balance finding of a staged plan it would resync or adjust: reads the wallet''s running balance (breaks, and whether a break is a gap of exactly the drift or a misrecorded balance) and the ledger''s unbalanced journals (those its journal checks found, re-read now). A consistent ledger, or one that keeps neither (evidence: no ledger evidence available), keeps the strategy; a ledger that lost one entry of exactly the drift, in the one journal lacking exactly it, gets it restored (strategy restore: one entry, no offset side, stored balance unchanged); anything else is manual, its note naming the evidence. Sets each step''s evidence. Returns the steps judged.';

--
-- Name: fix_floats(bigint, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_floats(p_stage bigint, p_apply boolean) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_steps integer;
    v_first text;
BEGIN
    -- 1. A planned step that posts into a ledger with a float amount (or running balance), or
    --    moves a float stored balance, is left to a person: a float cannot hold the repair
    --    exactly. The dry run says why.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual', moves = '{}',
        note = format('float amounts (RC320): %s; repair by hand, or acknowledge', u.why)
    FROM (
        SELECT st.step, COALESCE(
            CASE WHEN st.postings <> '[]' THEN _recon.float_refusal(l) END,
            (SELECT format('column %I of %s is of a float type (%s)', m.key, w.relid::regclass,
                           _recon.column_type(w.relid, m.key::name))
             FROM jsonb_each(st.moves) AS m
             WHERE _recon.column_type(w.relid, m.key::name)
                   IN ('real'::regtype, 'double precision'::regtype)
             ORDER BY m.key LIMIT 1)) AS why
        FROM _recon.fix_stage AS st
        LEFT JOIN _recon.ledger_source AS l ON l.name = st.ledger_source
        LEFT JOIN _recon.wallet_source AS w ON w.name = st.wallet_source
        WHERE st.stage_id = p_stage AND st.status = 'planned'
    ) AS u
    WHERE s.stage_id = p_stage AND s.step = u.step AND u.why IS NOT NULL;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    -- 2. Applying: refused whole, before anything is locked or written.
    IF p_apply THEN
        SELECT format('step %s (%s, wallet %s): %s', s.step, s.check_name, s.wallet_key, s.note)
        INTO v_first
        FROM _recon.fix_stage AS s
        WHERE s.stage_id = p_stage AND s.status = 'manual' AND s.note LIKE 'float amounts (RC320)%'
        ORDER BY s.step LIMIT 1;
        IF v_first IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC320', 'recon.fix refuses to repair float amounts automatically',
                format('%s. Nothing was applied.', v_first),
                'Acknowledge those findings or leave them out (findings => ..., wallets => ...), '
                || 'and repair them by hand; better, make the column numeric or an integer of '
                || 'minor units with a "scale" (docs/CHECKS.md "Minor units").');
        END IF;
    END IF;
    RETURN v_steps;
END;
$$;

--
-- Name: FUNCTION fix_floats(p_stage bigint, p_apply boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_floats(p_stage bigint, p_apply boolean) IS 'Marks manual, with the reason, every planned step of a staged plan that would post into a ledger with a float amount or running balance (_recon.float_refusal) or move a float stored balance; with p_apply, raises RC320 when the plan has such a step (recon.fix applying: nothing is applied). Returns how many steps it marked.';

--
-- Name: fix_lifecycle(bigint, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_lifecycle(p_stage bigint, p_recheck boolean) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_check _recon.check_def;
    v_ledger _recon.ledger_source;
    v_legs _recon.ledger_source;
    v_step _recon.fix_stage;
    v_hold text;
    v_terminal text[];
    v_release text;
    v_commit text;
    v_approved text[];
    v_canceled text[];
    v_status_sql text;
    v_legs_sql text;
    v_journal_type text;
    v_journal text;
    v_status text;
    v_entries jsonb;
    v_holds jsonb;
    v_res jsonb;
    v_want text;
    v_keep jsonb;
    v_postings jsonb;
    v_net jsonb;
    v_note text;
    v_verdict text;
    v_evidence jsonb;
    v_rows integer := 0;
BEGIN
    FOR v_check IN SELECT DISTINCT c.* FROM _recon.check_def AS c
                   JOIN _recon.fix_stage AS s ON s.check_name = c.name
                   WHERE s.stage_id = p_stage AND s.kind = 'lifecycle' AND s.strategy = 'resolve'
                     AND s.status = 'planned'
                   ORDER BY c.name LOOP
        v_ledger := _recon.ledger(v_check.options ->> 'ledger');
        v_legs := _recon.legs(v_ledger);
        v_legs_sql := _recon.legs_sql(v_ledger);
        v_hold := v_check.options ->> 'hold';
        v_terminal := ARRAY(SELECT jsonb_array_elements_text(v_check.options -> 'terminal'));
        -- the statuses that say which (Midaz's, seed 001's by default)
        v_approved := ARRAY(SELECT jsonb_array_elements_text(
                                COALESCE(v_check.options -> 'approved', '["APPROVED"]')));
        v_canceled := ARRAY(SELECT jsonb_array_elements_text(
                                COALESCE(v_check.options -> 'canceled', '["CANCELED"]')));
        -- The terminal that undoes the hold exactly releases it; the one other terminal commits
        -- it (a DEBIT from on_hold, a COMMIT). Either may be missing: then that repair is not
        -- made.
        v_release := (SELECT t FROM unnest(v_terminal) AS t
                      WHERE _recon.rule_effect(v_legs, t, 1) = _recon.rule_effect(v_legs, v_hold, -1)
                      LIMIT 1);
        v_commit := (SELECT min(t) FROM unnest(v_terminal) AS t
                     WHERE t IS DISTINCT FROM v_release HAVING count(*) = 1);
        v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
        -- The transaction's status: its row in the status table (kept FOR SHARE when
        -- re-checked under the wallets' locks, so that it cannot change before the repair
        -- commits), else the status of the journal's latest entry.
        IF v_check.options ? 'status_table' THEN
            v_status_sql := format('SELECT st.%I::text FROM %s AS st WHERE st.%I = $1::%s %s',
                                   v_check.options ->> 'status_column',
                                   _recon.resolve_table(v_check.options ->> 'status_table')::regclass,
                                   v_check.options ->> 'status_key', v_journal_type,
                                   CASE WHEN p_recheck THEN 'FOR SHARE' ELSE '' END);
        ELSIF v_legs.status_column IS NOT NULL THEN
            v_status_sql := format('SELECT l.%I::text FROM %s AS l WHERE l.%I = $1::%s ORDER BY %s '
                                   || 'LIMIT 1', v_legs.status_column, v_legs_sql,
                                   v_legs.journal_column, v_journal_type,
                                   _recon.entry_order_sql(v_legs, 'l', 'DESC'));
        ELSE
            v_status_sql := NULL;
        END IF;
        FOR v_step IN SELECT s.* FROM _recon.fix_stage AS s
                      WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                        AND s.strategy = 'resolve' AND s.status = 'planned'
                      ORDER BY s.step LOOP
            SELECT f.details ->> 'transaction' INTO v_journal FROM _recon.finding AS f
            WHERE f.id = v_step.finding_id;
            v_status := NULL;
            IF v_status_sql IS NOT NULL THEN
                EXECUTE v_status_sql INTO v_status USING v_journal;
            END IF;
            -- every entry of the transaction, every wallet's, in entry order
            EXECUTE format(
                'SELECT COALESCE(jsonb_agg(jsonb_build_object(''entry'', %1$s, ''wallet'', '
                || 'l.%2$I::text, ''kind'', l.%3$I::text, ''amount'', l.%4$I) ORDER BY %5$s), '
                || '''[]'') FROM %6$s AS l WHERE l.%7$I = $1::%8$s',
                _recon.entry_name_sql(v_legs, 'l'), v_legs.wallet_column, v_legs.operation_column,
                v_legs.amount_column, _recon.entry_order_sql(v_legs, 'l'), v_legs_sql,
                v_legs.journal_column, v_journal_type)
            INTO v_entries USING v_journal;
            v_holds := (SELECT COALESCE(jsonb_agg(e), '[]') FROM jsonb_array_elements(v_entries) AS e
                        WHERE e ->> 'wallet' = v_step.wallet_key AND e ->> 'kind' = v_hold);
            v_res := (SELECT COALESCE(jsonb_agg(e), '[]') FROM jsonb_array_elements(v_entries) AS e
                      WHERE e ->> 'wallet' = v_step.wallet_key
                        AND e ->> 'kind' = ANY (v_terminal));
            v_postings := '[]';
            v_note := NULL;
            v_verdict := NULL;
            v_want := CASE WHEN v_status = ANY (v_approved) THEN v_commit
                           WHEN v_status = ANY (v_canceled) THEN v_release END;
            IF jsonb_array_length(v_holds) <> 1 THEN
                v_note := format('%s holds (%s) on the wallet in transaction %s: which one to '
                                 || 'resolve needs a person', jsonb_array_length(v_holds), v_hold,
                                 v_journal);
            ELSIF jsonb_array_length(v_res) = 0 THEN
                IF v_status IS NULL OR NOT (v_status = ANY (v_approved || v_canceled)) THEN
                    v_note := format('transaction %s is %s: neither approved (%s) nor canceled '
                                     || '(%s); whether the hold is committed or released needs '
                                     || 'a person', v_journal, COALESCE(v_status, 'of no status'),
                                     array_to_string(v_approved, ', '),
                                     array_to_string(v_canceled, ', '));
                ELSIF v_want IS NULL THEN
                    v_note := format('transaction %s is %s, but no terminal of %s %s the hold '
                                     || 'exactly', v_journal, v_status, v_check.name,
                                     CASE WHEN v_status = ANY (v_approved) THEN 'commits'
                                          ELSE 'releases' END);
                ELSE
                    v_verdict := CASE WHEN v_want = v_release THEN 'canceled_not_released'
                                      ELSE 'approved_not_committed' END;
                    v_postings := jsonb_build_array(jsonb_build_object(
                        'wallet', v_step.wallet_key,
                        'deltas', _recon.rule_effect(v_legs, v_want,
                                                     (v_holds -> 0 ->> 'amount')::numeric),
                        'purpose', CASE WHEN v_want = v_release THEN 'release' ELSE 'commit' END,
                        'journal', v_journal, 'hold', v_holds -> 0 ->> 'entry',
                        'status', v_status, 'offset_wallet', NULL));
                END IF;
            ELSIF jsonb_array_length(v_res) = 1
                AND (v_res -> 0 ->> 'amount')::numeric <= (v_holds -> 0 ->> 'amount')::numeric THEN
                v_verdict := 'resolved';
                v_note := format('already consistent: the hold is resolved by entry %s (%s)',
                                 v_res -> 0 ->> 'entry', v_res -> 0 ->> 'kind');
            ELSIF EXISTS (SELECT FROM jsonb_array_elements(v_res) AS r
                          WHERE (r ->> 'amount')::numeric
                                <> (v_holds -> 0 ->> 'amount')::numeric) THEN
                v_note := format('transaction %s resolves the hold of %s by other amounts (%s): '
                                 || 'needs a person', v_journal, v_holds -> 0 ->> 'amount',
                                 (SELECT string_agg(format('%s %s', r ->> 'kind', r ->> 'amount'),
                                                    ', ')
                                  FROM jsonb_array_elements(v_res) AS r));
            ELSE
                -- resolved more than once: keep the first resolution the status asks for (or
                -- the first, when all are of one kind and the status says nothing); each other
                -- one is reversed by an entry of the opposite effect in the same transaction
                v_want := COALESCE(v_want, (SELECT min(r ->> 'kind')
                                            FROM jsonb_array_elements(v_res) AS r
                                            HAVING count(DISTINCT r ->> 'kind') = 1));
                v_keep := (SELECT r FROM jsonb_array_elements(v_res) WITH ORDINALITY AS x (r, n)
                           WHERE r ->> 'kind' = v_want ORDER BY n LIMIT 1);
                IF v_keep IS NULL THEN
                    v_note := format('transaction %s is %s, but its hold is resolved by %s: '
                                     || 'needs a person', v_journal,
                                     COALESCE(v_status, 'of no status'),
                                     (SELECT string_agg(r ->> 'kind', ', ')
                                      FROM jsonb_array_elements(v_res) AS r));
                ELSE
                    v_verdict := 'resolved_twice';
                    v_postings := (
                        SELECT jsonb_agg(jsonb_build_object(
                            'wallet', v_step.wallet_key,
                            'deltas', _recon.rule_effect(v_legs, r ->> 'kind',
                                                         -((r ->> 'amount')::numeric)),
                            'purpose', 'reversal', 'entry', r ->> 'entry', 'journal', v_journal,
                            'hold', v_holds -> 0 ->> 'entry', 'status', v_status,
                            'offset_wallet', NULL) ORDER BY n)
                        FROM jsonb_array_elements(v_res) WITH ORDINALITY AS x (r, n)
                        WHERE r IS DISTINCT FROM v_keep);
                END IF;
            END IF;
            -- An INSERT writer writes the journal column only from its template: without one
            -- its row would not land in the hold's transaction.
            IF v_note IS NULL AND EXISTS (SELECT FROM _recon.writer AS w
                                          WHERE w.ledger_source = v_ledger.name
                                            AND w.kind = 'insert' AND w.journal IS NULL) THEN
                v_note := format('the INSERT writer of ledger %s cannot post into transaction %s '
                                 || '(it has no "journal" template): register a posting '
                                 || 'function, or one with a journal template', v_ledger.name,
                                 v_journal);
                v_verdict := NULL;
                v_postings := '[]';
            END IF;
            -- What the transaction nets to, every wallet and column, with the postings: a
            -- repair leaves it balanced (0 on every column) or is not made.
            IF v_note IS NULL THEN
                v_net := (SELECT COALESCE(jsonb_object_agg(n.col, n.total), '{}') FROM (
                              SELECT d.key AS col, sum(d.value::numeric) AS total
                              FROM (SELECT _recon.rule_effect(v_legs, e ->> 'kind',
                                                              (e ->> 'amount')::numeric) AS fx
                                    FROM jsonb_array_elements(v_entries) AS e
                                    UNION ALL
                                    SELECT p -> 'deltas' FROM jsonb_array_elements(v_postings) AS p
                                   ) AS x, jsonb_each_text(x.fx) AS d
                              GROUP BY d.key HAVING sum(d.value::numeric) <> 0) AS n);
                IF v_net <> '{}' THEN
                    v_note := format('transaction %s would not balance after it (it would net '
                                     || '%s): needs a person', v_journal, v_net);
                    v_verdict := NULL;
                    v_postings := '[]';
                END IF;
            END IF;
            v_evidence := jsonb_strip_nulls(jsonb_build_object(
                'verdict', COALESCE(v_verdict, 'needs_person'), 'transaction', v_journal,
                'status', v_status, 'holds', v_holds, 'resolutions', v_res,
                'entries', jsonb_array_length(v_entries)));
            IF p_recheck THEN
                -- under the wallets' locks: what the plan read must still be so
                IF v_note IS NOT NULL OR v_postings IS DISTINCT FROM v_step.postings THEN
                    UPDATE _recon.fix_stage AS s
                    SET status = 'skipped', evidence = v_evidence,
                        note = format('changed since the plan: %s',
                                      COALESCE(v_note, 'the transaction''s entries or status'))
                    WHERE s.stage_id = p_stage AND s.step = v_step.step;
                    v_rows := v_rows + 1;
                END IF;
                CONTINUE;
            END IF;
            UPDATE _recon.fix_stage AS s
            SET postings = v_postings,
                moves = COALESCE((SELECT jsonb_object_agg(m.col, m.total) FROM (
                                      SELECT d.key AS col, sum(d.value::numeric) AS total
                                      FROM jsonb_array_elements(v_postings) AS p,
                                           jsonb_each_text(p -> 'deltas') AS d
                                      GROUP BY d.key) AS m), '{}'),
                evidence = v_evidence,
                status = CASE WHEN v_verdict = 'resolved' THEN 'skipped'
                              WHEN v_note IS NOT NULL THEN 'manual' ELSE s.status END,
                note = v_note
            WHERE s.stage_id = p_stage AND s.step = v_step.step;
            v_rows := v_rows + 1;
        END LOOP;
    END LOOP;
    IF p_recheck THEN
        PERFORM _recon.fix_all_or_nothing(p_stage, '^changed since the plan');
        RETURN v_rows;
    END IF;
    -- A duplicate finding of exactly the resolutions this plan reverses (a RELEASE posted
    -- twice) is repaired by that reversal.
    UPDATE _recon.fix_stage AS d
    SET status = 'covered', covered_by = r.step, postings = '[]', moves = '{}',
        note = format('repaired by step %s (resolve of %s)', r.step, r.check_name)
    FROM _recon.finding AS f, _recon.fix_stage AS r
    WHERE d.stage_id = p_stage AND d.kind = 'duplicate' AND d.status IN ('planned', 'manual')
      AND f.id = d.finding_id AND jsonb_typeof(f.details -> 'entries') = 'array'
      AND r.stage_id = p_stage AND r.strategy = 'resolve' AND r.status = 'planned'
      AND r.wallet_source = d.wallet_source AND r.wallet_key = d.wallet_key
      AND ARRAY(SELECT x FROM jsonb_array_elements_text(f.details -> 'entries')
                    WITH ORDINALITY AS e (x, n) WHERE n > 1 ORDER BY x)
          = ARRAY(SELECT p ->> 'entry' FROM jsonb_array_elements(r.postings) AS p
                  WHERE p ->> 'purpose' = 'reversal' ORDER BY 1);
    RETURN v_rows;
END;
$_$;

--
-- Name: FUNCTION fix_lifecycle(p_stage bigint, p_recheck boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_lifecycle(p_stage bigint, p_recheck boolean) IS 'Plans the resolve steps of a staged plan''s lifecycle findings on evidence, never on the finding alone: the transaction''s status (status table, else its latest entry''s) and its entries. A hold not resolved whose transaction is approved (option "approved", default APPROVED) gets the terminal that commits it (a DEBIT from on_hold), one canceled ("canceled", default CANCELED) the terminal that releases it exactly; a hold resolved more than once keeps the first resolution the status asks for, each other one reversed in the same transaction. Anything else (several holds, other amounts, a pending or unknown status, a transaction that would not balance after it) is manual, the note saying why. With p_recheck (under the wallets'' locks, the status row kept FOR SHARE) a step whose evidence changed is skipped, with the rest of its wallet. Returns how many steps it read.';

--
-- Name: fix_limit(numeric, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_limit(p_value numeric, p_what text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_value IS NOT NULL AND (p_value < 0 OR p_value IN ('NaN', 'Infinity')) THEN
        PERFORM _recon.fail('RC302', format('invalid %s %s', p_what, p_value),
                            'A limit is a finite amount of zero or more, in the check''s currency.',
                            'Pass NULL for the check''s own limit, or e.g. 100.');
    END IF;
    RETURN p_value;
END;
$$;

--
-- Name: FUNCTION fix_limit(p_value numeric, p_what text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_limit(p_value numeric, p_what text) IS 'Returns the limit if it is NULL or a finite amount >= 0; RC302 otherwise (negative, NaN, Infinity).';

--
-- Name: fix_measure(text, text[], text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_measure(p_source text, p_keys text[], p_ledgers text[]) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_source);
    v_ledger _recon.ledger_source;
    v_key_type regtype := _recon.column_type(v_ws.relid, v_ws.key_column);
    v_result jsonb;
    v_sums jsonb;
BEGIN
    -- {wallet: {"currency": c, "stored": {column: value}, "ledger": {ledger: {column: sum}}}}
    EXECUTE format(
        'SELECT COALESCE(jsonb_object_agg(w.%1$I::text, jsonb_build_object('
        || '''currency'', %2$s, ''stored'', jsonb_build_object(%3$s), ''ledger'', ''{}''::jsonb)), '
        || '''{}'') FROM %4$s AS w WHERE w.%1$I = ANY ($1::%5$s[])',
        v_ws.key_column,
        CASE WHEN v_ws.currency_column IS NOT NULL
             THEN format('w.%I::text', v_ws.currency_column) ELSE 'NULL::text' END,
        (SELECT string_agg(format('%L, %s', b, _recon.major_sql(v_ws.balance_scale,  -- major units
                                                                  format('w.%I', b), 'w')), ', ')
         FROM unnest(v_ws.balance_columns) AS b),
        v_ws.relid::regclass, v_key_type)
    INTO v_result USING p_keys;
    -- Each ledger's effects on each balance column, summed per wallet over its legs (the rows
    -- the checks count: both sides of a transfer row, only the rows the filters keep): only
    -- these wallets' entries are read (an index on the ledger's wallet column serves it).
    FOR v_ledger IN SELECT l.* FROM _recon.ledger_source AS l
                    WHERE l.wallet_source = p_source AND l.name = ANY (p_ledgers)
                    ORDER BY l.name LOOP
        EXECUTE format(
            'SELECT COALESCE(jsonb_object_agg(x.k, x.v), ''{}'') FROM (SELECT l.%1$I::text AS k, '
            || 'jsonb_build_object(%2$s) AS v FROM %3$s AS l WHERE l.%1$I = ANY ($1::%4$s[]) '
            || 'GROUP BY l.%1$I) AS x',
            'wallet',
            COALESCE((SELECT string_agg(format('%L, COALESCE(sum(%s), 0)', b,
                                               _recon.effect_sql(_recon.legs(v_ledger), b, 'l')),
                                        ', ')
                      FROM unnest(v_ws.balance_columns) AS b WHERE v_ledger.effects ? b), ''),
            _recon.legs_sql(v_ledger), v_key_type)
        INTO v_sums USING p_keys;
        SELECT COALESCE(jsonb_object_agg(r.key, jsonb_set(r.value, ARRAY['ledger', v_ledger.name],
                                                          COALESCE(v_sums -> r.key, '{}'))), '{}')
        INTO v_result
        FROM jsonb_each(v_result) AS r;
    END LOOP;
    RETURN v_result;
END;
$_$;

--
-- Name: FUNCTION fix_measure(p_source text, p_keys text[], p_ledgers text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_measure(p_source text, p_keys text[], p_ledgers text[]) IS 'For recon.fix()''s checks of what it changed: the wallets p_keys of wallet source p_source as they are now: {wallet: {"currency": its currency column or null, "stored": {column: balance}, "ledger": {ledger: {column: sum of effects}}}}, the ledger sums for the ledgers p_ledgers only (read through their wallet column).';

--
-- Name: fix_move(bigint, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_move(p_stage bigint, p_offset_moves jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source;
    v_set text;
    v_sums text;
    v_rows bigint;
    v_total bigint := 0;
BEGIN
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage AND s.status = 'applied')
                   OR p_offset_moves ? w.name
                ORDER BY w.name LOOP
        -- a balance of minor units moves by whole minor units (RC321 otherwise, never rounded)
        SELECT string_agg(format('%1$I = w.%1$I + %2$s', b, _recon.minor_sql(
                   v_ws.balance_scale, format('d.%I', b),
                   CASE WHEN v_ws.balance_scale ? 'column'
                        THEN format('w.%I', v_ws.balance_scale ->> 'column') END,
                   format('column %s of %s', b, v_ws.relid::regclass))), ', '),
               string_agg(format('COALESCE(sum((m.v ->> %1$L)::numeric), 0) AS %1$I', b), ', ')
        INTO v_set, v_sums
        FROM unnest(v_ws.balance_columns) AS b;
        -- an optimistic-locking version column: every write of the toolkit bumps it
        IF v_ws.version_column IS NOT NULL THEN
            v_set := v_set || format(', %1$I = w.%1$I + 1', v_ws.version_column);
        END IF;
        -- one UPDATE per wallet source, every wallet once, only where something moves
        EXECUTE format($q$
            UPDATE %1$s AS w SET %2$s
            FROM (
                SELECT m.k, %3$s
                FROM (
                    SELECT s.wallet_key AS k, s.moves AS v FROM _recon.fix_stage AS s
                    WHERE s.stage_id = $1 AND s.wallet_source = $2 AND s.status = 'applied'
                      AND s.moves <> '{}'
                    UNION ALL
                    SELECT o.key, o.value FROM jsonb_each($3) AS o
                ) AS m
                GROUP BY m.k
            ) AS d
            WHERE w.%4$I = d.k::%5$s$q$,
            v_ws.relid::regclass, v_set, v_sums, v_ws.key_column,
            _recon.column_type(v_ws.relid, v_ws.key_column))
        USING p_stage, v_ws.name, COALESCE(p_offset_moves -> v_ws.name, '{}');
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_total := v_total + v_rows;
    END LOOP;
    RETURN v_total;
END;
$_$;

--
-- Name: FUNCTION fix_move(p_stage bigint, p_offset_moves jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_move(p_stage bigint, p_offset_moves jsonb) IS 'Adds to each wallet''s stored balances what the applied steps of a plan move (and the offset wallets what their double-entry sides moved): one UPDATE per wallet source, which adds 1 to the wallet source''s version column where it has one. Returns the wallets updated.';

--
-- Name: fix_moves_less(jsonb, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_moves_less(p_moves jsonb, p_source text, p_moved jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT jsonb_set(
        COALESCE(p_moves, '{}'::jsonb), ARRAY[p_source],
        COALESCE(p_moves -> p_source, '{}'::jsonb) || COALESCE((
            SELECT jsonb_object_agg(w.key, COALESCE(p_moves -> p_source -> w.key, '{}'::jsonb)
                                           || COALESCE((
                SELECT jsonb_object_agg(c.key,
                                        COALESCE((p_moves -> p_source -> w.key ->> c.key)::numeric,
                                                 0) - c.value::numeric)
                FROM jsonb_each_text(w.value) AS c), '{}'::jsonb))
            FROM jsonb_each(p_moved) AS w), '{}'::jsonb));
$$;

--
-- Name: FUNCTION fix_moves_less(p_moves jsonb, p_source text, p_moved jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_moves_less(p_moves jsonb, p_source text, p_moved jsonb) IS '{source: {wallet: {column: delta}}} (the moves _recon.fix_move adds) less p_moved ({wallet: {column: delta}}, what a ledger-first posting moved in wallet source p_source); a wallet it names stays in the map with a delta of 0, so that _recon.fix_move writes (and versions) it.';

--
-- Name: fix_offset_deltas(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_offset_deltas(p_posting jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(p_posting -> 'offset_deltas',
                    (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                     FROM jsonb_each_text(p_posting -> 'deltas') AS d),
                    '{}');
$$;

--
-- Name: FUNCTION fix_offset_deltas(p_posting jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_offset_deltas(p_posting jsonb) IS '{column: delta} a planned posting moves its offset wallet by: its "offset_deltas" (the other leg of a transfer row whose rule moves other columns, e.g. monotonic counters; _recon.fix_offset_legs), else exactly the opposite of its deltas. Whether it has an offset wallet at all is the caller''s to tell.';

--
-- Name: fix_offset_legs(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_offset_legs(p_stage bigint) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_nestloop TO 'off'
    AS $$
DECLARE
    v_rows integer;
BEGIN
    -- On transfer rows with effects keyed on several columns, posted by an INSERT writer
    -- against an offset wallet, the row's other leg moves the offset wallet by the rule that
    -- leg matches (_recon.writer_rule_entry). Where that is not exactly the opposite of the
    -- wallet's deltas (monotonic counters), the posting carries it as "offset_deltas":
    -- _recon.fix_post moves the offset wallet by it, _recon.fix_assess shows it in
    -- stored_change and ledger_change, and the conservation check expects it.
    UPDATE _recon.fix_stage AS s
    SET postings = y.postings
    FROM (
        SELECT st.step,
               jsonb_agg(CASE WHEN r.entry ? 'offset_deltas'
                              THEN p.value || jsonb_build_object('offset_deltas',
                                                                 r.entry -> 'offset_deltas')
                              ELSE p.value - 'offset_deltas' END ORDER BY p.n) AS postings
        FROM _recon.fix_stage AS st
        JOIN _recon.ledger_source AS l ON l.name = st.ledger_source
        JOIN _recon.writer AS w ON w.ledger_source = l.name
        CROSS JOIN LATERAL jsonb_array_elements(st.postings) WITH ORDINALITY AS p (value, n)
        CROSS JOIN LATERAL (
            SELECT CASE WHEN CASE WHEN p.value ? 'offset_wallet' THEN p.value ->> 'offset_wallet'
                                  ELSE w.offset_wallet END IS NOT NULL
                        THEN _recon.writer_rule_entry(l, w, p.value -> 'deltas') END AS entry
        ) AS r
        WHERE st.stage_id = p_stage AND st.status = 'planned' AND w.kind = 'insert'
          AND l.kinds IS NOT NULL AND l.shape = 'transfer'
        GROUP BY st.step
    ) AS y
    WHERE s.stage_id = p_stage AND s.step = y.step;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;

--
-- Name: FUNCTION fix_offset_legs(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_offset_legs(p_stage bigint) IS 'Records on every planned posting of a staged plan on rule-keyed transfer rows (INSERT writer, offset wallet) what the row''s other leg moves the offset wallet by, as "offset_deltas", when that is not exactly the opposite of the wallet''s deltas (monotonic credit/debit counters). Returns how many steps it read.';

--
-- Name: fix_overdraft_evidence(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_overdraft_evidence(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- the step's evidence names the column, where it ends and the exemption's reason
    UPDATE _recon.fix_stage AS s
    SET evidence = COALESCE(s.evidence, '{}') || jsonb_build_object('overdraft', o.allowed)
    FROM (
        SELECT x.wallet_source, x.wallet_key, jsonb_object_agg(x.col, jsonb_build_object(
                   'before', x.before, 'after', x.before + x.moved, 'exemption',
                   _recon.overdraft_exemption_for(x.wallet_source, x.wallet_key, x.col)))
                   AS allowed
        FROM _recon.fix_wallet_moves(p_stage) AS x
        WHERE x.before + x.moved < 0 AND x.moved < 0
        GROUP BY x.wallet_source, x.wallet_key
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key AND s.moves <> '{}';
END;
$$;

--
-- Name: FUNCTION fix_overdraft_evidence(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_overdraft_evidence(p_stage bigint) IS 'Phase 4 of _recon.fix_assess, after the overdrafts were skipped: writes into the evidence ("overdraft") of each planned step of a wallet left below zero by an exemption, per column, the balance before and after and the exemption (id, reason).';

--
-- Name: fix_plan(bigint, bigint, text[], text[], bigint[], text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_plan(p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[], p_strategy text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_nestloop TO 'off'
    AS $_$
DECLARE
    v_steps integer;
    v_check _recon.check_def;
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_effects text;
    -- ledgers the repairs cannot read yet (_recon.ledger_writer_refusal: a row shape of one's
    -- own), and their wallet sources; transfer ledgers, whose duplicates are reversed by hand:
    -- found once, not per finding
    v_odd_ledgers text[] := ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                                  WHERE _recon.ledger_writer_refusal(l, NULL) IS NOT NULL);
    v_odd_wallets text[] := ARRAY(SELECT l.wallet_source FROM _recon.ledger_source AS l
                                  WHERE _recon.ledger_writer_refusal(l, NULL) IS NOT NULL);
    v_transfers text[] := ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                                WHERE l.shape = 'transfer');
BEGIN
    -- 1. The findings, each with its repair: what it posts into the ledger (postings: wallet,
    --    deltas per balance column, purpose) and what it adds to the stored balances (moves).
    INSERT INTO _recon.fix_stage (
        stage_id, step, finding_id, check_name, kind, finding_key, wallet_source, wallet_key,
        ledger_source, strategy, difference, amount, postings, moves, status, note, repair_key
    )
    SELECT p_stage,
           row_number() OVER (ORDER BY x.wallet_source, x.wallet_key NULLS LAST,
                              array_position(ARRAY['duplicate', 'orphan', 'balance', 'derived'],
                                             x.kind) NULLS LAST, x.check_name, x.finding_key),
           x.id, x.check_name, x.kind, x.finding_key, x.wallet_source, x.wallet_key,
           CASE WHEN x.strategy IN ('adjust', 'post_missing', 'reverse', 'move', 'resolve')
                THEN x.ledger END,
           x.strategy, x.difference,
           CASE WHEN x.strategy = 'post_missing' THEN abs(x.expected) ELSE abs(x.difference) END,
           CASE WHEN x.manual IS NOT NULL THEN '[]'::jsonb
                WHEN x.strategy = 'adjust' THEN jsonb_build_array(jsonb_build_object(
                    'wallet', x.wallet_key, 'deltas', jsonb_build_object(x.col, x.difference),
                    'purpose', 'adjustment'))
                WHEN x.strategy = 'post_missing' THEN jsonb_build_array(jsonb_build_object(
                    'wallet', x.wallet_key, 'deltas', jsonb_build_object(x.col, x.expected),
                    'purpose', 'missing', 'source_id', x.details ->> 'source_id',
                    'reference', x.details ->> 'source_id'))
                WHEN x.strategy = 'move' AND x.ledger IS NOT NULL THEN jsonb_build_array(
                    jsonb_build_object('wallet', x.wallet_key, 'purpose', 'move', 'deltas',
                                       jsonb_build_object(x.col, -x.difference,
                                                          x.other, x.difference)))
                ELSE '[]'::jsonb END,
           CASE WHEN x.manual IS NOT NULL THEN '{}'::jsonb
                WHEN x.strategy = 'resync' THEN jsonb_build_object(x.col, -x.difference)
                WHEN x.strategy = 'post_missing' THEN jsonb_build_object(x.col, x.expected)
                WHEN x.strategy = 'move' THEN jsonb_build_object(x.col, -x.difference,
                                                                 x.other, x.difference)
                ELSE '{}'::jsonb END,
           CASE WHEN x.manual IS NOT NULL THEN 'manual' ELSE 'planned' END,
           x.manual,
           -- The same repair: the same finding as the same run last saw it, not undone since.
           -- A finding seen again by a later run (it drifted again) is a new repair; two calls
           -- on one plan, or one call twice, are the same.
           format('finding:%s:%s:%s', x.id, x.last_seen_run, (
               SELECT count(*) FROM _recon.repair AS r
               WHERE r.finding_id = x.id
                 AND EXISTS (SELECT FROM _recon.repair AS v WHERE v.reverses = r.id)))
    FROM (
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
                   WHEN c.ledger_source = ANY (v_odd_ledgers) OR s.ledger = ANY (v_odd_ledgers)
                       OR c.wallet_source = ANY (v_odd_wallets)
                       OR (s.strategy = 'reverse' AND (c.ledger_source = ANY (v_transfers)
                                                       OR s.ledger = ANY (v_transfers))) THEN (
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
                                            WHERE v.reverses = r.id))
    ) AS x;
    GET DIAGNOSTICS v_steps = ROW_COUNT;

    -- 2. A duplicate is reversed entry by entry: every posting after the first, each by its
    --    own compensating entry, read from the ledger for its effects. The toolkit records the
    --    reversal (_recon.reversal); the entry is referenced REV-<entry> where the reference
    --    column can hold it, else by the writer's reference template.
    FOR v_check IN SELECT DISTINCT c.* FROM _recon.check_def AS c
                   JOIN _recon.fix_stage AS s ON s.check_name = c.name
                   WHERE s.stage_id = p_stage AND s.kind = 'duplicate' AND s.status = 'planned'
                     AND s.strategy = 'reverse'
    LOOP
        v_ledger := _recon.ledger(v_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        SELECT string_agg(format('%L, -(%s)', b, _recon.effect_sql(_recon.legs(v_ledger), b,
                                                                    'l')), ', ')
        INTO v_effects
        FROM unnest(v_wallet.balance_columns) AS b WHERE v_ledger.effects ? b;
        EXECUTE format($q$
            UPDATE _recon.fix_stage AS s
            SET postings = y.postings, moves = y.moves
            FROM (
                SELECT e.step,
                       jsonb_agg(jsonb_build_object(
                           'wallet', e.wallet_key, 'deltas', e.deltas, 'purpose', 'reversal',
                           'entry', e.entry) || jsonb_strip_nulls(jsonb_build_object(
                               'reference', _recon.reversal_reference($3, e.entry)))
                           ORDER BY e.n) AS postings,
                       (SELECT jsonb_object_agg(d.key, d.total) FROM (
                            SELECT m.key, sum(m.value::numeric) AS total
                            FROM jsonb_array_elements(jsonb_agg(e.deltas)) AS a (v),
                                 jsonb_each_text(a.v) AS m
                            GROUP BY m.key) AS d) AS moves
                FROM (
                    SELECT s.step, s.wallet_key, x.entry, x.n, jsonb_build_object(%1$s) AS deltas
                    FROM _recon.fix_stage AS s
                    JOIN _recon.finding AS f ON f.id = s.finding_id
                    -- a duplicate finding's entries are an array; other findings' "entries"
                    -- (a balance finding's count) must never reach the function, whatever
                    -- order the planner joins in
                    CROSS JOIN LATERAL jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(f.details -> 'entries') = 'array'
                             THEN f.details -> 'entries' END)
                        WITH ORDINALITY AS x (entry, n)
                    JOIN %2$s AS l ON (%3$s)::text = x.entry AND l.wallet::text = s.wallet_key
                    WHERE s.stage_id = $1 AND s.check_name = $2 AND s.status = 'planned'
                      AND s.strategy = 'reverse' AND x.n > 1
                ) AS e
                GROUP BY e.step
            ) AS y
            WHERE s.stage_id = $1 AND s.step = y.step$q$,
            v_effects, _recon.legs_sql(v_ledger),
            _recon.entry_name_sql(_recon.legs(v_ledger), 'l'))
        USING p_stage, v_check.name, v_ledger.name;
    END LOOP;

    -- 2a. A hold a lifecycle finding shows left open or resolved twice: the entries that
    --     resolve it, read from the transaction's status and entries (_recon.fix_lifecycle).
    PERFORM _recon.fix_lifecycle(p_stage, FALSE);
    --     A wallet's adjustments of several columns (balance and its counters) as one posting,
    --     and the offset leg of each transfer row as its rule moves it (_recon.fix_counters).
    PERFORM _recon.fix_counters(p_stage);

    -- 2b. A row an INSERT writer could not post with exactly the step's effect (effects keyed
    --     on several columns): a person decides. Before anything counts on it as a cover.
    PERFORM _recon.fix_unpostable(p_stage);

    -- 3. A balance finding is covered by the payments posted and duplicates reversed on its
    --    wallet in the same plan when they move its column by exactly its drift (two equal
    --    missing payments as well as one); a derived finding by the repair of the orphan or
    --    duplicate its shown cause names.
    UPDATE _recon.fix_stage AS s
    SET status = 'covered', covered_by = o.first_step, moves = '{}',
        note = format('repaired by step%s %s (%s)', CASE WHEN o.n > 1 THEN 's' ELSE '' END,
                      o.steps, o.what)
    FROM (
        SELECT b.step, min(p.step) AS first_step, count(DISTINCT p.step) AS n,
               string_agg(DISTINCT p.step::text, ', ') AS steps,
               string_agg(DISTINCT format('%s of %s', p.strategy, p.check_name), ', ') AS what,
               sum((e.value -> 'deltas' ->> (b.finding_key_col))::numeric) AS moved,
               min(b.difference) AS difference
        FROM (SELECT x.*, f.details ->> 'column' AS finding_key_col
              FROM _recon.fix_stage AS x
              JOIN _recon.finding AS f ON f.id = x.finding_id
              WHERE x.stage_id = p_stage AND x.kind = 'balance' AND x.status = 'planned'
                AND x.strategy IN ('resync', 'adjust')) AS b
        JOIN _recon.fix_stage AS p ON p.stage_id = p_stage AND p.status = 'planned'
            AND p.strategy IN ('post_missing', 'reverse', 'resolve')
            AND p.wallet_source = b.wallet_source AND p.wallet_key = b.wallet_key
        CROSS JOIN LATERAL jsonb_array_elements(p.postings) AS e
        WHERE e.value -> 'deltas' ? b.finding_key_col
        GROUP BY b.step
    ) AS o
    WHERE s.stage_id = p_stage AND s.step = o.step AND o.moved = o.difference;
    UPDATE _recon.fix_stage AS s
    SET status = 'covered', covered_by = o.step, moves = '{}',
        note = format('repaired by step %s (%s of %s)', o.step, o.strategy, o.check_name)
    FROM _recon.finding AS f, _recon.fix_stage AS o
    WHERE s.stage_id = p_stage AND s.kind = 'derived' AND s.status = 'planned'
      AND f.id = s.finding_id AND f.cause IN ('orphaned_payment', 'duplicate_reference')
      AND o.stage_id = p_stage AND o.status = 'planned'
      AND o.strategy IN ('post_missing', 'reverse')
      AND o.check_name = f.details -> 'evidence' ->> 'check'
      AND o.finding_key = f.details -> 'evidence' ->> 'finding';
    -- One explained by a finding this plan does not repair is left alone: re-syncing or
    -- adjusting it would book the payment (or the duplicate) a second way, and the repair of
    -- its cause would then book it again.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('explained by %s finding %s: repair that one (it posts the entry)',
                      f.details -> 'evidence' ->> 'check', f.details -> 'evidence' ->> 'finding')
    FROM _recon.finding AS f
    WHERE s.stage_id = p_stage AND s.kind IN ('balance', 'derived') AND s.status = 'planned'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND f.id = s.finding_id AND f.cause IN ('orphaned_payment', 'duplicate_reference');
    -- An adjustment trusts the stored balance; on a wallet whose drift is a payment (or a
    -- duplicate) this plan posts and something else, it would book that payment twice.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet''s drift is partly explained by step %s (%s of %s): an '
                      || 'adjustment would book it twice; resync, or repair by hand',
                      p.step, p.strategy, p.check_name)
    FROM _recon.fix_stage AS p
    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
      AND s.strategy = 'adjust'
      AND p.stage_id = p_stage AND p.status = 'planned'
      AND p.strategy IN ('post_missing', 'reverse')
      AND p.wallet_source = s.wallet_source AND p.wallet_key = s.wallet_key;

    -- 3b. What the ledger shows about each wallet to resync or adjust: a wallet whose ledger
    --     lost an entry gets it restored when the evidence gives it exactly, else is left to
    --     a person (_recon.fix_evidence).
    PERFORM _recon.fix_evidence(p_stage);

    -- 3c. A wallet with broken data (NULL, NaN, unknown, unmapped) or a lost entry left to a
    --     person is repaired whole or not at all: none of its other steps run.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('the wallet has a finding that needs a person first: step %s (%s)',
                      m.step, m.note)
    FROM (SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
                 x.step, x.note
          FROM _recon.fix_stage AS x
          WHERE x.stage_id = p_stage AND x.status = 'manual' AND x.wallet_key IS NOT NULL
            AND (x.note LIKE 'broken data%' OR x.note LIKE 'no finite difference%'
                 OR x.evidence ->> 'verdict' IN ('lost_entry', 'inconsistent'))
          ORDER BY x.wallet_source, x.wallet_key, x.step) AS m
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.wallet_source = m.wallet_source AND s.wallet_key = m.wallet_key;

    -- 4. What cannot be posted: a ledger without a writer, an effect no entry type has.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN w.ledger_source IS NULL THEN format(
                        'ledger %s has no writer: register one with recon.register_writer()',
                        s.ledger_source)
                    ELSE format('no entry type of ledger %s moves %s: register one, or use '
                                || 'another strategy', s.ledger_source, (
                        SELECT p.value -> 'deltas' FROM jsonb_array_elements(s.postings) AS p
                        WHERE _recon.entry_for(l, p.value -> 'deltas', w.entry_types) IS NULL
                        LIMIT 1)) END
    FROM _recon.ledger_source AS l
    LEFT JOIN _recon.writer AS w ON w.ledger_source = l.name
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND l.name = s.ledger_source
      AND jsonb_array_length(s.postings) > 0
      AND (w.ledger_source IS NULL
           OR EXISTS (SELECT FROM jsonb_array_elements(s.postings) AS p
                      WHERE _recon.entry_for(l, p.value -> 'deltas', w.entry_types) IS NULL));
    RETURN v_steps;
END;
$_$;

--
-- Name: FUNCTION fix_plan(p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[], p_strategy text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_plan(p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[], p_strategy text) IS 'Stages recon.fix()''s plan: one step per open finding (of run p_run, checks p_checks, wallets p_wallets, findings p_findings; not one acknowledged as it is), with its strategy (p_strategy, else the check''s policy, else its kind''s default) chosen on the ledger''s evidence (_recon.fix_evidence), the entries to post and the stored-balance moves; marks balance findings other steps repair as covered, what needs a human as manual, and the other steps of a wallet that needs a human as skipped.';

--
-- Name: fix_post(bigint, bigint, text, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_post(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_pre jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_step _recon.fix_stage;
    v_posting jsonb;
    v_writer _recon.writer;
    v_ledger _recon.ledger_source;
    v_chain text;
    v_balance_check text;
    v_running jsonb := '{}'::jsonb;
    v_offset_moves jsonb := '{}'::jsonb;
    v_request jsonb;
    v_side jsonb;
    v_entry jsonb;
    v_result jsonb;
    v_id text;
    v_insert text;
    v_sides jsonb;
    v_reference_sql text;
    v_main_key text;
    v_first jsonb;
    v_main_value numeric;
    v_value numeric;
    v_description_sql text;
    v_journal_sql text;
    v_key text;
    v_col text;
    v_val text;
    v_after_sql text;
    v_afters jsonb := '{}'::jsonb;  -- ledger/wallet -> its running balances per column
    v_writing text;  -- what the writer is posting while it runs (kept through an exception)
BEGIN
    -- each wallet's stored balances before its first step, looked up per entry below
    SELECT jsonb_object_agg(f.k, f.v) INTO v_first
    FROM (SELECT DISTINCT ON (s.wallet_source, s.wallet_key)
                 s.wallet_source || '/' || s.wallet_key AS k, s.stored_before AS v
          FROM _recon.fix_stage AS s
          WHERE s.stage_id = p_stage AND s.wallet_source IS NOT NULL AND s.wallet_key IS NOT NULL
          ORDER BY s.wallet_source, s.wallet_key, s.step) AS f;
    FOR v_step IN SELECT s.* FROM _recon.fix_stage AS s
                  WHERE s.stage_id = p_stage AND s.status = 'applied'
                    AND jsonb_array_length(s.postings) > 0
                  ORDER BY s.step LOOP
        -- What a ledger needs is worked out once per ledger, not once per step.
        IF v_ledger.name IS DISTINCT FROM v_step.ledger_source THEN
            SELECT w.* INTO v_writer FROM _recon.writer AS w
            WHERE w.ledger_source = v_step.ledger_source;
            v_ledger := _recon.ledger(v_step.ledger_source);
            -- The running balance follows one column: the chain check's, else the first moved.
            v_chain := NULL;
            IF v_ledger.balance_after_column IS NOT NULL THEN
                v_chain := COALESCE(
                    (SELECT c.options ->> 'column' FROM _recon.check_def AS c
                     WHERE c.kind = 'chain' AND c.ledger_source = v_ledger.name
                     ORDER BY c.name LIMIT 1),
                    (SELECT b FROM unnest((_recon.wallet(v_ledger.wallet_source)).balance_columns)
                         AS b
                     WHERE v_ledger.effects ? b LIMIT 1));
            END IF;
            SELECT c.name INTO v_balance_check FROM _recon.check_def AS c
            WHERE c.kind = 'balance' AND c.ledger_source = v_ledger.name
            ORDER BY c.name LIMIT 1;
            -- the last running balances of a wallet, per column (a per-column "balance_after")
            v_after_sql := CASE WHEN v_ledger.after_columns IS NOT NULL THEN format(
                'SELECT jsonb_build_object(%s) FROM %s AS l WHERE l.wallet = $1::%s ORDER BY %s '
                || 'LIMIT 1',
                (SELECT string_agg(format('%L, l.%I', a.key, 'after_' || array_position(
                                       (_recon.wallet(v_ledger.wallet_source)).balance_columns,
                                       a.key::name)), ', ')
                 FROM jsonb_each(v_ledger.after_columns) AS a),
                _recon.legs_sql(v_ledger),
                _recon.column_type_sql((_recon.wallet(v_ledger.wallet_source)).relid,
                                       (_recon.wallet(v_ledger.wallet_source)).key_column),
                _recon.entry_order_sql(_recon.legs(v_ledger), 'l', 'DESC')) END;
            v_insert := CASE WHEN v_writer.kind = 'insert'
                             THEN _recon.writer_insert_sql(v_writer) END;
            v_reference_sql := 'SELECT ' || _recon.template_sql(v_writer.reference, 'reference');
            v_description_sql := 'SELECT '
                || _recon.template_sql(v_writer.description, 'description');
            v_journal_sql := CASE WHEN v_writer.journal IS NOT NULL THEN 'SELECT '
                || _recon.template_sql(v_writer.journal, 'journal') END;
        END IF;
        FOR v_posting IN SELECT p.value FROM jsonb_array_elements(v_step.postings) AS p LOOP
            -- a reversal goes against the offset wallet of the entry it reverses, which the
            -- writer may since have changed
            v_request := v_posting || jsonb_build_object(
                'ledger', v_ledger.name, 'strategy', v_step.strategy, 'ticket', p_ticket,
                'reason', p_reason, 'fix', p_fix, 'step', v_step.step,
                'date', to_char(now(), 'YYYYMMDD'), 'check', v_step.check_name,
                'finding', v_step.finding_id,
                'offset_wallet', CASE WHEN v_posting ? 'offset_wallet'
                                      THEN v_posting -> 'offset_wallet'
                                      ELSE to_jsonb(v_writer.offset_wallet) END);
            IF NOT v_request ? 'reference' THEN
                EXECUTE v_reference_sql INTO v_val USING v_request;
                v_request := v_request || jsonb_build_object('reference', v_val);
            END IF;
            EXECUTE v_description_sql INTO v_val USING v_request;
            v_request := v_request || jsonb_build_object('description', v_val);
            -- a restored entry goes into the journal it was lost from
            IF v_writer.journal IS NOT NULL AND NOT v_posting ? 'journal' THEN
                EXECUTE v_journal_sql INTO v_val USING v_request;
                v_request := v_request || jsonb_build_object('journal', v_val);
            END IF;
            -- The posting, and its other side on the offset wallet for a double-entry ledger.
            v_sides := jsonb_build_array(v_request);
            IF v_request ->> 'offset_wallet' IS NOT NULL THEN
                v_sides := v_sides || jsonb_build_array(v_request || jsonb_build_object(
                    'wallet', v_request ->> 'offset_wallet', 'side', 'offset',
                    -- the other leg of a transfer row as its rule moves it (counters), else
                    -- exactly the opposite
                    'deltas', COALESCE(v_request -> 'offset_deltas',
                                       (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                        FROM jsonb_each_text(v_request -> 'deltas') AS d))));
            END IF;
            FOR v_side IN SELECT e.value FROM jsonb_array_elements(v_sides) AS e LOOP
                IF v_writer.kind = 'insert' AND v_ledger.kinds IS NOT NULL THEN
                    -- effects keyed on several columns: the row that moves exactly these deltas
                    -- (its key values, and on transfer rows the other leg exactly the
                    -- opposite), or none; a transfer row's offset leg is that same row
                    v_entry := CASE WHEN v_side ->> 'side' = 'offset' AND v_ledger.shape <> 'entries'
                                    THEN '{}'::jsonb
                                    ELSE _recon.writer_rule_entry(v_ledger, v_writer,
                                                                  v_side -> 'deltas') END;
                    IF v_entry ? 'refused' THEN
                        PERFORM _recon.fail(
                            'RC306', format('ledger %s: %s', v_ledger.name, v_entry ->> 'refused'),
                            format('Step %s of the repair; nothing was applied.', v_step.step),
                            'Run the dry run again (it plans such a step manual); repair it by '
                            || 'hand, or acknowledge it.');
                    END IF;
                ELSE
                    v_entry := _recon.entry_for(v_ledger, v_side -> 'deltas', v_writer.entry_types);
                END IF;
                IF v_entry IS NULL THEN
                    PERFORM _recon.fail(
                        'RC306', format('no entry type of ledger %s moves %s', v_ledger.name,
                                        v_side -> 'deltas'),
                        format('Step %s of the repair needs one; nothing was applied.',
                               v_step.step),
                        'Register an entry type with that effect, or use another strategy.');
                END IF;
                v_side := v_side || v_entry;
                IF v_chain IS NOT NULL AND v_side -> 'deltas' ? v_chain THEN
                    -- The ledger's running balance of this wallet: its stored balance less the
                    -- drift its balance check saw under the lock, plus what this fix posted.
                    -- Kept for the wallet in hand (a plan's steps come wallet by wallet) and
                    -- for the few offset wallets: never a map of every wallet, rebuilt per entry.
                    v_key := v_ledger.name || '/' || (v_side ->> 'wallet');
                    IF v_side ->> 'side' = 'offset' THEN
                        v_value := (v_running ->> v_key)::numeric;
                    ELSIF v_key IS DISTINCT FROM v_main_key THEN
                        v_main_key := v_key;
                        v_value := NULL;
                    ELSE
                        v_value := v_main_value;
                    END IF;
                    IF v_value IS NULL THEN
                        v_value := COALESCE(
                            (v_first -> (v_ledger.wallet_source || '/' || (v_side ->> 'wallet'))
                             ->> v_chain)::numeric,
                            _recon.fix_wallet_value(v_ledger.wallet_source, v_side ->> 'wallet',
                                                    v_chain))
                            - COALESCE(
                                -- the wallet's drift as read under the lock where the plan
                                -- read it (payments, reversals), else as its check found it
                                (p_pre -> 'drift' -> v_ledger.wallet_source -> (v_side ->> 'wallet')
                                 ->> v_chain)::numeric,
                                (p_pre -> 'checks' -> v_balance_check
                                 ->> ((v_side ->> 'wallet') || '/' || v_chain))::numeric, 0);
                    END IF;
                    v_value := v_value + (v_side -> 'deltas' ->> v_chain)::numeric;
                    IF v_side ->> 'side' = 'offset' THEN
                        v_running := v_running || jsonb_build_object(v_key, v_value);
                    ELSE
                        v_main_value := v_value;
                    END IF;
                    v_side := v_side || jsonb_build_object('balance_after', v_value);
                END IF;
                IF v_ledger.after_columns IS NOT NULL THEN
                    -- A running balance per column: the wallet's last entry's (in entry order,
                    -- as the chain check reads them, under the fix's lock), else 0, plus this
                    -- entry's effect; then what this fix posted before on the same wallet.
                    v_key := v_ledger.name || '/' || (v_side ->> 'wallet');
                    IF NOT v_afters ? v_key THEN
                        EXECUTE v_after_sql INTO v_result USING v_side ->> 'wallet';
                        v_afters := v_afters || jsonb_build_object(v_key, COALESCE(v_result, (
                            SELECT jsonb_object_agg(a.key, 0)
                            FROM jsonb_each(v_ledger.after_columns) AS a)));
                    END IF;
                    v_afters := v_afters || jsonb_build_object(v_key, (
                        SELECT jsonb_object_agg(a.key, COALESCE(a.value::numeric, 0)
                                                       + COALESCE((v_side -> 'deltas'
                                                                   ->> a.key)::numeric, 0))
                        FROM jsonb_each_text(v_afters -> v_key) AS a));
                    v_side := v_side || jsonb_build_object('after', v_afters -> v_key);
                END IF;
                v_writing := format('step %s, wallet %s', v_step.step, v_side ->> 'wallet');
                IF v_writer.kind = 'insert' AND v_side ->> 'side' = 'offset'
                    AND v_ledger.shape = 'transfer' THEN
                    -- the posting's one transfer row moved the offset wallet too
                    v_writing := NULL;
                    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                                     deltas, posting)
                    VALUES (v_step.repair_id, v_ledger.name, v_side ->> 'wallet', v_id,
                            v_side -> 'deltas', v_side);
                ELSIF v_writer.kind = 'insert' THEN
                    EXECUTE v_insert INTO v_id USING v_side;
                    v_writing := NULL;
                    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                                     deltas, posting)
                    VALUES (v_step.repair_id, v_ledger.name, v_side ->> 'wallet', v_id,
                            v_side -> 'deltas', v_side);
                ELSIF v_side ->> 'side' IS NULL THEN
                    -- A posting function posts both sides itself; it returns the entries.
                    IF v_writer.options @> '{"moves_balances": true}' THEN
                        -- a ledger-first writer also moves the stored balances: the toolkit
                        -- moves only what the plan asks beyond that (_recon.fix_post_first)
                        v_result := _recon.fix_post_first(v_ledger, v_writer, v_side);
                        v_offset_moves := _recon.fix_moves_less(
                            v_offset_moves, v_ledger.wallet_source, v_result -> 'moved');
                        v_result := v_result -> 'result';
                    ELSE
                        EXECUTE format('SELECT %s($1)', v_writer.posting_function::regproc)
                        INTO v_result USING v_side;
                    END IF;
                    v_writing := NULL;
                    IF jsonb_typeof(CASE jsonb_typeof(v_result) WHEN 'object'
                                         THEN v_result -> 'entries' ELSE v_result END)
                       IS DISTINCT FROM 'array'
                       OR jsonb_array_length(CASE jsonb_typeof(v_result) WHEN 'object'
                                                  THEN v_result -> 'entries'
                                                  ELSE v_result END) = 0 THEN
                        PERFORM _recon.fail(
                            'RC306', format('posting function %s returned no entries',
                                            v_writer.posting_function),
                            format('It returned %s for step %s; nothing was applied.',
                                   COALESCE(v_result::text, 'NULL'), v_step.step),
                            'A posting function returns the ids of the entries it wrote: a JSON '
                            || 'array, or {"entries": [...]}.');
                    END IF;
                    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                                     deltas, posting)
                    SELECT v_step.repair_id, v_ledger.name, v_side ->> 'wallet', e.value, 
                           v_side -> 'deltas', v_side
                    FROM jsonb_array_elements_text(CASE jsonb_typeof(v_result)
                        WHEN 'array' THEN v_result
                        WHEN 'object' THEN COALESCE(v_result -> 'entries', '[]')
                        ELSE '[]' END) AS e;
                END IF;
                IF v_side ->> 'side' = 'offset' THEN
                    FOR v_col, v_val IN SELECT d.key, d.value FROM jsonb_each_text(v_side -> 'deltas') AS d
                    LOOP
                        v_offset_moves := jsonb_set(v_offset_moves,
                            ARRAY[v_ledger.wallet_source],
                            COALESCE(v_offset_moves -> v_ledger.wallet_source, '{}'));
                        v_offset_moves := jsonb_set(v_offset_moves,
                            ARRAY[v_ledger.wallet_source, v_side ->> 'wallet'],
                            COALESCE(v_offset_moves -> v_ledger.wallet_source
                                     -> (v_side ->> 'wallet'), '{}'));
                        v_offset_moves := jsonb_set(v_offset_moves,
                            ARRAY[v_ledger.wallet_source, v_side ->> 'wallet', v_col],
                            to_jsonb(COALESCE((v_offset_moves -> v_ledger.wallet_source
                                               -> (v_side ->> 'wallet') ->> v_col)::numeric, 0)
                                     + v_val::numeric));
                    END LOOP;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    PERFORM _recon.fix_reversals(p_stage);  -- what the reversals compensated, for the checks
    RETURN v_offset_moves;
EXCEPTION WHEN OTHERS THEN
    -- The writer's INSERT or posting function failed (a value its column cannot take, a
    -- constraint or an error of its own): a bad writer, said with the toolkit's code. Anything
    -- else, and a wallet-recon code, a lock timeout or a serialization failure from inside the
    -- writer, goes through as it is. One block for the whole posting, never one per entry.
    IF v_writing IS NOT NULL AND SQLSTATE !~ '^RC'
        AND SQLSTATE NOT IN ('42501', '55P03', '40001', '40P01') THEN
        PERFORM _recon.fail(
            'RC305', format('the writer of ledger %s failed at %s; nothing was applied',
                            v_ledger.name, v_writing),
            format('%s: %s', SQLSTATE, SQLERRM),
            'Check the writer (SELECT * FROM _recon.writer; recon.register_writer): the values '
            || 'its columns and templates give, or its posting function.');
    END IF;
    RAISE;
END;
$_$;

--
-- Name: FUNCTION fix_post(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_pre jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_post(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_pre jsonb) IS 'Posts the entries of a plan''s applied steps, in step order, through each ledger''s writer: the entry type or direction that realises each posting''s deltas (on effects keyed on several columns and an INSERT writer, the rule row _recon.writer_rule_entry proves), its reference, description and journal from the writer''s templates, the running balance where the ledger keeps one (per column: "after"), and the other side on the offset wallet of a double-entry writer; records every entry in _recon.repair_entry, and the entries reversals compensated in _recon.reversal (_recon.fix_reversals). A ledger-first writer posts through _recon.fix_post_first. Returns the moves _recon.fix_move adds besides the steps'' own: the offset wallets'', less what a ledger-first writer moved: {source: {wallet: {column: delta}}}. RC305 when the writer''s INSERT or posting function fails.';

--
-- Name: writer; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.writer (
    ledger_source text NOT NULL,
    kind text NOT NULL,
    column_map jsonb DEFAULT '{}'::jsonb NOT NULL,
    posting_function regprocedure,
    offset_wallet text,
    reference text NOT NULL,
    description text NOT NULL,
    journal text,
    entry_types text[],
    options jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT writer_function_kind CHECK (((kind = 'function'::text) = (posting_function IS NOT NULL))),
    CONSTRAINT writer_kind CHECK ((kind = ANY (ARRAY['insert'::text, 'function'::text])))
);

--
-- Name: TABLE writer; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.writer IS 'How recon.fix() posts into a ledger (recon.register_writer): an INSERT built from a column mapping, or the user''s own posting function.';

--
-- Name: COLUMN writer.ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.ledger_source IS 'The ledger it posts into.';

--
-- Name: COLUMN writer.kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.kind IS 'insert (column mapping) or function (posting function).';

--
-- Name: COLUMN writer.column_map; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.column_map IS 'insert: extra columns and their value templates, e.g. {"type": "ADJUSTMENT", "id": "{uuid}"}.';

--
-- Name: COLUMN writer.posting_function; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.posting_function IS 'function: the posting function, fn(request jsonb) RETURNS jsonb (docs/REPAIRS.md).';

--
-- Name: COLUMN writer.offset_wallet; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.offset_wallet IS 'Double entry: the offset (system) wallet every posting is balanced against.';

--
-- Name: COLUMN writer.reference; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.reference IS 'Reference template of adjustments, e.g. RECON-{date}-{ticket}.';

--
-- Name: COLUMN writer.description; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.description IS 'Description template.';

--
-- Name: COLUMN writer.journal; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.journal IS 'Journal (transaction id) template of the entries of one posting, e.g. recon-{uuid}.';

--
-- Name: COLUMN writer.entry_types; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.entry_types IS 'Entry types (or directions) to prefer when several realise the same effect.';

--
-- Name: COLUMN writer.options; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.options IS 'The options it was registered with.';

--
-- Name: COLUMN writer.created_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.created_at IS 'When it was registered.';

--
-- Name: COLUMN writer.created_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.writer.created_by IS 'Who registered it (session_user).';

--
-- Name: CONSTRAINT writer_function_kind ON writer; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON CONSTRAINT writer_function_kind ON _recon.writer IS 'A function writer names its function; an insert writer does not.';

--
-- Name: fix_post_first(_recon.ledger_source, _recon.writer, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_post_first(p_ledger _recon.ledger_source, p_writer _recon.writer, p_request jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_ledger.wallet_source);
    v_key_type regtype := _recon.column_type(v_ws.relid, v_ws.key_column);
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
    -- the wallets' stored balances and version, read (they are locked by recon.fix)
    v_read := format(
        'SELECT jsonb_object_agg(w.%1$I::text, jsonb_build_object(''stored'', '
        || 'jsonb_build_object(%2$s), ''version'', %3$s)) FROM %4$s AS w '
        || 'WHERE w.%1$I = ANY ($1::%5$s[])',
        v_ws.key_column,
        (SELECT string_agg(format('%L, w.%I', b, b), ', ') FROM unnest(v_ws.balance_columns) AS b),
        CASE WHEN v_ws.version_column IS NOT NULL THEN format('w.%I', v_ws.version_column)
             ELSE 'NULL::bigint' END,
        v_ws.relid::regclass, v_key_type);
    EXECUTE v_read INTO v_now USING v_keys;

    -- 1. Each wallet's stored balances as its ledgers have them (the sum of all their
    --    entries), on the columns this ledger moves, so that the running balance the ledger
    --    computes from the stored balance continues its entries (a repaired drift is not carried
    --    into it). Nothing moves where they agree (the offset wallet, as a rule). recon.fix
    --    moves the difference back after the posting, where the plan keeps it (_recon.fix_move).
    v_sums := _recon.fix_measure(v_ws.name, v_keys, ARRAY(
        SELECT l.name FROM _recon.ledger_source AS l WHERE l.wallet_source = v_ws.name));
    v_write := format(
        'UPDATE %1$s AS w SET %2$s%3$s WHERE w.%4$I = $1::%5$s',
        v_ws.relid::regclass,
        (SELECT string_agg(format('%1$I = COALESCE(($2 ->> %1$L)::numeric, w.%1$I)', b), ', ')
         FROM unnest(v_ws.balance_columns) AS b),
        CASE WHEN v_ws.version_column IS NOT NULL
             THEN format(', %1$I = w.%1$I + 1', v_ws.version_column) ELSE '' END,
        v_ws.key_column, v_key_type);
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
            SELECT COALESCE(sum((l.value ->> b)::numeric), 0) AS total
            FROM jsonb_each(v_sums -> v_key -> 'ledger') AS l WHERE l.value ? b) AS x
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
$_$;

--
-- Name: FUNCTION fix_post_first(p_ledger _recon.ledger_source, p_writer _recon.writer, p_request jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_post_first(p_ledger _recon.ledger_source, p_writer _recon.writer, p_request jsonb) IS 'One posting of recon.fix() through a ledger-first writer ("moves_balances": its posting function moves the stored balances and running balances itself). Under the fix''s locks: sets the wallet''s and the offset wallet''s stored balances, on the columns the ledger moves, to what their ledgers sum to (so the running balance the routine writes continues the entries; the version column bumped where it moves), calls the function with stored_before, stored_after and version of both wallets, then checks that every balance column holds stored_after (RC307 otherwise: nothing applied). Returns {"result": what the function returned, "moved": {wallet: {column: delta}}} for _recon.fix_post to net against the plan.';

--
-- Name: fix_postable(_recon.ledger_source, _recon.writer, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_postable(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_writer.kind = 'insert' AND p_ledger.kinds IS NOT NULL THEN
        -- a rule-keyed row the toolkit can prove (_recon.writer_rule_entry); on one-sided rows
        -- the offset wallet's entry is a row of its own, judged the same way
        RETURN NOT (_recon.writer_rule_entry(p_ledger, p_writer, p_deltas) ? 'refused')
            AND (p_ledger.shape <> 'entries' OR p_writer.offset_wallet IS NULL
                 OR NOT (_recon.writer_rule_entry(p_ledger, p_writer, (
                             SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                             FROM jsonb_each_text(p_deltas) AS d)) ? 'refused'));
    END IF;
    RETURN _recon.entry_for(p_ledger, p_deltas, p_writer.entry_types) IS NOT NULL;
END;
$$;

--
-- Name: FUNCTION fix_postable(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_postable(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb) IS 'True when the ledger''s writer can post one entry that moves the wallet by exactly p_deltas ({column: delta}): an entry type whose effects are those (_recon.entry_for), or on effects keyed on several columns with an INSERT writer a row _recon.writer_rule_entry proves (and the offset wallet''s own row on one-sided rows). _recon.fix_counters.';

--
-- Name: fix_read_wallets(bigint, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_read_wallets(p_stage bigint, p_lock boolean) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source;
    v_keys text[];
    v_map jsonb;
    v_cols text;
    v_stored jsonb := '{}'::jsonb;
BEGIN
    -- 1. Every wallet the plan touches, and the offset wallets its writers post against: read,
    --    or locked FOR UPDATE, source by source in name order and by key within a source, so
    --    that two repairs (or a repair and a writer that locks in key order) never deadlock.
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage)
                ORDER BY w.name LOOP
        v_keys := ARRAY(
            SELECT s.wallet_key FROM _recon.fix_stage AS s
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.wallet_key IS NOT NULL AND s.status IN ('planned', 'covered')
            UNION
            SELECT wr.offset_wallet FROM _recon.fix_stage AS s
            JOIN _recon.writer AS wr ON wr.ledger_source = s.ledger_source
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.status = 'planned' AND wr.offset_wallet IS NOT NULL
            UNION  -- a reversal's own offset wallet
            SELECT e.value ->> 'offset_wallet' FROM _recon.fix_stage AS s,
                   jsonb_array_elements(s.postings) AS e
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.status = 'planned' AND e.value ->> 'offset_wallet' IS NOT NULL);
        SELECT string_agg(format('%L, %s', b, _recon.major_sql(v_ws.balance_scale,  -- major units
                                                               format('w.%I', b), 'w')), ', ')
        INTO v_cols
        FROM unnest(v_ws.balance_columns) AS b;
        EXECUTE format(
            'SELECT jsonb_object_agg(x.k, x.v) FROM (SELECT w.%1$I::text AS k, '
            || 'jsonb_build_object(%2$s) AS v FROM %3$s AS w WHERE w.%1$I = ANY ($1::%4$s[]) '
            || 'ORDER BY w.%1$I %5$s) AS x',
            v_ws.key_column, v_cols, v_ws.relid::regclass,
            _recon.column_type(v_ws.relid, v_ws.key_column),
            CASE WHEN p_lock THEN 'FOR UPDATE' ELSE '' END)
        INTO v_map USING v_keys;
        v_stored := v_stored || jsonb_build_object(v_ws.name, COALESCE(v_map, '{}'));
    END LOOP;
    UPDATE _recon.fix_stage AS s
    SET stored_before = v_stored -> s.wallet_source -> s.wallet_key
    WHERE s.stage_id = p_stage AND s.wallet_key IS NOT NULL;
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = 'wallet not found in its table'
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered') AND s.wallet_key IS NOT NULL
      AND s.stored_before IS NULL AND s.strategy <> 'acknowledge';
    RETURN v_stored;
END;
$_$;

--
-- Name: FUNCTION fix_read_wallets(p_stage bigint, p_lock boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_read_wallets(p_stage bigint, p_lock boolean) IS 'Phase 1 of _recon.fix_assess: reads every wallet the staged plan p_stage touches, and the offset wallets its writers and reversals post against (p_lock: FOR UPDATE), source by source in name order and by key within a source, so that two repairs never deadlock; fills each step''s stored_before and skips a step whose wallet is not in its table. Returns {wallet source: {wallet key: {column: stored balance, in major units}}}.';

--
-- Name: fix_recheck(bigint, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_recheck(p_stage bigint, p_stored jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_check _recon.check_def;
    v_keys text[];
    v_map jsonb;
    v_pre jsonb := '{}'::jsonb;
BEGIN
    -- 2. What each check finds now for those wallets (under the locks when applying): a step
    --    whose finding is gone or has changed since the run is skipped. The same checks run
    --    again after the repair (recon.fix), against this picture.
    -- The plan's checks, and every enabled check of the wallet sources it touches: a
    -- repair that opens a finding anywhere on those wallets is refused (recon.fix).
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                                    WHERE s.stage_id = p_stage AND s.strategy <> 'reversal'
                                      AND s.status IN ('planned', 'covered'))
                      OR (c.enabled AND c.wallet_source IN (
                              SELECT s.wallet_source FROM _recon.fix_stage AS s
                              WHERE s.stage_id = p_stage AND s.status = 'planned'))
                      -- what it posts must not look like a duplicate
                      OR (c.kind = 'duplicate' AND c.enabled AND c.ledger_source IN (
                              SELECT s.ledger_source FROM _recon.fix_stage AS s
                              WHERE s.stage_id = p_stage AND s.status = 'planned'
                                AND s.postings <> '[]'))
                   ORDER BY c.name LOOP
        -- the wallets read, and a plan's wallets missing from their table (an unknown
        -- wallet's finding is re-checked too)
        v_keys := ARRAY(SELECT jsonb_object_keys(p_stored -> v_check.wallet_source)
                        UNION
                        SELECT s.wallet_key FROM _recon.fix_stage AS s
                        WHERE s.stage_id = p_stage AND s.wallet_key IS NOT NULL
                          AND s.wallet_source = v_check.wallet_source);
        EXECUTE format('SELECT jsonb_object_agg(r.finding_key, r.difference) FROM (%s) AS r',
                       _recon.recheck_sql(v_check))
        INTO v_map USING v_keys;
        v_pre := v_pre || jsonb_build_object(v_check.name, COALESCE(v_map, '{}'));
    END LOOP;
    RETURN v_pre;
END;
$$;

--
-- Name: FUNCTION fix_recheck(p_stage bigint, p_stored jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_recheck(p_stage bigint, p_stored jsonb) IS 'Phase 2 of _recon.fix_assess: re-runs, for the wallets read (p_stored, from _recon.fix_read_wallets) and the plan''s wallets missing from their table, the plan''s checks, every enabled check of the wallet sources it touches and every enabled duplicate check of the ledgers it posts to. Returns {check: {finding key: difference}}.';

--
-- Name: fix_report(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_report(p_stage bigint) RETURNS SETOF recon.fix_step
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT s.step, s.finding_id, s.check_name, s.wallet_key, s.strategy, s.amount,
           CASE WHEN s.repair_id IS NOT NULL AND s.status = 'applied' THEN COALESCE((
                    SELECT jsonb_agg(e.posting || jsonb_build_object('entry_id', e.entry))
                    FROM _recon.repair_entry AS e WHERE e.repair_id = s.repair_id), '[]')
                ELSE s.postings END,
           s.stored_before, s.stored_after, s.status, s.note, s.repair_id, s.currency,
           s.stored_change, s.ledger_change, s.evidence
    FROM _recon.fix_stage AS s
    WHERE s.stage_id = p_stage
    ORDER BY s.step;
$$;

--
-- Name: FUNCTION fix_report(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_report(p_stage bigint) IS 'The rows recon.fix() returns for a staged plan: one per step; for an applied step, the entries it posted (with their ids) instead of the planned ones.';

--
-- Name: fix_reversals(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_reversals(p_stage bigint) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- recon.fix() reversing a duplicate: each posting names the entry it compensates.
    INSERT INTO _recon.reversal (ledger_source, entry, repair_id)
    SELECT DISTINCT s.ledger_source, p.value ->> 'entry', s.repair_id
    FROM _recon.fix_stage AS s
    CROSS JOIN LATERAL jsonb_array_elements(s.postings) AS p (value)
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND s.strategy = 'reverse'
      AND p.value ->> 'purpose' = 'reversal' AND p.value ->> 'entry' IS NOT NULL
    UNION
    -- recon.fix() reversing a hold's extra resolution (resolve): the resolution and the entry
    -- that compensates it, in the same transaction. The pair nets to nothing; neither is a
    -- duplicate of the resolution kept or of the hold.
    SELECT DISTINCT s.ledger_source, x.entry, s.repair_id
    FROM _recon.fix_stage AS s
    CROSS JOIN LATERAL jsonb_array_elements(s.postings) AS p (value)
    CROSS JOIN LATERAL (SELECT p.value ->> 'entry' AS entry
                        UNION ALL
                        SELECT e.entry FROM _recon.repair_entry AS e
                        WHERE e.repair_id = s.repair_id AND e.posting ->> 'entry' = p.value ->> 'entry'
                       ) AS x
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND s.strategy = 'resolve'
      AND p.value ->> 'purpose' = 'reversal' AND x.entry IS NOT NULL
    UNION
    -- recon.reverse_fix(): every entry the reversed repair posted, both sides of a double
    -- entry. A reversal compensated this way cancels nothing any more: its repair is reversed.
    SELECT e.ledger_source, e.entry, s.repair_id
    FROM _recon.fix_stage AS s
    JOIN _recon.repair AS v ON v.id = s.repair_id
    JOIN _recon.repair_entry AS e ON e.repair_id = v.reverses
    JOIN _recon.ledger_source AS l ON l.name = e.ledger_source
    WHERE s.stage_id = p_stage AND s.status = 'applied' AND e.entry IS NOT NULL
    ON CONFLICT ON CONSTRAINT reversal_once DO NOTHING;
$$;

--
-- Name: FUNCTION fix_reversals(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_reversals(p_stage bigint) IS 'Records in _recon.reversal the ledger entries the applied steps of a staged plan compensated: the duplicates a reverse step reversed (recon.fix), and every entry of a repair recon.reverse_fix() undid. The duplicate and orphan checks then leave those entries out, whatever the reference column can hold; called by _recon.fix_post() after posting, before the verification.';

--
-- Name: fix_skip_applied(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_skip_applied(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- 3. Applied before (this plan twice, or another operator): the unique repair key says so.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', repair_id = r.id,
        note = format('already applied: repair %s (fix %s, ticket %s)', r.id, r.fix_id, r.ticket)
    FROM _recon.repair AS r
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND r.repair_key = s.repair_key;
END;
$$;

--
-- Name: FUNCTION fix_skip_applied(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_skip_applied(p_stage bigint) IS 'Phase 3 of _recon.fix_assess: skips each step whose repair key an earlier repair holds (this plan applied twice, or by another operator), naming that repair.';

--
-- Name: fix_skip_changed(bigint, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_skip_changed(p_stage bigint, p_pre jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN NOT COALESCE(p_pre -> s.check_name, '{}') ? s.finding_key
                    THEN 'already consistent: no longer found under the lock'
                    ELSE format('changed since the run: difference was %s, is now %s',
                                s.difference, p_pre -> s.check_name ->> s.finding_key) END
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.strategy <> 'reversal'
      AND (NOT COALESCE(p_pre -> s.check_name, '{}') ? s.finding_key
           OR (p_pre -> s.check_name ->> s.finding_key)::numeric
              IS DISTINCT FROM s.difference);
END;
$$;

--
-- Name: FUNCTION fix_skip_changed(p_stage bigint, p_pre jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_skip_changed(p_stage bigint, p_pre jsonb) IS 'Phase 2 of _recon.fix_assess: skips each planned or covered step whose finding is no longer found under the lock (already consistent) or whose difference changed since the run, from p_pre (_recon.fix_recheck).';

--
-- Name: fix_skip_over_run_limit(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_skip_over_run_limit(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('over the run limit: %s > run_limit %s%s for check %s (%s)', t.running,
                      t.lim, COALESCE(' ' || t.currency, ''), t.check_name, t.lim_from)
    FROM (
        SELECT w.*, sum(w.total) OVER (PARTITION BY w.check_name, w.currency
                                       ORDER BY w.first_step) AS running
        FROM (
            SELECT x.check_name, x.wallet_source, x.wallet_key, x.currency,
                   min(x.step) AS first_step, sum(x.amount) AS total,
                   max((x.evidence -> 'limits' ->> 'run_limit')::numeric) AS lim,
                   max(x.evidence -> 'limits' ->> 'run_limit_from') AS lim_from
            FROM _recon.fix_stage AS x
            WHERE x.stage_id = p_stage AND x.status = 'planned'
              AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
            GROUP BY 1, 2, 3, 4
        ) AS w
    ) AS t
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.check_name = t.check_name
      AND s.wallet_source = t.wallet_source AND s.wallet_key = t.wallet_key
      AND t.running > t.lim;
END;
$$;

--
-- Name: FUNCTION fix_skip_over_run_limit(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_skip_over_run_limit(p_stage bigint) IS 'Phase 4 of _recon.fix_assess: in step order, skips each wallet whose repairs would take its check''s running total (per currency) past the run_limit in the steps'' evidence.';

--
-- Name: fix_skip_over_wallet_limit(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_skip_over_wallet_limit(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN t.lim IS NULL THEN format(
                   'above the auto-fix limit: no wallet_limit for %s (none given for it, no "*" '
                   || 'and no low_limit): not repaired automatically', COALESCE(
                       t.currency, 'an unknown currency (only a "*" limit applies)'))
                    ELSE format('above the auto-fix limit: %s > wallet_limit %s%s (%s; run_limit '
                                || '%s applies to the whole call)', t.total, t.lim,
                                COALESCE(' ' || t.currency, ''), t.lim_from, t.run_lim) END
    FROM (
        SELECT x.check_name, x.wallet_source, x.wallet_key, x.currency, sum(x.amount) AS total,
               max((x.evidence -> 'limits' ->> 'wallet_limit')::numeric) AS lim,
               max(x.evidence -> 'limits' ->> 'wallet_limit_from') AS lim_from,
               max((x.evidence -> 'limits' ->> 'run_limit')::numeric) AS run_lim
        FROM _recon.fix_stage AS x
        WHERE x.stage_id = p_stage AND x.status = 'planned'
          AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ) AS t
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.check_name = t.check_name
      AND s.currency IS NOT DISTINCT FROM t.currency
      -- plain equality, not IS NOT DISTINCT FROM (a nested loop over thousands of steps): a
      -- limited step always has a wallet
      AND s.wallet_source = t.wallet_source AND s.wallet_key = t.wallet_key
      AND (t.lim IS NULL OR t.total > t.lim);
END;
$$;

--
-- Name: FUNCTION fix_skip_over_wallet_limit(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_skip_over_wallet_limit(p_stage bigint) IS 'Phase 4 of _recon.fix_assess: skips the planned steps of a wallet (per check and currency) whose amounts add up to more than the wallet_limit in their evidence, or that have no limit for their currency (not repaired automatically).';

--
-- Name: fix_skip_overdrafts(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_skip_overdrafts(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- the first column, by name, that would go below zero without an exemption
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = format('would overdraw %s: %s -> %s', o.col, o.before, o.after)
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key)
               x.wallet_source, x.wallet_key, x.col, x.before, x.before + x.moved AS after
        FROM _recon.fix_wallet_moves(p_stage) AS x
        WHERE x.before + x.moved < 0 AND x.moved < 0
          -- unless the owner lets that wallet or column go negative (recon.allow_overdraft)
          AND _recon.overdraft_exemption_for(x.wallet_source, x.wallet_key, x.col) IS NULL
        ORDER BY x.wallet_source, x.wallet_key, x.col
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key;
END;
$$;

--
-- Name: FUNCTION fix_skip_overdrafts(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_skip_overdrafts(p_stage bigint) IS 'Phase 4 of _recon.fix_assess: skips every planned step of a wallet whose planned moves would take a stored balance column below zero (and move it down), unless an overdraft exemption (_recon.overdraft_exemption_for) lets it.';

--
-- Name: fix_skip_unfit(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_skip_unfit(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- A repair your columns cannot hold (a balance or an amount beyond numeric(14,2), a third
    -- decimal, a fraction of an integer) would fail or be rounded: not applied. An amount is
    -- taken as the size of its delta (what a signed or direction ledger posts, and an operation
    -- ledger with multipliers of 1).
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = o.note
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
               x.note
        FROM (
            SELECT b.wallet_source, b.wallet_key, b.first_step AS step,
                   format('would not fit %s (%s): %s -> %s', b.col,
                          _recon.column_type_sql(w.relid, b.col), b.before,
                          b.before + b.moved) AS note
            FROM _recon.fix_wallet_moves(p_stage) AS b
            JOIN _recon.wallet_source AS w ON w.name = b.wallet_source
            WHERE NOT _recon.column_holds(w.relid, b.col, b.before + b.moved)
            UNION ALL
            SELECT y.wallet_source, y.wallet_key, y.step,
                   format('would not fit %s of %s (%s): an entry of %s', l.amount_column,
                          l.relid::regclass, _recon.column_type_sql(l.relid, l.amount_column),
                          abs(d.value::numeric))
            FROM _recon.fix_stage AS y
            JOIN _recon.ledger_source AS l ON l.name = y.ledger_source
            CROSS JOIN LATERAL jsonb_array_elements(y.postings) AS e
            CROSS JOIN LATERAL jsonb_each_text(e.value -> 'deltas') AS d
            WHERE y.stage_id = p_stage AND y.status = 'planned'
              AND NOT _recon.column_holds(l.relid, l.amount_column, abs(d.value::numeric))
        ) AS x
        WHERE x.wallet_key IS NOT NULL
        ORDER BY x.wallet_source, x.wallet_key, x.step
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key;
END;
$$;

--
-- Name: FUNCTION fix_skip_unfit(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_skip_unfit(p_stage bigint) IS 'Phase 4 of _recon.fix_assess: skips every planned step of a wallet when a stored balance it would leave, or an entry it would post, does not fit its column (numeric(14,2) and 1e12, a third decimal, a fraction of an integer): the first such step by number says which.';

--
-- Name: fix_step_changes(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_step_changes(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- 6. What each step changes, in its currency (step 4): the stored balances (the wallet's,
    --    and the offset wallet's of a double-entry posting) and the ledger's effects (both
    --    sides), per column. recon.fix() checks after applying that each currency's totals moved by
    --    exactly these (_recon.fix_conserve).
    UPDATE _recon.fix_stage AS s
    SET stored_change = COALESCE((
            SELECT jsonb_object_agg(m.col, m.total) FROM (
                SELECT x.key AS col, sum(x.value::numeric) AS total
                FROM (SELECT d.key, d.value FROM jsonb_each_text(
                          CASE WHEN s.status IN ('planned', 'covered', 'applied') THEN s.moves
                               ELSE '{}' END) AS d
                      UNION ALL
                      SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                      WHERE s.status IN ('planned', 'applied')
                        AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                                 ELSE w.offset_wallet END IS NOT NULL) AS x
                GROUP BY x.key) AS m WHERE m.total <> 0), '{}'),
        ledger_change = COALESCE((
            SELECT jsonb_object_agg(m.col, m.total) FROM (
                SELECT x.key AS col, sum(x.value::numeric) AS total
                FROM (SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(e.value -> 'deltas') AS d
                      WHERE s.status IN ('planned', 'applied')
                      UNION ALL  -- the offset wallet's side: its own entry, or the row's leg
                      SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                      WHERE s.status IN ('planned', 'applied')
                        AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                                 ELSE w.offset_wallet END IS NOT NULL) AS x
                GROUP BY x.key) AS m), '{}')
    FROM _recon.fix_stage AS s0
    LEFT JOIN _recon.writer AS w ON w.ledger_source = s0.ledger_source
    WHERE s.stage_id = p_stage AND s0.stage_id = p_stage AND s0.step = s.step;
END;
$$;

--
-- Name: FUNCTION fix_step_changes(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_step_changes(p_stage bigint) IS 'Phase 6 of _recon.fix_assess: fills each step''s stored_change (its wallet''s moves, and the offset wallet''s side of a double-entry posting) and ledger_change (the effects of both sides), per column, which recon.fix checks after applying (_recon.fix_conserve).';

--
-- Name: fix_step_limits(bigint, jsonb, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_step_limits(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- 4. Limits, per wallet and per call, in each step's currency (its wallet's currency
    --    column, else its finding's or check's currency): the call's, else the check's policy,
    --    else its low_limit per wallet and ten times that per call. Each is a map per currency,
    --    its "*" used only where given, and each step says which it used (evidence "limits":
    --    the CLI names every currency limited by a "*").
    --    A currency with no limit is not repaired automatically. A wallet's repairs are all
    --    applied or none.
    UPDATE _recon.fix_stage AS s
    SET evidence = COALESCE(s.evidence, '{}') || jsonb_build_object('limits', jsonb_strip_nulls(
            jsonb_build_object('currency', s.currency, 'wallet_limit', t.wallet_limit,
                               'wallet_limit_from', t.wallet_from, 'run_limit', t.run_limit,
                               'run_limit_from', t.run_from)))
    FROM (
        SELECT x.step, wl.amount AS wallet_limit, wl.source AS wallet_from,
               COALESCE(rl.amount, 10 * wl.amount) AS run_limit,
               COALESCE(rl.source, CASE WHEN wl.amount IS NOT NULL
                                        THEN format('10 x wallet_limit (%s)', wl.source) END)
                   AS run_from
        FROM _recon.fix_stage AS x
        JOIN _recon.check_def AS c ON c.name = x.check_name
        LEFT JOIN _recon.fix_policy AS p ON p.check_name = x.check_name
        LEFT JOIN LATERAL (
            SELECT v.amount::numeric AS amount, v.source
            FROM (VALUES (1, p_wallet_limit ->> x.currency, 'the call''s wallet_limit'),
                         (2, p_wallet_limit ->> '*', 'the call''s "*" wallet_limit'),
                         (3, p.wallet_limit ->> x.currency, 'the policy''s wallet_limit'),
                         (4, p.wallet_limit ->> '*', 'the policy''s "*" wallet_limit'),
                         (5, c.low_limit ->> x.currency, 'the check''s low_limit'),
                         (6, c.low_limit ->> '*', 'the check''s "*" low_limit'))
                 AS v (o, amount, source)
            WHERE v.amount IS NOT NULL ORDER BY v.o LIMIT 1
        ) AS wl ON TRUE
        LEFT JOIN LATERAL (
            SELECT v.amount::numeric AS amount, v.source
            FROM (VALUES (1, p_run_limit ->> x.currency, 'the call''s run_limit'),
                         (2, p_run_limit ->> '*', 'the call''s "*" run_limit'),
                         (3, p.run_limit ->> x.currency, 'the policy''s run_limit'),
                         (4, p.run_limit ->> '*', 'the policy''s "*" run_limit'))
                 AS v (o, amount, source)
            WHERE v.amount IS NOT NULL ORDER BY v.o LIMIT 1
        ) AS rl ON TRUE
        WHERE x.stage_id = p_stage AND x.status = 'planned'
          AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
    ) AS t
    WHERE s.stage_id = p_stage AND s.step = t.step;
END;
$$;

--
-- Name: FUNCTION fix_step_limits(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_step_limits(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb) IS 'Phase 4 of _recon.fix_assess: writes into each limited step''s evidence ("limits") the wallet and run limits of its currency and where each came from: the call''s (p_wallet_limit, p_run_limit, maps per currency), else the check''s fix policy, else its low_limit per wallet and ten times that per call; a "*" only where no currency''s own is given.';

--
-- Name: fix_stored_holds(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_stored_holds(p_stage bigint) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ws _recon.wallet_source;
    v_map jsonb;
    v_drift jsonb := '{}'::jsonb;
BEGIN
    -- A payment posted or a duplicate reversed moves the stored balance only by what it
    -- does not hold already. The wallet tells, as it is now under the lock, whatever the
    -- checks or their tolerance say: its stored balance less what all its ledgers add up
    -- to. A drift of exactly what this plan posts on that column: the stored balance holds
    -- it all; none: it holds none of it; anything else settled by a resync of the same
    -- wallet and column in the plan (stored := ledger after the postings); otherwise the
    -- wallet cannot be read, and is left alone.
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage AND s.status = 'planned'
                                   AND s.strategy IN ('post_missing', 'reverse', 'resolve'))
                ORDER BY w.name LOOP
        v_map := _recon.fix_measure(
            v_ws.name,
            ARRAY(SELECT DISTINCT s.wallet_key FROM _recon.fix_stage AS s
                  WHERE s.stage_id = p_stage AND s.status = 'planned'
                    AND s.wallet_source = v_ws.name
                    AND s.strategy IN ('post_missing', 'reverse', 'resolve')),
            ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                  WHERE l.wallet_source = v_ws.name));
        -- {wallet: {column: stored less the sum of its ledgers}}; a running balance
        -- posted for these wallets (_recon.fix_post) continues from it too
        v_drift := v_drift || jsonb_build_object(v_ws.name, COALESCE((
            SELECT jsonb_object_agg(m.key, (
                SELECT jsonb_object_agg(st.key, st.value::numeric - COALESCE((
                    SELECT sum((l.value ->> st.key)::numeric)
                    FROM jsonb_each(m.value -> 'ledger') AS l), 0))
                FROM jsonb_each_text(m.value -> 'stored') AS st))
            FROM jsonb_each(v_map) AS m), '{}'));
        UPDATE _recon.fix_stage AS s
        SET moves = d.moves,
            status = CASE WHEN d.unknown IS NOT NULL THEN 'skipped' ELSE s.status END,
            note = COALESCE(d.unknown, s.note),
            evidence = COALESCE(s.evidence, '{}') || d.evidence
        FROM (
            SELECT y.step,
                   COALESCE(jsonb_object_agg(y.col, y.delta)
                                FILTER (WHERE y.verdict <> 'holds'), '{}') AS moves,
                   min(format('cannot tell whether the stored balance holds it: %s drifts '
                              || 'by %s from the ledger, this plan posts %s on it', y.col,
                              y.drift, y.posted)) FILTER (WHERE y.verdict = 'unknown')
                       AS unknown,
                   jsonb_object_agg(y.col, jsonb_build_object(
                       'stored_holds', CASE y.verdict WHEN 'holds' THEN 'all'
                                                      WHEN 'none' THEN 'none'
                                                      WHEN 'settled' THEN 'settled by resync'
                                                      ELSE 'unknown' END,
                       'wallet_drift', y.drift, 'posted', y.posted)) AS evidence
            FROM (
                SELECT z.*,
                       CASE WHEN z.drift = z.posted THEN 'holds'
                            WHEN z.drift = 0 THEN 'none'
                            WHEN z.resync THEN 'settled'
                            ELSE 'unknown' END AS verdict
                FROM (
                    SELECT x.step, x.col, x.delta,
                           (v_drift -> v_ws.name -> x.wallet_key ->> x.col)::numeric
                               AS drift,
                           sum(x.delta) OVER (PARTITION BY x.wallet_key, x.col) AS posted,
                           EXISTS (SELECT FROM _recon.fix_stage AS r
                                   JOIN _recon.finding AS f ON f.id = r.finding_id
                                   WHERE r.stage_id = p_stage AND r.status = 'planned'
                                     AND r.strategy = 'resync'
                                     AND r.wallet_source = v_ws.name
                                     AND r.wallet_key = x.wallet_key
                                     AND f.details ->> 'column' = x.col) AS resync
                    FROM (
                        SELECT s.step, s.wallet_key, d.key AS col,
                               sum(d.value::numeric) AS delta
                        FROM _recon.fix_stage AS s,
                             jsonb_array_elements(s.postings) AS e,
                             jsonb_each_text(e.value -> 'deltas') AS d
                        WHERE s.stage_id = p_stage AND s.status = 'planned'
                          AND s.wallet_source = v_ws.name
                          AND s.strategy IN ('post_missing', 'reverse', 'resolve')
                        GROUP BY s.step, s.wallet_key, d.key
                    ) AS x
                ) AS z
            ) AS y
            GROUP BY y.step
        ) AS d
        WHERE s.stage_id = p_stage AND s.step = d.step;
    END LOOP;
    RETURN v_drift;
END;
$$;

--
-- Name: FUNCTION fix_stored_holds(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_stored_holds(p_stage bigint) IS 'Phase 2 of _recon.fix_assess, for the steps that post (post_missing, reverse, resolve): measures each wallet''s stored balance less what all its ledgers add up to, and from it sets each step''s moves (what the stored balance must still move by), its evidence, or skips a step when that cannot be told. Returns {wallet source: {wallet key: {column: drift}}}.';

--
-- Name: fix_stored_steps(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_stored_steps(p_stage bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- 5. Each step's stored balances before and after it, in step order within the wallet.
    UPDATE _recon.fix_stage AS s
    SET stored_before = y.before, stored_after = y.after
    FROM (
        SELECT c.step, jsonb_object_agg(c.col, c.before) AS before,
               jsonb_object_agg(c.col, c.after) AS after
        FROM (
            SELECT m.step, m.col, m.b0 + sum(m.d) OVER w - m.d AS before,
                   m.b0 + sum(m.d) OVER w AS after
            FROM (
                SELECT s.step, s.wallet_source, s.wallet_key, k.col,
                       (s.stored_before ->> k.col)::numeric AS b0,
                       CASE WHEN s.status IN ('planned', 'covered')
                            THEN COALESCE((s.moves ->> k.col)::numeric, 0) ELSE 0 END AS d
                FROM _recon.fix_stage AS s
                CROSS JOIN LATERAL jsonb_object_keys(s.stored_before) AS k (col)
                WHERE s.stage_id = p_stage
            ) AS m
            WINDOW w AS (PARTITION BY m.wallet_source, m.wallet_key, m.col ORDER BY m.step)
        ) AS c
        GROUP BY c.step
    ) AS y
    WHERE s.stage_id = p_stage AND s.step = y.step;
END;
$$;

--
-- Name: FUNCTION fix_stored_steps(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_stored_steps(p_stage bigint) IS 'Phase 5 of _recon.fix_assess: fills each step''s stored_before and stored_after, in step order within its wallet, from what the wallet held and what the steps before it move.';

--
-- Name: fix_strategies(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_strategies(p_kind text) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE((SELECT k.strategies FROM _recon.check_kind AS k WHERE k.kind = p_kind),
                    ARRAY['none', 'acknowledge']);
$$;

--
-- Name: FUNCTION fix_strategies(p_kind text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_strategies(p_kind text) IS 'The repairs recon.fix() can apply to a check kind''s findings, the default first, as the registry _recon.check_kind lists them: balance resync (the ledger is the book of record), derived move, orphan post_missing, duplicate reverse; the other kinds need a human (none) or an audited acknowledgement.';

--
-- Name: fix_unpostable(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_unpostable(p_stage bigint) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_steps integer;
BEGIN
    -- On a ledger whose effects are keyed on several columns, an INSERT writer posts a row only
    -- when a rule it can match moves exactly the posting's deltas (and, on transfer rows, its
    -- other leg the offset wallet by exactly the opposite; on one-sided rows the offset entry
    -- is a row of its own, judged the same way). A rule that moves several columns where the
    -- step moves one (Blnk's balance with its credit counter) is never posted: a person
    -- decides (counters repaired together: issue 16).
    UPDATE _recon.fix_stage AS s
    SET status = 'manual', moves = '{}',
        note = format('ledger %s: %s; repair by hand, or acknowledge', s.ledger_source, u.why)
    FROM (
        SELECT x.step, (array_agg(x.why ORDER BY x.n, x.o))[1] AS why
        FROM (
            SELECT st.step, p.n, d.o, e.refusal ->> 'refused' AS why
            FROM _recon.fix_stage AS st
            JOIN _recon.ledger_source AS l ON l.name = st.ledger_source
            JOIN _recon.writer AS w ON w.ledger_source = l.name
            CROSS JOIN LATERAL jsonb_array_elements(st.postings) WITH ORDINALITY AS p (value, n)
            CROSS JOIN LATERAL (
                SELECT 1 AS o, p.value -> 'deltas' AS deltas
                UNION ALL  -- the offset wallet's own entry of a one-sided double entry
                SELECT 2, (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                        FROM jsonb_each_text(p.value -> 'deltas') AS d)
                WHERE l.shape = 'entries'
                  -- as _recon.fix_post reads it: the posting's own (a reversal's), else the
                  -- writer's
                  AND CASE WHEN p.value ? 'offset_wallet' THEN p.value ->> 'offset_wallet'
                           ELSE w.offset_wallet END IS NOT NULL
            ) AS d
            CROSS JOIN LATERAL (
                SELECT _recon.writer_rule_entry(l, w, d.deltas) AS refusal
            ) AS e
            WHERE st.stage_id = p_stage AND st.status = 'planned' AND w.kind = 'insert'
              AND l.kinds IS NOT NULL AND e.refusal ? 'refused'
        ) AS x
        GROUP BY x.step
    ) AS u
    WHERE s.stage_id = p_stage AND s.step = u.step;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    -- A step that would write a float amount or balance: a person decides (RC320 applying).
    RETURN v_steps + _recon.fix_floats(p_stage, FALSE);
END;
$$;

--
-- Name: FUNCTION fix_unpostable(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_unpostable(p_stage bigint) IS 'Marks manual, with the reason, every planned step of a staged plan (recon.fix, recon.reverse_fix) that an INSERT writer on effects keyed on several columns could not post exactly (_recon.writer_rule_entry: no rule the row can match moves exactly its deltas, or the other leg of the transfer row does not move the offset wallet by the opposite), and every step that would write a float amount or balance (_recon.fix_floats). Returns how many.';

--
-- Name: fix_verify(bigint, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_verify(p_stage bigint, p_pre jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_check _recon.check_def;
    v_now jsonb;
    v_bad text;
BEGIN
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE p_pre -> 'checks' ? c.name ORDER BY c.name LOOP
        EXECUTE format('SELECT jsonb_object_agg(r.finding_key, r.difference) FROM (%s) AS r',
                       _recon.recheck_sql(v_check))
        INTO v_now
        USING ARRAY(SELECT jsonb_array_elements_text(p_pre -> 'keys' -> v_check.wallet_source));
        v_now := COALESCE(v_now, '{}');
        SELECT string_agg(x.what, '; ') INTO v_bad FROM (
            SELECT format('%s %s still found after step %s (%s): difference %s, was %s',
                          v_check.name, s.finding_key, s.step, s.strategy,
                          v_now ->> s.finding_key, s.difference) AS what
            FROM _recon.fix_stage AS s
            WHERE s.stage_id = p_stage AND s.check_name = v_check.name
              AND s.status IN ('applied', 'covered') AND s.strategy <> 'acknowledge'
              AND v_now ? s.finding_key
            UNION ALL
            SELECT format('%s %s: difference %s before, %s after', v_check.name, n.key,
                          COALESCE(p_pre -> 'checks' -> v_check.name ->> n.key, 'none'), n.value)
            FROM jsonb_each_text(v_now) AS n
            WHERE (p_pre -> 'checks' -> v_check.name ->> n.key)::numeric
                  IS DISTINCT FROM n.value::numeric
              AND NOT EXISTS (SELECT FROM _recon.fix_stage AS s
                              WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                                AND s.finding_key = n.key AND s.status IN ('applied', 'covered')
                                AND s.strategy <> 'acknowledge')
              -- a restored entry stands at the end of the wallet's history: its running
              -- balance is the far side of the gap the lost entry left (docs/REPAIRS.md)
              AND NOT (v_check.kind = 'chain' AND EXISTS (
                  SELECT FROM _recon.fix_stage AS s
                  JOIN _recon.repair_entry AS e ON e.repair_id = s.repair_id
                  WHERE s.stage_id = p_stage AND s.strategy = 'restore'
                    AND s.status = 'applied' AND e.wallet_key = s.wallet_key
                    AND n.key = s.wallet_key || '/' || e.entry))
        ) AS x;
        IF v_bad IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC307', 'the repair did not verify; nothing was applied',
                v_bad,
                'A writer or posting function did not post what the plan asked, or something '
                || 'else moved these wallets. Check the writer (recon.register_writer) and run '
                || 'the dry run again.');
        END IF;
    END LOOP;
END;
$$;

--
-- Name: FUNCTION fix_verify(p_stage bigint, p_pre jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_verify(p_stage bigint, p_pre jsonb) IS 'Re-runs, after a repair and under its locks, every check recon.fix() ran before it for the same wallets: each repaired finding must be gone, and nothing else may be new or changed (but the running balance of an entry it restored, the far side of the lost entry''s gap). Otherwise RC307 (the DETAIL lists what), and the whole call rolls back.';

--
-- Name: fix_wallet_moves(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_wallet_moves(p_stage bigint) RETURNS TABLE(wallet_source text, wallet_key text, col text, first_step integer, before numeric, moved numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT y.wallet_source, y.wallet_key, m.key, min(y.step),
           (max(y.stored_before ->> m.key))::numeric, sum(m.value::numeric)
    FROM _recon.fix_stage AS y, jsonb_each_text(y.moves) AS m
    WHERE y.stage_id = p_stage AND y.status = 'planned'
    GROUP BY y.wallet_source, y.wallet_key, m.key
$$;

--
-- Name: FUNCTION fix_wallet_moves(p_stage bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_wallet_moves(p_stage bigint) IS 'Per wallet and balance column of the staged plan p_stage: its first planned step, its stored balance before the plan (stored_before) and the sum of what the planned steps move it by. What the overdraft and column-fit phases of _recon.fix_assess judge.';

--
-- Name: fix_wallet_value(text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.fix_wallet_value(p_source text, p_key text, p_column text) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_source);
    v_value numeric;
BEGIN
    -- in major units when the column holds minor units (docs/CHECKS.md "Minor units")
    EXECUTE format('SELECT %s::numeric FROM %s AS w WHERE w.%I = $1::%s',
                   _recon.major_sql(v_ws.balance_scale, format('w.%I', p_column), 'w'),
                   v_ws.relid::regclass, v_ws.key_column,
                   _recon.column_type(v_ws.relid, v_ws.key_column))
    INTO v_value USING p_key;
    RETURN v_value;
END;
$_$;

--
-- Name: FUNCTION fix_wallet_value(p_source text, p_key text, p_column text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.fix_wallet_value(p_source text, p_key text, p_column text) IS 'The stored value of one balance column of one wallet, in major units (NULL if there is no such wallet).';

--
-- Name: float_refusal(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.float_refusal(p_ledger _recon.ledger_source) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- The amount and running balances a writer posts: a float cannot hold them exactly.
    RETURN (
        SELECT format('%s of %s %s of a float type (%s)',
                      CASE WHEN count(*) > 1 THEN 'columns' ELSE 'column' END,
                      p_ledger.relid::regclass, CASE WHEN count(*) > 1 THEN 'are' ELSE 'is' END,
                      string_agg(format('%I %s', c, _recon.column_type(p_ledger.relid, c::name)),
                                 ', ' ORDER BY c))
        FROM (SELECT p_ledger.amount_column::text AS c
              UNION SELECT p_ledger.balance_after_column
              UNION SELECT a.value #>> '{}' FROM jsonb_each(p_ledger.after_columns) AS a) AS u
        WHERE c IS NOT NULL
          AND _recon.column_type(p_ledger.relid, c::name)
              IN ('real'::regtype, 'double precision'::regtype)
        HAVING count(*) > 0);
END;
$$;

--
-- Name: FUNCTION float_refusal(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.float_refusal(p_ledger _recon.ledger_source) IS 'NULL when the ledger''s amount and running-balance columns are exact types; else why a writer (recon.register_writer) or a repair (recon.fix) refuses to post into it: the float columns (real, double precision) named with their types. RC320 (docs/SQLSTATES.md).';

--
-- Name: guard_compile(text, text, integer); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_compile(p_kind text, p_target text, p_id integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_check _recon.check_def;
    v_compiled jsonb;
    v_effects_old text;
    v_sql jsonb := '{}'::jsonb;
    v_triggers jsonb := '[]'::jsonb;
    v_functions jsonb := '[]'::jsonb;
    v_key_type text;
    v_relid oid;
    v_key name;
    v_value name;
    v_minus text := '0';
    v_filter text := 'TRUE';
    v_join name;
    v_col name;
    v_hold text;
    v_terminal text;
    v_journal_type text;
    v_parent record;
    v_parent_sql jsonb;
    v_into CONSTANT text := 'INSERT INTO _recon.guard_pending AS p '
        || '(txid, guard_id, fix_id, item, col, stored, ledger) ';
BEGIN
    IF p_kind IN ('drift', 'append_only', 'double_entry') THEN
        v_ledger := _recon.ledger(p_target);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        IF p_kind <> 'append_only' THEN  -- append-only reads no column: any shape
            PERFORM _recon.require_guard_shape(v_ledger, p_kind);
        END IF;
    ELSE
        v_check := _recon."check"(p_target);
    END IF;

    IF p_kind = 'drift' THEN
        v_compiled := _recon.guard_drift_compile(p_id, v_ledger, v_wallet);
        v_sql := v_compiled -> 'sql';
        v_triggers := v_compiled -> 'triggers';
        v_functions := v_compiled -> 'functions';

    ELSIF p_kind = 'double_entry' THEN
        PERFORM _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                      'double_entry guard');
        IF (_recon.legs(v_ledger)).amount_mode = 'operation' THEN
            PERFORM _recon.fail('RC406', 'a double_entry guard needs a signed or direction ledger',
                                format('Ledger %s is operation-based.', v_ledger.name),
                                'Guard the journal entries of a credit/debit or signed ledger.');
        END IF;
        SELECT b INTO v_col FROM unnest(v_wallet.balance_columns) AS b
        WHERE v_ledger.effects ? b LIMIT 1;
        v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
        v_effects_old := v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
            || 'l.%1$I::text, ''*'', 0, 0 FROM %2$s AS l WHERE l.%1$I IS NOT NULL '
            || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING';
        v_sql := jsonb_build_object(
            'ledger_insert', format(v_effects_old, v_ledger.journal_column, 'recon_new'),
            'ledger_delete', format(v_effects_old, v_ledger.journal_column, 'recon_old'),
            'ledger_update', jsonb_build_array(
                format(v_effects_old, v_ledger.journal_column, 'recon_new'),
                format(v_effects_old, v_ledger.journal_column, 'recon_old')),
            -- at commit: the journal transaction's legs, through the journal column (its
            -- index: the condition reaches the scan of a one-sided ledger), only the rows the
            -- filters keep; a transfer row's two legs balance by construction
            'check', format(
                'SELECT COALESCE(sum(COALESCE((%1$s)::numeric, ''NaN'')), 0), count(*) '
                || 'FROM %2$s AS l WHERE l.journal = $1::%3$s',
                _recon.effect_sql(_recon.legs(v_ledger), v_col, 'l'), _recon.legs_sql(v_ledger),
                v_journal_type));
        v_triggers := _recon.guard_statement_triggers(v_ledger.relid, p_id, 'ledger');
        IF v_ledger.parents IS NOT NULL THEN
            -- the parent rows of the rows written are locked first, as for a drift guard
            -- (_recon.guard_parent_lock_sql)
            v_sql := v_sql || jsonb_build_object(
                'ledger_insert', to_jsonb(_recon.guard_parent_lock_sql(v_ledger, 'recon_new'))
                    || jsonb_build_array(v_sql -> 'ledger_insert'),
                'ledger_delete', to_jsonb(_recon.guard_parent_lock_sql(v_ledger, 'recon_old'))
                    || jsonb_build_array(v_sql -> 'ledger_delete'),
                'ledger_update', to_jsonb(_recon.guard_parent_lock_sql(v_ledger, 'recon_new')
                                          || _recon.guard_parent_lock_sql(v_ledger, 'recon_old'))
                    || (v_sql -> 'ledger_update'));
        END IF;
        -- an UPDATE on a parent table changes which of the rows under the rows it wrote
        -- count, and how: their journals, before and after it, are checked at commit (a change
        -- the isolation level cannot prove is refused: _recon.guard_parent_change; an INSERT
        -- or a DELETE changes none, as for a drift guard)
        FOR v_parent IN SELECT t.relid, t.n, t.aliases FROM _recon.guard_parent_tables(v_ledger) AS t
        LOOP
            SELECT jsonb_build_object(format('parent%s_update', v_parent.n), jsonb_build_array(
                       format('SELECT _recon.guard_parent_change(%s, %L, %s, FALSE)', p_id,
                              v_parent.relid::regclass, x.sql ->> 'changed'))
                   || to_jsonb(_recon.guard_parent_lock_sql(
                          v_ledger, 'recon_new', ARRAY(SELECT jsonb_object_keys(v_parent.aliases))))
                   || jsonb_build_array(
                       format(v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
                              || 'l.journal::text, ''*'', 0, 0 FROM (SELECT n.journal FROM %s AS n '
                              || 'UNION ALL SELECT o.journal FROM %s AS o) AS l '
                              || 'WHERE l.journal IS NOT NULL '
                              || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
                              _recon.legs_query(v_ledger, NULL, x.sql ->> 'where'),
                              _recon.legs_query(v_ledger, x.sql -> 'swap', x.sql ->> 'where'))),
                   -- a DELETE whose key is written again in the statement is refused
                   format('parent%s_delete', v_parent.n), jsonb_build_array(format(
                       'SELECT _recon.guard_parent_change(%s, %L, FALSE, %s)', p_id,
                       v_parent.relid::regclass, x.sql ->> 'reborn')))
            INTO v_parent_sql
            FROM (SELECT _recon.guard_parent_sql(v_ledger, v_parent.relid, v_parent.aliases)
                      AS sql) AS x;
            v_sql := v_sql || v_parent_sql;
            v_triggers := v_triggers || _recon.guard_statement_triggers(
                v_parent.relid, p_id, 'parent' || v_parent.n, ARRAY['update', 'delete']);
        END LOOP;

    ELSIF p_kind = 'lifecycle' THEN
        IF v_check.kind <> 'lifecycle' THEN
            PERFORM _recon.fail('RC406', format('%s is a %s check, not a lifecycle check',
                                                p_target, v_check.kind),
                                'A lifecycle guard enforces a lifecycle check''s state machine.',
                                'Name a lifecycle check.');
        END IF;
        v_ledger := _recon.ledger(v_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        PERFORM _recon.require_guard_shape(v_ledger, 'lifecycle');
        PERFORM _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                      'lifecycle guard');
        v_hold := quote_literal(v_check.options ->> 'hold');
        SELECT string_agg(quote_literal(t), ', ') INTO v_terminal
        FROM jsonb_array_elements_text(v_check.options -> 'terminal') AS t;
        v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
        v_effects_old := format(
            v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
            || 'l.%1$I::text, ''*'', 0, 0 FROM recon_new AS l WHERE l.%1$I IS NOT NULL '
            || 'AND l.%2$I::text IN (%3$s, %4$s) '
            || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
            v_ledger.journal_column, v_ledger.operation_column, v_hold, v_terminal);
        v_sql := jsonb_build_object(
            'ledger_insert', v_effects_old,
            'ledger_update', v_effects_old,
            -- at commit, per wallet of the transaction: at most one resolution, never more
            -- than the hold, and none without a hold
            'check', format(
                'SELECT string_agg(format(''wallet %%s: %%s hold(s) of %%s, %%s resolution(s) '
                || 'of %%s'', x.k, x.holds, x.held, x.resolutions, x.resolved), ''; '') '
                || 'FROM (SELECT l.%1$I::text AS k, '
                || 'count(*) FILTER (WHERE l.%2$I::text = %3$s) AS holds, '
                || 'COALESCE(sum(l.%4$I) FILTER (WHERE l.%2$I::text = %3$s), 0) AS held, '
                || 'count(*) FILTER (WHERE l.%2$I::text IN (%5$s)) AS resolutions, '
                || 'COALESCE(sum(l.%4$I) FILTER (WHERE l.%2$I::text IN (%5$s)), 0) AS resolved '
                || 'FROM %6$s AS l WHERE l.%7$I = $1::%8$s GROUP BY 1) AS x '
                || 'WHERE x.resolutions > 1 OR x.resolved > x.held '
                || 'OR (x.resolutions > 0 AND x.holds = 0)',
                v_ledger.wallet_column, v_ledger.operation_column, v_hold,
                v_ledger.amount_column, v_terminal, v_ledger.relid::regclass,
                v_ledger.journal_column, v_journal_type));
        v_triggers := _recon.guard_statement_triggers(v_ledger.relid, p_id, 'ledger',
                                                      ARRAY['insert', 'update']);

    ELSIF p_kind = 'derived' THEN
        IF v_check.kind <> 'derived' THEN
            PERFORM _recon.fail('RC406', format('%s is a %s check, not a derived check',
                                                p_target, v_check.kind),
                                'A derived guard checks a derived check''s column on write.',
                                'Name a derived check.');
        END IF;
        v_wallet := _recon.wallet(v_check.wallet_source);
        v_relid := _recon.resolve_table(v_check.options ->> 'table');
        v_key := v_check.options ->> 'key_column';
        v_value := v_check.options ->> 'value_column';
        v_col := v_check.options ->> 'column';
        v_join := COALESCE(v_check.options ->> 'wallet_column', v_wallet.key_column);
        IF v_check.options ? 'minus_column' THEN
            v_minus := format('COALESCE(t.%I, 0)', v_check.options ->> 'minus_column');
        END IF;
        IF v_check.options ? 'filter_column' THEN
            v_filter := _recon.in_list_sql(v_relid, 't', v_check.options ->> 'filter_column',
                                           v_check.options -> 'filter_values', 'filter_values');
        END IF;
        v_key_type := _recon.column_type_sql(v_wallet.relid, v_wallet.key_column);
        v_sql := jsonb_build_object(
            -- a wallet whose derived column changed, and the wallets of changed source rows
            'wallet_update', format(
                v_into || 'SELECT DISTINCT pg_current_xact_id(), '
                || '$1, $2, n.%1$I::text, ''*'', 0, 0 FROM recon_new AS n '
                || 'JOIN recon_old AS o ON o.%1$I = n.%1$I '
                || 'WHERE n.%2$I IS DISTINCT FROM o.%2$I '
                || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
                v_wallet.key_column, v_col),
            'source_insert', _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_new'),
            'source_delete', _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_old'),
            'source_update', jsonb_build_array(
                _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_new'),
                _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_old')),
            'column', v_col,
            'check', format(
                'SELECT w.%1$I::numeric, COALESCE((SELECT sum(t.%2$I - %3$s) FROM %4$s AS t '
                || 'WHERE t.%5$I = w.%6$I AND %7$s), 0)::numeric '
                || 'FROM %8$s AS w WHERE w.%9$I = $1::%10$s',
                v_col, v_value, v_minus, v_relid::regclass, v_key, v_join, v_filter,
                v_wallet.relid::regclass, v_wallet.key_column, v_key_type));
        v_triggers := _recon.guard_statement_triggers(v_wallet.relid, p_id, 'wallet',
                                                      ARRAY['update'])
            || _recon.guard_statement_triggers(v_relid, p_id, 'source');

    ELSE  -- append_only
        v_triggers := jsonb_build_array(
            jsonb_build_object(
                'table', v_ledger.relid::regclass::text,
                'trigger', format('recon_guard_%s_no_change', p_id),
                'definition', format(
                    'BEFORE UPDATE OR DELETE ON %s FOR EACH ROW '
                    || 'EXECUTE FUNCTION _recon.tg_guard_append_only(%L, %L)',
                    v_ledger.relid::regclass, p_id, v_ledger.relid::regclass)),
            jsonb_build_object(
                'table', v_ledger.relid::regclass::text,
                'trigger', format('recon_guard_%s_no_truncate', p_id),
                'definition', format(
                    'BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                    || 'EXECUTE FUNCTION _recon.tg_guard_append_only(%L)',
                    v_ledger.relid::regclass, p_id)));
    END IF;
    -- a source that is a simple view: its guard goes on the base table, through its WHERE
    RETURN _recon.guard_over_views(
        jsonb_build_object('sql', v_sql, 'triggers', v_triggers, 'functions', v_functions),
        jsonb_build_object('ledger', v_ledger.relid, 'wallet', v_wallet.relid, 'source', v_relid),
        p_kind, p_target);
END;
$_$;

--
-- Name: FUNCTION guard_compile(p_kind text, p_target text, p_id integer); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_compile(p_kind text, p_target text, p_id integer) IS 'Compiles a guard: the triggers it puts on the user''s tables, the trigger functions it generates (drift: one per table, row-level, accumulating in a transaction-local setting) and the SQL the others run (statement-level, reading the transition tables: what a statement changed, staged in _recon.guard_pending, and the commit-time check of a journal, a hold or a derived value). Nothing costs more for a wallet with a long history. A source that is a simple view is guarded on its base table through the view''s query (_recon.guard_over_views); any other view is refused (RC406).';

--
-- Name: wallet_source; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.wallet_source (
    name text NOT NULL,
    relid oid NOT NULL,
    key_column name NOT NULL,
    balance_columns name[] NOT NULL,
    currency_column name,
    owner_column name,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by name DEFAULT SESSION_USER NOT NULL,
    label_column name,
    balance_scale jsonb,
    version_column name,
    CONSTRAINT wallet_source_has_balances CHECK ((cardinality(balance_columns) > 0)),
    CONSTRAINT wallet_source_name_format CHECK ((name ~ '^[a-z][a-z0-9_]{0,39}$'::text))
);

--
-- Name: TABLE wallet_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.wallet_source IS 'Registered wallet tables: a key and the stored balance columns (recon.register_wallet_source).';

--
-- Name: COLUMN wallet_source.name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.name IS 'Source name: lower case, digits, _; at most 40.';

--
-- Name: COLUMN wallet_source.relid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.relid IS 'The user''s table (pg_class oid; survives renames).';

--
-- Name: COLUMN wallet_source.key_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.key_column IS 'Wallet key column.';

--
-- Name: COLUMN wallet_source.balance_columns; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.balance_columns IS 'Stored balance columns, numeric.';

--
-- Name: COLUMN wallet_source.currency_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.currency_column IS 'Optional currency column.';

--
-- Name: COLUMN wallet_source.owner_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.owner_column IS 'Optional owner column (coverage checks).';

--
-- Name: COLUMN wallet_source.created_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.created_at IS 'When it was registered.';

--
-- Name: COLUMN wallet_source.created_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.created_by IS 'Who registered it (session_user).';

--
-- Name: COLUMN wallet_source.label_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.label_column IS 'Optional label (an alias such as @customer-012-brl), shown beside the key in findings.';

--
-- Name: COLUMN wallet_source.balance_scale; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.balance_scale IS 'The scale of the stored balance columns, when they hold minor units: {"places": n}, or {"column": c, "as": "places"|"multiplier"} (per wallet, from an integer column of the wallet table). NULL: the balances are in major units.';

--
-- Name: COLUMN wallet_source.version_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.wallet_source.version_column IS 'Optional optimistic-locking version column (an integer type): every write of the toolkit to a wallet row adds 1 to it ("version" option of recon.register_wallet_source). NULL: none.';

--
-- Name: guard_derived_source_sql(_recon.wallet_source, name, name, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_derived_source_sql(p_wallet _recon.wallet_source, p_join name, p_key name, p_table text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    SELECT format(
        'INSERT INTO _recon.guard_pending AS p (txid, guard_id, fix_id, item, col, stored, ledger) '
        || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, w.%1$I::text, ''*'', 0, 0 '
        || 'FROM %2$s AS t JOIN %3$s AS w ON w.%4$I = t.%5$I '
        || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
        p_wallet.key_column, p_table, p_wallet.relid::regclass, p_join, p_key);
$_$;

--
-- Name: FUNCTION guard_derived_source_sql(p_wallet _recon.wallet_source, p_join name, p_key name, p_table text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_derived_source_sql(p_wallet _recon.wallet_source, p_join name, p_key name, p_table text) IS 'SQL staging, for a derived guard, the wallets matched by the rows of transition table p_table (source rows inserted, updated or deleted): each is checked at commit.';

--
-- Name: guard_drift_compile(integer, _recon.ledger_source, _recon.wallet_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_compile(p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_cols text[] := ARRAY(SELECT b FROM unnest(p_wallet.balance_columns) AS b
                           WHERE p_ledger.effects ? b);
    -- effects a row alone does not give (keyed on several columns, or reading parent rows)
    v_legs boolean := p_ledger.parents IS NOT NULL OR p_ledger.kinds IS NOT NULL;
    v_check_on text := COALESCE((SELECT g.options ->> 'check_on' FROM _recon.guard AS g
                                 WHERE g.id = p_id), 'wallet');
    v_sides text[] := CASE WHEN v_legs THEN ARRAY['wallet'] ELSE ARRAY['wallet', 'ledger'] END;
    v_sql jsonb := jsonb_build_object('columns', to_jsonb(v_cols),
                                      'setting', format('wallet_recon.drift_%s', p_id));
    v_triggers jsonb;
    v_table record;
    v_parent jsonb;
    v_branches jsonb;
BEGIN
    -- Per row: a trigger function generated for the wallet table and (unless v_legs) for the
    -- ledger (static PL/pgSQL, its plans cached per session) adds what the row changed, per
    -- wallet and balance column, to a transaction-local setting; a deferred constraint trigger
    -- on the wallet table (or the ledger: option check_on) judges it at commit
    -- (_recon.tg_drift_<id>_check; a transaction whose first write is to the other table
    -- queues one through _recon_guard.drift_tick). docs/GUARDS.md.
    SELECT jsonb_agg(x.value ORDER BY x.o) INTO v_triggers
    FROM (SELECT jsonb_build_object(
              'table', t.relid::regclass::text,
              'trigger', format('recon_guard_%s_%s', p_id, t.side),
              'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
                                   || 'EXECUTE FUNCTION _recon.tg_drift_%s_%s()',
                                   t.relid::regclass, p_id, t.side)) AS value, t.o
          FROM (VALUES (1, p_wallet.relid, 'wallet'), (2, p_ledger.relid, 'ledger'))
              AS t (o, relid, side)
          WHERE t.side = ANY (v_sides)
          UNION ALL
          SELECT jsonb_build_object(
              'table', t.relid::regclass::text,
              'trigger', format('recon_guard_%s_%s_check', p_id, t.side),
              'constraint', TRUE,
              'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s DEFERRABLE '
                                   || 'INITIALLY DEFERRED FOR EACH ROW '
                                   || 'EXECUTE FUNCTION _recon.tg_drift_%s_check()',
                                   t.relid::regclass, p_id)), t.o + 2
          FROM (VALUES (1, p_wallet.relid, 'wallet'), (2, p_ledger.relid, 'ledger'))
              AS t (o, relid, side)
          WHERE t.side = v_check_on) AS x;

    IF v_legs THEN
        -- Through the legs relation, per statement (a generated function,
        -- _recon.tg_drift_<id>_legs, into _recon.guard_spill): on the ledger, the legs of the
        -- rows a statement wrote minus those of the rows it replaced, each with its parent rows
        -- as they are, locked first (_recon.guard_parent_lock_sql) so that a concurrent change
        -- of one is read as committed, or waits for this transaction.
        v_branches := jsonb_build_object(
            'ledger_insert', jsonb_build_object(
                'table', p_ledger.relid::regclass::text, 'ledger', TRUE,
                'changed', 'EXISTS (SELECT FROM recon_new)',
                'lock', to_jsonb(_recon.guard_parent_lock_sql(p_ledger, 'recon_new')),
                'delta', _recon.guard_drift_legs_sql(
                    p_ledger, p_id, v_cols,
                    _recon.legs_query(p_ledger, '{"r": "recon_new"}', NULL), NULL)),
            'ledger_update', jsonb_build_object(
                'table', p_ledger.relid::regclass::text, 'ledger', TRUE,
                'changed', 'EXISTS (SELECT FROM recon_new)',
                'lock', to_jsonb(_recon.guard_parent_lock_sql(p_ledger, 'recon_new')
                                 || _recon.guard_parent_lock_sql(p_ledger, 'recon_old')),
                'delta', _recon.guard_drift_legs_sql(
                    p_ledger, p_id, v_cols,
                    _recon.legs_query(p_ledger, '{"r": "recon_new"}', NULL),
                    _recon.legs_query(p_ledger, '{"r": "recon_old"}', NULL))),
            'ledger_delete', jsonb_build_object(
                'table', p_ledger.relid::regclass::text, 'ledger', TRUE,
                'changed', 'EXISTS (SELECT FROM recon_old)',
                'lock', to_jsonb(_recon.guard_parent_lock_sql(p_ledger, 'recon_old')),
                'delta', _recon.guard_drift_legs_sql(
                    p_ledger, p_id, v_cols, NULL,
                    _recon.legs_query(p_ledger, '{"r": "recon_old"}', NULL))));
        -- Statements that overlap (a data-modifying WITH, a trigger's statement) read each
        -- other's rows as they end: a BEFORE statement trigger on each table opens a window
        -- that the AFTER trigger closes, and a window that changed the legs through a parent
        -- table and through another table is refused (_recon.guard_drift_window).
        v_triggers := v_triggers || jsonb_build_array(jsonb_build_object(
            'table', p_ledger.relid::regclass::text,
            'trigger', format('recon_guard_%s_ledger_begin', p_id),
            'definition', format('BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT '
                                 || 'EXECUTE FUNCTION _recon.tg_guard_drift_begin(%L)',
                                 p_ledger.relid::regclass, p_id)))
            || _recon.guard_statement_triggers(
                p_ledger.relid, p_id, 'ledger', ARRAY['insert', 'update', 'delete'],
                format('_recon.tg_drift_%s_legs', p_id));
        -- On each parent table, an UPDATE that changes a column the legs read changes the
        -- effects of the ledger rows under the rows it wrote (_recon.guard_parent_sql): their
        -- legs as they are now, minus their legs over the table as it was. (An INSERT or a
        -- DELETE changes none: the foreign key each parent needs, validated, not deferrable
        -- and without cascades, keeps ledger rows from pointing to a parent row that is not
        -- there; a DELETE whose key is written again in the statement is refused.)
        FOR v_table IN SELECT t.relid, t.n, t.aliases FROM _recon.guard_parent_tables(p_ledger) AS t
        LOOP
            v_parent := _recon.guard_parent_sql(p_ledger, v_table.relid, v_table.aliases);
            v_branches := v_branches || jsonb_build_object(
                format('parent%s_delete', v_table.n), jsonb_build_object(
                    'table', v_table.relid::regclass::text, 'changed', 'FALSE',
                    'reborn', v_parent ->> 'reborn'),
                format('parent%s_update', v_table.n), jsonb_build_object(
                    'table', v_table.relid::regclass::text,
                    'changed', v_parent ->> 'changed',
                    -- the rows of the parents reached through the rows written (a
                    -- transaction's parent transaction), locked as the ledger's are
                    'lock', to_jsonb(_recon.guard_parent_lock_sql(
                        p_ledger, 'recon_new', ARRAY(SELECT jsonb_object_keys(v_table.aliases)))),
                    'delta', _recon.guard_drift_legs_sql(
                        p_ledger, p_id, v_cols,
                        _recon.legs_query(p_ledger, NULL, v_parent ->> 'where'),
                        _recon.legs_query(p_ledger, v_parent -> 'swap', v_parent ->> 'where'))));
            v_triggers := v_triggers || jsonb_build_array(jsonb_build_object(
                'table', v_table.relid::regclass::text,
                'trigger', format('recon_guard_%s_parent%s_begin', p_id, v_table.n),
                'definition', format('BEFORE UPDATE OR DELETE ON %s FOR EACH STATEMENT '
                                     || 'EXECUTE FUNCTION _recon.tg_guard_drift_begin(%L)',
                                     v_table.relid::regclass, p_id)))
                || _recon.guard_statement_triggers(
                    v_table.relid, p_id, 'parent' || v_table.n, ARRAY['update', 'delete'],
                    format('_recon.tg_drift_%s_legs', p_id));
        END LOOP;
    END IF;

    -- Row and statement triggers do not see a TRUNCATE: a statement trigger refuses it, on
    -- every table the guard reads.
    SELECT v_triggers || jsonb_agg(jsonb_build_object(
               'table', x.relid::regclass::text,
               'trigger', format('recon_guard_%s_%s_truncate', p_id, x.side),
               'definition', format('BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                                    || 'EXECUTE FUNCTION _recon.tg_guard_drift_truncate(%L, %L)',
                                    x.relid::regclass, p_id, x.kind)) ORDER BY x.o)
    INTO v_triggers
    FROM (SELECT 1 AS o, p_wallet.relid, 'wallet' AS side, 'wallet' AS kind
          UNION ALL SELECT 2, p_ledger.relid, 'ledger', 'ledger'
          UNION ALL
          SELECT 2 + t.n, t.relid, 'parent' || t.n, 'ledger'
          FROM _recon.guard_parent_tables(p_ledger) AS t
          WHERE v_legs AND t.relid NOT IN (p_wallet.relid, p_ledger.relid)) AS x;

    RETURN jsonb_build_object(
        'sql', v_sql, 'triggers', v_triggers,
        'functions', (
            SELECT jsonb_agg(jsonb_build_object(
                       'function', format('_recon.tg_drift_%s_%s()', p_id, s.side),
                       'definition', CASE WHEN s.side = 'legs'
                           THEN _recon.guard_drift_legs_function(p_id, v_branches)
                           ELSE _recon.guard_drift_function(p_id, s.side, p_ledger, p_wallet,
                                                            v_cols) END)
                       ORDER BY s.o)
            FROM unnest(v_sides || ARRAY['check']
                        || CASE WHEN v_legs THEN ARRAY['legs'] ELSE ARRAY[]::text[] END)
                WITH ORDINALITY AS s (side, o)));
END;
$$;

--
-- Name: FUNCTION guard_drift_compile(p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_compile(p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source) IS 'Compiles a drift guard: {"sql", "triggers", "functions"}. Row trigger functions generated for the wallet table and the ledger add what each row changed to a transaction-local accumulator, judged at commit by a deferred constraint trigger (check_on). A ledger whose effects a row alone does not give (keyed on several columns, or reading parent rows) has statement triggers instead (a generated _recon.tg_drift_<id>_legs(), _recon.guard_drift_legs_function), on the ledger and on each parent table (UPDATE), adding what each statement moved through the legs relation (_recon.guard_drift_legs_sql). TRUNCATE is refused on every table it reads.';

--
-- Name: guard_drift_effect_sql(_recon.ledger_source, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_effect_sql(p_ledger _recon.ledger_source, p_column text, p_row text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_amount text := format('(%s.%I)::pg_catalog.numeric', p_row, p_ledger.amount_column);
    v_cases text;
BEGIN
    -- the same effect as _recon.effect_sql(), written so that no name in it depends on the
    -- caller's search_path
    IF p_ledger.effects -> p_column IS NULL THEN
        RETURN '0';
    END IF;
    IF p_ledger.amount_mode = 'signed' THEN
        RETURN _recon.guard_drift_times_sql(v_amount,
                                             (p_ledger.effects -> p_column ->> '*')::numeric);
    END IF;
    SELECT string_agg(format(' WHEN (%s.%I)::pg_catalog.text OPERATOR(pg_catalog.=) %L THEN %s',
                             p_row, CASE p_ledger.amount_mode WHEN 'direction'
                                    THEN p_ledger.direction_column
                                    ELSE p_ledger.operation_column END, e.key,
                             _recon.guard_drift_times_sql(v_amount, e.value::numeric)), ''
                      ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each_text(p_ledger.effects -> p_column) AS e;
    RETURN format('CASE%s ELSE 0 END', v_cases);
END;
$$;

--
-- Name: FUNCTION guard_drift_effect_sql(p_ledger _recon.ledger_source, p_column text, p_row text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_effect_sql(p_ledger _recon.ledger_source, p_column text, p_row text) IS 'PL/pgSQL expression (over trigger row p_row, new or old) for a ledger entry''s effect on one balance column, as numeric: the signed amount, or a CASE over the direction or operation type; as _recon.effect_sql() computes it, with every operator schema-qualified.';

--
-- Name: guard_drift_function(integer, text, _recon.ledger_source, _recon.wallet_source, text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_function(p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[]) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_name text := format('_recon.tg_drift_%s_%s', p_id, p_side);
    v_setting text := format('wallet_recon.drift_%s', p_id);
    v_amount_type text := _recon.column_type_sql(p_ledger.relid, p_ledger.amount_column);
    v_exact boolean;
    v_body text;
    v_read text;
    v_first text;
    v_new text;
    v_old text;
    v_upd text;
    v_ins text;
    v_del text;
    v_mov text;
    v_num text;
    v_eff text;
    v_write boolean;
    v_skip text;
    v_null boolean;
    v_nan boolean;
    v_signed boolean := p_ledger.amount_mode = 'signed';
    v_key_null boolean := _recon.guard_drift_nullable(p_wallet.relid, p_wallet.key_column);
    v_many boolean;
    v_legs text;
    v_leg name;
    v_side text;
    v_i integer;
    v_col text;
BEGIN
    -- Amounts are compared as text, so stored changes and ledger effects must print alike: they
    -- do when both columns have the same type with a fixed scale (numeric(14,2) and
    -- numeric(14,2)) or an integer type, and every multiplier is 1 or -1; otherwise the
    -- generated code trims trailing zeros (numeric 5.50 and 5.5 both become 5.5).
    v_exact := NOT EXISTS (
        SELECT FROM unnest(p_cols) AS b
        WHERE _recon.column_type_sql(p_wallet.relid, b) IS DISTINCT FROM v_amount_type
           OR NOT (v_amount_type LIKE '%(%' OR _recon.column_type(p_ledger.relid,
                   p_ledger.amount_column) IN ('smallint', 'integer', 'bigint'))
           OR EXISTS (SELECT FROM jsonb_each_text(p_ledger.effects -> b) AS e
                      WHERE e.value::numeric NOT IN (1, -1)));

    v_read := format(E'    v_acc := COALESCE(pg_catalog.current_setting(%L, TRUE), \'\');\n',
                     v_setting);
    -- the first record of a transaction: the table with the constraint trigger (the option
    -- check_on, the wallet table by default) has queued the check; the other table queues one
    v_first := CASE WHEN p_side = COALESCE((SELECT g.options ->> 'check_on'
                                            FROM _recon.guard AS g WHERE g.id = p_id), 'wallet')
                    THEN '''*''' ELSE format('_recon_guard.drift_tick(%s)', p_id) END;
    IF p_side = 'check' THEN
        -- The deferred constraint trigger (on the wallet table, or the ledger with check_on;
        -- and a tick's, _recon_guard.drift_tick):
        -- the first to run at commit finds everything the transaction wrote, empties the
        -- accumulator and judges what is left; '*' alone (all balanced) needs no query.
        v_body := v_read
            || E'    IF v_acc OPERATOR(pg_catalog.=) \'\' THEN\n        RETURN NULL;\n    END IF;\n'
            || format(E'    IF pg_catalog.set_config(%L, \'\', TRUE) OPERATOR(pg_catalog.||) v_acc '
                      || E'OPERATOR(pg_catalog.<>) \'*\' THEN\n'
                      || E'        PERFORM _recon_guard.drift_verdict(%s, v_acc);\n    END IF;\n',
                      v_setting, p_id);
    ELSIF p_side = 'wallet' THEN
        -- what the table's definition rules out needs no code: NULL in a NOT NULL column,
        -- NaN in an integer one
        v_skip := CASE WHEN v_key_null THEN format('new.%I IS NULL OR ', p_wallet.key_column)
                       ELSE '' END;
        v_upd := '';
        v_ins := '';
        v_del := '';
        FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
            v_write := cardinality(p_cols) = 1;
            v_null := _recon.guard_drift_nullable(p_wallet.relid, v_col);
            v_nan := _recon.column_type(p_wallet.relid, v_col)
                     NOT IN ('smallint', 'integer', 'bigint');
            v_num := format('(new.%I)::pg_catalog.numeric', v_col);
            v_eff := format('(old.%I)::pg_catalog.numeric', v_col);
            v_upd := v_upd || _recon.guard_drift_record_sql(
                p_id, v_i, 's', _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column,
                                                           'new'),
                _recon.guard_drift_trim_sql(format('%s OPERATOR(pg_catalog.-) %s', v_num, v_eff),
                                            v_exact),
                v_skip || format('%s OPERATOR(pg_catalog.=) %s', v_num, v_eff)
                || CASE WHEN v_null THEN format(' OR (new.%1$I IS NULL AND old.%1$I IS NULL)',
                                                v_col) ELSE '' END,
                _recon.guard_drift_nan_sql(ARRAY[v_num, v_eff], v_null, v_nan), v_write, v_first)
                || E'\n';
            v_ins := v_ins || _recon.guard_drift_record_sql(
                p_id, v_i, 's', _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column,
                                                           'new'),
                _recon.guard_drift_trim_sql(v_num, v_exact),
                v_skip || format('%s OPERATOR(pg_catalog.=) 0', v_num),
                _recon.guard_drift_nan_sql(ARRAY[v_num], v_null, v_nan), v_write, v_first) || E'\n';
            v_del := v_del || _recon.guard_drift_record_sql(
                p_id, v_i, 's', _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column,
                                                           'old'),
                _recon.guard_drift_trim_sql(format('OPERATOR(pg_catalog.-) %s', v_eff), v_exact),
                replace(v_skip, 'new.', 'old.') || format('%s OPERATOR(pg_catalog.=) 0', v_eff),
                _recon.guard_drift_nan_sql(ARRAY[v_eff], v_null, v_nan), v_write, v_first) || E'\n';
        END LOOP;
        v_body := v_read
            || E'    IF tg_op OPERATOR(pg_catalog.=) \'UPDATE\' THEN\n'
            || _recon.guard_drift_indent_sql(v_upd, v_setting, cardinality(p_cols) > 1)
            || E'    ELSIF tg_op OPERATOR(pg_catalog.=) \'INSERT\' THEN\n'
            || _recon.guard_drift_indent_sql(v_ins, v_setting, cardinality(p_cols) > 1)
            || E'    ELSE\n'
            || _recon.guard_drift_indent_sql(v_del, v_setting, cardinality(p_cols) > 1)
            || E'    END IF;\n';

    ELSE  -- ledger: each leg's effects (the entry, or both sides of a transfer row), negated
          -- for an entry deleted or replaced; zero for a row the entry filters do not keep
        v_ins := '';
        v_del := '';
        v_legs := '';
        v_null := _recon.guard_drift_nullable(p_ledger.relid, p_ledger.amount_column);
        v_nan := _recon.column_type(p_ledger.relid, p_ledger.amount_column)
                 NOT IN ('smallint', 'integer', 'bigint');
        -- a transfer row writes two records per column: the setting is written once, at the
        -- end of the branch
        v_many := cardinality(p_cols) > 1 OR p_ledger.shape = 'transfer';
        v_signed := v_signed AND p_ledger.filters IS NULL;
        FOR v_leg, v_side IN
            SELECT x.c, x.s FROM (VALUES (1, p_ledger.wallet_column, NULL::text),
                                         (2, p_ledger.debit_wallet_column, 'debit'),
                                         (3, p_ledger.credit_wallet_column, 'credit'))
                AS x (o, c, s)
            WHERE x.c IS NOT NULL ORDER BY x.o
        LOOP
            v_key_null := _recon.guard_drift_nullable(p_ledger.relid, v_leg);
            v_new := _recon.guard_drift_key_sql(p_ledger.relid, v_leg, 'new');
            v_old := _recon.guard_drift_key_sql(p_ledger.relid, v_leg, 'old');
            v_upd := '';
            v_mov := '';
            FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
                v_write := NOT v_many;
                v_num := _recon.guard_drift_leg_sql(p_ledger, v_col, 'new', v_side);
                v_eff := _recon.guard_drift_leg_sql(p_ledger, v_col, 'old', v_side);
                -- an entry without a wallet moves none; an effect of zero (an operation that
                -- does not touch this column, a row the filters do not keep) adds nothing. A
                -- signed amount of zero is rare: its record stays and the commit check sums it
                -- (0 against 0) instead of every entry paying for the test.
                v_ins := v_ins || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(v_num, v_exact),
                    NULLIF(concat_ws(' OR ', CASE WHEN v_key_null
                                                  THEN format('new.%I IS NULL', v_leg) END,
                                     CASE WHEN NOT v_signed
                                          THEN format('(%s) OPERATOR(pg_catalog.=) 0', v_num)
                                     END),
                           ''),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num)], v_null, v_nan),
                    v_write, v_first)
                    || E'\n';
                v_del := v_del || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_old, _recon.guard_drift_trim_sql(
                        format('OPERATOR(pg_catalog.-) (%s)', v_eff), v_exact),
                    format('old.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', v_leg, v_eff),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_eff)], v_null, v_nan),
                    v_write, v_first)
                    || E'\n';
                -- the same wallet: the change of the entry's effects, once (a filter column
                -- that changed makes the row count, or stop counting, here)
                v_upd := v_upd || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(format(
                        '(%s) OPERATOR(pg_catalog.-) (%s)', v_num, v_eff), v_exact),
                    format('(%s) OPERATOR(pg_catalog.=) (%s)', v_num, v_eff),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num),
                                                     format('(%s)', v_eff)], v_null, v_nan),
                    v_write, v_first) || E'\n';
                -- moved to another wallet, or from or to none: both sides
                v_mov := v_mov || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(v_num, v_exact),
                    format('new.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', v_leg, v_num),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num)], v_null, v_nan),
                    FALSE, v_first)
                    || E'\n' || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_old, _recon.guard_drift_trim_sql(
                        format('OPERATOR(pg_catalog.-) (%s)', v_eff), v_exact),
                    format('old.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', v_leg, v_eff),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_eff)], v_null, v_nan),
                    FALSE, v_first)
                    || E'\n';
            END LOOP;
            -- an UPDATE, per leg: the same wallet or another one
            v_legs := v_legs
                || format(E'IF (new.%1$I)::pg_catalog.text OPERATOR(pg_catalog.=) '
                          || E'(old.%1$I)::pg_catalog.text THEN\n', v_leg)
                || regexp_replace(rtrim(v_upd, E'\n'), '^', '    ', 'gn')
                || E'\nELSE\n' || regexp_replace(rtrim(v_mov, E'\n'), '^', '    ', 'gn')
                || E'\nEND IF;\n';
        END LOOP;
        v_body := v_read
            || E'    IF tg_op OPERATOR(pg_catalog.=) \'INSERT\' THEN\n'
            || _recon.guard_drift_indent_sql(v_ins, v_setting, v_many)
            || E'    ELSIF tg_op OPERATOR(pg_catalog.=) \'DELETE\' THEN\n'
            || _recon.guard_drift_indent_sql(v_del, v_setting, v_many);
        IF p_ledger.shape = 'transfer' THEN
            v_body := v_body || E'    ELSE\n'
                || _recon.guard_drift_indent_sql(v_legs, v_setting, TRUE);
        ELSE  -- one leg: its two cases are branches of this IF
            v_body := v_body
                || format(E'    ELSIF (new.%1$I)::pg_catalog.text OPERATOR(pg_catalog.=) '
                          || E'(old.%1$I)::pg_catalog.text THEN\n', p_ledger.wallet_column)
                || _recon.guard_drift_indent_sql(v_upd, v_setting, v_many)
                || E'    ELSE\n'
                || _recon.guard_drift_indent_sql(v_mov, v_setting, TRUE);
        END IF;
        v_body := v_body || E'    END IF;\n';
    END IF;

    -- Not SECURITY DEFINER: it runs as whoever writes (a trigger needs no EXECUTE right), with
    -- every name and operator schema-qualified so that the writer's search_path changes
    -- nothing; what needs the toolkit's rights (a tick, a spill, the verdict) goes through the
    -- SECURITY DEFINER functions of _recon_guard. No SET clause: a pinned search_path would
    -- cost each call a GUC save and restore (docs/PERFORMANCE.md).
    RETURN format($fn$CREATE OR REPLACE FUNCTION %1$s()
RETURNS trigger
LANGUAGE plpgsql
AS $gen$
-- Generated by recon.enable_guard() for drift guard %2$s (ledger source %3$s): %4$s
-- Every name and operator is schema-qualified. recon.disable_guard() drops it.
DECLARE
    v_acc pg_catalog.text;%6$s
BEGIN
%5$s    RETURN NULL;
END;
$gen$$fn$,
        v_name, p_id, p_ledger.name,
        CASE p_side
            WHEN 'check' THEN format(E'judges, at commit, what\n-- the row triggers added up '
                                     || 'in the transaction-local setting %s.', v_setting)
            ELSE format(E'adds what this row\n-- changed (%s) to the transaction-local setting '
                        || '%s, judged at commit by _recon.tg_drift_%s_check().',
                        CASE p_side WHEN 'wallet' THEN 'stored balances' ELSE 'ledger effects' END,
                        v_setting, p_id) END,
        v_body,
        CASE WHEN p_side <> 'check'
             THEN E'\n    v_rec pg_catalog.text;\n    v_at pg_catalog.int4;' ELSE '' END);
END;
$_$;

--
-- Name: FUNCTION guard_drift_function(p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_function(p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[]) IS 'CREATE FUNCTION statement of a drift guard''s trigger function: p_side wallet (row trigger on the wallet table: stored changes) or ledger (row trigger on the ledger: ledger effects), static PL/pgSQL adding, per wallet and balance column, what the row changed to the transaction-local setting wallet_recon.drift_<guard id>; p_side check (deferred constraint trigger on the wallet table): judges that setting at commit. Not SECURITY DEFINER (they run as the writer, every name and operator schema-qualified); ticks, spills and verdicts go through _recon_guard.';

--
-- Name: guard_drift_indent_sql(text, text, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_indent_sql(p_code text, p_setting text, p_write boolean) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- p_code indented under its IF; with p_write (several records in the branch, none of
    -- which wrote the setting) the accumulator is written once at the end
    SELECT regexp_replace(rtrim(p_code, E'\n')
                          || CASE WHEN p_write THEN format(
                                 E'\nv_acc := pg_catalog.set_config(%L, v_acc, TRUE);', p_setting)
                                  ELSE '' END,
                          '^', '        ', 'gn') || E'\n';
$$;

--
-- Name: FUNCTION guard_drift_indent_sql(p_code text, p_setting text, p_write boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_indent_sql(p_code text, p_setting text, p_write boolean) IS 'Branch p_code of a drift guard''s generated trigger function, indented; with p_write it ends by writing the accumulator to setting p_setting.';

--
-- Name: guard_drift_key_expr_sql(oid, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_key_expr_sql(p_type oid, p_expr text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- The accumulator separates its records with ',': a key whose text can hold one (text,
    -- varchar, ...) has its '%' and ',' escaped; numbers and uuids are written as they are.
    SELECT CASE WHEN t.typcategory = 'N' OR t.oid = 'uuid'::regtype
                THEN format('(%s)::pg_catalog.text', p_expr)
                ELSE format('pg_catalog.replace(pg_catalog.replace((%s)::pg_catalog.text, '
                            '''%%'', ''%%25''), '','', ''%%2C'')', p_expr) END
    FROM pg_catalog.pg_type AS t
    WHERE t.oid = p_type;
$$;

--
-- Name: FUNCTION guard_drift_key_expr_sql(p_type oid, p_expr text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_key_expr_sql(p_type oid, p_expr text) IS 'SQL expression for a wallet key (SQL expression p_expr of type p_type) as a drift guard writes it, in its accumulator and in _recon.guard_spill: text, escaped (% as %25, comma as %2C) unless the type is a number or a uuid. _recon.guard_drift_records() reads it back.';

--
-- Name: guard_drift_key_sql(oid, name, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_key_sql(p_relid oid, p_column name, p_row text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT _recon.guard_drift_key_expr_sql(_recon.column_type(p_relid, p_column),
                                           format('%s.%I', p_row, p_column));
$$;

--
-- Name: FUNCTION guard_drift_key_sql(p_relid oid, p_column name, p_row text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_key_sql(p_relid oid, p_column name, p_row text) IS 'PL/pgSQL expression for the wallet key of trigger row p_row (new or old), as text: escaped (% as %25, comma as %2C) unless its type is a number or a uuid. _recon.guard_drift_records() reads it back.';

--
-- Name: guard_drift_leg_sql(_recon.ledger_source, text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_leg_sql(p_ledger _recon.ledger_source, p_column text, p_row text, p_side text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_effect text;
    v_filter text := _recon.guard_filter_sql(p_ledger, p_row);
BEGIN
    -- the entry's effect (one-sided), or the side's on a transfer row (the debit wallet by
    -- -amount, the credit wallet by +amount); zero for a row the filters do not keep
    IF p_side IS NULL THEN
        v_effect := _recon.guard_drift_effect_sql(p_ledger, p_column, p_row);
    ELSIF p_ledger.effects -> p_column ->> p_side IS NULL THEN
        RETURN '0';
    ELSE
        v_effect := _recon.guard_drift_times_sql(
            format('(%s.%I)::pg_catalog.numeric', p_row, p_ledger.amount_column),
            (p_ledger.effects -> p_column ->> p_side)::numeric);
    END IF;
    IF v_filter IS NULL THEN
        RETURN v_effect;
    END IF;
    RETURN format('CASE WHEN %s THEN %s ELSE 0 END', v_filter, v_effect);
END;
$$;

--
-- Name: FUNCTION guard_drift_leg_sql(p_ledger _recon.ledger_source, p_column text, p_row text, p_side text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_leg_sql(p_ledger _recon.ledger_source, p_column text, p_row text, p_side text) IS 'PL/pgSQL expression (over trigger row p_row, new or old) for one leg''s effect on one balance column, as numeric: the entry''s effect (p_side NULL, _recon.guard_drift_effect_sql), or a transfer row''s debit (-amount) or credit (+amount) leg; 0 when the row fails the entry filters. As _recon.legs_sql() and _recon.effect_sql() count it.';

--
-- Name: guard_drift_legs_function(integer, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_legs_function(p_id integer, p_branches jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_body text;
BEGIN
    -- p_branches: {"<side>_<operation>": {"table": the table, "ledger": true on the ledger,
    -- "changed": SQL expression (the statement wrote ledger rows; on a parent table, changed a
    -- column the legs read), "reborn": SQL expression (a DELETE on a parent table: a deleted
    -- key written back), "lock": [SELECT statements], "delta": INSERT statement or absent},
    -- one branch per trigger. Each first closes the statement's window
    -- (_recon.guard_drift_window); on a parent table it refuses what it cannot read
    -- (_recon.guard_parent_change) and reads nothing when no such column changed. Static SQL:
    -- PL/pgSQL prepares each statement once per session, as it does for the row trigger
    -- functions.
    SELECT string_agg(format(
               E'    %s tg_argv[1] OPERATOR(pg_catalog.=) %L THEN\n'
               || E'        v_changed := %s;\n'
               || E'        PERFORM _recon.guard_drift_window(%s, %L, %s, v_changed);\n'
               || E'%s%s        %s;\n',
               CASE WHEN b.o = 1 THEN 'IF' ELSE 'ELSIF' END, b.key, b.value ->> 'changed',
               p_id, b.value ->> 'table', COALESCE(b.value ->> 'ledger', 'false'),
               CASE WHEN (b.value ->> 'ledger')::boolean THEN '' ELSE format(
                   E'        IF NOT _recon.guard_parent_change(%s, %L, v_changed, %s) THEN\n'
                   || E'            RETURN NULL;\n        END IF;\n',
                   p_id, b.value ->> 'table', COALESCE(b.value ->> 'reborn', 'FALSE')) END,
               (SELECT COALESCE(string_agg(format(E'        PERFORM %s;\n',
                                                  substr(l, length('SELECT ') + 1)), ''), '')
                FROM jsonb_array_elements_text(b.value -> 'lock') AS l),
               COALESCE(b.value ->> 'delta', 'NULL')), '' ORDER BY b.o)
    INTO v_body
    FROM jsonb_each(p_branches) WITH ORDINALITY AS b (key, value, o);
    RETURN format($fn$CREATE OR REPLACE FUNCTION _recon.tg_drift_%1$s_legs()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
AS $gen$
-- Generated by recon.enable_guard() for drift guard %1$s: per statement, what it moved through
-- the ledger's legs relation (the rows it wrote, or the ledger rows under the parent rows it
-- wrote), per wallet and balance column, into _recon.guard_spill for the commit-time check.
-- SECURITY DEFINER: the writer needs no right on the toolkit's tables nor on the parent
-- tables. recon.disable_guard() drops it.
DECLARE
    v_rows pg_catalog.int8;
    v_changed pg_catalog.bool;
BEGIN
%2$s    END IF;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows OPERATOR(pg_catalog.>) 0 THEN
        PERFORM _recon.guard_drift_legs_mark(%1$s);
    END IF;
    RETURN NULL;
END;
$gen$$fn$, p_id, v_body);
END;
$_$;

--
-- Name: FUNCTION guard_drift_legs_function(p_id integer, p_branches jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_legs_function(p_id integer, p_branches jsonb) IS 'CREATE FUNCTION statement of the statement trigger function _recon.tg_drift_<id>_legs() of a drift guard reading the legs relation: one branch per trigger (its second argument, <side>_<operation>), each closing the statement''s window (_recon.guard_drift_window: overlapping statements refused), locking the parent rows of the ledger rows written, or refusing a parent change it cannot read (_recon.guard_parent_change), then adding what the statement moved (_recon.guard_drift_legs_sql) to _recon.guard_spill; _recon.guard_drift_legs_mark() when it added any. Static SQL, SECURITY DEFINER.';

--
-- Name: guard_drift_legs_mark(integer); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_legs_mark(p_guard integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', p_guard);
    v_acc text := COALESCE(current_setting(v_setting, TRUE), '');
BEGIN
    -- the accumulator says that part of the transaction is spilled ('!'), after the mark of a
    -- queued commit-time check ('*'), queued here when nothing else has
    IF v_acc = '' THEN
        v_acc := _recon_guard.drift_tick(p_guard);
    END IF;
    IF NOT (starts_with(v_acc, '!') OR starts_with(v_acc, '*!')) THEN
        v_acc := '*!' || substr(v_acc, 2);
    END IF;
    PERFORM set_config(v_setting, v_acc, TRUE);
END;
$$;

--
-- Name: FUNCTION guard_drift_legs_mark(p_guard integer); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_legs_mark(p_guard integer) IS 'Called by a drift guard''s statement trigger function (_recon.tg_drift_<id>_legs) after it added ledger effects to _recon.guard_spill: marks the transaction''s accumulator spilled (''!''), queueing the commit-time check (_recon_guard.drift_tick) when none is queued yet.';

--
-- Name: guard_drift_legs_sql(_recon.ledger_source, integer, text[], text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_legs_sql(p_ledger _recon.ledger_source, p_guard integer, p_cols text[], p_new text, p_old text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_legs _recon.ledger_source := _recon.legs(p_ledger);
    v_type oid := _recon.column_type(p_ledger.relid, COALESCE(p_ledger.wallet_column,
                                                              p_ledger.debit_wallet_column));
    v_values text;
BEGIN
    -- Each leg's effect on each balance column the guard watches (numbered as the wallet
    -- trigger numbers them), counted as the checks count it: NaN, which never cancels, for an
    -- amount that is NULL and for an entry no effect maps (a finding of the balance check).
    SELECT string_agg(format('(%s, l.recon_sign * CASE WHEN %s THEN %L::numeric '
                             || 'ELSE COALESCE((%s)::numeric, %L::numeric) END)',
                             c.o, _recon.unmapped_sql(v_legs, 'l'), 'NaN',
                             _recon.effect_sql(v_legs, c.col, 'l'), 'NaN'),
                      ', ' ORDER BY c.o)
    INTO v_values
    FROM unnest(p_cols) WITH ORDINALITY AS c (col, o);
    -- p_new: the legs as the statement left them; p_old: as they were before it (either NULL:
    -- none). Only the wallets whose sum moved are written; the commit-time check adds them to
    -- the stored changes (_recon.guard_drift_verdict).
    RETURN format(
        'INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col, stored, ledger) '
        || 'SELECT pg_current_xact_id(), %1$s, d.item, d.col, 0, d.amount '
        || 'FROM (SELECT %2$s AS item, c.col, sum(c.amount) AS amount '
        || 'FROM (%3$s) AS l CROSS JOIN LATERAL (VALUES %4$s) AS c (col, amount) '
        || 'WHERE l.wallet IS NOT NULL GROUP BY 1, 2) AS d '
        || 'WHERE d.amount IS DISTINCT FROM 0 '
        || 'ON CONFLICT (txid, guard_id, item, col) DO UPDATE SET ledger = s.ledger + excluded.ledger',
        p_guard, _recon.guard_drift_key_expr_sql(v_type, 'l.wallet'),
        concat_ws(' UNION ALL ',
                  'SELECT 1 AS recon_sign, n.* FROM ' || p_new || ' AS n',
                  'SELECT -1 AS recon_sign, o.* FROM ' || p_old || ' AS o'),
        v_values);
END;
$_$;

--
-- Name: FUNCTION guard_drift_legs_sql(p_ledger _recon.ledger_source, p_guard integer, p_cols text[], p_new text, p_old text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_legs_sql(p_ledger _recon.ledger_source, p_guard integer, p_cols text[], p_new text, p_old text) IS 'SQL a drift guard''s statement trigger runs (_recon.tg_drift_<id>_legs): the legs of p_new (the ledger''s legs relation as the statement left them, a _recon.legs_query() subquery) minus those of p_old (as they were), summed per wallet and balance column p_cols[i], added as ledger effects to _recon.guard_spill for the commit-time check. NaN for a NULL amount or an unmapped entry. Used for ledgers whose effects a row alone does not give: keyed on several columns, or reading parent rows.';

--
-- Name: guard_drift_nan_sql(text[], boolean, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_nan_sql(p_nums text[], p_nullable boolean, p_nan boolean) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- NULL (when the column may hold it) or NaN (when its type has it) in any of the numeric
    -- expressions p_nums; NULL when neither can happen, so that no test is generated
    SELECT NULLIF(concat_ws(' OR ',
        (SELECT string_agg(format('%s IS NULL', n), ' OR ') FROM unnest(p_nums) AS n
         WHERE p_nullable),
        (SELECT string_agg(format('%s OPERATOR(pg_catalog.=) %L', n, 'NaN'), ' OR ')
         FROM unnest(p_nums) AS n WHERE p_nan)), '');
$$;

--
-- Name: FUNCTION guard_drift_nan_sql(p_nums text[], p_nullable boolean, p_nan boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_nan_sql(p_nums text[], p_nullable boolean, p_nan boolean) IS 'SQL condition (for a drift guard''s generated code) true when one of the numeric expressions p_nums is NULL (if p_nullable) or NaN (if p_nan): such an amount is written NaN and never cancels. NULL when no test is needed.';

--
-- Name: guard_drift_nullable(oid, name); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_nullable(p_relid oid, p_column name) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- NOT NULL (a primary key's columns are) rules NULL out; so does nothing else
    SELECT NOT COALESCE((SELECT a.attnotnull FROM pg_catalog.pg_attribute AS a
                         WHERE a.attrelid = p_relid AND a.attname = p_column
                           AND NOT a.attisdropped), FALSE);
$$;

--
-- Name: FUNCTION guard_drift_nullable(p_relid oid, p_column name); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_nullable(p_relid oid, p_column name) IS 'False when column p_column of table p_relid is NOT NULL: a drift guard''s generated code then has no NULL test for it.';

--
-- Name: guard_drift_record_sql(integer, integer, text, text, text, text, text, boolean, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_record_sql(p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text, p_nan text, p_write boolean, p_first text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', p_guard);
    v_open text := CASE WHEN p_write THEN format('pg_catalog.set_config(%L, ', v_setting)
                        ELSE '' END;
    v_close text := CASE WHEN p_write THEN ', TRUE)' ELSE '' END;
BEGIN
    -- The accumulator v_acc is '*' (a commit-time check is queued), then '!' if part of it was
    -- moved to _recon.guard_spill, then records ',<key>:<column>=<amount><s|l>,': a stored
    -- change (s) or a ledger effect (l) of the balance column numbered <column>. A new record
    -- removes the record of the other kind with the same key, column and amount, so that a
    -- transaction whose balances and entries agree leaves nothing but '*' (checked at commit
    -- without a query); otherwise it is appended. An amount of zero (p_skip) adds nothing;
    -- NULL and NaN (p_nan) are appended, written NaN, and never cancel.
    --
    -- PL/pgSQL prepares each expression it evaluates once per transaction, at a cost that
    -- grows with the expression: the common paths (cancel, append) evaluate few and small
    -- ones, the rare ones (the first record, a spill) sit in a branch of their own.
    RETURN format(
        E'v_rec := \',\' OPERATOR(pg_catalog.||) %1$s OPERATOR(pg_catalog.||) %2$L '
        || E'OPERATOR(pg_catalog.||) %3$s;\n'
        || E'v_at := %4$s;\n'
        || E'IF v_at OPERATOR(pg_catalog.>) 0 THEN\n'
        || E'    v_acc := %5$spg_catalog.overlay(v_acc, \'\', v_at, '
        || E'pg_catalog.length(v_rec) OPERATOR(pg_catalog.+) 2)%6$s;\n'
        || E'%7$s\n'
        || E'    v_acc := %5$sCASE WHEN v_acc OPERATOR(pg_catalog.=) \'\' THEN %8$s '
        || E'OPERATOR(pg_catalog.||) v_rec OPERATOR(pg_catalog.||) %9$L\n'
        || E'        WHEN pg_catalog.octet_length(v_acc) OPERATOR(pg_catalog.>) 8192 THEN '
        || E'_recon_guard.drift_spill(%10$s, v_acc OPERATOR(pg_catalog.||) v_rec '
        || E'OPERATOR(pg_catalog.||) %9$L)\n'
        || E'        ELSE v_acc OPERATOR(pg_catalog.||) v_rec OPERATOR(pg_catalog.||) %9$L '
        || E'END%6$s;\n'
        || E'END IF;',
        p_key, format(':%s=', p_col),
        CASE WHEN p_nan IS NULL THEN format('(%s)::pg_catalog.text', p_num)
             ELSE format('COALESCE((%s)::pg_catalog.text, %L)', p_num, 'NaN') END,
        CASE WHEN p_skip IS NULL AND p_nan IS NULL
             THEN format('pg_catalog.strpos(v_acc, v_rec OPERATOR(pg_catalog.||) %L)',
                         CASE p_kind WHEN 's' THEN 'l,' ELSE 's,' END)
             ELSE format(E'CASE%s%s\n    ELSE pg_catalog.strpos(v_acc, v_rec '
                         || 'OPERATOR(pg_catalog.||) %s) END',
                         COALESCE(' WHEN ' || p_skip || ' THEN -1', ''),
                         COALESCE(E'\n    WHEN ' || p_nan || ' THEN 0', ''),
                         quote_literal(CASE p_kind WHEN 's' THEN 'l,' ELSE 's,' END)) END,
        v_open, v_close,
        CASE WHEN p_skip IS NULL THEN 'ELSE' ELSE 'ELSIF v_at OPERATOR(pg_catalog.=) 0 THEN' END,
        -- an empty accumulator: no check known to be queued. A row of the table with the
        -- constraint trigger queued its own ('*'); a row of the other table queues one
        -- (_recon_guard.drift_tick): _recon.guard_drift_function() says which
        p_first,
        p_kind || ',', p_guard);
END;
$_$;

--
-- Name: FUNCTION guard_drift_record_sql(p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text, p_nan text, p_write boolean, p_first text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_record_sql(p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text, p_nan text, p_write boolean, p_first text) IS 'Generated PL/pgSQL (for a drift guard''s row trigger function) adding amount p_num (an SQL expression) of kind p_kind (s: stored change, l: ledger effect) for balance column number p_col to the accumulator v_acc under key p_key: it cancels the matching record of the other kind, or is appended (moved to _recon.guard_spill past 8 kB; into an empty accumulator after p_first, the SQL of the mark of a queued check). Nothing when condition p_skip holds; never cancels when p_nan holds (NULL, NaN). With p_write the result is written to the setting.';

--
-- Name: guard_drift_records(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_records(p_acc text) RETURNS TABLE(item text, col integer, stored numeric, ledger numeric)
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- ',<key>:<column>=<amount><s|l>,' records (_recon.guard_drift_record_sql; guards enabled
    -- before migration 0008 write ',<key>:<column><s|l><amount>,'): the key is everything before the last
    -- ':' that a column number follows, its '%' and ',' unescaped; NaNs and NaNl are NaN. The
    -- marks '*' (check queued) and '!' (spilled) are not records.
    SELECT replace(replace(x.m[1], '%2C', ','), '%25', '%'), x.m[2]::integer,
           CASE x.m[3] WHEN 's' THEN x.m[4]::numeric ELSE 0 END,
           CASE x.m[3] WHEN 'l' THEN x.m[4]::numeric ELSE 0 END
    FROM string_to_table(p_acc, ',') AS r (rec)
    CROSS JOIN LATERAL (
        SELECT COALESCE(
            (SELECT ARRAY[n[1], n[2], n[4], CASE WHEN n[3] LIKE 'NaN%' THEN 'NaN' ELSE n[3] END]
             FROM regexp_match(r.rec, '^(.*):([0-9]+)=(.*)([sl])$') AS n WHERE n IS NOT NULL),
            regexp_match(r.rec, '^(.*):([0-9]+)([sl])(.*)$')) AS m
    ) AS x
    WHERE x.m IS NOT NULL;
$_$;

--
-- Name: FUNCTION guard_drift_records(p_acc text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_records(p_acc text) IS 'The records of a drift guard''s accumulator (wallet_recon.drift_<guard id>), one row each: wallet key, balance column number, stored change, ledger effect (one of the two is 0).';

--
-- Name: guard_drift_restore(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_restore(p_saved jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard text;
    v_state jsonb;
BEGIN
    -- The drift guards' row triggers added the repair's own writes to their accumulators: the
    -- repair verified those writes itself (and audited them), so each accumulator goes back to
    -- what the transaction had written before the repair. Its commit-time checks stay queued.
    FOR v_guard, v_state IN SELECT e.key, e.value FROM jsonb_each(p_saved) AS e LOOP
        PERFORM set_config(format('wallet_recon.drift_%s', v_guard), v_state ->> 'acc', TRUE);
        DELETE FROM _recon.guard_spill AS s
        WHERE s.txid = pg_current_xact_id() AND s.guard_id = v_guard::integer;
        INSERT INTO _recon.guard_spill (txid, guard_id, item, col, stored, ledger)
        SELECT pg_current_xact_id(), v_guard::integer, r.item, r.col, r.stored, r.ledger
        FROM jsonb_to_recordset(v_state -> 'spill')
            AS r (item text, col integer, stored numeric, ledger numeric);
    END LOOP;
END;
$$;

--
-- Name: FUNCTION guard_drift_restore(p_saved jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_restore(p_saved jsonb) IS 'Puts back every drift guard''s accumulator as _recon.guard_drift_save() took it, once an audited repair has written: the guards judge the rest of the transaction at commit, not the repair''s own writes.';

--
-- Name: guard_drift_save(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_save() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Per drift guard: its accumulator (the transaction-local setting) and what a large
    -- transaction moved to _recon.guard_spill. _recon.guard_drift_restore() puts it back once
    -- the repair has written, so that the guards judge at commit what the transaction wrote
    -- before and after the repair, never the repair's own writes (which it verifies itself).
    SELECT COALESCE(jsonb_object_agg(g.id, jsonb_build_object(
               'acc', COALESCE(current_setting(format('wallet_recon.drift_%s', g.id), TRUE), ''),
               'spill', (SELECT COALESCE(jsonb_agg(to_jsonb(s) - 'txid' - 'guard_id'), '[]')
                         FROM _recon.guard_spill AS s
                         WHERE s.txid = pg_current_xact_id() AND s.guard_id = g.id))),
                    '{}')
    FROM _recon.guard AS g
    WHERE g.kind = 'drift';
$$;

--
-- Name: FUNCTION guard_drift_save(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_save() IS 'Every drift guard''s accumulator for the current transaction (setting and spilled rows), as jsonb, taken by an audited repair (recon.fix, recon.reverse_fix, recon.backfill) before it writes; _recon.guard_drift_restore() puts it back after.';

--
-- Name: guard_drift_spill(integer, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_spill(p_guard integer, p_acc text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col, stored, ledger)
    SELECT pg_current_xact_id(), p_guard, r.item, r.col, sum(r.stored), sum(r.ledger)
    FROM _recon.guard_drift_records(p_acc) AS r
    GROUP BY r.item, r.col
    ON CONFLICT (txid, guard_id, item, col) DO UPDATE
    SET stored = s.stored + excluded.stored, ledger = s.ledger + excluded.ledger;
$$;

--
-- Name: FUNCTION guard_drift_spill(p_guard integer, p_acc text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_spill(p_guard integer, p_acc text) IS 'Called by a drift guard''s row trigger function when its transaction-local accumulator grew past 8 kB: adds its records, summed per wallet and column, to _recon.guard_spill (which the commit-time check reads with the rest), so that a transaction of any size costs the same per row. Inside the user''s transaction: a rollback, to a savepoint too, takes it back.';

--
-- Name: guard_drift_times_sql(text, numeric); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_times_sql(p_amount text, p_times numeric) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE p_times
        WHEN 1 THEN p_amount
        WHEN -1 THEN format('(OPERATOR(pg_catalog.-) %s)', p_amount)
        ELSE format('(%s OPERATOR(pg_catalog.*) %s::pg_catalog.numeric)', p_amount,
                    quote_literal(p_times))
    END;
$$;

--
-- Name: FUNCTION guard_drift_times_sql(p_amount text, p_times numeric); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_times_sql(p_amount text, p_times numeric) IS 'p_amount (an SQL expression) times p_times, with a schema-qualified operator: the amount as it is for 1, negated for -1.';

--
-- Name: guard_drift_trim_sql(text, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_trim_sql(p_num text, p_exact boolean) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN p_exact THEN p_num ELSE format('pg_catalog.trim_scale(%s)', p_num) END;
$$;

--
-- Name: FUNCTION guard_drift_trim_sql(p_num text, p_exact boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_trim_sql(p_num text, p_exact boolean) IS 'The numeric SQL expression p_num as is when the drift guard''s amounts print alike, else with trailing zeros trimmed (5.50 as 5.5), so that equal amounts have equal text.';

--
-- Name: guard_drift_verdict(integer, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_verdict(p_guard integer, p_acc text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard _recon.guard;
    v_col text;
    r record;
BEGIN
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
    IF NOT FOUND THEN
        RETURN;  -- disabled meanwhile
    END IF;
    -- what is left in the accumulator, with what a large transaction moved to
    -- _recon.guard_spill (then the accumulator starts with '*!', or '!' for a guard enabled
    -- before migration 0008)
    FOR r IN
        SELECT x.item, x.col, sum(x.stored) AS stored, sum(x.ledger) AS ledger
        FROM (SELECT d.item, d.col, d.stored, d.ledger
              FROM _recon.guard_drift_records(p_acc) AS d
              UNION ALL
              SELECT s.item, s.col, s.stored, s.ledger
              FROM _recon.guard_spill AS s
              WHERE (starts_with(p_acc, '!') OR starts_with(p_acc, '*!')) AND s.txid = pg_current_xact_id()
                AND s.guard_id = p_guard) AS x
        GROUP BY x.item, x.col
        HAVING sum(x.stored) = 'NaN' OR sum(x.ledger) = 'NaN'
            OR abs(sum(x.stored) - sum(x.ledger)) > v_guard.tolerance
        ORDER BY x.item, x.col
    LOOP
        v_col := v_guard.compiled -> 'sql' -> 'columns' ->> (r.col - 1);
        PERFORM _recon.guard_violation(
            v_guard, r.item,
            format('wallet %s: %s moved by %s, its ledger entries by %s', r.item, v_col,
                   r.stored, r.ledger),
            jsonb_build_object('wallet', r.item, 'column', v_col, 'stored_change', r.stored,
                               'ledger_change', r.ledger, 'difference', r.stored - r.ledger));
    END LOOP;
    IF starts_with(p_acc, '!') OR starts_with(p_acc, '*!') THEN
        DELETE FROM _recon.guard_spill AS s
        WHERE s.txid = pg_current_xact_id() AND s.guard_id = p_guard;
    END IF;
END;
$$;

--
-- Name: FUNCTION guard_drift_verdict(p_guard integer, p_acc text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_verdict(p_guard integer, p_acc text) IS 'What a drift guard''s commit-time check does when its accumulator p_acc is not empty: for each wallet and balance column left in it (and in _recon.guard_spill for a large transaction), the stored change against the ledger effects, with the guard''s tolerance; a violation blocks (RC401) or warns (_recon.guard_violation). Empties _recon.guard_spill for the transaction.';

--
-- Name: guard_drift_window(integer, text, boolean, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_drift_window(p_guard integer, p_table text, p_ledger boolean, p_counts boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_setting text := format('wallet_recon.drift_%s_stmt', p_guard);
    -- "open,mixed,ledger,parent,reported", as _recon.tg_guard_drift_begin() counts them
    v_state text[] := string_to_array(
        COALESCE(NULLIF(current_setting(v_setting, TRUE), ''), '0,0,0,0,0'), ',');
    v_open integer := greatest(v_state[1]::integer - 1, 0);
    v_ledger integer := v_state[3]::integer + CASE WHEN p_ledger AND p_counts THEN 1 ELSE 0 END;
    v_parent integer := v_state[4]::integer
                        + CASE WHEN NOT p_ledger AND p_counts THEN 1 ELSE 0 END;
    v_reported text := v_state[5];
    v_guard _recon.guard;
BEGIN
    -- Each statement trigger adds what its own table's rows changed, reading the other tables
    -- as they are when it fires. Statements one after another telescope exactly. Statements
    -- that overlap (a BEFORE trigger fired while another was open: a data-modifying WITH, or
    -- a trigger of the user's writing one table from a statement on another) do not: each
    -- reads the other's rows as they are at the end, so a ledger row written under a parent
    -- row changed in the same window is counted twice (and a deleted one not at all). When
    -- such a window holds a parent statement that changed a column the legs read (p_counts on
    -- a parent table) and another that changed legs (ledger rows written, or another parent
    -- change), the guard cannot prove the balances: it refuses (RC401) or warns, once.
    IF v_state[2] = '1' AND v_parent >= 1 AND (v_ledger >= 1 OR v_parent >= 2)
       AND v_reported = '0' AND NOT _recon.in_audited_fix() THEN
        v_reported := '1';
        SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
        IF FOUND THEN
            PERFORM _recon.guard_violation(
                v_guard, NULL,
                format('one statement changed columns the legs of %s read in a parent table '
                       || 'and wrote %s (through a data-modifying WITH, or a trigger writing '
                       || 'one table from a statement on the other, last %s): the guard reads '
                       || 'both as the statement left them and cannot tell their changes '
                       || 'apart, so it cannot prove the balances',
                       v_guard.target, CASE WHEN v_ledger >= 1 THEN 'its ledger rows'
                                            ELSE 'another parent table' END, p_table),
                jsonb_build_object(
                    'table', p_table,
                    'hint', 'Write the parent rows and the ledger rows in separate statements '
                            || '(a trigger that writes one from the other: an AFTER ... FOR '
                            || 'EACH STATEMENT trigger named after recon_guard_*, or the '
                            || 'application); docs/GUARDS.md "Ledger shapes".'));
        END IF;
    END IF;
    PERFORM set_config(v_setting, CASE WHEN v_open = 0 THEN '0,0,0,0,0'
                                       ELSE concat_ws(',', v_open, v_state[2], v_ledger, v_parent,
                                                      v_reported) END, TRUE);
END;
$$;

--
-- Name: FUNCTION guard_drift_window(p_guard integer, p_table text, p_ledger boolean, p_counts boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_drift_window(p_guard integer, p_table text, p_ledger boolean, p_counts boolean) IS 'Called first by a drift guard''s AFTER statement trigger reading the legs (_recon.tg_drift_<id>_legs) on the ledger (p_ledger; p_counts: it wrote rows) or a parent table p_table (p_counts: it changed a column the legs read): closes the statement that _recon.tg_guard_drift_begin opened. In a window of overlapping statements (a data-modifying WITH, a trigger''s statement) that changed a parent table''s legs and the ledger''s or another parent''s, each statement trigger reads the others'' rows as they ended, so the sum is not the change: the guard blocks (RC401, with a HINT) or warns, once per window.';

--
-- Name: guard_filter_sql(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_filter_sql(p_ledger _recon.ledger_source, p_row text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- The same filters as _recon.legs_sql() applies, over the trigger row p_row (new or old):
    -- an operator of the column's type (looked up in the catalog, pg_catalog's otherwise),
    -- "in" as = ANY, "not in" as <> ALL (both NULL for a NULL column, as IN is), values as
    -- literals cast to the column's type by its qualified name. NULL without filters.
    SELECT string_agg(CASE
        WHEN f ->> 'op' = 'is null' THEN format('(%s.%I) IS NULL', p_row, f ->> 'column')
        WHEN f ->> 'op' = 'is not null' THEN format('(%s.%I) IS NOT NULL', p_row, f ->> 'column')
        ELSE format('(%s.%I) OPERATOR(%s.%s) %s', p_row, f ->> 'column', o.nspname,
                    CASE f ->> 'op' WHEN 'in' THEN '=' WHEN 'not in' THEN '<>' ELSE f ->> 'op' END,
                    CASE WHEN f ->> 'op' IN ('in', 'not in')
                         THEN format('%s (ARRAY[%s])',
                                     CASE f ->> 'op' WHEN 'in' THEN 'ANY' ELSE 'ALL' END,
                                     (SELECT string_agg(format('%L::%I.%I', v, t.nspname,
                                                               t.typname), ', ')
                                      FROM jsonb_array_elements_text(f -> 'values') AS v))
                         ELSE format('%L::%I.%I', f -> 'values' ->> 0, t.nspname, t.typname)
                    END)
    END, ' AND ' ORDER BY u.i)
    FROM jsonb_array_elements(p_ledger.filters) WITH ORDINALITY AS u (f, i)
    CROSS JOIN LATERAL (
        SELECT ty.oid, ty.typname, n.nspname
        FROM pg_catalog.pg_type AS ty
        JOIN pg_catalog.pg_namespace AS n ON n.oid = ty.typnamespace
        WHERE ty.oid = _recon.column_type(p_ledger.relid, (f ->> 'column')::name)
    ) AS t
    CROSS JOIN LATERAL (
        SELECT COALESCE((
            SELECT n.nspname FROM pg_catalog.pg_operator AS op
            JOIN pg_catalog.pg_namespace AS n ON n.oid = op.oprnamespace
            WHERE op.oprname = CASE f ->> 'op' WHEN 'in' THEN '=' WHEN 'not in' THEN '<>'
                                              ELSE f ->> 'op' END
              AND op.oprleft = t.oid AND op.oprright = t.oid
            ORDER BY n.nspname <> 'pg_catalog' LIMIT 1), 'pg_catalog') AS nspname
    ) AS o;
$$;

--
-- Name: FUNCTION guard_filter_sql(p_ledger _recon.ledger_source, p_row text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_filter_sql(p_ledger _recon.ledger_source, p_row text) IS 'SQL condition over trigger row p_row (new or old) true when the row passes the ledger source''s entry filters, as _recon.legs_sql() applies them (NULL: the row does not count), with every operator and type schema-qualified. NULL when the source has no filters.';

--
-- Name: guard_over_views(jsonb, jsonb, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_over_views(p_compiled jsonb, p_sides jsonb, p_kind text, p_target text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_side record;
    v_rows_new text;
    v_rows_old text;
    v_one text;
    v_base oid;
    v_out jsonb := p_compiled;
    v_sql jsonb;
BEGIN
    -- p_sides: {"ledger": oid, "wallet": oid, "source": oid}, the relation behind each side's
    -- compiled SQL (its keys start with the side) and generated functions (they end with it)
    FOR v_side IN SELECT s.key AS side, (s.value #>> '{}')::oid AS relid
                  FROM jsonb_each(p_sides) AS s
                  WHERE jsonb_typeof(s.value) <> 'null' LOOP
        CONTINUE WHEN (SELECT c.relkind FROM pg_class AS c WHERE c.oid = v_side.relid)
                      IN ('r', 'p');
        v_base := _recon.base_table(v_side.relid);
        -- 1. Only a simple view over one table can be guarded: its WHERE is applied to the
        --    base table's rows. Anything else is refused now, not at the first write.
        v_rows_new := _recon.view_rows_sql(v_side.relid, 'recon_new');
        IF v_base IS NULL OR v_rows_new IS NULL THEN
            PERFORM _recon.fail(
                'RC406', format('a %s guard on %s cannot guard %s', p_kind, p_target,
                                v_side.relid::regclass),
                format('%s is a %s, not a simple view over one table: a guard''s triggers go '
                       || 'on the tables whose rows it shows, and this one''s rows cannot be '
                       || 'traced to one table (a join, an aggregate, DISTINCT, a subquery, '
                       || 'a UNION...).', v_side.relid::regclass,
                       CASE (SELECT c.relkind FROM pg_class AS c WHERE c.oid = v_side.relid)
                            WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                            ELSE 'foreign table' END),
                'Register the source on its base table, or on a view '
                || 'selecting from one table with a WHERE; docs/GUARDS.md "Views".');
        END IF;
        v_rows_old := _recon.view_rows_sql(v_side.relid, 'recon_old');
        v_one := _recon.view_rows_sql(v_side.relid, '(SELECT ($1).*)');
        -- 2. The statements over transition tables read them through the view's query.
        SELECT COALESCE(jsonb_object_agg(e.key, CASE
                   WHEN e.key NOT LIKE v_side.side || '\_%' THEN e.value
                   WHEN jsonb_typeof(e.value) = 'array' THEN (
                       SELECT jsonb_agg(to_jsonb(regexp_replace(regexp_replace(
                           x.value #>> '{}', '\mrecon_new\M', '(' || v_rows_new || ')', 'g'),
                           '\mrecon_old\M', '(' || v_rows_old || ')', 'g'))
                           ORDER BY x.ordinality)
                       FROM jsonb_array_elements(e.value) WITH ORDINALITY AS x)
                   ELSE to_jsonb(regexp_replace(regexp_replace(
                       e.value #>> '{}', '\mrecon_new\M', '(' || v_rows_new || ')', 'g'),
                       '\mrecon_old\M', '(' || v_rows_old || ')', 'g')) END), '{}')
        INTO v_sql FROM jsonb_each(v_out -> 'sql') AS e;
        v_out := jsonb_set(v_out, '{sql}', v_sql);
        -- 3. Generated row trigger functions read the view's row (NULL when it hides it).
        v_out := jsonb_set(v_out, '{functions}', (
            SELECT COALESCE(jsonb_agg(CASE WHEN f.value ->> 'function'
                                               LIKE '%\_' || v_side.side || '()'
                THEN jsonb_set(f.value, '{definition}', to_jsonb(
                    _recon.guard_row_over_view(f.value ->> 'definition', v_one)))
                ELSE f.value END ORDER BY f.ordinality), '[]')
            FROM jsonb_array_elements(v_out -> 'functions') WITH ORDINALITY AS f));
        -- 4. The triggers go on the base table.
        v_out := jsonb_set(v_out, '{triggers}', (
            SELECT COALESCE(jsonb_agg(CASE WHEN t.value ->> 'table' = v_side.relid::regclass::text
                THEN t.value || jsonb_build_object(
                    'table', v_base::regclass::text,
                    'view', v_side.relid::regclass::text,
                    'definition', replace(t.value ->> 'definition',
                                          ' ON ' || v_side.relid::regclass::text || ' ',
                                          ' ON ' || v_base::regclass::text || ' '))
                ELSE t.value END ORDER BY t.ordinality), '[]')
            FROM jsonb_array_elements(v_out -> 'triggers') WITH ORDINALITY AS t));
    END LOOP;
    RETURN v_out;
END;
$_$;

--
-- Name: FUNCTION guard_over_views(p_compiled jsonb, p_sides jsonb, p_kind text, p_target text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_over_views(p_compiled jsonb, p_sides jsonb, p_kind text, p_target text) IS 'Moves a compiled guard (_recon.guard_compile) from the simple views among its sources to their base tables, applying each view''s own query (its WHERE, its column names): statement SQL reads the transition tables through it, generated row functions read each row through it (_recon.guard_row_over_view), triggers go on the base table. Any other view, a materialized view or a foreign table: RC406 naming it, nothing created.';

--
-- Name: guard_parent_change(integer, text, boolean, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_parent_change(p_guard integer, p_table text, p_changed boolean, p_reborn boolean) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard _recon.guard;
    v_level text := current_setting('transaction_isolation');
BEGIN
    -- A guard reads the legs of the ledger rows under the parent rows a statement wrote, over
    -- the table before and after it. Two statements it cannot read that way:
    -- * an UPDATE changing a column the legs read (p_changed) at REPEATABLE READ or
    --   SERIALIZABLE: at READ COMMITTED each of the guard's queries sees every committed ledger
    --   row (a writer that read the parent row locked it FOR SHARE, so this statement waited
    --   for it); an older snapshot does not see a ledger row committed under those parents
    --   since the transaction began, and the change of its legs cannot be proven either way;
    -- * a DELETE whose key is there again at the end of the statement (p_reborn: a trigger
    --   wrote it back, which a NO ACTION foreign key lets through): the ledger rows under it
    --   then read another row, which no UPDATE trigger saw.
    -- Both are refused (the guard's code, RC401 or RC403) or warned about. An audited
    -- recon.fix() is let through.
    IF (p_reborn OR (p_changed AND v_level <> 'read committed'))
       AND NOT _recon.in_audited_fix() THEN
        SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = p_guard;
        IF FOUND THEN
            PERFORM _recon.guard_violation(
                v_guard, NULL,
                CASE WHEN p_reborn THEN format(
                    'a statement deleted rows of %s that were written again with the same key '
                    || 'in it: the ledger rows of %s under them read other rows now, which the '
                    || 'guard cannot read as one change; update the row instead', p_table,
                    v_guard.target)
                ELSE format(
                    'a statement on %s changed columns the legs of %s read, at isolation level '
                    || '%s: ledger rows committed under those rows since the transaction began '
                    || 'are not visible to it, so the guard cannot prove the balances; write '
                    || 'them at READ COMMITTED', p_table, v_guard.target, v_level) END,
                CASE WHEN p_reborn THEN jsonb_build_object('table', p_table)
                     ELSE jsonb_build_object('table', p_table, 'isolation', v_level) END);
        END IF;
    END IF;
    RETURN p_changed;  -- warned: the statement goes on, read as far as it can be
END;
$$;

--
-- Name: FUNCTION guard_parent_change(p_guard integer, p_table text, p_changed boolean, p_reborn boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_parent_change(p_guard integer, p_table text, p_changed boolean, p_reborn boolean) IS 'Called by a guard''s statement trigger on a parent table of its ledger: a statement the guard cannot read as one change of the legs under the rows it wrote is blocked (the guard''s code, RC401 or RC403) or warned about: an UPDATE that changed a column the legs read (p_changed, _recon.guard_parent_columns) at REPEATABLE READ or SERIALIZABLE (ledger rows committed under those rows since the snapshot are invisible), and a DELETE whose key is there again at the end of the statement (p_reborn). Returns p_changed: nothing to read when no such column changed.';

--
-- Name: guard_parent_columns(_recon.ledger_source, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_parent_columns(p_ledger _recon.ledger_source, p_aliases jsonb) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- for each alias on the table: its key, the columns filters and effect keys name as
    -- "<alias>.<column>", and those another alias goes through ("via": "<alias>.<column>")
    SELECT COALESCE(array_agg(DISTINCT c.col ORDER BY c.col), ARRAY[]::text[])
    FROM jsonb_each(p_aliases) AS a
    CROSS JOIN LATERAL (
        SELECT a.value ->> 'key'
        UNION ALL
        SELECT substr(r.ref, length(a.key) + 2)
        FROM (SELECT f ->> 'column' AS ref FROM jsonb_array_elements(p_ledger.filters) AS f
              UNION ALL
              SELECT k FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k
              UNION ALL
              SELECT p.value ->> 'via' FROM jsonb_each(p_ledger.parents) AS p) AS r
        WHERE starts_with(r.ref, a.key || '.')
    ) AS c (col);
$$;

--
-- Name: FUNCTION guard_parent_columns(p_ledger _recon.ledger_source, p_aliases jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_parent_columns(p_ledger _recon.ledger_source, p_aliases jsonb) IS 'The columns of a parent table (its aliases p_aliases) that the ledger source''s legs read: each alias''s key, the columns its filters and effect keys name, and those another alias is reached through. A write that changes none of them changes no leg.';

--
-- Name: guard_parent_lock_sql(_recon.ledger_source, text, text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_parent_lock_sql(p_ledger _recon.ledger_source, p_rows text, p_from text[] DEFAULT NULL::text[]) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_alias text;
    v_from text;
    v_step text;
    v_start text;
    v_locks text[] := ARRAY[]::text[];
BEGIN
    -- Per alias, its chain of parents up to the rows written (inner joins: a row without that
    -- parent has nothing to lock), the alias's row locked FOR SHARE. The rows written are the
    -- ledger's (p_from NULL: they stand for r), or a parent table's (p_from: its aliases; then
    -- only the aliases reached through one of them, a transaction's parent transaction, on
    -- that table too or not). A
    -- transaction that changes such a row (FOR NO KEY UPDATE) then waits for the writer's
    -- commit, and its own parent trigger reads what the writer wrote; or the writer waits for
    -- it and reads the parent row as it committed it (READ COMMITTED), or fails to serialize.
    FOR v_alias IN SELECT e.key FROM jsonb_each(p_ledger.parents) AS e
                   ORDER BY (e.value ->> 'order')::integer LOOP
        v_from := '';
        v_start := NULL;
        v_step := v_alias;
        WHILE v_step IS NOT NULL LOOP
            v_from := format(' JOIN %1$s AS %2$I ON %2$I.%3$I = %4$s',
                             (p_ledger.parents -> v_step ->> 'relid')::oid::regclass,
                             'p_' || v_step, p_ledger.parents -> v_step ->> 'key',
                             _recon.ledger_ref_sql(p_ledger.parents -> v_step ->> 'via'))
                      || v_from;
            v_step := CASE WHEN strpos(p_ledger.parents -> v_step ->> 'via', '.') > 0
                           THEN split_part(p_ledger.parents -> v_step ->> 'via', '.', 1) END;
            IF v_step = ANY (p_from) THEN
                v_start := v_step;
                EXIT;
            END IF;
        END LOOP;
        IF p_from IS NULL THEN
            v_locks := v_locks || format('SELECT 1 FROM %s AS r%s FOR SHARE OF %I', p_rows,
                                         v_from, 'p_' || v_alias);
        ELSIF v_start IS NOT NULL THEN
            v_locks := v_locks || format('SELECT 1 FROM %s AS %I%s FOR SHARE OF %I', p_rows,
                                         'p_' || v_start, v_from, 'p_' || v_alias);
        END IF;
    END LOOP;
    RETURN v_locks;
END;
$_$;

--
-- Name: FUNCTION guard_parent_lock_sql(p_ledger _recon.ledger_source, p_rows text, p_from text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_parent_lock_sql(p_ledger _recon.ledger_source, p_rows text, p_from text[]) IS 'SELECT statements (one per parent alias, through its chain) locking FOR SHARE, for a guard''s statement trigger, the parent rows of the rows p_rows (recon_new or recon_old) a statement wrote: of the ledger (p_from NULL), or of a parent table whose aliases are p_from (then the rows of the aliases reached through them). A parent row changed by a concurrent transaction is then either seen as it committed it, or waits for this one, whose rows its own trigger then reads. Empty when there is nothing to lock.';

--
-- Name: guard_parent_sql(_recon.ledger_source, oid, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_parent_sql(p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
    -- For an UPDATE: "where": the ledger rows reached through a row the statement wrote, by
    -- any alias on the table, whatever that row was before and after (a condition over the
    -- legs query's r and p_<alias>; it holds alike over the table before and after the
    -- statement). "swap": each alias's table as it was before the statement: its rows but
    -- those the statement wrote (matched on the alias's unique key), and the old versions of
    -- those it replaced. "changed": whether it changed a column the legs read. For a DELETE:
    -- "reborn", whether a deleted key is there again (an INSERT or a DELETE changes no leg
    -- otherwise: the foreign key each parent needs keeps ledger rows from pointing to a parent
    -- row that does not exist). All read the transition tables recon_new / recon_old.
    -- (PL/pgSQL: an SQL body would be checked before _recon.ledger_ref_sql exists.)
    RETURN (SELECT jsonb_build_object(
        'reborn', format('EXISTS (SELECT FROM recon_old AS o JOIN %1$s AS t ON t.%2$I = o.%2$I)',
                         p_relid::regclass, min(a.value ->> 'key')),
        'changed', format(
            'EXISTS (SELECT FROM recon_old AS o LEFT JOIN recon_new AS n ON n.%1$I = o.%1$I '
            || 'WHERE n.%1$I IS NULL OR (%2$s) IS DISTINCT FROM (%3$s))',
            min(a.value ->> 'key'),
            (SELECT string_agg(format('o.%I', c), ', ') || ', NULL'
             FROM unnest(_recon.guard_parent_columns(p_ledger, p_aliases)) AS c),
            (SELECT string_agg(format('n.%I', c), ', ') || ', NULL'
             FROM unnest(_recon.guard_parent_columns(p_ledger, p_aliases)) AS c)),
        'where', string_agg(format('%s IN (SELECT n.%I FROM recon_new AS n UNION ALL '
                                   || 'SELECT o.%I FROM recon_old AS o)',
                                   _recon.ledger_ref_sql(a.value ->> 'via'),
                                   a.value ->> 'key', a.value ->> 'key'),
                            ' OR ' ORDER BY a.key),
        'swap', jsonb_object_agg(a.key, format(
            '(SELECT t.* FROM %1$s AS t WHERE NOT EXISTS (SELECT FROM recon_new AS n '
            || 'WHERE n.%2$I = t.%2$I) UNION ALL SELECT o.* FROM recon_old AS o)',
            p_relid::regclass, a.value ->> 'key')))
        FROM jsonb_each(p_aliases) AS a);
END;
$_$;

--
-- Name: FUNCTION guard_parent_sql(p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_parent_sql(p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb) IS 'For a guard''s statement triggers on parent table p_relid (p_aliases: the ledger source''s parents on that table), over the transition tables recon_new / recon_old: for an UPDATE {"where": condition selecting the ledger rows under the rows the statement wrote, "swap": {alias: the table as it was before the statement}, for _recon.legs_query(); "changed": condition true when it changed a column the legs read}, and for a DELETE "reborn": true when a deleted key is in the table again.';

--
-- Name: guard_parent_tables(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_parent_tables(p_ledger _recon.ledger_source) RETURNS TABLE(relid oid, n bigint, aliases jsonb)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- numbered in the order the legs relation joins them (their first alias's), each with its
    -- aliases {alias: {"relid", "key", "via", "order"}}: one table may serve several (a
    -- transaction and its parent transaction)
    SELECT (p.value ->> 'relid')::oid,
           row_number() OVER (ORDER BY min((p.value ->> 'order')::integer)),
           jsonb_object_agg(p.key, p.value)
    FROM jsonb_each(p_ledger.parents) AS p
    GROUP BY (p.value ->> 'relid')::oid
    ORDER BY 2;
$$;

--
-- Name: FUNCTION guard_parent_tables(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_parent_tables(p_ledger _recon.ledger_source) IS 'The tables a ledger source''s parents live in, numbered n (the guards name their triggers and compiled SQL parent<n>_...), each with its aliases {alias: spec}. None without parents.';

--
-- Name: guard_recheck_parents(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_recheck_parents() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard _recon.guard;
    v_ledger _recon.ledger_source;
    v_message text;
    v_detail text;
BEGIN
    -- A drift or double-entry guard on a ledger with parent rows was enabled only with a
    -- foreign key on each link (_recon.parent_foreign_key) and no inheritance child under a
    -- parent table (_recon.require_guard_shape). An ALTER TABLE that takes either away (DROP
    -- CONSTRAINT, DISABLE TRIGGER ALL, ALTER CONSTRAINT ... DEFERRABLE, NOT ENFORCED, INHERIT,
    -- a new child of the ledger without the key) would leave the guard reading parent rows it
    -- can no longer trust: the statement is refused, naming the guard to disable first.
    FOR v_guard IN SELECT g.* FROM _recon.guard AS g
                   WHERE g.kind IN ('drift', 'double_entry') ORDER BY g.id LOOP
        SELECT l.* INTO v_ledger FROM _recon.ledger_source AS l WHERE l.name = v_guard.target;
        CONTINUE WHEN NOT FOUND OR v_ledger.parents IS NULL;
        BEGIN
            PERFORM _recon.require_guard_shape(v_ledger, v_guard.kind);
        EXCEPTION WHEN SQLSTATE 'RC406' THEN
            GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
            PERFORM _recon.fail(
                'RC409',
                format('this statement would leave the %s guard on %s unable to read the parent '
                       || 'rows of its ledger: %s', v_guard.kind, v_guard.target,
                       regexp_replace(v_message, '^.*?: ', '')),
                v_detail,
                format('Disable the guard first: SELECT recon.disable_guard(%L, %L); and enable '
                       || 'it again once the foreign key is back (docs/GUARDS.md "Ledger '
                       || 'shapes").', v_guard.kind, v_guard.target));
        END;
    END LOOP;
END;
$$;

--
-- Name: FUNCTION guard_recheck_parents(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_recheck_parents() IS 'Called by the event trigger recon_guard_children after every CREATE TABLE and ALTER TABLE: fails with RC409 (the HINT names recon.disable_guard) when an enabled drift or double-entry guard on a ledger with parent rows no longer has what _recon.require_guard_shape asked of it when it was enabled (a foreign key on each link, enforced, its triggers enabled, validated, not deferrable, NO ACTION; no inheritance child under a parent table), so the DDL is rolled back.';

--
-- Name: guard_row_over_view(text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_row_over_view(p_definition text, p_row_sql text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- The function sits on the base table. It reads NEW and OLD through the view's own query
    -- (p_row_sql over "(SELECT ($1).*)"): a row the view hides counts as absent, so an UPDATE
    -- that makes a row visible counts as an INSERT, one that hides it as a DELETE, and a row
    -- hidden before and after as nothing; the names are the view's columns.
    SELECT replace(replace(
        regexp_replace(regexp_replace(replace(p_definition,
            'tg_op OPERATOR(pg_catalog.=)', 'v_op OPERATOR(pg_catalog.=)'),
            '\mnew\.', 'v_new.', 'g'), '\mold\.', 'v_old.', 'g'),
        E'\nDECLARE\n', E'\nDECLARE\n    v_new pg_catalog.record;\n    v_old pg_catalog.record;\n'
            || E'    v_op pg_catalog.text;\n    v_shown pg_catalog.int8 := 0;\n'
            || E'    v_shown_old pg_catalog.int8 := 0;\n'),
        E'\nBEGIN\n', E'\nBEGIN\n'
            || E'    IF tg_op OPERATOR(pg_catalog.<>) \'DELETE\' THEN\n'
            || format(E'        EXECUTE %L INTO v_new USING new;\n', p_row_sql)
            || E'        GET DIAGNOSTICS v_shown = ROW_COUNT;\n'
            || E'    END IF;\n'
            || E'    IF tg_op OPERATOR(pg_catalog.<>) \'INSERT\' THEN\n'
            || format(E'        EXECUTE %L INTO v_old USING old;\n', p_row_sql)
            || E'        GET DIAGNOSTICS v_shown_old = ROW_COUNT;\n'
            || E'    END IF;\n'
            || E'    v_op := CASE WHEN v_shown OPERATOR(pg_catalog.>) 0 '
            || E'AND v_shown_old OPERATOR(pg_catalog.>) 0 THEN \'UPDATE\'\n'
            || E'                 WHEN v_shown OPERATOR(pg_catalog.>) 0 THEN \'INSERT\'\n'
            || E'                 WHEN v_shown_old OPERATOR(pg_catalog.>) 0 THEN \'DELETE\' END;\n'
            || E'    IF v_op IS NULL THEN\n        RETURN NULL;  -- the view shows neither\n'
            || E'    END IF;\n');
$_$;

--
-- Name: FUNCTION guard_row_over_view(p_definition text, p_row_sql text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_row_over_view(p_definition text, p_row_sql text) IS 'Rewrites a drift guard''s generated row trigger function (_recon.guard_drift_function) for a source that is a simple view: on the base table it reads NEW and OLD through the view''s query p_row_sql (_recon.view_rows_sql over "(SELECT ($1).*)"), so only rows the view shows count, by the view''s column names; a row entering or leaving the view counts as an INSERT or DELETE.';

--
-- Name: guard_statement_triggers(oid, integer, text, text[], text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_statement_triggers(p_relid oid, p_guard integer, p_side text, p_ops text[] DEFAULT ARRAY['insert'::text, 'update'::text, 'delete'::text], p_function text DEFAULT '_recon.tg_guard_statement'::text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT jsonb_agg(jsonb_build_object(
        'table', p_relid::regclass::text,
        'trigger', format('recon_guard_%s_%s_%s', p_guard, p_side, o),
        'definition', format(
            'AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT '
            || 'EXECUTE FUNCTION %s(%L, %L)',
            upper(o), p_relid::regclass,
            CASE o WHEN 'insert' THEN 'NEW TABLE AS recon_new'
                   WHEN 'delete' THEN 'OLD TABLE AS recon_old'
                   ELSE 'OLD TABLE AS recon_old NEW TABLE AS recon_new' END,
            p_function, p_guard, p_side || '_' || o)
    ) ORDER BY array_position(p_ops, o))
    FROM unnest(p_ops) AS o;
$$;

--
-- Name: FUNCTION guard_statement_triggers(p_relid oid, p_guard integer, p_side text, p_ops text[], p_function text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_statement_triggers(p_relid oid, p_guard integer, p_side text, p_ops text[], p_function text) IS 'The AFTER ... FOR EACH STATEMENT triggers (with transition tables recon_new / recon_old) a guard puts on one table, one per operation: [{"table", "trigger", "definition"}]. Each runs trigger function p_function (_recon.tg_guard_statement, or a drift guard''s _recon.tg_drift_<id>_legs) with the guard id and <p_side>_<operation>.';

--
-- Name: guard_tree_triggers(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_tree_triggers(p_triggers jsonb) RETURNS jsonb
    LANGUAGE sql STABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Rows written into a partition or an inheritance child are the parent's rows too, so the
    -- child needs the parent's guard triggers:
    -- * a partitioned table's row triggers are cloned by PostgreSQL to every partition, now and
    --   later: they stay on the parent alone;
    -- * statement triggers (transition tables, TRUNCATE) fire only for the table a statement
    --   names, and an inheritance parent's row triggers never fire for its children's rows:
    --   both go on every table of the tree, under the same name.
    -- A statement naming the parent fires only the parent's statement triggers, whose
    -- transition tables hold the children's rows too: nothing is counted twice.
    WITH RECURSIVE t AS (
        SELECT x.value AS trg, x.ordinality AS o, (x.value ->> 'table')::regclass::oid AS root
        FROM jsonb_array_elements(p_triggers) WITH ORDINALITY AS x
        WHERE to_regclass(x.value ->> 'table') IS NOT NULL  -- a table dropped since
    ), tree AS (
        SELECT t.root, t.root AS relid, 0 AS depth FROM t
        UNION
        SELECT tree.root, i.inhrelid, tree.depth + 1
        FROM tree JOIN pg_catalog.pg_inherits AS i ON i.inhparent = tree.relid
    )
    SELECT COALESCE(jsonb_agg(
        CASE WHEN m.relid = t.root THEN t.trg
             ELSE t.trg || jsonb_build_object(
                 'table', m.relid::regclass::text,
                 'root', t.root::regclass::text,
                 'definition', replace(t.trg ->> 'definition',
                                       ' ON ' || t.root::regclass::text || ' ',
                                       ' ON ' || m.relid::regclass::text || ' ')) END
        ORDER BY m.depth, t.o, m.relid), '[]')
    FROM t
    JOIN tree AS m ON m.root = t.root
    WHERE m.relid = t.root
       OR NOT (t.trg ->> 'definition' LIKE '% FOR EACH ROW %'
               AND (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = t.root) = 'p');
$$;

--
-- Name: FUNCTION guard_tree_triggers(p_triggers jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_tree_triggers(p_triggers jsonb) IS 'A guard''s triggers ([{"table", "trigger", "definition", ...}] on the tables it names) spread over those tables'' partition and inheritance trees: statement triggers on every table of the tree, row triggers on every inheritance child (a partitioned table''s row triggers are cloned to its partitions by PostgreSQL). A child''s entry carries "root". Tables created or attached later get theirs from the event trigger recon_guard_children.';

--
-- Name: guard; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.guard (
    id integer NOT NULL,
    kind text NOT NULL,
    target text NOT NULL,
    mode text NOT NULL,
    tolerance numeric DEFAULT 0 NOT NULL,
    options jsonb NOT NULL,
    compiled jsonb NOT NULL,
    triggers jsonb NOT NULL,
    enabled_at timestamp with time zone DEFAULT now() NOT NULL,
    enabled_by name DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT guard_kind CHECK ((kind = ANY (ARRAY['drift'::text, 'derived'::text, 'append_only'::text, 'double_entry'::text, 'lifecycle'::text]))),
    CONSTRAINT guard_mode CHECK ((mode = ANY (ARRAY['warn'::text, 'block'::text]))),
    CONSTRAINT guard_tolerance CHECK (((tolerance >= (0)::numeric) AND (tolerance < 'Infinity'::numeric)))
);

--
-- Name: TABLE guard; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.guard IS 'Write-path guards enabled on the user''s tables (recon.enable_guard), and exactly the triggers each created (recon.disable_guard drops those and nothing else).';

--
-- Name: COLUMN guard.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.id IS 'Guard number (its triggers carry it as their argument).';

--
-- Name: COLUMN guard.kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.kind IS 'drift, derived, append_only, double_entry or lifecycle (docs/GUARDS.md).';

--
-- Name: COLUMN guard.target; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.target IS 'The ledger source (drift, append_only, double_entry) or check (derived, lifecycle) guarded.';

--
-- Name: COLUMN guard.mode; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.mode IS 'warn (warning, alert, NOTIFY) or block (fail at commit).';

--
-- Name: COLUMN guard.tolerance; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.tolerance IS 'Differences up to this are rounding.';

--
-- Name: COLUMN guard.options; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.options IS 'The options it was enabled with.';

--
-- Name: COLUMN guard.compiled; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.compiled IS 'The SQL its triggers run, compiled once.';

--
-- Name: COLUMN guard.triggers; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.triggers IS 'The triggers it created: [{"table": ..., "trigger": ...}].';

--
-- Name: COLUMN guard.enabled_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.enabled_at IS 'When it was enabled.';

--
-- Name: COLUMN guard.enabled_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard.enabled_by IS 'Who enabled it (session_user).';

--
-- Name: guard_violation(_recon.guard, text, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.guard_violation(p_guard _recon.guard, p_item text, p_message text, p_details jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_alert bigint;
    v_details jsonb := p_details || jsonb_build_object(
        'guard', p_guard.kind, 'target', p_guard.target, 'mode', p_guard.mode, 'item', p_item,
        'txid', pg_current_xact_id()::text);
BEGIN
    IF p_guard.mode = 'block' THEN
        RAISE EXCEPTION USING
            ERRCODE = CASE p_guard.kind WHEN 'drift' THEN 'RC401' WHEN 'derived' THEN 'RC402'
                                        WHEN 'double_entry' THEN 'RC403'
                                        WHEN 'lifecycle' THEN 'RC404' ELSE 'RC405' END,
            MESSAGE = format('%s guard on %s: %s', p_guard.kind, p_guard.target, p_message),
            DETAIL = v_details::text,
            HINT = CASE WHEN p_details ? 'hint' THEN p_details ->> 'hint'
                        WHEN p_guard.kind = 'append_only' THEN
                'Ledger entries are never changed: post an adjustment (recon.fix), or take the '
                || 'audited escape recon.allow_ledger_change(ledger, ticket, reason) first.'
                ELSE 'The transaction was rolled back: nothing it wrote was kept. Write balances '
                || 'and ledger entries together; docs/GUARDS.md.' END;
    END IF;
    RAISE WARNING USING
        MESSAGE = format('%s guard on %s: %s', p_guard.kind, p_guard.target, p_message),
        DETAIL = v_details::text,
        HINT = 'Recorded in recon.open_alerts and sent on channel wallet_recon_alert.';
    INSERT INTO _recon.alert (kind, severity, guard_id, source, item, message, details)
    VALUES (p_guard.kind, 'HIGH', p_guard.id, p_guard.target, p_item, p_message, v_details)
    RETURNING id INTO v_alert;
    PERFORM pg_notify('wallet_recon_alert', (v_details || jsonb_build_object(
        'alert_id', v_alert, 'kind', p_guard.kind, 'severity', 'HIGH',
        'message', p_message))::text);
END;
$$;

--
-- Name: FUNCTION guard_violation(p_guard _recon.guard, p_item text, p_message text, p_details jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.guard_violation(p_guard _recon.guard, p_item text, p_message text, p_details jsonb) IS 'What a guard does about a bad write (its callers let an audited recon.fix() through): in block mode, raises its SQLSTATE (RC401 drift, RC402 derived, RC403 double_entry, RC404 lifecycle, RC405 append_only) so the transaction fails; in warn mode, RAISE WARNING, a row in _recon.alert and pg_notify on channel wallet_recon_alert with a JSON payload (docs/GUARDS.md). A "hint" in p_details is the error''s HINT.';

--
-- Name: in_audited_fix(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.in_audited_fix() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- The setting alone proves nothing (anyone can set it), nor does a fix this transaction
    -- applied earlier: the fix it names must be writing right now (_recon.fix_active holds a
    -- row from the start to the end of its apply step).
    SELECT EXISTS (
        SELECT FROM _recon.fix_active AS a
        WHERE a.txid = pg_current_xact_id()
          AND a.fix_id = NULLIF(current_setting('wallet_recon.fix_id', TRUE), '')::bigint
    );
$$;

--
-- Name: FUNCTION in_audited_fix(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.in_audited_fix() IS 'True inside the transaction of an applied recon.fix(), recon.reverse_fix() or recon.backfill(), while it writes: wallet_recon.fix_id names the fix _recon.fix_active holds for this transaction. The guards let those audited writes through; nothing else can claim to be one, not even a write after the fix in the same transaction.';

--
-- Name: in_effect_sql(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.in_effect_sql(p_ledger _recon.ledger_source, p_alias text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- p_ledger as registered; p_alias names a row of its legs relation, and the reversals are
    -- looked for there too (a reversal the filters drop cancels nothing).
    v_raw _recon.ledger_source := p_ledger;
    v_table text := _recon.legs_sql(p_ledger);
    v_recorded text := 'EXISTS (SELECT FROM _recon.reversal AS rc WHERE rc.ledger_source = %L '
        || 'AND rc.entry = (%s)::text AND NOT EXISTS (SELECT FROM _recon.repair AS ru '
        || 'WHERE ru.reverses = rc.repair_id))';
    v_hand text := 'EXISTS (SELECT FROM %1$s AS %2$I WHERE %2$I.%3$I::text LIKE ''REV-%%'' '
        || 'AND %2$I.%3$I::text = ''REV-'' || (%4$s)::text AND %2$I.%5$I = %6$I.%5$I AND %7$s%8$s)';
BEGIN
    p_ledger := _recon.legs(v_raw);
    IF p_ledger.reference_column IS NULL OR _recon.entry_name_sql(p_ledger, p_alias) = 'NULL::text'
    THEN
        RETURN 'TRUE';
    END IF;
    -- 1. Recorded by the toolkit (_recon.reversal): counts while its repair stands, i.e. until
    --    recon.reverse_fix() reverses that repair.
    IF (SELECT t.typcategory <> 'S' FROM pg_catalog.pg_type AS t
        WHERE t.oid = _recon.column_type(v_raw.relid, v_raw.reference_column)) THEN
        RETURN 'NOT ' || format(v_recorded, p_ledger.name, _recon.entry_name_sql(p_ledger, p_alias));
    END IF;
    -- 2. Posted by hand: an entry referenced REV-<its id> on the same wallet with exactly the
    --    opposite effect (only a reference column of a string type can hold it). The LIKE keeps
    --    the hashed side of the anti-join to the few REV- entries. A hand reversal that is
    --    itself reversed (recorded, or by hand in turn) cancels nothing; two levels, not a
    --    recursion: a reversal of a reversal of a reversal is for a human.
    RETURN 'NOT ' || format(v_recorded, p_ledger.name, _recon.entry_name_sql(p_ledger, p_alias))
        || ' AND NOT ' || format(
            v_hand, v_table, 'rv', p_ledger.reference_column,
            _recon.entry_name_sql(p_ledger, p_alias), p_ledger.wallet_column, p_alias,
            _recon.opposite_effect_sql(p_ledger, 'rv', p_alias),
            ' AND NOT ' || format(v_recorded, p_ledger.name, _recon.entry_name_sql(p_ledger, 'rv'))
            || ' AND NOT ' || format(
                v_hand, v_table, 'rr', p_ledger.reference_column,
                _recon.entry_name_sql(p_ledger, 'rv'), p_ledger.wallet_column, 'rv',
                _recon.opposite_effect_sql(p_ledger, 'rr', 'rv'), ''));
END;
$_$;

--
-- Name: FUNCTION in_effect_sql(p_ledger _recon.ledger_source, p_alias text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.in_effect_sql(p_ledger _recon.ledger_source, p_alias text) IS 'An SQL condition on the ledger entry aliased p_alias: no standing reversal cancels it. A reversal counts if the toolkit recorded it (_recon.reversal: recon.fix() reversing a duplicate, recon.reverse_fix() compensating a repair''s entries) and its repair was not reversed since, or if it is an entry referenced REV-<its id> on the same wallet with exactly the opposite effect (_recon.opposite_effect_sql) that is not itself reversed. A 0.00 REV-, one on another wallet or of another amount cancels nothing. Duplicate and orphan checks count only entries in effect. TRUE for a ledger without reference or entry id. docs/REPAIRS.md.';

--
-- Name: in_list_sql(oid, text, text, jsonb, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.in_list_sql(p_relid oid, p_alias text, p_column text, p_values jsonb, p_role text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_list text;
BEGIN
    PERFORM _recon.resolve_column(p_relid, p_column, p_role);
    IF p_values IS NULL OR jsonb_typeof(p_values) <> 'array' OR jsonb_array_length(p_values) = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(p_values) AS v
                   WHERE jsonb_typeof(v) NOT IN ('string', 'number')) THEN
        PERFORM _recon.fail(
            'RC106', format('values for %s must be a non-empty JSON array', p_role),
            format('Got %s.', COALESCE(p_values::text, 'NULL')),
            'E.g. ["live", "draft"].'
        );
    END IF;
    SELECT string_agg(quote_literal(v), ', ') INTO v_list FROM jsonb_array_elements_text(p_values) AS v;
    RETURN format('%I.%I::text IN (%s)', p_alias, p_column, v_list);
END;
$$;

--
-- Name: FUNCTION in_list_sql(p_relid oid, p_alias text, p_column text, p_values jsonb, p_role text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.in_list_sql(p_relid oid, p_alias text, p_column text, p_values jsonb, p_role text) IS 'An SQL condition "column IN (values)" over a checked column, values quoted as literals; RC102 for an unknown column, RC106 for a bad list.';

--
-- Name: incremental_blocker(_recon.check_def); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_blocker(p_check _recon.check_def) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_unsupported text := _recon.incremental_unsupported(v_ledger);
    v_wm _recon.watermark;
    v_changes bigint;
    v_ledger_now jsonb;
    v_wallet_now jsonb;
BEGIN
    IF v_unsupported IS NOT NULL THEN
        RETURN v_unsupported;
    END IF;
    IF jsonb_typeof(p_check.options -> 'ledger') = 'array' THEN
        RETURN 'the check sums several ledgers, each with its own ordering';
    END IF;
    SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = p_check.name;
    IF NOT FOUND THEN
        RETURN 'no watermark yet: a full run sets one';
    END IF;
    IF v_wm.compiled_md5 <> md5(p_check.compiled_sql) THEN
        RETURN 'the check changed since the watermark';
    END IF;
    -- every table under each source, as a set: a partition or child attached, detached,
    -- truncated or rewritten, or the view redefined, changes it (docs/INCREMENTAL.md)
    v_ledger_now := _recon.incremental_storage(v_ledger.relid);
    v_wallet_now := _recon.incremental_storage(v_wallet.relid);
    IF v_wm.ledger_storage IS NULL OR v_wm.wallet_storage IS NULL THEN
        RETURN 'the watermark predates storage signatures (0013): a full run sets one';
    END IF;
    IF v_wm.ledger_storage -> 'view' IS DISTINCT FROM v_ledger_now -> 'view' THEN
        RETURN 'the ledger view was redefined since the watermark';
    END IF;
    IF (SELECT array_agg(l -> 0 ORDER BY l -> 0)
        FROM jsonb_array_elements(v_wm.ledger_storage -> 'leaves') AS l)
       IS DISTINCT FROM (SELECT array_agg(l -> 0 ORDER BY l -> 0)
                         FROM jsonb_array_elements(v_ledger_now -> 'leaves') AS l)
       OR (SELECT array_agg(l -> 0 ORDER BY l -> 0)
           FROM jsonb_array_elements(v_wm.wallet_storage -> 'leaves') AS l)
          IS DISTINCT FROM (SELECT array_agg(l -> 0 ORDER BY l -> 0)
                            FROM jsonb_array_elements(v_wallet_now -> 'leaves') AS l) THEN
        RETURN 'a partition or child table was created, attached or detached since the watermark';
    END IF;
    IF v_wm.ledger_storage -> 'leaves' <> v_ledger_now -> 'leaves'
       OR v_wm.wallet_storage -> 'leaves' <> v_wallet_now -> 'leaves' THEN
        RETURN 'a table was truncated or rewritten since the watermark';
    END IF;
    -- the parent tables' rows are followed by xmin, not by statistics: only their storage
    IF v_ledger.parents IS NOT NULL
       AND v_wm.parents_storage IS DISTINCT FROM _recon.incremental_parents_storage(v_ledger) THEN
        RETURN 'a parent table was truncated or rewritten, or a partition of it created, attached '
               || 'or detached, since the watermark';
    END IF;
    v_changes := (v_ledger_now ->> 'updated')::bigint + (v_ledger_now ->> 'deleted')::bigint;
    IF v_changes > v_wm.ledger_changes THEN
        RETURN 'ledger entries were updated or deleted since the watermark';
    ELSIF v_changes < v_wm.ledger_changes THEN
        RETURN 'table statistics were reset since the watermark';
    END IF;
    IF (v_wallet_now ->> 'deleted')::bigint <> v_wm.wallet_deletes THEN
        RETURN 'wallets were deleted since the watermark (or statistics were reset)';
    END IF;
    IF v_wm.wallet_rows IS NULL THEN
        RETURN 'the watermark predates the per-wallet state of 0022: a full run sets one';
    END IF;
    -- O(1): the state's generation mark, unlogged like the state (a crash empties both)
    IF NOT EXISTS (SELECT FROM _recon.balance_state_mark AS g
                   WHERE g.check_name = p_check.name AND g.run_id = v_wm.run_id) THEN
        RETURN 'the per-wallet state was lost (a crash empties it)';
    END IF;
    IF pg_current_xact_id()::text::numeric - v_wm.snapshot_xmin::text::numeric > 1000000000 THEN
        RETURN 'the watermark is too many transactions old';
    END IF;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION incremental_blocker(p_check _recon.check_def); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_blocker(p_check _recon.check_def) IS 'NULL when a balance check may run incrementally, else the reason it must run in full: no integer ordering column, a view that is not simple, a wallet view, no or stale watermark, a partition or child table created, attached or detached, a table truncated or rewritten, the ledger view redefined, a parent table truncated, rewritten or repartitioned, ledger rows updated or deleted (statistics summed over every partition), wallets deleted, state lost, watermark too old.';

--
-- Name: incremental_moving_view(oid); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_moving_view(p_view oid) RETURNS boolean
    LANGUAGE sql STABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- A function or operator that is not IMMUTABLE (now(), a cast from timestamptz to date,
    -- a lookup) or a CURRENT_DATE-like value in the view's query: an entry can enter the view
    -- as time passes, below the watermark, without any write that statistics would count.
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_rewrite AS r
        CROSS JOIN LATERAL regexp_matches(r.ev_action::text, ':(?:funcid|opfuncid) (\d+)', 'g')
            AS m (f)
        JOIN pg_catalog.pg_proc AS p ON p.oid = m.f[1]::oid
        WHERE r.ev_class = p_view AND p.provolatile <> 'i'
    ) OR EXISTS (
        SELECT FROM pg_catalog.pg_rewrite AS r
        WHERE r.ev_class = p_view AND r.ev_action::text LIKE '%{SQLVALUEFUNCTION%'
    );
$$;

--
-- Name: FUNCTION incremental_moving_view(p_view oid); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_moving_view(p_view oid) IS 'TRUE when a view''s query calls a function or operator that is not IMMUTABLE (now(), a timestamptz cast) or reads CURRENT_DATE and the like: its rows can change with no write to any table, so incremental mode, which sees only writes, refuses it.';

--
-- Name: incremental_order(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_order(p_ledger _recon.ledger_source) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_root oid := COALESCE(_recon.base_table(p_ledger.relid), p_ledger.relid);
    v_leaf record;
    v_seq oid;
    v_seqs oid[] := ARRAY[]::oid[];
    v_s pg_sequence;
BEGIN
    -- A view's order_by must be the base table's own column of that name, read by the view.
    IF v_root <> p_ledger.relid AND NOT EXISTS (
        SELECT FROM pg_rewrite AS r
        JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            AND d.refclassid = 'pg_class'::regclass AND d.refobjid = v_root
        JOIN pg_attribute AS a ON a.attrelid = v_root AND a.attnum = d.refobjsubid
        WHERE r.ev_class = p_ledger.relid AND a.attname = p_ledger.order_column) THEN
        RETURN format('order_by: the view %s does not show its base table''s column %I as is: '
                      || 'no way to tell how its values are handed out',
                      p_ledger.relid::regclass, p_ledger.order_column);
    END IF;
    -- Every table that holds rows (each partition or inheritance child on its own: a writer can
    -- insert into one directly) must take the value from one identity sequence, GENERATED
    -- ALWAYS (a writer cannot supply a value without OVERRIDING SYSTEM VALUE), handed out in
    -- increasing order: INCREMENT > 0, NO CYCLE, CACHE 1 (a session's cache hands out low
    -- values long after higher ones were committed).
    FOR v_leaf IN
        WITH RECURSIVE tree AS (
            SELECT v_root AS relid
            UNION
            SELECT i.inhrelid FROM pg_inherits AS i JOIN tree AS t ON i.inhparent = t.relid
        )
        SELECT c.oid, c.relkind, a.attidentity, a.attnum
        FROM tree AS t
        JOIN pg_class AS c ON c.oid = t.relid
        LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = p_ledger.order_column
            AND NOT a.attisdropped
        WHERE c.relkind <> 'p' OR c.oid = v_root
        ORDER BY c.oid
    LOOP
        IF v_leaf.relkind = 'p' THEN
            CONTINUE;  -- the partitioned root holds no rows; its partitions are checked
        END IF;
        IF v_leaf.attidentity IS DISTINCT FROM 'a' THEN
            RETURN format('order_by: %s.%I is not GENERATED ALWAYS AS IDENTITY (%s): a writer '
                          || 'can supply a value below the last run''s bookmark unseen',
                          v_leaf.oid::regclass, p_ledger.order_column,
                          CASE WHEN v_leaf.attidentity = 'd' THEN 'it is BY DEFAULT'
                               WHEN EXISTS (SELECT FROM pg_attrdef AS d
                                            WHERE d.adrelid = v_leaf.oid
                                              AND d.adnum = v_leaf.attnum)
                                   THEN 'a column default, such as a sequence''s'
                               ELSE 'its values come from the writer' END);
        END IF;
        -- a partition sharing its parent's identity (PostgreSQL 17+) names no sequence itself
        v_seq := COALESCE(
            pg_get_serial_sequence(v_leaf.oid::regclass::text, p_ledger.order_column),
            pg_get_serial_sequence(v_root::regclass::text, p_ledger.order_column))::regclass;
        v_seqs := v_seqs || v_seq;
    END LOOP;
    IF cardinality(v_seqs) = 0 THEN
        RETURN 'order_by: no table holds the ledger''s rows';
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(v_seqs) AS x) > 1 THEN
        RETURN 'order_by: the ledger''s tables take their values from different sequences: '
               || 'their values interleave out of order';
    END IF;
    SELECT s.* INTO v_s FROM pg_sequence AS s WHERE s.seqrelid = v_seqs[1];
    IF v_s.seqcache > 1 THEN
        RETURN format('order_by: its sequence %s has CACHE %s: a session hands out values from '
                      || 'its cache long after higher ones were committed (CACHE 1 is needed)',
                      v_seqs[1]::regclass, v_s.seqcache);
    END IF;
    IF v_s.seqincrement < 0 OR v_s.seqcycle THEN
        RETURN format('order_by: its sequence %s %s: values are not handed out in increasing '
                      || 'order', v_seqs[1]::regclass,
                      CASE WHEN v_s.seqcycle THEN 'cycles' ELSE 'counts down' END);
    END IF;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION incremental_order(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_order(p_ledger _recon.ledger_source) IS 'NULL when a ledger''s order_by is handed out in increasing order by construction, else why not: every table holding its rows (each partition or inheritance child) must take the value from one identity sequence GENERATED ALWAYS, INCREMENT > 0, NO CYCLE, CACHE 1. A per-wallet counter, a value the writer supplies (a plain column, a sequence default, BY DEFAULT), a sequence with a cache or several sequences are refused: incremental mode then runs in full and says why (docs/INCREMENTAL.md, "Which order_by proves the bookmark").';

--
-- Name: incremental_parent_wallets_sql(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_parent_wallets_sql(p_ledger _recon.ledger_source, p_since text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_keys jsonb := '{}'::jsonb;
    v_alias text;
    v_spec jsonb;
    v_sql text;
    v_wallets text[] := ARRAY[]::text[];
BEGIN
    -- Per parent, from the last resolved to the first: the keys of its rows written (inserted
    -- or updated) since p_since, and of its rows that the rows of a parent reached from it
    -- point to when those are in that set (a grandparent changed: the transactions under it).
    -- Each set is an array built once (an InitPlan), so the planner looks each key up through
    -- the index that incremental_parents requires instead of joining whole tables.
    FOR v_alias, v_spec IN SELECT e.key, e.value FROM jsonb_each(p_ledger.parents) AS e
                           ORDER BY (e.value ->> 'order')::integer DESC LOOP
        v_sql := format('SELECT p.%1$I FROM %2$s AS p WHERE age(p.xmin) <= age(%3$s)',
                        v_spec ->> 'key', (v_spec ->> 'relid')::oid::regclass, p_since);
        SELECT v_sql || COALESCE(string_agg(format(
                   ' UNION ALL SELECT p.%1$I FROM %2$s AS p WHERE p.%3$I = ANY (ARRAY(%4$s))',
                   v_spec ->> 'key', (v_spec ->> 'relid')::oid::regclass,
                   substr(e.value ->> 'via', strpos(e.value ->> 'via', '.') + 1),
                   v_keys ->> e.key), '' ORDER BY e.key), '')
        INTO v_sql
        FROM jsonb_each(p_ledger.parents) AS e
        WHERE split_part(e.value ->> 'via', '.', 1) = v_alias AND strpos(e.value ->> 'via', '.') > 0;
        v_keys := v_keys || jsonb_build_object(v_alias, v_sql);
    END LOOP;
    -- The ledger rows that point to those keys, and the wallet of each of their legs.
    SELECT array_agg(format('SELECT r.%1$I FROM %2$s AS r WHERE r.%3$I = ANY (ARRAY(%4$s))',
                            w.col, p_ledger.relid::regclass, e.value ->> 'via',
                            v_keys ->> e.key) ORDER BY e.key, w.col)
    INTO v_wallets
    FROM jsonb_each(p_ledger.parents) AS e
    CROSS JOIN LATERAL (
        SELECT p_ledger.wallet_column AS col WHERE p_ledger.wallet_column IS NOT NULL
        UNION SELECT l.value::name FROM jsonb_each_text(p_ledger.leg_columns) AS l
    ) AS w
    WHERE strpos(e.value ->> 'via', '.') = 0;
    RETURN array_to_string(v_wallets, ' UNION ');
END;
$_$;

--
-- Name: FUNCTION incremental_parent_wallets_sql(p_ledger _recon.ledger_source, p_since text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_parent_wallets_sql(p_ledger _recon.ledger_source, p_since text) IS 'SQL returning the wallet key of every leg whose ledger row reaches, through its parents ("parents", chains of them included), a parent row with an xmin at or after p_since (an SQL expression of type xid, such as $3): the wallets whose entries a parent row written since then can have changed. Each link is an index lookup by the keys of the link above (_recon.incremental_parents requires the indexes and the foreign keys that make this complete).';

--
-- Name: incremental_parents(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_parents(p_ledger _recon.ledger_source) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_alias text;
    v_spec jsonb;
    v_table oid;
    v_kind "char";
    v_child oid;
    v_column name;
    v_leaf oid;
    v_att smallint;
    v_missing text;
BEGIN
    -- Each parent in resolution order: a changed parent row is found by its xmin; the entries
    -- under it by an index on the column that reaches it, link by link down to the ledger; and
    -- a foreign key on each link makes sure no parent row leaves a key behind unseen (a DELETE,
    -- or an UPDATE of the key, is refused, or cascades as a write to the rows under it).
    FOR v_alias, v_spec IN SELECT e.key, e.value FROM jsonb_each(p_ledger.parents) AS e
                           ORDER BY (e.value ->> 'order')::integer LOOP
        v_table := (v_spec ->> 'relid')::oid;
        SELECT c.relkind INTO v_kind FROM pg_catalog.pg_class AS c WHERE c.oid = v_table;
        IF v_kind NOT IN ('r', 'p') THEN
            RETURN format('parent %s: %s is a view, or a materialized or foreign table: its rows '
                          || 'have no xmin to tell which changed', v_alias, v_table::regclass);
        END IF;
        IF v_kind = 'r' AND EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
                                    WHERE i.inhparent = v_table) THEN
            RETURN format('parent %s: %s has inheritance children: its unique key and the foreign '
                          || 'keys to it hold in the parent table only', v_alias,
                          v_table::regclass);
        END IF;
        IF (_recon.incremental_storage(v_table) ->> 'foreign')::boolean THEN
            RETURN format('parent %s: a partition of %s is a foreign table', v_alias,
                          v_table::regclass);
        END IF;
        -- The rows that reach this parent: the ledger's, or another parent's ("alias.column").
        IF strpos(v_spec ->> 'via', '.') > 0 THEN
            v_child := (p_ledger.parents -> split_part(v_spec ->> 'via', '.', 1) ->> 'relid')::oid;
            v_column := substr(v_spec ->> 'via', strpos(v_spec ->> 'via', '.') + 1);
        ELSE
            v_child := p_ledger.relid;
            v_column := v_spec ->> 'via';
            IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = v_child)
               NOT IN ('r', 'p') THEN
                RETURN 'the ledger is a view and reads parent rows: the foreign keys and indexes '
                       || 'that show which entries a changed parent row reaches are looked up on '
                       || 'tables only';
            END IF;
        END IF;
        -- the foreign key on every table holding those rows (_recon.parent_foreign_key)
        v_missing := _recon.parent_foreign_key(p_ledger, v_alias, FALSE);
        IF v_missing IS NOT NULL THEN
            RETURN format('parent %s: no foreign key from %s (%s) to %s (%s): without one a '
                          || 'parent row can be deleted, or its key changed, under old '
                          || 'entries, unseen', v_alias, v_missing, v_column,
                          v_table::regclass, v_spec ->> 'key');
        END IF;
        -- and an index on each (an inheritance child inherits none)
        FOR v_leaf IN SELECT (l ->> 0)::oid
                      FROM jsonb_array_elements(_recon.incremental_storage(v_child) -> 'leaves')
                          AS l LOOP
            SELECT a.attnum INTO v_att FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = v_leaf AND a.attname = v_column AND NOT a.attisdropped;
            IF NOT EXISTS (
                SELECT FROM pg_catalog.pg_index AS i
                WHERE i.indrelid = v_leaf AND i.indkey[0] = v_att AND i.indisvalid
                  AND i.indisready AND i.indpred IS NULL
            ) THEN
                RETURN format('parent %s: no index on %s (%s) to find the rows under a changed '
                              || 'parent row without reading the whole table', v_alias,
                              v_leaf::regclass, v_column);
            END IF;
        END LOOP;
    END LOOP;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION incremental_parents(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_parents(p_ledger _recon.ledger_source) IS 'NULL when a ledger''s parent rows ("parents") can be followed incrementally, else why not: each parent must be a table or a partitioned table (its rows'' xmin tells which changed; no inheritance children, no foreign partition), and on every table holding the rows that reach it (the ledger''s partitions or children, or another parent''s) its "via" column needs an enforced foreign key to the parent''s key (so a parent row cannot be deleted, or its key changed, under old entries unseen) and an index leading with that column (to find those rows). A ledger that is a view and has parents: never. docs/INCREMENTAL.md.';

--
-- Name: incremental_parents_storage(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_parents_storage(p_ledger _recon.ledger_source) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- (plpgsql, not sql: _recon.incremental_storage is created after this file)
    RETURN (SELECT COALESCE(jsonb_object_agg(t.relid::text,
                                             _recon.incremental_storage(t.relid) -> 'leaves'),
                            '{}')
            FROM (SELECT DISTINCT (e.value ->> 'relid')::oid AS relid
                  FROM jsonb_each(p_ledger.parents) AS e) AS t);
END;
$$;

--
-- Name: FUNCTION incremental_parents_storage(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_parents_storage(p_ledger _recon.ledger_source) IS 'The leaves of every parent table a ledger reads: {"<table oid>": [[oid, relfilenode], ...]} (_recon.incremental_storage), {} without parents. Kept in the watermark: a parent table truncated, rewritten, or a partition attached or detached changes it and forces a full run.';

--
-- Name: incremental_storage(oid); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_storage(p_relid oid) RETURNS jsonb
    LANGUAGE sql STABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- every table under the source: a view's base table, then its partitions or inheritance
    -- children, recursively (pg_partition_tree does not follow inheritance)
    WITH RECURSIVE tree AS (
        SELECT COALESCE(_recon.base_table(p_relid), p_relid) AS relid
        UNION
        SELECT i.inhrelid FROM pg_catalog.pg_inherits AS i JOIN tree AS t ON i.inhparent = t.relid
    )
    SELECT jsonb_build_object(
        -- the tables that hold rows, with their storage: attached, detached, truncated,
        -- rewritten all change this
        'leaves', COALESCE(jsonb_agg(jsonb_build_array(c.oid, c.relfilenode) ORDER BY c.oid)
                           FILTER (WHERE c.relkind <> 'p'), '[]'),
        'view', (SELECT md5(pg_catalog.pg_get_viewdef(x.oid)) FROM pg_catalog.pg_class AS x
                 WHERE x.oid = p_relid AND x.relkind = 'v'),
        'updated', COALESCE(sum(pg_catalog.pg_stat_get_tuples_updated(c.oid)), 0),
        'deleted', COALESCE(sum(pg_catalog.pg_stat_get_tuples_deleted(c.oid)), 0),
        'foreign', COALESCE(bool_or(c.relkind NOT IN ('r', 'p')), FALSE))
    FROM tree AS t
    JOIN pg_catalog.pg_class AS c ON c.oid = t.relid;
$$;

--
-- Name: FUNCTION incremental_storage(p_relid oid); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_storage(p_relid oid) IS 'The storage under a ledger or wallet source, as incremental mode compares it: {"leaves": [[oid, relfilenode], ...] of every table holding its rows (itself, its partitions or inheritance children, recursively; a simple view''s base table''s), "view": md5 of a view''s definition, "updated"/"deleted": the leaves'' summed statistics, "foreign": a leaf without local storage}. docs/INCREMENTAL.md.';

--
-- Name: incremental_unsupported(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.incremental_unsupported(p_ledger _recon.ledger_source) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE
        WHEN p_ledger.order_column IS NULL
            OR _recon.column_type(p_ledger.relid, p_ledger.order_column)
               NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)
            THEN 'the ledger has no integer ordering column ("order_by")'
        WHEN (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = p_ledger.relid)
             NOT IN ('r', 'p') AND _recon.base_table(p_ledger.relid) IS NULL
            THEN 'the ledger is a view that is not a simple view over one table (a join, an '
                 || 'aggregate, a subquery...), or a materialized or foreign table: no storage '
                 || 'or statistics of its own to rely on'
        WHEN _recon.incremental_moving_view(p_ledger.relid)
            THEN 'the ledger view calls a function that is not IMMUTABLE (now(), ...): its '
                 || 'rows can change with no write to see'
        WHEN (SELECT c.relkind FROM pg_catalog.pg_class AS c, _recon.wallet_source AS w
              WHERE w.name = p_ledger.wallet_source AND c.oid = w.relid) NOT IN ('r', 'p')
            THEN 'the wallet source is a view (or a materialized or foreign table): its rows '
                 || 'have no xmin to tell which wallets changed'
        WHEN (_recon.incremental_storage(p_ledger.relid) ->> 'foreign')::boolean
            THEN 'a partition or child table of the ledger is a foreign table: no storage or '
                 || 'statistics to rely on'
        -- the bookmark holds only if no entry committed later can sort at or below it
        WHEN _recon.incremental_order(p_ledger) IS NOT NULL
            THEN _recon.incremental_order(p_ledger)
        -- a parent row written since the watermark is found by its xmin, the entries under it
        -- through indexes, and foreign keys show that nothing else can change them
        WHEN p_ledger.parents IS NOT NULL THEN _recon.incremental_parents(p_ledger)
    END;
$$;

--
-- Name: FUNCTION incremental_unsupported(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.incremental_unsupported(p_ledger _recon.ledger_source) IS 'NULL when a ledger and its wallets can run incrementally, else why not: incremental mode needs an integer "order_by" column (an identity or sequence), a ledger that is a table, a partitioned table, an inheritance parent or a simple view over one of them (_recon.base_table) calling only IMMUTABLE functions, without foreign partitions, and a wallet table (partitioned or not; a view has no xmin). A ledger with parents also needs what _recon.incremental_parents lists (foreign keys and indexes on each link, parent tables).';

--
-- Name: kind(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.kind(p_kind text) RETURNS _recon.check_kind
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_kind _recon.check_kind;
BEGIN
    SELECT k.* INTO v_kind FROM _recon.check_kind AS k WHERE k.kind = p_kind;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC106', format('unknown check kind %L', p_kind),
            format('Kinds: %s.', (SELECT string_agg(k.kind, ', ' ORDER BY k.kind)
                                  FROM _recon.check_kind AS k)),
            'docs/CHECKS.md describes each kind with an example; SELECT * FROM '
            || 'recon.kinds; lists them with their options.'
        );
    END IF;
    RETURN v_kind;
END;
$$;

--
-- Name: FUNCTION kind(p_kind text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.kind(p_kind text) IS 'The registered check kind of that name (_recon.check_kind); RC106 listing the kinds if none.';

--
-- Name: ledger(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger(p_name text) RETURNS _recon.ledger_source
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_source _recon.ledger_source;
BEGIN
    SELECT l.* INTO v_source FROM _recon.ledger_source AS l WHERE l.name = p_name;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC107', format('unknown ledger source %L', p_name),
            'No ledger source of that name is registered.',
            'See SELECT * FROM recon.sources; register one with recon.register_ledger_source().'
        );
    END IF;
    RETURN v_source;
END;
$$;

--
-- Name: FUNCTION ledger(p_name text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger(p_name text) IS 'The registered ledger source of that name; RC107 if none.';

--
-- Name: ledger_after(oid, _recon.wallet_source, jsonb, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_after(p_relid oid, p_wallet _recon.wallet_source, p_effects jsonb, p_after jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_col text;
    v_after jsonb;
BEGIN
    IF p_after = '{}' THEN
        PERFORM _recon.fail('RC106', '"balance_after" must not be empty',
                            'It maps a balance column to the column of its running balance.',
                            'E.g. {"available": "available_after", "on_hold": "on_hold_after"}.');
    END IF;
    FOR v_col, v_after IN SELECT e.key, e.value FROM jsonb_each(p_after) AS e LOOP
        IF v_col <> ALL (p_wallet.balance_columns) THEN
            PERFORM _recon.fail(
                'RC102', format('%L is not a balance column of wallet source %s', v_col,
                                p_wallet.name),
                format('Balance columns: %s.', array_to_string(p_wallet.balance_columns, ', ')),
                'Key "balance_after" by balance column.'
            );
        END IF;
        IF NOT p_effects ? v_col THEN
            PERFORM _recon.fail('RC106', format('the ledger does not move %L', v_col),
                                'A running balance follows a column the ledger''s entries move.',
                                'Drop it, or fix the effects.');
        END IF;
        IF jsonb_typeof(v_after) <> 'string' THEN
            PERFORM _recon.fail('RC106', format('running balance of %L must name a column', v_col),
                                format('Got %s.', v_after), 'E.g. "available_after".');
        END IF;
        PERFORM _recon.resolve_column(p_relid, v_after #>> '{}', 'a running balance', TRUE);
    END LOOP;
    RETURN p_after;
END;
$$;

--
-- Name: FUNCTION ledger_after(p_relid oid, p_wallet _recon.wallet_source, p_effects jsonb, p_after jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_after(p_relid oid, p_wallet _recon.wallet_source, p_effects jsonb, p_after jsonb) IS 'Validates "balance_after" given per balance column ({"available": "available_after", ...}): each key a balance column the ledger moves, each value a numeric column of the ledger. RC102, RC103, RC106.';

--
-- Name: ledger_filters(oid, jsonb, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_filters(p_relid oid, p_parents jsonb, p_filters jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ops text[] := ARRAY['=', '<>', '<', '<=', '>', '>=', 'in', 'not in', 'is null',
                          'is not null'];
    v_filter jsonb;
    v_op text;
    v_type regtype;
    v_values jsonb;
    v_value jsonb;
    v_out jsonb := '[]'::jsonb;
BEGIN
    IF p_filters IS NULL OR jsonb_typeof(p_filters) <> 'array'
        OR jsonb_array_length(p_filters) = 0 THEN
        PERFORM _recon.fail(
            'RC106', '"filters" must be a non-empty JSON array',
            format('Got %s.', COALESCE(p_filters::text, 'NULL')),
            'E.g. [{"column": "status", "op": "in", "values": ["APPLIED"]}, '
            || '{"column": "deleted_at", "op": "is null"}].'
        );
    END IF;
    FOR v_filter IN SELECT f FROM jsonb_array_elements(p_filters) AS f LOOP
        IF jsonb_typeof(v_filter) <> 'object' THEN
            PERFORM _recon.fail('RC106', 'each filter must be a JSON object',
                                format('Got %s.', v_filter),
                                'E.g. {"column": "voided", "op": "=", "value": false}.');
        END IF;
        PERFORM _recon.check_options('a filter', v_filter,
                                     ARRAY['column', 'op', 'value', 'values'], ARRAY['column', 'op']);
        v_op := lower(v_filter ->> 'op');
        IF v_op IS NULL OR v_op <> ALL (v_ops) THEN
            PERFORM _recon.fail(
                'RC106', format('unknown filter operator %s', v_filter -> 'op'),
                format('Operators: %s.', array_to_string(v_ops, ', ')),
                'E.g. {"column": "status", "op": "in", "values": ["posted"]}.'
            );
        END IF;
        v_type := _recon.ledger_ref_type(p_relid, p_parents, v_filter ->> 'column',
                                         'a filter column');
        v_values := CASE WHEN v_filter ? 'values' THEN v_filter -> 'values'
                         WHEN v_filter ? 'value' THEN jsonb_build_array(v_filter -> 'value') END;
        IF v_op IN ('is null', 'is not null') THEN
            IF v_values IS NOT NULL THEN
                PERFORM _recon.fail('RC106', format('operator %L takes no value', v_op),
                                    format('Got %s.', v_values), 'Drop "value"/"values".');
            END IF;
            v_values := '[]';
        ELSIF v_values IS NULL OR jsonb_typeof(v_values) <> 'array'
            OR jsonb_array_length(v_values) = 0
            OR (v_op NOT IN ('in', 'not in') AND jsonb_array_length(v_values) <> 1)
            OR (v_filter ? 'value' AND v_filter ? 'values') THEN
            PERFORM _recon.fail(
                'RC106', format('filter on %s: operator %L needs %s', v_filter ->> 'column', v_op,
                                CASE WHEN v_op IN ('in', 'not in')
                                     THEN 'a non-empty array "values"' ELSE 'one "value"' END),
                format('Got %s.', v_filter), 'E.g. {"column": "status", "op": "in", '
                || '"values": ["posted"]} or {"column": "voided", "op": "=", "value": false}.'
            );
        END IF;
        FOR v_value IN SELECT v FROM jsonb_array_elements(v_values) AS v LOOP
            IF jsonb_typeof(v_value) NOT IN ('string', 'number', 'boolean') THEN
                PERFORM _recon.fail('RC106', format('filter on %s: %s is not a value',
                                                    v_filter ->> 'column', v_value),
                                    'Values are strings, numbers or booleans.',
                                    'For NULL use "op": "is null".');
            END IF;
            BEGIN
                EXECUTE format('SELECT %L::%s', v_value #>> '{}', v_type);
            EXCEPTION WHEN data_exception OR invalid_text_representation THEN
                PERFORM _recon.fail(
                    'RC106', format('filter on %s: %s is not a %s', v_filter ->> 'column',
                                    v_value, v_type),
                    format('%s is of type %s: %s', v_filter ->> 'column', v_type, SQLERRM),
                    'Give a value of the column''s type.'
                );
            END;
        END LOOP;
        v_out := v_out || jsonb_build_array(jsonb_build_object(
            'column', v_filter ->> 'column', 'op', v_op,
            'values', (SELECT COALESCE(jsonb_agg(v #>> '{}'), '[]')
                       FROM jsonb_array_elements(v_values) AS v)
        ));
    END LOOP;
    RETURN v_out;
END;
$$;

--
-- Name: FUNCTION ledger_filters(p_relid oid, p_parents jsonb, p_filters jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_filters(p_relid oid, p_parents jsonb, p_filters jsonb) IS 'Validates a ledger source''s "filters": each {"column", "op", "value" | "values"} names a ledger or parent column (catalog-checked), a known operator (=, <>, <, <=, >, >=, in, not in, is null, is not null), and values that cast to the column''s type. Returns them as [{"column", "op", "values": [text]}]. Never free SQL text. RC102, RC106.';

--
-- Name: ledger_legs(oid, _recon.wallet_source, text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_legs(p_relid oid, p_wallet _recon.wallet_source, p_wallet_column text, p_options jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_shapes text[];
    v_shape _recon.ledger_shape;
    v_leg jsonb;
    v_legs jsonb := '{}'::jsonb;
    v_options text[];
    v_key text;
BEGIN
    -- The shape whose leg options are given (docs/CHECKS.md "Ledger shapes"); none given: one
    -- row moves one wallet, the wallet column argument.
    SELECT array_agg(s.shape ORDER BY s.shape) INTO v_shapes FROM _recon.ledger_shape AS s
    WHERE EXISTS (SELECT FROM jsonb_array_elements(s.legs) AS g WHERE p_options ? (g ->> 'option'));
    IF cardinality(v_shapes) > 1 THEN
        PERFORM _recon.fail('RC106', format('options of several shapes: %s',
                                            array_to_string(v_shapes, ', ')),
                            'A ledger source has one shape.',
                            'SELECT * FROM _recon.ledger_shape lists each shape''s leg options.');
    END IF;
    SELECT s.* INTO v_shape FROM _recon.ledger_shape AS s
    WHERE s.shape = COALESCE(v_shapes[1], 'entries');
    IF v_shape.shape = 'entries' THEN
        IF p_wallet_column IS NULL THEN
            PERFORM _recon.fail('RC106', 'a ledger source needs a wallet column',
                                'The wallet column was NULL and no leg options (such as '
                                || '"debit_wallet"/"credit_wallet") were given.',
                                'Name the column holding the wallet key, or the columns of '
                                || 'each leg.');
        END IF;
        PERFORM _recon.resolve_column(p_relid, p_wallet_column, 'the wallet key');
        PERFORM _recon.same_key_type(p_relid, p_wallet_column, p_wallet.relid,
                                     p_wallet.key_column);
        RETURN jsonb_build_object('shape', 'entries');
    END IF;
    v_options := ARRAY(SELECT g ->> 'option' FROM jsonb_array_elements(v_shape.legs) AS g);
    IF p_wallet_column IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC106', format('give either a wallet column or %s', array_to_string(v_options, ', ')),
            format('Got wallet column %L and %s.', p_wallet_column,
                   (SELECT jsonb_object_agg(o, p_options -> o) FROM unnest(v_options) AS o
                    WHERE p_options ? o)),
            format('A row moves one wallet (the wallet column), or it is a %s row (pass NULL '
                   || 'as the wallet column).', v_shape.shape)
        );
    END IF;
    FOR v_leg IN SELECT g FROM jsonb_array_elements(v_shape.legs) AS g LOOP
        v_key := v_leg ->> 'option';
        IF NOT p_options ? v_key OR jsonb_typeof(p_options -> v_key) <> 'string' THEN
            PERFORM _recon.fail('RC106', format('a %s ledger needs %L, the column of its %s leg',
                                                v_shape.shape, v_key, v_leg ->> 'side'),
                                format('Leg options of %s: %s.', v_shape.shape,
                                       array_to_string(v_options, ', ')),
                                'Name the wallet column of every leg.');
        END IF;
        PERFORM _recon.resolve_column(p_relid, p_options ->> v_key, 'the ' || v_key);
        PERFORM _recon.same_key_type(p_relid, (p_options ->> v_key)::name, p_wallet.relid,
                                     p_wallet.key_column);
        v_legs := v_legs || jsonb_build_object(v_leg ->> 'side', p_options ->> v_key);
    END LOOP;
    IF (SELECT count(DISTINCT c.value) FROM jsonb_each_text(v_legs) AS c)
       <> (SELECT count(*) FROM jsonb_each_text(v_legs)) THEN
        PERFORM _recon.fail('RC106', 'two legs name the same wallet column', format('Got %s.',
                                                                                 v_legs),
                            'Name the column the amount leaves and the one it reaches.');
    END IF;
    FOREACH v_key IN ARRAY ARRAY['direction', 'balance_after', 'version'] LOOP
        IF p_options ? v_key THEN
            PERFORM _recon.fail(
                'RC106', format('a %s ledger takes no %L', v_shape.shape, v_key),
                'Each of its rows moves several wallets, by the leg''s side: it has no '
                || 'direction, and one running balance or version cannot follow two wallets.',
                'Drop the option; for effects that depend on a column use "operation" with '
                || 'rules naming "side".'
            );
        END IF;
    END LOOP;
    RETURN jsonb_build_object('shape', v_shape.shape, 'legs', v_legs, 'multipliers', (
        SELECT jsonb_object_agg(g ->> 'side', g -> 'multiplier')
        FROM jsonb_array_elements(v_shape.legs) AS g));
END;
$$;

--
-- Name: FUNCTION ledger_legs(p_relid oid, p_wallet _recon.wallet_source, p_wallet_column text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_legs(p_relid oid, p_wallet _recon.wallet_source, p_wallet_column text, p_options jsonb) IS 'The shape of a ledger source being registered (_recon.ledger_shape: the one whose leg options are given, else entries) and the wallet column of each leg, catalog-checked and of the wallet key''s type: {"shape", "legs": {side: column}, "multipliers": {side: default effect}}. RC102, RC106, RC108.';

--
-- Name: ledger_parents(oid, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_parents(p_relid oid, p_parents jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $_$
DECLARE
    v_done jsonb := '{}'::jsonb;
    v_alias text;
    v_spec jsonb;
    v_table oid;
    v_via_type regtype;
    v_progress boolean := TRUE;
    v_order integer := 0;
BEGIN
    IF p_parents IS NULL OR jsonb_typeof(p_parents) <> 'object' OR p_parents = '{}' THEN
        PERFORM _recon.fail(
            'RC106', '"parents" must be a non-empty JSON object',
            format('Got %s.', COALESCE(p_parents::text, 'NULL')),
            'E.g. {"tx": {"table": "transactions", "key": "id", "via": "transaction_id"}}.'
        );
    END IF;
    FOR v_alias, v_spec IN SELECT e.key, e.value FROM jsonb_each(p_parents) AS e LOOP
        IF v_alias !~ '^[a-z][a-z0-9_]{0,30}$' OR v_alias IN ('side', 'r') THEN
            PERFORM _recon.fail('RC106', format('bad parent alias %L', v_alias),
                                'An alias is lower case letters, digits and _, at most 31, '
                                || 'and not "side" or "r" (the ledger row).', 'E.g. "tx".');
        END IF;
        IF jsonb_typeof(v_spec) IS DISTINCT FROM 'object' THEN
            PERFORM _recon.fail('RC106', format('parent %L must be a JSON object', v_alias),
                                format('Got %s.', v_spec),
                                'E.g. {"table": "transactions", "key": "id", "via": "tx_id"}.');
        END IF;
        PERFORM _recon.check_options(format('parent %s', v_alias), v_spec,
                                     ARRAY['table', 'key', 'via'], ARRAY['table', 'key', 'via']);
    END LOOP;
    -- Resolve in dependency order: a parent reached from the ledger row first, then one reached
    -- from a parent already resolved (a transaction's parent transaction).
    WHILE v_progress LOOP
        v_progress := FALSE;
        FOR v_alias, v_spec IN SELECT e.key, e.value FROM jsonb_each(p_parents) AS e
                               WHERE NOT v_done ? e.key ORDER BY e.key LOOP
            CONTINUE WHEN strpos(v_spec ->> 'via', '.') > 0
                AND NOT v_done ? split_part(v_spec ->> 'via', '.', 1);
            v_table := _recon.resolve_table(v_spec ->> 'table');
            PERFORM _recon.resolve_column(v_table, v_spec ->> 'key', format('parent %s key', v_alias));
            v_via_type := _recon.ledger_ref_type(p_relid, v_done, v_spec ->> 'via',
                                                 format('parent %s via', v_alias));
            IF v_via_type <> _recon.column_type(v_table, (v_spec ->> 'key')::name) THEN
                PERFORM _recon.fail(
                    'RC108', format('parent %s: %s and %s.%s have different types', v_alias,
                                    v_spec ->> 'via', v_table::regclass, v_spec ->> 'key'),
                    format('%s against %s.', v_via_type,
                           _recon.column_type(v_table, (v_spec ->> 'key')::name)),
                    'Join columns that hold the same key.'
                );
            END IF;
            -- A key that is not unique would count a ledger row once per matching parent.
            IF NOT EXISTS (
                SELECT FROM pg_catalog.pg_index AS i
                JOIN pg_catalog.pg_attribute AS a
                    ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE i.indrelid = v_table AND i.indisunique AND i.indisvalid
                    AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
                    AND a.attname = v_spec ->> 'key'
            ) THEN
                PERFORM _recon.fail(
                    'RC106', format('parent %s: %s.%s is not a unique key', v_alias,
                                    v_table::regclass, v_spec ->> 'key'),
                    'A parent is joined to each ledger row through a key that no two of its rows '
                    || 'share; without a primary key or unique index on that one column a row '
                    || 'could count twice.',
                    'Add a primary key or a unique index on the column, or name another key.'
                );
            END IF;
            v_order := v_order + 1;
            v_done := v_done || jsonb_build_object(v_alias, jsonb_build_object(
                'relid', v_table::bigint, 'key', v_spec ->> 'key', 'via', v_spec ->> 'via',
                'order', v_order));
            v_progress := TRUE;
        END LOOP;
    END LOOP;
    IF (SELECT count(*) FROM jsonb_object_keys(p_parents)) <> (SELECT count(*) FROM
                                                             jsonb_object_keys(v_done)) THEN
        SELECT e.key, e.value INTO v_alias, v_spec FROM jsonb_each(p_parents) AS e
        WHERE NOT v_done ? e.key ORDER BY e.key LIMIT 1;
        PERFORM _recon.fail(
            'RC106', format('parent %s is reached through %L, an unknown or circular parent',
                            v_alias, v_spec ->> 'via'),
            format('Resolved parents: %s.', COALESCE((SELECT string_agg(k, ', ' ORDER BY k)
                                                      FROM jsonb_object_keys(v_done) AS k),
                                                     'none')),
            '"via" is a ledger column, or "<alias>.<column>" of another parent.'
        );
    END IF;
    RETURN v_done;
END;
$_$;

--
-- Name: FUNCTION ledger_parents(p_relid oid, p_parents jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_parents(p_relid oid, p_parents jsonb) IS 'Validates a ledger source''s "parents" ({"<alias>": {"table", "key", "via"}}): each table resolves on the caller''s search_path, its key is one column under a primary key or unique index (so no ledger row counts twice), "via" is a ledger column or a column of a parent resolved before it, of the key''s type. Returns {"<alias>": {"relid", "key", "via", "order"}}. RC101, RC102, RC106, RC108.';

--
-- Name: ledger_ref_sql(text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_ref_sql(p_ref text, p_side text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- "side" is the transfer leg ('debit' or 'credit'); "alias.column" a parent row's column
    -- (joined as p_<alias>); any other reference a column of the ledger row (alias r).
    IF p_ref = 'side' AND p_side IS NOT NULL THEN
        RETURN format('%L::text', p_side);
    ELSIF strpos(p_ref, '.') > 0 THEN
        RETURN format('%I.%I', 'p_' || split_part(p_ref, '.', 1),
                      substr(p_ref, strpos(p_ref, '.') + 1));
    END IF;
    RETURN format('r.%I', p_ref);
END;
$$;

--
-- Name: FUNCTION ledger_ref_sql(p_ref text, p_side text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_ref_sql(p_ref text, p_side text) IS 'SQL for a validated column reference of a ledger source inside its legs query: "column" (the ledger row, alias r), "alias.column" (a registered parent row, alias p_<alias>), or "side" (the transfer leg, given as p_side). Identifiers quoted with %I.';

--
-- Name: ledger_ref_type(oid, jsonb, text, text, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_ref_type(p_relid oid, p_parents jsonb, p_ref text, p_role text, p_transfer boolean DEFAULT false) RETURNS regtype
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_alias text;
    v_relid oid := p_relid;
    v_column text := p_ref;
BEGIN
    IF p_ref IS NULL OR p_ref = '' THEN
        PERFORM _recon.fail('RC106', format('%s must name a column', p_role),
                            'Got nothing.', 'Give a column of the ledger table, or '
                            || '"<parent>.<column>" for a registered parent row.');
    END IF;
    IF p_ref = 'side' AND p_transfer THEN
        RETURN 'text'::regtype;
    END IF;
    IF strpos(p_ref, '.') > 0 THEN
        v_alias := split_part(p_ref, '.', 1);
        v_column := substr(p_ref, strpos(p_ref, '.') + 1);
        IF p_parents IS NULL OR NOT p_parents ? v_alias THEN
            PERFORM _recon.fail(
                'RC106', format('%s %L names an unknown parent %L', p_role, p_ref, v_alias),
                format('Registered parents: %s.', COALESCE((
                    SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(p_parents) AS k
                ), 'none')),
                'Declare it under "parents": {"<alias>": {"table": ..., "key": ..., "via": ...}}.'
            );
        END IF;
        v_relid := (p_parents -> v_alias ->> 'relid')::oid;
    END IF;
    PERFORM _recon.resolve_column(v_relid, v_column, p_role);
    RETURN _recon.column_type(v_relid, v_column::name);
END;
$$;

--
-- Name: FUNCTION ledger_ref_type(p_relid oid, p_parents jsonb, p_ref text, p_role text, p_transfer boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_ref_type(p_relid oid, p_parents jsonb, p_ref text, p_role text, p_transfer boolean) IS 'Validates a column reference of a ledger source against the catalog: a column of the ledger table, "<alias>.<column>" of a registered parent, or (transfer rows) "side". Returns its base type. RC102 for an unknown column, RC106 for an unknown parent.';

--
-- Name: ledger_rules(oid, jsonb, _recon.wallet_source, jsonb, jsonb, text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_rules(p_relid oid, p_parents jsonb, p_wallet _recon.wallet_source, p_keys jsonb, p_rules jsonb, p_sides text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_keys text[];
    v_key text;
    v_rule jsonb;
    v_when jsonb;
    v_label text;
    v_col text;
    v_mult jsonb;
    v_rules jsonb := '[]'::jsonb;
    v_effects jsonb := '{}'::jsonb;
    v_seen jsonb := '{}'::jsonb;
BEGIN
    IF jsonb_typeof(p_keys) = 'string' THEN
        p_keys := jsonb_build_array(p_keys);
    END IF;
    IF jsonb_typeof(p_keys) IS DISTINCT FROM 'array' OR jsonb_array_length(p_keys) = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(p_keys) AS k WHERE jsonb_typeof(k) <> 'string')
        THEN
        PERFORM _recon.fail('RC106', '"operation" must name a column or a list of columns',
                            format('Got %s.', p_keys), 'E.g. ["type", "tx.status"].');
    END IF;
    SELECT array_agg(k ORDER BY o) INTO v_keys FROM jsonb_array_elements_text(p_keys)
        WITH ORDINALITY AS u (k, o);
    IF (SELECT count(DISTINCT k) FROM unnest(v_keys) AS k) <> cardinality(v_keys) THEN
        PERFORM _recon.fail('RC106', 'a column is named twice in "operation"',
                            format('Got %s.', p_keys), 'Name each column once.');
    END IF;
    FOREACH v_key IN ARRAY v_keys LOOP
        PERFORM _recon.ledger_ref_type(p_relid, p_parents, v_key, 'an operation key',
                                       p_sides IS NOT NULL);
    END LOOP;
    IF jsonb_typeof(p_rules) IS DISTINCT FROM 'array' OR jsonb_array_length(p_rules) = 0 THEN
        PERFORM _recon.fail(
            'RC106', 'effects keyed on several columns are a non-empty list of rules',
            format('Got %s.', COALESCE(p_rules::text, 'NULL')),
            'E.g. [{"when": {"type": "DEBIT", "tx.status": "COMMITTED"}, '
            || '"effect": {"on_hold": -1}}, {"when": {"type": "DEBIT"}, '
            || '"effect": {"available": -1}}].'
        );
    END IF;
    FOR v_rule IN SELECT r FROM jsonb_array_elements(p_rules) AS r LOOP
        IF jsonb_typeof(v_rule) <> 'object' THEN
            PERFORM _recon.fail('RC106', 'each effect rule must be a JSON object',
                                format('Got %s.', v_rule),
                                'E.g. {"when": {"type": "CREDIT"}, "effect": {"available": 1}}.');
        END IF;
        PERFORM _recon.check_options('an effect rule', v_rule, ARRAY['when', 'effect', 'label'],
                                     ARRAY['when', 'effect']);
        v_when := v_rule -> 'when';
        IF jsonb_typeof(v_when) <> 'object' OR v_when = '{}' THEN
            PERFORM _recon.fail('RC106', '"when" must be a non-empty JSON object',
                                format('Got %s.', v_when), 'E.g. {"type": "DEBIT"}.');
        END IF;
        FOR v_key, v_mult IN SELECT e.key, e.value FROM jsonb_each(v_when) AS e LOOP
            IF v_key <> ALL (v_keys) THEN
                PERFORM _recon.fail('RC106', format('rule names %L, which is not an operation key',
                                                    v_key),
                                    format('Keys: %s.', array_to_string(v_keys, ', ')),
                                    'List the column in "operation".');
            END IF;
            IF jsonb_typeof(v_mult) NOT IN ('string', 'number', 'boolean') THEN
                PERFORM _recon.fail('RC106', format('rule value for %L must be a value', v_key),
                                    format('Got %s.', v_mult),
                                    'Values are compared as text: strings, numbers, booleans.');
            END IF;
        END LOOP;
        IF p_sides IS NOT NULL AND (v_when ->> 'side' IS NULL
                                    OR v_when ->> 'side' <> ALL (p_sides)) THEN
            PERFORM _recon.fail(
                'RC106', 'each rule of a ledger with several legs names its "side"',
                format('Rule %s; sides: %s.', v_rule, array_to_string(p_sides, ', ')),
                'Add e.g. "side": "debit" (the wallet the amount leaves) or "credit", and list '
                || '"side" in "operation".'
            );
        END IF;
        IF jsonb_typeof(v_rule -> 'effect') IS DISTINCT FROM 'object' OR v_rule -> 'effect' = '{}'
            THEN
            PERFORM _recon.fail('RC106', '"effect" must be a non-empty JSON object',
                                format('Rule %s.', v_rule), 'E.g. {"available": -1}.');
        END IF;
        FOR v_col, v_mult IN SELECT e.key, e.value FROM jsonb_each(v_rule -> 'effect') AS e LOOP
            IF v_col <> ALL (p_wallet.balance_columns) THEN
                PERFORM _recon.fail(
                    'RC102', format('rule moves %L, which is not a balance column of %s', v_col,
                                    p_wallet.name),
                    format('Balance columns: %s.', array_to_string(p_wallet.balance_columns, ', ')),
                    'Register the column with the wallet source, or fix the rule.'
                );
            END IF;
            IF jsonb_typeof(v_mult) <> 'number' THEN
                PERFORM _recon.fail('RC106', format('multiplier %s on %L is not a number', v_mult,
                                                    v_col),
                                    'Multipliers are plain numbers such as 1 or -1.',
                                    'Fix the effects.');
            END IF;
        END LOOP;
        -- A rule's label names its entries in findings: given, or its key values in key order.
        v_label := COALESCE(v_rule ->> 'label', (
            SELECT string_agg(COALESCE(v_when ->> k, '*'), '/' ORDER BY o)
            FROM unnest(v_keys) WITH ORDINALITY AS u (k, o)));
        IF v_seen ? v_label AND v_seen -> v_label <> v_rule -> 'effect' THEN
            PERFORM _recon.fail('RC106', format('two rules labelled %L move different columns',
                                                v_label),
                                'Entries of one label must have one effect.',
                                'Give the rules distinct "label"s.');
        END IF;
        v_seen := v_seen || jsonb_build_object(v_label, v_rule -> 'effect');
        v_rules := v_rules || jsonb_build_array(jsonb_build_object(
            'when', (SELECT jsonb_object_agg(e.key, e.value #>> '{}') FROM jsonb_each(v_when) AS e),
            'label', v_label));
    END LOOP;
    SELECT jsonb_object_agg(c.col, c.per_label) INTO v_effects
    FROM (SELECT e.key AS col, jsonb_object_agg(s.key, e.value) AS per_label
          FROM jsonb_each(v_seen) AS s, jsonb_each(s.value) AS e GROUP BY e.key) AS c;
    RETURN jsonb_build_object('kinds', jsonb_build_object('keys', to_jsonb(v_keys),
                                                          'rules', v_rules),
                              'effects', v_effects);
END;
$$;

--
-- Name: FUNCTION ledger_rules(p_relid oid, p_parents jsonb, p_wallet _recon.wallet_source, p_keys jsonb, p_rules jsonb, p_sides text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_rules(p_relid oid, p_parents jsonb, p_wallet _recon.wallet_source, p_keys jsonb, p_rules jsonb, p_sides text[]) IS 'Validates effects keyed on several columns: "operation" lists the key columns (ledger, "<parent>.<column>", or "side" on shapes of several legs, p_sides), "effects" is a list of rules {"when": {key: value}, "effect": {balance column: multiplier}, "label"?}, tried in order (a key left out matches any value; values compare as text). Returns {"kinds": {"keys", "rules": [{"when", "label"}]}, "effects": {column: {label: multiplier}}}. RC102, RC106.';

--
-- Name: ledger_writer_refusal(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.ledger_writer_refusal(p_ledger _recon.ledger_source, p_kind text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Repairs read every shape through its legs (measures, evidence, conservation,
    -- re-verification), so a posting function and recon.fix() may serve any ledger of a row
    -- shape the writers know. An INSERT writes one ledger row: it cannot write or check the
    -- parent row a filter or an effect rule reads (which transaction, of which status).
    SELECT CASE
        WHEN p_ledger.shape NOT IN ('entries', 'transfer')
            THEN format('its rows are %s rows', p_ledger.shape)
        WHEN p_kind = 'insert' AND EXISTS (
            SELECT FROM jsonb_array_elements(p_ledger.filters) AS f
            WHERE strpos(f ->> 'column', '.') > 0)
            THEN format('a filter reads parent rows (%s): an INSERT into %s cannot write or '
                        || 'check them', (
                            SELECT string_agg(f ->> 'column', ', ')
                            FROM jsonb_array_elements(p_ledger.filters) AS f
                            WHERE strpos(f ->> 'column', '.') > 0), p_ledger.relid::regclass)
        WHEN p_kind = 'insert' AND EXISTS (
            SELECT FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k
            WHERE strpos(k, '.') > 0)
            THEN format('its effect rules read parent rows (%s): an INSERT into %s cannot '
                        || 'write or check them', (
                            SELECT string_agg(k, ', ')
                            FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k
                            WHERE strpos(k, '.') > 0), p_ledger.relid::regclass)
    END;
$$;

--
-- Name: FUNCTION ledger_writer_refusal(p_ledger _recon.ledger_source, p_kind text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.ledger_writer_refusal(p_ledger _recon.ledger_source, p_kind text) IS 'NULL when a writer of kind p_kind (''insert'', ''function''; NULL for recon.fix() itself) can post into the ledger source; else why not: a row shape other than entries and transfer rows (any kind), or, for an INSERT writer, a filter or effect rule that reads a parent row (the INSERT cannot write or check it: a posting function can). Parent rows, effects keyed on several columns and a running balance per column are otherwise served: repairs read the legs (_recon.legs_sql) and verify what a writer posted (RC307). recon.register_writer, _recon.fix_plan.';

--
-- Name: leg_columns_sql(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.leg_columns_sql(p_ledger _recon.ledger_source, p_alias text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- Over the legs relation (p_ledger as _recon.legs() names it): a signed ledger moves its
    -- columns whatever the entry; a typed one (direction, operation, side, rule label) those
    -- its kind moves, per kind. (PL/pgSQL: an SQL body is checked before _recon.wallet exists.)
    RETURN (SELECT CASE
        WHEN k.col IS NULL THEN format('%L::jsonb', jsonb_agg(c.b ORDER BY c.o))
        ELSE format('CASE %I.%I::text%s END', p_alias, k.col, (
            SELECT string_agg(format(' WHEN %L THEN %L::jsonb', e.key, (
                       SELECT jsonb_agg(w.b ORDER BY w.o)
                       FROM unnest(v.balance_columns) WITH ORDINALITY AS w (b, o)
                       WHERE (p_ledger.effects -> w.b ->> e.key)::numeric <> 0)), ''
                              ORDER BY e.key)
            FROM (SELECT DISTINCT x.key
                  FROM jsonb_each(p_ledger.effects) AS m, jsonb_each(m.value) AS x) AS e))
    END
    FROM (SELECT (_recon.wallet(p_ledger.wallet_source)).balance_columns) AS v (balance_columns)
    CROSS JOIN LATERAL (SELECT CASE p_ledger.amount_mode
                                   WHEN 'direction' THEN p_ledger.direction_column
                                   WHEN 'operation' THEN p_ledger.operation_column END) AS k (col)
    CROSS JOIN LATERAL unnest(v.balance_columns) WITH ORDINALITY AS c (b, o)
    WHERE p_ledger.effects ? c.b
    GROUP BY k.col, v.balance_columns);
END;
$$;

--
-- Name: FUNCTION leg_columns_sql(p_ledger _recon.ledger_source, p_alias text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.leg_columns_sql(p_ledger _recon.ledger_source, p_alias text) IS 'SQL expression (over alias p_alias of the legs relation, p_ledger as _recon.legs() names it) for the JSON list of balance columns a leg moves: every column of a signed ledger, else those its kind (direction, operation, side, rule label) moves. Duplicate and currency findings name them ("columns").';

--
-- Name: legs(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.legs(p_ledger _recon.ledger_source) RETURNS _recon.ledger_source
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_ledger.wallet_source);
    v _recon.ledger_source := p_ledger;
BEGIN
    v.wallet_column := 'wallet';
    v.amount_column := 'amount';
    IF p_ledger.kinds IS NOT NULL THEN
        v.amount_mode := 'operation';
    ELSIF p_ledger.shape <> 'entries' THEN
        v.amount_mode := 'direction';
    END IF;
    v.direction_column := CASE WHEN v.amount_mode = 'direction' THEN 'kind' END;
    v.operation_column := CASE WHEN v.amount_mode = 'operation' THEN 'kind' END;
    v.entry_id_column := CASE WHEN p_ledger.entry_id_column IS NOT NULL THEN 'entry_id' END;
    v.reference_column := CASE WHEN p_ledger.reference_column IS NOT NULL THEN 'reference' END;
    v.posted_at_column := CASE WHEN p_ledger.posted_at_column IS NOT NULL THEN 'posted_at' END;
    v.order_column := CASE WHEN p_ledger.order_column IS NOT NULL THEN 'ord' END;
    v.version_column := CASE WHEN p_ledger.version_column IS NOT NULL THEN 'version' END;
    v.journal_column := CASE WHEN p_ledger.journal_column IS NOT NULL THEN 'journal' END;
    v.status_column := CASE WHEN p_ledger.status_column IS NOT NULL THEN 'status' END;
    v.currency_column := CASE WHEN p_ledger.currency_column IS NOT NULL THEN 'currency' END;
    SELECT jsonb_object_agg(a.key, 'after_' || array_position(v_wallet.balance_columns,
                                                              a.key::name))
    INTO v.after_columns FROM jsonb_each(p_ledger.after_columns) AS a;
    v.balance_after_column := CASE WHEN p_ledger.balance_after_column IS NOT NULL
                                   THEN 'balance_after' END;
    v.shape := 'entries';
    v.leg_columns := NULL;
    v.debit_wallet_column := NULL;
    v.credit_wallet_column := NULL;
    v.filters := NULL;
    v.parents := NULL;
    v.kinds := NULL;
    RETURN v;
END;
$$;

--
-- Name: FUNCTION legs(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.legs(p_ledger _recon.ledger_source) IS 'The ledger source as its legs relation (_recon.legs_sql) presents it: one-sided, without filters or parents, its columns under their canonical names (wallet, amount, kind, entry_id, reference, posted_at, ord, version, journal, status, currency, after_<i>), a transfer ledger a direction ledger over its sides, effects keyed on several columns an operation ledger over rule labels. The SQL builders (_recon.effect_sql, entry_name_sql, ...) take it with an alias of that relation, so every check compiles from the one shape definition.';

--
-- Name: legs_query(_recon.ledger_source, jsonb, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.legs_query(p_ledger _recon.ledger_source, p_swap jsonb, p_where text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_ledger.wallet_source);
    v_from text := format('%s AS r', COALESCE(p_swap ->> 'r', p_ledger.relid::regclass::text));
    v_where text;
    v_common text := '';
    v_branches text[] := ARRAY[]::text[];
    v_side text;
    v_wallet_col name;
    v_kind text;
    v_alias text;
    v_spec jsonb;
    v_effects text;
    -- the amount as the checks read it: in major units, exactly (docs/CHECKS.md "Minor units");
    -- a ledger without a scale reads the column as it is
    v_amount text := _recon.major_sql(p_ledger.amount_scale,
                                      format('r.%I', p_ledger.amount_column), 'r');
BEGIN
    -- Parent rows, each through its unique key (so a ledger row is never counted twice).
    FOR v_alias, v_spec IN SELECT e.key, e.value FROM jsonb_each(p_ledger.parents) AS e
                           ORDER BY (e.value ->> 'order')::integer LOOP
        v_from := v_from || format(' LEFT JOIN %1$s AS %2$I ON %2$I.%3$I = %4$s',
                                   COALESCE(p_swap ->> v_alias,
                                            (v_spec ->> 'relid')::oid::regclass::text),
                                   'p_' || v_alias,
                                   v_spec ->> 'key', _recon.ledger_ref_sql(v_spec ->> 'via'));
    END LOOP;
    -- Entry filters: catalog-checked columns, operators from a fixed list, values as literals
    -- of the column's type.
    SELECT string_agg(CASE
        WHEN f ->> 'op' = 'is null' THEN format('%s IS NULL', _recon.ledger_ref_sql(f ->> 'column'))
        WHEN f ->> 'op' = 'is not null'
            THEN format('%s IS NOT NULL', _recon.ledger_ref_sql(f ->> 'column'))
        WHEN f ->> 'op' IN ('in', 'not in') THEN format(
            '%s %s (%s)', _recon.ledger_ref_sql(f ->> 'column'), upper(f ->> 'op'),
            (SELECT string_agg(format('%L::%s', v, _recon.ledger_ref_type(
                                   p_ledger.relid, p_ledger.parents, f ->> 'column', 'a filter')),
                               ', ')
             FROM jsonb_array_elements_text(f -> 'values') AS v))
        ELSE format('%s %s %L::%s', _recon.ledger_ref_sql(f ->> 'column'), f ->> 'op',
                    f -> 'values' ->> 0, _recon.ledger_ref_type(
                        p_ledger.relid, p_ledger.parents, f ->> 'column', 'a filter'))
    END, ' AND ' ORDER BY o)
    INTO v_where
    FROM jsonb_array_elements(p_ledger.filters) WITH ORDINALITY AS u (f, o);
    v_where := concat_ws(' AND ', v_where, '(' || p_where || ')');

    -- The optional columns, under their canonical names.
    SELECT string_agg(format(', %s AS %I', CASE WHEN u.canon = 'balance_after'
        THEN _recon.major_sql(p_ledger.amount_scale, format('r.%I', u.col), 'r')
        ELSE format('r.%I', u.col) END, u.canon), '' ORDER BY u.o) INTO v_common
    FROM (VALUES (1, p_ledger.entry_id_column, 'entry_id'),
                 (2, p_ledger.reference_column, 'reference'),
                 (3, p_ledger.posted_at_column, 'posted_at'),
                 (4, p_ledger.order_column, 'ord'),
                 (5, p_ledger.version_column, 'version'),
                 (6, p_ledger.journal_column, 'journal'),
                 (7, p_ledger.status_column, 'status'),
                 (8, p_ledger.balance_after_column, 'balance_after')) AS u (o, col, canon)
    WHERE u.col IS NOT NULL;
    -- the entry's currency: a column of the ledger row or of a parent row
    v_common := COALESCE(v_common, '') || CASE WHEN p_ledger.currency_column IS NOT NULL
        THEN format(', %s AS currency', _recon.ledger_ref_sql(p_ledger.currency_column))
        ELSE '' END;
    v_common := v_common || COALESCE((
        SELECT string_agg(format(', %s AS %I', _recon.major_sql(
                                     p_ledger.amount_scale, format('r.%I', a.value #>> '{}'), 'r'),
                                 'after_' || array_position(v_wallet.balance_columns, a.key::name)),
                          '' ORDER BY array_position(v_wallet.balance_columns, a.key::name))
        FROM jsonb_each(p_ledger.after_columns) AS a), '');

    -- One branch per leg of the shape (_recon.ledger_shape), each reading its wallet column.
    FOR v_side, v_wallet_col IN
        SELECT u.g ->> 'side', CASE WHEN u.g ->> 'side' IS NULL THEN p_ledger.wallet_column
                                    ELSE (p_ledger.leg_columns ->> (u.g ->> 'side'))::name END
        FROM _recon.ledger_shape AS s
        CROSS JOIN LATERAL jsonb_array_elements(s.legs) WITH ORDINALITY AS u (g, o)
        WHERE s.shape = p_ledger.shape ORDER BY u.o
    LOOP
        -- What kind of entry the leg is: the direction or operation column; the leg's side on
        -- transfer rows; the label of the first rule that matches, for effects keyed on
        -- several columns (NULL, an unmapped entry, when none does).
        v_kind := CASE
            WHEN p_ledger.kinds IS NOT NULL THEN (
                SELECT COALESCE('CASE' || string_agg(format(' WHEN %s THEN %L', c.cond,
                                                            r ->> 'label'), '' ORDER BY o)
                                || ' END', 'NULL::text')
                FROM jsonb_array_elements(p_ledger.kinds -> 'rules') WITH ORDINALITY AS u (r, o)
                CROSS JOIN LATERAL (
                    SELECT COALESCE(string_agg(format('(%s)::text = %L',
                                                      _recon.ledger_ref_sql(w.key, v_side),
                                                      w.value #>> '{}'), ' AND ' ORDER BY w.key),
                                    'TRUE') AS cond
                    FROM jsonb_each(r -> 'when') AS w
                    WHERE NOT (v_side IS NOT NULL AND w.key = 'side')
                ) AS c
                WHERE v_side IS NULL OR r -> 'when' ->> 'side' = v_side)
            WHEN v_side IS NOT NULL THEN format('%L::text', v_side)
            WHEN p_ledger.amount_mode = 'direction' THEN format('r.%I', p_ledger.direction_column)
            WHEN p_ledger.amount_mode = 'operation' THEN format('r.%I', p_ledger.operation_column)
        END;
        -- A leg of a shape without rules has its side for kind, a constant per branch: its
        -- effect on each balance column is known here, so it is emitted signed (effect_<i>,
        -- the wallet source's i-th balance column), as _recon.effect_sql() computes it from
        -- kind, and a balance check sums it without a CASE per leg.
        v_effects := CASE WHEN v_side IS NOT NULL AND p_ledger.kinds IS NULL THEN (
            SELECT string_agg(format(', %s AS %I', CASE
                    WHEN c.value ->> v_side IS NULL THEN '0'  -- unmapped: effect_sql's ELSE 0
                    WHEN (c.value ->> v_side)::numeric = 1 THEN v_amount
                    WHEN (c.value ->> v_side)::numeric = -1 THEN '-' || v_amount
                    ELSE format('%s * %s', v_amount, (c.value ->> v_side)::numeric)
                END, 'effect_' || array_position(v_wallet.balance_columns, c.key::name)),
                '' ORDER BY array_position(v_wallet.balance_columns, c.key::name))
            FROM jsonb_each(p_ledger.effects) AS c
            WHERE array_position(v_wallet.balance_columns, c.key::name) IS NOT NULL) END;
        v_branches := v_branches || format(
            'SELECT r.%I AS wallet, %s AS amount%s%s%s FROM %s%s',
            v_wallet_col, v_amount,
            CASE WHEN v_kind IS NOT NULL THEN ', ' || v_kind || ' AS kind' ELSE '' END,
            v_common, COALESCE(v_effects, ''), v_from,
            COALESCE(' WHERE ' || NULLIF(v_where, ''), ''));
    END LOOP;
    RETURN '(' || array_to_string(v_branches, ' UNION ALL ') || ')';
END;
$_$;

--
-- Name: FUNCTION legs_query(p_ledger _recon.ledger_source, p_swap jsonb, p_where text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.legs_query(p_ledger _recon.ledger_source, p_swap jsonb, p_where text) IS '_recon.legs_sql() over other relations: p_swap {"r": SQL of a relation standing for the ledger table, "<parent alias>": for that parent table} (a guard reads the rows a statement wrote, or a table as it was before the statement, from its transition tables), and p_where, an SQL condition over r and p_<alias> added to every branch. NULL for either: the tables themselves, every row.';

--
-- Name: legs_sql(_recon.ledger_source); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.legs_sql(p_ledger _recon.ledger_source) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT _recon.legs_query(p_ledger, NULL, NULL);
$$;

--
-- Name: FUNCTION legs_sql(p_ledger _recon.ledger_source); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.legs_sql(p_ledger _recon.ledger_source) IS 'A ledger source''s canonical legs relation, as a parenthesized subquery: one row per leg (an entry, or each side of a transfer row) that the filters keep, with columns wallet, amount (in major units, exactly, when the source has a scale: docs/CHECKS.md "Minor units"), kind (direction, operation, side or rule label; absent for a signed ledger), and those registered of entry_id, reference, posted_at, ord, version, journal, status, currency, balance_after, after_<i> (the running balance of the wallet source''s i-th balance column); for a shape with sides and no rules also effect_<i>, the leg''s signed effect on the i-th balance column (what _recon.effect_sql() computes from kind, folded per branch). A one-sided ledger without filters or parents is a plain scan of its table, which the planner inlines. Every check reads it, with _recon.legs() naming its columns. docs/CHECKS.md "Ledger shapes".';

--
-- Name: major_sql(jsonb, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.major_sql(p_scale jsonb, p_expr text, p_alias text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- A multiplication by an exact power of ten (0.01 is exactly 1e-2 in numeric): a division
    -- would round an integer of more than 16 digits. A row whose scale is NULL, negative, above
    -- 38 or (as a multiplier) not a power of ten reads NULL: the checks report it as an
    -- invalid amount (or balance), never as a guess.
    SELECT CASE
        WHEN p_scale IS NULL THEN p_expr
        WHEN p_scale ? 'places' AND (p_scale ->> 'places')::integer = 0
            THEN format('(%s)::numeric', p_expr)
        WHEN p_scale ? 'places'
            THEN format('((%s)::numeric * %s)', p_expr,
                        ('1e-' || (p_scale ->> 'places'))::numeric::text)
        WHEN p_scale ->> 'as' = 'places' THEN format(
            '((%1$s)::numeric * CASE WHEN %2$I.%3$I BETWEEN 0 AND 38 '
            || 'THEN (''1e-'' || %2$I.%3$I)::numeric END)',
            p_expr, p_alias, p_scale ->> 'column')
        ELSE format(
            '((%1$s)::numeric * CASE WHEN (%2$I.%3$I)::text ~ ''^10{0,38}$'' '
            || 'THEN (''1e-'' || (length((%2$I.%3$I)::text) - 1))::numeric END)',
            p_expr, p_alias, p_scale ->> 'column')
    END;
$_$;

--
-- Name: FUNCTION major_sql(p_scale jsonb, p_expr text, p_alias text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.major_sql(p_scale jsonb, p_expr text, p_alias text) IS 'SQL for p_expr (an amount or balance of minor units) in major units as exact numeric, by the source''s scale (_recon.scale_option; a per-row scale read from column p_alias.<column>); p_expr itself, unchanged, when the scale is NULL (major units). A row whose per-row scale is unusable (NULL, out of 0..38, a multiplier not a power of ten) reads NULL.';

--
-- Name: minor_sql(jsonb, text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.minor_sql(p_scale jsonb, p_expr text, p_scale_expr text, p_what text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    SELECT CASE
        WHEN p_scale IS NULL THEN p_expr
        WHEN p_scale ? 'places' THEN format('_recon.minor_units((%s)::numeric, %s, %L)', p_expr,
                                            (p_scale ->> 'places')::integer, p_what)
        WHEN p_scale ->> 'as' = 'places' THEN format(
            '_recon.minor_units((%1$s)::numeric, (%2$s)::integer, %3$L)',
            p_expr, p_scale_expr, p_what)
        ELSE format(
            '_recon.minor_units((%1$s)::numeric, CASE WHEN (%2$s)::text ~ ''^10{0,38}$'' '
            || 'THEN length((%2$s)::text) - 1 END, %3$L)',
            p_expr, p_scale_expr, p_what)
    END;
$_$;

--
-- Name: FUNCTION minor_sql(p_scale jsonb, p_expr text, p_scale_expr text, p_what text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.minor_sql(p_scale jsonb, p_expr text, p_scale_expr text, p_what text) IS 'SQL for p_expr (an amount in major units) as whole minor units by the scale (_recon.scale_option; a per-row scale is the SQL p_scale_expr: the row''s scale column, or the value written there), through _recon.minor_units (RC321 when not whole: never rounded); p_expr unchanged when the scale is NULL. The inverse of _recon.major_sql.';

--
-- Name: minor_units(numeric, integer, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.minor_units(p_amount numeric, p_places integer, p_what text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_minor numeric;
BEGIN
    IF p_amount IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_places IS NULL OR p_places NOT BETWEEN 0 AND 38 THEN
        PERFORM _recon.fail(
            'RC321', format('%s: no usable scale to write %s in minor units', p_what, p_amount),
            format('The scale of the row is %s decimal places.', COALESCE(p_places::text, 'NULL')),
            'Give the row a scale (its precision or decimal places column), or repair by hand.');
    END IF;
    v_minor := p_amount * ('1e' || p_places)::numeric;
    IF v_minor <> trunc(v_minor) THEN
        PERFORM _recon.fail(
            'RC321', format('%s: %s is not a whole number of minor units', p_what, p_amount),
            format('The column holds minor units at %s decimal places: %s would be %s units, '
                   || 'and it is never rounded.', p_places, p_amount, v_minor),
            'Repair by hand (or acknowledge): the amount needs a finer scale than the column '
            || 'has, e.g. a precision of 100000000 for satoshis.');
    END IF;
    RETURN trunc(v_minor);
END;
$$;

--
-- Name: FUNCTION minor_units(p_amount numeric, p_places integer, p_what text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.minor_units(p_amount numeric, p_places integer, p_what text) IS 'p_amount (major units) as a whole number of minor units at p_places decimal places; RC321 when it is not whole (never rounded) or there is no usable scale (NULL, out of 0..38). p_what names the column in the error. Writers and repairs write integer minor-unit columns through it.';

--
-- Name: opposite_effect_sql(_recon.ledger_source, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.opposite_effect_sql(p_ledger _recon.ledger_source, p_alias text, p_other text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    -- A signed ledger: the opposite amount (every column moves by amount times one multiplier).
    -- Direction and operation ledgers: every balance column the ledger moves, moved back by
    -- exactly as much (a CREDIT of 5 against a DEBIT of 5, an ON_HOLD against a RELEASE).
    -- A NULL amount is the opposite of nothing.
    SELECT CASE WHEN p_ledger.amount_mode = 'signed'
                THEN format('%1$I.%3$I = -%2$I.%3$I', p_alias, p_other, p_ledger.amount_column)
                ELSE (SELECT string_agg(format('(%s) = -(%s)',
                                               _recon.effect_sql(p_ledger, c, p_alias),
                                               _recon.effect_sql(p_ledger, c, p_other)),
                                        ' AND ' ORDER BY c)
                      FROM jsonb_object_keys(p_ledger.effects) AS c)
           END;
$_$;

--
-- Name: FUNCTION opposite_effect_sql(p_ledger _recon.ledger_source, p_alias text, p_other text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.opposite_effect_sql(p_ledger _recon.ledger_source, p_alias text, p_other text) IS 'An SQL condition: the ledger entry aliased p_alias has exactly the opposite effect of the one aliased p_other: the opposite amount on a signed ledger, else the opposite change of every balance column the ledger moves (_recon.effect_sql). What a hand-posted REV-<entry id> must match to count as a reversal (_recon.in_effect_sql).';

--
-- Name: overdraft_exemption_for(text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.overdraft_exemption_for(p_source text, p_key text, p_column text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT jsonb_build_object('id', e.id, 'reason', e.reason)
    FROM _recon.overdraft_exemption AS e
    WHERE e.wallet_source = p_source
      AND (e.wallet_key IS NULL OR e.wallet_key = p_key)
      AND (e.balance_column IS NULL OR e.balance_column = p_column)
    -- the narrowest scope first
    ORDER BY e.wallet_key IS NULL, e.balance_column IS NULL, e.id
    LIMIT 1
$$;

--
-- Name: FUNCTION overdraft_exemption_for(p_source text, p_key text, p_column text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.overdraft_exemption_for(p_source text, p_key text, p_column text) IS 'The overdraft exemption (recon.allow_overdraft) that lets recon.fix() leave column p_column of wallet p_key of source p_source below zero, as {"id", "reason"}: the narrowest scope first (the wallet and column, the wallet, the column, the whole source); NULL if none.';

--
-- Name: parent_foreign_key(_recon.ledger_source, text, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.parent_foreign_key(p_ledger _recon.ledger_source, p_alias text, p_guard boolean) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_spec jsonb := p_ledger.parents -> p_alias;
    v_parent oid := (v_spec ->> 'relid')::oid;
    v_child oid;
    v_column text;
    v_leaf oid;
BEGIN
    -- The rows that reach this parent: the ledger's, or another parent's ("alias.column").
    IF strpos(v_spec ->> 'via', '.') > 0 THEN
        v_child := (p_ledger.parents -> split_part(v_spec ->> 'via', '.', 1) ->> 'relid')::oid;
        v_column := substr(v_spec ->> 'via', strpos(v_spec ->> 'via', '.') + 1);
    ELSE
        v_child := p_ledger.relid;
        v_column := v_spec ->> 'via';
    END IF;
    -- Every table holding those rows, each on its own (an inheritance child inherits no
    -- foreign key; a partition has its clone of the partitioned table's): a foreign key from
    -- the column to the parent's key, enforced (PostgreSQL 18 has NOT ENFORCED), its triggers
    -- (the partition's, and those of the constraints it was cloned from: the referenced
    -- side's) enabled. That refuses a DELETE, or a change of the key, of a parent row under
    -- which rows are, or makes it cascade as writes to them. A guard needs more
    -- (p_guard): validated (a ledger row written before it may point to no row), not
    -- deferrable (checked at each statement's end, where the guard reads), and NO ACTION or
    -- RESTRICT both ways (a cascade writes the ledger from a statement on the parent).
    FOR v_leaf IN
        WITH RECURSIVE tree AS (
            SELECT v_child AS relid
            UNION
            SELECT i.inhrelid FROM tree JOIN pg_catalog.pg_inherits AS i ON i.inhparent = tree.relid
        )
        SELECT t.relid FROM tree AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.relid
        WHERE c.relkind <> 'p' ORDER BY t.relid
    LOOP
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_constraint AS k
            WHERE k.contype = 'f' AND k.conrelid = v_leaf AND k.confrelid = v_parent
              AND k.conkey = ARRAY[(SELECT a.attnum FROM pg_catalog.pg_attribute AS a
                                    WHERE a.attrelid = v_leaf AND a.attname = v_column
                                      AND NOT a.attisdropped)]
              AND k.confkey = ARRAY[(SELECT a.attnum FROM pg_catalog.pg_attribute AS a
                                     WHERE a.attrelid = v_parent
                                       AND a.attname = v_spec ->> 'key')]
              AND to_jsonb(k) ->> 'conenforced' IS DISTINCT FROM 'false'
              AND (NOT p_guard OR (k.convalidated AND NOT k.condeferrable
                                   AND k.confupdtype IN ('a', 'r')
                                   AND k.confdeltype IN ('a', 'r')))
              AND NOT EXISTS (
                  WITH RECURSIVE up AS (
                      SELECT k.oid
                      UNION
                      SELECT c.conparentid
                      FROM up JOIN pg_catalog.pg_constraint AS c ON c.oid = up.oid
                      WHERE c.conparentid <> 0
                  )
                  SELECT FROM pg_catalog.pg_trigger AS t
                  WHERE t.tgconstraint IN (SELECT up.oid FROM up)
                    AND t.tgenabled NOT IN ('O', 'A'))
        ) THEN
            RETURN v_leaf::regclass::text;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION parent_foreign_key(p_ledger _recon.ledger_source, p_alias text, p_guard boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.parent_foreign_key(p_ledger _recon.ledger_source, p_alias text, p_guard boolean) IS 'The foreign key a parent link needs, looked up for incremental mode (_recon.incremental_parents) and for the guards (_recon.require_guard_shape, p_guard): NULL when every table holding the rows that reach parent p_alias (the ledger''s, or another parent''s; each partition and inheritance child) has a foreign key from the "via" column to the parent''s key, enforced, its triggers enabled, and for a guard also validated, not deferrable and NO ACTION or RESTRICT on delete and update; else the first table without one.';

--
-- Name: posting_hour(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.posting_hour(p_posted_at text) RETURNS timestamp without time zone
    LANGUAGE sql STABLE STRICT
    SET "TimeZone" TO 'UTC'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT date_trunc('hour', p_posted_at::timestamptz AT TIME ZONE 'UTC');
$$;

--
-- Name: FUNCTION posting_hour(p_posted_at text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.posting_hour(p_posted_at text) IS 'The hour (UTC, as a timestamp) of a finding''s details.posted_at, for reconcile''s one-hour pattern rule: the same under every session TimeZone. Text with an offset is that instant; text without one is read as UTC wall time.';

--
-- Name: qualify_tables(jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.qualify_tables(p_options jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    v_result jsonb := p_options;
    v_path text[];
BEGIN
    IF pg_catalog.jsonb_typeof(p_options) IS DISTINCT FROM 'object' THEN
        RETURN p_options;  -- _recon.check_options reports it
    END IF;
    FOREACH v_path SLICE 1 IN ARRAY ARRAY[
        ARRAY['table', ''], ARRAY['owner_table', ''], ARRAY['status_table', ''],
        ARRAY['stored', 'table'], ARRAY['expected', 'table']
    ] LOOP
        v_path := pg_catalog.array_remove(v_path, '');
        IF pg_catalog.jsonb_typeof(p_options #> v_path) = 'string' THEN
            v_result := pg_catalog.jsonb_set(v_result, v_path, pg_catalog.to_jsonb((
                SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
                FROM pg_catalog.pg_class AS c
                JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                WHERE c.oid = _recon.resolve_table(p_options #>> v_path)
            )));
        END IF;
    END LOOP;
    RETURN v_result;
END;
$$;

--
-- Name: FUNCTION qualify_tables(p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.qualify_tables(p_options jsonb) IS 'Replaces the table names in a check''s options ("table", "owner_table", "status_table", "stored.table", "expected.table") with schema-qualified names resolved on the caller''s search_path (RC101 for an unknown table). Pins no path, so that the caller''s path applies; every name in it is qualified.';

--
-- Name: rebuild_discrepancies(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.rebuild_discrepancies() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_sql text;
BEGIN
    SELECT string_agg(format(
        'SELECT d.check_name, d.wallet_key, d.stored, d.expected, d.difference, d.details '
        || 'FROM recon.%I AS d', c.view_name), E'\nUNION ALL\n' ORDER BY c.name)
    INTO v_sql
    FROM _recon.check_def AS c WHERE c.enabled;
    EXECUTE 'CREATE OR REPLACE VIEW recon.discrepancies AS ' || COALESCE(v_sql,
        'SELECT NULL::text AS check_name, NULL::text AS wallet_key, NULL::numeric AS stored, '
        || 'NULL::numeric AS expected, NULL::numeric AS difference, NULL::jsonb AS details '
        || 'WHERE FALSE');
END;
$$;

--
-- Name: FUNCTION rebuild_discrepancies(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.rebuild_discrepancies() IS 'Re-creates recon.discrepancies as the UNION ALL of the views of all enabled checks (an empty view when there are none). Called by register_check, enable_check, disable_check, drop_check.';

--
-- Name: recheck_sql(_recon.check_def); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.recheck_sql(p_check _recon.check_def) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_key_type regtype;
    v_cols integer;
    v_sums text;
    v_inner text;
BEGIN
    IF p_check.kind = 'balance' THEN
        -- The ledger aggregated for these wallets only (an index on its wallet column serves it),
        -- judged by the same SQL as the check's view.
        v_ledger := _recon.ledger(p_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        v_key_type := _recon.column_type(v_wallet.relid, v_wallet.key_column);
        v_cols := cardinality(_recon.balance_columns(p_check.options));
        SELECT string_agg(', t.s' || i, '' ORDER BY i) INTO v_sums
        FROM generate_series(1, v_cols) AS i;
        v_inner := _recon.balance_findings_sql(p_check.name, p_check.options, format(
            '(WITH t AS (%1$s) SELECT r.k, t.n, t.n_amount, t.n_bad%2$s '
            || 'FROM (SELECT DISTINCT k FROM unnest($1::%3$s[]) AS k) AS r '
            || 'LEFT JOIN t ON t.k = r.k) AS e',
            _recon.balance_agg_sql(p_check.options, format('l.wallet = ANY ($1::%s[])',
                                                           v_key_type)),
            v_sums, v_key_type), 'LEFT');
        -- a key that is neither a wallet nor in the ledger is nothing to report
        v_inner := format('SELECT f.* FROM (%s) AS f WHERE NOT (f.details ->> %L = %L '
                          || 'AND (f.details ->> %L)::bigint = 0)',
                          v_inner, 'cause', 'unknown_wallet', 'entries');
    ELSE
        -- findings of no wallet (a journal, a total) are rechecked whole
        v_inner := format('SELECT f.* FROM recon.%I AS f '
                          || 'WHERE f.wallet_key = ANY ($1) OR f.wallet_key IS NULL',
                          p_check.view_name);
    END IF;
    RETURN format('SELECT g.check_name, g.wallet_key, g.stored, g.expected, g.difference, '
                  || 'g.details, concat_ws(''/'', COALESCE(g.wallet_key, ''-''), '
                  || 'g.details ->> ''item'') AS finding_key FROM (%s) AS g', v_inner);
END;
$_$;

--
-- Name: FUNCTION recheck_sql(p_check _recon.check_def); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.recheck_sql(p_check _recon.check_def) IS 'A query of a check''s findings now, for the wallet keys in $1 (text[]) only, with each finding''s key: a balance check aggregates only those wallets'' entries; other kinds filter their view (keeping the findings of no wallet: journals, totals). recon.fix() runs it under the wallet locks, before and after repairing.';

--
-- Name: recompile_checks(text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.recompile_checks(p_kinds text[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_check _recon.check_def;
    v_sql text;
    v_done integer := 0;
BEGIN
    -- A check's view is its query compiled at registration: a compiler that changes (a rule
    -- of what a duplicate or an orphan is) reaches the checks registered before only this way.
    -- Same columns, so recon.discrepancies and the view's grants and comment stay; a changed
    -- query also sends the next incremental run back to a full one (its md5 changes).
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   JOIN _recon.check_kind AS k ON k.kind = c.kind
                   WHERE c.kind = ANY (p_kinds) AND NOT k.user_query ORDER BY c.name LOOP
        BEGIN
            v_sql := _recon.compile_check(_recon.kind(v_check.kind), v_check.name,
                                          v_check.options);
        EXCEPTION WHEN OTHERS THEN
            -- a check whose tables changed under it since: said, and left as it was
            RAISE WARNING 'wallet-recon: check % was not compiled again: %', v_check.name, SQLERRM
                USING HINT = 'Drop it and register it again (recon.drop_check, '
                             || 'recon.register_check).';
            CONTINUE;
        END;
        IF v_sql IS DISTINCT FROM v_check.compiled_sql THEN
            BEGIN
                EXECUTE format('CREATE OR REPLACE VIEW recon.%I AS %s', v_check.view_name, v_sql);
            EXCEPTION WHEN OTHERS THEN
                -- a view that cannot be replaced (its columns changed, an object of yours
                -- depends on it): said, and left as it was, so that an upgrade goes on
                RAISE WARNING 'wallet-recon: the view of check % was not replaced: %',
                    v_check.name, SQLERRM
                    USING HINT = 'Drop the check and register it again (recon.drop_check, '
                                 || 'recon.register_check).';
                CONTINUE;
            END;
            UPDATE _recon.check_def AS c SET compiled_sql = v_sql WHERE c.name = v_check.name;
            v_done := v_done + 1;
        END IF;
    END LOOP;
    RETURN v_done;
END;
$$;

--
-- Name: FUNCTION recompile_checks(p_kinds text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.recompile_checks(p_kinds text[]) IS 'Compiles the registered checks of the given kinds again with their kinds'' compilers (_recon.check_kind; a custom query is never compiled again) and replaces the views whose query changed (same columns); returns how many. A check that no longer compiles is left as it was, with a WARNING, and so is a view that cannot be replaced. Run by every upgrade that applied anything of the repeatable layer (migrator/core.py), for every kind, and safe to run at any time.';

--
-- Name: require_column(_recon.ledger_source, name, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.require_column(p_ledger _recon.ledger_source, p_column name, p_option text, p_kind text) RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_column IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('a %s check needs ledger %s to have a %s column', p_kind,
                            p_ledger.name, replace(p_option, '_', ' ')),
            format('Ledger source %s was registered without "%s".', p_ledger.name, p_option),
            format('Drop and re-register the ledger source with {"%s": "<column>"}.', p_option)
        );
    END IF;
    RETURN p_column;
END;
$$;

--
-- Name: FUNCTION require_column(p_ledger _recon.ledger_source, p_column name, p_option text, p_kind text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.require_column(p_ledger _recon.ledger_source, p_column name, p_option text, p_kind text) IS 'Returns the ledger column if registered; RC106 naming the missing option otherwise.';

--
-- Name: require_guard_shape(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.require_guard_shape(p_ledger _recon.ledger_source, p_kind text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_legs boolean := p_ledger.parents IS NOT NULL OR p_ledger.kinds IS NOT NULL;
    v_why text;
    -- the first parent (and the table) whose "via" column has no foreign key to its key that
    -- keeps every ledger row's parent in place (_recon.parent_foreign_key: enforced, its
    -- triggers enabled, validated, checked at once (not deferrable), no cascade)
    v_missing text;
    v_table text;
    v_hint text := 'Checks read every shape; docs/GUARDS.md "Ledger shapes" says which guard '
                   || 'reads which. Reconcile on a schedule instead (recon.schedule_reconcile)'
                   || '.';
BEGIN
    SELECT p.key, x.t INTO v_missing, v_table
    FROM jsonb_each(p_ledger.parents) AS p
    CROSS JOIN LATERAL (SELECT _recon.parent_foreign_key(p_ledger, p.key, TRUE) AS t) AS x
    WHERE x.t IS NOT NULL
    ORDER BY (p.value ->> 'order')::integer LIMIT 1;
    IF v_missing IS NOT NULL THEN
        v_hint := v_hint || ' Or add the foreign key (or validate it, or enable its triggers).';
    END IF;
    -- The drift guard reads entries and transfer rows, filtered or not, and through the legs
    -- relation (statement triggers on the ledger and its parent tables) effects keyed on
    -- several columns and parent rows. The double-entry guard reads what the journal check
    -- reads (guard_compile refuses an operation ledger, as the check does), the journals
    -- under a parent row written too. The lifecycle guard reads the raw table: the plain
    -- shape only.
    v_why := CASE
        WHEN p_ledger.shape NOT IN ('entries', 'transfer')
            THEN format('its rows are %s rows', p_ledger.shape)
        WHEN p_ledger.amount_scale IS NOT NULL OR EXISTS (
                SELECT FROM _recon.wallet_source AS w
                WHERE w.name = p_ledger.wallet_source AND w.balance_scale IS NOT NULL)
            THEN 'its amounts or its wallets'' balances are minor units with a scale, which '
                 || 'guards do not read yet (docs/CHECKS.md "Minor units")'
        WHEN p_kind = 'lifecycle' THEN CASE
            WHEN p_ledger.shape <> 'entries' THEN format('its rows are %s rows', p_ledger.shape)
            WHEN p_ledger.filters IS NOT NULL THEN 'it counts only the rows its filters keep'
            WHEN p_ledger.parents IS NOT NULL THEN 'it reads parent rows'
            WHEN p_ledger.kinds IS NOT NULL THEN 'its effects are keyed on several columns'
            WHEN p_ledger.after_columns IS NOT NULL THEN 'it has a running balance per column'
        END
        WHEN p_kind = 'drift' AND v_legs AND EXISTS (
                SELECT FROM jsonb_each(p_ledger.parents) AS p
                WHERE (p.value ->> 'relid')::oid = p_ledger.relid)
            THEN 'a parent of its rows is a row of the ledger table itself'
        WHEN EXISTS (
                SELECT FROM jsonb_each(p_ledger.parents) AS p
                JOIN pg_catalog.pg_class AS c ON c.oid = (p.value ->> 'relid')::oid
                WHERE c.relkind <> 'p' AND EXISTS (
                    SELECT FROM pg_catalog.pg_inherits AS i WHERE i.inhparent = c.oid))
            THEN 'a parent table has inheritance children (their rows may have columns of '
                 || 'their own, which the guard cannot put back as they were)'
        WHEN p_kind IN ('drift', 'double_entry') AND v_missing IS NOT NULL
            THEN format('parent %s has no foreign key from %s (%s) to %s (%s) (enforced, its '
                        || 'triggers enabled, validated, not deferrable, without ON DELETE or '
                        || 'ON UPDATE actions): without one a ledger row may point to a parent '
                        || 'row that is not there yet, or is written concurrently, which no '
                        || 'guard statement would read', v_missing, v_table,
                        substr(p_ledger.parents -> v_missing ->> 'via',
                               strpos(p_ledger.parents -> v_missing ->> 'via', '.') + 1),
                        (p_ledger.parents -> v_missing ->> 'relid')::oid::regclass,
                        p_ledger.parents -> v_missing ->> 'key')
        WHEN p_kind = 'drift' AND v_legs AND EXISTS (
                SELECT FROM pg_catalog.pg_class AS c
                WHERE c.oid = p_ledger.relid AND c.relkind NOT IN ('r', 'p'))
            THEN 'its effects are read through its legs (keyed on several columns, or '
                 || 'reading parent rows) and it is a view: register the source on the table'
    END;
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC406', format('a %s guard cannot be set on ledger source %s: %s', p_kind,
                            p_ledger.name, v_why),
            format('Ledger source %s reads %s with shape %s%s%s%s.', p_ledger.name,
                   p_ledger.relid::regclass, p_ledger.shape,
                   CASE WHEN p_ledger.parents IS NOT NULL
                        THEN ', parents ' || p_ledger.parents::text ELSE '' END,
                   CASE WHEN p_ledger.filters IS NOT NULL
                        THEN ', filters ' || p_ledger.filters::text ELSE '' END,
                   CASE WHEN p_ledger.kinds IS NOT NULL
                        THEN ', effects keyed on ' || (p_ledger.kinds -> 'keys')::text
                        ELSE '' END),
            v_hint);
    END IF;
END;
$$;

--
-- Name: FUNCTION require_guard_shape(p_ledger _recon.ledger_source, p_kind text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.require_guard_shape(p_ledger _recon.ledger_source, p_kind text) IS 'Fails with RC406 when a guard of kind p_kind (drift, double_entry, lifecycle) cannot read the ledger source''s shape, saying why: a custom shape; amounts or balances of minor units (a scale); a parent table with inheritance children; for the drift and double-entry guards a parent without a foreign key from its "via" column to its key on every table holding the rows (_recon.parent_foreign_key: enforced, its triggers enabled, validated, not deferrable, no ON DELETE / ON UPDATE action); for the lifecycle guard anything but a plain one-sided ledger; for a drift guard reading the legs (effects keyed on several columns, parent rows) a parent on the ledger table itself, or a view.';

--
-- Name: resolve_column(oid, text, text, boolean); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.resolve_column(p_relid oid, p_column text, p_role text, p_numeric boolean DEFAULT false) RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_type oid;
BEGIN
    SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid) INTO v_type
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC102',
            format('unknown column %L for %s in %s', p_column, p_role, p_relid::regclass),
            format('%s has columns: %s.', p_relid::regclass, (
                SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = p_relid AND a.attnum > 0 AND NOT a.attisdropped
            )),
            'Column names are case-sensitive here: give them exactly as stored, without quotes.'
        );
    END IF;
    IF p_numeric AND v_type NOT IN (
        'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
        'numeric'::regtype, 'float4'::regtype, 'float8'::regtype
    ) THEN
        PERFORM _recon.fail(
            'RC103',
            format('column %I of %s (%s) is not numeric', p_column, p_relid::regclass, p_role),
            format('Its type is %s.', v_type::regtype),
            'Amounts and balances must be smallint, integer, bigint, numeric, real or '
            || 'double precision (or a domain over one).'
        );
    END IF;
    RETURN p_column::name;
END;
$$;

--
-- Name: FUNCTION resolve_column(p_relid oid, p_column text, p_role text, p_numeric boolean); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.resolve_column(p_relid oid, p_column text, p_role text, p_numeric boolean) IS 'Returns the column name if the table has it (RC102 otherwise) and, when asked, if it is numeric (RC103 otherwise). p_role names its use in the error message.';

--
-- Name: resolve_table(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.resolve_table(p_table text) RETURNS oid
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    v_relid oid;
BEGIN
    BEGIN
        v_relid := pg_catalog.to_regclass(p_table);
    EXCEPTION WHEN OTHERS THEN  -- a malformed name (too many dots, bad quoting): not a table
        v_relid := NULL;
    END;
    IF v_relid IS NULL
        OR NOT EXISTS (
            SELECT FROM pg_catalog.pg_class AS c
            WHERE c.oid = v_relid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        ) THEN
        PERFORM _recon.fail(
            'RC101', pg_catalog.format('unknown table %L', p_table),
            'No table, view or materialized view of that name is visible on the search_path.',
            'Give the name as psql shows it in \dt, schema-qualified if need be '
            || '(e.g. public.wallet_account); quote mixed-case names ("Wallets").'
        );
    END IF;
    RETURN v_relid;
END;
$$;

--
-- Name: FUNCTION resolve_table(p_table text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.resolve_table(p_table text) IS 'Resolves a table name to its oid on the caller''s search_path, as psql would read it (so it pins no search_path itself; every name in it is qualified); RC101 when there is no such table.';

--
-- Name: reversal_reference(text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.reversal_reference(p_ledger text, p_entry text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- A string column (text, varchar, char, citext, a domain over one) long enough for it:
    -- varchar(n) and char(n) keep their length in typmod + 4. A uuid, a number, a short
    -- varchar: NULL, and the writer's reference template is used instead (docs/REPAIRS.md).
    SELECT 'REV-' || p_entry
    FROM _recon.ledger_source AS l
    JOIN pg_catalog.pg_attribute AS a
        ON a.attrelid = l.relid AND a.attname = l.reference_column AND a.attnum > 0
           AND NOT a.attisdropped
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    JOIN pg_catalog.pg_type AS b ON b.oid = COALESCE(NULLIF(t.typbasetype, 0), t.oid)
    WHERE l.name = p_ledger AND b.typcategory = 'S'
      AND (CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END < 4
           OR length('REV-' || p_entry)
              <= (CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END) - 4);
$$;

--
-- Name: FUNCTION reversal_reference(p_ledger text, p_entry text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.reversal_reference(p_ledger text, p_entry text) IS 'The reference of the entry reversing p_entry in ledger p_ledger: REV-<entry id> when the ledger''s reference column is a string type long enough to hold it, else NULL (the posting then takes the writer''s reference template, as adjustments do). Either way the toolkit records the reversal in _recon.reversal, which the duplicate and orphan checks read.';

--
-- Name: rule_effect(_recon.ledger_source, text, numeric); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.rule_effect(p_ledger _recon.ledger_source, p_label text, p_amount numeric) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(jsonb_object_agg(e.key, (l.value::numeric) * p_amount ORDER BY e.key), '{}')
    FROM jsonb_each(p_ledger.effects) AS e
    CROSS JOIN LATERAL jsonb_each_text(e.value) AS l
    WHERE l.key = p_label AND l.value::numeric <> 0;
$$;

--
-- Name: FUNCTION rule_effect(p_ledger _recon.ledger_source, p_label text, p_amount numeric); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.rule_effect(p_ledger _recon.ledger_source, p_label text, p_amount numeric) IS '{balance column: delta} an entry of kind p_label (a direction, operation type or rule label) and amount p_amount moves (its registered effects times the amount; {} for no kind, an unmapped entry). _recon.writer_rule_entry.';

--
-- Name: run_amounts(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.run_amounts(p_run bigint) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER COST 10000
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    WITH o AS (
        SELECT f.check_name, ob.currency, ob.severity, ob.difference,
               ob.explained_by IS NOT NULL AS explained
        FROM _recon.observation AS ob
        JOIN _recon.finding AS f ON f.id = ob.finding_id
        WHERE ob.run_id = p_run
    ), cur AS (
        -- Decimal places per currency: its minor units, or more where its amounts have more
        -- (never rounded); a currency with no minor units listed, as many as its amounts have.
        SELECT o.currency, max(u.minor_units) AS minor_units,
               GREATEST(max(u.minor_units), max(scale(o.difference)), 0) AS places,
               count(*) AS findings, count(*) FILTER (WHERE o.explained) AS explained,
               COALESCE(sum(abs(o.difference)) FILTER (WHERE NOT o.explained), 0) AS amount,
               max(array_position(ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'], o.severity))
                   AS max_rank
        FROM o
        LEFT JOIN _recon.currency_unit AS u ON u.currency = o.currency
        GROUP BY o.currency
    ), sev AS (
        SELECT o.currency, o.severity, count(*) AS findings,
               count(*) FILTER (WHERE o.explained) AS explained,
               COALESCE(sum(abs(o.difference)) FILTER (WHERE NOT o.explained), 0) AS amount
        FROM o GROUP BY o.currency, o.severity
    ), chk AS (
        SELECT o.check_name, o.currency, count(*) AS findings,
               count(*) FILTER (WHERE o.explained) AS explained,
               COALESCE(sum(abs(o.difference)), 0) AS amount
        FROM o GROUP BY o.check_name, o.currency
    )
    SELECT jsonb_build_object(
        'by_currency', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                'currency', c.currency,
                'minor_units', c.minor_units,
                'findings', c.findings,
                'explained', c.explained,
                'amount', round(c.amount, c.places),
                'max_severity', (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[c.max_rank],
                'by_severity', (
                    SELECT jsonb_object_agg(s.severity, jsonb_build_object(
                        'findings', s.findings, 'explained', s.explained,
                        'amount', round(s.amount, c.places)))
                    FROM sev AS s WHERE s.currency IS NOT DISTINCT FROM c.currency))
                ORDER BY c.currency NULLS LAST)
            FROM cur AS c), '[]'::jsonb),
        'by_check', COALESCE((
            SELECT jsonb_object_agg(k.check_name, k.amounts)
            FROM (SELECT h.check_name, jsonb_agg(jsonb_build_object(
                             'currency', h.currency, 'findings', h.findings,
                             'explained', h.explained, 'amount', round(h.amount, c.places))
                             ORDER BY h.currency NULLS LAST) AS amounts
                  FROM chk AS h
                  JOIN cur AS c ON c.currency IS NOT DISTINCT FROM h.currency
                  GROUP BY h.check_name) AS k), '{}'::jsonb));
$$;

--
-- Name: FUNCTION run_amounts(p_run bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.run_amounts(p_run bigint) IS 'A run''s amounts, never added across currencies, from what it saw (_recon.observation): {"by_currency": [{currency (null: unknown, a bucket of its own), minor_units, findings, explained, amount, max_severity, by_severity: {severity: {findings, explained, amount}}}], "by_check": {check: [{currency, findings, explained, amount}]}}. amount is the sum of abs(difference); in by_currency a finding explained by another (explained_by: the same money) is counted there and skipped here, in by_check each check''s own findings all count. Amounts of a currency have one scale: its minor units (_recon.currency_unit), or more where its amounts have more; never rounded. recon.reconcile() puts it in its summary; recon.runs shows by_currency.';

--
-- Name: run_checks(text[], text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.run_checks(p_checks text[], p_mode text) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_unknown text;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('full', 'incremental') THEN
        PERFORM _recon.fail('RC201', format('unknown reconcile mode %L', p_mode),
                            'Modes: full, incremental.',
                            'recon.reconcile() runs every enabled check in full.');
    END IF;
    IF p_checks IS NOT NULL THEN
        SELECT string_agg(COALESCE(quote_literal(n), 'NULL'), ', ') INTO v_unknown
        FROM unnest(p_checks) AS n
        WHERE n IS NULL OR NOT EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = n);
        IF v_unknown IS NOT NULL OR cardinality(p_checks) = 0 THEN
            PERFORM _recon.fail('RC202', format('unknown check %s',
                                                COALESCE(v_unknown, '(none named)')),
                                'Only registered checks can be run.',
                                'SELECT name FROM recon.checks; lists them; pass NULL for all.');
        END IF;
    END IF;
    RETURN ARRAY(SELECT c.name FROM _recon.check_def AS c
                 WHERE (p_checks IS NULL AND c.enabled) OR c.name = ANY (p_checks)
                 ORDER BY c.name);
END;
$$;

--
-- Name: FUNCTION run_checks(p_checks text[], p_mode text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.run_checks(p_checks text[], p_mode text) IS 'The checks a reconcile of p_checks (NULL: every enabled check) in mode p_mode runs, in name order. Errors: RC201 unknown mode, RC202 unknown check.';

--
-- Name: run_lock_key(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.run_lock_key(p_run bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN hashtextextended(('wallet-recon run '::text || (p_run)::text), (0)::bigint);

--
-- Name: FUNCTION run_lock_key(p_run bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.run_lock_key(p_run bigint) IS 'The key of the session-level advisory lock recon.start_run() takes for a run: held while the backend that runs it lives, so a run whose lock is free never finished (interrupted).';

--
-- Name: run_lock_owner(bigint); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.run_lock_owner(p_run bigint) RETURNS integer
    LANGUAGE sql STABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT l.pid
    FROM pg_locks l
   WHERE ((l.locktype = 'advisory'::text) AND l.granted AND (l.objsubid = 1) AND (l.classid = ((((_recon.run_lock_key(run_lock_owner.p_run) >> 32) & '4294967295'::bigint))::text)::oid) AND (l.objid = (((_recon.run_lock_key(run_lock_owner.p_run) & '4294967295'::bigint))::text)::oid))
   ORDER BY l.pid
  LIMIT 1;
END;

--
-- Name: FUNCTION run_lock_owner(p_run bigint); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.run_lock_owner(p_run bigint) IS 'The pid of the backend holding the advisory lock of run p_run (recon.start_run() takes it), or NULL: then no live session is running it.';

--
-- Name: same_key_type(oid, name, oid, name); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.same_key_type(p_relid oid, p_column name, p_other_relid oid, p_other_column name) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_a regtype := _recon.column_type(p_relid, p_column);
    v_b regtype := _recon.column_type(p_other_relid, p_other_column);
    v_ints regtype[] := ARRAY['int2', 'int4', 'int8']::regtype[];
BEGIN
    IF v_a = v_b OR (v_a = ANY (v_ints) AND v_b = ANY (v_ints)) THEN
        RETURN;
    END IF;
    PERFORM _recon.fail(
        'RC108',
        format('%s.%I (%s) and %s.%I (%s) cannot be joined',
               p_relid::regclass, p_column, v_a, p_other_relid::regclass, p_other_column, v_b),
        'Keys are compared with =, so both columns must have the same type '
        || '(any two integer types are fine).',
        'Register the columns that really hold the same key, or make their types match.'
    );
END;
$$;

--
-- Name: FUNCTION same_key_type(p_relid oid, p_column name, p_other_relid oid, p_other_column name); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.same_key_type(p_relid oid, p_column name, p_other_relid oid, p_other_column name) IS 'Raises RC108 unless the two columns have the same base type (or are both integers).';

--
-- Name: scale_option(oid, jsonb, text, name[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.scale_option(p_relid oid, p_scale jsonb, p_what text, p_columns name[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_hint constant text := 'E.g. {"scale": 2} (cents), {"scale": {"multiplier": 100}}, or per '
        || 'row {"scale": {"column": "precision", "as": "multiplier"}} or {"scale": {"column": '
        || '"decimals", "as": "places"}} (docs/CHECKS.md "Minor units").';
    v_spec jsonb := p_scale;
    v_result jsonb;
    v_number numeric;
    v_col name;
    v_type regtype;
    v_typmod integer;
BEGIN
    IF p_scale IS NULL THEN
        RETURN NULL;
    END IF;
    -- 1. The form: a number of places, {"places": n}, {"multiplier": m}, or a column of the
    --    table and how to read it.
    IF jsonb_typeof(v_spec) = 'number' THEN
        v_spec := jsonb_build_object('places', v_spec);
    END IF;
    IF jsonb_typeof(v_spec) <> 'object'
       OR (SELECT count(*) FROM jsonb_object_keys(v_spec) AS k
           WHERE k IN ('places', 'multiplier', 'column')) <> 1
       OR EXISTS (SELECT FROM jsonb_object_keys(v_spec) AS k
                  WHERE k NOT IN ('places', 'multiplier', 'column', 'as'))
       OR (v_spec ? 'as') <> (v_spec ? 'column') THEN
        PERFORM _recon.fail(
            'RC115', format('bad "scale" for %s', p_what),
            format('Got %s: give a number of decimal places, {"places": n}, {"multiplier": m}, '
                   || 'or {"column": c, "as": "places" or "multiplier"}.', p_scale),
            v_hint);
    END IF;
    IF v_spec ? 'column' THEN
        IF jsonb_typeof(v_spec -> 'column') <> 'string'
           OR v_spec ->> 'as' IS NULL OR v_spec ->> 'as' NOT IN ('places', 'multiplier') THEN
            PERFORM _recon.fail(
                'RC115', format('bad "scale" for %s', p_what),
                format('Got %s: "column" names a column, "as" is "places" (decimal places, 2 for '
                       || 'cents) or "multiplier" (units per major unit, 100 for cents).',
                       p_scale),
                v_hint);
        END IF;
        v_col := _recon.resolve_column(p_relid, v_spec ->> 'column', 'the scale');
        v_type := _recon.column_type(p_relid, v_col);
        IF v_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
            PERFORM _recon.fail(
                'RC115', format('the scale column %I of %s is not of an integer type', v_col,
                                p_relid::regclass),
                format('It is %s; the scale of %s is read from it per row (%s).', v_type,
                       p_what, v_spec ->> 'as'),
                'Name a smallint, integer or bigint column, or a fixed scale such as '
                || '{"scale": 2}.');
        END IF;
        IF v_col = ANY (p_columns) THEN
            PERFORM _recon.fail(
                'RC115', format('the scale column %I of %s is an amount column itself', v_col,
                                p_relid::regclass),
                format('%s reads %s.', p_what, array_to_string(p_columns, ', ')),
                'Name the column holding the precision or decimal places.');
        END IF;
        v_result := jsonb_build_object('column', v_col, 'as', v_spec ->> 'as');
    ELSE
        IF jsonb_typeof(COALESCE(v_spec -> 'places', v_spec -> 'multiplier')) = 'number' THEN
            v_number := COALESCE(v_spec -> 'places', v_spec -> 'multiplier')::text::numeric;
        END IF;
        IF v_spec ? 'places' AND (v_number IS NULL OR v_number <> trunc(v_number)
                                  OR v_number NOT BETWEEN 0 AND 38) THEN
            PERFORM _recon.fail(
                'RC115', format('bad scale for %s: %s decimal places', p_what,
                                v_spec -> 'places'),
                'Decimal places are a whole number from 0 (yen) to 38 (8 for satoshis, 2 for '
                || 'cents).',
                v_hint);
        END IF;
        IF v_spec ? 'multiplier' AND (v_number IS NULL OR v_number < 1
                                      OR v_number::text !~ '^10{0,38}$') THEN
            PERFORM _recon.fail(
                'RC115', format('bad scale for %s: multiplier %s', p_what,
                                v_spec -> 'multiplier'),
                'A multiplier is the number of minor units in a major unit: a power of ten (1, '
                || '10, 100, ...); the checks compare exact decimals.',
                v_hint);
        END IF;
        v_result := jsonb_build_object('places', CASE
            WHEN v_spec ? 'places' THEN v_number::integer
            ELSE length(v_number::text) - 1 END);
    END IF;
    -- 2. Every column it scales holds whole minor units: an integer type, or a numeric without
    --    decimals. A float cannot hold them exactly; a numeric with decimals holds major units.
    FOREACH v_col IN ARRAY p_columns LOOP
        v_type := _recon.column_type(p_relid, v_col);
        SELECT CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END INTO v_typmod
        FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
        WHERE a.attrelid = p_relid AND a.attname = v_col;
        IF v_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
                          'numeric'::regtype)
           OR (v_type = 'numeric'::regtype AND v_typmod >= 4
               AND (((v_typmod - 4) & 2047) # 1024) - 1024 <> 0) THEN
            PERFORM _recon.fail(
                'RC115', format('column %I of %s (%s) cannot take a scale', v_col,
                                p_relid::regclass, format_type(v_type, v_typmod)),
                'A scale reads whole minor units (cents, satoshis): an integer column, or a '
                || 'numeric without decimals.',
                CASE WHEN v_type IN ('real'::regtype, 'double precision'::regtype)
                     THEN 'A float column is registered without "scale", in major units: the '
                          || 'checks read it, their findings say it is a float, and repairs '
                          || 'refuse it (RC320).'
                     ELSE 'Register it without "scale": it holds major units.' END);
        END IF;
    END LOOP;
    RETURN v_result;
END;
$_$;

--
-- Name: FUNCTION scale_option(p_relid oid, p_scale jsonb, p_what text, p_columns name[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.scale_option(p_relid oid, p_scale jsonb, p_what text, p_columns name[]) IS 'Validates a source''s "scale" option against the catalog and returns it normalized: {"places": n} for a number of decimal places (0..38) or a multiplier (a power of ten), {"column": c, "as": "places"|"multiplier"} for a per-row scale read from an integer column of the table; NULL when no scale is given. The scaled columns p_columns must be smallint, integer, bigint or numeric without decimals. RC115 (docs/SQLSTATES.md), RC102 for an unknown column.';

--
-- Name: severity_rank(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.severity_rank(p_severity text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE p_severity WHEN 'LOW' THEN 1 WHEN 'MEDIUM' THEN 2 WHEN 'HIGH' THEN 3
                           WHEN 'CRITICAL' THEN 4 END;
$$;

--
-- Name: FUNCTION severity_rank(p_severity text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.severity_rank(p_severity text) IS 'Orders severities: LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4; NULL for anything else.';

--
-- Name: side_sql(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.side_sql(p_side text, p_spec jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_relid oid;
    v_column name;
    v_where text;
BEGIN
    PERFORM _recon.check_options(
        format('the %s side of a total check', p_side), p_spec,
        ARRAY['table', 'column', 'exclude_column', 'exclude_values'], ARRAY['table', 'column']
    );
    v_relid := _recon.resolve_table(p_spec ->> 'table');
    v_column := _recon.resolve_column(v_relid, p_spec ->> 'column', 'the summed amount', TRUE);
    v_where := _recon.exclude_sql(v_relid, 'x', p_spec);
    RETURN format(
        'SELECT sum(x.%1$I)::numeric AS v, count(*) AS n, count(x.%1$I) AS n_value '
        || 'FROM %2$s AS x WHERE %3$s',
        v_column, v_relid::regclass, v_where
    );
END;
$_$;

--
-- Name: FUNCTION side_sql(p_side text, p_spec jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.side_sql(p_side text, p_spec jsonb) IS 'SQL for one side of a total check: the sum of a column over a table, its row count and non-NULL count, optionally excluding rows (e.g. a system offset account).';

--
-- Name: source_name_free(text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.source_name_free(p_what text, p_name text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM _recon.check_name(p_what, p_name);
    IF EXISTS (SELECT FROM _recon.wallet_source AS w WHERE w.name = p_name)
        OR EXISTS (SELECT FROM _recon.ledger_source AS l WHERE l.name = p_name) THEN
        PERFORM _recon.fail(
            'RC104', format('a source named %L already exists', p_name),
            'Wallet and ledger sources share one namespace.',
            'Pick another name, or recon.drop_source() the old one first.'
        );
    END IF;
    RETURN p_name;
END;
$$;

--
-- Name: FUNCTION source_name_free(p_what text, p_name text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.source_name_free(p_what text, p_name text) IS 'Returns the name if it is valid (RC105) and no wallet or ledger source has it (RC104).';

--
-- Name: stage_currency(bigint, _recon.check_def); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.stage_currency(p_run bigint, p_check _recon.check_def) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_wallet _recon.wallet_source;
    v_keyed boolean;
BEGIN
    -- 1. The check's fixed currency (its currency option), or NULL: unknown.
    UPDATE _recon.run_stage AS s SET currency = p_check.currency
    WHERE s.run_id = p_run AND s.check_name = p_check.name;
    -- 2. A finding naming one wallet of the check's wallet source, when that source has a
    --    currency column: the wallet's own currency, where it has one. An owner key (coverage),
    --    the user's own key (custom) or a finding over several wallets (a duplicate of global
    --    scope across wallets) names no single wallet, and keeps step 1's.
    SELECT k.wallet_keyed INTO v_keyed FROM _recon.check_kind AS k WHERE k.kind = p_check.kind;
    SELECT w.* INTO v_wallet FROM _recon.wallet_source AS w WHERE w.name = p_check.wallet_source;
    IF v_keyed IS TRUE AND v_wallet.currency_column IS NOT NULL THEN
        EXECUTE format(
            'UPDATE _recon.run_stage AS s SET currency = w.%1$I::text FROM %2$s AS w '
            || 'WHERE s.run_id = $1 AND s.check_name = $2 AND s.wallet_key = w.%3$I::text '
            || 'AND w.%1$I IS NOT NULL AND COALESCE(s.details ->> ''wallets'', ''1'') = ''1''',
            v_wallet.currency_column, v_wallet.relid::regclass, v_wallet.key_column
        ) USING p_run, p_check.name;
    END IF;
    -- 3. A finding whose check knew the currency of its amount (details "currency": an
    --    entry's own, from the ledger's currency option through the legs relation) takes it.
    UPDATE _recon.run_stage AS s SET currency = s.details ->> 'currency'
    WHERE s.run_id = p_run AND s.check_name = p_check.name AND s.details ->> 'currency' IS NOT NULL;
END;
$_$;

--
-- Name: FUNCTION stage_currency(p_run bigint, p_check _recon.check_def); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.stage_currency(p_run bigint, p_check _recon.check_def) IS 'Gives each finding a run staged for the check its currency: the wallet''s currency column when the wallet source has one, the finding names one wallet of it (the kind is wallet_keyed in _recon.check_kind) and that wallet''s currency is not NULL; else the check''s currency option; else NULL, meaning unknown (never guessed). The same rule recon.fix() gives a step''s currency by. Above all, the currency the check gave the finding itself (details "currency", e.g. an entry''s own currency in a currency-mismatch finding).';

--
-- Name: stage_labels(bigint, _recon.check_def); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.stage_labels(p_run bigint, p_check _recon.check_def) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_wallet _recon.wallet_source;
BEGIN
    SELECT w.* INTO v_wallet FROM _recon.wallet_source AS w WHERE w.name = p_check.wallet_source;
    IF v_wallet.label_column IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format(
        'UPDATE _recon.run_stage AS s SET details = s.details || jsonb_build_object(''label'', '
        || 'w.%1$I::text) FROM %2$s AS w WHERE s.run_id = $1 AND s.check_name = $2 '
        || 'AND s.wallet_key = w.%3$I::text AND w.%1$I IS NOT NULL AND NOT s.details ? ''label''',
        v_wallet.label_column, v_wallet.relid::regclass, v_wallet.key_column
    ) USING p_run, p_check.name;
END;
$_$;

--
-- Name: FUNCTION stage_labels(p_run bigint, p_check _recon.check_def); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.stage_labels(p_run bigint, p_check _recon.check_def) IS 'Adds to each finding a run staged for the check the label of its wallet (details "label"), when the wallet source names a label column: findings of every kind, the CLI and the HTML report show it beside the key. A balance check''s own SQL already carries it.';

--
-- Name: stored_text(oid, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.stored_text(p_relid oid, p_column text, p_value text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_text text;
BEGIN
    -- a literal of the column's type, as _recon.writer_insert_sql writes it; the legs compare
    -- the column cast to text with a rule's value
    EXECUTE format('SELECT (%L::%s)::text', p_value, _recon.column_type_sql(p_relid, p_column))
    INTO v_text;
    RETURN to_jsonb(v_text);
END;
$$;

--
-- Name: FUNCTION stored_text(p_relid oid, p_column text, p_value text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.stored_text(p_relid oid, p_column text, p_value text) IS 'The text a value reads back as once a column of p_relid stores it (cast to the column''s type, then to text; a JSON string, or JSON null): what an effect rule of the legs relation compares with. _recon.writer_rule_entry.';

--
-- Name: template_sql(text, text, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.template_sql(p_template text, p_what text, p_source text DEFAULT '$1'::text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_known text[] := ARRAY['date', 'ticket', 'reason', 'strategy', 'purpose', 'fix', 'step',
                            'wallet', 'amount', 'reference', 'entry', 'source_id', 'journal',
                            'description', 'check', 'finding', 'ledger', 'owner', 'uuid', 'now'];
    v_parts text[] := '{}'::text[];
    v_rest text := p_template;
    v_match text[];
BEGIN
    IF p_template IS NULL THEN
        PERFORM _recon.fail('RC305', format('template for %s is NULL', p_what),
                            'A writer''s templates are text.', 'E.g. "RECON-{date}-{ticket}".');
    END IF;
    -- literal text, then a {placeholder}, repeatedly
    WHILE v_rest <> '' LOOP
        v_match := regexp_match(v_rest, '^([^{}]*)(\{([a-z_]*)\})?(.*)$');
        IF v_match[1] <> '' THEN
            v_parts := v_parts || quote_literal(v_match[1]);
        END IF;
        IF v_match[2] IS NULL THEN
            IF v_match[4] <> '' THEN
                PERFORM _recon.fail(
                    'RC305', format('stray brace in template %L for %s', p_template, p_what),
                    format('Placeholders: %s, each in braces.', array_to_string(v_known, ', ')),
                    'Braces only enclose a placeholder, e.g. {ticket}.');
            END IF;
            EXIT;
        END IF;
        IF v_match[3] <> ALL (v_known) THEN
            PERFORM _recon.fail(
                'RC305', format('unknown placeholder %s in template for %s', v_match[2], p_what),
                format('Placeholders: %s.', array_to_string(v_known, ', ')),
                'docs/REPAIRS.md describes each placeholder.');
        END IF;
        v_parts := v_parts || CASE v_match[3]
            WHEN 'uuid' THEN 'gen_random_uuid()::text'
            WHEN 'now' THEN 'now()::text'
            ELSE format('(%s ->> %L)', p_source, v_match[3]) END;
        v_rest := v_match[4];
    END LOOP;
    IF cardinality(v_parts) = 0 THEN
        RETURN '''''';
    END IF;
    RETURN '(' || array_to_string(v_parts, ' || ') || ')';
END;
$_$;

--
-- Name: FUNCTION template_sql(p_template text, p_what text, p_source text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.template_sql(p_template text, p_what text, p_source text) IS 'Compiles a writer template (literal text with {placeholders}) to an SQL text expression over p_source (default $1), the posting as JSON; RC305 for an unknown placeholder or a stray brace.';

--
-- Name: tg_append_only(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- trigger arguments: the SQLSTATE, the hint, the message
    RAISE EXCEPTION USING
        ERRCODE = tg_argv[0],
        MESSAGE = tg_argv[2],
        DETAIL = format('%s on %s.%s was rejected.', tg_op, tg_table_schema, tg_table_name),
        HINT = tg_argv[1];
END;
$$;

--
-- Name: FUNCTION tg_append_only(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_append_only() IS 'Trigger function: rejects the UPDATE, DELETE or TRUNCATE it fires on, with the SQLSTATE, hint and message given as its three trigger arguments (the install history: RC001; the repair audit: RC300). One function for every append-only table of the toolkit''s own.';

--
-- Name: tg_guard_append_only(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_append_only() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_guard _recon.guard;
    v_shown bigint;
BEGIN
    -- a ledger that is a simple view: only the rows it shows are entries (argument 2)
    IF tg_level = 'ROW' AND tg_nargs > 1 AND (SELECT c.relkind FROM pg_class AS c
                                              WHERE c.oid = to_regclass(tg_argv[1])) = 'v' THEN
        EXECUTE _recon.view_rows_sql(to_regclass(tg_argv[1]), '(SELECT ($1).*)') USING OLD;
        GET DIAGNOSTICS v_shown = ROW_COUNT;
        IF v_shown = 0 THEN
            RETURN CASE WHEN tg_op = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
    END IF;
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = tg_argv[0]::integer;
    IF FOUND AND NOT _recon.in_audited_fix() AND NOT EXISTS (
        SELECT FROM _recon.ledger_escape AS e
        WHERE e.ledger_source = v_guard.target AND e.txid = pg_current_xact_id()
    ) THEN
        PERFORM _recon.guard_violation(
            v_guard, CASE WHEN tg_level = 'ROW' THEN (to_jsonb(OLD) ->> (
                SELECT COALESCE(l.entry_id_column, l.order_column) FROM _recon.ledger_source AS l
                WHERE l.name = v_guard.target)) END,
            format('%s of a ledger entry (%s)', tg_op, tg_table_name),
            jsonb_build_object('operation', tg_op, 'table', tg_table_schema || '.' || tg_table_name));
    END IF;
    IF tg_op = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$_$;

--
-- Name: FUNCTION tg_guard_append_only(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_append_only() IS 'Trigger function of the append-only guard (arguments: guard id, and the ledger: when it is a simple view, only rows it shows count): UPDATE, DELETE and TRUNCATE of ledger entries are blocked (RC405) or warned about, unless the transaction holds an audited escape (recon.allow_ledger_change) or is an audited recon.fix(). Repairs go through adjustments.';

--
-- Name: tg_guard_check(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_check() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_row _recon.guard_pending;
    v_guard _recon.guard;
    v_message text;
    v_details jsonb;
    v_stored numeric;
    v_expected numeric;
    v_entries bigint;
    v_problem text;
BEGIN
    -- the accumulated row as the transaction left it; removed whatever the verdict
    DELETE FROM _recon.guard_pending AS p
    WHERE p.txid = NEW.txid AND p.guard_id = NEW.guard_id AND p.fix_id = NEW.fix_id
      AND p.item = NEW.item AND p.col = NEW.col
    RETURNING p.* INTO v_row;
    IF NOT FOUND OR v_row.fix_id <> 0 THEN
        -- gone, or written by an audited recon.fix() statement (verified by the fix itself)
        RETURN NULL;
    END IF;
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = v_row.guard_id;
    IF NOT FOUND THEN
        RETURN NULL;  -- disabled meanwhile
    END IF;
    IF v_guard.kind = 'drift' THEN
        -- a drift guard enabled before migration 0006 (statement triggers staging here); those
        -- enabled since are checked by _recon.tg_guard_drift_check()
        IF v_row.stored = 'NaN' OR v_row.ledger = 'NaN'
            OR abs(v_row.stored - v_row.ledger) > v_guard.tolerance THEN
            v_message := format('wallet %s: %s moved by %s, its ledger entries by %s',
                                v_row.item, v_row.col, v_row.stored, v_row.ledger);
            v_details := jsonb_build_object(
                'wallet', v_row.item, 'column', v_row.col, 'stored_change', v_row.stored,
                'ledger_change', v_row.ledger, 'difference', v_row.stored - v_row.ledger);
        END IF;
    ELSIF v_guard.kind = 'double_entry' THEN
        EXECUTE v_guard.compiled -> 'sql' ->> 'check' INTO v_stored, v_entries USING v_row.item;
        IF v_stored = 'NaN' OR abs(v_stored) > v_guard.tolerance THEN
            v_message := format('journal %s: its %s entries do not balance (credits - debits = %s)',
                                v_row.item, v_entries, v_stored);
            v_details := jsonb_build_object('journal', v_row.item, 'entries', v_entries,
                                            'imbalance', v_stored);
        END IF;
    ELSIF v_guard.kind = 'lifecycle' THEN
        EXECUTE v_guard.compiled -> 'sql' ->> 'check' INTO v_problem USING v_row.item;
        IF v_problem IS NOT NULL THEN
            v_message := format('transaction %s: %s', v_row.item, v_problem);
            v_details := jsonb_build_object('transaction', v_row.item, 'problem', v_problem);
        END IF;
    ELSIF v_guard.kind = 'derived' THEN
        EXECUTE v_guard.compiled -> 'sql' ->> 'check' INTO v_stored, v_expected USING v_row.item;
        IF FOUND AND (v_stored IS NULL OR v_stored = 'NaN' OR v_expected = 'NaN'
                      OR abs(v_stored - v_expected) > v_guard.tolerance) THEN
            v_message := format('wallet %s: %s is %s, expected %s', v_row.item,
                                v_guard.compiled -> 'sql' ->> 'column', v_stored, v_expected);
            v_details := jsonb_build_object('wallet', v_row.item, 'stored', v_stored,
                                            'expected', v_expected,
                                            'difference', v_stored - v_expected);
        END IF;
    END IF;
    IF v_message IS NOT NULL THEN
        PERFORM _recon.guard_violation(v_guard, v_row.item, v_message, v_details);
    END IF;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION tg_guard_check(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_check() IS 'Deferred (commit-time) check of one item a guarded transaction touched: a wallet''s stored change against its ledger effects (drift), a journal''s balance (double_entry), a hold''s resolutions (lifecycle), a wallet''s derived value (derived). A violation blocks or warns (_recon.guard_violation). Its cost depends on the transaction, never on a wallet''s history.';

--
-- Name: tg_guard_drift_begin(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_drift_begin() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    -- wallet_recon.drift_<guard>_stmt: "open,mixed,ledger,parent,reported" (see
    -- _recon.guard_drift_window); open: the guard's statements begun and not ended yet
    v_setting text := 'wallet_recon.drift_' || tg_argv[0] || '_stmt';
    v_state text[] := string_to_array(
        COALESCE(NULLIF(current_setting(v_setting, TRUE), ''), '0,0,0,0,0'), ',');
BEGIN
    -- Runs as the writer, on nothing but the setting. A statement that begins while another
    -- one of the guard's is open (a data-modifying WITH, a statement run by a trigger from one
    -- of them) makes the window "mixed": their AFTER triggers both read the tables as the
    -- last of them left them.
    PERFORM set_config(v_setting, concat_ws(',', v_state[1]::integer + 1,
                                            CASE WHEN v_state[1]::integer > 0 THEN '1'
                                                 ELSE v_state[2] END,
                                            v_state[3], v_state[4], v_state[5]), TRUE);
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION tg_guard_drift_begin(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_drift_begin() IS 'Trigger function of a drift guard''s BEFORE ... FOR EACH STATEMENT triggers on a ledger read through its legs and on its parent tables (argument: guard id): counts the statement open in the transaction-local setting wallet_recon.drift_<id>_stmt, and marks the window mixed when another one is open (a data-modifying WITH, a trigger''s statement); _recon.guard_drift_window, called by the AFTER trigger, closes it. Runs as the writer.';

--
-- Name: tg_guard_drift_check(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_drift_check() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_acc pg_catalog.text;
BEGIN
    -- Deferred constraint trigger, arguments: guard id, the accumulator's setting. Every row a
    -- transaction wrote queued one call; the first judges the whole transaction and empties the
    -- accumulator, the others find it empty. So does the first when the transaction's rows
    -- cancelled each other out (stored changes equal to ledger effects): the usual case, one
    -- expression. (Every name and operator qualified, as in the row trigger functions.)
    IF COALESCE(pg_catalog.current_setting(tg_argv[1], TRUE), '') OPERATOR(pg_catalog.=) '' THEN
        RETURN NULL;
    END IF;
    v_acc := pg_catalog.current_setting(tg_argv[1], TRUE);
    PERFORM pg_catalog.set_config(tg_argv[1], '', TRUE);
    PERFORM _recon.guard_drift_verdict(tg_argv[0]::pg_catalog.int4, v_acc);
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION tg_guard_drift_check(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_drift_check() IS 'Commit-time check of a drift guard enabled before migration 0008 (deferred constraint trigger on its wallet table and ledger; arguments: guard id, setting; a guard enabled since has its own _recon.tg_drift_<id>_check()): when the transaction-local setting its row triggers filled is not empty, _recon.guard_drift_verdict() judges it (stored changes against ledger effects per wallet and balance column, with tolerance; RC401 or a warning). When the rows balanced each other, one expression and no query; never reads a wallet''s history.';

--
-- Name: tg_guard_drift_truncate(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_drift_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard _recon.guard;
BEGIN
    -- Row triggers do not fire for TRUNCATE: every balance (or every ledger effect) of the
    -- table would vanish without its counterpart, which is drift for every wallet at once.
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = tg_argv[0]::integer;
    IF FOUND AND NOT _recon.in_audited_fix() THEN
        PERFORM _recon.guard_violation(
            v_guard, NULL,
            format('TRUNCATE of %I.%I: every wallet''s %s vanish without their counterpart',
                   tg_table_schema, tg_table_name,
                   CASE tg_argv[1] WHEN 'ledger' THEN 'ledger effects' ELSE 'stored balance' END),
            jsonb_build_object('operation', tg_op,
                               'table', format('%I.%I', tg_table_schema, tg_table_name)));
    END IF;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION tg_guard_drift_truncate(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_drift_truncate() IS 'Statement trigger function of the drift guard for TRUNCATE of its wallet or ledger table (arguments: guard id, side): blocked at once (RC401) or warned about, since row triggers do not see a TRUNCATE.';

--
-- Name: tg_guard_statement(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_statement() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard integer := tg_argv[0]::integer;
    -- written by an audited recon.fix() statement: staged apart, not mixed with the rest
    v_fix bigint := CASE WHEN _recon.in_audited_fix()
                         THEN current_setting('wallet_recon.fix_id')::bigint ELSE 0 END;
    v_sql jsonb;
    v_stmt text;
BEGIN
    SELECT g.compiled -> 'sql' -> tg_argv[1] INTO v_sql FROM _recon.guard AS g WHERE g.id = v_guard;
    -- one set-based INSERT over the transition table(s), whatever the number of rows
    FOR v_stmt IN SELECT x FROM jsonb_array_elements_text(
        CASE jsonb_typeof(v_sql) WHEN 'array' THEN v_sql
                                 WHEN 'string' THEN jsonb_build_array(v_sql)
                                 ELSE '[]'::jsonb END) AS x LOOP
        EXECUTE v_stmt USING v_guard, v_fix;
    END LOOP;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION tg_guard_statement(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_statement() IS 'Trigger function of the guards'' statement triggers on the user''s tables (arguments: guard id, operation): runs the guard''s compiled SQL for that operation over the transition tables recon_new / recon_old, staging in _recon.guard_pending what the commit-time check needs. SECURITY DEFINER: the writing role needs no privilege on the toolkit''s tables.';

--
-- Name: tg_guard_tick(); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.tg_guard_tick() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', NEW.guard_id);
    v_acc text;
BEGIN
    -- as the guard's own check function (_recon.tg_drift_<id>_check) does
    v_acc := COALESCE(current_setting(v_setting, TRUE), '');
    IF v_acc = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(v_setting, '', TRUE);
    IF v_acc <> '*' THEN
        PERFORM _recon.guard_drift_verdict(NEW.guard_id, v_acc);
    END IF;
    RETURN NULL;
END;
$$;

--
-- Name: FUNCTION tg_guard_tick(); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.tg_guard_tick() IS 'Deferred constraint trigger of _recon.guard_tick: at commit, judges the accumulator of drift guard NEW.guard_id unless a check ran before (then it is empty): _recon.guard_drift_verdict().';

--
-- Name: unmapped_sql(_recon.ledger_source, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.unmapped_sql(p_ledger _recon.ledger_source, p_alias text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_kind text := CASE p_ledger.amount_mode
        WHEN 'direction' THEN p_ledger.direction_column ELSE p_ledger.operation_column END;
    v_values text;
BEGIN
    IF p_ledger.amount_mode = 'signed' THEN
        RETURN 'FALSE';
    END IF;
    SELECT string_agg(DISTINCT quote_literal(o.key), ', ') INTO v_values
    FROM jsonb_each(p_ledger.effects) AS c, jsonb_each(c.value) AS o;
    RETURN format('(%1$I.%2$I IS NULL OR %1$I.%2$I::text NOT IN (%3$s))', p_alias, v_kind, v_values);
END;
$_$;

--
-- Name: FUNCTION unmapped_sql(p_ledger _recon.ledger_source, p_alias text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.unmapped_sql(p_ledger _recon.ledger_source, p_alias text) IS 'An SQL condition true for an entry whose direction or operation type is NULL or not mapped to any effect: such entries are findings, never silently ignored.';

--
-- Name: version_column(oid, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.version_column(p_relid oid, p_option jsonb) RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_col name;
BEGIN
    IF jsonb_typeof(p_option) IS DISTINCT FROM 'string' THEN
        PERFORM _recon.fail(
            'RC106', '"version" must name a column',
            format('Got %s.', p_option),
            'E.g. {"version": "version"}: an integer column your application bumps on every '
            || 'write (optimistic locking).');
    END IF;
    v_col := _recon.resolve_column(p_relid, p_option #>> '{}', 'the version');
    IF _recon.column_type(p_relid, v_col) NOT IN ('int2'::regtype, 'int4'::regtype,
                                                  'int8'::regtype) THEN
        PERFORM _recon.fail(
            'RC103',
            format('version column %I of %s is not an integer', v_col, p_relid::regclass),
            format('Its type is %s.', _recon.column_type(p_relid, v_col)),
            'A version column is smallint, integer or bigint (or a domain over one): the '
            || 'toolkit adds 1 to it on every write to a wallet row.');
    END IF;
    RETURN v_col;
END;
$$;

--
-- Name: FUNCTION version_column(p_relid oid, p_option jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.version_column(p_relid oid, p_option jsonb) IS 'The "version" option of recon.register_wallet_source, checked: a column of the wallet table (RC102), of an integer type (RC103); RC106 when the option is not a string.';

--
-- Name: view_rows_sql(oid, text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.view_rows_sql(p_view oid, p_rows text) RETURNS text
    LANGUAGE plpgsql STABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_base oid := _recon.base_table(p_view);
    v_def text;
    v_name text;
    v_from text;
    v_at integer;
    v_after text;
BEGIN
    IF v_base IS NULL THEN
        RETURN NULL;
    END IF;
    -- Deparsed with an empty search_path, every name but pg_catalog's is schema-qualified, so
    -- the text means the same wherever it runs. Its one FROM item is the base table; it is
    -- replaced by p_rows (a transition table, a row). Anything unexpected: NULL (refused).
    PERFORM set_config('search_path', '', TRUE);
    v_def := rtrim(pg_get_viewdef(p_view), E'; \n');
    v_name := v_base::regclass::text;
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', TRUE);
    v_from := 'FROM ' || v_name;
    v_at := strpos(v_def, v_from);
    IF v_at = 0 OR length(v_def) - length(replace(v_def, v_name, '')) <> length(v_name) THEN
        RETURN NULL;  -- the table's name more than once (a literal, a column alias): refused
    END IF;
    v_after := substr(v_def, v_at + length(v_from));
    IF v_after ~ '^ [a-z_][a-z0-9_$]*(\s|$)' THEN  -- FROM schema.table alias
        RETURN overlay(v_def PLACING 'FROM ' || p_rows FROM v_at FOR length(v_from));
    ELSIF v_after ~ '^(\s|$)' THEN  -- no alias: columns read table.column
        RETURN overlay(v_def PLACING format('FROM %s AS %I', p_rows,
                                            (SELECT c.relname FROM pg_class AS c
                                             WHERE c.oid = v_base))
                       FROM v_at FOR length(v_from));
    END IF;
    RETURN NULL;
END;
$_$;

--
-- Name: FUNCTION view_rows_sql(p_view oid, p_rows text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.view_rows_sql(p_view oid, p_rows text) IS 'A simple view''s own query (_recon.base_table) with its base table replaced by p_rows (a transition table name, or "(SELECT ($1).*)" for one row): the rows of p_rows the view shows, in the view''s columns, through the view''s WHERE. NULL when the view is not simple or its deparsed text cannot be rewritten safely (the guard is then refused).';

--
-- Name: wait_for_transactions(interval); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.wait_for_transactions(p_timeout interval) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_deadline timestamptz := clock_timestamp() + p_timeout;
    v_vxids text[];
    v_xids xid8[] := ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot()));
BEGIN
    -- Every transaction has a virtual transaction id from its first statement, before it has a
    -- real one: a transaction that took a sequence value but has not written yet has only that.
    -- So, as CREATE INDEX CONCURRENTLY does, wait for the virtual ids (of this database's client
    -- sessions: no other can write our tables) and, for prepared transactions, the real ones.
    SELECT array_agg(l.virtualxid) INTO v_vxids
    FROM pg_locks AS l
    JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'virtualxid' AND l.granted AND l.pid <> pg_backend_pid()
      AND a.datid = (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database())
      AND a.backend_type = 'client backend';
    WHILE EXISTS (SELECT FROM pg_locks AS l
                  WHERE l.locktype = 'virtualxid' AND l.virtualxid = ANY (v_vxids))
        OR EXISTS (SELECT FROM unnest(v_xids) AS x WHERE pg_xact_status(x) = 'in progress') LOOP
        IF clock_timestamp() > v_deadline THEN
            RETURN FALSE;
        END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
    RETURN TRUE;
END;
$$;

--
-- Name: FUNCTION wait_for_transactions(p_timeout interval); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.wait_for_transactions(p_timeout interval) IS 'Waits until every transaction open now in this database (by virtual transaction id, so also one that has taken a sequence value but not yet written) and every transaction in flight (prepared ones included) has ended; false if that takes longer than p_timeout. Call it after reading the highest ordering id: no entry at or below it can appear afterwards.';

--
-- Name: wallet(text); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.wallet(p_name text) RETURNS _recon.wallet_source
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_source _recon.wallet_source;
BEGIN
    SELECT w.* INTO v_source FROM _recon.wallet_source AS w WHERE w.name = p_name;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC107', format('unknown wallet source %L', p_name),
            'No wallet source of that name is registered.',
            'See SELECT * FROM recon.sources; register one with recon.register_wallet_source().'
        );
    END IF;
    RETURN v_source;
END;
$$;

--
-- Name: FUNCTION wallet(p_name text); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.wallet(p_name text) IS 'The registered wallet source of that name; RC107 if none.';

--
-- Name: writer_insert_sql(_recon.writer); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.writer_insert_sql(p_writer _recon.writer) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_writer.ledger_source);
    v_cols text[] := '{}'::text[];
    v_vals text[] := '{}'::text[];
    v_auto jsonb;
    v_col text;
    v_value text;
    v_missing text;
    v_filter jsonb;
    v_keeps boolean;
    v_one _recon.ledger_source;
BEGIN
    -- Filled by the toolkit from the posting: column -> key of the posting JSON ($1).
    v_auto := jsonb_build_object(
        COALESCE(v_ledger.wallet_column, ''), 'wallet',
        v_ledger.amount_column, 'amount',
        COALESCE(v_ledger.direction_column, v_ledger.operation_column, ''), 'entry_type',
        COALESCE(v_ledger.balance_after_column, ''), 'balance_after',
        COALESCE(v_ledger.reference_column, ''), 'reference',
        COALESCE(CASE WHEN p_writer.journal IS NOT NULL THEN v_ledger.journal_column END, ''),
        'journal'
    ) - '';
    FOR v_col, v_value IN SELECT a.key, a.value FROM jsonb_each_text(v_auto) AS a LOOP
        IF p_writer.column_map ? v_col THEN
            PERFORM _recon.fail(
                'RC305', format('column %I is filled by the toolkit', v_col),
                format('The ledger registration names it (%s); its value comes from the repair.',
                       v_value),
                'Leave it out of "columns".');
        END IF;
        v_cols := v_cols || quote_ident(v_col);
        v_vals := v_vals || format('($1 ->> %L)::%s', v_value,
                                   _recon.column_type_sql(v_ledger.relid, v_col));
    END LOOP;
    -- A running balance per balance column: each the wallet's previous one plus the entry's
    -- effect on that column, as the chain check reads it (_recon.fix_post computes "after").
    FOR v_col, v_value IN SELECT a.key, a.value FROM jsonb_each_text(v_ledger.after_columns) AS a
    LOOP
        IF p_writer.column_map ? v_value THEN
            PERFORM _recon.fail(
                'RC305', format('column %I is filled by the toolkit', v_value),
                format('The ledger registration names it (the running balance of %s); its value '
                       || 'comes from the repair.', v_col),
                'Leave it out of "columns".');
        END IF;
        v_cols := v_cols || quote_ident(v_value);
        v_vals := v_vals || format('($1 -> %L ->> %L)::%s', 'after', v_col,
                                   _recon.column_type_sql(v_ledger.relid, v_value));
    END LOOP;
    -- Transfer rows: a posting between the wallet and the offset wallet is one row, from the
    -- wallet that gives to the one that receives (a debit of the wallet, or a credit), its
    -- amount positive (_recon.entry_for). With effects keyed on several columns, "leg" is the
    -- side of the rule the row takes (_recon.writer_rule_entry).
    IF v_ledger.shape = 'transfer' THEN
        FOREACH v_col IN ARRAY ARRAY[v_ledger.debit_wallet_column, v_ledger.credit_wallet_column]
        LOOP
            IF p_writer.column_map ? v_col THEN
                PERFORM _recon.fail(
                    'RC305', format('column %I is filled by the toolkit', v_col),
                    'The ledger registration names it (a transfer''s debit or credit wallet); '
                    || 'its value comes from the repair and the offset wallet.',
                    'Leave it out of "columns".');
            END IF;
        END LOOP;
        v_cols := v_cols || quote_ident(v_ledger.debit_wallet_column)
            || quote_ident(v_ledger.credit_wallet_column);
        v_vals := v_vals
            || format('(CASE WHEN COALESCE($1 ->> %6$L, $1 ->> %1$L) = %2$L THEN $1 ->> %3$L '
                      || 'ELSE $1 ->> %4$L END)::%5$s',
                      'entry_type', 'debit', 'wallet', 'offset_wallet',
                      _recon.column_type_sql(v_ledger.relid, v_ledger.debit_wallet_column), 'leg')
            || format('(CASE WHEN COALESCE($1 ->> %6$L, $1 ->> %1$L) = %2$L THEN $1 ->> %3$L '
                      || 'ELSE $1 ->> %4$L END)::%5$s',
                      'entry_type', 'debit', 'offset_wallet', 'wallet',
                      _recon.column_type_sql(v_ledger.relid, v_ledger.credit_wallet_column), 'leg');
    END IF;
    -- Entry filters: the row must be one the filters keep. A filter "=" (or "in" with one
    -- value) gives its column's value, "is null" a NULL; any other needs the mapping to set
    -- the column (a constant is checked here; a template by the repair's verification).
    FOR v_filter IN SELECT f FROM jsonb_array_elements(v_ledger.filters) AS f LOOP
        v_col := v_filter ->> 'column';
        IF quote_ident(v_col) = ANY (v_cols) THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s cannot satisfy the filter on %I', v_ledger.name,
                                v_col),
                format('The toolkit fills %I from the repair, and the ledger counts only rows '
                       || 'with %s.', v_col, v_filter),
                'Register the ledger without that filter, or repair it with a posting '
                || 'function.');
        ELSIF p_writer.column_map ? v_col THEN
            IF strpos(p_writer.column_map ->> v_col, '{') = 0 THEN
                v_one := v_ledger;
                v_one.filters := jsonb_build_array(v_filter);
                EXECUTE format('SELECT %s FROM (SELECT %L::%s AS %I) AS r',
                               _recon.guard_filter_sql(v_one, 'r'),
                               p_writer.column_map ->> v_col,
                               _recon.column_type_sql(v_ledger.relid, v_col), v_col)
                INTO v_keeps;
                IF v_keeps IS NOT TRUE THEN
                    PERFORM _recon.fail(
                        'RC305', format('writer for %s writes %I = %L, a row its filter drops',
                                        v_ledger.name, v_col, p_writer.column_map ->> v_col),
                        format('The ledger counts only rows with %s.', v_filter),
                        format('Map %I to a value the filter keeps.', v_col));
                END IF;
            END IF;
        ELSIF v_filter ->> 'op' = 'is null' THEN
            v_cols := v_cols || quote_ident(v_col);
            v_vals := v_vals || format('NULL::%s', _recon.column_type_sql(v_ledger.relid, v_col));
        ELSIF v_filter ->> 'op' IN ('=', 'in') AND jsonb_array_length(v_filter -> 'values') = 1
        THEN
            v_cols := v_cols || quote_ident(v_col);
            v_vals := v_vals || format('%L::%s', v_filter -> 'values' ->> 0,
                                       _recon.column_type_sql(v_ledger.relid, v_col));
        ELSIF v_ledger.kinds -> 'keys' ? v_col THEN
            -- a key of the effect rules: written per row with the rule's value, which
            -- _recon.writer_rule_entry checks against this filter
            NULL;
        ELSE
            PERFORM _recon.fail(
                'RC305', format('writer for %s does not set %I, which a filter reads',
                                v_ledger.name, v_col),
                format('The ledger counts only rows with %s: the toolkit cannot choose a '
                       || 'value for it.', v_filter),
                format('Set it in "columns", e.g. {"%s": "<a value the filter keeps>"}.', v_col));
        END IF;
    END LOOP;
    -- Effects keyed on several columns: a key column the mapping does not set and no filter
    -- reads takes the value of the rule the row is to match (_recon.writer_rule_entry, "keys");
    -- a constant in "columns" fixes it. A template cannot be matched to a rule before posting.
    FOR v_col IN SELECT k FROM jsonb_array_elements_text(v_ledger.kinds -> 'keys') AS k
                 WHERE NOT (k = 'side' AND v_ledger.shape <> 'entries') LOOP
        IF strpos(v_col, '.') > 0 THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s cannot post: its effect rules read %s', v_ledger.name,
                                v_col),
                'An INSERT writes one ledger row, not the parent row the rules read.',
                'Register a posting function ({"function": "schema.post(jsonb)"}); docs/REPAIRS.md.');
        ELSIF p_writer.column_map ? v_col AND strpos(p_writer.column_map ->> v_col, '{') > 0 THEN
            PERFORM _recon.fail(
                'RC305', format('column %I, a key of the effect rules, must not be a template',
                                v_col),
                format('Got %s: which rule the row matches, and so what it moves, would be known '
                       || 'only after posting.', p_writer.column_map -> v_col),
                format('Map %I to a constant, or leave it out: the toolkit then writes the value of '
                       || 'the rule whose effect the repair needs.', v_col));
        ELSIF NOT p_writer.column_map ? v_col AND quote_ident(v_col) <> ALL (v_cols) THEN
            v_cols := v_cols || quote_ident(v_col);
            v_vals := v_vals || format('($1 -> %L ->> %L)::%s', 'keys', v_col,
                                       _recon.column_type_sql(v_ledger.relid, v_col));
        END IF;
    END LOOP;
    -- The posting time, when the ledger has one and the mapping does not set it.
    IF v_ledger.posted_at_column IS NOT NULL AND NOT p_writer.column_map ? v_ledger.posted_at_column
        AND quote_ident(v_ledger.posted_at_column) <> ALL (v_cols) THEN
        v_cols := v_cols || quote_ident(v_ledger.posted_at_column);
        v_vals := v_vals || format('now()::%s',
                                   _recon.column_type_sql(v_ledger.relid, v_ledger.posted_at_column));
    END IF;
    FOR v_col, v_value IN SELECT m.key, m.value FROM jsonb_each(p_writer.column_map) AS m LOOP
        IF jsonb_typeof(v_value::jsonb) <> 'string' THEN
            PERFORM _recon.fail('RC305', format('value for column %I must be a string', v_col),
                                format('Got %s.', v_value),
                                'Constants and templates are strings, e.g. "ADJUSTMENT".');
        END IF;
        PERFORM _recon.resolve_column(v_ledger.relid, v_col, 'a writer column');
        v_cols := v_cols || quote_ident(v_col);
        v_vals := v_vals || format('%s::%s',
                                   _recon.template_sql(v_value::jsonb #>> '{}', 'column ' || v_col),
                                   _recon.column_type_sql(v_ledger.relid, v_col));
    END LOOP;
    -- Minor units: the amount and running balances the posting gives in major units are
    -- written as whole minor units, never rounded (RC321 when posting).
    IF v_ledger.amount_scale IS NOT NULL THEN
        v_vals := _recon.writer_minor_sql(v_ledger, v_cols, v_vals);
    END IF;
    -- Every column that needs a value gets one.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_missing
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = v_ledger.relid AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
      AND quote_ident(a.attname) <> ALL (v_cols);
    IF v_missing IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC305', format('writer for %s leaves NOT NULL column(s) %s without a value',
                            v_ledger.name, v_missing),
            'They have no default, and neither the ledger registration nor "columns" fills them.',
            'Map them in "columns", e.g. {"id": "{uuid}", "type": "ADJUSTMENT"}, or register a '
            || 'posting function.');
    END IF;
    RETURN format('INSERT INTO %s AS l (%s) VALUES (%s) RETURNING (%s)::text',
                  v_ledger.relid::regclass, array_to_string(v_cols, ', '),
                  array_to_string(v_vals, ', '), _recon.entry_name_sql(v_ledger, 'l'));
END;
$_$;

--
-- Name: FUNCTION writer_insert_sql(p_writer _recon.writer); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.writer_insert_sql(p_writer _recon.writer) IS 'The INSERT an insert writer posts one entry with: the registered ledger columns (wallet, amount, direction or type, running balance, reference, journal, posting time) from the posting JSON ($1), the mapped columns from their templates; RETURNING the entry''s id. On transfer rows one row between the wallet and the offset wallet (debit: the one giving); filter columns set to a value the filters keep (the one value of "=" or "in", NULL for "is null", else the mapping''s); each running balance of a per-column "balance_after" from the posting''s "after"; the keys of effect rules no constant or filter fixes from its "keys" (_recon.writer_rule_entry); on a ledger of minor units the amount and running balances converted from major units (_recon.writer_minor_sql). RC305 when a NOT NULL column would have no value, a mapped column is the toolkit''s, a filter cannot be satisfied, a rule key is a template or a parent column, or a template is bad.';

--
-- Name: writer_minor_sql(_recon.ledger_source, text[], text[]); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.writer_minor_sql(p_ledger _recon.ledger_source, p_cols text[], p_vals text[]) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_vals text[] := p_vals;
    v_scale text;
    v_col text;
    v_key text;
    v_at integer;
BEGIN
    -- 1. The scale of the row: fixed, or the value the writer writes into its scale column
    --    (a constant of "columns", e.g. {"precision": "100"}).
    IF p_ledger.amount_scale ? 'column' THEN
        v_at := array_position(p_cols, quote_ident(p_ledger.amount_scale ->> 'column'));
        IF v_at IS NULL THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s does not set %I, the scale of its amounts',
                                p_ledger.name, p_ledger.amount_scale ->> 'column'),
                format('Ledger %s reads each amount in minor units at the scale of its row (%s): '
                       || 'the toolkit cannot choose it.', p_ledger.name,
                       p_ledger.amount_scale),
                format('Map it in "columns", e.g. {"%s": "%s"}.',
                       p_ledger.amount_scale ->> 'column',
                       CASE WHEN p_ledger.amount_scale ->> 'as' = 'multiplier' THEN '100'
                            ELSE '2' END));
        END IF;
        v_scale := v_vals[v_at];
    END IF;
    -- 2. The amount and each running balance, from the posting ($1), as whole minor units.
    FOR v_col, v_key IN
        SELECT p_ledger.amount_column::text, '$1 ->> ''amount'''
        UNION ALL SELECT p_ledger.balance_after_column, '$1 ->> ''balance_after'''
        WHERE p_ledger.balance_after_column IS NOT NULL
        UNION ALL SELECT a.value #>> '{}', format('$1 -> ''after'' ->> %L', a.key)
        FROM jsonb_each(p_ledger.after_columns) AS a
    LOOP
        v_at := array_position(p_cols, quote_ident(v_col));
        CONTINUE WHEN v_at IS NULL;
        v_vals[v_at] := format('(%s)::%s', _recon.minor_sql(
            p_ledger.amount_scale, v_key, v_scale,
            format('column %s of %s', v_col, p_ledger.relid::regclass)),
            _recon.column_type_sql(p_ledger.relid, v_col));
    END LOOP;
    RETURN v_vals;
END;
$_$;

--
-- Name: FUNCTION writer_minor_sql(p_ledger _recon.ledger_source, p_cols text[], p_vals text[]); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.writer_minor_sql(p_ledger _recon.ledger_source, p_cols text[], p_vals text[]) IS 'For an INSERT writer on a ledger of minor units (a "scale"): its VALUES expressions p_vals (for the columns p_cols) with the amount and running balances converted from the posting''s major units to whole minor units (_recon.minor_sql: RC321 when posting an amount that is not whole, never rounded). A per-row scale is the value the writer writes into the scale column; RC305 when it writes none.';

--
-- Name: writer_moves_balances(text, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.writer_moves_balances(p_ledger text, p_options jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NOT p_options ? 'moves_balances' THEN
        RETURN FALSE;
    END IF;
    IF jsonb_typeof(p_options -> 'moves_balances') <> 'boolean' THEN
        PERFORM _recon.fail('RC305', '"moves_balances" must be true or false',
                            format('Got %s.', p_options -> 'moves_balances'),
                            'true: the posting function moves the stored balances itself.');
    END IF;
    IF (p_options ->> 'moves_balances')::boolean AND NOT p_options ? 'function' THEN
        PERFORM _recon.fail(
            'RC305', format('a ledger-first writer of ledger %s needs a posting function',
                            p_ledger),
            '"moves_balances" says that the posting routine moves the stored balances itself; '
            || 'an INSERT writer writes ledger rows only.',
            'Wrap the ledger''s own posting routine in fn(request jsonb) RETURNS jsonb and '
            || 'register {"function": "schema.fn(jsonb)", "moves_balances": true}; '
            || 'docs/REPAIRS.md "Ledger-first writers".');
    END IF;
    RETURN (p_options ->> 'moves_balances')::boolean;
END;
$$;

--
-- Name: FUNCTION writer_moves_balances(p_ledger text, p_options jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.writer_moves_balances(p_ledger text, p_options jsonb) IS 'Whether writer options p_options (recon.register_writer, ledger p_ledger) declare a ledger-first writer ("moves_balances": true); RC305 for a value that is not a boolean, or for true without a posting function.';

--
-- Name: writer_rule_entry(_recon.ledger_source, _recon.writer, jsonb); Type: FUNCTION; Schema: _recon; Owner: -
--

CREATE FUNCTION _recon.writer_rule_entry(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_cols text[] := (_recon.wallet(p_ledger.wallet_source)).balance_columns;
    v_rules jsonb := p_ledger.kinds -> 'rules';
    v_sides boolean := p_ledger.shape <> 'entries';
    v_fixed jsonb := '{}'::jsonb;  -- key column -> the text the INSERT stores there, or null
    v_filled text[] := ARRAY[]::text[];  -- key columns the toolkit fills from the rule
    v_key text;
    v_filter jsonb;
    v_rule jsonb;
    v_n bigint;
    v_row jsonb;
    v_side text;
    v_other text;
    v_first bigint;
    v_other_rule jsonb;
    v_amount numeric;
    v_fits boolean;
    v_col text;
    v_mult numeric;
    v_delta numeric;
    v_why text[] := ARRAY[]::text[];
    v_keeps boolean;
    v_one _recon.ledger_source;
BEGIN
    -- 1. The key values every row of this writer has: a constant of "columns", or the one value
    --    of a filter (writer_insert_sql writes it), as the column stores it, read back as text
    --    (the legs compare a rule's value with the column cast to text). The other key
    --    columns the toolkit fills per row: the value the chosen rule names, else NULL, which
    --    the filters must keep.
    FOREACH v_key IN ARRAY ARRAY(SELECT jsonb_array_elements_text(p_ledger.kinds -> 'keys')) LOOP
        CONTINUE WHEN v_key = 'side' AND v_sides;
        IF strpos(v_key, '.') > 0 THEN
            RETURN jsonb_build_object('refused', format(
                'its effect rules read parent rows (%s), which an INSERT cannot write', v_key));
        END IF;
        IF p_writer.column_map ? v_key THEN
            IF strpos(p_writer.column_map ->> v_key, '{') > 0 THEN
                RETURN jsonb_build_object('refused', format(
                    'column %I, an effect rule key, is a template in the writer', v_key));
            END IF;
            v_fixed := v_fixed || jsonb_build_object(v_key, _recon.stored_text(
                p_ledger.relid, v_key, p_writer.column_map ->> v_key));
            CONTINUE;
        END IF;
        SELECT f INTO v_filter FROM jsonb_array_elements(p_ledger.filters) AS f
        WHERE f ->> 'column' = v_key
            AND (f ->> 'op' = 'is null'
                 OR (f ->> 'op' IN ('=', 'in') AND jsonb_array_length(f -> 'values') = 1))
        LIMIT 1;
        IF v_filter IS NOT NULL THEN
            v_fixed := v_fixed || jsonb_build_object(v_key, CASE
                WHEN v_filter ->> 'op' = 'is null' THEN 'null'::jsonb
                ELSE _recon.stored_text(p_ledger.relid, v_key, v_filter -> 'values' ->> 0) END);
        ELSE
            v_filled := v_filled || v_key;
        END IF;
    END LOOP;

    -- 2. Each rule, in the order the writer prefers its label, then in rule order: the row
    --    that would take it (its key values, its side of a transfer row) must match it first,
    --    move the wallet by exactly the deltas, and the offset wallet of a transfer row (its
    --    other leg, by the rule that leg matches) by exactly the opposite.
    FOR v_rule, v_n IN
        SELECT r, o FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS u (r, o)
        ORDER BY array_position(p_writer.entry_types, r ->> 'label') NULLS LAST, o
    LOOP
        v_side := CASE WHEN v_sides THEN v_rule -> 'when' ->> 'side' END;
        -- its key values: the fixed ones, then each filled key from the rule, or NULL
        v_row := v_fixed || COALESCE((
            SELECT jsonb_object_agg(k, CASE WHEN v_rule -> 'when' ? k
                                            THEN _recon.stored_text(p_ledger.relid, k,
                                                                    v_rule -> 'when' ->> k)
                                            ELSE 'null'::jsonb END)
            FROM unnest(v_filled) AS k), '{}');
        -- the first rule this row matches on this side (a NULL key value matches no rule
        -- that names the key, as in the legs)
        SELECT o INTO v_first FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS u (r, o)
        WHERE (NOT v_sides OR r -> 'when' ->> 'side' = v_side)
          AND NOT EXISTS (SELECT FROM jsonb_each_text(r -> 'when') AS w
                          WHERE NOT (v_sides AND w.key = 'side')
                            AND (v_row ->> w.key) IS DISTINCT FROM w.value)
        ORDER BY o LIMIT 1;
        CONTINUE WHEN v_first IS DISTINCT FROM v_n;
        -- a filled key must be a value the filters keep (the row would not count otherwise)
        v_keeps := TRUE;
        FOR v_filter IN SELECT f FROM jsonb_array_elements(p_ledger.filters) AS f
                        WHERE f ->> 'column' = ANY (v_filled) LOOP
            v_one := p_ledger;
            v_one.filters := jsonb_build_array(v_filter);
            EXECUTE format('SELECT %s FROM (SELECT %L::%s AS %I) AS r',
                           _recon.guard_filter_sql(v_one, 'r'), v_row ->> (v_filter ->> 'column'),
                           _recon.column_type_sql(p_ledger.relid, v_filter ->> 'column'),
                           v_filter ->> 'column')
            INTO v_keeps;
            EXIT WHEN v_keeps IS NOT TRUE;
        END LOOP;
        IF v_keeps IS NOT TRUE THEN
            v_why := v_why || format('rule %s needs %s = %s, a row the filter %s drops',
                                     v_rule ->> 'label', v_filter ->> 'column',
                                     COALESCE(v_row ->> (v_filter ->> 'column'), 'NULL'),
                                     v_filter);
            CONTINUE;
        END IF;
        -- a filled key left NULL must be a column that takes NULL
        IF EXISTS (SELECT FROM unnest(v_filled) AS k
                   JOIN pg_catalog.pg_attribute AS a
                       ON a.attrelid = p_ledger.relid AND a.attname = k
                   WHERE v_row -> k = 'null'::jsonb AND a.attnotnull) THEN
            v_why := v_why || format('rule %s leaves a NOT NULL key column empty',
                                     v_rule ->> 'label');
            CONTINUE;
        END IF;
        v_amount := NULL;
        v_fits := TRUE;
        FOREACH v_col IN ARRAY v_cols LOOP
            v_mult := COALESCE((p_ledger.effects -> v_col ->> (v_rule ->> 'label'))::numeric, 0);
            v_delta := COALESCE((p_deltas ->> v_col)::numeric, 0);
            IF v_mult = 0 THEN
                v_fits := v_fits AND v_delta = 0;
            ELSIF v_amount IS NULL THEN
                v_amount := CASE WHEN abs(v_mult) = 1 THEN v_delta * v_mult
                                 ELSE v_delta / v_mult END;
            ELSE
                v_fits := v_fits AND v_amount * v_mult = v_delta;
            END IF;
        END LOOP;
        IF NOT v_fits OR v_amount IS NULL OR v_amount <= 0 THEN
            v_why := v_why || format('rule %s moves %s per unit', v_rule ->> 'label',
                                     _recon.rule_effect(p_ledger, v_rule ->> 'label', 1));
            CONTINUE;
        END IF;
        IF v_sides THEN
            -- the other leg of the same row: the offset wallet's
            v_other := (SELECT s.key FROM jsonb_each_text(p_ledger.leg_columns) AS s
                        WHERE s.key <> v_side LIMIT 1);
            SELECT r INTO v_other_rule FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS u (r, o)
            WHERE r -> 'when' ->> 'side' = v_other
              AND NOT EXISTS (SELECT FROM jsonb_each_text(r -> 'when') AS w
                              WHERE w.key <> 'side'
                                AND (v_row ->> w.key) IS DISTINCT FROM w.value)
            ORDER BY o LIMIT 1;
            -- the other leg moves the offset wallet by its own rule: exactly the opposite, or
            -- (monotonic counters: a credit counter here, a debit counter there) what that
            -- rule says, which the toolkit then moves the offset wallet by ("offset_deltas");
            -- a leg no rule counts, or one that moves nothing, is refused
            IF v_other_rule IS NULL
               OR _recon.rule_effect(p_ledger, v_other_rule ->> 'label', v_amount) = '{}' THEN
                v_why := v_why || format(
                    'rule %s moves the wallet by %s, but the same row moves the offset wallet '
                    || 'by %s (%s)', v_rule ->> 'label',
                    _recon.rule_effect(p_ledger, v_rule ->> 'label', v_amount),
                    _recon.rule_effect(p_ledger, v_other_rule ->> 'label', v_amount),
                    COALESCE('rule ' || (v_other_rule ->> 'label'), 'no rule'));
                CONTINUE;
            END IF;
        END IF;
        RETURN jsonb_strip_nulls(jsonb_build_object(
            'entry_type', v_rule ->> 'label', 'amount', v_amount, 'leg', v_side,
            'keys', (SELECT jsonb_object_agg(k, v_row -> k) FROM unnest(v_filled) AS k),
            'offset_deltas', CASE WHEN v_sides AND _recon.rule_effect(
                                           p_ledger, v_other_rule ->> 'label', v_amount)
                                       IS DISTINCT FROM COALESCE((
                                           SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                           FROM jsonb_each_text(p_deltas) AS d
                                           WHERE d.value::numeric <> 0), '{}')
                                  THEN _recon.rule_effect(p_ledger, v_other_rule ->> 'label',
                                                          v_amount) END));
    END LOOP;
    RETURN jsonb_build_object('refused', format(
        'no row its writer can post moves exactly %s%s%s',
        (SELECT COALESCE(jsonb_object_agg(d.key, d.value), '{}') FROM jsonb_each(p_deltas) AS d
         WHERE d.value <> '0'::jsonb),
        CASE WHEN v_sides THEN ' on the wallet and the opposite on the offset wallet' END,
        COALESCE(': ' || array_to_string(v_why[1:4], '; '), ': the writer''s rows match no rule')));
END;
$$;

--
-- Name: FUNCTION writer_rule_entry(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb); Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON FUNCTION _recon.writer_rule_entry(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb) IS 'For an INSERT writer on a ledger whose effects are keyed on several columns: the row it posts to move a wallet by exactly p_deltas ({column: delta}). Its key values are the writer''s constants and the filters'' single values (as the columns store them), the others filled from the rule; the row must match that rule first (rules in order, a NULL key matching no rule naming it), move exactly p_deltas, and on transfer rows its other leg must move the offset wallet by exactly the opposite. Returns {"entry_type": rule label, "amount", "leg": side, "keys": {column: text}, "offset_deltas": what the other leg of a transfer row moves the offset wallet by, when not exactly the opposite (monotonic counters)} or {"refused": why} (a rule moving several columns at once where the step moves one, an offset leg no rule counts, a parent key). Never a row it cannot prove.';

--
-- Name: drift_spill(integer, text); Type: FUNCTION; Schema: _recon_guard; Owner: -
--

CREATE FUNCTION _recon_guard.drift_spill(p_guard integer, p_acc text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM _recon.guard AS g WHERE g.id = p_guard AND g.kind = 'drift') THEN
        PERFORM _recon.fail('RC107', format('no drift guard %s', p_guard),
                            'Only a drift guard''s trigger functions spill their accumulator.',
                            'SELECT * FROM recon.guards;');
    END IF;
    PERFORM _recon.guard_drift_spill(p_guard, p_acc);
    RETURN '*!';  -- a check is queued (the accumulator was not empty); part of it is spilled
END;
$$;

--
-- Name: FUNCTION drift_spill(p_guard integer, p_acc text); Type: COMMENT; Schema: _recon_guard; Owner: -
--

COMMENT ON FUNCTION _recon_guard.drift_spill(p_guard integer, p_acc text) IS 'Called by a drift guard''s trigger functions, as the writer, when the transaction''s accumulator p_acc grew past 8 kB: adds its records to _recon.guard_spill (_recon.guard_drift_spill) and returns the new accumulator, ''*!''. Any role may call it: the rows are the calling transaction''s, taken back with it, and judged and removed at its commit. RC107 for a guard that is not a drift guard.';

--
-- Name: drift_tick(integer); Type: FUNCTION; Schema: _recon_guard; Owner: -
--

CREATE FUNCTION _recon_guard.drift_tick(p_guard integer) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_row tid;
BEGIN
    -- Called by a drift guard's ledger trigger function when it adds to an empty accumulator
    -- (no check known to be queued). The row's deferred constraint trigger fires at commit
    -- even though the row is gone by then; nothing is left behind.
    INSERT INTO _recon.guard_tick AS t (guard_id) VALUES (p_guard) RETURNING t.ctid INTO v_row;
    DELETE FROM _recon.guard_tick AS t WHERE t.ctid = v_row;
    RETURN '*';
END;
$$;

--
-- Name: FUNCTION drift_tick(p_guard integer); Type: COMMENT; Schema: _recon_guard; Owner: -
--

COMMENT ON FUNCTION _recon_guard.drift_tick(p_guard integer) IS 'Queues drift guard p_guard''s commit-time check (_recon.tg_guard_tick, through a row of _recon.guard_tick inserted and deleted at once) and returns ''*'', the accumulator''s mark of a queued check. Called by the guard''s ledger trigger function, as the writer. Any role may call it: it only makes the guard judge the calling transaction.';

--
-- Name: drift_verdict(integer, text); Type: FUNCTION; Schema: _recon_guard; Owner: -
--

CREATE FUNCTION _recon_guard.drift_verdict(p_guard integer, p_acc text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM _recon.guard_drift_verdict(p_guard, p_acc);
END;
$$;

--
-- Name: FUNCTION drift_verdict(p_guard integer, p_acc text); Type: COMMENT; Schema: _recon_guard; Owner: -
--

COMMENT ON FUNCTION _recon_guard.drift_verdict(p_guard integer, p_acc text) IS 'Called at commit by a drift guard''s check function (_recon.tg_drift_<id>_check), as the writer, when the accumulator holds more than balanced records: _recon.guard_drift_verdict() (RC401 in block mode; a warning, an alert and a notification in warn mode). Any role may call it, on its own transaction; docs/SECURITY.md says what that allows.';

--
-- Name: acknowledge_alert(bigint[], text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.acknowledge_alert(ids bigint[], note text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_unknown text;
    v_count integer;
BEGIN
    SELECT string_agg(COALESCE(i::text, 'NULL'), ', ') INTO v_unknown
    FROM unnest(acknowledge_alert.ids) AS i
    WHERE i IS NULL OR NOT EXISTS (SELECT FROM _recon.alert AS a WHERE a.id = i);
    IF acknowledge_alert.ids IS NULL OR cardinality(acknowledge_alert.ids) = 0 OR v_unknown IS NOT NULL THEN
        PERFORM _recon.fail('RC408', format('unknown alert %s', COALESCE(v_unknown, '(none)')),
                            'Only raised alerts can be acknowledged.',
                            'SELECT id FROM recon.open_alerts; lists them.');
    END IF;
    IF NULLIF(btrim(acknowledge_alert.note), '') IS NULL THEN
        PERFORM _recon.fail('RC303', 'acknowledging an alert needs a note',
                            'It says what was done about it.', 'E.g. ''INC-42: repaired''.');
    END IF;
    UPDATE _recon.alert AS a
    SET acknowledged_at = clock_timestamp(), acknowledged_by = session_user,
        acknowledgement = acknowledge_alert.note
    WHERE a.id = ANY (acknowledge_alert.ids) AND a.acknowledged_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

--
-- Name: FUNCTION acknowledge_alert(ids bigint[], note text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.acknowledge_alert(ids bigint[], note text) IS 'Acknowledges alerts (they leave recon.open_alerts) with a note; returns how many were open. Errors: RC408 unknown alert, RC303 no note. recon_operator may call it.';

--
-- Name: allow_ledger_change(text, text, text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.allow_ledger_change(ledger text, ticket text, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM _recon.guard AS g
                   WHERE g.kind = 'append_only' AND g.target = allow_ledger_change.ledger) THEN
        PERFORM _recon.fail('RC406', format('no append_only guard on %L', allow_ledger_change.ledger),
                            'The escape is from an enabled append-only guard.',
                            'SELECT * FROM recon.guards; lists them.');
    END IF;
    IF NULLIF(btrim(allow_ledger_change.ticket), '') IS NULL OR NULLIF(btrim(allow_ledger_change.reason), '') IS NULL THEN
        PERFORM _recon.fail('RC303', 'changing a ledger entry needs a ticket and a reason',
                            format('ticket %L, reason %L.', allow_ledger_change.ticket, allow_ledger_change.reason),
                            'Both go into _recon.ledger_escape.');
    END IF;
    INSERT INTO _recon.ledger_escape (ledger_source, ticket, reason)
    VALUES (allow_ledger_change.ledger, allow_ledger_change.ticket, allow_ledger_change.reason) RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

--
-- Name: FUNCTION allow_ledger_change(ledger text, ticket text, reason text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.allow_ledger_change(ledger text, ticket text, reason text) IS 'Lets the calling transaction (only it) update or delete entries of a ledger under an append-only guard, and records who, when, ticket and reason in _recon.ledger_escape. Errors: RC406 no such guard, RC303 no ticket or reason. Owner only.';

--
-- Name: allow_overdraft(text, text, text, text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.allow_overdraft(source text, wallet text DEFAULT NULL::text, balance_column text DEFAULT NULL::text, reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_variable
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(allow_overdraft.source);
    v_id bigint;
    v_exists boolean;
BEGIN
    IF allow_overdraft.balance_column IS NOT NULL
       AND allow_overdraft.balance_column <> ALL (v_ws.balance_columns) THEN
        PERFORM _recon.fail('RC102', format('%L is not a balance column of %s',
                                            allow_overdraft.balance_column, v_ws.name),
                            format('Balance columns: %s.',
                                   array_to_string(v_ws.balance_columns, ', ')),
                            'Name one of them, or NULL for every balance column.');
    END IF;
    IF allow_overdraft.wallet = '' THEN
        PERFORM _recon.fail('RC106', 'wallet must be a wallet key or NULL',
                            'An empty key names no wallet.',
                            'Give the wallet''s key as text, or NULL for every wallet.');
    END IF;
    IF allow_overdraft.wallet IS NOT NULL THEN
        -- a mistyped key would exempt nothing, silently
        EXECUTE format('SELECT EXISTS (SELECT FROM %s AS w WHERE w.%I::text = $1)',
                       v_ws.relid::regclass, v_ws.key_column)
        INTO v_exists USING allow_overdraft.wallet;
        IF NOT v_exists THEN
            PERFORM _recon.fail('RC106', format('no wallet %L in %s', allow_overdraft.wallet,
                                                v_ws.relid::regclass),
                                format('Wallet source %s has no wallet of that key.', v_ws.name),
                                'Give the key as text, as recon.open_findings shows it.');
        END IF;
    END IF;
    IF NULLIF(btrim(allow_overdraft.reason), '') IS NULL THEN
        PERFORM _recon.fail('RC303', 'an overdraft exemption needs a reason',
                            'The reason is kept with it (recon.overdraft_exemptions).',
                            'E.g. reason => ''world account: the ledger''''s source of funds''.');
    END IF;
    -- the same scope again replaces its reason; two calls at once wait for each other
    LOCK TABLE _recon.overdraft_exemption IN SHARE ROW EXCLUSIVE MODE;
    UPDATE _recon.overdraft_exemption AS e
    SET reason = allow_overdraft.reason, set_at = now(), set_by = session_user
    WHERE e.wallet_source = v_ws.name
      AND e.wallet_key IS NOT DISTINCT FROM allow_overdraft.wallet
      AND e.balance_column IS NOT DISTINCT FROM allow_overdraft.balance_column
    RETURNING e.id INTO v_id;
    IF v_id IS NULL THEN
        INSERT INTO _recon.overdraft_exemption AS e (wallet_source, wallet_key, balance_column,
                                                     reason)
        VALUES (v_ws.name, allow_overdraft.wallet, allow_overdraft.balance_column,
                allow_overdraft.reason)
        RETURNING e.id INTO v_id;
    END IF;
    RETURN jsonb_build_object('id', v_id, 'wallet_source', v_ws.name,
                              'wallet', allow_overdraft.wallet,
                              'balance_column', allow_overdraft.balance_column,
                              'reason', allow_overdraft.reason);
END;
$_$;

--
-- Name: FUNCTION allow_overdraft(source text, wallet text, balance_column text, reason text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.allow_overdraft(source text, wallet text, balance_column text, reason text) IS 'Lets recon.fix() leave a stored balance below zero: of one wallet (wallet => key as text: an offset or world account), of one balance column of every wallet (balance_column => an inflight column, a ledger that allows negative balances), of both, or (both NULL) of the whole wallet source. reason is required and kept. Setting it again replaces the reason. recon.forbid_overdraft() removes it; recon.overdraft_exemptions lists them. Without one, recon.fix() skips a repair that would overdraw. Errors: RC107 unknown wallet source, RC102 not a balance column, RC106 empty wallet key, RC303 no reason. Needs the toolkit owner.';

--
-- Name: backfill(text, boolean, text, text, text, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.backfill(coverage_check text, dry_run boolean DEFAULT true, ticket text DEFAULT NULL::text, reason text DEFAULT NULL::text, wallet_key text DEFAULT '{uuid}'::text, wallet_columns jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
    v_check _recon.check_def := _recon."check"(backfill.coverage_check);
    v_invoker name;
    v_target jsonb;
    v_before jsonb;
    v_after jsonb;
    v_stage bigint;
    v_fix bigint;
    v_created bigint;
    v_plan jsonb;
BEGIN
    -- 1. What it needs: a coverage check, a ledger of that wallet source with a double-entry
    --    writer (the opening entries are balanced against its offset wallet), good templates.
    v_invoker := _recon.fix_caller(backfill.dry_run, backfill.ticket, backfill.reason,
                                   'a backfill');
    v_target := _recon.backfill_target(v_check, backfill.wallet_key, backfill.wallet_columns);

    -- 2. The plan: one new wallet per missing owner, opening at the owner's legacy balance,
    --    the new wallets checked before anything is written (a dry run too).
    v_before := _recon.backfill_report(v_check);
    v_stage := _recon.backfill_plan(v_check, v_target);
    PERFORM _recon.backfill_check_wallets(v_stage, v_check, v_target, backfill.wallet_key);

    -- 3. Apply: the offset wallet locked, each owner claimed once (a second run, or a
    --    concurrent one, finds the claim), wallets created at zero, opening entries posted
    --    through the writer, balances moved, and the new wallets checked.
    IF NOT backfill.dry_run THEN
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('backfill', NULL, backfill.ticket, backfill.reason, jsonb_build_object(
                    'coverage_check', backfill.coverage_check, 'wallet_key', backfill.wallet_key,
                    'wallet_columns', backfill.wallet_columns), v_invoker)
        RETURNING id INTO v_fix;
        v_created := _recon.backfill_apply(v_stage, v_fix, v_check, v_target, backfill.ticket,
                                           backfill.reason, v_invoker);
        v_after := _recon.backfill_report(v_check);
    END IF;

    -- 4. The report: each owner's new wallet, its opening balance and what became of it.
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'owner', s.finding_key, 'wallet', s.wallet_key,
               'opening', s.moves -> (v_target ->> 'column'), 'status', s.status, 'note', s.note,
               'repair_id', s.repair_id)) ORDER BY s.step)
    INTO v_plan FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'dry_run', backfill.dry_run, 'fix_id', v_fix, 'check', v_check.name,
        'offset_wallet', v_target ->> 'offset_wallet', 'before', v_before, 'after', v_after,
        'created', v_created, 'wallets', COALESCE(v_plan, '[]')));
END;
$$;

--
-- Name: FUNCTION backfill(coverage_check text, dry_run boolean, ticket text, reason text, wallet_key text, wallet_columns jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.backfill(coverage_check text, dry_run boolean, ticket text, reason text, wallet_key text, wallet_columns jsonb) IS 'Seed 003''s backfill, general: for every owner a coverage check finds without a wallet, creates the wallet (key from the wallet_key template, e.g. ''{uuid}''; other columns from wallet_columns) and posts its opening balance (the owner''s legacy balance) against the offset wallet of the ledger''s double-entry writer, so the journal stays balanced. Dry run by default; applying needs a ticket and a reason; each owner is backfilled once (a second run changes nothing). Returns a before/after report: wallets, missing, legacy total, treasury drift, wallets with drift. Errors: RC303, RC309 (not a coverage check, no double-entry writer, bad wallet column; new wallet keys that are not distinct, new and of the key column''s type), RC305 the writer failed, RC307. docs/REPAIRS.md.';

--
-- Name: describe_check(text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.describe_check(name text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_result jsonb;
BEGIN
    SELECT jsonb_build_object(
        'name', c.name, 'kind', c.kind, 'enabled', c.enabled, 'view', 'recon.' || c.view_name,
        'wallet_source', c.wallet_source, 'ledger_source', c.ledger_source,
        'options', c.options, 'currency', c.currency, 'tolerance', c.tolerance,
        'low_limit', c.low_limit, 'high_wallets', c.high_wallets,
        'critical_wallets', c.critical_wallets, 'pattern_wallets', c.pattern_wallets,
        'created_at', c.created_at, 'created_by', c.created_by, 'sql', c.compiled_sql
    ) INTO v_result
    FROM _recon.check(describe_check.name) AS c;
    RETURN v_result;
END;
$$;

--
-- Name: FUNCTION describe_check(name text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.describe_check(name text) IS 'One check as JSON: kind, options, thresholds, view, and the SQL it compiled to. RC107 if unknown. SECURITY DEFINER: readable by recon_auditor without access to the private schema.';

--
-- Name: disable_guard(text, text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.disable_guard(p_kind text, p_target text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_guard _recon.guard;
    v_trigger jsonb;
    v_function text;
    v_table text;
BEGIN
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.kind = p_kind AND g.target = p_target;
    IF NOT FOUND THEN
        PERFORM _recon.fail('RC406', format('no %s guard on %L', p_kind, p_target),
                            'Only an enabled guard can be disabled.',
                            'SELECT * FROM recon.guards; lists them.');
    END IF;
    -- the tables' locks first, in the triggers' order (see recon.enable_guard)
    FOR v_table IN SELECT t.value ->> 'table'
                   FROM jsonb_array_elements(v_guard.triggers) WITH ORDINALITY AS t
                   WHERE to_regclass(t.value ->> 'table') IS NOT NULL
                   GROUP BY t.value ->> 'table' ORDER BY min(t.ordinality) LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    END LOOP;
    FOR v_trigger IN SELECT t.value FROM jsonb_array_elements(v_guard.triggers) AS t
                     WHERE to_regclass(t.value ->> 'table') IS NOT NULL LOOP  -- a child dropped
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger ->> 'trigger',
                       v_trigger ->> 'table');
    END LOOP;
    -- then the trigger functions generated for it (drift)
    FOR v_function IN SELECT f.value FROM jsonb_array_elements_text(
        COALESCE(v_guard.compiled -> 'functions', '[]'::jsonb)) AS f LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s', v_function);
    END LOOP;
    DELETE FROM _recon.guard AS g WHERE g.id = v_guard.id;
    RETURN jsonb_build_object('guard', v_guard.id, 'kind', p_kind, 'target', p_target,
                              'dropped', v_guard.triggers,
                              'functions', COALESCE(v_guard.compiled -> 'functions', '[]'));
END;
$$;

--
-- Name: FUNCTION disable_guard(p_kind text, p_target text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.disable_guard(p_kind text, p_target text) IS 'Disables a guard: drops exactly the triggers recon.enable_guard() created for it, and the trigger functions it generated for it (drift), nothing else. RC406 if there is no such guard. Needs the owner of the tables.';

--
-- Name: drop_check(text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.drop_check(name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_view name;
BEGIN
    v_view := (_recon.check(drop_check.name)).view_name;
    DELETE FROM _recon.watermark AS m WHERE m.check_name = drop_check.name;
    -- Its open findings are closed as dropped, not resolved (nothing saw them go), and stay as
    -- history; a new check of the same name starts with none.
    UPDATE _recon.finding AS f SET dropped_at = now()
    WHERE f.check_name = drop_check.name AND f.resolved_run IS NULL AND f.dropped_at IS NULL;
    DELETE FROM _recon.check_def AS c WHERE c.name = drop_check.name;
    DELETE FROM _recon.balance_state AS s WHERE s.check_name = drop_check.name;
    PERFORM _recon.rebuild_discrepancies();
    EXECUTE format('DROP VIEW recon.%I', v_view);  -- RESTRICT: a user view on it stops this
END;
$$;

--
-- Name: FUNCTION drop_check(name text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.drop_check(name text) IS 'Drops a check and its view (never CASCADE: a view of yours over it makes this fail). Its open findings are closed as dropped (dropped_at); all its findings stay in the history tables. RC107 if unknown. Needs the toolkit owner.';

--
-- Name: drop_source(text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.drop_source(name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_users text;
BEGIN
    SELECT string_agg(u, ', ' ORDER BY u) INTO v_users FROM (
        SELECT 'check ' || c.name AS u FROM _recon.check_def AS c
        WHERE drop_source.name IN (c.wallet_source, c.ledger_source)
            OR (jsonb_typeof(c.options -> 'ledger') = 'array' AND c.options -> 'ledger' ? drop_source.name)
        UNION ALL
        SELECT 'ledger source ' || l.name FROM _recon.ledger_source AS l
        WHERE l.wallet_source = drop_source.name
    ) AS x;
    IF v_users IS NOT NULL THEN
        PERFORM _recon.fail('RC109', format('source %L is in use', drop_source.name),
                            format('Used by: %s.', v_users),
                            'Drop those first (recon.drop_check, recon.drop_source).');
    END IF;
    DELETE FROM _recon.writer AS w WHERE w.ledger_source = drop_source.name;
    DELETE FROM _recon.ledger_source AS l WHERE l.name = drop_source.name;
    IF NOT FOUND THEN
        DELETE FROM _recon.wallet_source AS w WHERE w.name = drop_source.name;
        IF NOT FOUND THEN
            PERFORM _recon.fail('RC107', format('unknown source %L', drop_source.name),
                                'No wallet or ledger source of that name is registered.',
                                'SELECT * FROM recon.sources; lists them.');
        END IF;
    END IF;
END;
$$;

--
-- Name: FUNCTION drop_source(name text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.drop_source(name text) IS 'Drops a wallet or ledger source (and a ledger''s writer). RC109 while a check or ledger source uses it, RC107 if unknown. Needs the toolkit owner.';

--
-- Name: enable_guard(text, text, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.enable_guard(p_kind text, p_target text, p_options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_old _recon.guard;
    v_mode text;
    v_tolerance numeric;
    v_id integer;
    v_compiled jsonb;
    v_trigger jsonb;
    v_function jsonb;
    v_owner text;
    v_table text;
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('drift', 'derived', 'append_only', 'double_entry',
                                        'lifecycle') THEN
        PERFORM _recon.fail('RC406', format('unknown guard kind %L', p_kind),
                            'Kinds: drift, derived, append_only, double_entry, lifecycle.',
                            'docs/GUARDS.md describes each.');
    END IF;
    IF p_target IS NULL THEN
        PERFORM _recon.fail('RC107', format('no target for a %s guard', p_kind),
                            'A guard guards a registered ledger source or check.',
                            'SELECT * FROM recon.sources; SELECT name FROM recon.checks;');
    END IF;
    PERFORM _recon.check_options(format('%s guard on %s', p_kind, p_target), p_options,
                                 ARRAY['mode', 'tolerance', 'check_on']);
    v_mode := COALESCE(p_options ->> 'mode', 'warn');
    IF v_mode NOT IN ('warn', 'block') THEN
        PERFORM _recon.fail('RC406', format('unknown guard mode %L', v_mode),
                            'Modes: warn (warning, alert, NOTIFY) and block (fail at commit).',
                            'Start with warn; block once the alerts are quiet.');
    END IF;
    IF p_options ? 'tolerance' AND (jsonb_typeof(p_options -> 'tolerance') <> 'number'
                                    OR (p_options ->> 'tolerance')::numeric < 0) THEN
        PERFORM _recon.fail('RC406', 'tolerance must be a number >= 0',
                            format('Got %s.', p_options -> 'tolerance'), 'E.g. 0.01.');
    END IF;
    v_tolerance := COALESCE((p_options ->> 'tolerance')::numeric, 0);
    -- drift: which table's rows queue the commit-time check (the other's queue one only when
    -- they come first in a transaction); the table your transactions write first is cheaper
    IF p_options ? 'check_on' AND (p_kind <> 'drift' OR jsonb_typeof(p_options -> 'check_on')
                                   <> 'string' OR p_options ->> 'check_on' NOT IN ('wallet',
                                                                                   'ledger')) THEN
        PERFORM _recon.fail('RC406', 'check_on is "wallet" or "ledger", for a drift guard',
                            format('Got %s for a %s guard.', p_options -> 'check_on', p_kind),
                            'The table your transactions write first: docs/GUARDS.md.');
    END IF;

    -- Enabling twice is harmless: the same guard is kept, another mode replaces it.
    SELECT g.* INTO v_old FROM _recon.guard AS g WHERE g.kind = p_kind AND g.target = p_target;
    IF FOUND AND v_old.mode = v_mode AND v_old.tolerance = v_tolerance
       AND COALESCE(v_old.options ->> 'check_on', 'wallet')
           = COALESCE(p_options ->> 'check_on', 'wallet') THEN
        RETURN jsonb_build_object('guard', v_old.id, 'kind', p_kind, 'target', p_target,
                                  'mode', v_mode, 'triggers', v_old.triggers, 'changed', FALSE);
    ELSIF FOUND THEN
        PERFORM recon.disable_guard(p_kind, p_target);
    END IF;

    INSERT INTO _recon.guard (kind, target, mode, tolerance, options, compiled, triggers)
    VALUES (p_kind, p_target, v_mode, v_tolerance, p_options, '{}', '[]')
    RETURNING id INTO v_id;
    v_compiled := _recon.guard_compile(p_kind, p_target, v_id);
    -- partitions and inheritance children get the triggers too, now and (event trigger
    -- recon_guard_children, from the "roots" kept) when they are created or attached later
    v_compiled := v_compiled || jsonb_build_object(
        'roots', v_compiled -> 'triggers',
        'triggers', _recon.guard_tree_triggers(v_compiled -> 'triggers'));
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS e
                   WHERE e.evtname = 'recon_guard_children' AND e.evtenabled <> 'D')
       AND EXISTS (SELECT FROM jsonb_array_elements(v_compiled -> 'roots') AS t
                   JOIN pg_catalog.pg_class AS c ON c.oid = (t.value ->> 'table')::regclass
                   WHERE c.relkind = 'p' OR EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
                                                    WHERE i.inhparent = c.oid)) THEN
        PERFORM _recon.fail(
            'RC406', format('cannot keep a %s guard on %s over partitions', p_kind, p_target),
            'Its table has partitions or inheritance children, and the event trigger '
            || 'recon_guard_children that guards the ones created later is not installed '
            || '(only a superuser can create it).',
            'Install the toolkit as a superuser, or have one run: CREATE EVENT TRIGGER '
            || 'recon_guard_children ON ddl_command_end WHEN TAG IN (''CREATE TABLE'', '
            || '''ALTER TABLE'') EXECUTE FUNCTION _recon.evt_guard_children(); '
            || 'docs/GUARDS.md "Partitioned ledgers".');
    END IF;
    -- a guard on parent rows relies on foreign keys that the same event trigger keeps from
    -- being dropped or disabled under it (_recon.guard_recheck_parents)
    IF p_kind IN ('drift', 'double_entry')
       AND (SELECT l.parents FROM _recon.ledger_source AS l WHERE l.name = p_target) IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS e
                       WHERE e.evtname = 'recon_guard_children' AND e.evtenabled <> 'D') THEN
        PERFORM _recon.fail(
            'RC406', format('cannot keep a %s guard on %s over parent rows', p_kind, p_target),
            'Its ledger reads parent rows through foreign keys, and the event trigger '
            || 'recon_guard_children that refuses to drop or disable one under an enabled guard '
            || 'is not installed (only a superuser can create it).',
            'Install the toolkit as a superuser, or have one run: CREATE EVENT TRIGGER '
            || 'recon_guard_children ON ddl_command_end WHEN TAG IN (''CREATE TABLE'', '
            || '''ALTER TABLE'') EXECUTE FUNCTION _recon.evt_guard_children(); '
            || 'docs/GUARDS.md "Ledger shapes".');
    END IF;
    -- the trigger functions generated for this guard (drift), owned like the toolkit's own
    SELECT n.nspowner::regrole::text INTO v_owner
    FROM pg_catalog.pg_namespace AS n WHERE n.nspname = '_recon';
    FOR v_function IN SELECT f.value FROM jsonb_array_elements(v_compiled -> 'functions') AS f
    LOOP
        EXECUTE v_function ->> 'definition';
        IF v_owner <> current_user::text THEN
            EXECUTE format('ALTER FUNCTION %s OWNER TO %s', v_function ->> 'function', v_owner);
        END IF;
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v_function ->> 'function');
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', v_function ->> 'function',
                       format('wallet-recon %s guard %s on %s: generated row trigger function '
                              || '(recon.disable_guard(%L, %L) drops it)', p_kind, v_id,
                              p_target, p_kind, p_target));
    END LOOP;
    -- Every table's lock first, in the triggers' order (wallets before ledger: the order
    -- applications write in), so that enabling under load waits for them instead of
    -- deadlocking with them (found by the bank test).
    FOR v_table IN SELECT t.value ->> 'table'
                   FROM jsonb_array_elements(v_compiled -> 'triggers') WITH ORDINALITY AS t
                   GROUP BY t.value ->> 'table' ORDER BY min(t.ordinality) LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    END LOOP;
    FOR v_trigger IN SELECT t.value FROM jsonb_array_elements(v_compiled -> 'triggers') AS t LOOP
        EXECUTE format(CASE WHEN (v_trigger ->> 'constraint')::boolean
                            THEN 'CREATE CONSTRAINT TRIGGER %I ' ELSE 'CREATE TRIGGER %I ' END,
                       v_trigger ->> 'trigger')
            || (v_trigger ->> 'definition');
        EXECUTE format('COMMENT ON TRIGGER %I ON %s IS %L', v_trigger ->> 'trigger',
                       v_trigger ->> 'table',
                       format('wallet-recon %s guard %s on %s (recon.disable_guard(%L, %L) '
                              || 'removes it)', p_kind, v_id, p_target, p_kind, p_target));
    END LOOP;
    UPDATE _recon.guard AS g
    SET compiled = jsonb_build_object(
            'sql', v_compiled -> 'sql',
            'roots', v_compiled -> 'roots',
            'functions', (SELECT COALESCE(jsonb_agg(f.value -> 'function'), '[]'::jsonb)
                          FROM jsonb_array_elements(v_compiled -> 'functions') AS f)),
        triggers = (SELECT COALESCE(jsonb_agg(t.value - 'definition'), '[]'::jsonb)
                    FROM jsonb_array_elements(v_compiled -> 'triggers') AS t)
    WHERE g.id = v_id;
    RETURN jsonb_build_object('guard', v_id, 'kind', p_kind, 'target', p_target, 'mode', v_mode,
                              'triggers', (SELECT g.triggers FROM _recon.guard AS g
                                           WHERE g.id = v_id), 'changed', TRUE);
END;
$$;

--
-- Name: FUNCTION enable_guard(p_kind text, p_target text, p_options jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.enable_guard(p_kind text, p_target text, p_options jsonb) IS 'Enables a write-path guard: drift (ledger source: every committed transaction leaves each wallet it touched with a stored change equal to its ledger effects), derived (derived check), append_only (ledger source), double_entry (ledger source with a journal column), lifecycle (lifecycle check). Options: {"mode": "warn"|"block", "tolerance": n, and for drift "check_on": "wallet"|"ledger", the table whose rows queue the commit-time check}. Enabling twice is harmless; other options replace the guard. A drift guard also generates its three trigger functions (_recon.tg_drift_<id>_wallet / _ledger / _check). Errors: RC406, RC107, RC106. Needs the owner of the tables. docs/GUARDS.md.';

--
-- Name: fix(bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.fix(run_id bigint DEFAULT NULL::bigint, dry_run boolean DEFAULT true, ticket text DEFAULT NULL::text, reason text DEFAULT NULL::text, checks text[] DEFAULT NULL::text[], wallets text[] DEFAULT NULL::text[], force_strategy text DEFAULT NULL::text, wallet_limit numeric DEFAULT NULL::numeric, run_limit numeric DEFAULT NULL::numeric, findings bigint[] DEFAULT NULL::bigint[], wallet_limits jsonb DEFAULT NULL::jsonb, run_limits jsonb DEFAULT NULL::jsonb) RETURNS SETOF recon.fix_step
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
DECLARE
    v_run bigint := fix.run_id;
    v_stage bigint;
    v_fix bigint;
    v_unknown text;
    v_invoker name;
    v_wallet_limit jsonb;
    v_run_limit jsonb;
BEGIN
    -- 1. Bad input fails before anything is read or written. Limits are maps per currency
    --    ({"USD": 500, "*": 10}); one amount (wallet_limit, run_limit) is read in the currency
    --    of each check the plan repairs (_recon.fix_call_limits, once the plan is made).
    PERFORM _recon.fix_limit(fix.wallet_limit, 'wallet_limit');
    PERFORM _recon.fix_limit(fix.run_limit, 'run_limit');
    IF (fix.wallet_limit IS NOT NULL AND fix.wallet_limits IS NOT NULL)
       OR (fix.run_limit IS NOT NULL AND fix.run_limits IS NOT NULL) THEN
        PERFORM _recon.fail('RC302', 'a limit given twice',
                            'wallet_limit is one amount in each check''s currency, '
                            || 'wallet_limits a map per currency (run_limit and run_limits '
                            || 'alike).',
                            'Give the map alone, with "*" for every currency it does not name.');
    END IF;
    v_wallet_limit := _recon.currency_amounts('wallet_limits', fix.wallet_limits, NULL, NULL,
                                              'RC302');
    v_run_limit := _recon.currency_amounts('run_limits', fix.run_limits, NULL, NULL, 'RC302');
    v_invoker := _recon.fix_caller(fix.dry_run, fix.ticket, fix.reason,
                                   'applying a fix');
    IF fix.force_strategy IS NOT NULL AND fix.force_strategy NOT IN (
        'adjust', 'resync', 'post_missing', 'reverse', 'move', 'resolve', 'acknowledge',
        'none') THEN
        PERFORM _recon.fail('RC304', format('unknown strategy %L', fix.force_strategy),
                            'Strategies: adjust, resync, post_missing, reverse, move, resolve, '
                            || 'acknowledge, none.',
                            'Use one of adjust, resync, post_missing, reverse, move, resolve, '
                            || 'acknowledge, none (docs/REPAIRS.md explains each).');
    END IF;
    IF fix.checks IS NOT NULL THEN
        SELECT string_agg(COALESCE(quote_literal(n), 'NULL'), ', ') INTO v_unknown
        FROM unnest(fix.checks) AS n
        WHERE n IS NULL OR NOT EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = n);
        IF v_unknown IS NOT NULL THEN
            PERFORM _recon.fail('RC107', format('unknown check %s', v_unknown),
                                'Only registered checks have findings to repair.',
                                'SELECT name FROM recon.checks; lists them.');
        END IF;
    END IF;
    IF fix.findings IS NOT NULL THEN
        SELECT string_agg(COALESCE(n::text, 'NULL') || CASE
                   WHEN f.id IS NULL THEN ' (no such finding)'
                   WHEN f.dropped_at IS NOT NULL THEN ' (its check was dropped)'
                   ELSE format(' (resolved by run %s)', f.resolved_run) END, ', ')
        INTO v_unknown
        FROM unnest(fix.findings) AS n
        LEFT JOIN _recon.finding AS f ON f.id = n
        WHERE f.id IS NULL OR f.resolved_run IS NOT NULL OR f.dropped_at IS NOT NULL;
        IF v_unknown IS NOT NULL THEN
            PERFORM _recon.fail('RC311', format('not an open finding: %s', v_unknown),
                                'Only open findings are repaired.',
                                'SELECT finding_id FROM recon.open_findings; lists them.');
        END IF;
    END IF;
    IF v_run IS NULL AND fix.checks IS NULL AND fix.wallets IS NULL
       AND fix.findings IS NULL THEN
        SELECT max(r.id) INTO v_run FROM _recon.run AS r WHERE r.finished_at IS NOT NULL;
        IF v_run IS NULL THEN
            PERFORM _recon.fail('RC301', 'no run to repair',
                                'recon.reconcile() has not completed a run yet.',
                                'SELECT recon.reconcile(); first.');
        END IF;
    ELSIF v_run IS NOT NULL AND NOT EXISTS (SELECT FROM _recon.run AS r
                                            WHERE r.id = v_run AND r.finished_at IS NOT NULL) THEN
        PERFORM _recon.fail('RC301', format('unknown run %s', v_run),
                            'No completed recon.reconcile() run has that number.',
                            'SELECT * FROM recon.runs; lists them.');
    END IF;

    -- 2. The plan. A dry run reads and returns it; nothing is written but scratch rows, which
    --    are gone when it returns.
    v_stage := nextval('_recon.fix_stage_seq');
    PERFORM _recon.fix_plan(v_stage, v_run, fix.checks, fix.wallets, fix.findings,
                            fix.force_strategy);
    v_wallet_limit := COALESCE(v_wallet_limit,
                               _recon.fix_call_limits(v_stage, fix.wallet_limit, 'wallet_limit'));
    v_run_limit := COALESCE(v_run_limit,
                            _recon.fix_call_limits(v_stage, fix.run_limit, 'run_limit'));
    IF fix.dry_run THEN
        PERFORM _recon.fix_assess(v_stage, v_wallet_limit, v_run_limit, FALSE);
    ELSE
        -- 3. Apply: lock the wallets in key order and re-verify under the lock, claim each
        --    repair by its unique key, post, move the stored balances, verify, audit. A step
        --    writing a float amount or balance refuses the whole call (RC320).
        PERFORM _recon.fix_floats(v_stage, TRUE);
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('fix', v_run, fix.ticket, fix.reason, jsonb_strip_nulls(jsonb_build_object(
                    'run_id', v_run, 'checks', fix.checks, 'wallets', fix.wallets,
                    'force_strategy', fix.force_strategy, 'wallet_limit', fix.wallet_limit,
                    'run_limit', fix.run_limit, 'findings', fix.findings,
                    'wallet_limits', fix.wallet_limits, 'run_limits', fix.run_limits)),
                v_invoker)
        RETURNING id INTO v_fix;
        PERFORM _recon.fix_apply(v_stage, v_fix, fix.ticket, fix.reason, v_invoker,
                                 v_wallet_limit, v_run_limit, TRUE);
    END IF;

    RETURN QUERY SELECT r.* FROM _recon.fix_report(v_stage) AS r;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
END;
$$;

--
-- Name: FUNCTION fix(run_id bigint, dry_run boolean, ticket text, reason text, checks text[], wallets text[], force_strategy text, wallet_limit numeric, run_limit numeric, findings bigint[], wallet_limits jsonb, run_limits jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.fix(run_id bigint, dry_run boolean, ticket text, reason text, checks text[], wallets text[], force_strategy text, wallet_limit numeric, run_limit numeric, findings bigint[], wallet_limits jsonb, run_limits jsonb) IS 'Plans the repair of open findings: of run run_id (default: the latest), or of the checks, wallets or findings (ids) named; a finding acknowledged as it is now is not planned again. One row per step (recon.fix_step): finding, wallet, strategy, amount, entries to post, stored balances before and after, status (planned, applied, covered, manual, skipped), a note, the currency, the change to the stored balances and to the ledger (offset wallets included) and the ledger evidence the strategy was chosen on (a wallet whose ledger lost an entry is restored or left manual, never resynced; a hold left open is committed or released, a second resolution reversed, on the transaction''s status and entries; a wallet''s adjustments of several columns are one posting). A dry run (the default) writes nothing. dry_run => false with a ticket and a reason applies it: wallets locked in key order, every finding re-verified under the lock, limits (per wallet and per call, per currency: wallet_limits and run_limits are maps {"USD": 500, "*": 10}, wallet_limit and run_limit one amount in the currency of each check repaired (RC302 for a check whose wallets or entries each carry a currency and that names none); else the check''s policy, else its low_limit; a currency with no limit is not repaired automatically, and each step says which limit it used) and no overdraft enforced, each wallet repaired whole or not at all, each repair applied once (a unique key), posted through the ledger''s writer, verified by re-running every enabled check on the touched wallets and by each currency''s totals moving by exactly the plan, and audited (recon.repairs). Errors: RC301 unknown run, RC302 bad limit, RC303 no ticket or reason, RC304 unknown strategy, RC107 unknown check, RC305 the writer failed, RC306 no entry type for a posting, RC307 the repair did not verify or conserve, RC310 applying outside READ COMMITTED, RC311 not an open finding. A step your balance or amount column cannot hold is skipped. docs/REPAIRS.md.';

--
-- Name: forbid_overdraft(text, text, text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.forbid_overdraft(source text, wallet text DEFAULT NULL::text, balance_column text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_variable
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(forbid_overdraft.source);
BEGIN
    DELETE FROM _recon.overdraft_exemption AS e
    WHERE e.wallet_source = v_ws.name
      AND e.wallet_key IS NOT DISTINCT FROM forbid_overdraft.wallet
      AND e.balance_column IS NOT DISTINCT FROM forbid_overdraft.balance_column;
    RETURN FOUND;
END;
$$;

--
-- Name: FUNCTION forbid_overdraft(source text, wallet text, balance_column text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.forbid_overdraft(source text, wallet text, balance_column text) IS 'Removes the overdraft exemption of exactly that scope (wallet, balance column, NULL for every) set by recon.allow_overdraft(); returns whether there was one. Needs the toolkit owner.';

--
-- Name: reconcile(text[], text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.reconcile(p_checks text[] DEFAULT NULL::text[], p_mode text DEFAULT 'full'::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $_$
DECLARE
    v_run bigint;
    v_names text[];
    v_check _recon.check_def;
    v_reason text;
    v_watermark text;
    v_modes jsonb := '{}'::jsonb;
    v_new bigint;
    v_resolved bigint;
    v_acknowledged bigint[];
    v_alert bigint;
    v_summary jsonb;
    v_amounts jsonb;
    v_started timestamptz := clock_timestamp();
    v_started_run bigint;
    v_stale bigint;
    v_holder integer;
    v_check_started timestamptz;
    v_rows bigint;
    v_done integer := 0;
    -- The kinds by their part in the causes (_recon.check_kind.cause_roles, docs/CHECKS.md §4).
    v_explained text[];
    v_explainers text[];
    v_payment text[];
    v_amount text[];
    v_break text[];
    v_total text[];
    v_missing_wallet text[];
    v_pattern text[];
    v_user_query text[];
    -- Progress (a NOTICE per check) only when the caller asks: wallet-recon check on a terminal.
    v_progress CONSTANT boolean := COALESCE(current_setting('wallet_recon.progress', TRUE), '')
        = 'on';
BEGIN
    v_names := _recon.run_checks(p_checks, p_mode);
    -- One reconcile at a time per database: findings are merged into one set of open issues.
    PERFORM pg_advisory_xact_lock(hashtextextended('wallet-recon reconcile', 0));

    -- The run recon.start_run() recorded for this session (same checks and mode), or a new one.
    v_started_run := NULLIF(current_setting('wallet_recon.run_id', TRUE), '')::bigint;
    PERFORM set_config('wallet_recon.run_id', '', FALSE);
    UPDATE _recon.run AS r SET started_at = clock_timestamp()
    WHERE r.id = v_started_run AND r.status = 'running' AND r.mode = p_mode
      AND r.checks = v_names AND _recon.run_lock_owner(r.id) = pg_backend_pid()
    RETURNING r.id INTO v_run;
    IF v_run IS NULL THEN
        INSERT INTO _recon.run (mode, checks) VALUES (p_mode, v_names) RETURNING id INTO v_run;
        v_started_run := NULL;
    END IF;
    -- Started runs whose session is gone (their lock is free) never finished: interrupted.
    FOR v_stale IN SELECT r.id FROM _recon.run AS r
                   WHERE r.status = 'running' AND r.id <> v_run ORDER BY r.id LOOP
        v_holder := _recon.run_lock_owner(v_stale);
        IF v_holder = pg_backend_pid() THEN
            -- started by this session and never finished (its reconcile failed): let it go
            PERFORM pg_advisory_unlock(_recon.run_lock_key(v_stale));
        END IF;
        IF v_holder IS NULL OR v_holder = pg_backend_pid() THEN
            UPDATE _recon.run AS r
            SET status = 'interrupted', finished_at = clock_timestamp(),
                summary = jsonb_build_object('run_id', r.id, 'status', 'interrupted',
                                             'mode', r.mode, 'checks', to_jsonb(r.checks),
                                             'marked_by_run', v_run)
            WHERE r.id = v_stale;
        END IF;
    END LOOP;

    -- 1. Every check's findings, staged. A check that fails makes the whole run fail: nothing
    --    is recorded from a run that could not see everything it was asked to. In incremental
    --    mode a balance check runs from its watermark when that can be shown to give the full
    --    result (_recon.balance_increment), and in full otherwise; a full balance check leaves
    --    a watermark for the next incremental run.
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c WHERE c.name = ANY (v_names)
                   ORDER BY c.name LOOP
        v_reason := CASE WHEN p_mode = 'full' THEN 'full mode'
                         WHEN v_check.kind <> 'balance' THEN 'only balance checks run incrementally'
                         ELSE _recon.balance_increment(v_check, v_run) END;
        v_watermark := NULL;
        v_check_started := clock_timestamp();
        v_rows := 0;
        -- a balance check's full run leaves its incremental state from the same pass
        IF v_reason IS NOT NULL AND v_check.kind = 'balance' THEN
            v_watermark := COALESCE(_recon.balance_full(v_check, v_run), 'set');
        END IF;
        IF v_reason IS NOT NULL AND v_watermark IS DISTINCT FROM 'set' THEN
            EXECUTE format($q$
                INSERT INTO _recon.run_stage
                    (run_id, check_name, finding_key, wallet_key, stored, expected, difference,
                     details, cause)
                SELECT $1, d.check_name,
                       d.fkey || CASE WHEN count(*) OVER (PARTITION BY d.fkey) > 1
                                      THEN '#' || row_number() OVER (PARTITION BY d.fkey)
                                      ELSE '' END,
                       d.wallet_key, d.stored, d.expected, d.difference, d.details,
                       d.details ->> 'cause'
                FROM (SELECT f.*, concat_ws('/', COALESCE(f.wallet_key, '-'),
                                            f.details ->> 'item') AS fkey
                      FROM recon.%I AS f) AS d
            $q$, v_check.view_name) USING v_run;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
        ELSIF v_reason IS NOT NULL AND v_progress THEN
            SELECT count(*) INTO v_rows FROM _recon.run_stage AS s
            WHERE s.run_id = v_run AND s.check_name = v_check.name;
        END IF;
        PERFORM _recon.stage_labels(v_run, v_check);
        PERFORM _recon.stage_currency(v_run, v_check);
        v_modes := v_modes || jsonb_build_object(v_check.name, jsonb_strip_nulls(jsonb_build_object(
            'mode', CASE WHEN v_reason IS NULL THEN 'incremental' ELSE 'full' END,
            'why_full', CASE WHEN p_mode = 'incremental' THEN v_reason END,
            'watermark', v_watermark)));
        v_done := v_done + 1;
        IF v_progress THEN
            RAISE NOTICE 'wallet-recon progress: %/% %: % finding(s) in % ms',
                v_done, cardinality(v_names), v_check.name, v_rows,
                round(extract(EPOCH FROM clock_timestamp() - v_check_started) * 1000);
        END IF;
    END LOOP;

    -- The stage's statistics, now that it holds this run's findings: the joins below over
    -- thousands of findings are planned as hash joins, not nested loops (one run at a time
    -- holds the advisory lock above, so nothing else analyzes it meanwhile).
    PERFORM _recon.analyze_run_stage();  -- never waiting behind autovacuum

    -- An acknowledged finding (recon.fix, strategy acknowledge) seen again as it was
    -- acknowledged (the same difference, the finding open ever since, the acknowledgement not
    -- withdrawn) is not reported; it stays open, quietly. Once a run no longer sees it, it is
    -- resolved like any other, and the same drift later is a new finding.
    WITH ack AS (
        DELETE FROM _recon.run_stage AS s
        USING _recon.repair AS r, _recon.finding AS f
        WHERE s.run_id = v_run AND r.strategy = 'acknowledge' AND f.id = r.finding_id
          AND f.resolved_run IS NULL AND f.dropped_at IS NULL
          AND f.check_name = s.check_name AND f.finding_key = s.finding_key
          AND r.difference IS NOT DISTINCT FROM s.difference
          AND NOT EXISTS (SELECT FROM _recon.repair AS v WHERE v.reverses = r.id)
        RETURNING f.id
    )
    SELECT COALESCE(array_agg(DISTINCT ack.id), '{}') INTO v_acknowledged FROM ack;
    UPDATE _recon.finding AS f SET last_seen_run = v_run WHERE f.id = ANY (v_acknowledged);

    -- 2. Causes a balance or derived finding can show: on the same wallet source and wallet, a
    --    duplicate posting or orphaned payments of exactly the drift (a payment with the sign
    --    a missing credit gives), or a chain break. Which kinds play which part is the
    --    registry's (cause_roles): explained (balance, derived), explained by payment (orphan),
    --    amount (duplicate) or break (chain), tried in that order.
    SELECT COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'explained' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY (
                        SELECT min(array_position(ARRAY['payment', 'amount', 'break'], r))
                        FROM unnest(k.cause_roles) AS r), k.kind)
                        FILTER (WHERE k.cause_roles && ARRAY['payment', 'amount', 'break']), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'payment' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'amount' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'break' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'total' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'missing_wallet' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'pattern' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind) FILTER (WHERE k.user_query), '{}')
    INTO v_explained, v_explainers, v_payment, v_amount, v_break, v_total, v_missing_wallet,
         v_pattern, v_user_query
    FROM _recon.check_kind AS k;
    --    An orphan or a duplicate explaining the drift holds the same money, in the same
    --    currency: the drift is explained by it (explained_by), and totals count that money
    --    once, there. A chain break shows why, not how much: both count.
    UPDATE _recon.run_stage AS s
    SET cause = m.cause,
        details = s.details || jsonb_build_object(
            'cause', m.cause,
            'evidence', jsonb_build_object('check', m.check_name, 'finding', m.finding_key)
                        || (m.details - 'cause' - 'item')),
        explained_by = CASE
            WHEN m.kind = ANY (v_break) OR m.currency IS DISTINCT FROM s.currency THEN NULL
            WHEN m.kind = ANY (v_payment) AND m.difference IS DISTINCT FROM -s.difference THEN (
                -- payments summing to the drift: all of them
                SELECT jsonb_agg(jsonb_build_object('check', o2.check_name,
                                                    'finding', o2.finding_key)
                                 ORDER BY o2.finding_key)
                FROM _recon.run_stage AS o2
                WHERE o2.run_id = s.run_id AND o2.check_name = m.check_name
                  AND o2.wallet_key = s.wallet_key)
            ELSE jsonb_build_array(jsonb_build_object('check', m.check_name,
                                                      'finding', m.finding_key))
        END
    FROM (
        SELECT DISTINCT ON (b.finding_key, b.check_name)
               b.check_name AS b_check, b.finding_key AS b_key,
               o.check_name, o.finding_key, o.cause, o.details, o.currency, o.difference,
               co.kind
        FROM _recon.run_stage AS b
        JOIN _recon.check_def AS cb ON cb.name = b.check_name AND cb.kind = ANY (v_explained)
        JOIN _recon.run_stage AS o ON o.run_id = b.run_id AND o.wallet_key = b.wallet_key
        JOIN _recon.check_def AS co ON co.name = o.check_name
            AND co.kind = ANY (v_explainers)
            AND co.wallet_source = cb.wallet_source
        WHERE b.run_id = v_run AND b.cause IS NULL
          -- a missing payment makes the stored balance exceed the ledger by it (signs
          -- opposite: the orphan's difference is minus the payment); two or more on one wallet
          -- by their sum
          AND (co.kind = ANY (v_break)
               OR (co.kind = ANY (v_payment)
                   AND (o.difference = -b.difference
                        OR (SELECT sum(o2.difference) FROM _recon.run_stage AS o2
                            WHERE o2.run_id = b.run_id AND o2.check_name = o.check_name
                              AND o2.wallet_key = b.wallet_key) = -b.difference))
               OR (co.kind = ANY (v_amount) AND abs(o.difference) = abs(b.difference)))
        ORDER BY b.finding_key, b.check_name,
                 array_position(v_explainers, co.kind), o.finding_key
    ) AS m
    WHERE s.run_id = v_run AND s.check_name = m.b_check AND s.finding_key = m.b_key;

    -- A total that drifts by exactly what missing wallets hold (a total kind's finding, a
    -- coverage kind's findings): the missing wallets, which hold that money (explained_by)
    -- when they are all in the total's currency.
    UPDATE _recon.run_stage AS s
    SET cause = 'missing_wallet',
        details = s.details || jsonb_build_object(
            'cause', 'missing_wallet',
            'evidence', jsonb_build_object('check', m.check_name, 'missing_wallets', m.n,
                                           'amount', m.amount)),
        explained_by = CASE WHEN cardinality(m.currencies) = 1
                                 AND m.currencies[1] IS NOT DISTINCT FROM s.currency
                            THEN m.refs END
    FROM (
        SELECT o.check_name, count(*) AS n, sum(o.expected) AS amount,
               array_agg(DISTINCT o.currency) AS currencies,
               jsonb_agg(jsonb_build_object('check', o.check_name, 'finding', o.finding_key)
                         ORDER BY o.finding_key) AS refs
        FROM _recon.run_stage AS o
        JOIN _recon.check_def AS co ON co.name = o.check_name AND co.kind = ANY (v_missing_wallet)
        WHERE o.run_id = v_run
        GROUP BY o.check_name
    ) AS m, _recon.check_def AS c
    WHERE s.run_id = v_run AND c.name = s.check_name AND c.kind = ANY (v_total)
      AND s.cause IS NULL
      AND abs(s.difference) = m.amount;

    -- 3. Severity, per the runbook: one wallet LOW or MEDIUM by amount; several wallets HIGH;
    --    a systematic pattern (many wallets, one shown cause, or one hour) CRITICAL. Broken
    --    data (NULL, NaN, unknown wallets, unmapped types) is at least HIGH.
    WITH per_check AS (
        SELECT s.check_name, count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s WHERE s.run_id = v_run GROUP BY s.check_name
    )
    UPDATE _recon.run_stage AS s
    SET severity = CASE
        WHEN pc.wallets >= c.critical_wallets THEN 'CRITICAL'
        WHEN pc.wallets >= c.high_wallets THEN 'HIGH'
        WHEN s.cause IN ('invalid_balance', 'invalid_amount', 'unknown_wallet',
                         'unmapped_entry_type') THEN 'HIGH'
        -- the low_limit of the finding's currency, else "*": none (no limit given for it,
        -- or the currency unknown) is never LOW
        WHEN s.difference IS NULL
            OR abs(s.difference) > _recon.currency_amount(c.low_limit, s.currency)
            IS NOT FALSE THEN 'MEDIUM'
        ELSE 'LOW'
    END
    FROM per_check AS pc
    JOIN _recon.check_def AS c ON c.name = pc.check_name
    WHERE s.run_id = v_run AND pc.check_name = s.check_name;

    -- A pattern: pattern_wallets wallets sharing one shown cause (for the kinds whose cause is
    -- an explanation, not their definition), or one hour of posting: a UTC hour
    -- (_recon.posting_hour), so the session's TimeZone changes nothing.
    WITH per_cause AS (
        SELECT s.check_name, s.cause,
               count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name
        WHERE s.run_id = v_run AND s.cause IS NOT NULL
          AND c.kind = ANY (v_pattern)
        GROUP BY s.check_name, s.cause
    ), per_hour AS (
        -- A custom check's details are the user's: its posted_at is not trusted to be a time.
        SELECT s.check_name,
               _recon.posting_hour(CASE WHEN c.kind <> ALL (v_user_query)
                                        THEN s.details ->> 'posted_at' END) AS hour,
               count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name AND c.kind <> ALL (v_user_query)
        WHERE s.run_id = v_run AND s.details ? 'posted_at'
        GROUP BY 1, 2
    )
    UPDATE _recon.run_stage AS s
    SET severity = 'CRITICAL'
    FROM _recon.check_def AS c
    WHERE s.run_id = v_run AND c.name = s.check_name AND s.severity <> 'CRITICAL'
      AND (EXISTS (SELECT FROM per_cause AS p
                   WHERE p.check_name = s.check_name AND p.cause = s.cause
                     AND p.wallets >= c.pattern_wallets)
           OR EXISTS (SELECT FROM per_hour AS h
                      WHERE h.check_name = s.check_name AND h.wallets >= c.pattern_wallets
                        AND h.hour = _recon.posting_hour(CASE WHEN c.kind <> ALL (v_user_query)
                                                              THEN s.details ->> 'posted_at' END)));

    -- A total explained by missing wallets is as severe as those missing wallets are.
    UPDATE _recon.run_stage AS s
    SET severity = e.severity
    FROM (
        SELECT o.check_name, (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
                   max(_recon.severity_rank(o.severity))] AS severity
        FROM _recon.run_stage AS o WHERE o.run_id = v_run GROUP BY o.check_name
    ) AS e
    WHERE s.run_id = v_run AND s.cause = 'missing_wallet'
      AND s.details -> 'evidence' ->> 'check' = e.check_name
      AND _recon.severity_rank(e.severity) > _recon.severity_rank(s.severity);

    -- 4. Open issues: seen again, new, resolved; and what this run saw of each.
    UPDATE _recon.finding AS f
    SET last_seen_run = v_run, stored = s.stored, expected = s.expected,
        difference = s.difference, severity = s.severity, cause = s.cause, details = s.details,
        currency = s.currency, explained_by = NULL
    FROM _recon.run_stage AS s
    WHERE s.run_id = v_run AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND f.check_name = s.check_name AND f.finding_key = s.finding_key;
    INSERT INTO _recon.finding (
        check_name, finding_key, wallet_key, first_seen_run, last_seen_run, stored, expected,
        difference, severity, cause, details, currency
    )
    SELECT s.check_name, s.finding_key, s.wallet_key, v_run, v_run, s.stored, s.expected,
           s.difference, s.severity, s.cause, s.details, s.currency
    FROM _recon.run_stage AS s
    WHERE s.run_id = v_run
      AND NOT EXISTS (SELECT FROM _recon.finding AS f
                      WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL AND f.check_name = s.check_name
                        AND f.finding_key = s.finding_key)
    ORDER BY s.check_name, s.finding_key;  -- ids in a defined order, not the stage's
    GET DIAGNOSTICS v_new = ROW_COUNT;
    UPDATE _recon.finding AS f SET resolved_run = v_run
    WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL AND f.check_name = ANY (v_names)
      AND f.id <> ALL (v_acknowledged)
      AND NOT EXISTS (SELECT FROM _recon.run_stage AS s
                      WHERE s.run_id = v_run AND s.check_name = f.check_name
                        AND s.finding_key = f.finding_key);
    GET DIAGNOSTICS v_resolved = ROW_COUNT;
    -- The findings that hold an explained finding's money, by id now that all have one.
    UPDATE _recon.finding AS f
    SET explained_by = (
        SELECT array_agg(e.id ORDER BY e.id)
        FROM jsonb_array_elements(s.explained_by) AS x (ref)
        JOIN _recon.finding AS e ON e.check_name = x.ref ->> 'check'
            AND e.finding_key = x.ref ->> 'finding'
            AND e.resolved_run IS NULL AND e.dropped_at IS NULL)
    FROM _recon.run_stage AS s
    WHERE s.run_id = v_run AND s.explained_by IS NOT NULL
      AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND f.check_name = s.check_name AND f.finding_key = s.finding_key;
    INSERT INTO _recon.observation (
        run_id, finding_id, stored, expected, difference, severity, currency, explained_by
    )
    SELECT v_run, f.id, s.stored, s.expected, s.difference, s.severity, s.currency,
           f.explained_by
    FROM _recon.run_stage AS s
    JOIN _recon.finding AS f ON f.check_name = s.check_name AND f.finding_key = s.finding_key
        AND f.resolved_run IS NULL AND f.dropped_at IS NULL
    WHERE s.run_id = v_run;

    -- 5. The summary. Amounts only per currency (_recon.run_amounts): never added across
    --    currencies, each sum of money once.
    v_amounts := _recon.run_amounts(v_run);
    SELECT jsonb_build_object(
        'run_id', v_run,
        'mode', p_mode,
        'status', CASE WHEN count(s.*) = 0 THEN 'synced' ELSE 'discrepancy' END,
        'findings', count(s.*),
        'wallets', count(DISTINCT s.wallet_key),
        'new', v_new,
        'resolved', v_resolved,
        'acknowledged', cardinality(v_acknowledged),
        'max_severity', (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
            max(_recon.severity_rank(s.severity))],
        'by_currency', v_amounts -> 'by_currency',
        'by_severity', COALESCE((
            SELECT jsonb_object_agg(x.severity, jsonb_build_object('findings', x.n))
            FROM (SELECT y.severity, count(*) AS n
                  FROM _recon.run_stage AS y WHERE y.run_id = v_run GROUP BY y.severity) AS x
        ), '{}'),
        'by_check', (
            SELECT jsonb_object_agg(n.name, jsonb_build_object(
                'findings', COALESCE(x.n, 0), 'max_severity', x.max_severity,
                'by_currency', COALESCE(v_amounts -> 'by_check' -> n.name, '[]'::jsonb)))
            FROM unnest(v_names) AS n (name)
            LEFT JOIN (SELECT y.check_name, count(*) AS n,
                              (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
                                  max(_recon.severity_rank(y.severity))] AS max_severity
                       FROM _recon.run_stage AS y WHERE y.run_id = v_run
                       GROUP BY y.check_name) AS x ON x.check_name = n.name
        ),
        'checks', to_jsonb(v_names),
        'runs', v_modes,
        'duration_ms', round(extract(epoch FROM clock_timestamp() - v_started) * 1000, 1)
    ) INTO v_summary
    FROM _recon.run_stage AS s WHERE s.run_id = v_run;

    UPDATE _recon.run AS r
    SET finished_at = clock_timestamp(), status = v_summary ->> 'status', summary = v_summary
    WHERE r.id = v_run;
    IF v_started_run IS NOT NULL THEN
        PERFORM pg_advisory_unlock(_recon.run_lock_key(v_run));  -- recon.start_run()'s hold
    END IF;
    -- 6. A HIGH or CRITICAL run is an alert: a row, and a NOTIFY (sent when this commits).
    IF v_summary ->> 'max_severity' IN ('HIGH', 'CRITICAL') THEN
        INSERT INTO _recon.alert (kind, severity, run_id, message, details)
        VALUES ('run', v_summary ->> 'max_severity', v_run,
                format('run %s: %s findings on %s wallets, max severity %s', v_run,
                       v_summary ->> 'findings', v_summary ->> 'wallets',
                       v_summary ->> 'max_severity'),
                v_summary - 'runs')
        RETURNING id INTO v_alert;
        PERFORM pg_notify('wallet_recon_alert', jsonb_build_object(
            'alert_id', v_alert, 'kind', 'run', 'severity', v_summary ->> 'max_severity',
            'run_id', v_run, 'findings', v_summary -> 'findings',
            'message', format('run %s: max severity %s', v_run,
                              v_summary ->> 'max_severity'))::text);
    END IF;
    DELETE FROM _recon.run_stage AS s WHERE s.run_id = v_run;
    RETURN v_summary;
END;
$_$;

--
-- Name: FUNCTION reconcile(p_checks text[], p_mode text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.reconcile(p_checks text[], p_mode text) IS 'Runs every enabled check (or the named ones), records the run and its findings, classifies severity (LOW/MEDIUM by amount for one wallet, HIGH for several wallets, CRITICAL for a systematic pattern), attaches the suspected cause it can show, tracks findings across runs as open issues, and returns a JSON summary: status synced or discrepancy, counts by severity and by check, amounts per currency only (by_currency; never added across currencies; a finding explained by another, the same money, counted once). The one-hour pattern rule buckets posting times by UTC hour, whatever the session''s TimeZone. Errors: RC201 unknown mode, RC202 unknown check. SECURITY DEFINER: recon_auditor may run it. Runs one at a time per database. A HIGH or CRITICAL run raises an alert (recon.open_alerts, NOTIFY wallet_recon_alert). With the setting wallet_recon.progress = on it raises a NOTICE per check (wallet-recon progress: n/total check: findings in ms).';

--
-- Name: reconcile_run(text[], text, jsonb); Type: PROCEDURE; Schema: recon; Owner: -
--

CREATE PROCEDURE recon.reconcile_run(IN p_checks text[] DEFAULT NULL::text[], IN p_mode text DEFAULT 'full'::text, INOUT summary jsonb DEFAULT NULL::jsonb)
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM recon.start_run(p_checks, p_mode);
    COMMIT;  -- the run is visible from here on, whatever happens to this session
    summary := recon.reconcile(p_checks, p_mode);
END;
$$;

--
-- Name: PROCEDURE reconcile_run(IN p_checks text[], IN p_mode text, INOUT summary jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON PROCEDURE recon.reconcile_run(IN p_checks text[], IN p_mode text, INOUT summary jsonb) IS 'CALL recon.reconcile_run(checks, mode): recon.reconcile() with its run recorded and committed first, so a run cut short (its backend terminated, the server stopped) is marked interrupted by the next one instead of vanishing. Returns the summary. Must be CALLed outside a transaction block (it commits); what wallet-recon check and recon.schedule_reconcile() use.';

--
-- Name: register_check(text, text, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.register_check(name text, kind text, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
    v_common text[] := ARRAY['tolerance', 'low_limit', 'high_wallets', 'critical_wallets',
                             'pattern_wallets', 'currency'];
    v_kind _recon.check_kind;
    v_sql text;
    v_view name;
    v_wallet text;
    v_ledger text;
    v_key text;
    v_per_row text;
    v_path text := pg_catalog.current_setting('search_path');
BEGIN
    PERFORM _recon.check_name('check', register_check.name);
    v_view := ('check_' || register_check.name)::name;
    -- The kind's options, compiler and all come from its row in the registry.
    v_kind := _recon.kind(register_check.kind);
    PERFORM _recon.check_options(format('%s check %s', register_check.kind, register_check.name), register_check.options,
                                 v_kind.options || v_common, v_kind.required);
    IF register_check.options ? 'currency' AND (jsonb_typeof(register_check.options -> 'currency') <> 'string'
                                   OR btrim(register_check.options ->> 'currency') = '') THEN
        PERFORM _recon.fail('RC106', 'currency must be a currency code',
                            format('Got %s.', register_check.options -> 'currency'),
                            'E.g. {"currency": "USD"}: the currency of rows that carry none.');
    END IF;
    -- Amounts per currency (tolerance, low_limit): a map, or one amount in the check's own
    -- currency. Where each row has its own currency (the wallet's currency column, the
    -- entry's currency option), one amount without a currency option is refused.
    IF register_check.options ? 'ledger' THEN
        v_ledger := (_recon.check_ledgers(register_check.options))[1];
        v_wallet := (_recon.ledger(v_ledger)).wallet_source;
    ELSIF register_check.options ? 'wallet' THEN
        v_wallet := (_recon.wallet(register_check.options ->> 'wallet')).name;
    END IF;
    v_per_row := _recon.check_row_currency(register_check.kind, v_ledger, v_wallet);
    FOREACH v_key IN ARRAY ARRAY['tolerance', 'low_limit'] LOOP
        IF register_check.options ? v_key THEN
            register_check.options := jsonb_set(register_check.options, ARRAY[v_key], _recon.currency_amounts(
                v_key, register_check.options -> v_key, register_check.options ->> 'currency', v_per_row, 'RC106'));
        END IF;
    END LOOP;
    -- Thresholds: counts that make sense (the table's constraints agree).
    FOREACH v_key IN ARRAY ARRAY['high_wallets', 'critical_wallets', 'pattern_wallets'] LOOP
        IF register_check.options ? v_key AND (jsonb_typeof(register_check.options -> v_key) <> 'number'
                                  OR (register_check.options ->> v_key)::numeric < 0) THEN
            PERFORM _recon.fail(
                'RC106', format('%s must be a whole number >= 0', v_key),
                format('Got %s.', register_check.options -> v_key),
                'A count of wallets, e.g. {"high_wallets": 3}.'
            );
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['high_wallets', 'critical_wallets', 'pattern_wallets'] LOOP
        IF register_check.options ? v_key
            AND ((register_check.options ->> v_key)::numeric <> trunc((register_check.options ->> v_key)::numeric)
                 OR (register_check.options ->> v_key)::numeric > 2147483647) THEN
            PERFORM _recon.fail('RC106', format('%s must be a whole number up to 2147483647',
                                                v_key),
                                format('Got %s.', register_check.options -> v_key), 'It counts wallets.');
        END IF;
    END LOOP;
    IF COALESCE((register_check.options ->> 'high_wallets')::numeric, 2) < 2
        OR COALESCE((register_check.options ->> 'critical_wallets')::numeric, 10)
           <= COALESCE((register_check.options ->> 'high_wallets')::numeric, 2)
        OR COALESCE((register_check.options ->> 'pattern_wallets')::numeric, 5) < 2 THEN
        PERFORM _recon.fail(
            'RC106', 'inconsistent severity thresholds',
            'Need 2 <= high_wallets < critical_wallets, and pattern_wallets >= 2.',
            'The defaults are high_wallets 2, critical_wallets 10, pattern_wallets 5.'
        );
    END IF;
    IF EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = register_check.name)
        OR to_regclass(format('recon.%I', v_view)) IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC104', format('a check named %L already exists', register_check.name),
            format('recon.%I is taken.', v_view),
            'Pick another name, or recon.drop_check() the old one first.'
        );
    END IF;

    -- Table names resolve on the caller's search_path and are kept schema-qualified.
    register_check.options := _recon.qualify_tables(register_check.options);
    v_sql := _recon.compile_check(v_kind, register_check.name, register_check.options);

    -- Our compiled SQL binds under a pinned path; a custom query is the user's own SQL and
    -- binds as they wrote it, on their path.
    IF NOT v_kind.user_query THEN
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', TRUE);
    END IF;
    BEGIN
        EXECUTE format('CREATE VIEW recon.%I AS %s', v_view, v_sql);
    EXCEPTION WHEN syntax_error OR undefined_column OR undefined_table OR undefined_function
        OR datatype_mismatch OR invalid_column_reference OR ambiguous_column THEN
        IF NOT v_kind.user_query THEN
            RAISE;  -- a bug of ours: let it through unchanged
        END IF;
        PERFORM _recon.fail(
            'RC110', format('custom check %s does not compile: %s', register_check.name, SQLERRM),
            'The query must return wallet_key, stored, expected, difference and details.',
            'Try the query in psql first; cast columns if need be.'
        );
    END;
    PERFORM pg_catalog.set_config('search_path', v_path, TRUE);
    IF v_kind.user_query THEN
        PERFORM _recon.custom_trusted(register_check.name, format('recon.%I', v_view)::regclass);
    END IF;
    EXECUTE format('COMMENT ON VIEW recon.%I IS %L', v_view, format(
        '%s check %s (wallet-recon): findings right now, one row each: check_name, wallet_key, '
        || 'stored, expected, difference, details. Options: %s', register_check.kind, register_check.name, register_check.options));
    EXECUTE format('REVOKE ALL ON recon.%I FROM PUBLIC', v_view);
    EXECUTE format('GRANT SELECT ON recon.%I TO recon_auditor, recon_operator', v_view);

    INSERT INTO _recon.check_def (
        name, kind, options, wallet_source, ledger_source, view_name, compiled_sql, currency,
        tolerance, low_limit, high_wallets, critical_wallets, pattern_wallets
    ) VALUES (
        register_check.name, register_check.kind, register_check.options, v_wallet, v_ledger, v_view, v_sql, register_check.options ->> 'currency',
        COALESCE(register_check.options -> 'tolerance', '{}'),
        -- without one: 10 in the check's currency, or under "*" when nothing of the check
        -- carries a currency (as 0.1); none when its rows each carry theirs and it names none
        COALESCE(register_check.options -> 'low_limit',
                 CASE WHEN register_check.options ? 'currency'
                      THEN jsonb_build_object(register_check.options ->> 'currency', 10)
                      WHEN v_per_row IS NULL THEN '{"*": 10}'::jsonb
                      ELSE '{}'::jsonb END),
        COALESCE((register_check.options ->> 'high_wallets')::integer, 2),
        COALESCE((register_check.options ->> 'critical_wallets')::integer, 10),
        COALESCE((register_check.options ->> 'pattern_wallets')::integer, 5)
    );
    PERFORM _recon.rebuild_discrepancies();
    RETURN recon.describe_check(register_check.name) - 'sql';
END;
$$;

--
-- Name: FUNCTION register_check(name text, kind text, options jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.register_check(name text, kind text, options jsonb) IS 'Registers a check and compiles it once to the view recon.check_<name>, added to recon.discrepancies. Kinds and their options: recon.kinds (the registry _recon.check_kind), docs/CHECKS.md. Common options: tolerance, low_limit, high_wallets, critical_wallets, pattern_wallets, currency; tolerance and low_limit are amounts per currency ({"USD": 10, "JPY": 1000, "*": 5}) or one amount in the check''s currency. Errors: RC101-RC108, RC110 (docs/SQLSTATES.md); nothing is registered on error. Needs the toolkit owner. Table names resolve on your search_path, as in psql, and are stored schema-qualified.';

--
-- Name: register_ledger_source(text, text, text, text, text, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.register_ledger_source(name text, wallet_source text, relation text, wallet_column text, amount_column text, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $_$
#variable_conflict use_column
DECLARE
    v_wallet _recon.wallet_source;
    v_relid oid;
    v_mode text;
    v_effects jsonb;
    v_target text;
    v_col text;
    v_value text;
    v_mult text;
    v_optional jsonb := '{}'::jsonb;
    v_key text;
    v_shape text := 'entries';
    v_parents jsonb;
    v_filters jsonb;
    v_rules jsonb;
    v_kinds jsonb;
    v_after jsonb;
    v_legs jsonb;
    v_scale jsonb;
BEGIN
    PERFORM _recon.source_name_free('ledger source', register_ledger_source.name);
    PERFORM _recon.check_options('ledger source ' || register_ledger_source.name, register_ledger_source.options, ARRAY[
        'direction', 'credit', 'debit', 'operation', 'effects', 'balance_column', 'entry_id',
        'reference', 'posted_at', 'order_by', 'balance_after', 'version', 'journal', 'status',
        'filters', 'parents', 'currency', 'scale'
    ] || ARRAY(SELECT g ->> 'option' FROM _recon.ledger_shape AS s,
                                         jsonb_array_elements(s.legs) AS g
               WHERE g ->> 'option' IS NOT NULL ORDER BY 1));
    v_wallet := _recon.wallet(register_ledger_source.wallet_source);
    v_relid := _recon.resolve_table(register_ledger_source.relation);
    -- The shape, and the wallet column of each leg (_recon.ledger_shape).
    v_legs := _recon.ledger_legs(v_relid, v_wallet, register_ledger_source.wallet_column, register_ledger_source.options);
    v_shape := v_legs ->> 'shape';
    PERFORM _recon.resolve_column(v_relid, register_ledger_source.amount_column, 'the amount', TRUE);
    IF register_ledger_source.options ? 'parents' THEN
        v_parents := _recon.ledger_parents(v_relid, register_ledger_source.options -> 'parents');
    END IF;
    IF register_ledger_source.options ? 'filters' THEN
        v_filters := _recon.ledger_filters(v_relid, v_parents, register_ledger_source.options -> 'filters');
    END IF;

    -- How an entry moves balances: signed amount, amount + direction, or operation effects.
    IF register_ledger_source.options ? 'direction' AND register_ledger_source.options ? 'operation' THEN
        PERFORM _recon.fail(
            'RC106', 'give either "direction" or "operation", not both',
            'A ledger is signed, direction-based or operation-based.',
            'Use "direction" for credit/debit columns, "operation" with "effects" for '
            || 'ON_HOLD/RELEASE/DEBIT/CREDIT-style ledgers.'
        );
    END IF;
    v_target := COALESCE(register_ledger_source.options ->> 'balance_column', v_wallet.balance_columns[1]);
    IF register_ledger_source.options ? 'operation' AND (jsonb_typeof(register_ledger_source.options -> 'operation') = 'array'
                                    OR jsonb_typeof(register_ledger_source.options -> 'effects') = 'array'
                                    OR v_shape <> 'entries') THEN
        v_mode := 'operation';
        v_rules := _recon.ledger_rules(v_relid, v_parents, v_wallet, register_ledger_source.options -> 'operation',
                                       register_ledger_source.options -> 'effects',
                                       CASE WHEN v_shape <> 'entries' THEN ARRAY(
                                           SELECT jsonb_object_keys(v_legs -> 'legs')) END);
        v_kinds := v_rules -> 'kinds';
        v_effects := v_rules -> 'effects';
    ELSIF register_ledger_source.options ? 'operation' THEN
        v_mode := 'operation';
        PERFORM _recon.resolve_column(v_relid, register_ledger_source.options ->> 'operation', 'the operation type');
        v_effects := register_ledger_source.options -> 'effects';
        IF v_effects IS NULL OR jsonb_typeof(v_effects) <> 'object' OR v_effects = '{}' THEN
            PERFORM _recon.fail(
                'RC106', 'an operation ledger needs "effects"',
                'effects maps each operation type to its effect on balance columns.',
                'E.g. {"ON_HOLD": {"available": -1, "on_hold": 1}, "RELEASE": {"available": 1, '
                || '"on_hold": -1}, "DEBIT": {"on_hold": -1}, "CREDIT": {"available": 1}}.'
            );
        END IF;
        -- Validate, then store per balance column: {"<column>": {"<operation>": multiplier}}.
        FOR v_value IN SELECT jsonb_object_keys(v_effects) LOOP
            IF jsonb_typeof(v_effects -> v_value) <> 'object' OR v_effects -> v_value = '{}' THEN
                PERFORM _recon.fail(
                    'RC106', format('effects of operation %L must be a non-empty object',
                                    v_value),
                    format('Got %s.', v_effects -> v_value),
                    'Map each balance column to a multiplier, e.g. {"available": -1}.'
                );
            END IF;
            FOR v_col, v_mult IN SELECT e.key, e.value::text FROM jsonb_each(v_effects -> v_value) AS e
            LOOP
                IF v_col <> ALL (v_wallet.balance_columns) THEN
                    PERFORM _recon.fail(
                        'RC102', format('operation %L moves %L, which is not a balance column of %s',
                                        v_value, v_col, v_wallet.name),
                        format('Balance columns: %s.', array_to_string(v_wallet.balance_columns, ', ')),
                        'Register the column with the wallet source, or fix the effects.'
                    );
                END IF;
                IF v_mult !~ '^-?[0-9]+(\.[0-9]+)?$' THEN
                    PERFORM _recon.fail(
                        'RC106', format('multiplier %s of %L on %L is not a number', v_mult, v_value,
                                        v_col),
                        'Multipliers are plain numbers such as 1 or -1.', 'Fix the effects.'
                    );
                END IF;
            END LOOP;
        END LOOP;
        SELECT jsonb_object_agg(c.col, c.per_op) INTO v_effects
        FROM (
            SELECT e.key AS col, jsonb_object_agg(o.key, e.value) AS per_op
            FROM jsonb_each(v_effects) AS o, jsonb_each(o.value) AS e
            GROUP BY e.key
        ) AS c;
    ELSIF register_ledger_source.options ? 'direction' THEN
        v_mode := 'direction';
        PERFORM _recon.resolve_column(v_relid, register_ledger_source.options ->> 'direction', 'the direction');
        IF COALESCE(register_ledger_source.options ->> 'credit', 'credit')
           = COALESCE(register_ledger_source.options ->> 'debit', 'debit') THEN
            PERFORM _recon.fail(
                'RC106', format('"credit" and "debit" are both %L',
                                COALESCE(register_ledger_source.options ->> 'credit', 'credit')),
                'An entry is a credit or a debit by its direction value: they must differ.',
                'E.g. {"direction": "direction", "credit": "C", "debit": "D"}.'
            );
        END IF;
        PERFORM _recon.resolve_column(v_wallet.relid, v_target, 'the balance', TRUE);
        v_effects := jsonb_build_object(v_target, jsonb_build_object(
            COALESCE(register_ledger_source.options ->> 'credit', 'credit'), 1,
            COALESCE(register_ledger_source.options ->> 'debit', 'debit'), -1
        ));
    ELSIF v_shape <> 'entries' THEN
        -- A row of several legs (a transfer: its amount leaves the debit wallet and reaches the
        -- credit wallet): each leg moves the balance by its side's multiplier.
        v_mode := 'direction';
        IF register_ledger_source.options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"', 'Only operation ledgers map effects.',
                'Add "operation": ["side", ...] with rules, or drop "effects".'
            );
        END IF;
        PERFORM _recon.resolve_column(v_wallet.relid, v_target, 'the balance', TRUE);
        v_effects := jsonb_build_object(v_target, v_legs -> 'multipliers');
    ELSE
        v_mode := 'signed';
        IF register_ledger_source.options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"', 'Only operation ledgers map effects.',
                'Add "operation": "<type column>", or drop "effects".'
            );
        END IF;
        PERFORM _recon.resolve_column(v_wallet.relid, v_target, 'the balance', TRUE);
        v_effects := jsonb_build_object(v_target, jsonb_build_object('*', 1));
    END IF;
    IF v_target <> ALL (v_wallet.balance_columns) THEN
        PERFORM _recon.fail(
            'RC102', format('%L is not a balance column of wallet source %s', v_target,
                            v_wallet.name),
            format('Balance columns: %s.', array_to_string(v_wallet.balance_columns, ', ')),
            'Set "balance_column" to one of them.'
        );
    END IF;

    -- Optional columns, each checked against the catalog.
    -- A running balance per balance column (a map) is checked per column; a single column
    -- (0.1's form) follows the column the chain check names.
    IF jsonb_typeof(register_ledger_source.options -> 'balance_after') = 'object' THEN
        v_after := _recon.ledger_after(v_relid, v_wallet, v_effects, register_ledger_source.options -> 'balance_after');
        register_ledger_source.options := register_ledger_source.options - 'balance_after';
    END IF;
    FOREACH v_key IN ARRAY ARRAY['entry_id', 'reference', 'posted_at', 'order_by', 'balance_after',
                                 'version', 'journal', 'status'] LOOP
        IF register_ledger_source.options ? v_key THEN
            v_optional := v_optional || jsonb_build_object(v_key, _recon.resolve_column(
                v_relid, register_ledger_source.options ->> v_key, replace(v_key, '_', ' '),
                v_key IN ('balance_after', 'version')
            ));
        END IF;
    END LOOP;

    -- The currency of each entry: a column of the ledger or of a parent row, of a text type.
    IF register_ledger_source.options ? 'currency' THEN
        IF _recon.ledger_ref_type(v_relid, v_parents, register_ledger_source.options ->> 'currency', 'the currency')
           NOT IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype,
                   'name'::regtype) THEN
            PERFORM _recon.fail(
                'RC108', format('the currency column %s is not of a text type',
                                register_ledger_source.options ->> 'currency'),
                format('It is %s.', _recon.ledger_ref_type(v_relid, v_parents,
                                                           register_ledger_source.options ->> 'currency',
                                                           'the currency')),
                'Name a column holding currency codes (text, varchar, char).');
        END IF;
        v_optional := v_optional || jsonb_build_object('currency', register_ledger_source.options ->> 'currency');
    END IF;

    -- Minor units: the amount (and running balances) as integers with a scale.
    v_scale := _recon.scale_option(
        v_relid, register_ledger_source.options -> 'scale', 'ledger source ' || register_ledger_source.name,
        ARRAY[register_ledger_source.amount_column::name] || ARRAY(
            SELECT DISTINCT c::name FROM (
                SELECT v_optional ->> 'balance_after' AS c
                UNION ALL SELECT a.value #>> '{}' FROM jsonb_each(v_after) AS a) AS u
            WHERE c IS NOT NULL));

    INSERT INTO _recon.ledger_source (
        name, wallet_source, relid, wallet_column, amount_column, amount_mode, effects,
        direction_column, operation_column, entry_id_column, reference_column, posted_at_column,
        order_column, balance_after_column, version_column, journal_column, status_column,
        shape, leg_columns, filters, parents, kinds, after_columns, currency_column, amount_scale
    ) VALUES (
        register_ledger_source.name, v_wallet.name, v_relid, register_ledger_source.wallet_column, register_ledger_source.amount_column, v_mode, v_effects,
        register_ledger_source.options ->> 'direction', CASE WHEN v_kinds IS NULL THEN register_ledger_source.options ->> 'operation' END,
        v_optional ->> 'entry_id',
        v_optional ->> 'reference', v_optional ->> 'posted_at', v_optional ->> 'order_by',
        v_optional ->> 'balance_after', v_optional ->> 'version', v_optional ->> 'journal',
        v_optional ->> 'status', v_shape, v_legs -> 'legs', v_filters, v_parents, v_kinds,
        v_after, v_optional ->> 'currency', v_scale
    );
    RETURN jsonb_build_object(
        'ledger_source', register_ledger_source.name, 'wallet_source', v_wallet.name,
        'table', v_relid::regclass::text, 'mode', v_mode, 'effects', v_effects, 'shape', v_shape
    ) || v_optional || jsonb_strip_nulls(jsonb_build_object(
        'legs', v_legs -> 'legs', 'filters', v_filters, 'parents', v_parents, 'rules', v_kinds -> 'rules',
        'balance_after', v_after, 'scale', v_scale));
END;
$_$;

--
-- Name: FUNCTION register_ledger_source(name text, wallet_source text, relation text, wallet_column text, amount_column text, options jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.register_ledger_source(name text, wallet_source text, relation text, wallet_column text, amount_column text, options jsonb) IS 'Registers a ledger (entries) table for a wallet source: name, wallet source, table, wallet key column, amount column, and options: "direction" (+ "credit"/"debit" values) or "operation" + "effects" ({"ON_HOLD": {"available": -1, "on_hold": 1}, ...}); "balance_column" (which balance a signed or direction ledger moves; default the first); optional columns "entry_id", "reference", "posted_at", "order_by", "balance_after" (a column, or {balance column: column}), "version", "journal", "status", "currency" (each entry''s currency, a column of the ledger or of a parent row); "scale" when the amount (and running balances) are integers of minor units: decimal places (2), {"multiplier": 100}, or per row {"column": c, "as": "places"|"multiplier"} (docs/CHECKS.md "Minor units"). Shapes (docs/CHECKS.md "Ledger shapes"): transfer rows (wallet column NULL, "debit_wallet", "credit_wallet"), "filters" [{"column", "op", "value"|"values"}], "parents" {alias: {"table", "key", "via"}}, effects keyed on several columns ("operation" a list, "effects" a list of {"when", "effect", "label"} rules). Errors: RC101-RC108, RC115 (docs/SQLSTATES.md). Needs the toolkit owner. Table names resolve on your search_path, as in psql; the function is not SECURITY DEFINER and pins no path.';

--
-- Name: register_wallet_source(text, text, text, text[], jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.register_wallet_source(name text, relation text, key_column text, balance_columns text[], options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
    v_relid oid;
    v_col text;
    v_cols name[] := '{}'::name[];
BEGIN
    PERFORM _recon.source_name_free('wallet source', register_wallet_source.name);
    PERFORM _recon.check_options('wallet source ' || register_wallet_source.name, register_wallet_source.options,
                                 ARRAY['currency', 'owner', 'label', 'scale', 'version']);
    v_relid := _recon.resolve_table(register_wallet_source.relation);
    PERFORM _recon.resolve_column(v_relid, register_wallet_source.key_column, 'the wallet key');
    IF register_wallet_source.balance_columns IS NULL OR cardinality(register_wallet_source.balance_columns) = 0 THEN
        PERFORM _recon.fail(
            'RC106', 'a wallet source needs at least one balance column',
            'register_wallet_source.balance_columns was empty.', 'Pass e.g. ARRAY[''balance''].'
        );
    END IF;
    IF (SELECT count(DISTINCT c) <> count(c) FROM unnest(register_wallet_source.balance_columns) AS c) THEN
        PERFORM _recon.fail(
            'RC106', 'a balance column is listed twice',
            format('register_wallet_source.balance_columns was %s.', register_wallet_source.balance_columns),
            'Name each balance column once.'
        );
    END IF;
    FOREACH v_col IN ARRAY register_wallet_source.balance_columns LOOP
        v_cols := v_cols || _recon.resolve_column(v_relid, v_col, 'a balance', TRUE);
    END LOOP;
    IF register_wallet_source.options ? 'version' THEN
        PERFORM _recon.version_column(v_relid, register_wallet_source.options -> 'version');
    END IF;
    INSERT INTO _recon.wallet_source (
        name, relid, key_column, balance_columns, currency_column, owner_column, label_column,
        balance_scale, version_column
    ) VALUES (
        register_wallet_source.name, v_relid, register_wallet_source.key_column, v_cols,
        CASE WHEN register_wallet_source.options ? 'currency'
            THEN _recon.resolve_column(v_relid, register_wallet_source.options ->> 'currency', 'the currency') END,
        CASE WHEN register_wallet_source.options ? 'owner'
            THEN _recon.resolve_column(v_relid, register_wallet_source.options ->> 'owner', 'the owner') END,
        CASE WHEN register_wallet_source.options ? 'label'
            THEN _recon.resolve_column(v_relid, register_wallet_source.options ->> 'label', 'the label') END,
        -- minor units: the stored balances as integers with a scale
        _recon.scale_option(v_relid, register_wallet_source.options -> 'scale', 'wallet source ' || register_wallet_source.name, v_cols),
        CASE WHEN register_wallet_source.options ? 'version'
            THEN _recon.version_column(v_relid, register_wallet_source.options -> 'version') END
    );
    RETURN jsonb_build_object(
        'wallet_source', register_wallet_source.name, 'table', v_relid::regclass::text,
        'key', register_wallet_source.key_column, 'balances', to_jsonb(v_cols)
    ) || jsonb_strip_nulls(jsonb_build_object(
        'scale', (SELECT w.balance_scale FROM _recon.wallet_source AS w WHERE w.name = register_wallet_source.name)));
END;
$$;

--
-- Name: FUNCTION register_wallet_source(name text, relation text, key_column text, balance_columns text[], options jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.register_wallet_source(name text, relation text, key_column text, balance_columns text[], options jsonb) IS 'Registers a wallet table: name, table, key column, stored balance columns (numeric), and options {"currency": column, "owner": column, "label": column (an alias shown beside the key in findings), "scale": when the balances are integers of minor units, decimal places (2), {"multiplier": 100}, or per wallet {"column": c, "as": "places"|"multiplier"} (docs/CHECKS.md "Minor units"), "version": column (an integer optimistic-locking version every write of the toolkit to a wallet row bumps)}. Every name is checked against the catalog. Errors: RC101 unknown table, RC102 unknown column, RC103 not numeric (a version column: not an integer), RC104 name taken, RC105 bad name, RC106 bad option, RC115 bad scale. Needs the toolkit owner. Table names resolve on your search_path, as in psql; the function is not SECURITY DEFINER and pins no path.';

--
-- Name: register_writer(text, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.register_writer(ledger text, options jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $_$
#variable_conflict use_column
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(register_writer.ledger);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_writer _recon.writer;
    v_fn regprocedure;
    v_exists boolean;
    v_key text;
    v_why text := _recon.ledger_writer_refusal(
        v_ledger, CASE WHEN register_writer.options ? 'function' THEN 'function' ELSE 'insert' END);
BEGIN
    -- Every shape repairs read is served (they measure and verify through the legs); an INSERT
    -- cannot write or check a parent row that a filter or effect rule reads.
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC305', format('a writer cannot be set on ledger source %s: %s', register_writer.ledger, v_why),
            format('Ledger source %s reads %s with shape %s%s%s.', v_ledger.name,
                   v_ledger.relid::regclass, v_ledger.shape,
                   CASE WHEN v_ledger.parents IS NOT NULL
                        THEN ', parents ' || v_ledger.parents::text ELSE '' END,
                   CASE WHEN v_ledger.filters IS NOT NULL
                        THEN ', filters ' || v_ledger.filters::text ELSE '' END),
            CASE WHEN v_ledger.shape IN ('entries', 'transfer')
                 THEN 'Register a posting function instead ({"function": "schema.post(jsonb)"}): '
                      || 'it writes the row and its parent; the repair is verified through the '
                      || 'ledger''s legs (RC307 otherwise). docs/REPAIRS.md "Writers".'
                 ELSE 'Repair by hand or acknowledge the findings (docs/CHECKS.md "Ledger '
                      || 'shapes").' END);
    END IF;
    -- A float amount or running balance cannot hold what a repair posts exactly.
    IF _recon.float_refusal(v_ledger) IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC320', format('a writer cannot be set on ledger source %s: its %s', register_writer.ledger,
                            _recon.float_refusal(v_ledger)),
            'Repairs post exact amounts; a float column would round them.',
            'Make the column numeric, or an integer of minor units registered with a "scale" '
            || '(docs/CHECKS.md "Minor units"); until then repair by hand or acknowledge.');
    END IF;
    PERFORM _recon.check_options('writer for ' || register_writer.ledger, register_writer.options,
                                 ARRAY['function', 'columns', 'offset_wallet', 'reference',
                                       'description', 'journal', 'entry_types',
                                       'moves_balances']);
    FOREACH v_key IN ARRAY ARRAY['function', 'offset_wallet', 'reference', 'description',
                                 'journal'] LOOP
        IF register_writer.options ? v_key AND jsonb_typeof(register_writer.options -> v_key) <> 'string' THEN
            PERFORM _recon.fail('RC305', format('"%s" must be a string', v_key),
                                format('Got %s.', register_writer.options -> v_key), 'docs/REPAIRS.md.');
        END IF;
    END LOOP;
    IF register_writer.options ? 'columns' AND jsonb_typeof(register_writer.options -> 'columns') <> 'object' THEN
        PERFORM _recon.fail('RC305', '"columns" must be an object',
                            format('Got %s.', register_writer.options -> 'columns'),
                            'It maps a ledger column to a constant or template.');
    END IF;
    IF register_writer.options ? 'entry_types' AND (jsonb_typeof(register_writer.options -> 'entry_types') <> 'array'
        OR EXISTS (SELECT FROM jsonb_array_elements(register_writer.options -> 'entry_types') AS e
                   WHERE jsonb_typeof(e) <> 'string')) THEN
        PERFORM _recon.fail('RC305', '"entry_types" must be an array of strings',
                            format('Got %s.', register_writer.options -> 'entry_types'),
                            'E.g. ["topup", "withdrawal"]: preferred when several types fit.');
    END IF;
    PERFORM _recon.writer_moves_balances(register_writer.ledger, register_writer.options);
    IF register_writer.options ? 'function' THEN
        IF register_writer.options ? 'columns' THEN
            PERFORM _recon.fail('RC305', 'a writer has "function" or "columns", not both',
                                'A posting function writes its own rows.',
                                'Drop "columns", or drop "function" to use an INSERT.');
        END IF;
        BEGIN
            v_fn := (register_writer.options ->> 'function')::regprocedure;
        EXCEPTION WHEN undefined_function OR invalid_text_representation OR syntax_error
                       OR invalid_schema_name OR undefined_object THEN
            PERFORM _recon.fail(
                'RC305', format('unknown posting function %L', register_writer.options ->> 'function'),
                SQLERRM, 'Give it with its argument type, e.g. "ledger.post_recon(jsonb)".');
        END;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                       WHERE p.oid = v_fn AND p.prorettype = 'jsonb'::regtype
                         AND p.pronargs = 1 AND p.proargtypes[0] = 'jsonb'::regtype
                         AND p.prokind = 'f' AND NOT p.proretset) THEN
            PERFORM _recon.fail(
                'RC305', format('posting function %s has the wrong signature', v_fn),
                'A posting function takes the posting request and returns the entries: '
                || 'fn(request jsonb) RETURNS jsonb.', 'docs/REPAIRS.md describes the request.');
        END IF;
    END IF;
    -- an INSERT writer inserts into the ledger as registered: a view must take the INSERT
    -- (a simple view, or one with an INSTEAD OF INSERT trigger), or repairs would fail later
    IF NOT register_writer.options ? 'function'
       AND pg_catalog.pg_relation_is_updatable(v_ledger.relid, TRUE) & 8 = 0 THEN
        PERFORM _recon.fail(
            'RC312', format('ledger %s cannot take an INSERT writer', register_writer.ledger),
            format('%s is a %s that does not accept INSERT (a join, an aggregate, DISTINCT, a '
                   || 'UNION...: not automatically updatable, and no INSTEAD OF INSERT trigger).',
                   v_ledger.relid::regclass,
                   CASE (SELECT c.relkind FROM pg_catalog.pg_class AS c
                         WHERE c.oid = v_ledger.relid)
                        WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                        ELSE 'relation' END),
            'Register a posting function ({"function": "schema.post(jsonb)"}) that writes the '
            || 'base tables, or register the ledger on its base table; docs/REPAIRS.md.');
    END IF;
    IF register_writer.options ? 'offset_wallet' THEN
        EXECUTE format('SELECT EXISTS (SELECT FROM %s AS w WHERE w.%I::text = $1)',
                       v_wallet.relid::regclass, v_wallet.key_column)
        INTO v_exists USING register_writer.options ->> 'offset_wallet';
        IF NOT v_exists THEN
            PERFORM _recon.fail(
                'RC305', format('offset wallet %L is not in %s', register_writer.options ->> 'offset_wallet',
                                v_wallet.relid::regclass),
                'Double-entry repairs post their other side to this wallet.',
                'Create the system wallet first (seed 003 calls it ''system'').');
        END IF;
    END IF;
    -- a transfer row moves two wallets: a repair posts from or to the offset wallet (an
    -- INSERT writer one row, a posting function as it likes; conservation checks both)
    IF v_ledger.shape = 'transfer' AND NOT register_writer.options ? 'offset_wallet' THEN
        PERFORM _recon.fail(
            'RC305', format('a writer for transfer ledger %s needs an "offset_wallet"', register_writer.ledger),
            'A repair on a transfer ledger is one row between the wallet and the offset wallet.',
            'E.g. {"offset_wallet": "world"}: the system wallet repairs move money from and to.');
    END IF;
    IF register_writer.options ? 'journal' AND v_ledger.journal_column IS NULL THEN
        PERFORM _recon.fail('RC305', format('ledger %s has no journal column', register_writer.ledger),
                            'A journal template fills the ledger''s journal column.',
                            'Register the ledger with {"journal": "<column>"}, or drop it here.');
    END IF;
    -- (a transfer row is its own journal: both legs are the one row, balanced by construction)
    IF register_writer.options ? 'offset_wallet' AND NOT register_writer.options ? 'function' AND v_ledger.journal_column
        IS NOT NULL AND NOT register_writer.options ? 'journal' AND v_ledger.shape = 'entries' THEN
        PERFORM _recon.fail(
            'RC305', 'a double-entry writer needs a "journal" template',
            'Both sides of a posting share one journal id, so the journal check sees them '
            || 'balance.', 'E.g. "journal": "recon-{uuid}".');
    END IF;

    v_writer := ROW(
        register_writer.ledger,
        CASE WHEN register_writer.options ? 'function' THEN 'function' ELSE 'insert' END,
        COALESCE(register_writer.options -> 'columns', '{}'),
        v_fn,
        register_writer.options ->> 'offset_wallet',
        COALESCE(register_writer.options ->> 'reference', 'RECON-{date}-{ticket}-{fix}.{step}'),
        COALESCE(register_writer.options ->> 'description', 'wallet-recon {strategy} ({ticket}): {reason}'),
        register_writer.options ->> 'journal',
        ARRAY(SELECT jsonb_array_elements_text(COALESCE(register_writer.options -> 'entry_types', '[]'))),
        register_writer.options, now(), session_user
    )::_recon.writer;
    -- Compile what it will run now, so that a bad mapping fails here and not mid-repair.
    PERFORM _recon.template_sql(v_writer.reference, 'reference');
    PERFORM _recon.template_sql(v_writer.description, 'description');
    IF v_writer.journal IS NOT NULL THEN
        PERFORM _recon.template_sql(v_writer.journal, 'journal');
    END IF;
    IF v_writer.kind = 'insert' THEN
        PERFORM _recon.writer_insert_sql(v_writer);
    END IF;
    INSERT INTO _recon.writer VALUES (v_writer.*)
    ON CONFLICT (ledger_source) DO UPDATE
    SET kind = excluded.kind, column_map = excluded.column_map,
        posting_function = excluded.posting_function,
        offset_wallet = excluded.offset_wallet, reference = excluded.reference,
        description = excluded.description, journal = excluded.journal,
        entry_types = excluded.entry_types, options = excluded.options,
        created_at = excluded.created_at, created_by = excluded.created_by;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'ledger', register_writer.ledger, 'kind', v_writer.kind, 'function', v_fn::text,
        'offset_wallet', v_writer.offset_wallet, 'reference', v_writer.reference,
        'journal', v_writer.journal,
        'moves_balances', CASE WHEN _recon.writer_moves_balances(register_writer.ledger, register_writer.options) THEN TRUE
                          END));
END;
$_$;

--
-- Name: FUNCTION register_writer(ledger text, options jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.register_writer(ledger text, options jsonb) IS 'Registers (or replaces) how recon.fix() posts into a ledger: {"columns": {column: constant or template}} for an INSERT (the ledger''s registered columns are filled by the toolkit), or {"function": "schema.fn(jsonb)"} for your own posting function; "offset_wallet" for double entry, "reference", "description" and "journal" templates, "entry_types" to prefer, "moves_balances": true for a ledger-first posting function (it moves the stored balances and running balances itself; the toolkit does not, and checks what it moved). Serves one-sided and transfer rows with filters, parent rows, effects keyed on several columns and running balances per column (repairs verify through the legs); an INSERT writer is refused where a filter or effect rule reads a parent row. Errors: RC107 unknown ledger, RC106 unknown option, RC305 bad mapping (or an INSERT on parent rows: use a posting function), RC312 an INSERT writer on a view that takes no INSERT, RC320 a float amount or running balance. Needs the toolkit owner. docs/REPAIRS.md.';

--
-- Name: reverse_fix(bigint, boolean, text, text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.reverse_fix(fix_id bigint, dry_run boolean DEFAULT true, ticket text DEFAULT NULL::text, reason text DEFAULT NULL::text) RETURNS SETOF recon.fix_step
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
DECLARE
    v_stage bigint;
    v_fix bigint;
    v_invoker name;
BEGIN
    v_invoker := _recon.fix_caller(reverse_fix.dry_run, reverse_fix.ticket, reverse_fix.reason,
                                   'reversing a fix');
    IF NOT EXISTS (SELECT FROM _recon.fix AS f
                   WHERE f.id = reverse_fix.fix_id AND f.action IN ('fix', 'backfill')) THEN
        PERFORM _recon.fail('RC308', format('unknown fix %s', reverse_fix.fix_id),
                            'Only an applied recon.fix() or recon.backfill() can be reversed.',
                            'SELECT * FROM recon.repairs; lists them with their fix_id.');
    END IF;

    -- Every repair of the fix, undone: each entry it posted compensated by an entry
    -- REV-<entry id> (or, where the reference column cannot hold that, the writer's reference)
    -- with the opposite effect (the writer posts the offset side again), each stored balance
    -- moved back, the compensated entries recorded (_recon.reversal). An acknowledgement or a
    -- covered step is withdrawn.
    v_stage := nextval('_recon.fix_stage_seq');
    INSERT INTO _recon.fix_stage (
        stage_id, step, finding_id, check_name, finding_key, wallet_source, wallet_key,
        ledger_source, strategy, amount, postings, moves, status, note, repair_key
    )
    SELECT v_stage, row_number() OVER (ORDER BY r.wallet_source, r.wallet_key NULLS LAST, r.step),
           r.finding_id, r.check_name, r.finding_key, r.wallet_source, r.wallet_key,
           (SELECT min(e.ledger_source) FROM _recon.repair_entry AS e WHERE e.repair_id = r.id),
           'reversal', r.amount,
           COALESCE((SELECT jsonb_agg(jsonb_build_object(
                         'wallet', p.wallet_key, 'purpose', 'reversal', 'entry', p.entry,
                         'offset_wallet', p.posting -> 'offset_wallet',
                         -- on monotonic counters the opposite leg (the row the other way,
                         -- _recon.fix_offset_legs), never a negative amount
                         'deltas', COALESCE(p.posting -> 'offset_deltas',
                                            (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                             FROM jsonb_each_text(p.deltas) AS d)))
                         || jsonb_strip_nulls(jsonb_build_object('reference',
                                _recon.reversal_reference(p.ledger_source,
                                                          COALESCE(p.entry, 'R' || r.id))))
                         ORDER BY p.n)
                     FROM (SELECT DISTINCT ON (e.posting) e.ledger_source, e.wallet_key,
                                  e.entry, e.deltas,
                                  e.posting, row_number() OVER () AS n
                           FROM _recon.repair_entry AS e
                           WHERE e.repair_id = r.id AND e.posting ->> 'side' IS NULL
                           ORDER BY e.posting, e.entry) AS p), '[]'),
           CASE WHEN r.moves <> '{}' AND EXISTS (
                    SELECT FROM _recon.repair_entry AS e
                    WHERE e.repair_id = r.id AND e.posting ->> 'side' IS NULL
                      AND e.posting ? 'offset_deltas')
                -- the stored balance moved with the entry: it moves with the opposite leg now
                THEN COALESCE((SELECT jsonb_object_agg(o.key, o.total) FROM (
                                   SELECT d.key, sum(d.value::numeric) AS total
                                   FROM (SELECT DISTINCT ON (e.posting) e.posting
                                         FROM _recon.repair_entry AS e
                                         WHERE e.repair_id = r.id
                                           AND e.posting ->> 'side' IS NULL) AS x,
                                        jsonb_each_text(_recon.fix_offset_deltas(x.posting)) AS d
                                   GROUP BY d.key) AS o), '{}')
                ELSE COALESCE((SELECT jsonb_object_agg(m.key, -(m.value::numeric))
                               FROM jsonb_each_text(r.moves) AS m), '{}') END,
           'planned', format('reverses repair %s (%s)', r.id, r.strategy), 'reverse:' || r.id
    FROM _recon.repair AS r
    WHERE r.fix_id = reverse_fix.fix_id AND r.reverses IS NULL;

    -- a compensating row an INSERT writer cannot post with exactly the opposite effect (effects
    -- keyed on several columns) is left to a person, saying why
    PERFORM _recon.fix_offset_legs(v_stage);
    PERFORM _recon.fix_unpostable(v_stage);

    IF reverse_fix.dry_run THEN
        PERFORM _recon.fix_assess(v_stage, NULL, NULL, FALSE);
    ELSE
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('reverse', NULL, reverse_fix.ticket, reverse_fix.reason,
                jsonb_build_object('fix_id', reverse_fix.fix_id), v_invoker)
        RETURNING id INTO v_fix;
        PERFORM _recon.fix_apply(v_stage, v_fix, reverse_fix.ticket, reverse_fix.reason,
                                 v_invoker, NULL, NULL, FALSE);
    END IF;
    RETURN QUERY SELECT r.* FROM _recon.fix_report(v_stage) AS r;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
END;
$$;

--
-- Name: FUNCTION reverse_fix(fix_id bigint, dry_run boolean, ticket text, reason text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.reverse_fix(fix_id bigint, dry_run boolean, ticket text, reason text) IS 'Undoes an applied recon.fix() (or recon.backfill()): every entry it posted is compensated by an entry REV-<entry id> (the writer''s reference where the reference column cannot hold it) with the opposite effect and recorded in _recon.reversal, every stored balance moved back; a reversal it undoes cancels nothing any more (the duplicate comes back); nothing is deleted. Dry run by default; applying needs a ticket and a reason, locks the wallets in key order, refuses to overdraw, and reverses each repair once (a unique key). Errors: RC303 no ticket or reason, RC308 unknown fix, RC305 the writer failed. docs/REPAIRS.md.';

--
-- Name: schedule_reconcile(text, text, text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.schedule_reconcile(schedule text DEFAULT '0 3 * * *'::text, mode text DEFAULT 'incremental'::text, job text DEFAULT 'wallet-recon reconcile'::text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
DECLARE
    v_job bigint;
BEGIN
    IF schedule_reconcile.mode IS NULL OR schedule_reconcile.mode NOT IN ('full', 'incremental') THEN
        PERFORM _recon.fail('RC201', format('unknown reconcile mode %L', schedule_reconcile.mode),
                            'Modes: full, incremental.', 'Nightly runs are usually incremental.');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        PERFORM _recon.fail(
            'RC407', format('pg_cron is not installed in database %s', current_database()),
            'recon.schedule_reconcile() schedules with pg_cron.',
            format('Schedule it outside instead, e.g. a crontab line: %s wallet-recon check '
                   || '--database "$DATABASE_URL"%s. Or install pg_cron '
                   || '(shared_preload_libraries = ''pg_cron'', cron.database_name = %L) and '
                   || 'CREATE EXTENSION pg_cron.', schedule_reconcile.schedule,
                   CASE WHEN schedule_reconcile.mode = 'incremental' THEN ' --incremental' ELSE '' END,
                   current_database()));
    END IF;
    -- the same job name again replaces its schedule: scheduling twice is harmless
    EXECUTE format('SELECT %I.schedule($1, $2, $3)', 'cron')  -- pg_cron's own schema
    INTO v_job USING schedule_reconcile.job, schedule_reconcile.schedule, format('CALL recon.reconcile_run(NULL, %L)', schedule_reconcile.mode);
    RETURN v_job;
END;
$_$;

--
-- Name: FUNCTION schedule_reconcile(schedule text, mode text, job text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.schedule_reconcile(schedule text, mode text, job text) IS 'Schedules CALL recon.reconcile_run(NULL, mode) with pg_cron (default: incremental, nightly at 03:00) under a job name (scheduling it again replaces it); returns the pg_cron job id. RC407, naming the alternative (cron calling the CLI), where pg_cron is not installed; RC201 bad mode. Runs as the caller: the job runs as the caller too.';

--
-- Name: set_check_enabled(text, boolean); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.set_check_enabled(name text, enabled boolean) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
BEGIN
    IF set_check_enabled.enabled IS NULL THEN
        PERFORM _recon.fail('RC106', 'set_check_enabled.enabled must be true or false', 'Got NULL.',
                            'recon.set_check_enabled(''name'', false) disables a check.');
    END IF;
    PERFORM _recon.check(set_check_enabled.name);
    UPDATE _recon.check_def AS c SET enabled = set_check_enabled.enabled WHERE c.name = set_check_enabled.name;
    PERFORM _recon.rebuild_discrepancies();
    RETURN recon.describe_check(set_check_enabled.name);
END;
$$;

--
-- Name: FUNCTION set_check_enabled(name text, enabled boolean); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.set_check_enabled(name text, enabled boolean) IS 'Disables (false) or enables (true) a check: a disabled check keeps its view and history but is left out of recon.discrepancies and of recon.reconcile() unless named. RC107 if unknown. Needs the toolkit owner.';

--
-- Name: set_fix_policy(text, jsonb); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.set_fix_policy(check_name text, options jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_check _recon.check_def := _recon."check"(set_fix_policy.check_name);
    v_allowed text[] := _recon.fix_strategies(v_check.kind);
    v_strategy text;
    v_key text;
BEGIN
    PERFORM _recon.check_options('fix policy of ' || set_fix_policy.check_name, set_fix_policy.options,
                                 ARRAY['strategy', 'wallet_limit', 'run_limit', 'column',
                                       'from_column']);
    v_strategy := COALESCE(set_fix_policy.options ->> 'strategy', v_allowed[1]);
    IF v_strategy <> ALL (v_allowed) THEN
        PERFORM _recon.fail('RC304', format('strategy %L does not repair %s findings', v_strategy,
                                            v_check.kind),
                            format('For %s checks: %s.', v_check.kind,
                                   array_to_string(v_allowed, ', ')),
                            'docs/REPAIRS.md explains each strategy.');
    END IF;
    -- Amounts per currency: a map, or one amount in the check's own currency (refused where
    -- the check's rows each carry a currency and it names none).
    FOREACH v_key IN ARRAY ARRAY['wallet_limit', 'run_limit'] LOOP
        IF set_fix_policy.options ? v_key AND set_fix_policy.options -> v_key <> 'null' THEN
            set_fix_policy.options := jsonb_set(set_fix_policy.options, ARRAY[v_key], _recon.currency_amounts(
                v_key, set_fix_policy.options -> v_key, v_check.currency,
                _recon.check_row_currency(v_check.kind, v_check.ledger_source,
                                          v_check.wallet_source), 'RC302'));
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['column', 'from_column'] LOOP
        IF set_fix_policy.options ? v_key AND (SELECT (set_fix_policy.options ->> v_key) <> ALL (w.balance_columns)
                                  FROM _recon.wallet_source AS w
                                  WHERE w.name = v_check.wallet_source) IS NOT FALSE THEN
            PERFORM _recon.fail('RC102', format('%L is not a balance column of %s',
                                                set_fix_policy.options ->> v_key, v_check.wallet_source),
                                format('"%s" names the balance column the repair moves.', v_key),
                                'SELECT * FROM recon.sources; lists the balance columns.');
        END IF;
    END LOOP;
    INSERT INTO _recon.fix_policy AS p (check_name, strategy, wallet_limit, run_limit, options)
    VALUES (set_fix_policy.check_name, v_strategy, NULLIF(set_fix_policy.options -> 'wallet_limit', 'null'),
            NULLIF(set_fix_policy.options -> 'run_limit', 'null'), set_fix_policy.options)
    ON CONFLICT (check_name) DO UPDATE
    SET strategy = excluded.strategy, wallet_limit = excluded.wallet_limit,
        run_limit = excluded.run_limit, options = excluded.options, set_at = now(),
        set_by = session_user;
    -- the strategy it will use, also when the options name none (or null)
    RETURN set_fix_policy.options || jsonb_build_object('check', set_fix_policy.check_name, 'strategy', v_strategy);
END;
$$;

--
-- Name: FUNCTION set_fix_policy(check_name text, options jsonb); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.set_fix_policy(check_name text, options jsonb) IS 'Sets how recon.fix() repairs a check''s findings: {"strategy": ..., "wallet_limit": amounts, "run_limit": amounts, "column": balance column (orphan), "from_column": the other column (derived move)}. Amounts are per currency ({"USD": 500, "JPY": 50000, "*": 10}: "*" for every currency not named) or one amount in the check''s currency. Without a policy a check gets its kind''s default strategy and its low_limit as wallet_limit; a currency with no limit gets no automatic repair. Errors: RC107 unknown check, RC106 unknown option, RC304 strategy not for this kind, RC302 bad limit (also one amount for a check whose wallets or entries each carry a currency), RC102 not a balance column. Needs the toolkit owner.';

--
-- Name: start_run(text[], text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.start_run(checks text[] DEFAULT NULL::text[], mode text DEFAULT 'full'::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_run bigint;
BEGIN
    INSERT INTO _recon.run (mode, checks)
    VALUES (start_run.mode, _recon.run_checks(start_run.checks, start_run.mode))
    RETURNING id INTO v_run;
    -- Held by this session until its recon.reconcile() finishes (or the session ends: then the
    -- next reconcile finds the lock free and marks the run interrupted).
    PERFORM pg_advisory_lock(_recon.run_lock_key(v_run));
    PERFORM set_config('wallet_recon.run_id', v_run::text, FALSE);
    RETURN v_run;
END;
$$;

--
-- Name: FUNCTION start_run(checks text[], mode text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.start_run(checks text[], mode text) IS 'Records a run (status running) for the next recon.reconcile() of this session with the same checks and mode, which fills it in. Commit between the two (recon.reconcile_run() does): a run whose session ends before it finishes is then marked interrupted by the next reconcile. Errors: RC201, RC202.';

--
-- Name: unschedule_reconcile(text); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.unschedule_reconcile(job text DEFAULT 'wallet-recon reconcile'::text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
DECLARE
    v_done boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        PERFORM _recon.fail(
            'RC407', format('pg_cron is not installed in database %s', current_database()),
            'Nothing was scheduled with it here.', 'Remove your crontab line instead.');
    END IF;
    EXECUTE format('SELECT %I.unschedule($1)', 'cron') INTO v_done USING unschedule_reconcile.job;
    RETURN v_done;
END;
$_$;

--
-- Name: FUNCTION unschedule_reconcile(job text); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.unschedule_reconcile(job text) IS 'Removes the pg_cron job recon.schedule_reconcile() created (by job name). RC407 without pg_cron.';

--
-- Name: version(); Type: FUNCTION; Schema: recon; Owner: -
--

CREATE FUNCTION recon.version() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT m.toolkit_version FROM _recon.migrator_meta AS m;
$$;

--
-- Name: FUNCTION version(); Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON FUNCTION recon.version() IS 'Version of the wallet-recon package that last installed or upgraded this database. SECURITY DEFINER: reads the private _recon.migrator_meta for callers without access to it.';

--
-- Name: _yoyo_log; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon._yoyo_log (
    id character varying(36) NOT NULL,
    migration_hash character varying(64),
    migration_id character varying(255),
    operation character varying(10),
    username character varying(255),
    hostname character varying(255),
    comment character varying(255),
    created_at_utc timestamp without time zone
);

--
-- Name: TABLE _yoyo_log; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon._yoyo_log IS 'yoyo-migrations: log of applied and rolled back migrations.';

--
-- Name: _yoyo_migration; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon._yoyo_migration (
    migration_hash character varying(64) NOT NULL,
    migration_id character varying(255),
    applied_at_utc timestamp without time zone
);

--
-- Name: TABLE _yoyo_migration; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon._yoyo_migration IS 'yoyo-migrations: the migrations applied to this database.';

--
-- Name: _yoyo_version; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon._yoyo_version (
    version integer NOT NULL,
    installed_at_utc timestamp without time zone
);

--
-- Name: TABLE _yoyo_version; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon._yoyo_version IS 'yoyo-migrations: version of yoyo''s own tables.';

--
-- Name: alert; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.alert (
    id bigint NOT NULL,
    raised_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    kind text NOT NULL,
    severity text NOT NULL,
    guard_id integer,
    run_id bigint,
    source text,
    item text,
    message text NOT NULL,
    details jsonb NOT NULL,
    raised_by name DEFAULT SESSION_USER NOT NULL,
    acknowledged_at timestamp with time zone,
    acknowledged_by name,
    acknowledgement text,
    CONSTRAINT alert_severity CHECK ((severity = ANY (ARRAY['LOW'::text, 'MEDIUM'::text, 'HIGH'::text, 'CRITICAL'::text])))
);

--
-- Name: TABLE alert; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.alert IS 'Alerts: a guard in warn mode that saw a bad write, a reconcile run with HIGH or CRITICAL findings. Each is also sent with pg_notify on channel wallet_recon_alert. Acknowledged with recon.acknowledge_alert().';

--
-- Name: COLUMN alert.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.id IS 'Alert number.';

--
-- Name: COLUMN alert.raised_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.raised_at IS 'When.';

--
-- Name: COLUMN alert.kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.kind IS 'The guard kind (drift, derived, double_entry, lifecycle, append_only) or run.';

--
-- Name: COLUMN alert.severity; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.severity IS 'LOW, MEDIUM, HIGH or CRITICAL.';

--
-- Name: COLUMN alert.guard_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.guard_id IS 'The guard that raised it, if any.';

--
-- Name: COLUMN alert.run_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.run_id IS 'The run that raised it, if any.';

--
-- Name: COLUMN alert.source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.source IS 'The guarded ledger source or check.';

--
-- Name: COLUMN alert.item; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.item IS 'Wallet key, journal or hold concerned.';

--
-- Name: COLUMN alert.message; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.message IS 'What happened, in one line.';

--
-- Name: COLUMN alert.details; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.details IS 'The numbers behind it (also the NOTIFY payload).';

--
-- Name: COLUMN alert.raised_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.raised_by IS 'session_user of the writing transaction.';

--
-- Name: COLUMN alert.acknowledged_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.acknowledged_at IS 'When it was acknowledged; NULL while open.';

--
-- Name: COLUMN alert.acknowledged_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.acknowledged_by IS 'Who acknowledged it (session_user).';

--
-- Name: COLUMN alert.acknowledgement; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.alert.acknowledgement IS 'The note given when acknowledging.';

--
-- Name: alert_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.alert ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.alert_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: balance_state; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.balance_state (
    check_name text NOT NULL,
    wallet_key text NOT NULL,
    n bigint NOT NULL,
    n_amount bigint NOT NULL,
    n_bad bigint NOT NULL,
    sums numeric[] NOT NULL,
    has_wallet boolean DEFAULT false NOT NULL
);

--
-- Name: TABLE balance_state; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.balance_state IS 'Per balance check and wallet: entries, non-NULL amounts, unmapped entries and the sum of effects per balance column, over the ledger entries up to the watermark''s bound. Recomputable, so unlogged; an empty state after a crash makes the next incremental run a full one.';

--
-- Name: COLUMN balance_state.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.check_name IS 'The balance check.';

--
-- Name: COLUMN balance_state.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.wallet_key IS 'Wallet key as text.';

--
-- Name: COLUMN balance_state.n; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.n IS 'Entries.';

--
-- Name: COLUMN balance_state.n_amount; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.n_amount IS 'Entries with a non-NULL amount.';

--
-- Name: COLUMN balance_state.n_bad; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.n_bad IS 'Entries whose direction or type maps to nothing.';

--
-- Name: COLUMN balance_state.sums; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.sums IS 'Sum of effects per balance column, in the check''s column order.';

--
-- Name: COLUMN balance_state.has_wallet; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state.has_wallet IS 'The key was a wallet when the state was last read with the wallets (every wallet has a row, with n = 0 when it has no entries). An incremental run compares the wallets still there with those it counts here: one deleted or re-keyed makes the run full (docs/INCREMENTAL.md).';

--
-- Name: balance_state_mark; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.balance_state_mark (
    check_name text NOT NULL,
    run_id bigint NOT NULL
);

--
-- Name: TABLE balance_state_mark; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.balance_state_mark IS 'Per balance check: the run that last wrote its rows of _recon.balance_state (its generation). Unlogged like the state, so a crash (or a promoted standby) empties both at once: a mark that equals the watermark''s run_id shows the state is whole, in one index probe instead of a count of the state''s rows.';

--
-- Name: COLUMN balance_state_mark.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state_mark.check_name IS 'The balance check.';

--
-- Name: COLUMN balance_state_mark.run_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.balance_state_mark.run_id IS 'The run that last wrote the check''s state; the watermark''s run_id when the state is whole.';

--
-- Name: currency_unit; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.currency_unit (
    currency text NOT NULL,
    minor_units smallint NOT NULL,
    CONSTRAINT currency_unit_minor_units CHECK (((minor_units >= 0) AND (minor_units <= 18)))
);

--
-- Name: TABLE currency_unit; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.currency_unit IS 'Decimal places amounts of a currency are shown with (ISO 4217 minor units, and a few crypto assets), so that 15,492.00 is never shown beside 28,551.0. A currency not listed (COIN) is shown with as many places as its amounts need. Add your own: INSERT INTO _recon.currency_unit VALUES (''COIN'', 0). An amount with more places than listed is shown whole, never rounded.';

--
-- Name: COLUMN currency_unit.currency; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.currency_unit.currency IS 'Currency code, as findings carry it.';

--
-- Name: COLUMN currency_unit.minor_units; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.currency_unit.minor_units IS 'Decimal places (JPY 0, USD 2, BHD 3).';

--
-- Name: CONSTRAINT currency_unit_minor_units ON currency_unit; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON CONSTRAINT currency_unit_minor_units ON _recon.currency_unit IS '0 to 18 places (ETH has 18).';

--
-- Name: finding; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.finding (
    id bigint NOT NULL,
    check_name text NOT NULL,
    finding_key text NOT NULL,
    wallet_key text,
    first_seen_run bigint NOT NULL,
    last_seen_run bigint NOT NULL,
    resolved_run bigint,
    dropped_at timestamp with time zone,
    stored numeric,
    expected numeric,
    difference numeric,
    severity text NOT NULL,
    cause text,
    details jsonb NOT NULL,
    currency text,
    explained_by bigint[],
    CONSTRAINT finding_severity CHECK ((severity = ANY (ARRAY['LOW'::text, 'MEDIUM'::text, 'HIGH'::text, 'CRITICAL'::text])))
);

--
-- Name: TABLE finding; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.finding IS 'Findings as open issues: seen first and last in a run, resolved by a later run that no longer sees them. A finding that comes back after resolution is a new row.';

--
-- Name: COLUMN finding.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.id IS 'Finding number.';

--
-- Name: COLUMN finding.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.check_name IS 'The check that found it.';

--
-- Name: COLUMN finding.finding_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.finding_key IS 'Identity within the check: wallet key, plus the item (column, reference, entry) where a check can find several things per wallet.';

--
-- Name: COLUMN finding.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.wallet_key IS 'Wallet key as text; NULL for totals and journals.';

--
-- Name: COLUMN finding.first_seen_run; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.first_seen_run IS 'Run that first saw it.';

--
-- Name: COLUMN finding.last_seen_run; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.last_seen_run IS 'Latest run that saw it.';

--
-- Name: COLUMN finding.resolved_run; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.resolved_run IS 'Run that no longer saw it; NULL while open.';

--
-- Name: COLUMN finding.dropped_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.dropped_at IS 'When its check was dropped (recon.drop_check): no longer open, kept as history.';

--
-- Name: COLUMN finding.stored; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.stored IS 'Stored value, as last seen.';

--
-- Name: COLUMN finding.expected; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.expected IS 'Expected value, as last seen.';

--
-- Name: COLUMN finding.difference; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.difference IS 'stored - expected, as last seen.';

--
-- Name: COLUMN finding.severity; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.severity IS 'LOW, MEDIUM, HIGH or CRITICAL, as last seen.';

--
-- Name: COLUMN finding.cause; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.cause IS 'Suspected cause, where one can be shown.';

--
-- Name: COLUMN finding.details; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.details IS 'What the check reported, plus the cause''s evidence.';

--
-- Name: COLUMN finding.currency; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.currency IS 'Currency of its amounts, as last seen: its wallet''s currency column when the wallet source has one and the finding names one wallet of it, else the check''s currency option; NULL: unknown (never guessed, never merged with another).';

--
-- Name: COLUMN finding.explained_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.finding.explained_by IS 'The findings (ids) that hold the same money, as last seen: the orphaned payments or the duplicate behind a balance drift, the missing wallets behind a total. Totals count that money once, there, and skip this finding. NULL when nothing explains it.';

--
-- Name: finding_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.finding ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.finding_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: fix; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.fix (
    id bigint NOT NULL,
    action text NOT NULL,
    run_id bigint,
    ticket text NOT NULL,
    reason text NOT NULL,
    request jsonb NOT NULL,
    applied_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    applied_by name NOT NULL,
    session_user_name name DEFAULT SESSION_USER NOT NULL,
    txid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    CONSTRAINT fix_action CHECK ((action = ANY (ARRAY['fix'::text, 'reverse'::text, 'backfill'::text])))
);

--
-- Name: TABLE fix; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.fix IS 'Every applied recon.fix(), recon.reverse_fix() and recon.backfill() call. Append-only.';

--
-- Name: COLUMN fix.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.id IS 'Fix number.';

--
-- Name: COLUMN fix.action; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.action IS 'fix, reverse or backfill.';

--
-- Name: COLUMN fix.run_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.run_id IS 'The run whose findings it repaired, if any.';

--
-- Name: COLUMN fix.ticket; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.ticket IS 'The ticket it was applied under.';

--
-- Name: COLUMN fix.reason; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.reason IS 'Why it was applied.';

--
-- Name: COLUMN fix.request; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.request IS 'The arguments it was called with.';

--
-- Name: COLUMN fix.applied_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.applied_at IS 'When.';

--
-- Name: COLUMN fix.applied_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.applied_by IS 'The caller''s current_user (the role it had set, else its login).';

--
-- Name: COLUMN fix.session_user_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.session_user_name IS 'The caller''s session_user (its login).';

--
-- Name: COLUMN fix.txid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix.txid IS 'The applying transaction: the write-path guards let its writes through (docs/GUARDS.md).';

--
-- Name: fix_active; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.fix_active (
    txid xid8 NOT NULL,
    fix_id bigint NOT NULL
);

--
-- Name: TABLE fix_active; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.fix_active IS 'The fix (recon.fix, reverse_fix, backfill) writing right now in a transaction: inserted when its apply step starts, deleted when it ends (_recon.in_audited_fix reads it). Unlogged: it holds nothing past a transaction.';

--
-- Name: COLUMN fix_active.txid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_active.txid IS 'The transaction applying the fix.';

--
-- Name: COLUMN fix_active.fix_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_active.fix_id IS 'The fix (_recon.fix.id) it is applying.';

--
-- Name: fix_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.fix ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.fix_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: fix_policy; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.fix_policy (
    check_name text NOT NULL,
    strategy text NOT NULL,
    options jsonb NOT NULL,
    set_at timestamp with time zone DEFAULT now() NOT NULL,
    set_by name DEFAULT SESSION_USER NOT NULL,
    wallet_limit jsonb,
    run_limit jsonb,
    CONSTRAINT fix_policy_run_limit CHECK ((jsonb_typeof(run_limit) = 'object'::text)),
    CONSTRAINT fix_policy_strategy CHECK ((strategy = ANY (ARRAY['adjust'::text, 'resync'::text, 'post_missing'::text, 'reverse'::text, 'move'::text, 'resolve'::text, 'acknowledge'::text, 'none'::text]))),
    CONSTRAINT fix_policy_wallet_limit CHECK ((jsonb_typeof(wallet_limit) = 'object'::text))
);

--
-- Name: TABLE fix_policy; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.fix_policy IS 'How recon.fix() repairs a check''s findings when told nothing else (recon.set_fix_policy).';

--
-- Name: COLUMN fix_policy.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.check_name IS 'The check.';

--
-- Name: COLUMN fix_policy.strategy; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.strategy IS 'adjust, resync, post_missing, reverse, move, resolve, acknowledge or none (docs/REPAIRS.md).';

--
-- Name: COLUMN fix_policy.options; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.options IS 'The options it was set with.';

--
-- Name: COLUMN fix_policy.set_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.set_at IS 'When it was set.';

--
-- Name: COLUMN fix_policy.set_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.set_by IS 'Who set it (session_user).';

--
-- Name: COLUMN fix_policy.wallet_limit; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.wallet_limit IS 'Per currency, the largest repair of one wallet recon.fix() applies: {"USD": 500, "*": 10}. NULL: the check''s low_limit.';

--
-- Name: COLUMN fix_policy.run_limit; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_policy.run_limit IS 'Per currency, the largest total one recon.fix() call applies for this check. NULL: ten times the wallet limit.';

--
-- Name: fix_stage; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.fix_stage (
    stage_id bigint NOT NULL,
    step integer NOT NULL,
    finding_id bigint,
    check_name text,
    kind text,
    finding_key text,
    wallet_source text,
    wallet_key text,
    ledger_source text,
    strategy text NOT NULL,
    difference numeric,
    amount numeric,
    postings jsonb DEFAULT '[]'::jsonb NOT NULL,
    moves jsonb DEFAULT '{}'::jsonb NOT NULL,
    stored_before jsonb,
    stored_after jsonb,
    status text NOT NULL,
    note text,
    covered_by integer,
    repair_key text,
    repair_id bigint,
    currency text,
    ledger_change jsonb DEFAULT '{}'::jsonb NOT NULL,
    stored_change jsonb DEFAULT '{}'::jsonb NOT NULL,
    evidence jsonb
);

--
-- Name: TABLE fix_stage; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.fix_stage IS 'Scratch space of a running recon.fix(): its plan, one row per step, before it is applied. Emptied at the end of each call; unlogged (nothing to keep).';

--
-- Name: COLUMN fix_stage.stage_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.stage_id IS 'The call (a number from fix_stage_seq).';

--
-- Name: COLUMN fix_stage.step; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.step IS 'Step number.';

--
-- Name: COLUMN fix_stage.finding_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.finding_id IS 'The finding.';

--
-- Name: COLUMN fix_stage.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.check_name IS 'Its check.';

--
-- Name: COLUMN fix_stage.kind; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.kind IS 'The check''s kind.';

--
-- Name: COLUMN fix_stage.finding_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.finding_key IS 'The finding''s key.';

--
-- Name: COLUMN fix_stage.wallet_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.wallet_source IS 'The wallet source.';

--
-- Name: COLUMN fix_stage.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.wallet_key IS 'The wallet.';

--
-- Name: COLUMN fix_stage.ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.ledger_source IS 'The ledger it posts into, if it posts.';

--
-- Name: COLUMN fix_stage.strategy; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.strategy IS 'The repair.';

--
-- Name: COLUMN fix_stage.difference; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.difference IS 'The finding''s difference.';

--
-- Name: COLUMN fix_stage.amount; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.amount IS 'How much it repairs (absolute).';

--
-- Name: COLUMN fix_stage.postings; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.postings IS 'Entries to post: wallet, deltas, purpose.';

--
-- Name: COLUMN fix_stage.moves; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.moves IS 'What it adds to each stored balance column.';

--
-- Name: COLUMN fix_stage.stored_before; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.stored_before IS 'Stored balances before.';

--
-- Name: COLUMN fix_stage.stored_after; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.stored_after IS 'Stored balances after.';

--
-- Name: COLUMN fix_stage.status; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.status IS 'planned, applied, covered, manual or skipped.';

--
-- Name: COLUMN fix_stage.note; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.note IS 'Why it was skipped, or what covers it.';

--
-- Name: COLUMN fix_stage.covered_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.covered_by IS 'The step whose repair also repairs this one.';

--
-- Name: COLUMN fix_stage.repair_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.repair_key IS 'Its unique repair key.';

--
-- Name: COLUMN fix_stage.repair_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.repair_id IS 'Its audit row, once applied.';

--
-- Name: COLUMN fix_stage.currency; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.currency IS 'The wallet''s currency.';

--
-- Name: COLUMN fix_stage.ledger_change; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.ledger_change IS 'What its postings add to the ledger''s effects, per column, both sides.';

--
-- Name: COLUMN fix_stage.stored_change; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.stored_change IS 'What it adds to the stored balances, per column, offset wallets included.';

--
-- Name: COLUMN fix_stage.evidence; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.fix_stage.evidence IS 'The ledger evidence the strategy was chosen on.';

--
-- Name: fix_stage_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

CREATE SEQUENCE _recon.fix_stage_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: SEQUENCE fix_stage_seq; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON SEQUENCE _recon.fix_stage_seq IS 'Numbers recon.fix() calls in _recon.fix_stage.';

--
-- Name: guard_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.guard ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.guard_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: guard_pending; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.guard_pending (
    txid xid8 NOT NULL,
    guard_id integer NOT NULL,
    item text NOT NULL,
    col text NOT NULL,
    stored numeric DEFAULT 0 NOT NULL,
    ledger numeric DEFAULT 0 NOT NULL,
    fix_id bigint DEFAULT 0 NOT NULL
);

--
-- Name: TABLE guard_pending; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.guard_pending IS 'What a transaction changed under a guard, until its commit checks it: per wallet and balance column the stored change and the ledger effects (drift), or the journal, hold or wallet to check. Written inside the user''s transaction (so an abort leaves nothing) and emptied by the commit-time check; unlogged.';

--
-- Name: COLUMN guard_pending.txid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.txid IS 'The writing transaction.';

--
-- Name: COLUMN guard_pending.guard_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.guard_id IS 'The guard.';

--
-- Name: COLUMN guard_pending.item; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.item IS 'Wallet key, journal id or hold, as text.';

--
-- Name: COLUMN guard_pending.col; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.col IS 'Balance column (drift), else ''*''.';

--
-- Name: COLUMN guard_pending.stored; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.stored IS 'Change of the stored balance (drift).';

--
-- Name: COLUMN guard_pending.ledger; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.ledger IS 'Sum of the ledger effects written (drift).';

--
-- Name: COLUMN guard_pending.fix_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_pending.fix_id IS 'The audited recon.fix() whose statement wrote it (checked by the fix itself, not the guard); 0 for everything else, even later in the same transaction.';

--
-- Name: guard_spill; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.guard_spill (
    txid xid8 NOT NULL,
    guard_id integer NOT NULL,
    item text NOT NULL,
    col integer NOT NULL,
    stored numeric DEFAULT 0 NOT NULL,
    ledger numeric DEFAULT 0 NOT NULL
);

--
-- Name: TABLE guard_spill; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.guard_spill IS 'What a large transaction changed under a drift guard, moved out of its transaction-local setting once that grew past 8 kB (_recon.guard_drift_spill): per wallet and balance column, the stored change and the ledger effects. Written inside the user''s transaction (an abort or a rollback to a savepoint takes it back, as it does the setting) and read and emptied by the commit-time check (_recon.tg_guard_drift_check); unlogged.';

--
-- Name: COLUMN guard_spill.txid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_spill.txid IS 'The writing transaction.';

--
-- Name: COLUMN guard_spill.guard_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_spill.guard_id IS 'The drift guard.';

--
-- Name: COLUMN guard_spill.item; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_spill.item IS 'Wallet key, as text.';

--
-- Name: COLUMN guard_spill.col; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_spill.col IS 'Balance column: its position in the guard''s columns (_recon.guard.compiled -> ''columns'').';

--
-- Name: COLUMN guard_spill.stored; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_spill.stored IS 'Change of the stored balance so far.';

--
-- Name: COLUMN guard_spill.ledger; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_spill.ledger IS 'Sum of the ledger effects written so far.';

--
-- Name: guard_tick; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.guard_tick (
    guard_id integer NOT NULL
);

--
-- Name: TABLE guard_tick; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.guard_tick IS 'A row inserted and deleted at once by _recon_guard.drift_tick(): its deferred constraint trigger (_recon.tg_guard_tick) judges the drift guard''s accumulator at commit, for a transaction whose first guarded write was to the ledger (the wallet table''s own constraint trigger queues the check otherwise). Always empty outside a transaction; unlogged.';

--
-- Name: COLUMN guard_tick.guard_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.guard_tick.guard_id IS 'The drift guard to judge.';

--
-- Name: ledger_escape; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.ledger_escape (
    id bigint NOT NULL,
    txid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    ledger_source text NOT NULL,
    ticket text NOT NULL,
    reason text NOT NULL,
    allowed_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    allowed_by name DEFAULT SESSION_USER NOT NULL
);

--
-- Name: TABLE ledger_escape; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.ledger_escape IS 'The audited escape from an append-only guard: recon.allow_ledger_change() lets the calling transaction update or delete rows of one guarded ledger, and records who, when and why.';

--
-- Name: COLUMN ledger_escape.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.id IS 'Escape number.';

--
-- Name: COLUMN ledger_escape.txid; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.txid IS 'The transaction it was granted to.';

--
-- Name: COLUMN ledger_escape.ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.ledger_source IS 'The ledger.';

--
-- Name: COLUMN ledger_escape.ticket; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.ticket IS 'Ticket.';

--
-- Name: COLUMN ledger_escape.reason; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.reason IS 'Reason.';

--
-- Name: COLUMN ledger_escape.allowed_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.allowed_at IS 'When.';

--
-- Name: COLUMN ledger_escape.allowed_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_escape.allowed_by IS 'Who (session_user).';

--
-- Name: ledger_escape_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.ledger_escape ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.ledger_escape_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: ledger_shape; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.ledger_shape (
    shape text NOT NULL,
    legs jsonb NOT NULL,
    description text NOT NULL,
    CONSTRAINT ledger_shape_legs CHECK (((jsonb_typeof(legs) = 'array'::text) AND (jsonb_array_length(legs) >= 1))),
    CONSTRAINT ledger_shape_name_format CHECK ((shape ~ '^[a-z][a-z0-9_]{0,39}$'::text))
);

--
-- Name: TABLE ledger_shape; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.ledger_shape IS 'Ledger shapes: how one row of a ledger table splits into legs (the canonical legs relation, _recon.legs_sql). One row per shape; recon.register_ledger_source picks the shape whose leg options it is given.';

--
-- Name: COLUMN ledger_shape.shape; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_shape.shape IS 'Shape name: lower case, digits, _.';

--
-- Name: COLUMN ledger_shape.legs; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_shape.legs IS 'The legs of one row, in order: [{"side": name, "option": registration option naming the leg''s wallet column, "multiplier": the default effect of the amount on that wallet}]. The entries shape has one leg without side or option: the wallet column argument.';

--
-- Name: COLUMN ledger_shape.description; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.ledger_shape.description IS 'What the shape is, for recon.sources and docs.';

--
-- Name: migrator_log; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.migrator_log (
    id bigint NOT NULL,
    logged_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    action text NOT NULL,
    toolkit_version text NOT NULL,
    db_user name DEFAULT SESSION_USER NOT NULL,
    client_user text,
    client_host text,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL
);

--
-- Name: TABLE migrator_log; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.migrator_log IS 'Append-only history of every install, upgrade and rollback that changed this database.';

--
-- Name: COLUMN migrator_log.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.id IS 'Sequence of events.';

--
-- Name: COLUMN migrator_log.logged_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.logged_at IS 'When the change was committed.';

--
-- Name: COLUMN migrator_log.action; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.action IS 'install, upgrade or rollback.';

--
-- Name: COLUMN migrator_log.toolkit_version; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.toolkit_version IS 'Package version that made the change.';

--
-- Name: COLUMN migrator_log.db_user; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.db_user IS 'session_user of the migrator connection.';

--
-- Name: COLUMN migrator_log.client_user; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.client_user IS 'Operating-system user running the migrator.';

--
-- Name: COLUMN migrator_log.client_host; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.client_host IS 'Host running the migrator.';

--
-- Name: COLUMN migrator_log.detail; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_log.detail IS 'Migrations applied or rolled back, repeatable files applied, dropped or restored.';

--
-- Name: migrator_log_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.migrator_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.migrator_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: migrator_meta; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.migrator_meta (
    singleton boolean DEFAULT true NOT NULL,
    toolkit_version text NOT NULL,
    installed_at timestamp with time zone DEFAULT now() NOT NULL,
    upgraded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT migrator_meta_singleton CHECK (singleton)
);

--
-- Name: TABLE migrator_meta; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.migrator_meta IS 'One row: the wallet-recon package version that last changed this database.';

--
-- Name: COLUMN migrator_meta.singleton; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_meta.singleton IS 'Always true; keeps the table to one row.';

--
-- Name: COLUMN migrator_meta.toolkit_version; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_meta.toolkit_version IS 'Package version (PEP 440) of the last install or upgrade; an older package refuses to run.';

--
-- Name: COLUMN migrator_meta.installed_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_meta.installed_at IS 'First install.';

--
-- Name: COLUMN migrator_meta.upgraded_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_meta.upgraded_at IS 'Last install or upgrade that changed anything.';

--
-- Name: migrator_migration; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.migrator_migration (
    migration_id text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: TABLE migrator_migration; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.migrator_migration IS 'SHA-256 of each applied migration file: yoyo knows migrations by file name only, so the migrator refuses to run when an applied migration was edited afterwards.';

--
-- Name: COLUMN migrator_migration.migration_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_migration.migration_id IS 'yoyo migration id (file name without .sql).';

--
-- Name: COLUMN migrator_migration.checksum; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_migration.checksum IS 'sha256 hex of the file as applied.';

--
-- Name: COLUMN migrator_migration.applied_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_migration.applied_at IS 'When it was applied.';

--
-- Name: migrator_object; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.migrator_object (
    path text NOT NULL,
    apply_order integer NOT NULL,
    checksum text NOT NULL,
    objects text[] NOT NULL,
    fingerprints jsonb NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: TABLE migrator_object; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.migrator_object IS 'The repeatable layer: one row per file under functions/, views/, triggers/ as last applied.';

--
-- Name: COLUMN migrator_object.path; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_object.path IS 'File path relative to the SQL root, e.g. functions/version.sql.';

--
-- Name: COLUMN migrator_object.apply_order; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_object.apply_order IS 'Position in the fixed apply order.';

--
-- Name: COLUMN migrator_object.checksum; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_object.checksum IS 'sha256 hex of the file as applied.';

--
-- Name: COLUMN migrator_object.objects; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_object.objects IS 'Objects the file defines, as "<type> <identity>" from pg_identify_object (DROP-able).';

--
-- Name: COLUMN migrator_object.fingerprints; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_object.fingerprints IS 'md5 of each object''s catalog definition right after apply; status compares it with the catalog.';

--
-- Name: COLUMN migrator_object.applied_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.migrator_object.applied_at IS 'When the file was last applied.';

--
-- Name: observation; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.observation (
    run_id bigint NOT NULL,
    finding_id bigint NOT NULL,
    stored numeric,
    expected numeric,
    difference numeric,
    severity text NOT NULL,
    currency text,
    explained_by bigint[]
);

--
-- Name: TABLE observation; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.observation IS 'Every finding seen by every run: the history behind a finding.';

--
-- Name: COLUMN observation.run_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.run_id IS 'The run.';

--
-- Name: COLUMN observation.finding_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.finding_id IS 'The finding it saw.';

--
-- Name: COLUMN observation.stored; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.stored IS 'Stored value in that run.';

--
-- Name: COLUMN observation.expected; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.expected IS 'Expected value in that run.';

--
-- Name: COLUMN observation.difference; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.difference IS 'stored - expected in that run.';

--
-- Name: COLUMN observation.severity; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.severity IS 'Severity in that run.';

--
-- Name: COLUMN observation.currency; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.currency IS 'Its currency in that run (NULL: unknown).';

--
-- Name: COLUMN observation.explained_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.observation.explained_by IS 'The findings that held the same money in that run (totals skip this one).';

--
-- Name: overdraft_exemption; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.overdraft_exemption (
    id bigint NOT NULL,
    wallet_source text NOT NULL,
    wallet_key text,
    balance_column name,
    reason text NOT NULL,
    set_at timestamp with time zone DEFAULT now() NOT NULL,
    set_by name DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT overdraft_exemption_key CHECK ((wallet_key <> ''::text)),
    CONSTRAINT overdraft_exemption_reason CHECK ((btrim(reason) <> ''::text))
);

--
-- Name: TABLE overdraft_exemption; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.overdraft_exemption IS 'Where recon.fix() may leave a stored balance below zero (recon.allow_overdraft): one wallet, one balance column of every wallet, one column of one wallet, or a whole wallet source.';

--
-- Name: COLUMN overdraft_exemption.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.id IS 'Exemption number.';

--
-- Name: COLUMN overdraft_exemption.wallet_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.wallet_source IS 'The wallet source.';

--
-- Name: COLUMN overdraft_exemption.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.wallet_key IS 'The wallet (its key as text); NULL: every wallet of the source.';

--
-- Name: COLUMN overdraft_exemption.balance_column; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.balance_column IS 'The balance column; NULL: every balance column.';

--
-- Name: COLUMN overdraft_exemption.reason; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.reason IS 'Why it may go negative.';

--
-- Name: COLUMN overdraft_exemption.set_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.set_at IS 'When it was set.';

--
-- Name: COLUMN overdraft_exemption.set_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.overdraft_exemption.set_by IS 'Who set it (session_user).';

--
-- Name: overdraft_exemption_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.overdraft_exemption ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.overdraft_exemption_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: repair; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.repair (
    id bigint NOT NULL,
    fix_id bigint NOT NULL,
    repair_key text NOT NULL,
    step integer NOT NULL,
    finding_id bigint,
    check_name text,
    finding_key text,
    wallet_source text,
    wallet_key text,
    strategy text NOT NULL,
    amount numeric NOT NULL,
    difference numeric,
    moves jsonb NOT NULL,
    stored_before jsonb NOT NULL,
    stored_after jsonb NOT NULL,
    reverses bigint,
    ticket text NOT NULL,
    reason text NOT NULL,
    applied_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    applied_by name NOT NULL,
    session_user_name name DEFAULT SESSION_USER NOT NULL
);

--
-- Name: TABLE repair; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.repair IS 'The audit of every repair applied: one row per step. Append-only; a repair is undone by a later row that reverses it, never by changing this one.';

--
-- Name: COLUMN repair.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.id IS 'Repair number (the audit id).';

--
-- Name: COLUMN repair.fix_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.fix_id IS 'The call that applied it.';

--
-- Name: COLUMN repair.repair_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.repair_key IS 'What it repairs: finding:<id>:<run that last saw it>:<reversals>, reverse:<repair id>, backfill:<source>:<owner>. Unique, so the same repair is applied once however many times or sessions ask for it.';

--
-- Name: COLUMN repair.step; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.step IS 'Its step in the plan.';

--
-- Name: COLUMN repair.finding_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.finding_id IS 'The finding it repaired, if any.';

--
-- Name: COLUMN repair.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.check_name IS 'The finding''s check.';

--
-- Name: COLUMN repair.finding_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.finding_key IS 'The finding''s key within its check.';

--
-- Name: COLUMN repair.wallet_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.wallet_source IS 'The wallet source of the wallet.';

--
-- Name: COLUMN repair.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.wallet_key IS 'The wallet.';

--
-- Name: COLUMN repair.strategy; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.strategy IS 'adjust, resync, post_missing, reverse, move, acknowledge, covered, backfill or reversal.';

--
-- Name: COLUMN repair.amount; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.amount IS 'How much it repaired (absolute).';

--
-- Name: COLUMN repair.difference; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.difference IS 'The finding''s difference (stored - expected) it repaired, verified under the lock.';

--
-- Name: COLUMN repair.moves; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.moves IS 'What it added to each stored balance column.';

--
-- Name: COLUMN repair.stored_before; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.stored_before IS 'The wallet''s stored balances before.';

--
-- Name: COLUMN repair.stored_after; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.stored_after IS 'The wallet''s stored balances after.';

--
-- Name: COLUMN repair.reverses; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.reverses IS 'The repair this one reverses (recon.reverse_fix).';

--
-- Name: COLUMN repair.ticket; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.ticket IS 'Ticket.';

--
-- Name: COLUMN repair.reason; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.reason IS 'Reason.';

--
-- Name: COLUMN repair.applied_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.applied_at IS 'When.';

--
-- Name: COLUMN repair.applied_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.applied_by IS 'The caller''s current_user.';

--
-- Name: COLUMN repair.session_user_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair.session_user_name IS 'The caller''s session_user.';

--
-- Name: repair_entry; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.repair_entry (
    repair_id bigint NOT NULL,
    ledger_source text NOT NULL,
    wallet_key text NOT NULL,
    entry text,
    deltas jsonb NOT NULL,
    posting jsonb NOT NULL
);

--
-- Name: TABLE repair_entry; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.repair_entry IS 'Every ledger entry a repair posted into the user''s ledger. Append-only.';

--
-- Name: COLUMN repair_entry.repair_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair_entry.repair_id IS 'The repair.';

--
-- Name: COLUMN repair_entry.ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair_entry.ledger_source IS 'The ledger it was posted into.';

--
-- Name: COLUMN repair_entry.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair_entry.wallet_key IS 'The wallet it moved.';

--
-- Name: COLUMN repair_entry.entry; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair_entry.entry IS 'The entry''s id (or ordering id), as the writer reported it.';

--
-- Name: COLUMN repair_entry.deltas; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair_entry.deltas IS 'Its effect on each balance column.';

--
-- Name: COLUMN repair_entry.posting; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.repair_entry.posting IS 'What was posted: entry type, amount, reference, journal, running balance.';

--
-- Name: repair_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.repair ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.repair_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: reversal; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.reversal (
    ledger_source text NOT NULL,
    entry text NOT NULL,
    repair_id bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

--
-- Name: TABLE reversal; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.reversal IS 'Ledger entries the toolkit compensated: recon.fix() reversing a duplicate, recon.reverse_fix() compensating the entries of a repair. An entry recorded here is not in effect for the duplicate and orphan checks, unless its repair was itself reversed (recon.reverse_fix). Rows go with their ledger source (recon.drop_source); the repair audit (_recon.repair_entry) keeps the history.';

--
-- Name: COLUMN reversal.ledger_source; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.reversal.ledger_source IS 'The ledger the entry is in.';

--
-- Name: COLUMN reversal.entry; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.reversal.entry IS 'The compensated entry: its entry id (or ordering id) as text, as the checks name it.';

--
-- Name: COLUMN reversal.repair_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.reversal.repair_id IS 'The repair whose posting compensates it (recon.repairs); reversing that repair puts the entry back in effect.';

--
-- Name: COLUMN reversal.recorded_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.reversal.recorded_at IS 'When.';

--
-- Name: run; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.run (
    id bigint NOT NULL,
    started_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    finished_at timestamp with time zone,
    mode text NOT NULL,
    checks text[] NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    summary jsonb,
    started_by name DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT run_mode CHECK ((mode = ANY (ARRAY['full'::text, 'incremental'::text]))),
    CONSTRAINT run_status CHECK ((status = ANY (ARRAY['running'::text, 'synced'::text, 'discrepancy'::text, 'interrupted'::text])))
);

--
-- Name: TABLE run; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.run IS 'One row per recon.reconcile() call.';

--
-- Name: COLUMN run.id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.id IS 'Run number.';

--
-- Name: COLUMN run.started_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.started_at IS 'When it started.';

--
-- Name: COLUMN run.finished_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.finished_at IS 'When it finished; NULL while running.';

--
-- Name: COLUMN run.mode; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.mode IS 'full or incremental.';

--
-- Name: COLUMN run.checks; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.checks IS 'The checks it ran.';

--
-- Name: COLUMN run.status; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.status IS 'running, synced (no findings), discrepancy, or interrupted (it never finished: its backend was terminated or the server stopped; nothing of it was recorded but this row).';

--
-- Name: COLUMN run.summary; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.summary IS 'The JSON summary recon.reconcile() returned.';

--
-- Name: COLUMN run.started_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run.started_by IS 'session_user of the caller.';

--
-- Name: run_id_seq; Type: SEQUENCE; Schema: _recon; Owner: -
--

ALTER TABLE _recon.run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _recon.run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: run_stage; Type: TABLE; Schema: _recon; Owner: -
--

CREATE UNLOGGED TABLE _recon.run_stage (
    run_id bigint NOT NULL,
    check_name text NOT NULL,
    finding_key text NOT NULL,
    wallet_key text,
    stored numeric,
    expected numeric,
    difference numeric,
    details jsonb NOT NULL,
    cause text,
    severity text,
    currency text,
    explained_by jsonb
);

--
-- Name: TABLE run_stage; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.run_stage IS 'Scratch space of a running recon.reconcile(): its findings before they are classified and merged into _recon.finding. Emptied at the end of each run; unlogged (nothing to keep).';

--
-- Name: COLUMN run_stage.run_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.run_id IS 'The run.';

--
-- Name: COLUMN run_stage.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.check_name IS 'The check.';

--
-- Name: COLUMN run_stage.finding_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.finding_key IS 'Identity within the check.';

--
-- Name: COLUMN run_stage.wallet_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.wallet_key IS 'Wallet key as text.';

--
-- Name: COLUMN run_stage.stored; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.stored IS 'Stored value.';

--
-- Name: COLUMN run_stage.expected; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.expected IS 'Expected value.';

--
-- Name: COLUMN run_stage.difference; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.difference IS 'stored - expected.';

--
-- Name: COLUMN run_stage.details; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.details IS 'What the check reported.';

--
-- Name: COLUMN run_stage.cause; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.cause IS 'Suspected cause.';

--
-- Name: COLUMN run_stage.severity; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.severity IS 'Severity once classified.';

--
-- Name: COLUMN run_stage.currency; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.currency IS 'Currency (NULL: unknown).';

--
-- Name: COLUMN run_stage.explained_by; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.run_stage.explained_by IS 'The staged findings holding the same money: [{"check": name, "finding": key}, ...].';

--
-- Name: watermark; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.watermark (
    check_name text NOT NULL,
    run_id bigint NOT NULL,
    compiled_md5 text NOT NULL,
    order_bound numeric NOT NULL,
    snapshot_xmin xid8 NOT NULL,
    ledger_relfilenode oid NOT NULL,
    wallet_relfilenode oid NOT NULL,
    ledger_changes bigint NOT NULL,
    wallet_deletes bigint NOT NULL,
    state_rows bigint NOT NULL,
    taken_at timestamp with time zone DEFAULT now() NOT NULL,
    ledger_storage jsonb,
    wallet_storage jsonb,
    parents_storage jsonb,
    wallet_rows bigint
);

--
-- Name: TABLE watermark; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.watermark IS 'Where a balance check''s incremental mode can start from: the last run that left its per-wallet sums exact up to an ordering-id bound. docs/INCREMENTAL.md explains what invalidates it.';

--
-- Name: COLUMN watermark.check_name; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.check_name IS 'The balance check.';

--
-- Name: COLUMN watermark.run_id; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.run_id IS 'The run that set it.';

--
-- Name: COLUMN watermark.compiled_md5; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.compiled_md5 IS 'md5 of the check''s compiled SQL: a re-registered check invalidates the watermark.';

--
-- Name: COLUMN watermark.order_bound; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.order_bound IS 'Every ledger entry with an ordering id up to this was settled (committed or aborted) and is summed in _recon.balance_state.';

--
-- Name: COLUMN watermark.snapshot_xmin; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.snapshot_xmin IS 'Oldest transaction running when the run read the wallets, before it read any ledger entry and parent row: a wallet or parent row written by this transaction or a later one may have changed since.';

--
-- Name: COLUMN watermark.ledger_relfilenode; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.ledger_relfilenode IS 'Ledger storage then; a TRUNCATE or rewrite changes it and forces a full run.';

--
-- Name: COLUMN watermark.wallet_relfilenode; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.wallet_relfilenode IS 'Wallet table storage then; a TRUNCATE or rewrite changes it and forces a full run.';

--
-- Name: COLUMN watermark.ledger_changes; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.ledger_changes IS 'Ledger rows updated plus deleted (statistics) then: if it moves, a full run follows.';

--
-- Name: COLUMN watermark.wallet_deletes; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.wallet_deletes IS 'Wallet rows deleted (statistics) then: if it moves, a full run follows.';

--
-- Name: COLUMN watermark.state_rows; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.state_rows IS 'Rows it left in _recon.balance_state, for information: the state is checked by _recon.balance_state_mark (0022).';

--
-- Name: COLUMN watermark.taken_at; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.taken_at IS 'When it was set.';

--
-- Name: COLUMN watermark.ledger_storage; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.ledger_storage IS 'The ledger''s storage signature then (_recon.incremental_storage): every leaf table of its partition or inheritance tree with its relfilenode, and a view''s definition. Any change (a partition attached, detached, truncated or rewritten, the view redefined) forces a full run. NULL for a watermark set before 0013: a full run follows.';

--
-- Name: COLUMN watermark.wallet_storage; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.wallet_storage IS 'The wallet table''s storage signature then, as ledger_storage.';

--
-- Name: COLUMN watermark.parents_storage; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.parents_storage IS 'The leaves of every parent table the ledger reads ("parents"), then: {"<table oid>": [[oid, relfilenode], ...]} (_recon.incremental_parents_storage); {} for a ledger without parents. A parent table truncated, rewritten, or a partition of it attached or detached forces a full run; rows of it written since are found by their xmin (_recon.incremental_parent_wallets_sql). NULL for a watermark set before 0015.';

--
-- Name: COLUMN watermark.wallet_rows; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON COLUMN _recon.watermark.wallet_rows IS 'Wallets when the state was last read with them (the rows of _recon.balance_state with has_wallet). NULL for a watermark set before 0022: a full run follows.';

--
-- Name: yoyo_lock; Type: TABLE; Schema: _recon; Owner: -
--

CREATE TABLE _recon.yoyo_lock (
    locked integer DEFAULT 1 NOT NULL,
    ctime timestamp without time zone,
    pid integer NOT NULL
);

--
-- Name: TABLE yoyo_lock; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TABLE _recon.yoyo_lock IS 'yoyo-migrations lock row; wallet-recon serialises with an advisory lock and clears stale rows here.';

--
-- Name: checks; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.checks AS
 SELECT c.name,
    c.kind,
    c.enabled,
    c.wallet_source,
    c.ledger_source,
    c.currency,
    c.tolerance,
    c.low_limit,
    c.high_wallets,
    c.critical_wallets,
    c.pattern_wallets,
    c.options,
    c.created_at,
    c.created_by,
    ('recon.'::text || (c.view_name)::text) AS view_name
   FROM _recon.check_def c;

--
-- Name: VIEW checks; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.checks IS 'Registered checks: kind, sources, view, thresholds and options. recon.describe_check(name) adds the compiled SQL.';

--
-- Name: currencies; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.currencies AS
 SELECT u.currency,
    u.minor_units
   FROM _recon.currency_unit u
  ORDER BY u.currency;

--
-- Name: VIEW currencies; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.currencies IS 'The currencies whose minor units wallet-recon knows (ISO 4217, and BTC 8, ETH 18, USDC and USDT 6): the decimal places the summary, the CLI and the HTML report show their amounts with, padded, never rounded (an amount with more places is shown whole). A currency not listed (a COIN of your own) is shown with as many places as its amounts have; to list it, INSERT INTO _recon.currency_unit (currency, minor_units) as the toolkit''s owner.';

--
-- Name: discrepancies; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.discrepancies AS
 SELECT NULL::text AS check_name,
    NULL::text AS wallet_key,
    NULL::numeric AS stored,
    NULL::numeric AS expected,
    NULL::numeric AS difference,
    NULL::jsonb AS details
  WHERE false;

--
-- Name: VIEW discrepancies; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.discrepancies IS 'Every finding of every enabled check right now: check_name, wallet_key, stored, expected, difference (stored - expected), details. Rebuilt when checks are registered, enabled, disabled or dropped. recon.reconcile() records them with severity and cause.';

--
-- Name: guards; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.guards AS
 SELECT g.id,
    g.kind,
    g.target,
    g.mode,
    g.tolerance,
    g.triggers,
    g.enabled_at,
    g.enabled_by,
    COALESCE((g.compiled -> 'functions'::text), '[]'::jsonb) AS trigger_functions
   FROM _recon.guard g
  ORDER BY g.id;

--
-- Name: VIEW guards; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.guards IS 'Enabled write-path guards (recon.enable_guard): kind, guarded ledger source or check, mode (warn or block), tolerance, exactly the triggers it put on your tables, and the trigger functions it generated for them (trigger_functions: a drift guard''s two, in schema _recon).';

--
-- Name: install_history; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.install_history AS
 SELECT l.id,
    l.logged_at,
    l.action,
    l.toolkit_version,
    l.db_user,
    l.client_user,
    l.client_host,
    l.detail
   FROM _recon.migrator_log l;

--
-- Name: VIEW install_history; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.install_history IS 'Every install, upgrade and rollback of wallet-recon that changed this database, oldest first by id.';

--
-- Name: kinds; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.kinds AS
 SELECT k.kind,
    k.description,
    k.options,
    k.required,
    k.compiler,
    k.strategies,
    k.cause_roles,
    k.user_query
   FROM _recon.check_kind k;

--
-- Name: VIEW kinds; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.kinds IS 'The check kinds recon.register_check() takes, one row each (the registry _recon.check_kind): its options besides the common ones and those required, its compiler, the repair strategies recon.fix() allows (default first), its part in reconcile''s causes, and whether the SQL is the user''s own (custom). Adding a kind: docs/CHECKS.md.';

--
-- Name: COLUMN kinds.kind; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.kind IS 'The kind, as recon.register_check() takes it.';

--
-- Name: COLUMN kinds.description; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.description IS 'What its findings are.';

--
-- Name: COLUMN kinds.options; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.options IS 'Options a check of the kind takes besides the common ones; any other key is RC106.';

--
-- Name: COLUMN kinds.required; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.required IS 'Options that must be given.';

--
-- Name: COLUMN kinds.compiler; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.compiler IS 'The function compiler(p_name text, p_options jsonb) RETURNS text compiling its view''s SELECT.';

--
-- Name: COLUMN kinds.strategies; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.strategies IS 'The repairs recon.fix() can apply to its findings, the default first.';

--
-- Name: COLUMN kinds.cause_roles; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.cause_roles IS 'Its part in reconcile''s causes: explained, payment, amount, break, total, missing_wallet, pattern (docs/CHECKS.md, section 4).';

--
-- Name: COLUMN kinds.user_query; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON COLUMN recon.kinds.user_query IS 'The SQL is the user''s own query (custom): bound on their search_path, never recompiled.';

--
-- Name: open_alerts; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.open_alerts AS
 SELECT a.id,
    a.raised_at,
    a.kind,
    a.severity,
    a.source,
    a.item,
    a.message,
    a.run_id,
    a.guard_id,
    a.raised_by,
    a.details
   FROM _recon.alert a
  WHERE (a.acknowledged_at IS NULL)
  ORDER BY a.id DESC;

--
-- Name: VIEW open_alerts; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.open_alerts IS 'Unacknowledged alerts, newest first: guards in warn mode that saw a bad write, reconcile runs with HIGH or CRITICAL findings. The same are sent with pg_notify on channel wallet_recon_alert. recon.acknowledge_alert() closes them; _recon.alert keeps them all.';

--
-- Name: open_findings; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.open_findings AS
 SELECT f.id,
    f.check_name,
    c.kind,
    f.wallet_key,
    f.severity,
    f.cause,
    f.stored,
    f.expected,
    f.difference,
    f.currency,
    f.explained_by,
    f.first_seen_run,
    r.started_at AS first_seen_at,
    f.last_seen_run,
    f.details
   FROM ((_recon.finding f
     JOIN _recon.check_def c ON ((f.check_name = c.name)))
     JOIN _recon.run r ON ((f.first_seen_run = r.id)))
  WHERE ((f.resolved_run IS NULL) AND (f.dropped_at IS NULL) AND (NOT (EXISTS ( SELECT
           FROM _recon.repair a
          WHERE ((a.finding_id = f.id) AND (a.strategy = 'acknowledge'::text) AND (NOT (EXISTS ( SELECT
                   FROM _recon.repair v
                  WHERE (a.id = v.reverses)))))))))
  ORDER BY (_recon.severity_rank(f.severity)) DESC, (abs(f.difference)) DESC, f.id;

--
-- Name: VIEW open_findings; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.open_findings IS 'Open findings (issues): seen by a run and not yet resolved by a later one, most severe first. cause is the suspected cause where a run could show one; details holds the evidence. currency is the finding''s (its wallet''s, else its check''s; NULL: unknown); explained_by the findings holding the same money (an orphaned payment behind a balance drift). An acknowledged finding (recon.fix, strategy acknowledge) is not listed while it stays as it was acknowledged.';

--
-- Name: overdraft_exemptions; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.overdraft_exemptions AS
 SELECT e.id,
    e.wallet_source,
    e.wallet_key,
    e.balance_column,
    e.reason,
    e.set_at,
    e.set_by
   FROM _recon.overdraft_exemption e;

--
-- Name: VIEW overdraft_exemptions; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.overdraft_exemptions IS 'Overdraft exemptions (recon.allow_overdraft): a wallet (wallet_key), a balance column of every wallet, both, or (both NULL) a whole wallet source whose stored balances recon.fix() may leave below zero, with the reason, who and when.';

--
-- Name: repairs; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.repairs AS
 SELECT r.id,
    r.fix_id,
    f.action,
    f.run_id,
    r.step,
    r.check_name,
    r.finding_id,
    r.wallet_source,
    r.wallet_key,
    r.strategy,
    r.amount,
    r.difference,
    r.moves,
    r.stored_before,
    r.stored_after,
    r.reverses,
    r.ticket,
    r.reason,
    r.applied_at,
    r.applied_by,
    r.session_user_name,
    v.id AS reversed_by,
    COALESCE(e.entries, '[]'::jsonb) AS entries
   FROM (((_recon.repair r
     JOIN _recon.fix f ON ((r.fix_id = f.id)))
     LEFT JOIN _recon.repair v ON ((r.id = v.reverses)))
     LEFT JOIN LATERAL ( SELECT jsonb_agg(jsonb_build_object('ledger', x.ledger_source, 'wallet', x.wallet_key, 'entry', x.entry, 'deltas', x.deltas, 'reference', (x.posting ->> 'reference'::text))) AS entries
           FROM _recon.repair_entry x
          WHERE (x.repair_id = r.id)) e ON (true))
  ORDER BY r.id DESC;

--
-- Name: VIEW repairs; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.repairs IS 'The repair audit (append-only): every step recon.fix(), recon.reverse_fix() and recon.backfill() applied, with the call (fix_id, action, run), the finding, the wallet, the strategy and amount, what it moved and the stored balances before and after, what it reverses or was reversed by, the ticket and reason, when and who (current_user and session_user), and the entries it posted.';

--
-- Name: run_findings; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.run_findings AS
 SELECT o.run_id,
    f.id AS finding_id,
    f.check_name,
    c.kind,
    f.wallet_key,
    o.severity,
    f.cause,
    o.stored,
    o.expected,
    o.difference,
    o.currency,
    o.explained_by,
    f.first_seen_run,
    f.resolved_run,
    f.details,
        CASE
            WHEN (f.resolved_run IS NOT NULL) THEN 'resolved'::text
            WHEN (f.dropped_at IS NOT NULL) THEN 'dropped'::text
            WHEN (EXISTS ( SELECT
               FROM _recon.repair a
              WHERE ((a.finding_id = f.id) AND (a.strategy = 'acknowledge'::text) AND (NOT (EXISTS ( SELECT
                       FROM _recon.repair v
                      WHERE (a.id = v.reverses))))))) THEN 'acknowledged'::text
            ELSE 'open'::text
        END AS state
   FROM ((_recon.observation o
     JOIN _recon.finding f ON ((o.finding_id = f.id)))
     LEFT JOIN _recon.check_def c ON ((f.check_name = c.name)))
  ORDER BY o.run_id DESC, (_recon.severity_rank(o.severity)) DESC, f.check_name, (abs(o.difference)) DESC, f.id;

--
-- Name: VIEW run_findings; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.run_findings IS 'Every finding every run saw (filter on run_id): severity and values as that run saw them, and the finding''s state now: open, acknowledged (recon.fix strategy acknowledge), resolved (a later run no longer saw it; resolved_run) or dropped (its check was dropped: kind is then NULL). currency is the finding''s in that run (NULL: unknown); explained_by the findings that held the same money in that run (totals count it there, once). What wallet-recon check and report print.';

--
-- Name: runs; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.runs AS
 SELECT r.id,
    r.started_at,
    r.finished_at,
    r.mode,
    r.status,
    r.checks,
    r.started_by,
    r.summary,
    ((r.summary ->> 'findings'::text))::integer AS findings,
    ((r.summary ->> 'new'::text))::integer AS new_findings,
    ((r.summary ->> 'resolved'::text))::integer AS resolved_findings,
    (r.summary ->> 'max_severity'::text) AS max_severity,
    (_recon.run_amounts(r.id) -> 'by_currency'::text) AS by_currency
   FROM _recon.run r
  ORDER BY r.id DESC;

--
-- Name: VIEW runs; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.runs IS 'Reconcile runs, newest first: status (synced, discrepancy; running, or interrupted when it never finished), findings, new and resolved, the highest severity, the full JSON summary, and by_currency: the amounts of what the run saw per currency, never added across currencies, each sum of money once (_recon.run_amounts).';

--
-- Name: sources; Type: VIEW; Schema: recon; Owner: -
--

CREATE VIEW recon.sources AS
 SELECT w.name,
    'wallet'::text AS source_type,
    ((w.relid)::regclass)::text AS table_name,
    NULL::text AS wallet_source,
    jsonb_strip_nulls(jsonb_build_object('key', w.key_column, 'balances', w.balance_columns, 'currency', w.currency_column, 'owner', w.owner_column, 'label', w.label_column, 'scale', w.balance_scale)) AS definition,
    w.created_at,
    w.created_by
   FROM _recon.wallet_source w
UNION ALL
 SELECT l.name,
    'ledger'::text AS source_type,
    ((l.relid)::regclass)::text AS table_name,
    l.wallet_source,
    jsonb_strip_nulls(jsonb_build_object('wallet', l.wallet_column, 'amount', l.amount_column, 'mode', l.amount_mode, 'effects', l.effects, 'direction', l.direction_column, 'operation', l.operation_column, 'entry_id', l.entry_id_column, 'reference', l.reference_column, 'posted_at', l.posted_at_column, 'order_by', l.order_column, 'balance_after', l.balance_after_column, 'version', l.version_column, 'journal', l.journal_column, 'status', l.status_column, 'shape', NULLIF(l.shape, 'entries'::text), 'legs', l.leg_columns, 'filters', l.filters, 'parents', l.parents, 'rules', (l.kinds -> 'rules'::text), 'operation_keys', (l.kinds -> 'keys'::text), 'running_balances', l.after_columns, 'currency', l.currency_column, 'scale', l.amount_scale)) AS definition,
    l.created_at,
    l.created_by
   FROM _recon.ledger_source l;

--
-- Name: VIEW sources; Type: COMMENT; Schema: recon; Owner: -
--

COMMENT ON VIEW recon.sources IS 'Registered wallet sources (tables of stored balances) and ledger sources (entries tables), with the columns each was registered with.';

--
-- Name: _yoyo_log _yoyo_log_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon._yoyo_log
    ADD CONSTRAINT _yoyo_log_pkey PRIMARY KEY (id);

--
-- Name: _yoyo_migration _yoyo_migration_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon._yoyo_migration
    ADD CONSTRAINT _yoyo_migration_pkey PRIMARY KEY (migration_hash);

--
-- Name: _yoyo_version _yoyo_version_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon._yoyo_version
    ADD CONSTRAINT _yoyo_version_pkey PRIMARY KEY (version);

--
-- Name: alert alert_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.alert
    ADD CONSTRAINT alert_pkey PRIMARY KEY (id);

--
-- Name: balance_state_mark balance_state_mark_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.balance_state_mark
    ADD CONSTRAINT balance_state_mark_pkey PRIMARY KEY (check_name);

--
-- Name: balance_state balance_state_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.balance_state
    ADD CONSTRAINT balance_state_pkey PRIMARY KEY (check_name, wallet_key);

--
-- Name: check_def check_def_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.check_def
    ADD CONSTRAINT check_def_pkey PRIMARY KEY (name);

--
-- Name: check_def check_def_view_name_key; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.check_def
    ADD CONSTRAINT check_def_view_name_key UNIQUE (view_name);

--
-- Name: check_kind check_kind_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.check_kind
    ADD CONSTRAINT check_kind_pkey PRIMARY KEY (kind);

--
-- Name: currency_unit currency_unit_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.currency_unit
    ADD CONSTRAINT currency_unit_pkey PRIMARY KEY (currency);

--
-- Name: finding finding_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.finding
    ADD CONSTRAINT finding_pkey PRIMARY KEY (id);

--
-- Name: fix_active fix_active_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.fix_active
    ADD CONSTRAINT fix_active_pkey PRIMARY KEY (txid);

--
-- Name: fix fix_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.fix
    ADD CONSTRAINT fix_pkey PRIMARY KEY (id);

--
-- Name: fix_policy fix_policy_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.fix_policy
    ADD CONSTRAINT fix_policy_pkey PRIMARY KEY (check_name);

--
-- Name: fix_stage fix_stage_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.fix_stage
    ADD CONSTRAINT fix_stage_pkey PRIMARY KEY (stage_id, step);

--
-- Name: guard guard_once; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.guard
    ADD CONSTRAINT guard_once UNIQUE (kind, target);

--
-- Name: guard_pending guard_pending_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.guard_pending
    ADD CONSTRAINT guard_pending_pkey PRIMARY KEY (txid, guard_id, fix_id, item, col);

--
-- Name: guard guard_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.guard
    ADD CONSTRAINT guard_pkey PRIMARY KEY (id);

--
-- Name: guard_spill guard_spill_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.guard_spill
    ADD CONSTRAINT guard_spill_pkey PRIMARY KEY (txid, guard_id, item, col);

--
-- Name: ledger_escape ledger_escape_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.ledger_escape
    ADD CONSTRAINT ledger_escape_pkey PRIMARY KEY (id);

--
-- Name: ledger_shape ledger_shape_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.ledger_shape
    ADD CONSTRAINT ledger_shape_pkey PRIMARY KEY (shape);

--
-- Name: ledger_source ledger_source_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.ledger_source
    ADD CONSTRAINT ledger_source_pkey PRIMARY KEY (name);

--
-- Name: migrator_log migrator_log_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.migrator_log
    ADD CONSTRAINT migrator_log_pkey PRIMARY KEY (id);

--
-- Name: migrator_meta migrator_meta_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.migrator_meta
    ADD CONSTRAINT migrator_meta_pkey PRIMARY KEY (singleton);

--
-- Name: migrator_migration migrator_migration_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.migrator_migration
    ADD CONSTRAINT migrator_migration_pkey PRIMARY KEY (migration_id);

--
-- Name: migrator_object migrator_object_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.migrator_object
    ADD CONSTRAINT migrator_object_pkey PRIMARY KEY (path);

--
-- Name: observation observation_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.observation
    ADD CONSTRAINT observation_pkey PRIMARY KEY (run_id, finding_id);

--
-- Name: overdraft_exemption overdraft_exemption_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.overdraft_exemption
    ADD CONSTRAINT overdraft_exemption_pkey PRIMARY KEY (id);

--
-- Name: repair repair_once; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair
    ADD CONSTRAINT repair_once UNIQUE (repair_key);

--
-- Name: repair repair_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair
    ADD CONSTRAINT repair_pkey PRIMARY KEY (id);

--
-- Name: repair repair_reversed_once; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair
    ADD CONSTRAINT repair_reversed_once UNIQUE (reverses);

--
-- Name: reversal reversal_once; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.reversal
    ADD CONSTRAINT reversal_once PRIMARY KEY (ledger_source, entry, repair_id);

--
-- Name: CONSTRAINT reversal_once ON reversal; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON CONSTRAINT reversal_once ON _recon.reversal IS 'An entry is recorded once per repair.';

--
-- Name: run run_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.run
    ADD CONSTRAINT run_pkey PRIMARY KEY (id);

--
-- Name: run_stage run_stage_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.run_stage
    ADD CONSTRAINT run_stage_pkey PRIMARY KEY (run_id, check_name, finding_key);

--
-- Name: wallet_source wallet_source_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.wallet_source
    ADD CONSTRAINT wallet_source_pkey PRIMARY KEY (name);

--
-- Name: watermark watermark_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.watermark
    ADD CONSTRAINT watermark_pkey PRIMARY KEY (check_name);

--
-- Name: writer writer_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.writer
    ADD CONSTRAINT writer_pkey PRIMARY KEY (ledger_source);

--
-- Name: yoyo_lock yoyo_lock_pkey; Type: CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);

--
-- Name: alert_open; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX alert_open ON _recon.alert USING btree (raised_at) WHERE (acknowledged_at IS NULL);

--
-- Name: INDEX alert_open; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.alert_open IS 'Unacknowledged alerts.';

--
-- Name: finding_open_key; Type: INDEX; Schema: _recon; Owner: -
--

CREATE UNIQUE INDEX finding_open_key ON _recon.finding USING btree (check_name, finding_key) WHERE ((resolved_run IS NULL) AND (dropped_at IS NULL));

--
-- Name: INDEX finding_open_key; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.finding_open_key IS 'At most one open finding per check and key.';

--
-- Name: fix_stage_finding; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX fix_stage_finding ON _recon.fix_stage USING btree (stage_id, check_name, finding_key);

--
-- Name: INDEX fix_stage_finding; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.fix_stage_finding IS 'The step of one finding in a staged plan.';

--
-- Name: fix_stage_wallet; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX fix_stage_wallet ON _recon.fix_stage USING btree (stage_id, wallet_source, wallet_key);

--
-- Name: INDEX fix_stage_wallet; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.fix_stage_wallet IS 'The steps of one wallet in a staged plan.';

--
-- Name: observation_finding; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX observation_finding ON _recon.observation USING btree (finding_id);

--
-- Name: INDEX observation_finding; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.observation_finding IS 'History of one finding across runs.';

--
-- Name: overdraft_exemption_scope; Type: INDEX; Schema: _recon; Owner: -
--

CREATE UNIQUE INDEX overdraft_exemption_scope ON _recon.overdraft_exemption USING btree (wallet_source, COALESCE(wallet_key, ''::text), COALESCE(balance_column, ''::name));

--
-- Name: repair_acknowledged; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX repair_acknowledged ON _recon.repair USING btree (check_name, finding_key) WHERE (strategy = 'acknowledge'::text);

--
-- Name: INDEX repair_acknowledged; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.repair_acknowledged IS 'Acknowledged findings, which recon.reconcile() no longer reports.';

--
-- Name: repair_entry_repair; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX repair_entry_repair ON _recon.repair_entry USING btree (repair_id);

--
-- Name: INDEX repair_entry_repair; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.repair_entry_repair IS 'Entries of one repair.';

--
-- Name: repair_finding; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX repair_finding ON _recon.repair USING btree (finding_id);

--
-- Name: INDEX repair_finding; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.repair_finding IS 'Repairs of one finding.';

--
-- Name: reversal_repair; Type: INDEX; Schema: _recon; Owner: -
--

CREATE INDEX reversal_repair ON _recon.reversal USING btree (repair_id);

--
-- Name: INDEX reversal_repair; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON INDEX _recon.reversal_repair IS 'Entries one repair compensated.';

--
-- Name: fix fix_append_only; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER fix_append_only BEFORE DELETE OR UPDATE ON _recon.fix FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only('RC300', 'A repair is undone by recon.reverse_fix(), which adds rows.', 'wallet-recon repair audit is append-only');

--
-- Name: TRIGGER fix_append_only ON fix; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER fix_append_only ON _recon.fix IS 'Keeps the repair audit append-only (SQLSTATE RC300).';

--
-- Name: fix fix_no_truncate; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER fix_no_truncate BEFORE TRUNCATE ON _recon.fix FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only('RC300', 'A repair is undone by recon.reverse_fix(), which adds rows.', 'wallet-recon repair audit is append-only');

--
-- Name: TRIGGER fix_no_truncate ON fix; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER fix_no_truncate ON _recon.fix IS 'Keeps the repair audit append-only (SQLSTATE RC300).';

--
-- Name: guard_pending guard_pending_check; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE CONSTRAINT TRIGGER guard_pending_check AFTER INSERT ON _recon.guard_pending DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION _recon.tg_guard_check();

--
-- Name: TRIGGER guard_pending_check ON guard_pending; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER guard_pending_check ON _recon.guard_pending IS 'Runs each guard''s check when the writing transaction commits.';

--
-- Name: guard_tick guard_tick_check; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE CONSTRAINT TRIGGER guard_tick_check AFTER INSERT ON _recon.guard_tick DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION _recon.tg_guard_tick();

--
-- Name: TRIGGER guard_tick_check ON guard_tick; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER guard_tick_check ON _recon.guard_tick IS 'Judges a drift guard''s accumulator when the transaction that ticked commits.';

--
-- Name: migrator_log migrator_log_append_only; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER migrator_log_append_only BEFORE DELETE OR UPDATE ON _recon.migrator_log FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only('RC001', 'History rows are never changed; uninstall removes the whole table.', 'wallet-recon install history is append-only');

--
-- Name: TRIGGER migrator_log_append_only ON migrator_log; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER migrator_log_append_only ON _recon.migrator_log IS 'Keeps the install history append-only (SQLSTATE RC001).';

--
-- Name: migrator_log migrator_log_no_truncate; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER migrator_log_no_truncate BEFORE TRUNCATE ON _recon.migrator_log FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only('RC001', 'History rows are never changed; uninstall removes the whole table.', 'wallet-recon install history is append-only');

--
-- Name: TRIGGER migrator_log_no_truncate ON migrator_log; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER migrator_log_no_truncate ON _recon.migrator_log IS 'Keeps the install history append-only (SQLSTATE RC001).';

--
-- Name: repair repair_append_only; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER repair_append_only BEFORE DELETE OR UPDATE ON _recon.repair FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only('RC300', 'A repair is undone by recon.reverse_fix(), which adds rows.', 'wallet-recon repair audit is append-only');

--
-- Name: TRIGGER repair_append_only ON repair; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER repair_append_only ON _recon.repair IS 'Keeps the repair audit append-only (SQLSTATE RC300).';

--
-- Name: repair_entry repair_entry_append_only; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER repair_entry_append_only BEFORE DELETE OR UPDATE ON _recon.repair_entry FOR EACH ROW EXECUTE FUNCTION _recon.tg_append_only('RC300', 'A repair is undone by recon.reverse_fix(), which adds rows.', 'wallet-recon repair audit is append-only');

--
-- Name: TRIGGER repair_entry_append_only ON repair_entry; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER repair_entry_append_only ON _recon.repair_entry IS 'Keeps the repair audit append-only (SQLSTATE RC300).';

--
-- Name: repair_entry repair_entry_no_truncate; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER repair_entry_no_truncate BEFORE TRUNCATE ON _recon.repair_entry FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only('RC300', 'A repair is undone by recon.reverse_fix(), which adds rows.', 'wallet-recon repair audit is append-only');

--
-- Name: TRIGGER repair_entry_no_truncate ON repair_entry; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER repair_entry_no_truncate ON _recon.repair_entry IS 'Keeps the repair audit append-only (SQLSTATE RC300).';

--
-- Name: repair repair_no_truncate; Type: TRIGGER; Schema: _recon; Owner: -
--

CREATE TRIGGER repair_no_truncate BEFORE TRUNCATE ON _recon.repair FOR EACH STATEMENT EXECUTE FUNCTION _recon.tg_append_only('RC300', 'A repair is undone by recon.reverse_fix(), which adds rows.', 'wallet-recon repair audit is append-only');

--
-- Name: TRIGGER repair_no_truncate ON repair; Type: COMMENT; Schema: _recon; Owner: -
--

COMMENT ON TRIGGER repair_no_truncate ON _recon.repair IS 'Keeps the repair audit append-only (SQLSTATE RC300).';

--
-- Name: alert alert_guard_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.alert
    ADD CONSTRAINT alert_guard_id_fkey FOREIGN KEY (guard_id) REFERENCES _recon.guard(id) ON DELETE SET NULL;

--
-- Name: alert alert_run_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.alert
    ADD CONSTRAINT alert_run_id_fkey FOREIGN KEY (run_id) REFERENCES _recon.run(id);

--
-- Name: check_def check_def_kind; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.check_def
    ADD CONSTRAINT check_def_kind FOREIGN KEY (kind) REFERENCES _recon.check_kind(kind);

--
-- Name: check_def check_def_ledger_source_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.check_def
    ADD CONSTRAINT check_def_ledger_source_fkey FOREIGN KEY (ledger_source) REFERENCES _recon.ledger_source(name);

--
-- Name: check_def check_def_wallet_source_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.check_def
    ADD CONSTRAINT check_def_wallet_source_fkey FOREIGN KEY (wallet_source) REFERENCES _recon.wallet_source(name);

--
-- Name: finding finding_first_seen_run_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.finding
    ADD CONSTRAINT finding_first_seen_run_fkey FOREIGN KEY (first_seen_run) REFERENCES _recon.run(id);

--
-- Name: finding finding_last_seen_run_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.finding
    ADD CONSTRAINT finding_last_seen_run_fkey FOREIGN KEY (last_seen_run) REFERENCES _recon.run(id);

--
-- Name: finding finding_resolved_run_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.finding
    ADD CONSTRAINT finding_resolved_run_fkey FOREIGN KEY (resolved_run) REFERENCES _recon.run(id);

--
-- Name: fix_policy fix_policy_check_name_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.fix_policy
    ADD CONSTRAINT fix_policy_check_name_fkey FOREIGN KEY (check_name) REFERENCES _recon.check_def(name) ON DELETE CASCADE;

--
-- Name: fix fix_run_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.fix
    ADD CONSTRAINT fix_run_id_fkey FOREIGN KEY (run_id) REFERENCES _recon.run(id);

--
-- Name: ledger_source ledger_source_shape; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.ledger_source
    ADD CONSTRAINT ledger_source_shape FOREIGN KEY (shape) REFERENCES _recon.ledger_shape(shape);

--
-- Name: ledger_source ledger_source_wallet_source_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.ledger_source
    ADD CONSTRAINT ledger_source_wallet_source_fkey FOREIGN KEY (wallet_source) REFERENCES _recon.wallet_source(name);

--
-- Name: observation observation_finding_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.observation
    ADD CONSTRAINT observation_finding_id_fkey FOREIGN KEY (finding_id) REFERENCES _recon.finding(id);

--
-- Name: observation observation_run_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.observation
    ADD CONSTRAINT observation_run_id_fkey FOREIGN KEY (run_id) REFERENCES _recon.run(id);

--
-- Name: overdraft_exemption overdraft_exemption_wallet_source_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.overdraft_exemption
    ADD CONSTRAINT overdraft_exemption_wallet_source_fkey FOREIGN KEY (wallet_source) REFERENCES _recon.wallet_source(name) ON DELETE CASCADE;

--
-- Name: repair_entry repair_entry_repair_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair_entry
    ADD CONSTRAINT repair_entry_repair_id_fkey FOREIGN KEY (repair_id) REFERENCES _recon.repair(id);

--
-- Name: repair repair_finding_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair
    ADD CONSTRAINT repair_finding_id_fkey FOREIGN KEY (finding_id) REFERENCES _recon.finding(id);

--
-- Name: repair repair_fix_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair
    ADD CONSTRAINT repair_fix_id_fkey FOREIGN KEY (fix_id) REFERENCES _recon.fix(id);

--
-- Name: repair repair_reverses_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.repair
    ADD CONSTRAINT repair_reverses_fkey FOREIGN KEY (reverses) REFERENCES _recon.repair(id);

--
-- Name: reversal reversal_ledger_source_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.reversal
    ADD CONSTRAINT reversal_ledger_source_fkey FOREIGN KEY (ledger_source) REFERENCES _recon.ledger_source(name) ON DELETE CASCADE;

--
-- Name: reversal reversal_repair_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.reversal
    ADD CONSTRAINT reversal_repair_id_fkey FOREIGN KEY (repair_id) REFERENCES _recon.repair(id);

--
-- Name: watermark watermark_check_name_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.watermark
    ADD CONSTRAINT watermark_check_name_fkey FOREIGN KEY (check_name) REFERENCES _recon.check_def(name) ON DELETE CASCADE;

--
-- Name: watermark watermark_run_id_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.watermark
    ADD CONSTRAINT watermark_run_id_fkey FOREIGN KEY (run_id) REFERENCES _recon.run(id);

--
-- Name: writer writer_ledger_source_fkey; Type: FK CONSTRAINT; Schema: _recon; Owner: -
--

ALTER TABLE ONLY _recon.writer
    ADD CONSTRAINT writer_ledger_source_fkey FOREIGN KEY (ledger_source) REFERENCES _recon.ledger_source(name);

--
-- Name: SCHEMA _recon_guard; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA _recon_guard TO PUBLIC;

--
-- Name: SCHEMA recon; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA recon TO recon_auditor;
GRANT USAGE ON SCHEMA recon TO recon_operator;

--
-- Name: FUNCTION analyze_run_stage(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.analyze_run_stage() FROM PUBLIC;

--
-- Name: FUNCTION backfill_apply(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_apply(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name) FROM PUBLIC;

--
-- Name: FUNCTION backfill_check_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb, p_wallet_key text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_check_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb, p_wallet_key text) FROM PUBLIC;

--
-- Name: FUNCTION backfill_claim(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_claim(p_stage bigint, p_fix bigint, p_check _recon.check_def, p_target jsonb, p_ticket text, p_reason text, p_invoker name) FROM PUBLIC;

--
-- Name: FUNCTION backfill_create_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_create_wallets(p_stage bigint, p_check _recon.check_def, p_target jsonb) FROM PUBLIC;

--
-- Name: FUNCTION backfill_plan(p_check _recon.check_def, p_target jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_plan(p_check _recon.check_def, p_target jsonb) FROM PUBLIC;

--
-- Name: FUNCTION backfill_report(p_coverage _recon.check_def); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_report(p_coverage _recon.check_def) FROM PUBLIC;

--
-- Name: FUNCTION backfill_target(p_check _recon.check_def, p_wallet_key text, p_wallet_columns jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_target(p_check _recon.check_def, p_wallet_key text, p_wallet_columns jsonb) FROM PUBLIC;

--
-- Name: FUNCTION backfill_verify(p_stage bigint, p_wallet_source text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.backfill_verify(p_stage bigint, p_wallet_source text) FROM PUBLIC;

--
-- Name: FUNCTION balance_agg_sql(p_options jsonb, p_where text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.balance_agg_sql(p_options jsonb, p_where text) FROM PUBLIC;

--
-- Name: FUNCTION balance_columns(p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.balance_columns(p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION balance_findings_sql(p_name text, p_options jsonb, p_from text, p_join text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.balance_findings_sql(p_name text, p_options jsonb, p_from text, p_join text) FROM PUBLIC;

--
-- Name: FUNCTION balance_full(p_check _recon.check_def, p_run bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.balance_full(p_check _recon.check_def, p_run bigint) FROM PUBLIC;

--
-- Name: FUNCTION balance_increment(p_check _recon.check_def, p_run bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.balance_increment(p_check _recon.check_def, p_run bigint) FROM PUBLIC;

--
-- Name: FUNCTION base_table(p_view oid); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.base_table(p_view oid) FROM PUBLIC;

--
-- Name: FUNCTION "check"(p_name text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon."check"(p_name text) FROM PUBLIC;

--
-- Name: FUNCTION check_floats(p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.check_floats(p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION check_ledgers(p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.check_ledgers(p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION check_name(p_what text, p_name text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.check_name(p_what text, p_name text) FROM PUBLIC;

--
-- Name: FUNCTION check_options(p_what text, p_options jsonb, p_allowed text[], p_required text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.check_options(p_what text, p_options jsonb, p_allowed text[], p_required text[]) FROM PUBLIC;

--
-- Name: FUNCTION check_row_currency(p_kind text, p_ledger text, p_wallet text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.check_row_currency(p_kind text, p_ledger text, p_wallet text) FROM PUBLIC;

--
-- Name: FUNCTION column_holds(p_relid oid, p_column name, p_value numeric); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.column_holds(p_relid oid, p_column name, p_value numeric) FROM PUBLIC;

--
-- Name: FUNCTION column_sql(p_alias text, p_column name, p_null_type text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.column_sql(p_alias text, p_column name, p_null_type text) FROM PUBLIC;

--
-- Name: FUNCTION column_type(p_relid oid, p_column name); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.column_type(p_relid oid, p_column name) FROM PUBLIC;

--
-- Name: FUNCTION column_type_sql(p_relid oid, p_column text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.column_type_sql(p_relid oid, p_column text) FROM PUBLIC;

--
-- Name: FUNCTION compile_balance(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_balance(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_chain(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_chain(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_check(p_kind _recon.check_kind, p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_check(p_kind _recon.check_kind, p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_coverage(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_coverage(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_currency(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_currency(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_custom(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_custom(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_derived(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_derived(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_duplicate(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_duplicate(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_journal(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_journal(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_lifecycle(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_lifecycle(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_orphan(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_orphan(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION compile_total(p_name text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.compile_total(p_name text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION currency_amount(p_map jsonb, p_currency text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.currency_amount(p_map jsonb, p_currency text) FROM PUBLIC;

--
-- Name: FUNCTION currency_amount_sql(p_map jsonb, p_currency text, p_row_currency text, p_else numeric); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.currency_amount_sql(p_map jsonb, p_currency text, p_row_currency text, p_else numeric) FROM PUBLIC;

--
-- Name: FUNCTION currency_amounts(p_what text, p_value jsonb, p_currency text, p_per_row text, p_code text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.currency_amounts(p_what text, p_value jsonb, p_currency text, p_per_row text, p_code text) FROM PUBLIC;

--
-- Name: FUNCTION custom_trusted(p_name text, p_view regclass); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.custom_trusted(p_name text, p_view regclass) FROM PUBLIC;

--
-- Name: FUNCTION effect_sql(p_ledger _recon.ledger_source, p_column text, p_alias text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.effect_sql(p_ledger _recon.ledger_source, p_column text, p_alias text) FROM PUBLIC;

--
-- Name: FUNCTION entry_for(p_ledger _recon.ledger_source, p_deltas jsonb, p_prefer text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.entry_for(p_ledger _recon.ledger_source, p_deltas jsonb, p_prefer text[]) FROM PUBLIC;

--
-- Name: FUNCTION entry_name_sql(p_ledger _recon.ledger_source, p_alias text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.entry_name_sql(p_ledger _recon.ledger_source, p_alias text) FROM PUBLIC;

--
-- Name: FUNCTION entry_order_sql(p_ledger _recon.ledger_source, p_alias text, p_direction text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.entry_order_sql(p_ledger _recon.ledger_source, p_alias text, p_direction text) FROM PUBLIC;

--
-- Name: FUNCTION evt_guard_children(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.evt_guard_children() FROM PUBLIC;

--
-- Name: FUNCTION exclude_sql(p_relid oid, p_alias text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.exclude_sql(p_relid oid, p_alias text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fail(p_code text, p_message text, p_detail text, p_hint text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fail(p_code text, p_message text, p_detail text, p_hint text) FROM PUBLIC;

--
-- Name: FUNCTION fix_all_or_nothing(p_stage bigint, p_blocking text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_all_or_nothing(p_stage bigint, p_blocking text) FROM PUBLIC;

--
-- Name: FUNCTION fix_apply(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name, p_wallet_limit jsonb, p_run_limit jsonb, p_verify boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_apply(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name, p_wallet_limit jsonb, p_run_limit jsonb, p_verify boolean) FROM PUBLIC;

--
-- Name: FUNCTION fix_assess(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_assess(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean) FROM PUBLIC;

--
-- Name: FUNCTION fix_call_limits(p_stage bigint, p_amount numeric, p_what text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_call_limits(p_stage bigint, p_amount numeric, p_what text) FROM PUBLIC;

--
-- Name: FUNCTION fix_caller(p_dry_run boolean, p_ticket text, p_reason text, p_what text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_caller(p_dry_run boolean, p_ticket text, p_reason text, p_what text) FROM PUBLIC;

--
-- Name: FUNCTION fix_claim(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_claim(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name) FROM PUBLIC;

--
-- Name: FUNCTION fix_conserve(p_stage bigint, p_pre jsonb, p_before jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_conserve(p_stage bigint, p_pre jsonb, p_before jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_counters(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_counters(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_currencies(p_stage bigint, p_stored jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_currencies(p_stage bigint, p_stored jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_evidence(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_evidence(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_floats(p_stage bigint, p_apply boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_floats(p_stage bigint, p_apply boolean) FROM PUBLIC;

--
-- Name: FUNCTION fix_lifecycle(p_stage bigint, p_recheck boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_lifecycle(p_stage bigint, p_recheck boolean) FROM PUBLIC;

--
-- Name: FUNCTION fix_limit(p_value numeric, p_what text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_limit(p_value numeric, p_what text) FROM PUBLIC;

--
-- Name: FUNCTION fix_measure(p_source text, p_keys text[], p_ledgers text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_measure(p_source text, p_keys text[], p_ledgers text[]) FROM PUBLIC;

--
-- Name: FUNCTION fix_move(p_stage bigint, p_offset_moves jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_move(p_stage bigint, p_offset_moves jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_moves_less(p_moves jsonb, p_source text, p_moved jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_moves_less(p_moves jsonb, p_source text, p_moved jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_offset_deltas(p_posting jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_offset_deltas(p_posting jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_offset_legs(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_offset_legs(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_overdraft_evidence(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_overdraft_evidence(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_plan(p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[], p_strategy text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_plan(p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[], p_strategy text) FROM PUBLIC;

--
-- Name: FUNCTION fix_post(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_pre jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_post(p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_pre jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_post_first(p_ledger _recon.ledger_source, p_writer _recon.writer, p_request jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_post_first(p_ledger _recon.ledger_source, p_writer _recon.writer, p_request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_postable(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_postable(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_read_wallets(p_stage bigint, p_lock boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_read_wallets(p_stage bigint, p_lock boolean) FROM PUBLIC;

--
-- Name: FUNCTION fix_recheck(p_stage bigint, p_stored jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_recheck(p_stage bigint, p_stored jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_report(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_report(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_reversals(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_reversals(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_skip_applied(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_skip_applied(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_skip_changed(p_stage bigint, p_pre jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_skip_changed(p_stage bigint, p_pre jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_skip_over_run_limit(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_skip_over_run_limit(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_skip_over_wallet_limit(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_skip_over_wallet_limit(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_skip_overdrafts(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_skip_overdrafts(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_skip_unfit(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_skip_unfit(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_step_changes(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_step_changes(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_step_limits(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_step_limits(p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_stored_holds(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_stored_holds(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_stored_steps(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_stored_steps(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_strategies(p_kind text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_strategies(p_kind text) FROM PUBLIC;

--
-- Name: FUNCTION fix_unpostable(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_unpostable(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_verify(p_stage bigint, p_pre jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_verify(p_stage bigint, p_pre jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix_wallet_moves(p_stage bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_wallet_moves(p_stage bigint) FROM PUBLIC;

--
-- Name: FUNCTION fix_wallet_value(p_source text, p_key text, p_column text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.fix_wallet_value(p_source text, p_key text, p_column text) FROM PUBLIC;

--
-- Name: FUNCTION float_refusal(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.float_refusal(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION guard_compile(p_kind text, p_target text, p_id integer); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_compile(p_kind text, p_target text, p_id integer) FROM PUBLIC;

--
-- Name: FUNCTION guard_derived_source_sql(p_wallet _recon.wallet_source, p_join name, p_key name, p_table text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_derived_source_sql(p_wallet _recon.wallet_source, p_join name, p_key name, p_table text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_compile(p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_compile(p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_effect_sql(p_ledger _recon.ledger_source, p_column text, p_row text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_effect_sql(p_ledger _recon.ledger_source, p_column text, p_row text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_function(p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_function(p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[]) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_indent_sql(p_code text, p_setting text, p_write boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_indent_sql(p_code text, p_setting text, p_write boolean) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_key_expr_sql(p_type oid, p_expr text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_key_expr_sql(p_type oid, p_expr text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_key_sql(p_relid oid, p_column name, p_row text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_key_sql(p_relid oid, p_column name, p_row text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_leg_sql(p_ledger _recon.ledger_source, p_column text, p_row text, p_side text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_leg_sql(p_ledger _recon.ledger_source, p_column text, p_row text, p_side text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_legs_function(p_id integer, p_branches jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_legs_function(p_id integer, p_branches jsonb) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_legs_mark(p_guard integer); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_legs_mark(p_guard integer) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_legs_sql(p_ledger _recon.ledger_source, p_guard integer, p_cols text[], p_new text, p_old text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_legs_sql(p_ledger _recon.ledger_source, p_guard integer, p_cols text[], p_new text, p_old text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_nan_sql(p_nums text[], p_nullable boolean, p_nan boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_nan_sql(p_nums text[], p_nullable boolean, p_nan boolean) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_nullable(p_relid oid, p_column name); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_nullable(p_relid oid, p_column name) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_record_sql(p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text, p_nan text, p_write boolean, p_first text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_record_sql(p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text, p_nan text, p_write boolean, p_first text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_records(p_acc text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_records(p_acc text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_restore(p_saved jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_restore(p_saved jsonb) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_save(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_save() FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_spill(p_guard integer, p_acc text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_spill(p_guard integer, p_acc text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_times_sql(p_amount text, p_times numeric); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_times_sql(p_amount text, p_times numeric) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_trim_sql(p_num text, p_exact boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_trim_sql(p_num text, p_exact boolean) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_verdict(p_guard integer, p_acc text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_verdict(p_guard integer, p_acc text) FROM PUBLIC;

--
-- Name: FUNCTION guard_drift_window(p_guard integer, p_table text, p_ledger boolean, p_counts boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_drift_window(p_guard integer, p_table text, p_ledger boolean, p_counts boolean) FROM PUBLIC;

--
-- Name: FUNCTION guard_filter_sql(p_ledger _recon.ledger_source, p_row text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_filter_sql(p_ledger _recon.ledger_source, p_row text) FROM PUBLIC;

--
-- Name: FUNCTION guard_over_views(p_compiled jsonb, p_sides jsonb, p_kind text, p_target text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_over_views(p_compiled jsonb, p_sides jsonb, p_kind text, p_target text) FROM PUBLIC;

--
-- Name: FUNCTION guard_parent_change(p_guard integer, p_table text, p_changed boolean, p_reborn boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_parent_change(p_guard integer, p_table text, p_changed boolean, p_reborn boolean) FROM PUBLIC;

--
-- Name: FUNCTION guard_parent_columns(p_ledger _recon.ledger_source, p_aliases jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_parent_columns(p_ledger _recon.ledger_source, p_aliases jsonb) FROM PUBLIC;

--
-- Name: FUNCTION guard_parent_lock_sql(p_ledger _recon.ledger_source, p_rows text, p_from text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_parent_lock_sql(p_ledger _recon.ledger_source, p_rows text, p_from text[]) FROM PUBLIC;

--
-- Name: FUNCTION guard_parent_sql(p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_parent_sql(p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb) FROM PUBLIC;

--
-- Name: FUNCTION guard_parent_tables(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_parent_tables(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION guard_recheck_parents(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_recheck_parents() FROM PUBLIC;

--
-- Name: FUNCTION guard_row_over_view(p_definition text, p_row_sql text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_row_over_view(p_definition text, p_row_sql text) FROM PUBLIC;

--
-- Name: FUNCTION guard_statement_triggers(p_relid oid, p_guard integer, p_side text, p_ops text[], p_function text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_statement_triggers(p_relid oid, p_guard integer, p_side text, p_ops text[], p_function text) FROM PUBLIC;

--
-- Name: FUNCTION guard_tree_triggers(p_triggers jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_tree_triggers(p_triggers jsonb) FROM PUBLIC;

--
-- Name: FUNCTION guard_violation(p_guard _recon.guard, p_item text, p_message text, p_details jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.guard_violation(p_guard _recon.guard, p_item text, p_message text, p_details jsonb) FROM PUBLIC;

--
-- Name: FUNCTION in_audited_fix(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.in_audited_fix() FROM PUBLIC;

--
-- Name: FUNCTION in_effect_sql(p_ledger _recon.ledger_source, p_alias text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.in_effect_sql(p_ledger _recon.ledger_source, p_alias text) FROM PUBLIC;

--
-- Name: FUNCTION in_list_sql(p_relid oid, p_alias text, p_column text, p_values jsonb, p_role text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.in_list_sql(p_relid oid, p_alias text, p_column text, p_values jsonb, p_role text) FROM PUBLIC;

--
-- Name: FUNCTION incremental_blocker(p_check _recon.check_def); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_blocker(p_check _recon.check_def) FROM PUBLIC;

--
-- Name: FUNCTION incremental_moving_view(p_view oid); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_moving_view(p_view oid) FROM PUBLIC;

--
-- Name: FUNCTION incremental_order(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_order(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION incremental_parent_wallets_sql(p_ledger _recon.ledger_source, p_since text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_parent_wallets_sql(p_ledger _recon.ledger_source, p_since text) FROM PUBLIC;

--
-- Name: FUNCTION incremental_parents(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_parents(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION incremental_parents_storage(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_parents_storage(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION incremental_storage(p_relid oid); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_storage(p_relid oid) FROM PUBLIC;

--
-- Name: FUNCTION incremental_unsupported(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.incremental_unsupported(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION kind(p_kind text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.kind(p_kind text) FROM PUBLIC;

--
-- Name: FUNCTION ledger(p_name text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger(p_name text) FROM PUBLIC;

--
-- Name: FUNCTION ledger_after(p_relid oid, p_wallet _recon.wallet_source, p_effects jsonb, p_after jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_after(p_relid oid, p_wallet _recon.wallet_source, p_effects jsonb, p_after jsonb) FROM PUBLIC;

--
-- Name: FUNCTION ledger_filters(p_relid oid, p_parents jsonb, p_filters jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_filters(p_relid oid, p_parents jsonb, p_filters jsonb) FROM PUBLIC;

--
-- Name: FUNCTION ledger_legs(p_relid oid, p_wallet _recon.wallet_source, p_wallet_column text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_legs(p_relid oid, p_wallet _recon.wallet_source, p_wallet_column text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION ledger_parents(p_relid oid, p_parents jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_parents(p_relid oid, p_parents jsonb) FROM PUBLIC;

--
-- Name: FUNCTION ledger_ref_sql(p_ref text, p_side text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_ref_sql(p_ref text, p_side text) FROM PUBLIC;

--
-- Name: FUNCTION ledger_ref_type(p_relid oid, p_parents jsonb, p_ref text, p_role text, p_transfer boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_ref_type(p_relid oid, p_parents jsonb, p_ref text, p_role text, p_transfer boolean) FROM PUBLIC;

--
-- Name: FUNCTION ledger_rules(p_relid oid, p_parents jsonb, p_wallet _recon.wallet_source, p_keys jsonb, p_rules jsonb, p_sides text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_rules(p_relid oid, p_parents jsonb, p_wallet _recon.wallet_source, p_keys jsonb, p_rules jsonb, p_sides text[]) FROM PUBLIC;

--
-- Name: FUNCTION ledger_writer_refusal(p_ledger _recon.ledger_source, p_kind text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.ledger_writer_refusal(p_ledger _recon.ledger_source, p_kind text) FROM PUBLIC;

--
-- Name: FUNCTION leg_columns_sql(p_ledger _recon.ledger_source, p_alias text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.leg_columns_sql(p_ledger _recon.ledger_source, p_alias text) FROM PUBLIC;

--
-- Name: FUNCTION legs(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.legs(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION legs_query(p_ledger _recon.ledger_source, p_swap jsonb, p_where text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.legs_query(p_ledger _recon.ledger_source, p_swap jsonb, p_where text) FROM PUBLIC;

--
-- Name: FUNCTION legs_sql(p_ledger _recon.ledger_source); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.legs_sql(p_ledger _recon.ledger_source) FROM PUBLIC;

--
-- Name: FUNCTION major_sql(p_scale jsonb, p_expr text, p_alias text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.major_sql(p_scale jsonb, p_expr text, p_alias text) FROM PUBLIC;

--
-- Name: FUNCTION minor_sql(p_scale jsonb, p_expr text, p_scale_expr text, p_what text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.minor_sql(p_scale jsonb, p_expr text, p_scale_expr text, p_what text) FROM PUBLIC;

--
-- Name: FUNCTION minor_units(p_amount numeric, p_places integer, p_what text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.minor_units(p_amount numeric, p_places integer, p_what text) FROM PUBLIC;

--
-- Name: FUNCTION opposite_effect_sql(p_ledger _recon.ledger_source, p_alias text, p_other text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.opposite_effect_sql(p_ledger _recon.ledger_source, p_alias text, p_other text) FROM PUBLIC;

--
-- Name: FUNCTION overdraft_exemption_for(p_source text, p_key text, p_column text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.overdraft_exemption_for(p_source text, p_key text, p_column text) FROM PUBLIC;

--
-- Name: FUNCTION parent_foreign_key(p_ledger _recon.ledger_source, p_alias text, p_guard boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.parent_foreign_key(p_ledger _recon.ledger_source, p_alias text, p_guard boolean) FROM PUBLIC;

--
-- Name: FUNCTION posting_hour(p_posted_at text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.posting_hour(p_posted_at text) FROM PUBLIC;

--
-- Name: FUNCTION qualify_tables(p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.qualify_tables(p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION rebuild_discrepancies(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.rebuild_discrepancies() FROM PUBLIC;

--
-- Name: FUNCTION recheck_sql(p_check _recon.check_def); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.recheck_sql(p_check _recon.check_def) FROM PUBLIC;

--
-- Name: FUNCTION recompile_checks(p_kinds text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.recompile_checks(p_kinds text[]) FROM PUBLIC;

--
-- Name: FUNCTION require_column(p_ledger _recon.ledger_source, p_column name, p_option text, p_kind text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.require_column(p_ledger _recon.ledger_source, p_column name, p_option text, p_kind text) FROM PUBLIC;

--
-- Name: FUNCTION require_guard_shape(p_ledger _recon.ledger_source, p_kind text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.require_guard_shape(p_ledger _recon.ledger_source, p_kind text) FROM PUBLIC;

--
-- Name: FUNCTION resolve_column(p_relid oid, p_column text, p_role text, p_numeric boolean); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.resolve_column(p_relid oid, p_column text, p_role text, p_numeric boolean) FROM PUBLIC;

--
-- Name: FUNCTION resolve_table(p_table text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.resolve_table(p_table text) FROM PUBLIC;

--
-- Name: FUNCTION reversal_reference(p_ledger text, p_entry text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.reversal_reference(p_ledger text, p_entry text) FROM PUBLIC;

--
-- Name: FUNCTION rule_effect(p_ledger _recon.ledger_source, p_label text, p_amount numeric); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.rule_effect(p_ledger _recon.ledger_source, p_label text, p_amount numeric) FROM PUBLIC;

--
-- Name: FUNCTION run_amounts(p_run bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.run_amounts(p_run bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _recon.run_amounts(p_run bigint) TO recon_auditor;
GRANT ALL ON FUNCTION _recon.run_amounts(p_run bigint) TO recon_operator;

--
-- Name: FUNCTION run_checks(p_checks text[], p_mode text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.run_checks(p_checks text[], p_mode text) FROM PUBLIC;

--
-- Name: FUNCTION run_lock_key(p_run bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.run_lock_key(p_run bigint) FROM PUBLIC;

--
-- Name: FUNCTION run_lock_owner(p_run bigint); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.run_lock_owner(p_run bigint) FROM PUBLIC;

--
-- Name: FUNCTION same_key_type(p_relid oid, p_column name, p_other_relid oid, p_other_column name); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.same_key_type(p_relid oid, p_column name, p_other_relid oid, p_other_column name) FROM PUBLIC;

--
-- Name: FUNCTION scale_option(p_relid oid, p_scale jsonb, p_what text, p_columns name[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.scale_option(p_relid oid, p_scale jsonb, p_what text, p_columns name[]) FROM PUBLIC;

--
-- Name: FUNCTION severity_rank(p_severity text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.severity_rank(p_severity text) FROM PUBLIC;
GRANT ALL ON FUNCTION _recon.severity_rank(p_severity text) TO recon_auditor;
GRANT ALL ON FUNCTION _recon.severity_rank(p_severity text) TO recon_operator;

--
-- Name: FUNCTION side_sql(p_side text, p_spec jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.side_sql(p_side text, p_spec jsonb) FROM PUBLIC;

--
-- Name: FUNCTION source_name_free(p_what text, p_name text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.source_name_free(p_what text, p_name text) FROM PUBLIC;

--
-- Name: FUNCTION stage_currency(p_run bigint, p_check _recon.check_def); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.stage_currency(p_run bigint, p_check _recon.check_def) FROM PUBLIC;

--
-- Name: FUNCTION stage_labels(p_run bigint, p_check _recon.check_def); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.stage_labels(p_run bigint, p_check _recon.check_def) FROM PUBLIC;

--
-- Name: FUNCTION stored_text(p_relid oid, p_column text, p_value text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.stored_text(p_relid oid, p_column text, p_value text) FROM PUBLIC;

--
-- Name: FUNCTION template_sql(p_template text, p_what text, p_source text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.template_sql(p_template text, p_what text, p_source text) FROM PUBLIC;

--
-- Name: FUNCTION tg_append_only(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_append_only(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_check(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_check() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_drift_begin(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_drift_begin() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_drift_check(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_drift_check() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_drift_truncate(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_drift_truncate() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_statement(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_statement() FROM PUBLIC;

--
-- Name: FUNCTION tg_guard_tick(); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.tg_guard_tick() FROM PUBLIC;

--
-- Name: FUNCTION unmapped_sql(p_ledger _recon.ledger_source, p_alias text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.unmapped_sql(p_ledger _recon.ledger_source, p_alias text) FROM PUBLIC;

--
-- Name: FUNCTION version_column(p_relid oid, p_option jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.version_column(p_relid oid, p_option jsonb) FROM PUBLIC;

--
-- Name: FUNCTION view_rows_sql(p_view oid, p_rows text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.view_rows_sql(p_view oid, p_rows text) FROM PUBLIC;

--
-- Name: FUNCTION wait_for_transactions(p_timeout interval); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.wait_for_transactions(p_timeout interval) FROM PUBLIC;

--
-- Name: FUNCTION wallet(p_name text); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.wallet(p_name text) FROM PUBLIC;

--
-- Name: FUNCTION writer_insert_sql(p_writer _recon.writer); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.writer_insert_sql(p_writer _recon.writer) FROM PUBLIC;

--
-- Name: FUNCTION writer_minor_sql(p_ledger _recon.ledger_source, p_cols text[], p_vals text[]); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.writer_minor_sql(p_ledger _recon.ledger_source, p_cols text[], p_vals text[]) FROM PUBLIC;

--
-- Name: FUNCTION writer_moves_balances(p_ledger text, p_options jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.writer_moves_balances(p_ledger text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION writer_rule_entry(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb); Type: ACL; Schema: _recon; Owner: -
--

REVOKE ALL ON FUNCTION _recon.writer_rule_entry(p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb) FROM PUBLIC;

--
-- Name: FUNCTION acknowledge_alert(ids bigint[], note text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.acknowledge_alert(ids bigint[], note text) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.acknowledge_alert(ids bigint[], note text) TO recon_operator;

--
-- Name: FUNCTION allow_ledger_change(ledger text, ticket text, reason text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.allow_ledger_change(ledger text, ticket text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION allow_overdraft(source text, wallet text, balance_column text, reason text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.allow_overdraft(source text, wallet text, balance_column text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION backfill(coverage_check text, dry_run boolean, ticket text, reason text, wallet_key text, wallet_columns jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.backfill(coverage_check text, dry_run boolean, ticket text, reason text, wallet_key text, wallet_columns jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.backfill(coverage_check text, dry_run boolean, ticket text, reason text, wallet_key text, wallet_columns jsonb) TO recon_operator;

--
-- Name: FUNCTION describe_check(name text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.describe_check(name text) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.describe_check(name text) TO recon_auditor;
GRANT ALL ON FUNCTION recon.describe_check(name text) TO recon_operator;

--
-- Name: FUNCTION disable_guard(p_kind text, p_target text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.disable_guard(p_kind text, p_target text) FROM PUBLIC;

--
-- Name: FUNCTION drop_check(name text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.drop_check(name text) FROM PUBLIC;

--
-- Name: FUNCTION drop_source(name text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.drop_source(name text) FROM PUBLIC;

--
-- Name: FUNCTION enable_guard(p_kind text, p_target text, p_options jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.enable_guard(p_kind text, p_target text, p_options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fix(run_id bigint, dry_run boolean, ticket text, reason text, checks text[], wallets text[], force_strategy text, wallet_limit numeric, run_limit numeric, findings bigint[], wallet_limits jsonb, run_limits jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.fix(run_id bigint, dry_run boolean, ticket text, reason text, checks text[], wallets text[], force_strategy text, wallet_limit numeric, run_limit numeric, findings bigint[], wallet_limits jsonb, run_limits jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.fix(run_id bigint, dry_run boolean, ticket text, reason text, checks text[], wallets text[], force_strategy text, wallet_limit numeric, run_limit numeric, findings bigint[], wallet_limits jsonb, run_limits jsonb) TO recon_operator;

--
-- Name: FUNCTION forbid_overdraft(source text, wallet text, balance_column text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.forbid_overdraft(source text, wallet text, balance_column text) FROM PUBLIC;

--
-- Name: FUNCTION reconcile(p_checks text[], p_mode text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.reconcile(p_checks text[], p_mode text) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.reconcile(p_checks text[], p_mode text) TO recon_auditor;
GRANT ALL ON FUNCTION recon.reconcile(p_checks text[], p_mode text) TO recon_operator;

--
-- Name: PROCEDURE reconcile_run(IN p_checks text[], IN p_mode text, INOUT summary jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON PROCEDURE recon.reconcile_run(IN p_checks text[], IN p_mode text, INOUT summary jsonb) FROM PUBLIC;
GRANT ALL ON PROCEDURE recon.reconcile_run(IN p_checks text[], IN p_mode text, INOUT summary jsonb) TO recon_auditor;
GRANT ALL ON PROCEDURE recon.reconcile_run(IN p_checks text[], IN p_mode text, INOUT summary jsonb) TO recon_operator;

--
-- Name: FUNCTION register_check(name text, kind text, options jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.register_check(name text, kind text, options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION register_ledger_source(name text, wallet_source text, relation text, wallet_column text, amount_column text, options jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.register_ledger_source(name text, wallet_source text, relation text, wallet_column text, amount_column text, options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION register_wallet_source(name text, relation text, key_column text, balance_columns text[], options jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.register_wallet_source(name text, relation text, key_column text, balance_columns text[], options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION register_writer(ledger text, options jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.register_writer(ledger text, options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION reverse_fix(fix_id bigint, dry_run boolean, ticket text, reason text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.reverse_fix(fix_id bigint, dry_run boolean, ticket text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.reverse_fix(fix_id bigint, dry_run boolean, ticket text, reason text) TO recon_operator;

--
-- Name: FUNCTION schedule_reconcile(schedule text, mode text, job text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.schedule_reconcile(schedule text, mode text, job text) FROM PUBLIC;

--
-- Name: FUNCTION set_check_enabled(name text, enabled boolean); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.set_check_enabled(name text, enabled boolean) FROM PUBLIC;

--
-- Name: FUNCTION set_fix_policy(check_name text, options jsonb); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.set_fix_policy(check_name text, options jsonb) FROM PUBLIC;

--
-- Name: FUNCTION start_run(checks text[], mode text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.start_run(checks text[], mode text) FROM PUBLIC;
GRANT ALL ON FUNCTION recon.start_run(checks text[], mode text) TO recon_auditor;
GRANT ALL ON FUNCTION recon.start_run(checks text[], mode text) TO recon_operator;

--
-- Name: FUNCTION unschedule_reconcile(job text); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.unschedule_reconcile(job text) FROM PUBLIC;

--
-- Name: FUNCTION version(); Type: ACL; Schema: recon; Owner: -
--

REVOKE ALL ON FUNCTION recon.version() FROM PUBLIC;
GRANT ALL ON FUNCTION recon.version() TO recon_auditor;
GRANT ALL ON FUNCTION recon.version() TO recon_operator;

--
-- Name: TABLE checks; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.checks TO recon_auditor;
GRANT SELECT ON TABLE recon.checks TO recon_operator;

--
-- Name: TABLE currencies; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.currencies TO recon_auditor;
GRANT SELECT ON TABLE recon.currencies TO recon_operator;

--
-- Name: TABLE discrepancies; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.discrepancies TO recon_auditor;
GRANT SELECT ON TABLE recon.discrepancies TO recon_operator;

--
-- Name: TABLE guards; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.guards TO recon_auditor;
GRANT SELECT ON TABLE recon.guards TO recon_operator;

--
-- Name: TABLE install_history; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.install_history TO recon_auditor;
GRANT SELECT ON TABLE recon.install_history TO recon_operator;

--
-- Name: TABLE kinds; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.kinds TO recon_auditor;
GRANT SELECT ON TABLE recon.kinds TO recon_operator;

--
-- Name: TABLE open_alerts; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.open_alerts TO recon_auditor;
GRANT SELECT ON TABLE recon.open_alerts TO recon_operator;

--
-- Name: TABLE open_findings; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.open_findings TO recon_auditor;
GRANT SELECT ON TABLE recon.open_findings TO recon_operator;

--
-- Name: TABLE overdraft_exemptions; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.overdraft_exemptions TO recon_auditor;
GRANT SELECT ON TABLE recon.overdraft_exemptions TO recon_operator;

--
-- Name: TABLE repairs; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.repairs TO recon_auditor;
GRANT SELECT ON TABLE recon.repairs TO recon_operator;

--
-- Name: TABLE run_findings; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.run_findings TO recon_auditor;
GRANT SELECT ON TABLE recon.run_findings TO recon_operator;

--
-- Name: TABLE runs; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.runs TO recon_auditor;
GRANT SELECT ON TABLE recon.runs TO recon_operator;

--
-- Name: TABLE sources; Type: ACL; Schema: recon; Owner: -
--

GRANT SELECT ON TABLE recon.sources TO recon_auditor;
GRANT SELECT ON TABLE recon.sources TO recon_operator;

--
-- PostgreSQL database dump complete
--

\unrestrict walletrecon
