"""The generic SR baselines as UrbanSTA adapts them to FUFI (SRCNN, ESPCN, VDSR, DeepSD, SRResNet): a plain
SR network whose raw output goes through N2 (eps 1e-5, no ReLU before it) and distributional recovery; no
external factors. Layer by layer as baselines.md section 3 "Generic SR baselines" and fufi's
model/src/sr_baselines.cpp; written here, not copied.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import cfg_bool, cfg_int, init_urbanfm_weights, n2_normalize, recover, subpixel_upsampler

SR_N2_EPS = 1e-5


def conv(cin, cout, k, bias=True):
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)


def init_he_fan_out(model, zero_bias):
    """VDSR's and SRResNet's own init: conv weights N(0, sqrt(2 / (k*k*c_out)))."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_out))
                if zero_bias and m.bias is not None:
                    m.bias.zero_()


class SrBaseline(nn.Module):
    def __init__(self, spec, cfg):
        super().__init__()
        self.spec = spec
        self.width = cfg_int(cfg, "channels")
        if cfg_bool(cfg, "safe_n2"):
            raise ValueError("safe_n2=true is not mirrored (the benchmark times the reference N2)")

    def recover(self, raw, coarse):
        return recover(n2_normalize(raw, self.spec.upscale, SR_N2_EPS), coarse, self.spec.upscale)


class TwoConvSr(SrBaseline):
    """conv k1 C->c, ReLU; conv k2 c->c/2, ReLU; upsampling at c/2; conv k3 c/2->C."""

    def __init__(self, spec, cfg, kernels, urbanfm_init):
        super().__init__(spec, cfg)
        c, half, k1, k2, k3 = self.width, self.width // 2, *kernels
        self.conv1 = conv(spec.channels, c, k1)
        self.conv2 = conv(c, half, k2)
        self.upsampling = subpixel_upsampler(half, spec.upscale)
        self.conv3 = conv(half, spec.channels, k3)
        if urbanfm_init:
            init_urbanfm_weights(self)

    def forward(self, coarse, ext=None):
        h = F.relu(self.conv2(F.relu(self.conv1(coarse))))
        return self.recover(self.conv3(self.upsampling(h)), coarse)


def srcnn(spec, cfg):
    return TwoConvSr(spec, cfg, (9, 5, 5), urbanfm_init=True)


def espcn(spec, cfg):
    return TwoConvSr(spec, cfg, (5, 3, 3), urbanfm_init=False)


class Vdsr(SrBaseline):
    """conv3 C->c (no bias), ReLU; 18 x [conv3 c->c (no bias), ReLU]; upsampling at c; conv3 c->C (no bias)."""

    def __init__(self, spec, cfg):
        super().__init__(spec, cfg)
        c = self.width
        self.input = conv(spec.channels, c, 3, bias=False)
        self.residual_layer = nn.Sequential(*[m for _ in range(18) for m in (conv(c, c, 3, bias=False), nn.ReLU(inplace=True))])
        self.upsampling = subpixel_upsampler(c, spec.upscale)
        self.output = conv(c, spec.channels, 3, bias=False)
        init_he_fan_out(self, zero_bias=False)

    def forward(self, coarse, ext=None):
        h = self.residual_layer(F.relu(self.input(coarse)))
        return self.recover(self.output(self.upsampling(h)), coarse)


class DeepSd(SrBaseline):
    """Stage 1: an SRCNN at the coarse resolution ending in C channels; stage 2: conv9 C->c, ReLU, conv5
    c->c/2, ReLU; upsampling at c/2; conv5 c/2->C."""

    def __init__(self, spec, cfg):
        super().__init__(spec, cfg)
        c, half, C = self.width, self.width // 2, spec.channels
        self.stage1 = nn.Sequential(conv(C, c, 9), nn.ReLU(inplace=True), conv(c, half, 5), nn.ReLU(inplace=True),
                                    conv(half, C, 5))
        self.stage2 = nn.Sequential(conv(C, c, 9), nn.ReLU(inplace=True), conv(c, half, 5), nn.ReLU(inplace=True))
        self.upsampling = subpixel_upsampler(half, spec.upscale)
        self.conv_out = conv(half, C, 5)

    def forward(self, coarse, ext=None):
        return self.recover(self.conv_out(self.upsampling(self.stage2(self.stage1(coarse)))), coarse)


class SrResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = conv(c, c, 3, bias=False)
        self.in1 = nn.InstanceNorm2d(c, affine=True)
        self.conv2 = conv(c, c, 3, bias=False)
        self.in2 = nn.InstanceNorm2d(c, affine=True)

    def forward(self, x):
        return self.in2(self.conv2(F.leaky_relu(self.in1(self.conv1(x)), 0.2))) + x


class SrResNet(SrBaseline):
    """conv9 C->c (no bias), LeakyReLU 0.2; 16 residual blocks (conv3, InstanceNorm, LeakyReLU, conv3, IN, +x);
    conv3 + IN + global skip; log2(N) x [conv3 c->4c (no bias), PixelShuffle 2, LeakyReLU 0.2]; conv9 c->C."""

    def __init__(self, spec, cfg):
        super().__init__(spec, cfg)
        c = self.width
        self.conv_input = conv(spec.channels, c, 9, bias=False)
        self.residual = nn.Sequential(*[SrResBlock(c) for _ in range(16)])
        self.conv_mid = conv(c, c, 3, bias=False)
        self.bn_mid = nn.InstanceNorm2d(c, affine=True)
        self.upscale = subpixel_upsampler(c, spec.upscale, batch_norm=False, bias=False, slope=0.2)
        self.conv_output = conv(c, spec.channels, 9, bias=False)
        init_he_fan_out(self, zero_bias=True)

    def forward(self, coarse, ext=None):
        skip = F.leaky_relu(self.conv_input(coarse), 0.2)
        h = self.bn_mid(self.conv_mid(self.residual(skip))) + skip
        return self.recover(self.conv_output(self.upscale(h)), coarse)


SR_DEFAULTS = {"channels": "64", "safe_n2": "false"}

MODELS = {
    "srcnn": (srcnn, SR_DEFAULTS),
    "espcn": (espcn, SR_DEFAULTS),
    "vdsr": (Vdsr, SR_DEFAULTS),
    "deepsd": (DeepSd, SR_DEFAULTS),
    "srresnet": (SrResNet, SR_DEFAULTS),
}
