#!/usr/bin/env python3
"""A small UrbanFM-like FUFI model written in PyTorch and saved as TorchScript for fufi (docs/BYO_MODEL.md).

    python3 scripts/example-torchscript-model.py --out byo/urbanfm_tiny.pt        # script and save it
    fufi train --model torchscript:byo/urbanfm_tiny.pt --data DATA --out RUN      # or a sweep (sweeps/byo_example.toml)
    fufi export --checkpoint RUN/best.ckpt --out byo/weights.pt
    python3 scripts/example-torchscript-model.py --load byo/weights.pt            # the trained weights back in PyTorch

Needs PyTorch (Debian: apt-get install python3-torch, which is 1.13 like fufi's LibTorch; the interpreter is
/usr/bin/python3). A file saved by a newer PyTorch than the LibTorch fufi was built with may not load there.

The model follows UrbanFM (Liang et al., KDD 2019) in outline: a 9x9 stem, residual blocks with BatchNorm, a
global skip, sub-pixel upsampling (PixelShuffle(2) per factor 2), a 9x9 head with ReLU. It returns a
non-negative density: fufi applies the N2 normalisation and the recovery to the coarse map
(fufi_output = "density"). Simplification: the external factors (TaxiBJ's 7 columns: day, hour and weather
embedded, the 4 continuous columns raw) enter as a per-channel bias of the coarse features, not as UrbanFM's
extra coarse and fine maps, so that the module works for any map size.
"""
import argparse
import math
from typing import Optional

import torch
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UrbanFMTiny(nn.Module):
    def __init__(self, channels: int = 16, blocks: int = 2, upscale: int = 4, flow_channels: int = 1):
        super().__init__()
        if upscale < 2 or upscale & (upscale - 1):
            raise ValueError("upscale must be a power of two (PixelShuffle(2) per factor 2)")
        # What forward returns, read by fufi: "density" (fufi applies N2 + recovery) or "fine" (the fine map).
        self.fufi_output = "density"
        # External factors: day of week (1..7), hour (0..23) and weather (1..17) embedded, 4 continuous columns.
        self.day = nn.Embedding(8, 2)
        self.hour = nn.Embedding(24, 3)
        self.weather = nn.Embedding(18, 3)
        self.ext_net = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, channels))
        self.stem = nn.Sequential(nn.Conv2d(flow_channels, channels, 9, padding=4), nn.ReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.post = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels))
        upsampling = []
        for _ in range(int(math.log2(upscale))):
            upsampling += [nn.Conv2d(channels, 4 * channels, 3, padding=1), nn.BatchNorm2d(4 * channels),
                           nn.PixelShuffle(2), nn.ReLU()]
        self.upsample = nn.Sequential(*upsampling)
        self.head = nn.Sequential(nn.Conv2d(channels, flow_channels, 9, padding=4), nn.ReLU())

    def forward(self, x: torch.Tensor, ext: Optional[torch.Tensor] = None) -> torch.Tensor:
        # x: (B, C, h, w) coarse flows (fufi's scaled units); ext: (B, 7) or None when the data has none.
        h = self.stem(x)
        if ext is not None:
            e = torch.cat([self.day(ext[:, 4].round().long()), self.hour(ext[:, 5].round().long()),
                           self.weather(ext[:, 6].round().long()), ext[:, 0:4]], dim=1)
            h = h + self.ext_net(e).unsqueeze(-1).unsqueeze(-1)
        h = h + self.post(self.blocks(h))
        return self.head(self.upsample(h))  # (B, C, h*N, w*N), >= 0: a density before N2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="where to save the scripted module (.pt)")
    parser.add_argument("--load", help="a state_dict written by `fufi export`: load it into the model and check it")
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--upscale", type=int, default=4)
    parser.add_argument("--flow-channels", type=int, default=1, help="flow channels C of the data (TaxiBJ 1)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights (fufi trains from these for every seed)")
    args = parser.parse_args()
    if not args.out and not args.load:
        parser.error("give --out, --load or both")
    torch.manual_seed(args.seed)
    model = UrbanFMTiny(args.channels, args.blocks, args.upscale, args.flow_channels)
    parameters = sum(p.numel() for p in model.parameters())
    if args.out:
        torch.jit.script(model).save(args.out)
        print(f"{args.out}: UrbanFMTiny, {parameters} parameters, saved by PyTorch {torch.__version__}")
    if args.load:
        state = torch.load(args.load)
        model.load_state_dict(state)  # strict: every name and shape must match
        model.eval()
        x = torch.rand(2, args.flow_channels, 16, 16)
        ext = torch.tensor([[0.5, 0.4, 0, 0, 3, 8, 1], [0.2, 0.7, 1, 1, 7, 18, 5]], dtype=torch.float32)
        with torch.no_grad():
            y = model(x, ext)
        print(f"{args.load}: {len(state)} tensors loaded into UrbanFMTiny ({parameters} parameters); "
              f"forward {tuple(x.shape)} -> {tuple(y.shape)}")


if __name__ == "__main__":
    main()
