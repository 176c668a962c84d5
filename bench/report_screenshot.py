"""The HTML report on the demo's data, screenshotted in headless Chromium at 1280 px.

    .venv/bin/python bench/report_screenshot.py [--port 55931] [--height 900] [--out DIR]

Starts a throwaway PostgreSQL (stopped and removed at the end), runs `wallet-recon demo` into
it twice, writes `wallet-recon report RUN --format html` for the latest run with the most
findings (the demo ends repaired, with a synced run; the runs before it make the trend) and
screenshots it with Debian's `chromium` (apt-get install chromium) at 1280 x HEIGHT (the first
screen, what a reader sees above the fold) and a longer shot. Prints the paths of the HTML
and the PNGs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway import throwaway_server  # noqa: E402

WALLET_RECON = ROOT / ".venv" / "bin" / "wallet-recon"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def cli(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WALLET_RECON), *args, "--database", dsn], capture_output=True,
                          text=True, check=False)


def screenshot(html: Path, png: Path, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("report_screenshot: chromium not found: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               f"--window-size=1280,{height}", f"--screenshot={png}",
                               html.as_uri()], capture_output=True, text=True, timeout=120,
                              check=False)
    if not png.exists():
        sys.exit(f"report_screenshot: chromium wrote no {png}: {proc.stderr[-800:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=55931, help="the throwaway server's port")
    ap.add_argument("--height", type=int, default=900, help="the window's height (the fold)")
    ap.add_argument("--full-height", type=int, default=3000,
                    help="the height of the second, longer shot")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "wallet-recon-report")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    html = args.out / "recon.html"

    with throwaway_server(None, {"port": str(args.port)}) as dsn:
        # the demo twice (the second replaces the first's schemas): runs with drift and
        # repaired runs between them, so that the trend has several runs to show
        for _ in range(2):
            demo = subprocess.run([str(WALLET_RECON), "demo", "--database", dsn, "--keep"],
                                  capture_output=True, text=True, check=False)
            if demo.returncode not in (0, 1):
                sys.exit(f"report_screenshot: the demo failed:\n{demo.stdout[-2000:]}"
                         f"{demo.stderr}")
        # the demo ends repaired (a synced run): report the latest run with the most findings
        runs = json.loads(cli(dsn, "report", "--format", "json", "--history", "50").stdout)
        worst = max(runs["history"], key=lambda r: (r["findings"] or 0, r["id"]))["id"]
        proc = cli(dsn, "report", str(worst), "--format", "html", "--history", "50",
                   "--output", str(html))
        if proc.returncode != 0:
            sys.exit(f"report_screenshot: report failed: {proc.stderr}")

    fold = args.out / "report-1280.png"
    full = args.out / "report-1280-full.png"
    screenshot(html, fold, args.height)
    screenshot(html, full, args.full_height)
    print(f"html: {html}\nabove the fold (1280x{args.height}): {fold}\n"
          f"longer (1280x{args.full_height}): {full}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
