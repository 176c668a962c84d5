"""The matrix: the core test set (`pytest -m core`) on every supported PostgreSQL major, in
databases of every server encoding and locale. Run by scripts/matrix, which fetches the
binaries first (scripts/setup --matrix).

One throwaway cluster per major (Debian's 15, the others from .cache/pg/<major>); each cell
(major x encoding/locale) is one pytest process on that cluster (WALLET_RECON_TEST_DSN) whose
every database has the cell's encoding and locale (WALLET_RECON_TEST_ENCODING/_LOCALE,
tests/conftest.py). Cells run --jobs at a time. A major without binaries, a cell that fails,
skips or runs nothing: the matrix fails. Prints the result table, and writes it (Markdown) to
--table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrator.cluster import ThrowawayCluster  # noqa: E402
from migrator.connection import MigratorError  # noqa: E402

MAJORS = ["14", "15", "16", "17", "18"]
# name: (encoding, locale). The C locale, a UTF-8 libc locale, and the two legacy encodings
# run by default; UTF8/C and an ICU database (PostgreSQL 15 and later) on request (--variants).
VARIANTS = {
    "UTF8/C.UTF-8": ("UTF8", "C.UTF-8"),
    "SQL_ASCII/C": ("SQL_ASCII", "C"),
    "LATIN1/C": ("LATIN1", "C"),
    "UTF8/C": ("UTF8", "C"),
    "UTF8/icu:en": ("UTF8", "icu:en"),
}
DEFAULT_VARIANTS = ["UTF8/C.UTF-8", "SQL_ASCII/C", "LATIN1/C"]
VARIANT_FOR_MAJOR_TESTS = "UTF8/C.UTF-8"
NOT_BEFORE = {"UTF8/icu:en": 15}  # ICU databases came in PostgreSQL 15
# The main suite (scripts/test) runs all of it, extensions included, on Debian's 15 in UTF8
# under C.UTF-8: the matrix does not repeat that cell unless asked to (--variants).
MAIN_SUITE = ("15", "UTF8/C.UTF-8")
PG_DUMP = ROOT / ".cache" / "pg" / "client" / "bin" / "pg_dump"


def bindir(major: str) -> Path:
    """Debian's server for its own major (the main suite's), the fetched one for the others."""
    debian = Path(f"/usr/lib/postgresql/{major}/bin")
    if (debian / "initdb").is_file():
        return debian
    return ROOT / ".cache" / "pg" / major / "bin"


@dataclass
class Cell:
    major: str
    variant: str
    status: str = "not run"
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def text(self) -> str:
        if self.status in ("pass", "FAIL") and self.counts:
            c = self.counts
            bad = ", ".join(f"{c[k]} {k}" for k in ("failed", "errors", "skipped") if c.get(k))
            return (f"{self.status} {c['passed']}/{c['tests']}" + (f" ({bad})" if bad else "")
                    + f", {self.seconds:.0f} s")
        return self.status


def marker_expression(variant: str) -> str:
    """The core set in every cell; the tests of what differs by major (-m major) once per major,
    in its UTF8 cell (VARIANT_FOR_MAJOR_TESTS): encodings do not change them, and running them
    in every encoding would not fit CI's 30 minutes."""
    return "core or major" if variant == VARIANT_FOR_MAJOR_TESTS else "core"


def run_cell(cell: Cell, dsn: str, logdir: Path, pytest_args: list[str]) -> Cell:
    encoding, locale = VARIANTS[cell.variant]
    slug = f"{cell.major}-{cell.variant.replace('/', '-').replace(':', '-')}"
    cell.log = logdir / f"{slug}.log"
    junit = logdir / f"{slug}.xml"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "WALLET_RECON_TEST_DSN": dsn,
        "WALLET_RECON_TEST_ENCODING": encoding,
        "WALLET_RECON_TEST_LOCALE": locale,
        "PG_BINDIR": str(bindir(cell.major)),
        "WALLET_RECON_PG_DUMP": str(PG_DUMP),
    }
    t0 = time.monotonic()
    with open(cell.log, "w") as log:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-m", marker_expression(cell.variant), "-n", "0",
             "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", *pytest_args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    cell.seconds = time.monotonic() - t0
    if junit.exists():
        suite = ET.parse(junit).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
        counts["failed"] = counts.pop("failures")
        counts["passed"] = (counts["tests"] - counts["failed"] - counts["errors"]
                            - counts["skipped"])
        cell.counts = counts
    good = (proc.returncode == 0 and cell.counts.get("tests", 0) > 0
            and cell.counts["passed"] == cell.counts["tests"])
    cell.status = "pass" if good else "FAIL"
    return cell


def table(cells: list[Cell], majors: list[str], variants: list[str]) -> str:
    by = {(c.major, c.variant): c for c in cells}
    if MAIN_SUITE not in by and MAIN_SUITE[0] in majors and MAIN_SUITE[1] in variants:
        main = Cell(*MAIN_SUITE, status="the main suite (scripts/test)")
        by[MAIN_SUITE] = main
    lines = ["| major | " + " | ".join(variants) + " |",
             "|---|" + "---|" * len(variants)]
    for m in majors:
        row = [by[(m, v)].text() if (m, v) in by else f"n/a (needs {NOT_BEFORE[v]})"
               for v in variants]
        lines.append(f"| {m} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--majors", default=",".join(MAJORS), help="comma-separated (default: all)")
    ap.add_argument("--variants", help=f"comma-separated, of {', '.join(VARIANTS)} (default: "
                    f"{', '.join(DEFAULT_VARIANTS)}, without 15 {MAIN_SUITE[1]}: the main suite's)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="cells at a time (default 2)")
    ap.add_argument("--logdir", type=Path, default=ROOT / ".cache" / "matrix")
    ap.add_argument("--table", type=Path, help="also write the result table (Markdown) here")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = ap.parse_args()
    majors = args.majors.split(",")
    variants = args.variants.split(",") if args.variants else DEFAULT_VARIANTS
    unknown = [v for v in variants if v not in VARIANTS] + [m for m in majors if m not in MAJORS]
    if unknown:
        ap.error(f"unknown: {', '.join(unknown)}")
    args.logdir.mkdir(parents=True, exist_ok=True)
    if not PG_DUMP.is_file():
        print(f"matrix: {PG_DUMP} is missing: run scripts/setup --matrix", file=sys.stderr)
        return 2

    t0 = time.monotonic()
    clusters: dict[str, ThrowawayCluster] = {}
    cells: list[Cell] = []
    failed_majors: list[str] = []
    try:
        for m in majors:
            major_cells = [Cell(m, v) for v in variants if int(m) >= NOT_BEFORE.get(v, 0)
                           and (args.variants or (m, v) != MAIN_SUITE)]
            try:
                if not (bindir(m) / "initdb").is_file():
                    raise MigratorError(f"no server binaries in {bindir(m)} "
                                        "(scripts/setup --matrix fetches them)")
                cluster = ThrowawayCluster(bindir=bindir(m))
                cluster.start()
                clusters[m] = cluster
                version = subprocess.run([str(bindir(m) / "postgres"), "--version"],
                                         capture_output=True, text=True).stdout.strip()
                if f" {m}." not in version:
                    raise MigratorError(f"{bindir(m)}/postgres is {version!r}, not {m}")
                print(f"matrix: {version} from {bindir(m)} on {cluster.dsn}", flush=True)
            except MigratorError as exc:
                print(f"matrix: PostgreSQL {m}: {exc}", file=sys.stderr)
                failed_majors.append(m)
                for c in major_cells:
                    c.status = "FAIL (no server)"
            cells += major_cells

        # The longest cells first (each major's UTF8 cell, which runs the major tests too), so
        # that the last cells to start are short ones and both jobs end at about the same time.
        todo = sorted((c for c in cells if c.major in clusters),
                      key=lambda c: c.variant != VARIANT_FOR_MAJOR_TESTS)
        pool = ThreadPoolExecutor(max_workers=args.jobs)
        try:
            futures = [pool.submit(run_cell, c, clusters[c.major].dsn, args.logdir,
                                   args.pytest_args) for c in todo]
            for f in futures:
                c = f.result()
                print(f"matrix: {c.major} {c.variant}: {c.text()} (log: {c.log})", flush=True)
        finally:  # Ctrl-C: no new cell starts (the running ones get the SIGINT too)
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        for cluster in clusters.values():
            cluster.stop()

    elapsed = time.monotonic() - t0
    result = table(cells, majors, variants)
    ok = all(c.ok for c in cells) and not failed_majors
    summary = (f"{sum(c.ok for c in cells)} of {len(cells)} cells passed, "
               f"{sum(c.counts.get('passed', 0) for c in cells)} tests, in {elapsed / 60:.1f} min "
               f"with {args.jobs} job(s)")
    print(f"\n{result}\n\nmatrix: {'OK' if ok else 'FAILED'}: {summary}")
    if args.table:
        args.table.write_text(f"{result}\n\n{summary}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
