#!/usr/bin/python3
"""The baseline fufi's CPU training step has to beat: the same SR baselines written the way the public
PyTorch reference code (UrbanSTA's Models/) writes them -- eager PyTorch, NCHW tensors, MSE, Adam -- timed
the way `fufi bench train` times (untimed warm-up, then the median of timed forward+backward+step).

Written here from the architecture descriptions in docs/models/sr_cufar_uno.md (not copied); the script
checks that each model's parameter count equals fufi's, so both sides time the same network.
Needs python3-torch (Debian; not a fufi dependency): apt-get install python3-torch; run it with
Debian's /usr/bin/python3 (a pyenv python3 on PATH does not see Debian's modules).

  bench/python/pytorch_sr_step.py --models srcnn,espcn,vdsr,srresnet --batch 16 --steps 3 --warmup 1
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FUFI_PARAMS = {"srcnn": 131_777, "espcn": 94_913, "vdsr": 961_152, "srresnet": 1_526_016}


def upsampler(c, upscale, batch_norm=True, bias=True, slope=0.0):
    layers = []
    for _ in range(upscale.bit_length() - 1):  # log2(upscale) x2 stages
        layers.append(nn.Conv2d(c, 4 * c, 3, padding=1, bias=bias))
        if batch_norm:
            layers.append(nn.BatchNorm2d(4 * c))
        layers.append(nn.PixelShuffle(2))
        layers.append(nn.ReLU() if slope == 0.0 else nn.LeakyReLU(slope))
    return nn.Sequential(*layers)


class N2Recover(nn.Module):
    """UrbanFM's N2 normalisation (each upscale x upscale block sums to 1) times the upsampled coarse map."""

    def __init__(self, upscale):
        super().__init__()
        self.upscale = upscale

    def forward(self, raw, coarse):
        u = self.upscale
        block = F.avg_pool2d(raw, u) * u * u
        density = raw / (F.interpolate(block, scale_factor=u, mode="nearest") + 1e-5)
        return density * F.interpolate(coarse, scale_factor=u, mode="nearest")


class Srcnn(nn.Module):
    def __init__(self, c=64, upscale=4):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c, 9, padding=4)
        self.conv2 = nn.Conv2d(c, c // 2, 5, padding=2)
        self.up = upsampler(c // 2, upscale)
        self.conv3 = nn.Conv2d(c // 2, 1, 5, padding=2)
        self.n2 = N2Recover(upscale)

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.n2(self.conv3(self.up(h)), x)


class Espcn(nn.Module):
    def __init__(self, c=64, upscale=4):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c, 5, padding=2)
        self.conv2 = nn.Conv2d(c, c // 2, 3, padding=1)
        self.up = upsampler(c // 2, upscale)
        self.conv3 = nn.Conv2d(c // 2, 1, 3, padding=1)
        self.n2 = N2Recover(upscale)

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.n2(self.conv3(self.up(h)), x)


class Vdsr(nn.Module):
    def __init__(self, c=64, upscale=4):
        super().__init__()
        self.input = nn.Conv2d(1, c, 3, padding=1, bias=False)
        self.body = nn.Sequential(*[m for _ in range(18) for m in (nn.Conv2d(c, c, 3, padding=1, bias=False), nn.ReLU())])
        self.up = upsampler(c, upscale)
        self.output = nn.Conv2d(c, 1, 3, padding=1, bias=False)
        self.n2 = N2Recover(upscale)

    def forward(self, x):
        return self.n2(self.output(self.up(self.body(F.relu(self.input(x))))), x)


class SrResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.in1 = nn.InstanceNorm2d(c, affine=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.in2 = nn.InstanceNorm2d(c, affine=True)

    def forward(self, x):
        return self.in2(self.conv2(F.leaky_relu(self.in1(self.conv1(x)), 0.2))) + x


class SrResNet(nn.Module):
    def __init__(self, c=64, upscale=4):
        super().__init__()
        self.conv_input = nn.Conv2d(1, c, 9, padding=4, bias=False)
        self.blocks = nn.Sequential(*[SrResBlock(c) for _ in range(16)])
        self.conv_mid = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.norm_mid = nn.InstanceNorm2d(c, affine=True)
        self.up = upsampler(c, upscale, batch_norm=False, bias=False, slope=0.2)
        self.conv_output = nn.Conv2d(c, 1, 9, padding=4, bias=False)
        self.n2 = N2Recover(upscale)

    def forward(self, x):
        skip = F.leaky_relu(self.conv_input(x), 0.2)
        h = self.norm_mid(self.conv_mid(self.blocks(skip))) + skip
        return self.n2(self.conv_output(self.up(h)), x)


MODELS = {"srcnn": Srcnn, "espcn": Espcn, "vdsr": Vdsr, "srresnet": SrResNet}


def bench(name, batch, steps, warmup, threads):
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = MODELS[name]()
    params = sum(p.numel() for p in model.parameters())
    if params != FUFI_PARAMS[name]:
        raise SystemExit(f"{name}: {params} parameters, fufi has {FUFI_PARAMS[name]}: not the same network")
    # Realistic inputs: zero-inflated integer fine maps and their exact 4x4 block sums.
    fine = torch.poisson(torch.rand(batch, 1, 128, 128) * 8) * (torch.rand(batch, 1, 128, 128) > 0.4)
    coarse = F.avg_pool2d(fine, 4) * 16
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.mse_loss(model(coarse / 100), fine / 100)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(1e3 * (time.perf_counter() - t0))
    return {"model": name, "parameters": params, "batch": batch, "threads": threads,
            "step_ms_median": statistics.median(times), "step_ms_min": min(times), "step_ms_max": max(times)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="srcnn,espcn,vdsr,srresnet")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = ap.parse_args()
    for name in a.models.split(","):
        if name not in MODELS:
            ap.error(f"--models: unknown model '{name}' ({', '.join(MODELS)})")
        print(json.dumps(bench(name, a.batch, a.steps, a.warmup, a.threads)), flush=True)


if __name__ == "__main__":
    main()
