-- _recon.filter_value_text(): a filter value as text that means the same in every session.
CREATE OR REPLACE FUNCTION _recon.filter_value_text(p_value text, p_type regtype)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_category "char";
    v_text text;
BEGIN
    -- Read once, in the registering session (as the check's view reads it when compiled), and
    -- kept in a form no later session reads otherwise: the guards' triggers and reconcile cast
    -- the value again in the writer's and the caller's sessions, whose TimeZone, DateStyle and
    -- IntervalStyle may differ (a cutover instant would move with the writer's TimeZone).
    SELECT t.typcategory INTO v_category FROM pg_catalog.pg_type AS t WHERE t.oid = p_type;
    IF v_category = 'D' THEN
        -- date and time types: ISO 8601, a timestamptz with its UTC offset (JSON's form, which
        -- DateStyle does not change)
        EXECUTE format('SELECT to_jsonb(%L::%s) #>> ''{}''', p_value, p_type) INTO v_text;
    ELSIF v_category = 'T' THEN
        -- intervals: each field with its own sign, in units every IntervalStyle reads alike
        EXECUTE format(
            'SELECT format(''%%s months %%s days %%s seconds'', '
            || 'to_char(extract(year FROM v) * 12 + extract(month FROM v), ''SG9999999990''), '
            || 'to_char(extract(day FROM v), ''SG9999999990''), '
            || '(CASE WHEN s >= 0 THEN ''+'' ELSE '''' END) || trim_scale(s)::text) '
            || 'FROM (SELECT %L::%s AS v) AS i, LATERAL (SELECT extract(hour FROM v) * 3600 '
            || '+ extract(minute FROM v) * 60 + extract(second FROM v) AS s) AS t',
            p_value, p_type) INTO v_text;
        v_text := regexp_replace(v_text, '([+-]) +', '\1', 'g');
    ELSE
        -- numbers, booleans, strings, enums, uuids: read alike in every session
        v_text := p_value;
    END IF;
    RETURN v_text;
END;
$body$;

COMMENT ON FUNCTION _recon.filter_value_text(text, regtype) IS
'An entry filter''s value as stored at registration: cast to the column''s type p_type in the '
'registering session, as the check''s view reads it, and kept as text every later session casts '
'to the same value: date and time types in ISO 8601 (a timestamptz with its UTC offset), an '
'interval as signed months, days and seconds; other types as given. The drift guards'' triggers '
'and reconcile cast it in the writer''s and the caller''s sessions, whose TimeZone, DateStyle or '
'IntervalStyle may differ. _recon.ledger_filters.';

REVOKE EXECUTE ON FUNCTION _recon.filter_value_text(text, regtype) FROM PUBLIC;
