"""UrbanFM (KDD'19), UrbanPy (TKDE'20, CUFAR's copy) and DeepLGR (AAAI'21, CUFAR's copy) in eager PyTorch,
from baselines.md section 3 and fufi's model/src/{urbanfm,urbanpy,deeplgr}.cpp; written here, not copied.
Every model takes (coarse (B,C,32,32), ext (B,7)) and returns the fine map (B,C,128,128).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import (ResidualBlock, UrbanInput, cfg_bool, cfg_float, cfg_int, init_urbanfm_weights, log2_exact,
                     n2_normalize, recover, subpixel_upsampler, upsample_nearest)


def _require_ext(cfg, name):
    if not cfg_bool(cfg, "use_ext"):
        raise ValueError(f"{name}: use_ext=false is not mirrored (the benchmark shape has ext)")


class UrbanFMTrunk(nn.Module):
    """UrbanInput (ext subnet hidden 128, dropout 0.3), ReLU(stem) -> residual blocks -> conv3 + BN + the stem
    as a skip -> sub-pixel upsampling (BN, ReLU) to the fine grid."""

    def __init__(self, spec, features, blocks):
        super().__init__()
        self.input = UrbanInput(spec, features, hidden=128, dropout=0.3, ext_upscale=spec.upscale)
        self.body = nn.Sequential(*blocks)
        self.body_conv = nn.Conv2d(features, features, 3, padding=1)
        self.body_bn = nn.BatchNorm2d(features)
        self.upsampler = subpixel_upsampler(features, spec.upscale)

    def forward(self, coarse, ext):
        ext_map = self.input.ext_net(ext)
        stem = F.relu(self.input.stem_of(coarse, ext_map))
        return self.upsampler(stem + self.body_bn(self.body_conv(self.body(stem)))), ext_map


class UrbanFM(nn.Module):
    def __init__(self, spec, cfg):
        super().__init__()
        _require_ext(cfg, "urbanfm")
        self.spec = spec
        c = cfg_int(cfg, "channels")
        self.trunk = UrbanFMTrunk(spec, c, [ResidualBlock(c) for _ in range(cfg_int(cfg, "residual_blocks"))])
        self.head = nn.Conv2d(c + 1, spec.channels, 9, padding=4)
        init_urbanfm_weights(self)

    def forward(self, coarse, ext):
        features, ext_map = self.trunk(coarse, ext)
        raw = F.relu(self.head(torch.cat([features, self.trunk.input.ext_to_fine(ext_map)], 1)))
        return recover(n2_normalize(raw, self.spec.upscale, 1e-5), coarse, self.spec.upscale)


# --- UrbanPy ---------------------------------------------------------------------------------------------

class LocalConv(nn.Module):
    """UrbanPy's LocalConv: one dense (block^2*in x block^2*out) matrix per tile of block x block cells, so every
    coarse cell learns its own redistribution. Weight (tiles, block^2*in, block^2*out); tile vectors in
    (row, col, channel) order."""

    def __init__(self, blocks_h, blocks_w, block, cin, cout):
        super().__init__()
        self.bh, self.bw, self.s, self.cin, self.cout = blocks_h, blocks_w, block, cin, cout
        self.weight = nn.Parameter(torch.randn(blocks_h * blocks_w, block * block * cin, block * block * cout))

    def forward(self, x):
        b, bh, bw, s = x.size(0), self.bh, self.bw, self.s
        tiles = x.reshape(b, self.cin, bh, s, bw, s).permute(2, 4, 0, 3, 5, 1).reshape(bh * bw, b, s * s * self.cin)
        out = torch.bmm(tiles, self.weight)
        return out.reshape(bh, bw, b, s, s, self.cout).permute(2, 5, 0, 3, 1, 4).reshape(b, self.cout, bh * s, bw * s)


class ProposalNet(nn.Module):
    """Residual blocks over [previous density, mean features, ext map] -> conv3 -> BN -> PixelShuffle 2 -> ReLU
    (-> Dropout 0.5 -> LocalConv -> ReLU when local) -> N2 over the step's block."""

    def __init__(self, spec, cin, block, local, compress, res_blocks):
        super().__init__()
        self.block = block
        self.res_blocks = nn.Sequential(*[ResidualBlock(cin) for _ in range(res_blocks)])
        mid = compress if local else spec.channels
        layers = [nn.Conv2d(cin, 4 * mid, 3, padding=1), nn.BatchNorm2d(4 * mid), nn.PixelShuffle(2), nn.ReLU()]
        if local:
            layers += [nn.Dropout(0.5), LocalConv(spec.coarse_h, spec.coarse_w, block, compress, spec.channels),
                       nn.ReLU()]
        self.upsample = nn.Sequential(*layers)

    def forward(self, previous_density, features):
        x = self.res_blocks(torch.cat([previous_density, features], 1))
        return n2_normalize(self.upsample(x), self.block, 1e-5)


class UrbanPy(nn.Module):
    """A cascade of x2 steps; each: residual body -> sub-pixel x2; a correction density (1x1 conv over the
    upsampled features and the ext map) and a proposal density (ProposalNet over the running mean of all steps'
    features); the step's density is N2(proposal + correction) and its output the recovered flow map."""

    def __init__(self, spec, cfg):
        super().__init__()
        _require_ext(cfg, "urbanpy")
        proposal = cfg["proposal"]
        if proposal not in ("local", "global"):
            raise ValueError(f"urbanpy: proposal must be local or global, got {proposal}")
        self.spec = spec
        c, C = cfg_int(cfg, "channels"), spec.channels
        self.steps = log2_exact(spec.upscale)
        self.input = UrbanInput(spec, c, hidden=128, dropout=0.5, ext_upscale=2)
        self.bodies = nn.ModuleList()
        self.upsamplers = nn.ModuleList()
        self.corrections = nn.ModuleList()
        self.proposals = nn.ModuleList()
        for i in range(self.steps):
            self.bodies.append(nn.Sequential(*[ResidualBlock(c) for _ in range(cfg_int(cfg, "residual_blocks"))]))
            self.upsamplers.append(subpixel_upsampler(c, 2))
            self.corrections.append(nn.Conv2d(c + 1, C, 1))
            self.proposals.append(ProposalNet(spec, C + c + 1, 2 << i, proposal == "local", cfg_int(cfg, "compress"),
                                              cfg_int(cfg, "proposal_res_blocks")))
        self.kl_alpha = cfg_float(cfg, "kl_alpha")
        init_urbanfm_weights(self)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, LocalConv):
                    m.weight.normal_(0.0, 0.02)

    def forward(self, coarse, ext):
        previous_density = torch.ones_like(coarse)
        ext_map = self.input.ext_net(ext)
        inp = F.relu(self.input.stem_of(coarse, ext_map))
        step_features = []
        out = None
        for i in range(self.steps):
            block = 2 << i
            features = self.bodies[i](inp)
            features_up = self.upsamplers[i](features)
            step_features.append(features)
            ext_up = self.input.ext_to_fine(ext_map)
            correction = n2_normalize(F.relu(self.corrections[i](torch.cat([features_up, ext_up], 1))), block, 1e-5)
            # Running mean of all steps' features at the current resolution.
            n = len(step_features)
            mean = step_features[-1]
            for j in range(n - 2, -1, -1):
                mean = upsample_nearest(step_features[j], 1 << (n - 1 - j)) + mean
            mean = torch.cat([mean / n, ext_map], 1)
            proposal = self.proposals[i](previous_density, mean)
            density = n2_normalize(proposal + correction, block, 1e-5)
            out = recover(density, coarse, block)
            previous_density, inp, ext_map = density, features_up, ext_up
        return out


# --- DeepLGR ---------------------------------------------------------------------------------------------

class SqueezeExcitation(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c, c // 16, bias=False)
        self.fc2 = nn.Linear(c // 16, c, bias=False)

    def forward(self, x):
        w = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3))))))
        return x * w[:, :, None, None]


class SEResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c)
        self.se = SqueezeExcitation(c)

    def forward(self, x):
        return x + self.se(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class GlobalNet(nn.Module):
    """Pyramid pooling at the fine resolution: per level (1, 2, 4, 8 cells a side) AdaptiveAvgPool -> 1x1 conv
    C->C/8 (no bias) -> BN -> sub-pixel (1x1 conv to C/8*r^2, PixelShuffle r); cat with the input -> 1x1 -> ReLU."""

    def __init__(self, c, side):
        super().__init__()
        reduced = c // 8
        self.sizes = [1, 2, 4, 8]
        self.stages = nn.ModuleList()
        for level in self.sizes:
            r = side // level
            self.stages.append(nn.Sequential(nn.Conv2d(c, reduced, 1, bias=False), nn.BatchNorm2d(reduced),
                                             nn.Conv2d(reduced, reduced * r * r, 1), nn.PixelShuffle(r)))
        self.bottleneck = nn.Conv2d(c + 4 * reduced, c, 1)

    def forward(self, x):
        parts = [stage(F.adaptive_avg_pool2d(x, size)) for size, stage in zip(self.sizes, self.stages)]
        return F.relu(self.bottleneck(torch.cat(parts + [x], 1)))


class DeepLGR(nn.Module):
    """UrbanFM's trunk with SE residual blocks, GlobalNet, then the region-specific predictor
    out[b,h,w] = sum_c f[b,c,h,w] * P[c,h,w], P a Tucker product of core (16,16,32), F (32,C), H (16,H), W (16,W);
    cat(ext2hr) -> conv9 -> ReLU -> N2 (1e-5) -> recovery."""

    def __init__(self, spec, cfg):
        super().__init__()
        _require_ext(cfg, "deeplgr")
        self.spec = spec
        c = self.c = cfg_int(cfg, "channels")
        self.trunk = UrbanFMTrunk(spec, c, [SEResidualBlock(c) for _ in range(cfg_int(cfg, "se_blocks"))])
        self.global_net = GlobalNet(c, spec.fine_h)
        self.core = nn.Parameter(torch.empty(16, 16, 32).normal_(0.0, 0.02))
        self.factor_channels = nn.Parameter(torch.empty(32, spec.channels * c).normal_(0.0, 0.02))
        self.factor_rows = nn.Parameter(torch.empty(16, spec.fine_h).normal_(0.0, 0.02))
        self.factor_cols = nn.Parameter(torch.empty(16, spec.fine_w).normal_(0.0, 0.02))
        self.head = nn.Conv2d(spec.channels + 1, spec.channels, 9, padding=4)

    def forward(self, coarse, ext):
        features, ext_map = self.trunk(coarse, ext)
        features = self.global_net(features)
        region = torch.matmul(self.core, self.factor_channels)                   # (16, 16, C*F)
        region = torch.matmul(region.permute(1, 2, 0), self.factor_rows)         # (16, C*F, H)
        region = torch.matmul(region.permute(1, 2, 0), self.factor_cols)         # (C*F, H, W)
        region = region.reshape(self.spec.channels, self.c, self.spec.fine_h, self.spec.fine_w)
        out = torch.einsum("bchw,ochw->bohw", features, region)
        raw = F.relu(self.head(torch.cat([out, self.trunk.input.ext_to_fine(ext_map)], 1)))
        return recover(n2_normalize(raw, self.spec.upscale, 1e-5), coarse, self.spec.upscale)


MODELS = {
    "urbanfm": (UrbanFM, {"channels": "128", "residual_blocks": "16", "use_ext": "true"}),
    "urbanpy": (UrbanPy, {"channels": "64", "residual_blocks": "16", "proposal": "local", "compress": "2",
                          "proposal_res_blocks": "1", "use_ext": "true", "kl_alpha": "0.01"}),
    "deeplgr": (DeepLGR, {"channels": "128", "se_blocks": "12", "use_ext": "true"}),
}
