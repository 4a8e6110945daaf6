"""mission-status vs spec-kitty-cli 3.2.7 on the compat corpus, in the same run."""

from __future__ import annotations

import difflib
import statistics
import sys
from pathlib import Path
from typing import Any

import _harness as h
from _worker import LOG_NAME, Status


def check_identical(missions: list[Path], ours: dict[str, str], ref: dict[str, str]) -> Any:
    """Identical texts, or BenchError with the first diff; and how many equal the expected."""
    differ = [m.name for m in missions if ours[m.name] != ref.get(m.name)]
    if differ:
        diff = difflib.unified_diff(
            ref.get(differ[0], "").splitlines(keepends=True),
            ours[differ[0]].splitlines(keepends=True),
            f"3.2.7/{differ[0]}/status.json",
            f"ours/{differ[0]}/status.json",
        )
        raise h.BenchError(
            f"status.json differs from 3.2.7 for {len(differ)} of {len(missions)} missions: "
            f"{', '.join(differ[:20])}\nfirst difference:\n{''.join(list(diff)[:80])}"
        )
    expected = {
        m.name: (m / "expected-status.json").read_text(encoding="utf-8")
        for m in missions
        if (m / "expected-status.json").is_file()
    }
    return {
        "missions": len(missions),
        "with_expected": len(expected),
        "ours_equal_expected": sum(ours[name] == text for name, text in expected.items()),
        "reference_equal_expected": sum(ref[name] == text for name, text in expected.items()),
    }


def run(args: Any) -> dict[str, Any]:
    ref_python = h.reference_python(args)
    info = h.provenance()
    ours = Status("ours", str(args.corpus))
    missions = ours.missions
    if not missions:
        raise h.BenchError(f"no mission directories with {LOG_NAME} under {args.corpus}")
    with h.Worker(ref_python, "status", "--impl", "ref", "--corpus", args.corpus) as ref:
        identity = check_identical(
            missions, ours.request("texts")["texts"], ref.request("texts")["texts"]
        )
        ours.request("pass", n=1)  # warm-up, not recorded
        ref.request("pass", n=1)
        rounds = h.interleave(
            args.rounds,
            lambda: ours.request("pass", n=args.passes),
            lambda: ref.request("pass", n=args.passes),
            label="steady state",
        )
        ref_hello = ref.hello

    def per_round(key: str, side: str) -> list[list[float]]:
        return [r[key] for r in rounds[side]]

    steady = h.compare(per_round("times", "ours"), per_round("times", "reference"))
    cpu = h.compare(per_round("cpu_times", "ours"), per_round("cpu_times", "reference"))
    once = {"cmd": "pass", "n": 1}
    cold = h.interleave(
        args.cold_runs,
        lambda: h.child(Path(sys.executable), "status", once, "--corpus", args.corpus),
        lambda: h.child(ref_python, "status", once, "--impl", "ref", "--corpus", args.corpus),
        warmup=1,  # bytecode compile, page cache
        label="cold start",
    )

    def cold_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
        parts = {
            "total": [s["wall_s"] for s in samples],
            "import": [s["import_s"] for s in samples],
            "first_pass": [s["result"]["times"][0] for s in samples],
        }
        # Interpreter start-up, site, the worker's own imports, process exit.
        parts["start_and_exit"] = [t - i - p for t, i, p in zip(*parts.values(), strict=True)]
        return {name: h.summarize(values) for name, values in parts.items()}

    cold_ours, cold_ref = cold_summary(cold["ours"]), cold_summary(cold["reference"])
    logs = [(m / LOG_NAME).read_bytes().splitlines() for m in missions]
    lines = sum(1 for log in logs for line in log if line.strip())
    return {
        "benchmark": "compat",
        "provenance": info,
        "corpus": {"path": str(args.corpus), "missions": len(missions), "log_lines": lines},
        "ours": ours.hello,
        "reference": {**ref_hello, "python": str(ref_python)},
        "identity": identity,
        "rounds": args.rounds,
        "passes_per_round": args.passes,
        "steady": steady,
        "cpu": cpu,
        "cold": {
            "runs": args.cold_runs,
            "ours": cold_ours,
            "reference": cold_ref,
            "ratio": cold_ref["total"]["median"] / cold_ours["total"]["median"],
        },
    }


def render(result: dict[str, Any]) -> str:
    corpus, identity, steady, cold = (result[k] for k in ("corpus", "identity", "steady", "cold"))
    ours_v, ref_v = result["ours"]["version"], result["reference"]["version"]
    names = {"ours": f"ours {ours_v}", "reference": ref_v}
    rows = []
    for side, name in names.items():
        s = steady[side]
        per_mission, per_line = s["median"] / corpus["missions"], s["median"] / corpus["log_lines"]
        rows.append(
            [name, h.ms(s["median"]), h.ms(s["min"]), f"{h.ms(s['p25'])} .. {h.ms(s['p75'])}",
             f"{per_mission * 1000:.2f} ms", f"{per_line * 1e6:.1f} us"]
        )  # fmt: skip
    cold_rows = [
        [names[side], *(h.ms(cold[side][part]["median"]) for part in cold[side])] for side in names
    ]
    return "\n".join(
        [
            f"mission-status {ours_v} vs spec-kitty-cli {ref_v}: compat corpus",
            h.describe(result["provenance"]),
            f"corpus: {corpus['path']} ({corpus['missions']} missions, "
            f"{corpus['log_lines']} log lines)",
            f"identical status.json text: {identity['missions']}/{identity['missions']} "
            f"(equal to expected-status.json: ours {identity['ours_equal_expected']}, "
            f"3.2.7 {identity['reference_equal_expected']} of {identity['with_expected']})",
            "",
            f"steady state: one pass = reduce + render every mission; {result['rounds']} "
            f"interleaved rounds x {result['passes_per_round']} passes",
            h.table("|median/pass|min|p25 .. p75|per mission|per line", rows),
            f"RATIO 3.2.7/ours (median pass times): {steady['ratio']:.2f}x   "
            f"(per-round ratios: median {statistics.median(steady['round_ratios']):.2f}x, "
            f"range {h.span(steady['round_ratios'], 2)})",
            f"  cross-checks: ratio of minimum passes {steady['min_ratio']:.2f}x, "
            f"ratio of median CPU times {result['cpu']['ratio']:.2f}x",
            "",
            f"cold start: fresh process, interpreter + import + one pass "
            f"(median of {cold['runs']}, after a warm-up run)",
            h.table("|total|import|first pass|start + exit", cold_rows),
            f"RATIO 3.2.7/ours (cold total): {cold['ratio']:.2f}x",
        ]
    )


if __name__ == "__main__":
    counts = {
        "rounds": (7, "interleaved rounds"),
        "passes": (3, "passes per side per round"),
        "cold_runs": (5, "cold-start samples"),
    }
    sys.exit(h.main(h.parser(__doc__, corpus=True, **counts), run, render))
