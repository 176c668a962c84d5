-- A DDL statement that moves rows into or out of a guarded table's tree (DETACH PARTITION, NO
-- INHERIT or DROP of a child holding rows; ATTACH PARTITION or INHERIT of a table holding rows)
-- changes balances or ledger effects without a row trigger firing: each guard of that tree
-- refuses it (block mode) or warns about it, as its TRUNCATE trigger does for a TRUNCATE.
CREATE OR REPLACE FUNCTION _recon.evt_guard_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_before jsonb;
    v_guard _recon.guard;
    r record;
BEGIN
    IF tg_event = 'ddl_command_start' THEN
        -- the trees as they are before the statement (and, before a DROP, which of their
        -- children hold rows: a table dropped cannot be read at sql_drop); kept for the
        -- session, not the transaction (DETACH PARTITION CONCURRENTLY commits in between)
        IF EXISTS (SELECT FROM _recon.guard AS g WHERE g.compiled ? 'roots') THEN
            SELECT jsonb_agg(jsonb_build_object(
                       'guard', m.guard_id, 'root', m.root, 'relid', m.relid,
                       'rows', CASE WHEN tg_tag LIKE 'DROP %' AND m.relid <> m.root
                                    THEN _recon.guard_table_holds_rows(m.relid) END))
            INTO v_before
            FROM _recon.guard_tree_members() AS m;
        END IF;
        PERFORM set_config('wallet_recon.guard_ddl', COALESCE(v_before::text, ''), false);
        -- DETACH PARTITION ... CONCURRENTLY commits a first transaction (the partition's rows
        -- already gone from its parent's queries) before ddl_command_end: in block mode it is
        -- refused here, before anything, while a guarded partition holds rows (it runs only
        -- as a top-level statement of its own, so current_query() is that statement)
        IF tg_tag = 'ALTER TABLE' AND current_query() ~* 'detach'
           AND current_query() ~* 'concurrently' THEN
            SELECT g.* INTO v_guard
            FROM _recon.guard AS g
            WHERE g.mode = 'block' AND EXISTS (
                SELECT FROM jsonb_array_elements(v_before) AS b (value)
                WHERE (b.value ->> 'guard')::integer = g.id
                  AND b.value ->> 'relid' <> b.value ->> 'root'
                  AND _recon.guard_table_holds_rows((b.value ->> 'relid')::oid))
            ORDER BY g.id LIMIT 1;
            IF FOUND THEN
                PERFORM _recon.guard_violation(
                    v_guard, NULL,
                    'DETACH PARTITION ... CONCURRENTLY commits before the guard can look at what '
                    || 'it detached, and a partition of its tables holds rows',
                    jsonb_build_object(
                        'operation', tg_tag,
                        'hint', 'Detach in one transaction (without CONCURRENTLY): a partition '
                        || 'holding rows is then refused, an empty one detached; or run '
                        || 'recon.disable_guard(' || quote_literal(v_guard.kind) || ', '
                        || quote_literal(v_guard.target) || ') first; docs/GUARDS.md '
                        || '"Partitioned ledgers".'));
            END IF;
        END IF;
        RETURN;
    END IF;
    v_before := NULLIF(current_setting('wallet_recon.guard_ddl', TRUE), '')::jsonb;
    IF v_before IS NULL THEN
        RETURN;
    END IF;
    FOR r IN
        -- sql_drop: a child holding rows dropped while its root stays
        SELECT (b.value ->> 'guard')::integer AS guard_id, d.object_identity AS tbl,
               (b.value ->> 'root')::oid::regclass::text AS root, 'left' AS way,
               format('DROP of %s', d.object_identity) AS what
        FROM jsonb_array_elements(v_before) AS b (value)
        JOIN pg_event_trigger_dropped_objects() AS d
            ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
           AND d.objid = (b.value ->> 'relid')::oid
        WHERE tg_event = 'sql_drop' AND (b.value ->> 'rows')::boolean
          AND NOT EXISTS (SELECT FROM pg_event_trigger_dropped_objects() AS x
                          WHERE x.classid = 'pg_catalog.pg_class'::regclass
                            AND x.objid = (b.value ->> 'root')::oid)
        UNION ALL
        -- ddl_command_end (ALTER TABLE): a table that left a tree (DETACH, NO INHERIT) or
        -- joined one (ATTACH, INHERIT) holding rows
        SELECT x.guard_id, x.relid::regclass::text, x.root::regclass::text, x.way,
               format('%s %s', CASE x.way WHEN 'left' THEN 'DETACH (or NO INHERIT) of'
                                          ELSE 'ATTACH (or INHERIT) of' END, x.relid::regclass)
        FROM (SELECT (b.value ->> 'guard')::integer AS guard_id, (b.value ->> 'root')::oid AS root,
                     (b.value ->> 'relid')::oid AS relid, 'left' AS way
              FROM jsonb_array_elements(v_before) AS b (value)
              WHERE EXISTS (SELECT FROM pg_catalog.pg_class AS c
                            WHERE c.oid = (b.value ->> 'relid')::oid)
              EXCEPT
              SELECT m.guard_id, m.root, m.relid, 'left' FROM _recon.guard_tree_members() AS m
              UNION ALL
              (SELECT m.guard_id, m.root, m.relid, 'joined'
               FROM _recon.guard_tree_members() AS m
               EXCEPT
               SELECT (b.value ->> 'guard')::integer, (b.value ->> 'root')::oid,
                      (b.value ->> 'relid')::oid, 'joined'
               FROM jsonb_array_elements(v_before) AS b (value))) AS x
        WHERE tg_event = 'ddl_command_end'
          AND NOT (x.way = 'joined' AND (SELECT g.kind FROM _recon.guard AS g
                                         WHERE g.id = x.guard_id) = 'append_only')
          AND _recon.guard_table_holds_rows(x.relid)
        ORDER BY 1, 2
    LOOP
        SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = r.guard_id;
        PERFORM _recon.guard_violation(
            v_guard, NULL,
            format('%s, which holds rows: its rows %s %s without their counterpart', r.what,
                   CASE r.way WHEN 'left' THEN 'leave' ELSE 'join' END, r.root),
            jsonb_build_object(
                'operation', tg_tag, 'table', r.tbl, 'root', r.root,
                'hint', CASE r.way WHEN 'left' THEN
                    'Empty it first through the guarded table (the guard judges the rows with '
                    || 'the balances), or run recon.disable_guard(' || quote_literal(v_guard.kind)
                    || ', ' || quote_literal(v_guard.target) || ') first, then reconcile; '
                    || 'docs/GUARDS.md "Partitioned ledgers".'
                ELSE 'Attach it empty and write its rows through the guarded table (the guard '
                    || 'judges them with the balances), or run recon.disable_guard('
                    || quote_literal(v_guard.kind) || ', ' || quote_literal(v_guard.target)
                    || ') first, then reconcile; docs/GUARDS.md "Partitioned ledgers".' END));
    END LOOP;
    IF tg_event = 'ddl_command_end' THEN
        PERFORM set_config('wallet_recon.guard_ddl', '', false);
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.evt_guard_ddl() IS
'Event trigger function (recon_guard_ddl_start at ddl_command_start, recon_guard_ddl_end at '
'ddl_command_end of ALTER TABLE, recon_guard_ddl_drop at sql_drop): a partition or '
'inheritance child holding rows that leaves a guarded table''s tree (DETACH PARTITION, NO '
'INHERIT, DROP) or a table holding rows that joins one (ATTACH PARTITION, INHERIT; not for '
'an append_only guard) is refused by each guard of the tree in block mode with its SQLSTATE '
'(RC401 drift...), or warned about (_recon.guard_violation). The trees before the statement '
'are kept in the setting wallet_recon.guard_ddl. docs/GUARDS.md "Partitioned ledgers".';

REVOKE EXECUTE ON FUNCTION _recon.evt_guard_ddl() FROM PUBLIC;

-- Only a superuser can create an event trigger: an install by another role has none, and then
-- recon.enable_guard() refuses a tree it could not keep guarded (docs/GUARDS.md).
DO $do$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        DROP EVENT TRIGGER IF EXISTS recon_guard_ddl_start;
        DROP EVENT TRIGGER IF EXISTS recon_guard_ddl_end;
        DROP EVENT TRIGGER IF EXISTS recon_guard_ddl_drop;
        CREATE EVENT TRIGGER recon_guard_ddl_start ON ddl_command_start
            WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'DROP FOREIGN TABLE', 'DROP SCHEMA',
                         'DROP OWNED')
            EXECUTE FUNCTION _recon.evt_guard_ddl();
        CREATE EVENT TRIGGER recon_guard_ddl_end ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE')
            EXECUTE FUNCTION _recon.evt_guard_ddl();
        CREATE EVENT TRIGGER recon_guard_ddl_drop ON sql_drop
            WHEN TAG IN ('DROP TABLE', 'DROP FOREIGN TABLE', 'DROP SCHEMA', 'DROP OWNED')
            EXECUTE FUNCTION _recon.evt_guard_ddl();
        COMMENT ON EVENT TRIGGER recon_guard_ddl_start IS
        'wallet-recon: records the guarded tables'' trees before an ALTER TABLE or a DROP '
        '(_recon.evt_guard_ddl).';
        COMMENT ON EVENT TRIGGER recon_guard_ddl_end IS
        'wallet-recon: refuses (block mode) an ALTER TABLE that detaches a child holding rows '
        'from a guarded table, or attaches a table holding rows (_recon.evt_guard_ddl).';
        COMMENT ON EVENT TRIGGER recon_guard_ddl_drop IS
        'wallet-recon: refuses (block mode) a DROP of a guarded table''s child holding rows '
        '(_recon.evt_guard_ddl).';
    END IF;
END;
$do$;
