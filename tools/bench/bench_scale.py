"""mission-status on large synthetic logs: linear time, bounded memory, cheap tail refresh."""

from __future__ import annotations

import itertools
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import _harness as h
import _synth
from _worker import LOG_NAME


def sizes(text: str) -> list[int]:
    return sorted({h.count(part.strip().replace("_", "")) for part in text.split(",")})


def reduce_stats(samples: list[dict[str, Any]], lines: int) -> dict[str, Any]:
    wall = h.summarize([s["reduce_s"] for s in samples])
    cpu = h.summarize([s["reduce_cpu_s"] for s in samples])
    return {
        "reduce_s": wall,
        "reduce_cpu_s": cpu,
        "s_per_million_lines": wall["median"] / lines * 1e6,
        "cpu_s_per_million_lines": cpu["median"] / lines * 1e6,
        "peak_kib": statistics.median(s["peak_kib"] for s in samples),
        "growth_kib": statistics.median(s["peak_kib"] - s["baseline_kib"] for s in samples),
        "raw": samples,
    }


def measure(mission: Path, lines: int, args: Any, ref_python: Path | None) -> dict[str, Any]:
    def reduce(python: Path, impl: str) -> dict[str, Any]:
        h.progress(f"{lines:,} lines: {impl} reduce")
        sample = h.child(
            python, "status", {"cmd": "reduce", "mission": str(mission)}, "--impl", impl
        )
        if sample["result"]["event_count"] != lines:
            raise h.BenchError(f"{impl}: {sample['result']['event_count']} events, not {lines}")
        return {**sample["result"], "version": sample["version"]}

    ours_python = Path(sys.executable)
    runs = h.interleave(
        args.repeats,
        lambda: reduce(ours_python, "ours"),
        (lambda: reduce(ref_python, "ref")) if ref_python else None,
    )
    digests = {s["sha256"] for side in runs.values() for s in side}
    if len(digests) != 1:
        raise h.BenchError(f"status.json differs (across runs or from 3.2.7) at {lines:,} lines")
    h.progress(f"{lines:,} lines: id-set control, tail refresh ({args.appends} appends)")
    idset = h.child(ours_python, "status", {"cmd": "idset", "mission": str(mission)})["result"]
    tail_request = {"cmd": "tail", "mission": str(mission), "appends": args.appends}
    tail = h.child(ours_python, "status", {**tail_request, "next_index": lines})["result"]
    if (tail["full_reduces"], tail["tail_refreshes"]) != (1, args.appends):
        raise h.BenchError(
            f"LiveView did {tail['full_reduces']} full reduces and {tail['tail_refreshes']} "
            f"tail refreshes for {args.appends} appends (expected 1 and {args.appends})"
        )
    if not tail["identical_to_full"]:
        raise h.BenchError(f"LiveView snapshot differs from a full reduce at {lines:,} lines")
    ours = reduce_stats(runs["ours"], lines)
    refresh = statistics.median(tail["refresh_s"])
    result = {
        "lines": lines,
        "bytes": (mission / LOG_NAME).stat().st_size,
        "version": runs["ours"][0]["version"],
        "ours": ours,
        "idset_growth_kib": idset["peak_kib"] - idset["baseline_kib"],
        "growth_minus_idset_kib": ours["growth_kib"] - (idset["peak_kib"] - idset["baseline_kib"]),
        "tail": {
            **tail,
            "refresh_median_s": refresh,
            "full_over_tail": ours["reduce_s"]["median"] / refresh,
            "in_process_full_over_tail": tail["full_reduce_s"] / refresh,
        },
    }
    if ref_python:
        ref = result["reference"] = reduce_stats(runs["reference"], lines)
        result["ratio"] = ref["reduce_s"]["median"] / ours["reduce_s"]["median"]
        result["cpu_ratio"] = ref["reduce_cpu_s"]["median"] / ours["reduce_cpu_s"]["median"]
    return result


def run(args: Any) -> dict[str, Any]:
    ref_python = None if args.no_reference else h.reference_python(args)
    info, started = h.provenance(), time.perf_counter()
    with h.workdir(args, "mission-status-bench-") as work:
        h.progress(f"synthesising {args.sizes[-1]:,} transitions into {work}")
        offsets = _synth.write_log(work / "source.jsonl", args.sizes[-1], marks=tuple(args.sizes))
        generate_s = time.perf_counter() - started
        results = []
        for lines in args.sizes:
            mission = work / f"mission-{lines}"
            _synth.write_meta(mission)
            _synth.copy_prefix(work / "source.jsonl", mission / LOG_NAME, offsets[lines])
            python = ref_python if lines == args.sizes[0] else None
            results.append(measure(mission, lines, args, python))
            shutil.rmtree(mission)

    def marginal(kib: Any) -> list[float]:  # bytes per extra line between consecutive sizes
        return [
            (kib(b) - kib(a)) * 1024 / (b["lines"] - a["lines"])
            for a, b in itertools.pairwise(results)
        ]

    per_million = [r["ours"]["s_per_million_lines"] for r in results]
    cpu_per_million = [r["ours"]["cpu_s_per_million_lines"] for r in results]
    return {
        "benchmark": "scale",
        "provenance": info,
        "synthetic": {
            "work_packages": _synth.WP_COUNT,
            "bytes_per_line": offsets[args.sizes[-1]] / args.sizes[-1],
            "generate_s": generate_s,
        },
        "repeats": args.repeats,
        "sizes": results,
        "spread": max(per_million) / min(per_million),
        "cpu_spread": max(cpu_per_million) / min(cpu_per_million),
        "marginal_bytes_per_line": marginal(lambda r: r["ours"]["growth_kib"]),
        "idset_marginal_bytes_per_line": marginal(lambda r: r["idset_growth_kib"]),
        "total_s": time.perf_counter() - started,
    }


def render(result: dict[str, Any]) -> str:
    synth, sizes_ = result["synthetic"], result["sizes"]
    rows, tail_rows = [], []
    for size in sizes_:
        o, t, n = size["ours"], size["tail"], f"{size['lines']:,}"
        rows.append(
            [n, f"{size['bytes'] / 2**20:.0f} MiB", h.secs(o["reduce_s"]["median"]),
             f"{o['s_per_million_lines']:.2f} s", f"{o['cpu_s_per_million_lines']:.2f} s",
             h.mib(o["peak_kib"]), h.mib(o["growth_kib"]), h.mib(size["idset_growth_kib"]),
             h.mib(size["growth_minus_idset_kib"])]
        )  # fmt: skip
        tail_rows.append(
            [n, h.secs(o["reduce_s"]["median"]), f"{t['refresh_median_s'] * 1000:.2f} ms",
             f"{t['full_over_tail']:,.0f}x", h.secs(t["full_reduce_s"]),
             f"{t['in_process_full_over_tail']:,.0f}x", f"{t['append_median_s'] * 1000:.2f} ms"]
        )  # fmt: skip

    def joined(values: list[float]) -> str:
        return ", ".join(f"{b:.0f} B" for b in values)

    lines = [
        f"mission-status {sizes_[0]['version']}: materialize_snapshot on synthetic logs",
        h.describe(result["provenance"]),
        f"{synth['work_packages']} WPs, {synth['bytes_per_line']:.0f} bytes/line; "
        f"each figure from a fresh process, median of {result['repeats']}",
        "",
        h.table(
            "lines|log|reduce|per 1M lines|CPU per 1M|peak RSS|over baseline|id set alone|other",
            rows,
        ),
        f"linearity: per 1M lines, wall time varies {result['spread']:.2f}x and CPU time "
        f"{result['cpu_spread']:.2f}x across sizes (1.00x = perfectly linear)",
        f"memory: peak RSS over baseline, per extra line between sizes: "
        f"{joined(result['marginal_bytes_per_line'])} (id set alone: "
        f"{joined(result['idset_marginal_bytes_per_line'])})",
        "",
        f"tail refresh: LiveView.snapshot() after one EventLog.append (median of "
        f"{len(sizes_[0]['tail']['refresh_s'])}), vs a full reduce (fresh process, as "
        "above; and in the view's own process)",
        h.table(
            "lines|full reduce|tail refresh|RATIO full/tail|full, same process|ratio|"
            "append (fsync)",
            tail_rows,
        ),
    ]
    for s in (s for s in sizes_ if "reference" in s):
        o, r = s["ours"], s["reference"]
        row = [f"{s['lines']:,}", h.secs(o["reduce_s"]["median"]), h.secs(r["reduce_s"]["median"]),
               f"{s['ratio']:.2f}x", f"{s['cpu_ratio']:.2f}x", h.mib(o["peak_kib"]),
               h.mib(r["peak_kib"]), f"{r['peak_kib'] / o['peak_kib']:.1f}x",
               h.mib(o["growth_kib"]), h.mib(r["growth_kib"])]  # fmt: skip
        lines += [
            "",
            "spec-kitty-cli 3.2.7 on the same log (interleaved with ours; status.json identical):",
            h.table(
                "lines|ours|3.2.7|RATIO time|RATIO CPU|ours peak RSS|3.2.7 peak RSS|RATIO RSS|"
                "ours over baseline|3.2.7 over baseline",
                [row],
            ),
        ]
    lines.append(f"\ntotal {result['total_s']:.0f} s (synthesis {synth['generate_s']:.0f} s)")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = h.parser(
        __doc__,
        workdir=True,
        repeats=(3, "fresh processes per size and side"),
        appends=(15, "tail refreshes to time"),
    )
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=[250_000, 500_000, 1_000_000],
        help="comma-separated line counts (default 250000,500000,1000000)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip spec-kitty-cli 3.2.7")
    sys.exit(h.main(parser, run, render))
