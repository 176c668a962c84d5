-- recon.acknowledge_alert(): mark alerts as seen, with a note.
CREATE OR REPLACE FUNCTION recon.acknowledge_alert(ids bigint[], note text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_unknown text;
    v_count integer;
BEGIN
    SELECT string_agg(COALESCE(i::text, 'NULL'), ', ') INTO v_unknown
    FROM unnest(acknowledge_alert.ids) AS i
    WHERE i IS NULL OR NOT EXISTS (SELECT FROM _recon.alert AS a WHERE a.id = i);
    IF acknowledge_alert.ids IS NULL OR cardinality(acknowledge_alert.ids) = 0 OR v_unknown IS NOT NULL THEN
        PERFORM _recon.fail('RC408', format('unknown alert %s', COALESCE(v_unknown, '(none)')),
                            'Only raised alerts can be acknowledged.',
                            'SELECT id FROM recon.open_alerts; lists them.');
    END IF;
    IF _recon.blank(acknowledge_alert.note) THEN
        PERFORM _recon.fail('RC303', 'acknowledging an alert needs a note',
                            'It says what was done about it.', 'E.g. ''INC-42: repaired''.');
    END IF;
    UPDATE _recon.alert AS a
    SET acknowledged_at = clock_timestamp(), acknowledged_by = session_user,
        acknowledgement = acknowledge_alert.note
    WHERE a.id = ANY (acknowledge_alert.ids) AND a.acknowledged_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$body$;

COMMENT ON FUNCTION recon.acknowledge_alert(bigint[], text) IS
'Acknowledges alerts (they leave recon.open_alerts) with a note; returns how many were open. '
'Errors: RC408 unknown alert, RC303 no note. recon_operator may call it.';

REVOKE EXECUTE ON FUNCTION recon.acknowledge_alert(bigint[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.acknowledge_alert(bigint[], text) TO recon_operator;
