"""The repeatable layer: functions/, views/ and triggers/ re-applied when they change.

Each file is applied as-is. The objects it defines are found by comparing the
catalog before and after (so a file may hold a function and its triggers), and
for each object an md5 of its catalog definition (body, ACL, owner, comment) is
recorded. ``status`` compares those fingerprints with the live catalog, so a
function edited by hand in the database shows up even though the file did not
change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import psycopg
from psycopg import sql

from migrator.resources import RepeatableFile

TOOLKIT_SCHEMAS = ("recon", "_recon", "_recon_guard")

# Every function, view and trigger in the toolkit's schemas (and every event trigger calling
# one of their functions), with a fingerprint of
# its definition, named as pg_identify_object names it ("<type> <identity>"), which
# is also what follows DROP. Extension members are not ours. Rendering the definitions is
# most of the cost: %(oids)s, when not NULL, names the objects that get a fingerprint, and
# %(skip)s the objects that do not (the others get NULL).
_CATALOG_SQL = r"""
WITH nsp AS (
    SELECT n.oid FROM pg_catalog.pg_namespace AS n WHERE n.nspname = ANY(%(schemas)s)
), objs AS (
    SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass AS classid, p.oid AS objid,
           CASE WHEN (%(oids)s::oid[] IS NULL OR p.oid = ANY(%(oids)s::oid[]))
                     AND p.oid <> ALL(%(skip)s::oid[]) THEN
           pg_catalog.concat_ws(E'\n',
               CASE WHEN p.prokind = 'a' THEN p.oid::pg_catalog.regprocedure::text
                    ELSE pg_catalog.pg_get_functiondef(p.oid) END,
               p.proacl::text, pg_catalog.pg_get_userbyid(p.proowner),
               pg_catalog.obj_description(p.oid, 'pg_proc')) END AS def
    FROM pg_catalog.pg_proc AS p WHERE p.pronamespace IN (SELECT oid FROM nsp)
    UNION ALL
    SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid,
           CASE WHEN (%(oids)s::oid[] IS NULL OR c.oid = ANY(%(oids)s::oid[]))
                     AND c.oid <> ALL(%(skip)s::oid[]) THEN
           pg_catalog.concat_ws(E'\n', pg_catalog.pg_get_viewdef(c.oid), c.relacl::text,
               c.reloptions::text, pg_catalog.pg_get_userbyid(c.relowner),
               pg_catalog.obj_description(c.oid, 'pg_class'),
               (SELECT pg_catalog.string_agg(
                           a.attname || ':' || pg_catalog.col_description(c.oid, a.attnum),
                           ',' ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = c.oid AND a.attnum > 0
                  AND pg_catalog.col_description(c.oid, a.attnum) IS NOT NULL),
               (SELECT pg_catalog.string_agg(a.attname || ':' || a.attacl::text, ','
                                             ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL)) END
    FROM pg_catalog.pg_class AS c
    WHERE c.relnamespace IN (SELECT oid FROM nsp) AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, t.oid,
           CASE WHEN (%(oids)s::oid[] IS NULL OR t.oid = ANY(%(oids)s::oid[]))
                     AND t.oid <> ALL(%(skip)s::oid[]) THEN
           pg_catalog.concat_ws(E'\n', pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text,
               pg_catalog.obj_description(t.oid, 'pg_trigger')) END
    FROM pg_catalog.pg_trigger AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
    WHERE NOT t.tgisinternal AND c.relnamespace IN (SELECT oid FROM nsp)
    UNION ALL
    SELECT 'pg_catalog.pg_event_trigger'::pg_catalog.regclass, e.oid,
           CASE WHEN (%(oids)s::oid[] IS NULL OR e.oid = ANY(%(oids)s::oid[]))
                     AND e.oid <> ALL(%(skip)s::oid[]) THEN
           pg_catalog.concat_ws(E'\n', e.evtevent, e.evttags::text, e.evtenabled::text,
               e.evtfoid::pg_catalog.regprocedure::text,
               pg_catalog.obj_description(e.oid, 'pg_event_trigger')) END
    FROM pg_catalog.pg_event_trigger AS e JOIN pg_catalog.pg_proc AS p ON p.oid = e.evtfoid
    WHERE p.pronamespace IN (SELECT oid FROM nsp)
)
SELECT pg_catalog.format('%%s %%s', i.type, i.identity), pg_catalog.md5(o.def),
       o.classid::oid, o.objid
FROM objs AS o
CROSS JOIN LATERAL pg_catalog.pg_identify_object(o.classid, o.objid, 0) AS i
WHERE NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend AS d
    WHERE d.classid = o.classid AND d.objid = o.objid AND d.deptype = 'e'
)
"""

# Objects are dropped dependents first: triggers, then views, then functions.
_DROP_RANK = {"event trigger": 0, "trigger": 0, "view": 1, "materialized view": 1}


@dataclass(frozen=True)
class Live:
    fingerprint: str | None  # None: not asked for (catalog's `oids`)
    classid: int
    objid: int


def catalog(cur: psycopg.Cursor, oids: Iterable[int] | None = None,
            skip: Iterable[int] = ()) -> dict[str, Live]:
    """Toolkit functions, views and triggers now in the database, by "<type> <identity>".

    Definitions are rendered with search_path = pg_catalog so that every name in them
    is schema-qualified and the fingerprint does not depend on the caller's path. With
    `oids`, only the objects of those oids get a fingerprint, and with `skip`, not those
    (the others None; all are listed): an install applies hundreds of files and looks at the
    catalog around each one, and rendering every definition each time made most of its time.
    """
    cur.execute("SELECT pg_catalog.current_setting('search_path')")
    saved = cur.fetchone()[0]
    cur.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)")
    try:
        cur.execute(_CATALOG_SQL, {"schemas": list(TOOLKIT_SCHEMAS),
                                   "oids": None if oids is None else list(oids),
                                   "skip": list(skip)})
        return {name: Live(fp, classid, objid) for name, fp, classid, objid in cur.fetchall()}
    finally:
        cur.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (saved,))


def fingerprinted(cur: psycopg.Cursor, live: dict[str, Live],
                  names: Iterable[str]) -> dict[str, Live]:
    """`live` with the named objects' fingerprints as they are now. For a `live` read in this
    transaction since which no toolkit object was created or dropped (names and oids still
    hold; definitions, owners, grants and comments may have changed)."""
    oids = [live[n].objid for n in names if n in live]
    if not oids:
        return live
    return catalog(cur, oids)


@dataclass(frozen=True)
class Recorded:
    path: str
    order: int
    checksum: str
    objects: list[str]
    fingerprints: dict[str, str]


def recorded(cur: psycopg.Cursor) -> dict[str, Recorded]:
    cur.execute("SELECT pg_catalog.to_regclass('_recon.migrator_object') IS NOT NULL")
    if not cur.fetchone()[0]:
        return {}
    cur.execute(
        "SELECT path, apply_order, checksum, objects, fingerprints"
        " FROM _recon.migrator_object ORDER BY apply_order, path"
    )
    return {r[0]: Recorded(r[0], r[1], r[2], list(r[3]), dict(r[4])) for r in cur.fetchall()}


def moved(recs: dict[str, Recorded], files: Sequence[RepeatableFile]) -> dict[str, str]:
    """Files moved within their directory since they were applied (functions/x.sql to
    functions/fix/x.sql): new path -> recorded path. A file is one object set, whatever
    folder it sits in: a move alone must not drop and create its objects (a view or a
    trigger depending on them would make the DROP fail)."""
    paths = {f.path for f in files}
    gone: dict[tuple[str, str], list[str]] = {}
    for p in recs:
        if p not in paths:
            gone.setdefault((p.split("/", 1)[0], p.rsplit("/", 1)[-1]), []).append(p)
    out = {}
    for f in files:
        key = (f.path.split("/", 1)[0], f.path.rsplit("/", 1)[-1])
        if f.path not in recs and len(gone.get(key, [])) == 1:
            out[f.path] = gone[key][0]
    return out


def by_file(recs: dict[str, Recorded], files: Sequence[RepeatableFile]) -> dict[str, Recorded]:
    """The records keyed by the package's paths: a moved file's under its new path."""
    out = dict(recs)
    for new, old in moved(recs, files).items():
        out[new] = replace(out.pop(old), path=new)
    return out


# States of a repeatable file, as `status` prints them.
CURRENT = "current"
CHANGED = "changed on disk"
MISSING = "missing"
MODIFIED = "modified in database"
REMOVED = "removed from package"


def state(file: RepeatableFile | None, rec: Recorded | None, live: dict[str, Live]) -> str:
    if file is None:
        return REMOVED
    if rec is None or any(o not in live for o in rec.objects):
        return MISSING
    if rec.checksum != file.checksum:
        return CHANGED
    if any(live[o].fingerprint != fp for o, fp in rec.fingerprints.items()):
        return MODIFIED
    return CURRENT


_KINDS = ("materialized view", "view", "function", "procedure", "aggregate", "event trigger",
          "trigger")


def split(obj: str) -> tuple[str, str]:
    """ "function recon.version()" -> ("function", "recon.version()")."""
    for kind in _KINDS:
        if obj.startswith(kind + " "):
            return kind, obj[len(kind) + 1:]
    raise ValueError(f"unexpected object kind: {obj}")


def _rank(obj: str) -> int:
    return next((r for t, r in _DROP_RANK.items() if obj.startswith(t + " ")), 2)


def drop_all(cur: psycopg.Cursor, recs: Sequence[Recorded]) -> list[str]:
    """Drop every object of the given files, last-applied first. Returns their paths.

    Within a file: triggers, then views, then functions, newest (highest oid) first. The
    names come from pg_identify_object (quoted, qualified) and are used only when the
    object is in the catalog right now. Never CASCADE: a user's object depending on one of
    ours makes the DROP fail, and the whole transaction with it.
    """
    live = catalog(cur, ())
    for rec in sorted(recs, key=lambda r: r.order, reverse=True):
        present = [o for o in rec.objects if o in live]
        for obj in sorted(present, key=lambda o: (_rank(o), -live[o].objid)):
            cur.execute(f"DROP {obj}".encode())
        cur.execute("DELETE FROM _recon.migrator_object WHERE path = %s", (rec.path,))
    return [r.path for r in recs]


# How to name an object's kind in GRANT/REVOKE and ALTER ... OWNER.
_PRIVILEGE_TARGET = {"function": "FUNCTION", "procedure": "PROCEDURE", "aggregate": "FUNCTION",
                     "view": "TABLE", "materialized view": "TABLE"}
_OWNER_TARGET = {"function": "FUNCTION", "procedure": "PROCEDURE", "aggregate": "AGGREGATE",
                 "view": "VIEW", "materialized view": "MATERIALIZED VIEW"}


def reset_privileges(cur: psycopg.Cursor, objects: Iterable[str], live: dict[str, Live]) -> None:
    """Give the objects back to the schema owner and revoke every grant on them.

    CREATE OR REPLACE keeps an object's owner and ACL, so without this a grant or an owner
    change made by hand would survive re-applying the file. The file then grants what it
    means to grant.
    """
    for obj in objects:
        if obj not in live:
            continue
        kind, identity = split(obj)
        if kind not in _OWNER_TARGET:
            continue  # triggers have no owner or ACL of their own
        rel, nsp, acl, owner_col = (("pg_class", "relnamespace", "relacl", "relowner")
                                    if kind in ("view", "materialized view")
                                    else ("pg_proc", "pronamespace", "proacl", "proowner"))
        names = {"rel": sql.Identifier("pg_catalog", rel), "nsp": sql.Identifier(nsp),
                 "acl": sql.Identifier(acl), "owner": sql.Identifier(owner_col)}
        cur.execute(sql.SQL(
            "SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(n.nspowner))"
            " FROM {rel} AS o JOIN pg_catalog.pg_namespace AS n ON n.oid = o.{nsp}"
            " WHERE o.oid = %s").format(**names), (live[obj].objid,))
        owner = cur.fetchone()[0]
        cur.execute(f"ALTER {_OWNER_TARGET[kind]} {identity} OWNER TO {owner}".encode())
        # Everyone but the owner (whose own entry ALTER OWNER has just rewritten).
        cur.execute(sql.SQL(
            "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE"
            " pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END"
            " FROM {rel} AS o, pg_catalog.aclexplode(o.{acl}) AS a"
            " WHERE o.oid = %s AND a.grantee <> o.{owner}").format(**names), (live[obj].objid,))
        for (grantee,) in cur.fetchall():
            cur.execute(f"REVOKE ALL ON {_PRIVILEGE_TARGET[kind]} {identity} FROM {grantee}"
                        .encode())


def _rewritten(cur: psycopg.Cursor, obj: Live) -> bool:
    """Whether this transaction (or a savepoint in it) wrote the object's pg_proc row.

    A subtransaction's xid comes after its parent's, so a row this transaction wrote is not
    older than it: age() is zero or negative. A row from an earlier transaction is older.
    """
    cur.execute("SELECT pg_catalog.age(p.xmin) <= 0"
                " FROM pg_catalog.pg_proc AS p WHERE p.oid = %s", (obj.objid,))
    row = cur.fetchone()
    return bool(row and row[0])


def apply(cur: psycopg.Cursor, file: RepeatableFile, rec: Recorded | None,
          before: dict[str, Live]) -> tuple[list[str], dict[str, Live]]:
    """Run one file and record what it defines. `before` is the catalog now (names and oids
    are enough). Returns the objects the file defines, and the catalog after it (names and
    oids, and those objects' fingerprints).

    Call inside a REPEATABLE READ transaction: the before/after catalog comparison must see
    only this transaction's own changes, never an object another session creates meanwhile.
    """
    if rec:
        reset_privileges(cur, rec.objects, before)
    cur.execute(file.sql.encode("utf-8"))
    # fingerprints of what the file may define: all but what was there and was not its own
    mine = set(rec.objects) if rec else set()
    after = catalog(cur, skip=[v.objid for o, v in before.items() if o not in mine])
    kept = [o for o in (rec.objects if rec else []) if o in after]
    # A function the file used to define and no longer does (a changed signature leaves the
    # old one behind: CREATE OR REPLACE only replaces its own) was not rewritten by this
    # transaction. It goes, or calls to the new one could become ambiguous.
    stale = [o for o in kept if o.startswith(("function ", "procedure ", "aggregate "))
             and not _rewritten(cur, after[o])]
    if stale:
        drop_all(cur, [Recorded(file.path, file.order, "", stale, {})])
        after = catalog(cur, ())
        kept = [o for o in kept if o not in stale]
    objects = kept + sorted(set(after) - set(before) - set(kept))
    if not objects:
        raise ValueError(
            f"{file.path} defines no function, view or trigger in schema recon or _recon"
        )
    if any(after[o].fingerprint is None for o in objects):  # e.g. renamed by the file
        after = fingerprinted(cur, after, objects)
    cur.execute(
        """
        INSERT INTO _recon.migrator_object AS m
            (path, apply_order, checksum, objects, fingerprints, applied_at)
        VALUES (%s, %s, %s, %s, %s, pg_catalog.now())
        ON CONFLICT (path) DO UPDATE
        SET apply_order = excluded.apply_order, checksum = excluded.checksum,
            objects = excluded.objects, fingerprints = excluded.fingerprints,
            applied_at = excluded.applied_at
        """,
        (
            file.path,
            file.order,
            file.checksum,
            objects,
            json.dumps({o: after[o].fingerprint for o in objects}),
        ),
    )
    return objects, after
