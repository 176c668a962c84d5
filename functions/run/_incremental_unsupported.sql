-- _recon.incremental_unsupported(): why a ledger can never run incrementally, or NULL.
CREATE OR REPLACE FUNCTION _recon.incremental_unsupported(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
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
        -- a table a logical-replication subscription fills takes its ids from the publisher,
        -- which commits them out of order where no wait here can see, and the apply worker
        -- (session_replication_role = replica) fires no recon_ledger_write on its UPDATEs
        WHEN EXISTS (SELECT FROM _recon.incremental_tables(p_ledger.relid) AS t
                     JOIN pg_catalog.pg_subscription_rel AS r ON r.srrelid = t.relid)
            THEN (SELECT format('the ledger table %s is filled by a logical-replication '
                                || 'subscription: its ids come from the publisher, whose '
                                || 'transactions commit out of order unseen here, and replicated '
                                || 'UPDATEs and DELETEs fire no trigger recon_ledger_write',
                                t.relid::regclass)
                  FROM _recon.incremental_tables(p_ledger.relid) AS t
                  JOIN pg_catalog.pg_subscription_rel AS r ON r.srrelid = t.relid
                  ORDER BY t.relid LIMIT 1)
        -- the per-wallet state keeps keys as text: a key type whose equality is not its text's
        -- (citext, a nondeterministic collation) would be found under another key
        WHEN _recon.ledger_keys_text_unequal(p_ledger) IS NOT NULL
            THEN _recon.ledger_keys_text_unequal(p_ledger)
        -- the bookmark holds only if no entry committed later can sort at or below it
        WHEN _recon.incremental_order(p_ledger) IS NOT NULL
            THEN _recon.incremental_order(p_ledger)
        -- an UPDATE or DELETE of an old entry is seen through the trigger recon_ledger_write
        -- (migration 0024), recorded in the writing transaction, on every table of the ledger
        WHEN EXISTS (SELECT FROM _recon.incremental_tables(p_ledger.relid) AS t
                     WHERE NOT t.tracked)
            THEN (SELECT format('the ledger table %s has no enabled trigger recon_ledger_write: '
                                || 'an UPDATE or DELETE of an old entry there would go unseen '
                                || '(it is created when the ledger is registered with "order_by", '
                                || 'and cloned to partitions; an inheritance child created '
                                || 'later, or a registration by a role that may not create '
                                || 'triggers on the table, lacks it)', t.relid::regclass)
                  FROM _recon.incremental_tables(p_ledger.relid) AS t
                  WHERE NOT t.tracked ORDER BY t.relid LIMIT 1)
        -- a parent row written since the watermark is found by its xmin, the entries under it
        -- through indexes, and foreign keys show that nothing else can change them
        WHEN p_ledger.parents IS NOT NULL THEN _recon.incremental_parents(p_ledger)
    END;
$body$;

COMMENT ON FUNCTION _recon.incremental_unsupported(_recon.ledger_source) IS
'NULL when a ledger and its wallets can run incrementally, else why not: incremental mode needs '
'an integer "order_by" column (an identity or sequence), a ledger that is a table, a '
'partitioned table, an inheritance parent or a simple view over one of them '
'(_recon.base_table) calling only IMMUTABLE functions, without foreign partitions, and a '
'wallet table (partitioned or not; a view has no xmin), no ledger table filled by a '
'logical-replication subscription (pg_subscription_rel), wallet keys equal exactly when '
'their texts are (_recon.ledger_keys_text_unequal), and the trigger recon_ledger_write on '
'every table of the ledger (0024). A ledger with parents also needs what '
'_recon.incremental_parents lists (foreign keys and indexes on each link, parent tables).';

REVOKE EXECUTE ON FUNCTION _recon.incremental_unsupported(_recon.ledger_source) FROM PUBLIC;
