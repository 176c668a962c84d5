-- _recon.guard_parent_sql(): for an UPDATE or a DELETE on a parent table, the ledger rows under
-- the rows it wrote, and the table as it was before it.
CREATE OR REPLACE FUNCTION _recon.guard_parent_sql(
    p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
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
$body$;

COMMENT ON FUNCTION _recon.guard_parent_sql(_recon.ledger_source, oid, jsonb) IS
'For a guard''s statement triggers on parent table p_relid (p_aliases: the ledger source''s '
'parents on that table), over the transition tables recon_new / recon_old: for an UPDATE '
'{"where": condition selecting the ledger rows under the rows the statement wrote, "swap": '
'{alias: the table as it was before the statement}, for _recon.legs_query(); "changed": '
'condition true when it changed a column the legs read}, and for a DELETE "reborn": true when '
'a deleted key is in the table again.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_sql(_recon.ledger_source, oid, jsonb)
FROM PUBLIC;
