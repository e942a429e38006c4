"""What every benchmark records next to its figures: the machine, the versions, and peak memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg()[0],  # other work on the same cores inflates times
    }


def versions(*packages: str) -> dict:
    out = {}
    for name in ("relpool", *packages):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_isolated(script: Path, *args: str) -> dict:
    """Run one measurement in a fresh interpreter so its peak memory is its own; it prints one JSON line."""
    done = subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_result(name: str, result: dict) -> Path:
    """Write bench/results/<name>.json through a temporary file, so an interrupted run never leaves half a file."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(result, indent=2) + "\n")
    staging.replace(path)
    return path
