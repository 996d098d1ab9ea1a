"""Runs every benchmark and prints one table; writes it to benchmarks/results.json.

Each benchmark script's `main()` returns rows `(workload, minikeras_seconds,
numpy_seconds[, torch_seconds[, keras_jax_seconds]])`, timed in the same process (Keras in
its own interpreter, see bench_fit.py). The README's table is
produced from the JSON file (`python benchmarks/run_all.py --markdown`).

Run: python benchmarks/run_all.py [--markdown] [--only NAME ...]
"""

import argparse
import contextlib
import datetime
import importlib
import io
import json
import pathlib

from _timing import fmt, machine

SCRIPTS = (
    "bench_autodiff",
    "bench_layers",
    "bench_attention",
    "bench_rnn",
    "bench_optimizers",
    "bench_fit",
    "bench_convnet_fit",
    "bench_saving",
)
# Scripts whose `main` parses command-line arguments (run with their defaults).
WITH_ARGUMENTS = ("bench_fit", "bench_convnet_fit")
RESULTS = pathlib.Path(__file__).with_name("results.json")


def run(names, quiet=True):
    rows = []
    for name in names:
        module = importlib.import_module(name)
        output = io.StringIO()
        with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
            result = module.main([]) if name in WITH_ARGUMENTS else module.main()
        for row in result or []:
            workload, ours, numpy_time, *peers = row
            rows.append(
                {
                    "benchmark": name,
                    "workload": workload,
                    "minikeras_s": ours,
                    "numpy_s": numpy_time,
                    "ratio": ours / numpy_time,
                    "torch_s": peers[0] if peers else None,
                    "keras_jax_s": peers[1] if len(peers) > 1 else None,
                }
            )
    return rows


def as_markdown(payload):
    lines = [
        f"Measured {payload['date']} on {payload['machine']}.",
        "",
        "| workload | minikeras | hand-written numpy | ratio | PyTorch eager | Keras 3 (JAX) |",
        "|---|---|---|---|---|---|",
    ]
    for row in payload["rows"]:
        torch = fmt(row["torch_s"]) if row["torch_s"] else "-"
        keras = fmt(row["keras_jax_s"]) if row.get("keras_jax_s") else "-"
        lines.append(
            f"| {row['workload']} | {fmt(row['minikeras_s'])} | {fmt(row['numpy_s'])} | "
            f"{row['ratio']:.2f} | {torch} | {keras} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark script names")
    args = parser.parse_args()
    if args.markdown and args.only is None and RESULTS.exists():
        print(as_markdown(json.loads(RESULTS.read_text())))
        return
    rows = run(args.only or SCRIPTS)
    payload = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(as_markdown(payload))


if __name__ == "__main__":
    main()
