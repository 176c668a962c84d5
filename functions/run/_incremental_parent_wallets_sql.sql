-- _recon.incremental_parent_wallets_sql(): the wallets whose legs reach a parent row written
-- since a transaction id, as SQL.
CREATE OR REPLACE FUNCTION _recon.incremental_parent_wallets_sql(
    p_ledger _recon.ledger_source, p_since text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
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
$body$;

COMMENT ON FUNCTION _recon.incremental_parent_wallets_sql(_recon.ledger_source, text) IS
'SQL returning the wallet key of every leg whose ledger row reaches, through its parents '
'("parents", chains of them included), a parent row with an xmin at or after p_since (an SQL '
'expression of type xid, such as $3): the wallets whose entries a parent row written since '
'then can have changed. Each link is an index lookup by the keys of the link above '
'(_recon.incremental_parents requires the indexes and the foreign keys that make this '
'complete).';

REVOKE EXECUTE ON FUNCTION _recon.incremental_parent_wallets_sql(_recon.ledger_source, text)
FROM PUBLIC;
