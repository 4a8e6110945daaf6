"""mission-status vs spec-kitty-cli 3.2.7 on the compat corpus, in the same run.

One *pass* reduces every mission of the corpus (``materialize_snapshot``) and
renders its ``status.json`` text. Ours runs in this process; 3.2.7 runs in a
long-lived worker under its own venv (``tools/bench/reference_env.py``), whose
timing loop runs inside that process, so start-up and import are excluded
from pass times and reported separately. Rounds alternate ours, 3.2.7, ours,
3.2.7, ... so both see the same machine noise; the headline is the ratio of
the median pass times (3.2.7 / ours).

Before any timing both must produce identical status.json text for every
mission, or the script fails (exit 1) and shows the first difference.

Cold start is a fresh process per sample: interpreter start + import + one
pass, measured from outside (median of ``--cold-runs``, after one discarded
warm-up so .pyc files and the page cache are warm for both).

    python tools/bench/bench_compat.py [--rounds 7] [--passes 3] [--json]
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
from pathlib import Path
from typing import Any

from _common import (
    BenchError,
    Worker,
    add_common_arguments,
    add_corpus_argument,
    describe_provenance,
    emit,
    ms,
    provenance,
    run_child,
    summarize,
    table,
)
from _reduce_worker import LOG_NAME, corpus_missions, load, one_pass
from reference_env import ensure_reference_python


def _count_lines(missions: list[Path]) -> int:
    total = 0
    for mission in missions:
        with open(mission / LOG_NAME, "rb") as log:
            total += sum(1 for line in log if line.strip())
    return total


def check_identical(
    missions: list[Path], ours: dict[str, str], theirs: dict[str, str]
) -> dict[str, Any]:
    """Compare the two implementations' texts (and each with expected-status.json if present)."""
    differ = [m.name for m in missions if ours.get(m.name) != theirs.get(m.name)]
    expected_total = ours_expected = theirs_expected = 0
    for mission in missions:
        expected_path = mission / "expected-status.json"
        if expected_path.is_file():
            expected = expected_path.read_text(encoding="utf-8")
            expected_total += 1
            ours_expected += ours[mission.name] == expected
            theirs_expected += theirs.get(mission.name) == expected
    return {
        "missions": len(missions),
        "identical": len(missions) - len(differ),
        "differ": differ,
        "with_expected": expected_total,
        "ours_equal_expected": ours_expected,
        "reference_equal_expected": theirs_expected,
    }


def _fail_on_difference(
    check: dict[str, Any], ours: dict[str, str], theirs: dict[str, str]
) -> None:
    if not check["differ"]:
        return
    first = check["differ"][0]
    diff = difflib.unified_diff(
        theirs.get(first, "").splitlines(keepends=True),
        ours.get(first, "").splitlines(keepends=True),
        fromfile=f"3.2.7/{first}/status.json",
        tofile=f"ours/{first}/status.json",
    )
    shown = "".join(list(diff)[:80])
    raise BenchError(
        f"status.json differs from 3.2.7 for {len(check['differ'])} of {check['missions']} "
        f"missions: {', '.join(check['differ'][:20])}\nfirst difference:\n{shown}"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus = Path(args.corpus)
    missions = corpus_missions(corpus)
    if not missions:
        raise BenchError(f"no mission directories with {LOG_NAME} under {corpus}")
    reference_python = Path(args.reference_python or ensure_reference_python())
    info = provenance()
    snapshot, render, our_version = load("ours")
    worker_args = ["--impl", "ref", "--corpus", str(corpus)]

    with Worker(reference_python, worker_args) as reference:
        ours_texts = {m.name: render(snapshot(m)) for m in missions}
        theirs_texts: dict[str, str] = reference.request("texts")["texts"]
        check = check_identical(missions, ours_texts, theirs_texts)
        _fail_on_difference(check, ours_texts, theirs_texts)
        del ours_texts, theirs_texts

        one_pass(snapshot, render, missions)  # warm-up, not recorded
        reference.request("pass 1")
        ours_times: list[float] = []
        theirs_times: list[float] = []
        ours_cpu: list[float] = []
        theirs_cpu: list[float] = []
        round_ratios: list[float] = []
        for _ in range(args.rounds):
            ours_round = [one_pass(snapshot, render, missions) for _ in range(args.passes)]
            theirs_round = reference.request(f"pass {args.passes}")
            ours_times += [wall for wall, _ in ours_round]
            ours_cpu += [cpu for _, cpu in ours_round]
            theirs_times += theirs_round["times"]
            theirs_cpu += theirs_round["cpu_times"]
            round_ratios.append(
                statistics.median(theirs_round["times"])
                / statistics.median(wall for wall, _ in ours_round)
            )
        reference_hello = reference.hello

    cold: dict[str, list[dict[str, Any]]] = {"ours": [], "ref": []}
    pythons = {"ours": Path(sys.executable), "ref": reference_python}
    for sample in range(args.cold_runs + 1):
        for impl in ("ours", "ref"):
            result = run_child(pythons[impl], ["cold", "--impl", impl, "--corpus", str(corpus)])
            if sample:  # the first is a warm-up (bytecode compile, page cache)
                cold[impl].append(result)

    ours_summary = summarize(ours_times)
    theirs_summary = summarize(theirs_times)
    line_count = _count_lines(missions)

    def cold_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
        wall = [s["wall_s"] for s in samples]
        imports = [s["import_s"] for s in samples]
        passes = [s["pass_s"] for s in samples]
        # Interpreter start-up, site, the worker's own imports, process exit.
        rest = [s["wall_s"] - s["import_s"] - s["pass_s"] for s in samples]
        return {
            "total": summarize(wall),
            "start_and_exit": summarize(rest),
            "import": summarize(imports),
            "first_pass": summarize(passes),
        }

    cold_ours, cold_ref = cold_summary(cold["ours"]), cold_summary(cold["ref"])
    return {
        "benchmark": "compat",
        "provenance": info,
        "corpus": {"path": str(corpus), "missions": len(missions), "log_lines": line_count},
        "ours": {"version": our_version, "python": sys.executable},
        "reference": {
            "version": reference_hello["version"],
            "python": str(reference_python),
            "import_s": reference_hello["import_s"],
        },
        "identity": {k: v for k, v in check.items() if k != "differ"},
        "rounds": args.rounds,
        "passes_per_round": args.passes,
        "steady": {
            "ours_pass_s": ours_summary,
            "reference_pass_s": theirs_summary,
            "ratio": theirs_summary["median"] / ours_summary["median"],
            "min_ratio": theirs_summary["min"] / ours_summary["min"],
            "round_ratios": round_ratios,
            "round_ratio_median": statistics.median(round_ratios),
            "ours_cpu_s": summarize(ours_cpu),
            "reference_cpu_s": summarize(theirs_cpu),
            "cpu_ratio": statistics.median(theirs_cpu) / statistics.median(ours_cpu),
            "ours_us_per_line": ours_summary["median"] / line_count * 1e6,
            "reference_us_per_line": theirs_summary["median"] / line_count * 1e6,
            "ours_raw_s": ours_times,
            "reference_raw_s": theirs_times,
        },
        "cold": {
            "runs": args.cold_runs,
            "ours": cold_ours,
            "reference": cold_ref,
            "ratio": cold_ref["total"]["median"] / cold_ours["total"]["median"],
        },
    }


def render_report(result: dict[str, Any]) -> str:
    corpus = result["corpus"]
    identity = result["identity"]
    steady = result["steady"]
    cold = result["cold"]
    ours_v, ref_v = result["ours"]["version"], result["reference"]["version"]
    lines = [
        f"mission-status {ours_v} vs spec-kitty-cli {ref_v}: compat corpus",
        describe_provenance(result["provenance"]),
        f"corpus: {corpus['path']} "
        f"({corpus['missions']} missions, {corpus['log_lines']} log lines)",
        f"identical status.json text: {identity['identical']}/{identity['missions']}"
        f" (equal to expected-status.json: ours {identity['ours_equal_expected']}, "
        f"3.2.7 {identity['reference_equal_expected']} of {identity['with_expected']})",
        "",
        f"steady state: one pass = reduce + render every mission; "
        f"{result['rounds']} interleaved rounds x {result['passes_per_round']} passes",
    ]
    rows = []
    for name, key, per_line in (
        (f"ours {ours_v}", "ours_pass_s", "ours_us_per_line"),
        ("3.2.7", "reference_pass_s", "reference_us_per_line"),
    ):
        s = steady[key]
        rows.append(
            [
                name,
                ms(s["median"]),
                ms(s["min"]),
                f"{ms(s['p25'])} .. {ms(s['p75'])}",
                f"{s['median'] / corpus['missions'] * 1000:.2f} ms",
                f"{steady[per_line]:.1f} us",
            ]
        )
    lines.append(
        table(rows, header=["", "median/pass", "min", "p25 .. p75", "per mission", "per line"])
    )
    ratios = steady["round_ratios"]
    lines += [
        f"RATIO 3.2.7/ours (median pass times): {steady['ratio']:.2f}x   "
        f"(per-round ratios: median {steady['round_ratio_median']:.2f}x, "
        f"range {min(ratios):.2f}x .. {max(ratios):.2f}x)",
        f"  cross-checks: ratio of minimum passes {steady['min_ratio']:.2f}x, "
        f"ratio of median CPU times {steady['cpu_ratio']:.2f}x",
        "",
        f"cold start: fresh process, interpreter + import + one pass "
        f"(median of {cold['runs']}, after a warm-up run)",
    ]
    rows = []
    for name, key in ((f"ours {ours_v}", "ours"), ("3.2.7", "reference")):
        c = cold[key]
        rows.append(
            [
                name,
                ms(c["total"]["median"]),
                ms(c["start_and_exit"]["median"]),
                ms(c["import"]["median"]),
                ms(c["first_pass"]["median"]),
            ]
        )
    lines.append(table(rows, header=["", "total", "start + exit", "import", "first pass"]))
    lines.append(f"RATIO 3.2.7/ours (cold total): {cold['ratio']:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="mission-status vs spec-kitty-cli 3.2.7 on the compat corpus (same run)."
    )
    add_corpus_argument(parser, "directory of mission directories")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--passes", type=int, default=3, help="passes per side per round (3)")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold-start samples (5)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.passes < 1 or args.cold_runs < 1:
        parser.error("--rounds, --passes and --cold-runs must be at least 1")
    return emit("bench_compat", lambda: run(args), render_report, save=args.save, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())
