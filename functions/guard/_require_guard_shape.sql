-- _recon.require_guard_shape(): refuse a guard on a ledger shape it cannot read.
CREATE OR REPLACE FUNCTION _recon.require_guard_shape(p_ledger _recon.ledger_source, p_kind text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_legs boolean := p_ledger.parents IS NOT NULL OR p_ledger.kinds IS NOT NULL;
    v_why text;
    -- the first parent (and the table) whose "via" column has no foreign key to its key that
    -- keeps every ledger row's parent in place (_recon.parent_foreign_key: enforced, its
    -- triggers enabled, validated, checked at once (not deferrable), no cascade)
    v_missing text;
    v_table text;
    v_hint text := 'Checks read every shape; docs/GUARDS.md "Ledger shapes" says which guard '
                   || 'reads which. Reconcile on a schedule instead (recon.schedule_reconcile)'
                   || '.';
BEGIN
    SELECT p.key, x.t INTO v_missing, v_table
    FROM jsonb_each(p_ledger.parents) AS p
    CROSS JOIN LATERAL (SELECT _recon.parent_foreign_key(p_ledger, p.key, TRUE) AS t) AS x
    WHERE x.t IS NOT NULL
    ORDER BY (p.value ->> 'order')::integer LIMIT 1;
    IF v_missing IS NOT NULL THEN
        v_hint := v_hint || ' Or add the foreign key (or validate it, or enable its triggers).';
    END IF;
    -- The drift guard reads entries and transfer rows, filtered or not, and through the legs
    -- relation (statement triggers on the ledger and its parent tables) effects keyed on
    -- several columns and parent rows. The double-entry guard reads what the journal check
    -- reads (guard_compile refuses an operation ledger, as the check does), the journals
    -- under a parent row written too. The lifecycle guard reads the raw table: the plain
    -- shape only.
    v_why := CASE
        WHEN p_ledger.shape NOT IN ('entries', 'transfer')
            THEN format('its rows are %s rows', p_ledger.shape)
        WHEN p_ledger.amount_scale IS NOT NULL OR EXISTS (
                SELECT FROM _recon.wallet_source AS w
                WHERE w.name = p_ledger.wallet_source AND w.balance_scale IS NOT NULL)
            THEN 'its amounts or its wallets'' balances are minor units with a scale, which '
                 || 'guards do not read yet (docs/CHECKS.md "Minor units")'
        WHEN p_kind = 'lifecycle' THEN CASE
            WHEN p_ledger.shape <> 'entries' THEN format('its rows are %s rows', p_ledger.shape)
            WHEN p_ledger.filters IS NOT NULL THEN 'it counts only the rows its filters keep'
            WHEN p_ledger.parents IS NOT NULL THEN 'it reads parent rows'
            WHEN p_ledger.kinds IS NOT NULL THEN 'its effects are keyed on several columns'
            WHEN p_ledger.after_columns IS NOT NULL THEN 'it has a running balance per column'
        END
        WHEN p_kind = 'drift' AND v_legs AND EXISTS (
                SELECT FROM jsonb_each(p_ledger.parents) AS p
                WHERE (p.value ->> 'relid')::oid = p_ledger.relid)
            THEN 'a parent of its rows is a row of the ledger table itself'
        WHEN EXISTS (
                SELECT FROM jsonb_each(p_ledger.parents) AS p
                JOIN pg_catalog.pg_class AS c ON c.oid = (p.value ->> 'relid')::oid
                WHERE c.relkind <> 'p' AND EXISTS (
                    SELECT FROM pg_catalog.pg_inherits AS i WHERE i.inhparent = c.oid))
            THEN 'a parent table has inheritance children (their rows may have columns of '
                 || 'their own, which the guard cannot put back as they were)'
        WHEN p_kind IN ('drift', 'double_entry') AND v_missing IS NOT NULL
            THEN format('parent %s has no foreign key from %s (%s) to %s (%s) (enforced, its '
                        || 'triggers enabled, validated, not deferrable, without ON DELETE or '
                        || 'ON UPDATE actions): without one a ledger row may point to a parent '
                        || 'row that is not there yet, or is written concurrently, which no '
                        || 'guard statement would read', v_missing, v_table,
                        substr(p_ledger.parents -> v_missing ->> 'via',
                               strpos(p_ledger.parents -> v_missing ->> 'via', '.') + 1),
                        (p_ledger.parents -> v_missing ->> 'relid')::oid::regclass,
                        p_ledger.parents -> v_missing ->> 'key')
        WHEN p_kind = 'drift' AND v_legs AND EXISTS (
                SELECT FROM pg_catalog.pg_class AS c
                WHERE c.oid = p_ledger.relid AND c.relkind NOT IN ('r', 'p'))
            THEN 'its effects are read through its legs (keyed on several columns, or '
                 || 'reading parent rows) and it is a view: register the source on the table'
    END;
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC406', format('a %s guard cannot be set on ledger source %s: %s', p_kind,
                            p_ledger.name, v_why),
            format('Ledger source %s reads %s with shape %s%s%s%s.', p_ledger.name,
                   p_ledger.relid::regclass, p_ledger.shape,
                   CASE WHEN p_ledger.parents IS NOT NULL
                        THEN ', parents ' || p_ledger.parents::text ELSE '' END,
                   CASE WHEN p_ledger.filters IS NOT NULL
                        THEN ', filters ' || p_ledger.filters::text ELSE '' END,
                   CASE WHEN p_ledger.kinds IS NOT NULL
                        THEN ', effects keyed on ' || (p_ledger.kinds -> 'keys')::text
                        ELSE '' END),
            v_hint);
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.require_guard_shape(_recon.ledger_source, text) IS
'Fails with RC406 when a guard of kind p_kind (drift, double_entry, lifecycle) cannot read the '
'ledger source''s shape, saying why: a custom shape; amounts or balances of minor units (a '
'scale); a parent table with inheritance children; '
'for the drift and double-entry guards a parent without a foreign key from its "via" column '
'to its key on every table holding the rows (_recon.parent_foreign_key: enforced, its '
'triggers enabled, validated, not deferrable, no ON DELETE / ON UPDATE action); '
'for the lifecycle guard anything but a plain one-sided ledger; for a drift guard reading the '
'legs (effects keyed on several columns, parent rows) a parent on the ledger table itself, or '
'a view.';

REVOKE EXECUTE ON FUNCTION _recon.require_guard_shape(_recon.ledger_source, text) FROM PUBLIC;
