#!/usr/bin/env python3
"""Summary of one scripts/gpu-check run: gpu-check.md (for people and docs/PERFORMANCE.md) and gpu-check.json
(for scripts/gpu-hours and for comparing runs). Standard library only: it runs on the GPU machine too.
Every number comes from the run's own result files; nothing here is typed in by hand."""
import argparse
import csv
import glob
import json
import math
import os

EPOCH_SAMPLES = 1530  # TaxiBJ P1's released training split (UrbanFM's release; the paper's Table 3 totals)
PAPER_EPOCH_SECONDS = 4.58  # paper, §Efficiency: PLGF on an RTX 4090
GOAL_EPOCH_SECONDS = 0.5  # issue #19's goal on an H200


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, digits=1):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def main():
    ap = argparse.ArgumentParser()
    for a in ("--mode", "--stages", "--results", "--logs", "--out", "--seconds", "--budget"):
        ap.add_argument(a, required=True)
    a = ap.parse_args()
    results = a.results
    stages = list(csv.DictReader(open(a.stages), delimiter="\t"))
    env = {}
    if os.path.exists(os.path.join(results, "environment.txt")):
        for line in open(os.path.join(results, "environment.txt")):
            if ":" in line:
                k, v = line.split(":", 1)
                env[k.strip()] = v.strip()
    version = ""
    if os.path.exists(os.path.join(results, "version.txt")):
        version = open(os.path.join(results, "version.txt")).read().strip()

    tests = load_json(os.path.join(results, "test_device.json"))
    test_summary = None
    if tests:
        test_summary = {"tests": tests.get("tests", 0), "failures": tests.get("failures", 0),
                        "disabled": tests.get("disabled", 0), "cases": []}
        for suite in tests.get("testsuites", []):
            for t in suite.get("testsuite", []):
                skipped = t.get("result") == "SKIPPED"
                test_summary["cases"].append({"name": f'{suite["name"]}.{t["name"]}',
                                              "status": "skipped" if skipped else ("failed" if t.get("failures") else "ok"),
                                              "ms": float(str(t.get("time", "0s")).rstrip("s")) * 1000})

    benches = {}
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        name = os.path.basename(path)[:-5]
        if name.startswith(("epoch_", "lever_", "model_")):
            j = load_json(path)
            if j:
                benches[name] = j

    packs = {}
    for path in glob.glob(os.path.join(results, "pack_*_*.json")):
        base = os.path.basename(path)[:-5]
        parts = base.split("_")
        group, k = "_".join(parts[:-2]), int(parts[-2])
        j = load_json(path)
        if j:
            packs.setdefault((group, k), []).append(j)

    summary = {
        "mode": a.mode, "seconds": int(a.seconds), "budget_seconds": int(a.budget), "environment": env,
        "fufi_version": version, "stages": stages, "device_tests": test_summary,
        "train": load_json(os.path.join(results, "train_metrics.json")),
        "paper_train": load_json(os.path.join(results, "paper_train_metrics.json")),
        "benchmarks": benches, "packing": [], "epoch_samples": EPOCH_SAMPLES,
    }
    for (group, k), runs in sorted(packs.items()):
        total = sum(r.get("samples_per_second", 0) for r in runs)
        summary["packing"].append({"group": group, "jobs": k, "completed": len(runs),
                                   "samples_per_second_total": total, "model": runs[0].get("model"),
                                   "per_job_pipelined_step_ms": [r.get("pipelined_step_ms") for r in runs]})
    for group in sorted({p["group"] for p in summary["packing"]}):
        rows = [p for p in summary["packing"] if p["group"] == group and p["completed"] == p["jobs"]]
        if rows:
            best = max(rows, key=lambda p: p["samples_per_second_total"])
            summary.setdefault("fastest_packing", {})[group] = best["jobs"]

    md = [f"# scripts/gpu-check ({a.mode}) — {env.get('date', '')}", ""]
    md.append(f"Machine: {env.get('gpu') or env.get('cpu', '?')}; {env.get('cpus', '?')} CPUs; {env.get('os', '')}; "
              f"{env.get('torch', '')}; {env.get('compiler', '')}. Wall time {a.seconds} s of a {a.budget} s budget.")
    md.append("")
    md.append("| stage | status | seconds | note |")
    md.append("|---|---|---:|---|")
    for s in stages:
        md.append(f"| {s['stage']} | {s['status']} | {s['seconds']} | {s['note']} |")
    if test_summary:
        md += ["", f"Device tests: {test_summary['tests']} run, {test_summary['failures']} failed."]
        for c in test_summary["cases"]:
            md.append(f"- {c['name']}: {c['status']} ({c['ms']:.0f} ms)")
    if summary["train"]:
        t = summary["train"]
        md += ["", f"`fufi train` on {t.get('device')}: status {t.get('status')}, test MSE "
                   f"{fmt((t.get('test') or {}).get('mse'), 3)}, mean epoch {fmt(t.get('mean_epoch_seconds'), 2)} s."]
    if benches:
        md += ["", "## Training step benchmarks", "",
               "`step` = one step with the device synchronised after it (median); `pipelined` = steps back to back, "
               "one synchronisation at the end (what an epoch does).", "",
               "| run | model | params | bf16 | channels_last | adam | data | cuda_graph | step ms | pipelined ms | "
               "samples/s | epoch s (samples) | peak MB |",
               "|---|---|---:|---|---|---|---|---|---:|---:|---:|---:|---:|"]
        for name, b in benches.items():
            epoch = b.get("epoch_ms_median")
            samples = b.get("epoch_samples") or EPOCH_SAMPLES
            epoch_s = epoch / 1000 if epoch else b["pipelined_step_ms"] * math.ceil(samples / b["batch"]) / 1000
            md.append(f"| {name} | {b['model']} | {b['parameters']:,} | {b['bf16']} | {b['channels_last']} | "
                      f"{b['adam_impl']} | {'host' if b['host_data'] else 'resident'} | {b['cuda_graph']} | "
                      f"{b['step_ms_median']:.2f} | {b['pipelined_step_ms']:.2f} | {b['samples_per_second']:.1f} | "
                      f"{epoch_s:.3f} ({samples}{'' if epoch else ', est.'}) | {b['peak_memory_bytes'] / 1e6:.0f} |")
        for name in ("epoch_fp32", "epoch_bf16"):
            b = benches.get(name)
            if b and b.get("epoch_ms_median"):
                s = b["epoch_ms_median"] / 1000
                md.append("")
                md.append(f"PLGF ({b['parameters']:,} parameters, batch {b['batch']}) {name[6:]}: one "
                          f"{b['epoch_samples']}-sample epoch of training steps in {s:.3f} s (median of "
                          f"{b.get('epochs', '?')}; goal ≤ "
                          f"{GOAL_EPOCH_SECONDS} s: {'met' if s <= GOAL_EPOCH_SECONDS else 'not met'}; paper "
                          f"{PAPER_EPOCH_SECONDS} s on an RTX 4090).")
    if summary["packing"]:
        md += ["", "## Jobs packed on one device", "", "| model | jobs | completed | samples/s (sum) | per job ms/step |",
               "|---|---:|---:|---:|---|"]
        for p in summary["packing"]:
            per = ", ".join(f"{x:.1f}" for x in p["per_job_pipelined_step_ms"] if x is not None)
            md.append(f"| {p['model']} | {p['jobs']} | {p['completed']} | {p['samples_per_second_total']:.1f} | {per} |")
        for g, k in summary.get("fastest_packing", {}).items():
            md.append(f"\nFastest for {g}: {k} job(s) per device.")
    pt = summary["paper_train"]
    if pt:
        md += ["", f"PLGF trained on the paper preset's P1 on {pt.get('device')}: {pt.get('epochs_run')} epochs, "
                   f"mean epoch {fmt(pt.get('mean_epoch_seconds'), 2)} s (with validation), test MSE "
                   f"{fmt((pt.get('test') or {}).get('mse'), 3)}, MAE {fmt((pt.get('test') or {}).get('mae'), 4)}, "
                   f"MAPE {fmt((pt.get('test') or {}).get('mape'), 4)}."]
    if version:
        md += ["", "```", version, "```"]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gpu-check.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(a.out, "gpu-check.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print("\n".join(md))


if __name__ == "__main__":
    main()
