"""Small statistics and /proc readers (psutil is not a dependency)."""

from __future__ import annotations

import statistics
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank on sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    """The median (nan when empty)."""
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> str:
    """min–max of the runs, as text."""
    if not values:
        return "–"
    return f"{min(values):.3g}–{max(values):.3g}"


def proc_status_kb(field: str, pid: str = "self") -> int:
    """A field of /proc/<pid>/status in kB (VmRSS: resident now; VmHWM: peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def machine() -> dict[str, str]:
    """CPU model and count, for RESULTS.md."""
    model = "unknown"
    count = 0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            count += 1
    return {"cpu": model, "cpus": str(count)}
