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

from tabulate import tabulate

from migrator.connection import shell_dsn
from migrator.ops import SEVERITIES, CheckResult, Report

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def amount(value: Any, places: int | None = None) -> str:
    """An exact amount with thousands separators, padded to ``places`` decimals (a currency's
    scale; never rounded: more places than that are shown whole); NaN and NULL said as such."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return "NaN"
        if value.is_infinite():
            return "Infinity" if value > 0 else "-Infinity"
        if places is not None and _places(value) < places:
            value = value.quantize(Decimal(1).scaleb(-places))
        return f"{value:,f}"
    return str(value)


def _places(value: Decimal) -> int:
    """Decimal places ``value`` is written with (0 for NaN and infinities)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


# -- currencies --------------------------------------------------------------------------------
# Amounts are never added across currencies. A NULL currency is unknown: a bucket of its own,
# labelled as such, never merged into another. Each currency's amounts are shown with one
# scale: its minor units (recon.reconcile()'s summary gives them, from _recon.currency_unit),
# or more where its amounts have more; never rounded.

NO_CURRENCY = "(unknown currency)"


def currency_label(currency: str | None) -> str:
    return NO_CURRENCY if currency is None else currency


class Scales:
    """Decimal places per currency for one document: the currency's minor units, or as many as
    the amounts of it the document shows have, whichever is more."""

    def __init__(self) -> None:
        self.places: dict[str | None, int] = {}

    def minor_units(self, by_currency: Iterable[dict[str, Any]] | None) -> Scales:
        """From recon.reconcile()'s by_currency, or recon.currencies' rows."""
        for c in by_currency or ():
            self.see(c.get("currency"), None, c.get("minor_units"))
        return self

    def see(self, currency: str | None, value: Any, minor_units: int | None = None) -> None:
        n = max(self.places.get(currency, 0), minor_units or 0)
        if isinstance(value, Decimal) and value.is_finite():
            n = max(n, _places(value))
        self.places[currency] = n

    def see_rows(self, rows: Iterable[dict[str, Any]],
                 keys: tuple[str, ...] = ("stored", "expected", "difference")) -> Scales:
        for r in rows:
            for k in keys:
                self.see(r.get("currency"), r.get(k))
        return self

    def fmt(self, value: Any, currency: str | None) -> str:
        return amount(value, self.places.get(currency))


#: Characters data must not send to a terminal as they are: C0 and C1 controls and DEL (ESC
#: starts the sequences that move the cursor and erase lines), and the bidirectional overrides
#: and isolates (they reorder what is shown around them).
_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7f, *range(0x80, 0xa0))} | {
    c: f"\\u{c:04x}" for c in (0x200e, 0x200f, *range(0x202a, 0x202f), *range(0x2066, 0x206a))}


def visible(text: str, keep: str = "") -> str:
    """``text`` with its control characters written as escapes (ESC as \\x1b): what the data
    says is printed, never run by the terminal; the characters in ``keep`` (the document's own
    newlines) stay."""
    return text.translate({c: e for c, e in _UNSAFE.items() if chr(c) not in keep})


def _cell(value: Any, markdown: bool) -> str:
    text = amount(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) \
        else ("" if value is None else str(value))
    text = visible(text.replace("\n", " "))
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


def severity_table(by_currency: list[dict[str, Any]], scales: Scales,
                   markdown: bool = False) -> str:
    """A row per currency and severity (recon.reconcile()'s by_currency): each sum of money
    once, never added across currencies."""
    explained = sum(c.get("explained") or 0 for c in by_currency)
    rows = [(currency_label(c["currency"]), sev, v["findings"],
             *([v.get("explained") or ""] if explained else []),
             scales.fmt(v["amount"], c["currency"]))
            for c in by_currency for sev in reversed(SEVERITIES)
            if (v := (c.get("by_severity") or {}).get(sev))]
    headers = ["currency", "severity", "findings", *(["explained"] if explained else []),
               "amount"]
    text = table(rows, headers, markdown=markdown, numeric=range(2, len(headers)))
    if explained:
        text += (f"\n\nexplained: {explained} finding(s) hold the same money as the finding "
                 "explaining them (explained_by); their amounts are counted once, there")
    return text


def check_table(by_check: dict[str, Any], scales: Scales, markdown: bool = False) -> str:
    """The checks that found something, a row per currency; the others in one line. Each
    check's own findings (an explained one counts here, in its check)."""
    rows = []
    for name, v in sorted(by_check.items()):
        if not v["findings"]:
            continue
        per = v.get("by_currency")
        if per is None:  # a run recorded before amounts were per currency: counts only
            rows.append((name, v.get("max_severity") or "-", v["findings"], "", ""))
        for c in per or ():
            rows.append((name, v.get("max_severity") or "-", c["findings"],
                         currency_label(c["currency"]), scales.fmt(c["amount"], c["currency"])))
    text = table(rows, ["check", "max severity", "findings", "currency", "amount"],
                 markdown=markdown, numeric=(2, 4))
    quiet = sum(1 for v in by_check.values() if not v["findings"])
    skipped = null_journals_skipped(by_check)
    return (text + (f"\n\n{quiet} other check(s): nothing found" if quiet else "")
            + (f"\n\n{skipped}" if skipped else ""))


def null_journals_skipped(by_check: dict[str, Any] | None) -> str:
    """A line per journal check declaring NULL journals legitimate ("null_journals":
    "allowed"): how many entries without a journal it left out (issue 18); '' when none."""
    return "\n".join(
        f"{name}: {n} entr{'y' if n == 1 else 'ies'} without a journal left out"
        " (null_journals: allowed)"
        for name, n in sorted((k, v["null_journals_skipped"]) for k, v in (by_check or {}).items()
                              if "null_journals_skipped" in v))


def findings(rows: list[dict[str, Any]], *, limit: int, scales: Scales,
             markdown: bool = False, with_state: bool = False) -> str:
    """Findings grouped by severity, check and currency (rows come sorted), at most ``limit``
    per group; a group's amount is its own findings' (in its one currency)."""
    out: list[str] = []
    for (severity, check_name, currency), group_iter in itertools.groupby(
            rows, key=lambda r: (r["severity"], r["check_name"], r.get("currency"))):
        group = list(group_iter)
        total = sum((r["difference"].copy_abs() for r in group
                     if r["difference"] is not None and r["difference"].is_finite()),
                    Decimal(0))
        out.append(_heading(f"{severity} · {check_name} · {len(group)} finding(s) · "
                            f"{scales.fmt(total, currency)} {currency_label(currency)}",
                            markdown))
        shown = group if limit <= 0 else group[:limit]
        headers = ["finding", "wallet", "stored", "expected", "difference", "cause"]
        if with_state:
            headers.append("state")
        body = []
        for r in shown:
            line = [r["finding_id"], wallet_cell(r),
                    *(scales.fmt(r[k], currency) for k in ("stored", "expected", "difference")),
                    r["cause"] or ""]
            if with_state:
                line.append(r["state"])
            body.append(line)
        text = table(body, headers, markdown=markdown, numeric=(2, 3, 4))
        out.append(text if markdown else _indent(text))
        if len(group) > len(shown):
            out.append(f"... and {len(group) - len(shown)} more (--limit 0 shows all)")
        out.append("")
    return "\n".join(out).rstrip()


def wallet_cell(r: dict[str, Any]) -> str:
    """A finding's wallet key, with its label (an alias) beside it when the source has one."""
    if r["wallet_key"] is None:
        return "-"
    label = r.get("wallet_label")
    return f"{r['wallet_key']} ({label})" if label else str(r["wallet_key"])


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _scales(by_currency: list[dict[str, Any]] | None, by_check: dict[str, Any] | None,
            rows: list[dict[str, Any]]) -> Scales:
    scales = Scales().minor_units(by_currency)
    for c in by_currency or ():
        scales.see(c["currency"], c.get("amount"))
    for v in (by_check or {}).values():
        for c in v.get("by_currency") or ():
            scales.see(c["currency"], c.get("amount"))
    return scales.see_rows(rows)


def check_text(result: CheckResult, *, limit: int, markdown: bool = False,
               database: str = "") -> str:
    """The check's output; database, when given (the DSN the user gave), is put into the fix
    command it names, so that the command works when pasted (unless it holds a password)."""
    s = result.summary
    scales = _scales(s.get("by_currency"), s.get("by_check"), result.findings)
    parts = ([_heading("wallet-recon check", markdown, 2), ""] if markdown else []) \
        + [run_line(s), ""]
    if s.get("by_currency"):
        parts += [severity_table(s["by_currency"], scales, markdown), ""]
    if s.get("status") != "synced":
        parts += [check_table(s["by_check"], scales, markdown), ""]
    elif null_journals_skipped(s.get("by_check")):
        parts += [null_journals_skipped(s.get("by_check")), ""]
    kept = (s.get("replica") or {}).get("kept_open")
    if kept:
        parts += [f"kept open: {len(kept)} finding(s) the standby's result no longer held are "
                  "still found on the primary: "
                  + ", ".join(f"{k['check']} {k['finding_key']}" for k in kept[:limit]), ""]
    if result.findings:
        parts += [f"open findings of the checks that ran ({len(result.findings)}):", "",
                  findings(result.findings, limit=limit, scales=scales, markdown=markdown), ""]
    if result.failing:
        target = shell_dsn(database) if database else ""
        parts.append(f"FAIL: {result.failing} open finding(s) at or above {result.fail_on}; "
                     f"`wallet-recon fix {s['run_id']}{' --database ' + target if target else ''}"
                     "` plans their repair")
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
    by_currency = rep.run.get("by_currency") or []
    scales = _scales(by_currency, s.get("by_check"), rep.findings)
    parts = [_heading(f"wallet-recon report: run {rep.run['id']}", markdown, 2) if markdown
             else f"wallet-recon report: run {rep.run['id']}", "",
             f"started {rep.run['started_at']:%Y-%m-%d %H:%M:%S %Z} by {rep.run['started_by']}",
             run_line(s) if s else f"run {rep.run['id']}: {rep.run['status']}", ""]
    if by_currency:
        parts += [_heading("by currency and severity", markdown), "",
                  severity_table(by_currency, scales, markdown), ""]
    if s.get("by_check"):
        parts += [_heading("by check", markdown), "",
                  check_table(s["by_check"], scales, markdown), ""]
    if rep.findings:
        parts += [_heading(f"findings of run {rep.run['id']} (state: as of now)", markdown), "",
                  findings(rep.findings, limit=limit, scales=scales, markdown=markdown,
                           with_state=True), ""]
    parts += [_heading(f"recent runs (last {len(rep.history)})", markdown), "",
              history_table(rep.history, markdown)]
    return "\n".join(parts).strip()


def _steps_line(steps: list[dict[str, Any]], applied: bool) -> str:
    """'N step(s): a applied, b manual' (and, for a dry run, that nothing was written)."""
    counts = Counter(s["status"] for s in steps)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{len(steps)} step(s): {summary}" + ("" if applied else " (dry run: nothing written)")


def _changes(steps: list[dict[str, Any]], applied: bool, scales: Scales) -> str:
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
    def signed(value: Decimal, currency: str) -> str:
        text = scales.fmt(value, None if currency == "-" else currency)
        return text if text.startswith("-") else "+" + text

    lines += [f"  {NO_CURRENCY if currency == '-' else currency} {col}: "
              f"{signed(stored, currency)} | {signed(ledger, currency)}"
              for (currency, col), (stored, ledger) in sorted(totals.items())]
    return "\n" + "\n".join(lines)


def _fix_scales(steps: list[dict[str, Any]], minor_units: Iterable[dict[str, Any]] | None
                ) -> Scales:
    scales = Scales().minor_units(minor_units)
    for s in steps:
        scales.see(s.get("currency"), _decimal(s["amount"]))
        for key in ("stored_change", "ledger_change"):
            for value in (s.get(key) or {}).values():
                scales.see(s.get("currency"), _decimal(value))
    return scales


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else value if isinstance(value, Decimal) \
        else Decimal(str(value))


def fix_text(steps: list[dict[str, Any]], *, applied: bool, markdown: bool = False,
             minor_units: Iterable[dict[str, Any]] | None = None) -> str:
    """recon.fix()'s steps, each amount in its step's currency (recon.currencies' scale)."""
    if not steps:
        return "nothing to fix: no open finding matches"
    scales = _fix_scales(steps, minor_units)
    rows = [(s["step"], s["check_name"], s["wallet_key"] or "-", s["strategy"],
             scales.fmt(_decimal(s["amount"]), s.get("currency")),
             currency_label(s.get("currency")), len(s["entries"] or []), s["status"],
             s.get("repair_id") or "", s["note"] or "") for s in steps]
    text = table(rows, ["step", "check", "wallet", "strategy", "amount", "currency", "entries",
                        "status", "audit id", "note"], markdown=markdown,
                 numeric=(0, 4, 6, 8))
    return (f"{text}\n\n{_steps_line(steps, applied)}{_changes(steps, applied, scales)}"
            f"{_star_limits(steps)}")


def _star_limits(steps: list[dict[str, Any]]) -> str:
    """The currencies whose steps were limited by a "*" default (never assumed: given by the
    call, a policy or a low_limit), with where each came from (evidence "limits")."""
    used: dict[str, set[str]] = {}
    for s in steps:
        limits = (s.get("evidence") or {}).get("limits") or {}
        for key in ("wallet_limit", "run_limit"):
            source = limits.get(f"{key}_from") or ""
            if '"*"' in source:
                used.setdefault(limits.get("currency") or "(unknown currency)", set()).add(
                    f"{key} {limits.get(key)} from {source}")
    if not used:
        return ""
    return "\n" + "\n".join(f'limits for {c} from "*": {"; ".join(sorted(v))}'
                             for c, v in sorted(used.items()))


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def plan_summary(steps: list[dict[str, Any]], *, applied: bool,
                 minor_units: Iterable[dict[str, Any]] | None = None) -> str:
    """recon.fix()'s steps in one line per check, strategy, status and currency (amounts are
    never added across currencies)."""
    if not steps:
        return "nothing to fix: no open finding matches"
    scales = _fix_scales(steps, minor_units)
    groups: dict[tuple[str, str, str, bool, str], list[dict[str, Any]]] = {}
    for s in steps:
        currency = s.get("currency")
        groups.setdefault((s["check_name"], s["strategy"], s["status"], currency is None,
                           currency or ""), []).append(s)
    rows = []
    for (check_name, strategy, status, unknown, code), group in sorted(groups.items()):
        currency = None if unknown else code
        total = sum((_decimal(s["amount"]) for s in group if s["amount"] is not None),
                    Decimal(0))
        ids = [s["repair_id"] for s in group if s.get("repair_id")]
        rows.append((check_name, strategy, status, len(group), scales.fmt(total, currency),
                     currency_label(currency),
                     sum(len(s["entries"] or []) for s in group),
                     f"{min(ids)}-{max(ids)}" if len(ids) > 1 else (ids[0] if ids else ""),
                     _shorten(group[0]["note"] or "", 60)))
    text = table(rows, ["check", "strategy", "status", "steps", "amount", "currency", "entries",
                        "audit ids", "note (first step)"], numeric=(3, 4, 6))
    return (f"{text}\n\n{_steps_line(steps, applied)}{_changes(steps, applied, scales)}"
            f"{_star_limits(steps)}")


# -- HTML --------------------------------------------------------------------------------------
# Amounts are in a check's currency and never added across currencies: each chart draws one
# group (bars) or one panel (trend) per currency, with its own scale, and every amount it
# prints carries its currency. Charts are SVG with a viewBox, so they shrink with the page.

_SEVERITY_COLOURS = {"LOW": "#8fb3d9", "MEDIUM": "#e6b54a", "HIGH": "#e07b39",
                     "CRITICAL": "#c0392b"}


def _finite(value: Any) -> Decimal:
    """A value for geometry: NULL and NaN draw as 0 (their text still says NULL or NaN)."""
    if value is None:
        return Decimal(0)
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return Decimal(0) if d.is_nan() else d


def _ticks(top: Decimal, count: int = 4) -> list[Decimal]:
    """Round tick values from 0 to at least ``top`` (1, 2 or 5 times a power of ten apart)."""
    if top <= 0:
        return [Decimal(0), Decimal(1)]
    raw = top / count
    power = Decimal(10) ** raw.adjusted()
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    n = int((top / step).to_integral_value(rounding="ROUND_CEILING"))
    return [step * i for i in range(n + 1)]


def _tick_label(value: Decimal) -> str:
    return amount(value.normalize() if value == value.to_integral_value()
                  else value).removesuffix(".0")


def _bars(groups: dict[str | None, list[tuple[str, Decimal, str]]], scales: Scales,
          width: int = 520) -> list[dict[str, Any]]:
    """Horizontal bars, one group per currency: {currency: [(label, value, colour)]}, each
    group scaled to its own round top, with an x axis (ticks in that currency)."""
    row_h, label_w, right, axis_h = 24, 150, 24, 30
    plot_w = width - label_w - right
    out = []
    for currency, items in groups.items():
        ticks = _ticks(max((_finite(v) for _, v, _ in items), default=Decimal(0)))
        top = ticks[-1]
        bars = [{"label": label, "value": scales.fmt(v, currency), "colour": colour,
                 "y": i * row_h,
                 "w": round(float(plot_w * _finite(v) / top), 1)}
                for i, (label, v, colour) in enumerate(items)]
        base = len(items) * row_h
        out.append({"currency": currency_label(currency), "bars": bars, "width": width,
                    "label_w": label_w,
                    "height": base + axis_h, "base": base,
                    "ticks": [{"x": round(label_w + float(plot_w * t / top), 1),
                               "label": _tick_label(t)} for t in ticks]})
    return out


def _trend_panel(runs: list[dict[str, Any]], values: list[Decimal], *, unit: str,
                 bars: bool, fmt: Any = amount, width: int = 1040, height: int = 150
                 ) -> dict[str, Any]:
    """One panel of the trend, oldest run first: bars (findings) or a line (an amount), a y
    axis with round ticks and its unit, an x axis with the run ids."""
    pad_l, pad_r, pad_t, pad_b = 90, 16, 10, 34
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    step = plot_w / max(len(runs), 1)
    ticks = _ticks(max((_finite(v) for v in values), default=Decimal(0)))
    top = ticks[-1]
    base = pad_t + plot_h

    def y(v: Decimal) -> float:
        return round(base - float(plot_h * _finite(v) / top), 1)

    marks = []
    for i, (r, v) in enumerate(zip(runs, values, strict=True)):
        x = pad_l + i * step
        marks.append({"run": r["id"], "value": fmt(v), "cx": round(x + step / 2, 1),
                      "x": round(x + step / 2 - min(step * 0.3, 24), 1),
                      "w": round(min(step * 0.6, 48), 1), "y": y(v),
                      "h": round(base - y(v), 1),
                      "colour": _SEVERITY_COLOURS.get(r["max_severity"] or "", "#7fbf7f")})
    return {"unit": unit, "bars": bars, "marks": marks, "width": width, "height": height,
            "pad_l": pad_l, "right": width - pad_r, "top": pad_t, "base": base,
            "line": " ".join(f"{m['cx']},{m['y']}" for m in marks),
            "ticks": [{"y": y(t), "label": _tick_label(t)} for t in ticks],
            "label_every": max(1, len(runs) // 20)}


def _trend(rep: Report, scales: Scales) -> list[dict[str, Any]]:
    """Findings per run, then the drift amount per run in each currency (each run's
    by_currency: each sum of money once), oldest first."""
    runs = list(reversed(rep.history))
    panels = [_trend_panel(runs, [Decimal(r["findings"] or 0) for r in runs],
                           unit="findings", bars=True)]
    amounts = {r["id"]: {c["currency"]: c["amount"] for c in r.get("by_currency") or ()}
               for r in runs}
    currencies = sorted({c for a in amounts.values() for c in a},
                        key=lambda c: (c is None, c or ""))
    for c in currencies:
        panels.append(_trend_panel(
            runs, [amounts[r["id"]].get(c, Decimal(0)) for r in runs],
            unit=f"drift, {currency_label(c)}", bars=False,
            fmt=lambda v, c=c: scales.fmt(v, c)))
    return panels


def _by_currency(findings: list[dict[str, Any]], key: str
                 ) -> dict[tuple[str, str | None], tuple[int, Decimal, str | None]]:
    """(value of ``key``, currency) -> (findings, sum of |difference|, max severity)."""
    out: dict[tuple[str, str | None], tuple[int, Decimal, str | None]] = {}
    for f in findings:
        k = (f[key], f.get("currency"))
        n, total, sev = out.get(k, (0, Decimal(0), None))
        diff = f["difference"]
        if diff is not None and diff.is_finite():
            total += abs(diff)
        if sev is None or SEVERITIES.index(f["severity"]) > SEVERITIES.index(sev):
            sev = f["severity"]
        out[k] = (n + 1, total, sev)
    return out


def _check_key(item: tuple[tuple[str, str | None], Any]) -> tuple[str, bool, str]:
    (name, currency), _ = item
    return (name, currency is None, currency or "")


def report_html(rep: Report, *, database: str, generated_at: str) -> str:
    # imported here: every other command starts without it (a tenth of a second each)
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(_TEMPLATES),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    s = rep.run["summary"] or {}
    by_currency = rep.run.get("by_currency") or []
    scales = _scales(by_currency, s.get("by_check"), rep.findings)
    for r in rep.history:
        scales.minor_units(r.get("by_currency"))
        for c in r.get("by_currency") or ():
            scales.see(c["currency"], c.get("amount"))
    env.globals["money"] = scales.fmt
    env.globals["currency_label"] = currency_label
    by_chk = _by_currency(rep.findings, "check_name")
    for (_, c), (_, total, _) in by_chk.items():
        scales.see(c, total)
    # by severity: the run's by_currency, each sum of money once; by check: each check's own
    severity_chart = _bars({c["currency"]: [
        (sev, v["amount"], _SEVERITY_COLOURS[sev]) for sev in reversed(SEVERITIES)
        if (v := (c.get("by_severity") or {}).get(sev))] for c in by_currency}, scales)
    currencies = sorted({c for _, c in by_chk}, key=lambda c: (c is None, c or ""))
    check_chart = _bars({c: [(name, total, _SEVERITY_COLOURS.get(sev or "", "#7fbf7f"))
                             for (name, cc), (_, total, sev) in sorted(by_chk.items(),
                                                                       key=_check_key)
                             if cc == c]
                         for c in currencies}, scales)
    check_rows = [{"name": name, "currency": c, "findings": n, "amount": total,
                   "max_severity": sev}
                  for (name, c), (n, total, sev) in sorted(by_chk.items(), key=_check_key)]
    explained = sum(c.get("explained") or 0 for c in by_currency)
    found = {name for name, _ in by_chk}
    quiet = sorted(name for name in (s.get("by_check") or {}) if name not in found)
    return env.get_template("report.html.j2").render(
        run=rep.run, summary=s, findings=rep.findings, history=rep.history,
        severity_chart=severity_chart, check_chart=check_chart, trend=_trend(rep, scales),
        check_rows=check_rows, quiet_checks=quiet, explained=explained,
        colours=_SEVERITY_COLOURS, database=database, generated_at=generated_at,
        severities=list(reversed(SEVERITIES)))
