-- _recon.leg_columns_sql(): an expression listing the balance columns a leg moves.
CREATE OR REPLACE FUNCTION _recon.leg_columns_sql(p_ledger _recon.ledger_source, p_alias text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
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
$body$;

COMMENT ON FUNCTION _recon.leg_columns_sql(_recon.ledger_source, text) IS
'SQL expression (over alias p_alias of the legs relation, p_ledger as _recon.legs() names it) '
'for the JSON list of balance columns a leg moves: every column of a signed ledger, else those '
'its kind (direction, operation, side, rule label) moves. Duplicate and currency findings name '
'them ("columns").';

REVOKE EXECUTE ON FUNCTION _recon.leg_columns_sql(_recon.ledger_source, text) FROM PUBLIC;
