-- recon.drop_source(): remove a wallet or ledger source no check or ledger uses.
CREATE OR REPLACE FUNCTION recon.drop_source(name text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_users text;
    v_relid oid;
BEGIN
    SELECT string_agg(u, ', ' ORDER BY u) INTO v_users FROM (
        SELECT 'check ' || c.name AS u FROM _recon.check_def AS c
        WHERE drop_source.name IN (c.wallet_source, c.ledger_source)
            OR (jsonb_typeof(c.options -> 'ledger') = 'array' AND c.options -> 'ledger' ? drop_source.name)
        UNION ALL
        SELECT 'ledger source ' || l.name FROM _recon.ledger_source AS l
        WHERE l.wallet_source = drop_source.name
    ) AS x;
    IF v_users IS NOT NULL THEN
        PERFORM _recon.fail('RC109', format('source %L is in use', drop_source.name),
                            format('Used by: %s.', v_users),
                            'Drop those first (recon.drop_check, recon.drop_source).');
    END IF;
    DELETE FROM _recon.writer AS w WHERE w.ledger_source = drop_source.name;
    DELETE FROM _recon.ledger_source AS l WHERE l.name = drop_source.name
        RETURNING l.relid INTO v_relid;
    IF FOUND THEN
        PERFORM _recon.ledger_write_uninstall(v_relid);  -- the triggers of 0024, if unused now
    ELSE
        DELETE FROM _recon.wallet_source AS w WHERE w.name = drop_source.name;
        IF NOT FOUND THEN
            PERFORM _recon.fail('RC107', format('unknown source %L', drop_source.name),
                                'No wallet or ledger source of that name is registered.',
                                'SELECT * FROM recon.sources; lists them.');
        END IF;
    END IF;
END;
$body$;

COMMENT ON FUNCTION recon.drop_source(text) IS
'Drops a wallet or ledger source (and a ledger''s writer). RC109 while a check or ledger source '
'uses it, RC107 if unknown. Needs the toolkit owner.';

REVOKE EXECUTE ON FUNCTION recon.drop_source(text) FROM PUBLIC;
