-- _recon.fix_evidence(): what the ledger shows about each wallet a plan would resync or adjust.
CREATE OR REPLACE FUNCTION _recon.fix_evidence(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
AS $body$
DECLARE
    v_ledger _recon.ledger_source;
    v_legs _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_chain text;
    v_keys text[];
    v_key_type regtype;
    v_breaks jsonb;
    v_journals jsonb;
    v_journal_checks text[];
    v_rows integer := 0;
BEGIN
    -- Ledger by ledger: the balance steps that would set a stored balance to the ledger
    -- (resync) or the ledger to a stored balance (adjust). Either is right only when the
    -- ledger is internally consistent: its running balance unbroken, its journals balanced.
    FOR v_ledger IN SELECT DISTINCT l.* FROM _recon.fix_stage AS s
                    JOIN _recon.check_def AS c ON c.name = s.check_name
                    JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
                    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
                      AND s.strategy IN ('resync', 'adjust')
                    ORDER BY l.name LOOP
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        -- the ledger's legs, as the checks count them (_recon.legs_sql), under canonical names
        v_legs := _recon.legs(v_ledger);
        v_key_type := _recon.column_type(v_wallet.relid, v_wallet.key_column);
        v_keys := ARRAY(SELECT DISTINCT s.wallet_key FROM _recon.fix_stage AS s
                        JOIN _recon.check_def AS c ON c.name = s.check_name
                        WHERE s.stage_id = p_stage AND s.kind = 'balance'
                          AND s.status = 'planned' AND s.strategy IN ('resync', 'adjust')
                          AND c.ledger_source = v_ledger.name AND s.wallet_key IS NOT NULL);
        -- The running balance follows one column (as recon.fix posts it): the chain check's,
        -- else the first the ledger moves.
        v_chain := NULL;
        v_breaks := '{}';
        IF v_ledger.balance_after_column IS NOT NULL THEN
            v_chain := COALESCE(
                (SELECT c.options ->> 'column' FROM _recon.check_def AS c
                 WHERE c.kind = 'chain' AND c.ledger_source = v_ledger.name
                 ORDER BY c.name LIMIT 1),
                (SELECT b FROM unnest(v_wallet.balance_columns) AS b
                 WHERE v_ledger.effects ? b LIMIT 1));
            -- Each wallet's breaks, in entry order: balance_after <> the previous one plus the
            -- entry's effect (from 0). A break the next entry cancels is one running balance
            -- recorded wrong; one it does not is a gap of exactly what the ledger lost there.
            v_breaks := _recon.fix_evidence_breaks(v_ledger, v_legs, v_chain, v_keys, v_key_type);
        END IF;

        -- Unbalanced journals, as the ledger's enabled journal checks last found them and as
        -- they are now: each with its imbalance in effect on every balance column, and its
        -- wallets. Only those journals are read (never the whole ledger).
        v_journals := '[]';
        v_journal_checks := ARRAY(SELECT c.name FROM _recon.check_def AS c
                                  WHERE c.kind = 'journal' AND c.enabled
                                    AND c.ledger_source = v_ledger.name ORDER BY c.name);
        IF v_ledger.journal_column IS NOT NULL AND cardinality(v_journal_checks) > 0 THEN
            v_journals := _recon.fix_evidence_journals(v_ledger, v_legs, v_wallet,
                                                       v_journal_checks);
        END IF;

        -- Which of those journals sit where each wallet's running balance breaks.
        v_breaks := _recon.fix_evidence_placed(v_ledger, v_legs, v_breaks, v_journals,
                                               v_key_type);

        -- The verdict per step.
        v_rows := v_rows + _recon.fix_evidence_record(p_stage, v_ledger, v_chain,
                                                      v_journal_checks, v_breaks, v_journals);
    END LOOP;
    -- A restored entry belongs in its journal: an INSERT writer without a journal template
    -- does not write the journal column.
    PERFORM _recon.fix_evidence_unjournaled(p_stage);
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence(bigint) IS
'Chooses, on the ledger''s evidence, how recon.fix() repairs each balance finding of a staged '
'plan it would resync or adjust: reads the wallet''s running balance (breaks, and whether a '
'break is a gap of exactly the drift or a misrecorded balance) and the ledger''s unbalanced '
'journals (those its journal checks found, re-read now). A consistent ledger, or one that '
'keeps neither (evidence: no ledger evidence available), keeps the strategy; a ledger that '
'lost one entry of exactly the drift, in the one journal lacking exactly it, gets it restored '
'(strategy restore: one entry, no offset side, stored balance unchanged); anything else is '
'manual, its note naming the evidence. Sets each step''s evidence. Returns the steps judged.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence(bigint) FROM PUBLIC;
