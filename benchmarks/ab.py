"""Interleaved A/B of two versions of redact on one clip, the fair speed comparison here.

    python benchmarks/ab.py CLIP --old 9ea292a                  # this tree vs a commit
    python benchmarks/ab.py CLIP --old-tree ../other-checkout   # vs another checkout (no git)
    python benchmarks/ab.py CLIP --old 9ea292a --presets fast,disclosure --workers all,8 --pairs 3

This project's VM drifts by up to 2x within a day, so two versions timed minutes apart are
not comparable. Each pair here runs old then new (then the next pair new then old) on the same
clip, each in a fresh interpreter importing its own tree, through `redact.bench.run_bench`:
same transcode baseline method, same memory sampling. Prints every pair and the ratio new/old;
JSON in benchmarks/out/ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import dataclasses, json, sys
from pathlib import Path
from redact.bench import run_bench
from redact.presets import options_from_preset
clip, preset, workers = sys.argv[1:]
options = options_from_preset(preset, quiet=True)
if workers != "all":
    options = dataclasses.replace(options, workers=int(workers))
print(json.dumps(run_bench(Path(clip), options)))
"""


def measure(tree: Path, clip: Path, preset: str, workers: str) -> dict:
    """``run_bench`` in a fresh interpreter that imports redact from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(clip.absolute()), preset, workers],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: {preset} with {workers} workers failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def checkout(rev: str, into: Path) -> Path:
    """A detached worktree of ``rev`` (tracked files only: models and presets included)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(into), rev], check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clip", type=Path)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--old", help="git revision to compare against")
    group.add_argument("--old-tree", type=Path, help="another checkout to compare against")
    parser.add_argument("--presets", default="fast")
    parser.add_argument("--workers", default="all", help="comma-separated worker counts; 'all' is the default")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="redact-ab-") as tmp:
        old = args.old_tree.resolve() if args.old_tree else checkout(args.old, Path(tmp) / "old")
        trees = {"old": old, "new": ROOT}
        rows = []
        try:
            for preset in args.presets.split(","):
                for workers in args.workers.split(","):
                    for pair in range(args.pairs):
                        order = ("old", "new") if pair % 2 == 0 else ("new", "old")
                        fps = {}
                        for version in order:
                            result = measure(trees[version], args.clip, preset, workers)
                            rows.append({"version": version, "pair": pair, **result})
                            fps[version] = result
                        ratio = fps["new"]["redact_fps"] / fps["old"]["redact_fps"]
                        print(
                            f"{preset} workers={workers} pair {pair + 1}: old {fps['old']['redact_fps']} fps"
                            f" ({fps['old']['peak_memory_mb']:.0f} MB), new {fps['new']['redact_fps']} fps"
                            f" ({fps['new']['peak_memory_mb']:.0f} MB), new/old {ratio:.3f}",
                            flush=True,
                        )
                        (args.out / "ab.json").write_text(json.dumps(rows, indent=2) + "\n")
        finally:
            if args.old:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    summarize(rows)


def summarize(rows: list[dict]) -> None:
    """Mean, lowest and highest new/old ratio per preset and worker count."""
    groups: dict[tuple, dict[int, dict[str, float]]] = {}
    for r in rows:
        groups.setdefault((r["preset"], r["workers"]), {}).setdefault(r["pair"], {})[r["version"]] = r["redact_fps"]
    print("\n| preset | workers | pairs | new/old mean | lowest | highest |\n|---|---|---|---|---|---|")
    for (preset, workers), pairs in groups.items():
        ratios = [p["new"] / p["old"] for p in pairs.values() if len(p) == 2]
        print(
            f"| {preset} | {workers} | {len(ratios)} | {sum(ratios) / len(ratios):.3f} | {min(ratios):.3f}"
            f" | {max(ratios):.3f} |"
        )


if __name__ == "__main__":
    main()
