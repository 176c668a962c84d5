-- recon.register_wallet_source(): register a table of wallets and their stored balances.
CREATE OR REPLACE FUNCTION recon.register_wallet_source(
    name text,
    relation text,
    key_column text,
    balance_columns text[],
    options jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
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
    -- a key under a nondeterministic collation: two wallets' keys may be equal with different
    -- texts, and every finding, repair and guard names a wallet by its key's text
    IF (SELECT c.collisdeterministic = FALSE FROM pg_catalog.pg_attribute AS a
        JOIN pg_catalog.pg_collation AS c ON c.oid = a.attcollation
        WHERE a.attrelid = v_relid AND a.attname = register_wallet_source.key_column) THEN
        PERFORM _recon.fail(
            'RC116', format('the wallet key %s of %s has a nondeterministic collation',
                            register_wallet_source.key_column, v_relid::regclass),
            'Two keys can be equal under it with different texts (case or accents); findings, '
            || 'repairs and guards name a wallet by its key''s text.',
            'Register a view that gives the key under a deterministic collation (key COLLATE "C"), '
            || 'or a citext key (equal texts compare equal there, and incremental mode then runs '
            || 'in full).');
    END IF;
    -- a key on two rows: each balance, finding and repair of that wallet would be wrong
    IF (SELECT c.relkind IN ('r', 'p', 'm') FROM pg_catalog.pg_class AS c WHERE c.oid = v_relid)
       AND NOT _recon.wallet_key_indexed(v_relid, register_wallet_source.key_column) THEN
        PERFORM _recon.fail(
            'RC106', format('the wallet key %s of %s is not a unique key',
                            register_wallet_source.key_column, v_relid::regclass),
            'A wallet source has one row per wallet; without a primary key or unique index on '
            || 'that one column two rows could share a key (e.g. balances per account and '
            || 'currency), and the check would sum them.',
            'Register a view with one row per wallet (e.g. keyed by account || '':'' || '
            || 'currency), or add a primary key or unique index on the key column. A view is '
            || 'accepted and its keys are counted at each run (RC203).');
    END IF;
    -- a key that may be NULL: a unique index holds each key to one row, but not NULL, and a
    -- row without a key is no wallet an entry can reach (a view cannot declare NOT NULL: a run
    -- reports each of its rows without a key, _recon.wallet_keys_null)
    IF (SELECT c.relkind IN ('r', 'p') AND NOT a.attnotnull
        FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid
        WHERE c.oid = v_relid AND a.attname = register_wallet_source.key_column) THEN
        PERFORM _recon.fail(
            'RC106', format('the wallet key %s of %s may be NULL',
                            register_wallet_source.key_column, v_relid::regclass),
            'A unique index keeps each key to one row but lets any number of rows have no key; '
            || 'a wallet row without a key matches no entry, and no finding or repair could '
            || 'name it.',
            format('Declare the key NOT NULL (ALTER TABLE %s ALTER COLUMN %I SET NOT NULL) or '
                   || 'make it the primary key, then register again.', v_relid::regclass,
                   register_wallet_source.key_column));
    END IF;
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
$body$;

COMMENT ON FUNCTION recon.register_wallet_source(text, text, text, text[], jsonb) IS
'Registers a wallet table: name, table, key column, stored balance columns (numeric), and options '
'{"currency": column, "owner": column, "label": column (an alias shown beside the key in '
'findings), "scale": when the balances are integers of minor units, decimal places (2), '
'{"multiplier": 100}, or per wallet {"column": c, "as": "places"|"multiplier"} (docs/CHECKS.md '
'"Minor units"), "version": column (an integer optimistic-locking version every write of the '
'toolkit to a wallet row bumps)}. Every name is checked against the catalog. Errors: RC101 '
'unknown table, RC102 unknown column, RC103 not numeric (a version column: not an integer), '
'RC104 name taken, RC105 bad name, RC106 bad option, a key no primary key or unique index '
'holds to one row per wallet (a view is accepted: a run refuses repeated keys, RC203) or a '
'table''s key column that may be NULL (not NOT NULL), RC115 '
'bad scale, RC116 a key under a '
'nondeterministic collation. Needs the toolkit owner. '
'Table names resolve on your search_path, as in psql; the function is not SECURITY DEFINER and '
'pins no path.';

REVOKE EXECUTE ON FUNCTION recon.register_wallet_source(text, text, text, text[], jsonb)
FROM PUBLIC;
