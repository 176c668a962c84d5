-- _recon.guard_require_builtin_types(): the first column a guard running as the toolkit's owner
-- would read through a type a user made.
CREATE OR REPLACE FUNCTION _recon.guard_require_builtin_types(
    p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_columns text[],
    p_labels text[] DEFAULT '{}'
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_column text;
BEGIN
    -- A sealed drift guard's trigger functions and a double_entry guard's functions run as the
    -- toolkit's owner (SECURITY DEFINER) and convert what they read: keys to text, amounts and
    -- balances to numeric. A cast from a type its owner made can be a function its owner wrote
    -- (CREATE CAST ... WITH FUNCTION, now or after the guard is enabled): it would run as the
    -- toolkit's owner. Only built-in types (or domains over them: a cast from a domain is
    -- never used) are read, and enums where they are read by their label (p_labels), through
    -- the output function every enum has (pg_catalog.format: _recon.guard_text_sql,
    -- _recon.legs_kind_sql), never a cast.
    -- p_columns: references of p_ledger ("column" of the ledger table, "alias.column" of a
    -- parent row); every ledger also has the columns its effect rules compare (read by their
    -- label) and those its parent rows are joined on. p_wallet (optional): its key (by label)
    -- and balance columns.
    WITH ref AS (
        SELECT u.ref, COALESCE(u.ref = ANY (p_labels), FALSE) AS label
        FROM unnest(p_columns) AS u (ref) WHERE u.ref IS NOT NULL
        UNION ALL
        SELECT k.ref, TRUE FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k (ref)
        WHERE NOT (k.ref = 'side' AND p_ledger.debit_wallet_column IS NOT NULL)
        UNION ALL
        SELECT x.ref, FALSE
        FROM jsonb_each(COALESCE(p_ledger.parents, '{}')) AS p (alias, spec)
        CROSS JOIN LATERAL (VALUES (p.spec ->> 'via'), (p.alias || '.' || (p.spec ->> 'key')))
            AS x (ref)
    ), col AS (
        SELECT CASE WHEN strpos(r.ref, '.') > 0
                    THEN (p_ledger.parents -> split_part(r.ref, '.', 1) ->> 'relid')::oid
                    ELSE p_ledger.relid END AS relid,
               CASE WHEN strpos(r.ref, '.') > 0 THEN substr(r.ref, strpos(r.ref, '.') + 1)
                    ELSE r.ref END AS name,
               r.label, 2 AS o
        FROM ref AS r
        UNION ALL
        SELECT p_wallet.relid, w.name, w.name = p_wallet.key_column, 1
        FROM unnest(ARRAY[p_wallet.key_column] || p_wallet.balance_columns) AS w (name)
        WHERE p_wallet.relid IS NOT NULL
    )
    SELECT format('%s.%I (%s)', c.relid::regclass, a.attname, format_type(a.atttypid, NULL))
    INTO v_column
    FROM col AS c
    JOIN pg_attribute AS a ON a.attrelid = c.relid AND a.attname = c.name
    JOIN pg_type AS t ON t.oid = a.atttypid
    JOIN pg_type AS b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE NOT a.attisdropped AND b.oid::integer >= 16384
      AND NOT (b.typtype = 'e' AND c.label)
    ORDER BY c.o, c.relid, a.attnum
    LIMIT 1;
    -- an entry filter compares with the operator of its column's type: one that is not
    -- pg_catalog's (a user's = for an enum) would run as the toolkit's owner
    IF v_column IS NULL
       AND _recon.guard_filter_sql(p_ledger, 'new') ~ 'OPERATOR\((?!pg_catalog\.)' THEN
        v_column := format('the entry filters of %s (an operator that is not pg_catalog''s)',
                           p_ledger.relid::regclass);
    END IF;
    RETURN v_column;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_require_builtin_types(
    _recon.ledger_source, _recon.wallet_source, text[], text[]
) IS
'The first column that a guard whose functions run as the toolkit''s owner (a block-mode drift '
'guard, a double_entry guard) would read through a type a user made, as text "table.column '
'(type)", or its entry filters when one uses an operator that is not pg_catalog''s; NULL when '
'there is none. Read: p_columns (references of ledger p_ledger: "column", or "alias.column" of '
'a parent row), the columns its effect rules compare and its parent rows are joined on, and '
'the key and balance columns of wallet source p_wallet (when given). Built-in types and domains '
'over them pass; an enum passes where it is read by its label through its output function '
'(p_labels, the rule columns, the wallet key): a cast or operator of a user''s type can be '
'that user''s function. The caller raises RC406 naming it.';

REVOKE EXECUTE ON FUNCTION _recon.guard_require_builtin_types(
    _recon.ledger_source, _recon.wallet_source, text[], text[]
) FROM PUBLIC;
