"""mission-status on large synthetic logs: linear time, bounded memory, cheap tail refresh.

A log of ``max(--sizes)`` lane transitions is synthesised once into a temporary
directory (48 work packages, timestamp order, increasing ULID-shaped ids; see
``_synth.py``); each size is a prefix of it. For every size, each measurement
runs in a fresh process (``_reduce_worker.py``):

* ``materialize_snapshot`` time and peak RSS (VmHWM) over the process's
  baseline after imports, median of ``--repeats``; time per million lines
  shows whether the cost is linear;
* an id-set control: the RSS of only collecting every event id in a set, the
  one structure a deduplicating reducer must keep, so that "peak RSS minus the
  id set" shows what else (if anything) grows with the file;
* the tail refresh: a ``LiveView`` snapshots the log once (a full reduce),
  then ``--appends`` times one transition is appended with ``EventLog.append``
  and ``snapshot()`` timed again (median); shown next to a full reduce of the
  same log, and checked to give the same status.json as the full reduce;
* unless ``--no-reference``: spec-kitty-cli 3.2.7 on the ``--reference-sizes``
  (default: the smallest size), interleaved with ours, checked to give the
  same status.json text.

The temporary directory is removed at the end (``--keep`` keeps it).

    python tools/bench/bench_scale.py [--sizes 250000,500000,1000000] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _synth
from _common import (
    BenchError,
    add_common_arguments,
    describe_provenance,
    emit,
    mib,
    provenance,
    run_child,
    secs,
    summarize,
    table,
)
from reference_env import ensure_reference_python

DEFAULT_SIZES = (250_000, 500_000, 1_000_000)
LOG_NAME = "status.events.jsonl"


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of line counts: {text}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive line counts")
    return sizes


def _reduce_samples(
    python: Path | str, impl: str, mission: Path, expected_lines: int
) -> dict[str, Any]:
    result = run_child(python, ["reduce", "--impl", impl, "--mission", str(mission)])
    if result["event_count"] != expected_lines:
        raise BenchError(
            f"{impl}: event_count {result['event_count']} for a log of {expected_lines} lines"
        )
    return result


def measure_size(
    mission: Path,
    lines: int,
    *,
    repeats: int,
    appends: int,
    reference_python: Path | None,
    log: Any,
) -> dict[str, Any]:
    ours_python = Path(sys.executable)
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    for attempt in range(repeats):
        log(f"  {lines:,} lines: ours reduce {attempt + 1}/{repeats}")
        ours.append(_reduce_samples(ours_python, "ours", mission, lines))
        if reference_python is not None:
            log(f"  {lines:,} lines: 3.2.7 reduce {attempt + 1}/{repeats}")
            theirs.append(_reduce_samples(reference_python, "ref", mission, lines))
    digests = {r["sha256"] for r in ours}
    if len(digests) != 1:
        raise BenchError(f"ours gave different status.json across runs at {lines:,} lines")
    if theirs and {r["sha256"] for r in theirs} != digests:
        raise BenchError(f"status.json differs from 3.2.7 at {lines:,} lines")
    log(f"  {lines:,} lines: id-set control")
    idset = run_child(ours_python, ["idset", "--mission", str(mission)])
    log(f"  {lines:,} lines: tail refresh ({appends} appends)")
    tail = run_child(
        ours_python,
        ["tail", "--mission", str(mission), "--appends", str(appends), "--next-index", str(lines)],
    )
    if tail["full_reduces"] != 1 or tail["tail_refreshes"] != appends:
        raise BenchError(
            f"LiveView did {tail['full_reduces']} full reduces and {tail['tail_refreshes']} "
            f"tail refreshes for {appends} appends (expected 1 and {appends})"
        )
    if not tail["identical_to_full"]:
        raise BenchError(f"LiveView snapshot differs from a full reduce at {lines:,} lines")

    def stats(samples: list[dict[str, Any]]) -> dict[str, Any]:
        reduce_s = summarize([s["reduce_s"] for s in samples])
        reduce_cpu_s = summarize([s["reduce_cpu_s"] for s in samples])
        growth = [s["peak_kib"] - s["baseline_kib"] for s in samples]
        return {
            "version": samples[0]["version"],
            "reduce_s": reduce_s,
            "reduce_cpu_s": reduce_cpu_s,
            "s_per_million_lines": reduce_s["median"] / lines * 1e6,
            "cpu_s_per_million_lines": reduce_cpu_s["median"] / lines * 1e6,
            "peak_kib": statistics.median(s["peak_kib"] for s in samples),
            "baseline_kib": statistics.median(s["baseline_kib"] for s in samples),
            "growth_kib": statistics.median(growth),
            "raw": samples,
        }

    result: dict[str, Any] = {
        "lines": lines,
        "bytes": (mission / LOG_NAME).stat().st_size,
        "ours": stats(ours),
        "idset_growth_kib": idset["peak_kib"] - idset["baseline_kib"],
        "tail": {
            "appends": appends,
            "refresh_median_s": tail["tail_refresh_median_s"],
            "refresh_s": summarize(tail["tail_refresh_s"]),
            "append_median_s": tail["append_median_s"],
            "first_snapshot_s": tail["first_snapshot_s"],
            # A full reduce in the same (long-lived) process, which already holds the
            # view's reducer; and the ratio against the fresh-process median above.
            "in_process_full_reduce_s": tail["full_reduce_s"],
            "in_process_full_over_tail": tail["full_reduce_s"] / tail["tail_refresh_median_s"],
        },
    }
    result["tail"]["full_over_tail"] = (
        result["ours"]["reduce_s"]["median"] / tail["tail_refresh_median_s"]
    )
    result["ours"]["growth_minus_idset_kib"] = (
        result["ours"]["growth_kib"] - result["idset_growth_kib"]
    )
    if theirs:
        result["reference"] = stats(theirs)
        result["ratio"] = (
            result["reference"]["reduce_s"]["median"] / result["ours"]["reduce_s"]["median"]
        )
        result["cpu_ratio"] = (
            result["reference"]["reduce_cpu_s"]["median"] / result["ours"]["reduce_cpu_s"]["median"]
        )
    return result


def _marginal(results: list[dict[str, Any]], kib: Any) -> list[float]:
    """Bytes per extra line between consecutive sizes."""
    return [
        (kib(b) - kib(a)) * 1024 / (b["lines"] - a["lines"]) for a, b in itertools.pairwise(results)
    ]


def run(args: argparse.Namespace, log: Any) -> dict[str, Any]:
    sizes: list[int] = args.sizes
    reference_sizes = set(args.reference_sizes or sizes[:1]) if not args.no_reference else set()
    unknown = reference_sizes - set(sizes)
    if unknown:
        raise BenchError(f"--reference-sizes {sorted(unknown)} are not among --sizes {sizes}")
    reference_python: Path | None = None
    if reference_sizes:
        reference_python = Path(args.reference_python or ensure_reference_python())
    info = provenance()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="mission-status-bench-", dir=args.tmpdir))
    try:
        source = workdir / "source.jsonl"
        log(f"synthesising {sizes[-1]:,} transitions into {workdir}")
        gen_started = time.perf_counter()
        offsets = _synth.write_log(source, sizes[-1], marks=tuple(sizes))
        generate_s = time.perf_counter() - gen_started
        results = []
        for lines in sizes:
            mission = workdir / f"mission-{lines}"
            _synth.write_meta(mission)
            _synth.copy_prefix(source, mission / LOG_NAME, offsets[lines])
            results.append(
                measure_size(
                    mission,
                    lines,
                    repeats=args.repeats,
                    appends=args.appends,
                    reference_python=reference_python if lines in reference_sizes else None,
                    log=log,
                )
            )
            shutil.rmtree(mission)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    per_million = [r["ours"]["s_per_million_lines"] for r in results]
    cpu_per_million = [r["ours"]["cpu_s_per_million_lines"] for r in results]
    growth = [r["ours"]["growth_kib"] for r in results]
    residual = [r["ours"]["growth_minus_idset_kib"] for r in results]
    return {
        "benchmark": "scale",
        "provenance": info,
        "synthetic": {
            "work_packages": _synth.WP_COUNT,
            "largest_lines": sizes[-1],
            "bytes_per_line": offsets[sizes[-1]] / sizes[-1],
            "generate_s": generate_s,
        },
        "repeats": args.repeats,
        "sizes": results,
        "linearity": {
            "s_per_million_lines": per_million,
            "spread": max(per_million) / min(per_million),
            "cpu_s_per_million_lines": cpu_per_million,
            "cpu_spread": max(cpu_per_million) / min(cpu_per_million),
        },
        "memory": {
            "growth_kib": growth,
            "growth_minus_idset_kib": residual,
            "idset_growth_kib": [r["idset_growth_kib"] for r in results],
            # What each extra line costs between consecutive sizes (constant terms cancel).
            "marginal_bytes_per_line": _marginal(results, lambda r: r["ours"]["growth_kib"]),
            "idset_marginal_bytes_per_line": _marginal(results, lambda r: r["idset_growth_kib"]),
        },
        "total_s": time.perf_counter() - started,
    }


def render_report(result: dict[str, Any]) -> str:
    synth = result["synthetic"]
    sizes = result["sizes"]
    ours_version = sizes[0]["ours"]["version"]
    lines = [
        f"mission-status {ours_version}: materialize_snapshot on synthetic logs",
        describe_provenance(result["provenance"]),
        f"{synth['work_packages']} WPs, {synth['bytes_per_line']:.0f} bytes/line; "
        f"each figure from a fresh process, median of {result['repeats']}",
        "",
    ]
    rows = []
    for size in sizes:
        ours = size["ours"]
        rows.append(
            [
                f"{size['lines']:,}",
                f"{size['bytes'] / 2**20:.0f} MiB",
                secs(ours["reduce_s"]["median"]),
                f"{ours['s_per_million_lines']:.2f} s",
                f"{ours['cpu_s_per_million_lines']:.2f} s",
                mib(ours["peak_kib"]),
                mib(ours["growth_kib"]),
                mib(size["idset_growth_kib"]),
                mib(ours["growth_minus_idset_kib"]),
            ]
        )
    lines.append(
        table(
            rows,
            header=[
                "lines",
                "log",
                "reduce",
                "per 1M lines",
                "CPU per 1M",
                "peak RSS",
                "over baseline",
                "id set alone",
                "other",
            ],
        )
    )
    lin = result["linearity"]
    mem = result["memory"]
    lines += [
        f"linearity: per 1M lines, wall time varies {lin['spread']:.2f}x and CPU time "
        f"{lin['cpu_spread']:.2f}x across sizes (1.00x = perfectly linear)",
        "memory: peak RSS over baseline, per extra line between sizes: "
        + ", ".join(f"{b:.0f} B" for b in mem["marginal_bytes_per_line"])
        + " (id set alone: "
        + ", ".join(f"{b:.0f} B" for b in mem["idset_marginal_bytes_per_line"])
        + ")",
        "",
        "tail refresh: LiveView.snapshot() after one EventLog.append (median of "
        f"{sizes[0]['tail']['appends']}), vs a full reduce (fresh process, as above; and in "
        "the view's own process)",
    ]
    rows = []
    for size in sizes:
        tail = size["tail"]
        rows.append(
            [
                f"{size['lines']:,}",
                secs(size["ours"]["reduce_s"]["median"]),
                f"{tail['refresh_median_s'] * 1000:.2f} ms",
                f"{tail['full_over_tail']:,.0f}x",
                secs(tail["in_process_full_reduce_s"]),
                f"{tail['in_process_full_over_tail']:,.0f}x",
                f"{tail['append_median_s'] * 1000:.2f} ms",
            ]
        )
    lines.append(
        table(
            rows,
            header=[
                "lines",
                "full reduce",
                "tail refresh",
                "RATIO full/tail",
                "full, same process",
                "ratio",
                "append (fsync)",
            ],
        )
    )
    compared = [s for s in sizes if "reference" in s]
    if compared:
        lines += ["", "spec-kitty-cli 3.2.7 on the same logs (interleaved with ours):"]
        rows = []
        for size in compared:
            ref, ours = size["reference"], size["ours"]
            rows.append(
                [
                    f"{size['lines']:,}",
                    secs(ours["reduce_s"]["median"]),
                    secs(ref["reduce_s"]["median"]),
                    f"{size['ratio']:.2f}x",
                    f"{size['cpu_ratio']:.2f}x",
                    mib(ours["peak_kib"]),
                    mib(ref["peak_kib"]),
                    f"{ref['peak_kib'] / ours['peak_kib']:.1f}x",
                    mib(ours["growth_kib"]),
                    mib(ref["growth_kib"]),
                ]
            )
        lines.append(
            table(
                rows,
                header=[
                    "lines",
                    "ours",
                    "3.2.7",
                    "RATIO time",
                    "RATIO CPU",
                    "ours peak RSS",
                    "3.2.7 peak RSS",
                    "RATIO RSS",
                    "ours over baseline",
                    "3.2.7 over baseline",
                ],
            )
        )
        lines.append("status.json identical to 3.2.7 at every compared size: yes")
    lines.append(f"\ntotal {result['total_s']:.0f} s (synthesis {synth['generate_s']:.0f} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="mission-status on large synthetic logs (time, peak RSS, tail refresh)."
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated line counts (default 250000,500000,1000000)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per size (3)")
    parser.add_argument("--appends", type=int, default=15, help="tail refreshes to time (15)")
    parser.add_argument("--no-reference", action="store_true", help="skip spec-kitty-cli 3.2.7")
    parser.add_argument(
        "--reference-sizes",
        type=_sizes,
        help="sizes to also run 3.2.7 on (default: the smallest of --sizes)",
    )
    parser.add_argument("--tmpdir", help="where to write the synthetic logs (default: system)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    add_common_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.appends < 1:
        parser.error("--repeats and --appends must be at least 1")

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    return emit(
        "bench_scale", lambda: run(args, log), render_report, save=args.save, as_json=args.json
    )


if __name__ == "__main__":
    sys.exit(main())
