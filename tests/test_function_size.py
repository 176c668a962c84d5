"""Functions of one idea (issue 20, item 2): no installed function body is over 120 lines,
not counting blank lines and comments. The test lists the longest ones, so a failure says
where to look.

The allowlist below is temporary: each function in it is over the bound today and is being
split by the issue named beside it. When one is split, take it off the list (the test fails
for an entry that is no longer over the bound, so the list only shrinks).
"""

from __future__ import annotations

import psycopg

BOUND = 120

ALLOWED: dict[str, str] = {}

# Lines of each toolkit function's body (prosrc), without blank and comment-only lines.
SIZES = r"""
SELECT n.nspname || '.' || p.proname AS name,
       (SELECT count(*) FROM regexp_split_to_table(p.prosrc, E'\n') AS l (line)
        WHERE btrim(l.line) <> '' AND btrim(l.line) NOT LIKE '--%') AS lines
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
JOIN pg_language AS g ON g.oid = p.prolang
WHERE n.nspname IN ('recon', '_recon', '_recon_guard') AND g.lanname IN ('plpgsql', 'sql')
ORDER BY lines DESC, name
"""


def test_no_function_body_is_over_the_bound(conn: psycopg.Connection) -> None:
    sizes = conn.execute(SIZES).fetchall()
    longest = "\n".join(f"{n:5} {name}" for name, n in sizes[:15])
    print(f"the longest function bodies (lines, without blanks and comments):\n{longest}")
    over = {name: n for name, n in sizes if n > BOUND}
    assert sorted(set(over) - set(ALLOWED)) == [], (
        f"over {BOUND} lines: split them into phases, each a named function of one idea "
        f"(functions/fix/_fix_assess.sql is the model):\n{longest}")
    # an allowlisted function that was split comes off the list
    assert sorted(set(ALLOWED) - set(over)) == [], "no longer over the bound: remove from ALLOWED"
    assert len(sizes) > 100  # every function was measured
