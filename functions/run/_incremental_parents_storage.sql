-- _recon.incremental_parents_storage(): the storage of a ledger's parent tables, as compared.
CREATE OR REPLACE FUNCTION _recon.incremental_parents_storage(p_ledger _recon.ledger_source)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- (plpgsql, not sql: _recon.incremental_storage is created after this file)
    RETURN (SELECT COALESCE(jsonb_object_agg(t.relid::text,
                                             _recon.incremental_storage(t.relid) -> 'leaves'),
                            '{}')
            FROM (SELECT DISTINCT (e.value ->> 'relid')::oid AS relid
                  FROM jsonb_each(p_ledger.parents) AS e) AS t);
END;
$body$;

COMMENT ON FUNCTION _recon.incremental_parents_storage(_recon.ledger_source) IS
'The leaves of every parent table a ledger reads: {"<table oid>": [[oid, relfilenode], ...]} '
'(_recon.incremental_storage), {} without parents. Kept in the watermark: a parent table '
'truncated, rewritten, or a partition attached or detached changes it and forces a full run.';

REVOKE EXECUTE ON FUNCTION _recon.incremental_parents_storage(_recon.ledger_source) FROM PUBLIC;
