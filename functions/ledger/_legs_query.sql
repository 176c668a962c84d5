-- _recon.legs_query(): a ledger source's canonical legs relation, as an SQL subquery, over
-- given relations.
CREATE OR REPLACE FUNCTION _recon.legs_query(
    p_ledger _recon.ledger_source, p_swap jsonb, p_where text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
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
                    -- an enum by its label, never through a cast its owner wrote (a sealed
                    -- guard reads this relation as the toolkit's owner): guard_text_sql
                    SELECT COALESCE(string_agg(format(
                                        '%s = %L', _recon.guard_text_sql(
                                            _recon.ledger_ref_type(p_ledger.relid,
                                                                   p_ledger.parents, w.key,
                                                                   'a rule'),
                                            _recon.ledger_ref_sql(w.key, v_side)),
                                        w.value #>> '{}'), ' AND ' ORDER BY w.key),
                                    'TRUE') AS cond
                    FROM jsonb_each(r -> 'when') AS w
                    WHERE NOT (v_side IS NOT NULL AND w.key = 'side')
                ) AS c
                WHERE v_side IS NULL OR r -> 'when' ->> 'side' = v_side)
            WHEN v_side IS NOT NULL THEN format('%L::text', v_side)
            WHEN p_ledger.amount_mode IN ('direction', 'operation') THEN _recon.legs_kind_sql(
                p_ledger.relid, CASE p_ledger.amount_mode WHEN 'direction'
                                THEN p_ledger.direction_column
                                ELSE p_ledger.operation_column END)
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
$body$;

COMMENT ON FUNCTION _recon.legs_query(_recon.ledger_source, jsonb, text) IS
'_recon.legs_sql() over other relations: p_swap {"r": SQL of a relation standing for the '
'ledger table, "<parent alias>": for that parent table} (a guard reads the rows a statement '
'wrote, or a table as it was before the statement, from its transition tables), and p_where, '
'an SQL condition over r and p_<alias> added to every branch. NULL for either: the tables '
'themselves, every row.';

REVOKE EXECUTE ON FUNCTION _recon.legs_query(_recon.ledger_source, jsonb, text) FROM PUBLIC;
