"""Scale check, capped: a shop whose graph does not fit in the memory left to the process still trains with ``--cache``.

Generates a synthetic Parquet shop (``relpool synth``), fills a prepared-data cache for it once in an
uncapped ``relpool fit --cache`` and measures each case's uncapped peak: ``relpool fit`` without the cache
and with the warm one (one epoch of MAX_STEPS mini-batches, no baselines). Each case then runs again with
its data segment capped (``RLIMIT_DATA``, set in the child before it starts) between the two peaks. Linux
counts private writable mappings against RLIMIT_DATA; the cache maps its files read-only, so they do not
count. Without the cache the run must stop with relpool's one-sentence out-of-memory error; with it, train.

A peak is the highest VmData (what RLIMIT_DATA limits) and VmRSS seen while polling the child, and its
ru_maxrss. Writes the "capped" key of bench/results/scale.json, keeping the sizes bench/scale.py wrote.

    nice -n 10 python bench/scale.py --capped            # 4M rows
    nice -n 10 python bench/scale_capped.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, versions, write_result  # noqa: E402

ROWS = 4_000_000
ROWS_PER_CUSTOMER = 8 * (50 + 3) + 3.5  # as bench/scale.py: 8 weeks of 50 transactions, 3 sessions, ~half a checkout
MAX_STEPS = 5
POLL_SECONDS = 0.1
LIMIT_SECONDS = 600
PREVIOUS = Path(__file__).parent / "results" / "scale.json"


def _status_mib(pid: int, key: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith(key)), 0.0)


def run_watched(command: list[str], cap_mib: float | None = None) -> dict:
    """Run ``command`` (its data segment capped at ``cap_mib`` when given); its ending, seconds and peaks."""

    def limit() -> None:
        if cap_mib is not None:
            cap = int(cap_mib * 2**20)
            resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit, text=True)
        data_peak = rss_peak = 0.0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            data_peak = max(data_peak, _status_mib(child.pid, "VmData:"))
            rss_peak = max(rss_peak, _status_mib(child.pid, "VmRSS:"))
            if time.perf_counter() - started > LIMIT_SECONDS:
                child.kill()
            time.sleep(POLL_SECONDS)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; tell Popen so it does not wait again
        err.seek(0)
        error = err.read()
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return {
        "exit": child.returncode,
        "trained": child.returncode == 0,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_data_mib": round(data_peak),
        "peak_rss_mib": round(rss_peak),
        "ru_maxrss_mib": round(usage.ru_maxrss / 1024),
        "error_line": lines[-1] if child.returncode else None,
        "traceback": "Traceback" in error,
    }


def measure(rows: int) -> dict:
    relpool = [sys.executable, "-m", "relpool"]
    with tempfile.TemporaryDirectory(prefix="relpool-capped-") as tmp:
        folder = Path(tmp)
        entities = max(1, round(rows / ROWS_PER_CUSTOMER))
        synth = [*relpool, "synth", "--out", str(folder / "db"), "--entities", str(entities), "--format", "parquet"]
        subprocess.run(synth, check=True, capture_output=True)
        truth = json.loads((folder / "db" / "truth.json").read_text())
        db = str(folder / "db" / "shop")
        cache = str(folder / "cache")

        def fit(name: str, *extra: str) -> list[str]:
            short = ["--epochs", "1", "--max-steps", str(MAX_STEPS), "--no-baselines", "--budget", "0"]
            return [*relpool, "fit", db, truth["query"], "--out", str(folder / name), "--force", *short, *extra]

        fill = run_watched(fit("fill", "--cache", cache))
        print(f"fill cache: {fill}", flush=True)
        uncapped = {"no_cache": run_watched(fit("plain")), "warm_cache": run_watched(fit("warm", "--cache", cache))}
        print(f"uncapped: {uncapped}", flush=True)
        low, high = uncapped["warm_cache"]["peak_data_mib"], uncapped["no_cache"]["peak_data_mib"]
        cap = round((low + high) / 2)
        capped = {
            "no_cache": run_watched(fit("plain_capped"), cap),
            "warm_cache": run_watched(fit("warm_capped", "--cache", cache), cap),
        }
        print(f"capped at {cap} MiB: {capped}", flush=True)
        entry_mib = sum(p.stat().st_size for p in Path(cache).rglob("*") if p.is_file()) / 2**20
    return {
        "rows": truth.get("rows_total", rows),
        "rows_requested": rows,
        "customers": entities,
        "max_steps": MAX_STEPS,
        "cache_entry_mib": round(entry_mib),
        "cap_mib": cap,
        "fill_cache": fill,
        "uncapped": uncapped,
        "capped": capped,
        "goal_met": capped["warm_cache"]["trained"] and not capped["no_cache"]["trained"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    entry = {"load_average_at_start": [round(x, 2) for x in load], **measure(args.rows)}
    entry["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    entry.update(machine=machine(), versions=versions("torch", "duckdb", "pyarrow"))
    result = json.loads(PREVIOUS.read_text()) if PREVIOUS.exists() else {}
    result["capped"] = entry
    write_result("scale", result)


if __name__ == "__main__":
    main()
