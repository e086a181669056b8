#!/usr/bin/python3
"""fufi against PyTorch eager on the same networks: one Markdown table of training-step time and inference
throughput per model, for fufi (its default channels_last=auto, and NCHW forced) and for the PyTorch mirrors in
bench/python/fufi_mirrors. Run it through scripts/bench-vs-pytorch, which checks for python3-torch.

Method. Both sides run at the same threads, batch and loss, on inputs drawn the same way (zero-inflated
integer fine maps, their exact block sums, valid ext rows), at the TaxiBJ shape 32x32 -> x4 with ext. Each
measurement is a fresh process (`fufi bench train|infer --format json` or bench/python/torch_bench.py) that
builds the model, runs W untimed and S timed repetitions and reports their median. The three sides take
turns within every round, in an order that rotates from round to round, so that load changes on the machine
hit them alike; a side's figure is the median over the rounds of its per-round medians. Before timing, every
model is checked: the mirror's parameter count equals `fufi models --format json`'s at the same --set (and at
a second size where the model has a width key), its forward gives fufi's output shape, and every NxN block
of its output sums to the coarse cell as N2 and recovery require.

ratio = fufi time / PyTorch time (training: ms per step; inference: ms per batch, the inverse of maps/s), so
below 1 means fufi is faster.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fufi_mirrors as fm  # noqa: E402  (no torch needed at import time for the names alone)

SIDES = ["fufi", "fufi_nchw", "torch"]
# Where the default size is slow, a second, smaller width checks that the mirror follows fufi's keys.
SECOND_SIZE = {"srcnn": "channels=32", "espcn": "channels=32", "vdsr": "channels=32", "deepsd": "channels=32",
               "srresnet": "channels=32", "urbanfm": "channels=64", "urbanpy": "channels=32",
               "deeplgr": "channels=64", "fode": "channels=64", "urbanode": "channels=64", "cufar": "channels=64",
               "uno": "edsr_blocks=4", "plgf": "channels=64"}


class BenchError(Exception):
    pass


def run_json(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise BenchError(f"{' '.join(cmd)}: output is not JSON ({e}): {proc.stdout[:200]}")


def set_args(sets):
    return [arg for s in sets for arg in ("--set", s)]


def fufi_models(fufi, model, sets):
    """fufi's parameter count and resolved configuration (key -> value) for `model` at `sets`."""
    rows = run_json([fufi, "models", model, "--format", "json"] + set_args(sets))
    row = rows[0] if isinstance(rows, list) else rows
    config = dict(item.split("=", 1) for item in str(row["config"]).split())
    return int(row["params"]), config


def same_value(a, b):
    try:
        return float(a) == float(b)
    except ValueError:
        return a.lower() == b.lower()


def check_model(a, model, sets):
    """Parameter counts (default sets and a second size), configuration keys, output shape and N2 constraint.
    Returns a one-line summary; BenchError when the mirror is not fufi's network."""
    variants = [sets] + ([sets + [SECOND_SIZE[model]]] if SECOND_SIZE.get(model) else [])
    counts = []
    for v in variants:
        fufi_params, fufi_config = fufi_models(a.fufi, model, v)
        mirror_config = fm.resolve(model, dict(s.split("=", 1) for s in v))
        if set(mirror_config) != set(fufi_config):
            raise BenchError(f"{model}: mirror keys {sorted(mirror_config)} differ from fufi's {sorted(fufi_config)}")
        differing = [k for k in fufi_config if not same_value(fufi_config[k], mirror_config[k])]
        if differing:
            raise BenchError(f"{model}: defaults differ from fufi's for {differing}")
        torch_cmd = [sys.executable, os.path.join(HERE, "torch_bench.py"), "--model", model, "--mode", "check",
                     "--threads", str(a.threads)] + set_args(v)
        report = run_json(torch_cmd)
        if report["parameters"] != fufi_params:
            raise BenchError(f"{model} {' '.join(v) or '(defaults)'}: mirror has {report['parameters']:,} parameters, "
                             f"fufi {fufi_params:,}: not the same network")
        if report["shape"] != [2, 1, 128, 128] or not report["finite"]:
            raise BenchError(f"{model}: mirror output {report['shape']} (finite: {report['finite']}), "
                             "expected [2, 1, 128, 128]")
        if report["max_rel_error"] > 1e-3:
            raise BenchError(f"{model}: blocks do not sum to the coarse map (max relative error "
                             f"{report['max_rel_error']:.2e})")
        counts.append(f"{' '.join(v) or 'defaults'}: {fufi_params:,}")
        if v is variants[0]:
            first = report
    return (f"{model}: parameters equal ({'; '.join(counts)}); output {first['shape']}; block sums = coarse x N2 "
            f"factor within {first['max_rel_error']:.1e}; {first['blocks_keeping_coarse']}/{first['blocks']} blocks "
            "keep their coarse value at initialisation")


def measure(a, side, mode, model, sets):
    """One fresh-process measurement: (median ms, the JSON)."""
    steps, warmup = (a.steps, a.warmup) if mode == "train" else (a.infer_steps, a.warmup)
    if side == "torch":
        cmd = [sys.executable, os.path.join(HERE, "torch_bench.py"), "--model", model, "--mode", mode,
               "--batch", str(a.batch), "--steps", str(steps), "--warmup", str(warmup), "--threads", str(a.threads),
               "--loss", a.loss] + set_args(sets)
    else:
        cmd = [a.fufi, "bench", mode, "--model", model, "--steps", str(steps), "--warmup", str(warmup),
               "--threads", str(a.threads), "--format", "json"]
        cmd += ["--batch", str(a.batch)] if mode == "train" else ["--batches", str(a.batch)]
        # Training: fufi's default, channels_last=auto, against NCHW forced. Inference: `fufi infer` runs NCHW, so
        # the "fufi" side is the NHWC forward and the NCHW side is what `fufi infer` does.
        fmt = {"fufi_nchw": ["channels_last=false"], "fufi": ["channels_last=true"] if mode == "infer" else []}[side]
        extra = ([f"loss={a.loss}"] if mode == "train" else []) + fmt
        cmd += set_args(sets + extra)
    r = run_json(cmd)
    if mode == "train":
        return r["step_ms_median"], r
    return r["points"][0]["batch_ms_median"], r


def fmt_ms(v):
    return "failed" if v is None else f"{v:,.0f}"


def fmt_maps(ms, batch):
    if ms is None:
        return "failed"
    rate = 1e3 * batch / ms
    return f"{rate:,.1f}" if rate < 100 else f"{rate:,.0f}"


def fmt_ratio(num, den):
    return "—" if num is None or den is None else f"{num / den:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--models", default=",".join(fm.NAMES), help="comma-separated (default: all 13)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="model key for every selected model, on both sides (e.g. --models urbanfm --set channels=64)")
    ap.add_argument("--quick", action="store_true", help="1 round, 1 timed step after 1 warm-up (a smoke run)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per model and mode (default 3)")
    ap.add_argument("--steps", type=int, default=2, help="timed training steps per measurement (default 2)")
    ap.add_argument("--infer-steps", type=int, default=3, help="timed forwards per inference measurement (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed repetitions per measurement (default 1)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loss", default="mse", choices=sorted(fm.LOSSES), help="training loss on both sides (default mse)")
    ap.add_argument("--no-nchw", action="store_true", help="skip fufi's channels_last=false runs")
    ap.add_argument("--modes", default="train,infer", help="train, infer or both (default)")
    ap.add_argument("--check-only", action="store_true", help="only check the mirrors against fufi (fast)")
    ap.add_argument("--fufi", default=os.environ.get("FUFI", "build/bin/fufi"))
    ap.add_argument("--json-dir", help="keep every measurement's JSON here")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.steps, a.infer_steps, a.warmup = 1, 1, 1, 1
    models = [m.strip() for m in a.models.split(",") if m.strip()]
    for m in models:
        if m not in fm.REGISTRY:
            ap.error(f"--models: unknown model '{m}' (models: {', '.join(fm.NAMES)})")
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    if not modes or any(m not in ("train", "infer") for m in modes):
        ap.error(f"--modes: '{a.modes}' is not train, infer or train,infer")
    for name, v in (("--rounds", a.rounds), ("--steps", a.steps), ("--infer-steps", a.infer_steps),
                    ("--batch", a.batch), ("--threads", a.threads)):
        if v < 1:
            ap.error(f"{name}: must be >= 1, got {v}")
    if a.warmup < 0:
        ap.error(f"--warmup: must be >= 0, got {a.warmup}")
    for s in a.set:
        if "=" not in s or s.startswith("="):
            ap.error(f"--set: '{s}' is not key=value")
    if not (os.path.isfile(a.fufi) and os.access(a.fufi, os.X_OK)):
        ap.error(f"--fufi: {a.fufi} is not built (scripts/build first, or --fufi PATH)")
    sides = [s for s in SIDES if not (a.no_nchw and s == "fufi_nchw")]
    if a.json_dir:
        os.makedirs(a.json_dir, exist_ok=True)

    import torch  # only to report the version; the measurements run in their own processes
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    print(f"date: {datetime.date.today().isoformat()}; machine: {cpu}, {os.cpu_count()} cores; "
          f"PyTorch {torch.__version__} (python3-torch); fufi {a.fufi}")
    print(f"command: scripts/bench-vs-pytorch {' '.join(sys.argv[1:])}")
    print(f"batch {a.batch}, {a.threads} threads, loss {a.loss} on both sides, TaxiBJ shape 32x32 -> x4 with ext; "
          f"{a.rounds} alternating rounds x ({a.warmup} warm-up + {a.steps} training steps | {a.infer_steps} "
          f"forwards); load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}", flush=True)

    # 1. The mirrors are fufi's networks.
    print("\nchecks:", file=sys.stderr, flush=True)
    checked = []
    for m in models:
        try:
            print("  " + check_model(a, m, a.set), file=sys.stderr, flush=True)
            checked.append(m)
        except BenchError as e:
            print(f"  FAILED {e}", file=sys.stderr, flush=True)
    if a.check_only or len(checked) < len(models):
        return 0 if len(checked) == len(models) else 1

    # 2. Alternating measurements.
    results, auto_pick = {}, {}
    for m in models:
        for mode in modes:
            samples = {s: [] for s in sides}
            picks = []  # the memory format channels_last=auto chose (fufi bench train reports it)
            for r in range(a.rounds):
                order = sides[r % len(sides):] + sides[:r % len(sides)]
                for side in order:
                    try:
                        ms, raw = measure(a, side, mode, m, a.set)
                        samples[side].append(ms)
                        if side == "fufi" and "channels_last" in raw:
                            picks.append("NHWC" if raw["channels_last"] else "NCHW")
                        if a.json_dir:
                            with open(os.path.join(a.json_dir, f"{m}.{mode}.{side}.{r}.json"), "w") as f:
                                json.dump(raw, f, indent=2)
                    except BenchError as e:
                        print(f"{m} {mode} {side}: {e}", file=sys.stderr, flush=True)
            results[(m, mode)] = {s: (statistics.median(v) if v else None) for s, v in samples.items()}
            if picks:
                auto_pick[(m, mode)] = "/".join(sorted(set(picks)))
            print(f"  {m} {mode}: " + ", ".join(f"{s} {[round(x) for x in samples[s]]} ms" for s in sides),
                  file=sys.stderr, flush=True)
    print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")

    # 3. The table.
    print()
    head = _full_head(modes)
    keep = [i for i, h in enumerate(head) if not (a.no_nchw and "NCHW" in h)]
    print("| " + " | ".join(head[i] for i in keep) + " |")
    print("|" + "---|" * 2 + "---:|" * (len(keep) - 2))
    for m in models:
        params, _ = fufi_models(a.fufi, m, a.set)
        row = [m, f"{params:,}"]
        if "train" in modes:
            t = results[(m, "train")]
            pick = auto_pick.get((m, "train"))
            row += [fmt_ms(t["fufi"]) + (f" ({pick})" if pick else ""), fmt_ms(t.get("fufi_nchw")), fmt_ms(t["torch"]), fmt_ratio(t["fufi"], t["torch"]),
                    fmt_ratio(t.get("fufi_nchw"), t["torch"])]
        if "infer" in modes:
            i = results[(m, "infer")]
            row += [fmt_maps(i["fufi"], a.batch), fmt_maps(i.get("fufi_nchw"), a.batch), fmt_maps(i["torch"], a.batch),
                    fmt_ratio(i["fufi"], i["torch"]), fmt_ratio(i.get("fufi_nchw"), i["torch"])]
        print("| " + " | ".join(row[i] for i in keep) + " |")
    print("\nratio = fufi time / PyTorch time (ms per training step; ms per inference batch): below 1, fufi is faster. "
          "fufi = its default, channels_last=auto: the memory format it measured at the first job start on this "
          "machine and cached (in parentheses); NCHW = fufi with --set channels_last=false. Inference: fufi = the "
          "NHWC forward, NCHW = what `fufi infer` runs.")
    return 0


def _full_head(modes):
    head = ["model", "parameters"]
    if "train" in modes:
        head += ["train fufi ms", "fufi NCHW ms", "PyTorch ms", "ratio", "ratio NCHW"]
    if "infer" in modes:
        head += ["infer fufi maps/s", "fufi NCHW maps/s", "PyTorch maps/s", "ratio", "ratio NCHW"]
    return head


if __name__ == "__main__":
    sys.exit(main())
