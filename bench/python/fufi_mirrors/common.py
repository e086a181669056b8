"""Pieces the PyTorch mirrors share: the data shape, N2 normalisation and distributional recovery, the
TaxiBJ external-factor embedding, UrbanFM's sub-pixel upsampler, residual block, ext subnet and ext2hr.

Written from the layer descriptions in /work/shared/reference/baselines.md and fufi's model/src/*.cpp
(not copied from any public repository). Shapes: coarse maps (B, C, h, w), fine maps (B, C, h*N, w*N),
ext (B, 7) raw TaxiBJ columns [temperature, wind, holiday, weekend, day of week 1..7, hour, weather].
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class DataSpec:
    """The data shape fufi's benchmarks build models for by default: TaxiBJ, 1 channel, 32x32 -> x4, 7 ext
    columns, hours 7..21 (15 hour slots for CUFAR's and UNO's hour-specific heads)."""
    channels: int = 1
    coarse_h: int = 32
    coarse_w: int = 32
    upscale: int = 4
    ext_dim: int = 7
    hour_offset: int = 7
    hour_slots: int = 15

    @property
    def fine_h(self):
        return self.coarse_h * self.upscale

    @property
    def fine_w(self):
        return self.coarse_w * self.upscale

    @property
    def has_ext(self):
        return self.ext_dim > 0


# TaxiBJ ext columns (shared/reference/data.md).
DAY, HOUR, WEATHER, CONTINUOUS = 4, 5, 6, 4


def log2_exact(value):
    k = value.bit_length() - 1
    if value < 1 or (1 << k) != value:
        raise ValueError(f"upscale {value} is not a power of two")
    return k


def block_sum(fine, upscale):
    """Sum of each upscale x upscale block: (B,C,H,W) -> (B,C,H/N,W/N)."""
    return F.avg_pool2d(fine, upscale) * (upscale * upscale)


def upsample_nearest(x, factor):
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="nearest")


def n2_normalize(raw, upscale, eps):
    """UrbanFM's N2-Normalization: raw / (its block's sum + eps), the block sum broadcast back by nearest
    upsampling, as the reference code does it."""
    sums = block_sum(raw, upscale)
    NORM_PROBE.record(sums, eps)
    return raw / (upsample_nearest(sums, upscale) + eps)


def recover(density, coarse, upscale, scale=1.0):
    """Distributional recovery: density * nearest-upsampled(coarse * scale)."""
    return density * upsample_nearest(coarse * scale, upscale)


class _NormProbe:
    """While active, records what each block of the last N2 density sums to (S / (S + eps) for UrbanFM's N2, S
    the raw block sum): the factor by which N2 and recovery scale each coarse cell. It is ~1 where |S| >> eps;
    the references' N2 cannot keep the others (all-zero blocks after a ReLU, the SR nets' near-zero signed
    sums), and the constraint check reports them apart."""

    def __init__(self):
        self.active = False
        self.last = None

    def record(self, sums, eps, exact=False):
        """sums: the raw block sums; exact: PLGF's N2, whose blocks sum to (S + eps) / (S + eps)."""
        if self.active:  # nothing is computed while timing
            sums = sums.detach()
            self.last = (sums + eps if exact else sums) / (sums + eps)


NORM_PROBE = _NormProbe()


def ext_index(ext, col):
    return ext[:, col].round().long()


class ExtEmbedding(nn.Module):
    """(B,7) -> (B,12) = [day Embedding(8,2), hour Embedding(24,3), weather Embedding(weather_vocab,3), ext[:, :4]]."""

    def __init__(self, weather_vocab=18):
        super().__init__()
        self.day = nn.Embedding(8, 2)
        self.hour = nn.Embedding(24, 3)
        self.weather = nn.Embedding(weather_vocab, 3)
        self.output_dim = 2 + 3 + 3 + CONTINUOUS

    def forward(self, ext):
        return torch.cat([self.day(ext_index(ext, DAY)), self.hour(ext_index(ext, HOUR)),
                          self.weather(ext_index(ext, WEATHER)), ext[:, :CONTINUOUS]], 1)


class UrbanExtNet(nn.Module):
    """UrbanFM's ext subnet: embedding -> Linear(12,hidden) -> Dropout -> ReLU -> Linear(hidden,h*w) -> ReLU
    -> (B,1,h,w)."""

    def __init__(self, hidden, dropout, out_h, out_w):
        super().__init__()
        self.out_h, self.out_w = out_h, out_w
        self.embedding = ExtEmbedding()
        self.fc1 = nn.Linear(self.embedding.output_dim, hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, out_h * out_w)

    def forward(self, ext):
        e = F.relu(self.dropout(self.fc1(self.embedding(ext))))
        return F.relu(self.fc2(e)).view(-1, 1, self.out_h, self.out_w)


def ext_to_high_res(upscale):
    """UrbanFM's ext2hr: log2(N) x [conv3 1->4, BN 4, PixelShuffle 2, ReLU] (96 parameters at x4)."""
    layers = []
    for _ in range(log2_exact(upscale)):
        layers += [nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.PixelShuffle(2), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def subpixel_upsampler(channels, upscale, batch_norm=True, bias=True, slope=0.0):
    """log2(N) x [conv3 c->4c, (BN 4c), PixelShuffle 2, ReLU or LeakyReLU(slope)]: UrbanFM's distributional
    upsampling feature path."""
    layers = []
    for _ in range(log2_exact(upscale)):
        layers.append(nn.Conv2d(channels, 4 * channels, 3, padding=1, bias=bias))
        if batch_norm:
            layers.append(nn.BatchNorm2d(4 * channels))
        layers.append(nn.PixelShuffle(2))
        layers.append(nn.ReLU(inplace=True) if slope == 0.0 else nn.LeakyReLU(slope, inplace=True))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """conv3-BN-ReLU-conv3-BN + skip (UrbanFM)."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))


def init_urbanfm_weights(model):
    """UrbanFM/UrbanPy initialisation: conv weights N(0, 0.02), BatchNorm weight N(1, 0.02), bias 0."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.normal_(0.0, 0.02)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.normal_(1.0, 0.02)
                m.bias.zero_()


class UrbanInput(nn.Module):
    """The input end of the UrbanFM family: ext subnet (raw ext -> one coarse map), ext2hr, and the 9x9 stem
    over [flow, ext map]."""

    def __init__(self, spec, features, hidden, dropout, ext_upscale):
        super().__init__()
        self.ext_net = UrbanExtNet(hidden, dropout, spec.coarse_h, spec.coarse_w)
        self.ext_to_fine = ext_to_high_res(ext_upscale)
        self.stem = nn.Conv2d(spec.channels + 1, features, 9, padding=4)

    def stem_of(self, coarse, ext_map):
        return self.stem(torch.cat([coarse, ext_map], 1))


def cfg_int(cfg, key):
    return int(cfg[key])


def cfg_float(cfg, key):
    return float(cfg[key])


def cfg_bool(cfg, key):
    value = str(cfg[key]).lower()
    if value not in ("true", "false"):
        raise ValueError(f"{key}: '{cfg[key]}' is not true or false")
    return value == "true"
