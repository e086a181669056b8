#!/usr/bin/python3
"""Where a mirror's time goes on the PyTorch side: torch.profiler over one training step (or one inference
forward) after a warm-up, the operators sorted by their own CPU time, with each one's share of the step.
--channels-last runs the mirror in channels_last (parameters and input), the memory format fufi defaults to,
so the same kernels can be compared in both formats within PyTorch.

  bench/python/torch_profile.py --model urbanfm --mode train [--channels-last] [--set channels=64] [--rows 15]
"""
import argparse

import torch

import fufi_mirrors as fm


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, choices=fm.NAMES)
    ap.add_argument("--mode", default="train", choices=["train", "infer"])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loss", default="mse", choices=sorted(fm.LOSSES))
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--rows", type=int, default=15)
    a = ap.parse_args()
    settings = {}
    for item in a.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set: '{item}' is not key=value")
        settings[key] = value
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    spec = fm.DataSpec()
    model = fm.build(a.model, settings, spec)
    coarse, ext, fine = fm.make_input(spec, a.batch)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        coarse = coarse.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)

    def step():
        if a.mode == "train":
            optimizer.zero_grad()
            fm.LOSSES[a.loss](model(coarse, ext), fine).backward()
            optimizer.step()
        else:
            with torch.inference_mode():
                model(coarse, ext)

    model.train(a.mode == "train")
    step()  # warm-up
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"{a.model} {a.mode}, batch {a.batch}, {a.threads} threads, "
          f"{'channels_last' if a.channels_last else 'NCHW'}: {total / 1e3:,.0f} ms of operator self time")
    print(f"{'operator':<40} {'self ms':>10} {'share':>7} {'calls':>6}")
    for e in sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:a.rows]:
        print(f"{e.key:<40} {e.self_cpu_time_total / 1e3:>10,.1f} {100 * e.self_cpu_time_total / total:>6.1f}% "
              f"{e.count:>6}")


if __name__ == "__main__":
    main()
