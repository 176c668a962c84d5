"""Formatting for the operator commands: terminal tables, Markdown, and the HTML report.

Tables come from ``tabulate`` (terminal: ``simple``, Markdown: ``github``); the HTML report is
a Jinja2 template with autoescaping (wallet keys and causes are user data) and inline SVG
charts, so the file is self-contained: no script, no stylesheet or font from elsewhere.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from tabulate import tabulate

from migrator.ops import SEVERITIES, CheckResult, Report

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def amount(value: Any) -> str:
    """An exact amount with thousands separators; NaN and NULL said as such."""
    if value is None:
        return "NULL"
    if isinstance(value, Decimal):
        return "NaN" if value.is_nan() else f"{value:,f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _cell(value: Any, markdown: bool) -> str:
    text = amount(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) \
        else ("" if value is None else str(value))
    text = text.replace("\n", " ")
    if markdown:
        text = text.replace("|", "\\|")
    return text


def table(rows: Iterable[Iterable[Any]], headers: list[str], *, markdown: bool = False,
          numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    body = [[_cell(v, markdown) for v in row] for row in rows]
    align = ["right" if i in numeric else "left" for i in range(len(headers))]
    return tabulate(body, headers=headers, tablefmt="github" if markdown else "simple",
                    colalign=align, disable_numparse=True)


def _heading(text: str, markdown: bool, level: int = 3) -> str:
    return f"{'#' * level} {text}" if markdown else text


def run_line(summary: dict[str, Any]) -> str:
    """One line about a run, from recon.reconcile()'s summary."""
    if summary.get("status") == "synced":
        state = f"synced: nothing found by {len(summary.get('checks') or [])} check(s)"
    else:
        state = (f"discrepancy: {summary['findings']} finding(s) on {summary['wallets']} "
                 f"wallet(s), max severity {summary['max_severity']}")
    extra = [f"{summary[k]} {k}" for k in ("new", "resolved", "acknowledged")
             if summary.get(k)]
    return (f"run {summary['run_id']} ({summary.get('mode', 'full')}, "
            f"{summary.get('duration_ms', '?')} ms): {state}"
            + (f"; {', '.join(extra)}" if extra else ""))


def severity_table(by_severity: dict[str, Any], markdown: bool = False) -> str:
    rows = [(s, by_severity[s]["findings"], by_severity[s]["amount"])
            for s in reversed(SEVERITIES) if s in by_severity]
    return table(rows, ["severity", "findings", "amount"], markdown=markdown, numeric=(1, 2))


def check_table(by_check: dict[str, Any], markdown: bool = False) -> str:
    """The checks that found something; the others in one line."""
    rows = [(name, v.get("max_severity") or "-", v["findings"], v["amount"])
            for name, v in sorted(by_check.items()) if v["findings"]]
    text = table(rows, ["check", "max severity", "findings", "amount"], markdown=markdown,
                 numeric=(2, 3))
    quiet = len(by_check) - len(rows)
    return text + (f"\n\n{quiet} other check(s): nothing found" if quiet else "")


def findings(rows: list[dict[str, Any]], *, limit: int, markdown: bool = False,
             with_state: bool = False) -> str:
    """Findings grouped by severity and check (rows come sorted), at most ``limit`` per group."""
    out: list[str] = []
    for (severity, check_name), group_iter in itertools.groupby(
            rows, key=lambda r: (r["severity"], r["check_name"])):
        group = list(group_iter)
        total = sum((r["difference"].copy_abs() for r in group
                     if r["difference"] is not None and not r["difference"].is_nan()),
                    Decimal(0))
        currency = group[0].get("currency") or ""
        out.append(_heading(f"{severity} · {check_name} · {len(group)} finding(s) · "
                            f"{amount(total)} {currency}".rstrip(), markdown))
        shown = group if limit <= 0 else group[:limit]
        headers = ["finding", "wallet", "stored", "expected", "difference", "cause"]
        if with_state:
            headers.append("state")
        body = []
        for r in shown:
            line = [r["finding_id"], r["wallet_key"] if r["wallet_key"] is not None else "-",
                    r["stored"], r["expected"], r["difference"], r["cause"] or ""]
            if with_state:
                line.append(r["state"])
            body.append(line)
        text = table(body, headers, markdown=markdown, numeric=(2, 3, 4))
        out.append(text if markdown else _indent(text))
        if len(group) > len(shown):
            out.append(f"... and {len(group) - len(shown)} more (--limit 0 shows all)")
        out.append("")
    return "\n".join(out).rstrip()


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def check_text(result: CheckResult, *, limit: int, markdown: bool = False) -> str:
    s = result.summary
    parts = ([_heading("wallet-recon check", markdown, 2), ""] if markdown else []) \
        + [run_line(s), ""]
    if s.get("by_severity"):
        parts += [severity_table(s["by_severity"], markdown), ""]
    if s.get("status") != "synced":
        parts += [check_table(s["by_check"], markdown), ""]
    if result.findings:
        parts += [f"open findings of the checks that ran ({len(result.findings)}):", "",
                  findings(result.findings, limit=limit, markdown=markdown), ""]
    if result.failing:
        parts.append(f"FAIL: {result.failing} open finding(s) at or above {result.fail_on}; "
                     f"`wallet-recon fix {s['run_id']}` plans their repair")
    else:
        parts.append(f"OK: nothing open at or above {result.fail_on}")
    return "\n".join(parts).strip()


def history_table(runs: list[dict[str, Any]], markdown: bool = False) -> str:
    rows = [(r["id"], r["started_at"].strftime("%Y-%m-%d %H:%M:%S"), r["mode"], r["status"],
             r["findings"], r["new_findings"], r["resolved_findings"], r["max_severity"] or "-",
             (r["summary"] or {}).get("duration_ms"))
            for r in runs]
    return table(rows, ["run", "started", "mode", "status", "findings", "new", "resolved",
                        "max severity", "ms"], markdown=markdown, numeric=(0, 4, 5, 6, 8))


def report_text(rep: Report, *, limit: int, markdown: bool = False) -> str:
    s = rep.run["summary"] or {}
    parts = [_heading(f"wallet-recon report: run {rep.run['id']}", markdown, 2) if markdown
             else f"wallet-recon report: run {rep.run['id']}", "",
             f"started {rep.run['started_at']:%Y-%m-%d %H:%M:%S %Z} by {rep.run['started_by']}",
             run_line(s) if s else f"run {rep.run['id']}: {rep.run['status']}", ""]
    if s.get("by_severity"):
        parts += [_heading("by severity", markdown), "", severity_table(s["by_severity"],
                                                                          markdown), ""]
    if s.get("by_check"):
        parts += [_heading("by check", markdown), "", check_table(s["by_check"], markdown), ""]
    if rep.findings:
        parts += [_heading(f"findings of run {rep.run['id']} (state: as of now)", markdown), "",
                  findings(rep.findings, limit=limit, markdown=markdown, with_state=True), ""]
    parts += [_heading(f"recent runs (last {len(rep.history)})", markdown), "",
              history_table(rep.history, markdown)]
    return "\n".join(parts).strip()


def _steps_line(steps: list[dict[str, Any]], applied: bool) -> str:
    """'N step(s): a applied, b manual' (and, for a dry run, that nothing was written)."""
    counts = Counter(s["status"] for s in steps)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{len(steps)} step(s): {summary}" + ("" if applied else " (dry run: nothing written)")


def _changes(steps: list[dict[str, Any]], applied: bool) -> str:
    """What the plan (or what was applied) changes, per currency and column: the stored
    balances (offset wallets included) and the ledger's effects. Amounts are never added
    across currencies."""
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for s in steps:
        if s["status"] not in ("planned", "applied"):
            continue
        for i, key in enumerate(("stored_change", "ledger_change")):
            for col, value in (s.get(key) or {}).items():
                pair = totals.setdefault((s.get("currency") or "-", col), [Decimal(0)] * 2)
                pair[i] += Decimal(str(value))
    if not totals:
        return ""
    lines = [f"{'applied' if applied else 'planned'} change per currency and column "
             "(stored balances, offset wallets included | ledger effects):"]
    lines += [f"  {currency} {col}: {stored:+,f} | {ledger:+,f}"
              for (currency, col), (stored, ledger) in sorted(totals.items())]
    return "\n" + "\n".join(lines)


def fix_text(steps: list[dict[str, Any]], *, applied: bool, markdown: bool = False) -> str:
    if not steps:
        return "nothing to fix: no open finding matches"
    rows = [(s["step"], s["check_name"], s["wallet_key"] or "-", s["strategy"], s["amount"],
             len(s["entries"] or []), s["status"], s.get("repair_id") or "",
             s["note"] or "") for s in steps]
    text = table(rows, ["step", "check", "wallet", "strategy", "amount", "entries", "status",
                        "audit id", "note"], markdown=markdown, numeric=(0, 4, 5, 7))
    return f"{text}\n\n{_steps_line(steps, applied)}{_changes(steps, applied)}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def plan_summary(steps: list[dict[str, Any]], *, applied: bool) -> str:
    """recon.fix()'s steps in one line per check, strategy and status."""
    if not steps:
        return "nothing to fix: no open finding matches"
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for s in steps:
        groups.setdefault((s["check_name"], s["strategy"], s["status"]), []).append(s)
    rows = []
    for (check_name, strategy, status), group in sorted(groups.items()):
        total = sum((Decimal(str(s["amount"])) for s in group if s["amount"] is not None),
                    Decimal(0))
        ids = [s["repair_id"] for s in group if s.get("repair_id")]
        rows.append((check_name, strategy, status, len(group), total,
                     sum(len(s["entries"] or []) for s in group),
                     f"{min(ids)}-{max(ids)}" if len(ids) > 1 else (ids[0] if ids else ""),
                     _shorten(group[0]["note"] or "", 60)))
    text = table(rows, ["check", "strategy", "status", "steps", "amount", "entries",
                        "audit ids", "note (first step)"], numeric=(3, 4, 5))
    return f"{text}\n\n{_steps_line(steps, applied)}{_changes(steps, applied)}"


# -- HTML --------------------------------------------------------------------------------------

_SEVERITY_COLOURS = {"LOW": "#8fb3d9", "MEDIUM": "#e6b54a", "HIGH": "#e07b39",
                     "CRITICAL": "#c0392b"}


def _bars(items: list[tuple[str, Decimal, str]], width: int = 560) -> dict[str, Any]:
    """Horizontal bars: (label, value, colour) scaled to the largest value."""
    top = max((v for _, v, _ in items), default=Decimal(0)) or Decimal(1)
    row_h, label_w = 26, 170
    bars = [{"label": label, "value": amount(v), "colour": colour, "y": i * row_h,
             "w": max(1, int((width - label_w - 110) * (v / top))) if v else 0}
            for i, (label, v, colour) in enumerate(items)]
    return {"bars": bars, "height": max(row_h, len(items) * row_h), "width": width,
            "label_w": label_w}


def _trend(runs: list[dict[str, Any]], width: int = 560, height: int = 180) -> dict[str, Any]:
    """Findings per run (bars) and amount (a line), oldest first."""
    runs = list(reversed(runs))
    pad_l, pad_b, pad_t = 40, 24, 12
    n = max(len(runs), 1)
    step = (width - pad_l - 10) / n
    amounts = [_total_amount(r) for r in runs]
    top_f = max((r["findings"] or 0 for r in runs), default=0) or 1
    top_a = max(amounts, default=Decimal(0)) or Decimal(1)
    plot_h = height - pad_b - pad_t
    points, bars = [], []
    for i, (r, a) in enumerate(zip(runs, amounts, strict=True)):
        x = pad_l + i * step
        h = plot_h * (r["findings"] or 0) / top_f
        bars.append({"x": round(x + step * 0.15, 1), "w": round(step * 0.7, 1),
                     "y": round(pad_t + plot_h - h, 1), "h": round(h, 1), "run": r["id"],
                     "findings": r["findings"], "amount": amount(a),
                     "colour": _SEVERITY_COLOURS.get(r["max_severity"] or "", "#7fbf7f")})
        points.append(f"{x + step / 2:.1f},{pad_t + plot_h - float(plot_h * a / top_a):.1f}")
    return {"bars": bars, "line": " ".join(points), "width": width, "height": height,
            "base": pad_t + plot_h, "top_findings": top_f, "top_amount": amount(top_a),
            "pad_l": pad_l}


def _total_amount(run: dict[str, Any]) -> Decimal:
    by = (run.get("summary") or {}).get("by_severity") or {}
    return sum((Decimal(str(v.get("amount") or 0)) for v in by.values()), Decimal(0))


def report_html(rep: Report, *, database: str, generated_at: str) -> str:
    env = Environment(loader=FileSystemLoader(_TEMPLATES),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["amount"] = amount
    s = rep.run["summary"] or {}
    by_sev = s.get("by_severity") or {}
    severity_chart = _bars([(sev, Decimal(str(by_sev[sev]["amount"])), _SEVERITY_COLOURS[sev])
                            for sev in reversed(SEVERITIES) if sev in by_sev])
    by_check = s.get("by_check") or {}
    check_chart = _bars([(name, Decimal(str(v["amount"])),
                          _SEVERITY_COLOURS.get(v.get("max_severity") or "", "#7fbf7f"))
                         for name, v in sorted(by_check.items())])
    return env.get_template("report.html.j2").render(
        run=rep.run, summary=s, findings=rep.findings, history=rep.history,
        severity_chart=severity_chart, check_chart=check_chart, trend=_trend(rep.history),
        colours=_SEVERITY_COLOURS, database=database, generated_at=generated_at,
        severities=list(reversed(SEVERITIES)))
