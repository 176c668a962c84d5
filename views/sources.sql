-- recon.sources: the registered wallet and ledger sources.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.sources;
CREATE VIEW recon.sources AS
SELECT
    w.name,
    'wallet' AS source_type,
    w.relid::regclass::text AS table_name,
    NULL::text AS wallet_source,
    jsonb_strip_nulls(jsonb_build_object(
        'key', w.key_column, 'balances', w.balance_columns,
        'currency', w.currency_column, 'owner', w.owner_column, 'label', w.label_column,
        'scale', w.balance_scale
    )) AS definition,
    w.created_at,
    w.created_by
FROM _recon.wallet_source AS w
UNION ALL
SELECT
    l.name,
    'ledger' AS source_type,
    l.relid::regclass::text AS table_name,
    l.wallet_source,
    jsonb_strip_nulls(jsonb_build_object(
        'wallet', l.wallet_column, 'amount', l.amount_column, 'mode', l.amount_mode,
        'effects', l.effects, 'direction', l.direction_column,
        'operation', l.operation_column, 'entry_id', l.entry_id_column,
        'reference', l.reference_column, 'posted_at', l.posted_at_column,
        'order_by', l.order_column, 'balance_after', l.balance_after_column,
        'version', l.version_column, 'journal', l.journal_column, 'status', l.status_column,
        'shape', nullif(l.shape, 'entries'), 'legs', l.leg_columns,
        'filters', l.filters, 'parents', l.parents,
        'rules', l.kinds -> 'rules', 'operation_keys', l.kinds -> 'keys',
        'running_balances', l.after_columns, 'currency', l.currency_column,
        'scale', l.amount_scale
    )) AS definition,
    l.created_at,
    l.created_by
FROM _recon.ledger_source AS l;

COMMENT ON VIEW recon.sources IS
'Registered wallet sources (tables of stored balances) and ledger sources (entries tables), '
'with the columns each was registered with.';

REVOKE ALL ON recon.sources FROM PUBLIC;
GRANT SELECT ON recon.sources TO recon_auditor, recon_operator;
