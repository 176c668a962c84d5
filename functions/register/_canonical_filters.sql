-- _recon.canonical_filters(): registered filter values in the form every session reads alike.
CREATE OR REPLACE FUNCTION _recon.canonical_filters()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source;
    v_filters jsonb;
    v_done integer := 0;
BEGIN
    -- Ledgers registered before filter values were kept as _recon.filter_value_text makes them
    -- (a date or time was kept as given, and read again in each writer's and caller's session).
    -- Read once more here, in the upgrading session, as registration would; the upgrade then
    -- compiles the checks and guards again from them. A value already in that form is left as
    -- it is, so running this again changes nothing.
    FOR v_ledger IN SELECT l.* FROM _recon.ledger_source AS l
                    WHERE l.filters IS NOT NULL ORDER BY l.name FOR UPDATE LOOP
        BEGIN
            SELECT jsonb_agg(CASE WHEN f ? 'values' THEN jsonb_set(f, '{values}', (
                       SELECT COALESCE(jsonb_agg(_recon.filter_value_text(
                                  v, _recon.ledger_ref_type(v_ledger.relid, v_ledger.parents,
                                                            f ->> 'column', 'a filter column'))
                                  ORDER BY o), '[]')
                       FROM jsonb_array_elements_text(f -> 'values') WITH ORDINALITY AS u (v, o)))
                       ELSE f END ORDER BY i)
            INTO v_filters
            FROM jsonb_array_elements(v_ledger.filters) WITH ORDINALITY AS x (f, i);
        EXCEPTION WHEN OTHERS THEN
            -- a ledger whose tables changed under it: said, and left as it was
            RAISE WARNING 'wallet-recon: the filters of ledger % were not read again: %',
                v_ledger.name, SQLERRM
                USING HINT = 'Register the ledger again (recon.drop_source, '
                             || 'recon.register_ledger_source) with its filters.';
            CONTINUE;
        END;
        IF v_filters IS DISTINCT FROM v_ledger.filters THEN
            UPDATE _recon.ledger_source SET filters = v_filters WHERE name = v_ledger.name;
            v_done := v_done + 1;
        END IF;
    END LOOP;
    RETURN v_done;
END;
$body$;

COMMENT ON FUNCTION _recon.canonical_filters() IS
'Run by the upgrade before the checks are compiled again: the entry filters of every registered '
'ledger source with their values read in the upgrading session and kept as '
'_recon.filter_value_text makes them (a date or time in ISO 8601, a timestamptz with its '
'offset), as registration now keeps them. Returns how many ledger sources changed; a ledger '
'whose filters no longer read is left as it was, with a WARNING. Idempotent.';

REVOKE EXECUTE ON FUNCTION _recon.canonical_filters() FROM PUBLIC;
