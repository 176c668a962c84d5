-- _recon.guard_parent_sql(): for a statement on a parent table, the ledger rows under the rows
-- it wrote, and the table as it was before it.
CREATE OR REPLACE FUNCTION _recon.guard_parent_sql(
    p_ledger _recon.ledger_source, p_relid oid, p_aliases jsonb, p_op text
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- "where": the ledger rows reached through a row the statement wrote, by any alias on the
    -- table, whatever that row was before and after (a condition over the legs query's r and
    -- p_<alias>; it holds alike over the table before and after the statement). "swap": each
    -- alias's table as it was before the statement: its rows but those the statement wrote
    -- (matched on the alias's unique key), and the old versions of those it replaced or
    -- deleted. "changed": whether an UPDATE changed a column the legs read (an INSERT or a
    -- DELETE changes none: the foreign key each parent needs keeps ledger rows from pointing to
    -- a parent row that does not exist). All read the transition tables recon_new / recon_old.
    -- (PL/pgSQL: an SQL body would be checked before _recon.ledger_ref_sql exists.)
    RETURN (SELECT jsonb_build_object(
        'reborn', format('EXISTS (SELECT FROM recon_old AS o JOIN %1$s AS t ON t.%2$I = o.%2$I)',
                         p_relid::regclass, min(a.value ->> 'key')),
        'changed', CASE WHEN p_op <> 'update' THEN 'FALSE' ELSE format(
            'EXISTS (SELECT FROM recon_old AS o LEFT JOIN recon_new AS n ON n.%1$I = o.%1$I '
            || 'WHERE n.%1$I IS NULL OR (%2$s) IS DISTINCT FROM (%3$s))',
            min(a.value ->> 'key'),
            (SELECT string_agg(format('o.%I', c), ', ') || ', NULL'
             FROM unnest(_recon.guard_parent_columns(p_ledger, p_aliases)) AS c),
            (SELECT string_agg(format('n.%I', c), ', ') || ', NULL'
             FROM unnest(_recon.guard_parent_columns(p_ledger, p_aliases)) AS c)) END,
        'where', string_agg(format('%s IN (%s)', _recon.ledger_ref_sql(a.value ->> 'via'),
                                   concat_ws(' UNION ALL ',
                                             CASE WHEN p_op <> 'delete' THEN format(
                                                 'SELECT n.%I FROM recon_new AS n',
                                                 a.value ->> 'key') END,
                                             CASE WHEN p_op <> 'insert' THEN format(
                                                 'SELECT o.%I FROM recon_old AS o',
                                                 a.value ->> 'key') END)),
                            ' OR ' ORDER BY a.key),
        'swap', jsonb_object_agg(a.key, format(
            '(SELECT t.* FROM %1$s AS t%2$s%3$s)', p_relid::regclass,
            CASE WHEN p_op <> 'delete' THEN format(
                ' WHERE NOT EXISTS (SELECT FROM recon_new AS n WHERE n.%1$I = t.%1$I)',
                a.value ->> 'key') ELSE '' END,
            CASE WHEN p_op <> 'insert' THEN ' UNION ALL SELECT o.* FROM recon_old AS o'
                 ELSE '' END)))
        FROM jsonb_each(p_aliases) AS a);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_sql(_recon.ledger_source, oid, jsonb, text) IS
'For a guard''s statement trigger on parent table p_relid (operation p_op; p_aliases: the '
'ledger source''s parents on that table): {"where": condition selecting the ledger rows under '
'the rows the statement wrote, "swap": {alias: the table as it was before the statement}, '
'"changed": condition true when an UPDATE changed a column the legs read, "reborn": for a '
'DELETE, true when a deleted key is in the table again}, '
'for _recon.legs_query(), over the transition tables recon_new / recon_old.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_sql(_recon.ledger_source, oid, jsonb, text)
FROM PUBLIC;
