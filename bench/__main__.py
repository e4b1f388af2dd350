"""`python -m bench [--quick]`: hot paths vs bare PTB, scale, platform pacing → bench/RESULTS.md.

Always exits 0; the last line says how many targets were met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import generate
from bench.hotpaths import PACED_RATE, HotPathBench, PathResult
from bench.report import Target, write_report

HERE = Path(__file__).resolve().parent
CHILD_TIMEOUT = 420.0


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _child(mode: str, data_dir: Path, *args: str) -> tuple[dict[str, Any], float | None]:
    """Run bench.child in a fresh interpreter; return its JSON and exec→READY seconds."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.child", mode, str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=HERE.parent,
    )
    ready_at: float | None = None
    result: dict[str, Any] = {}
    assert proc.stdout is not None
    deadline = started + CHILD_TIMEOUT
    for line in proc.stdout:
        if line.startswith("READY") and ready_at is None:
            ready_at = time.perf_counter() - started
        elif line.startswith("{"):
            result = json.loads(line)
        if time.perf_counter() > deadline:
            proc.kill()
            result = {"error": f"timed out after {CHILD_TIMEOUT:.0f} s"}
            break
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        err = ""
    if not result:
        tail = (err or "").strip().splitlines()[-5:]
        result = {"error": "child failed: " + " | ".join(tail)}
    return result, ready_at


def main() -> None:
    """Run every section and write RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small smoke run (< 60 s)")
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="interleaved runs (≥ 3; medians are steadier with more)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the bot's own warnings are not results
    quick = bool(args.quick)
    runs = max(3, args.runs)
    sizes = {
        "hot_clusters": 2 if quick else 8,
        "scale_clusters": 30 if quick else 1000,
        "due_clusters": 10 if quick else 1000,
        "due_per_cluster": 5 if quick else 10,
        "broadcast_groups": 60 if quick else 1000,
        "status_runs": 10 if quick else 30,
    }
    began = time.perf_counter()
    load_before = os.getloadavg()
    _log(f"bench: {'quick' if quick else 'full'} run, sizes {sizes}")

    _log("1/3 hot paths vs bare PTB")
    hot = HotPathBench(sizes["hot_clusters"], runs, _log)
    hot_results: list[PathResult] = asyncio.run(hot.run())

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        _log("2/3 scale")
        year_dir, due_dir, cast_dir = root / "year", root / "due", root / "broadcast"
        for d in (year_dir, due_dir, cast_dir):
            d.mkdir()
        started = time.perf_counter()
        year_rows = generate(year_dir / "bot.sqlite3", sizes["scale_clusters"])
        gen_s = time.perf_counter() - started
        _log(f"  generated {sizes['scale_clusters']} clusters in {gen_s:.1f} s")
        scale, ready_s = _child(
            "scale",
            year_dir,
            str(sizes["status_runs"]),
            str(sizes["scale_clusters"]),
        )
        scale["exec_to_ready_s"] = ready_s
        _log(f"  scale: {_short(scale)}")
        generate(
            due_dir / "bot.sqlite3",
            sizes["due_clusters"],
            mode="due",
            due_per_cluster=sizes["due_per_cluster"],
        )
        due, _ = _child("due", due_dir)
        _log(f"  due at once: {_short(due)}")
        _log("3/3 platform pacing")
        generate(
            cast_dir / "bot.sqlite3",
            sizes["broadcast_groups"],
            mode="due",
            due_per_cluster=1,
            started=0,
        )
        broadcast, _ = _child("broadcast", cast_dir)
        _log(f"  broadcast: {_short(broadcast)}")

    targets = _targets(hot_results, scale, due, broadcast)
    met = sum(1 for t in targets if t.met)
    write_report(
        args.output,
        quick=quick,
        runs=runs,
        sizes=sizes,
        hot=hot_results,
        scale=scale,
        year_rows=year_rows,
        generate_s=gen_s,
        due=due,
        broadcast=broadcast,
        targets=targets,
        elapsed=time.perf_counter() - began,
        load_before=load_before,
    )
    _log(f"wrote {args.output} in {time.perf_counter() - began:.0f} s")
    print(f"bench: {met}/{len(targets)} targets met")


def _short(result: dict[str, Any]) -> str:
    keys = [k for k in result if not isinstance(result[k], list)]
    return ", ".join(
        f"{k}={result[k]:.3g}" if isinstance(result[k], float) else f"{k}={result[k]}"
        for k in keys
    )


def _targets(
    hot: list[PathResult],
    scale: dict[str, Any],
    due: dict[str, Any],
    broadcast: dict[str, Any],
) -> list[Target]:
    from bench.stats import median

    targets = []
    for r in hot:
        targets.append(
            Target(
                f"{r.path.label}: throughput ≥ 70 % of baseline",
                f"{r.ratio:.0%}",
                r.ratio >= 0.70,
            )
        )
    for r in hot:
        p99 = median(r.ours_p99)
        targets.append(
            Target(
                f"{r.path.label}: p99 < 5 ms at {PACED_RATE:.0f} updates/s",
                f"{p99:.1f} ms",
                p99 < 5.0,
            )
        )
    build = scale.get("build_to_ready_s")
    targets.append(
        Target(
            "start to ready < 1 s at scale (build → post_init + schedule reload)",
            f"{build:.2f} s" if build is not None else scale.get("error", "n/a"),
            build is not None and build < 1.0,
        )
    )
    reload_s = scale.get("reload_s") or []
    pending = scale.get("pending_slots", 0)
    targets.append(
        Target(
            f"{pending:,} pending reminders reloaded < 1 s",
            f"{median(reload_s):.2f} s" if reload_s else "n/a",
            bool(reload_s) and median(reload_s) < 1.0,
        )
    )
    if "error" in due:
        targets.append(
            Target("reminders due at once: 0 missed, platform pace", due["error"], False)
        )
    else:
        messages = due["group_sends"] + due["private_sends"]
        pace = messages / 30.0
        ok = due["missed"] == 0 and due["resent_by_second_tick"] == 0 and due["drain_s"] <= pace
        targets.append(
            Target(
                f"{due['due']:,} reminders due at once: 0 missed, drained at the platform's pace",
                f"{due['missed']} missed, {due['drain_s']:.1f} s for {messages:,} messages "
                f"(platform minimum {pace:.0f} s)",
                ok,
            )
        )
    idle = scale.get("idle_rss_mb")
    targets.append(
        Target(
            "idle RSS ≤ 60 MB",
            f"{idle:.0f} MB" if idle is not None else "n/a",
            idle is not None and idle <= 60,
        )
    )
    if "error" in broadcast:
        targets.append(Target("broadcast ≤ 1.1 × minimum, 0 429s", broadcast["error"], False))
    else:
        sends = broadcast["group_sends"]
        # In a sliding 1 s window of 30, send k (0-based) can go out ⌊k/30⌋ s after the first.
        minimum = (sends - 1) // 30 if sends > 30 else sends / 30.0
        ratio = broadcast["drain_s"] / minimum if minimum else float("nan")
        refusals = broadcast.get("refusals_429", 0)
        targets.append(
            Target(
                f"broadcast to {broadcast['group_sends']:,} groups ≤ 1.1 × minimum, 0 429s",
                f"{ratio:.2f} × ({broadcast['drain_s']:.1f} s / {minimum:.1f} s), "
                f"{refusals} × 429",
                ratio <= 1.1 and refusals == 0 and broadcast["missed"] == 0,
            )
        )
    return targets


if __name__ == "__main__":
    main()
