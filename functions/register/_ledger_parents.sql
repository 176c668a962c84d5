-- _recon.ledger_parents(): validate a ledger source's "parents" option; its normalized form.
CREATE OR REPLACE FUNCTION _recon.ledger_parents(p_relid oid, p_parents jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $body$
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
$body$;

COMMENT ON FUNCTION _recon.ledger_parents(oid, jsonb) IS
'Validates a ledger source''s "parents" ({"<alias>": {"table", "key", "via"}}): each table '
'resolves on the caller''s search_path, its key is one column under a primary key or unique '
'index (so no ledger row counts twice), "via" is a ledger column or a column of a parent '
'resolved before it, of the key''s type. Returns {"<alias>": {"relid", "key", "via", "order"}}. '
'RC101, RC102, RC106, RC108.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_parents(oid, jsonb) FROM PUBLIC;
