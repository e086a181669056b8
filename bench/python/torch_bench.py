#!/usr/bin/python3
"""One PyTorch-side measurement of a fufi model's mirror, timed the way `fufi bench train|infer` times fufi, with
the same JSON fields on stdout. scripts/bench-vs-pytorch runs it in a fresh process per round, as it runs fufi.

  train  W untimed, then S timed steps of zero_grad + forward + loss + backward + Adam(lr 3e-4) step, train mode
  infer  W untimed, then S timed forwards under torch.inference_mode(), eval mode
  check  parameter count, output shape and the N2 block-sum constraint, from one forward of a batch of 2

Needs python3-torch (apt-get install python3-torch), run with Debian's /usr/bin/python3.
  bench/python/torch_bench.py --model urbanfm --mode train --set channels=64 --batch 16 --steps 3 --threads 2
"""
import argparse
import json
import statistics
import sys
import time

import torch

import fufi_mirrors as fm


def timing(prefix, samples):
    return {f"{prefix}_median": statistics.median(samples), f"{prefix}_min": min(samples), f"{prefix}_max": max(samples)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, choices=fm.NAMES)
    ap.add_argument("--mode", required=True, choices=["train", "infer", "check"])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="model key (as fufi's --set)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loss", default="mse", choices=sorted(fm.LOSSES))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.batch < 1 or a.steps < 1 or a.warmup < 0 or a.threads < 1:
        ap.error("--batch, --steps and --threads must be positive, --warmup >= 0")
    settings = {}
    for item in a.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            ap.error(f"--set: '{item}' is not key=value")
        settings[key] = value

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    spec = fm.DataSpec()
    try:
        model = fm.build(a.model, settings, spec)
    except ValueError as e:
        print(f"torch_bench: {e}", file=sys.stderr)
        return 2
    result = {"model": a.model, "parameters": fm.count_parameters(model), "threads": a.threads,
              "torch": torch.__version__}

    if a.mode == "check":
        coarse, ext, _ = fm.make_input(spec, 2)
        result.update(fm.constraint_report(model, coarse, ext, spec.upscale))
    elif a.mode == "train":
        coarse, ext, fine = fm.make_input(spec, a.batch)
        loss_fn = fm.LOSSES[a.loss]
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
        model.train()
        times = []
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            optimizer.zero_grad()
            loss_fn(model(coarse, ext), fine).backward()
            optimizer.step()
            if i >= a.warmup:
                times.append(1e3 * (time.perf_counter() - t0))
        result.update({"batch": a.batch, "loss": a.loss, "repetitions": a.steps, **timing("step_ms", times)})
        result["samples_per_second"] = 1e3 * a.batch / result["step_ms_median"]
    else:
        coarse, ext, _ = fm.make_input(spec, a.batch)
        model.eval()
        times = []
        with torch.inference_mode():
            for i in range(a.warmup + a.steps):
                t0 = time.perf_counter()
                model(coarse, ext)
                if i >= a.warmup:
                    times.append(1e3 * (time.perf_counter() - t0))
        point = {"batch": a.batch, **timing("batch_ms", times)}
        point["maps_per_second"] = 1e3 * a.batch / point["batch_ms_median"]
        result["points"] = [point]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
