"""PLGF (AAAI 2026) as fufi builds it (model/include/fufi/model/plgf.h, model/src/plgf*.cpp), mirrored in
eager PyTorch: there is no public PLGF code, so fufi's reading of the paper is the architecture.

  coarse - conv3 - PUB_1 - ... - PUB_S - conv3 -> ReLU -> exact N2 * upsample(coarse)     S = log2(N)
  ext - Environment Context Embedding - e_cond (FiLM and Context-Gated Attention of every PUB)
  PUB = FiLM -> Local-Global Fusion (RDB || EnhancedFPN -> 1x1) -> Context-Gated Attention -> conv3 C->4C -> PixelShuffle 2
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import CONTINUOUS, DAY, HOUR, WEATHER, NORM_PROBE, block_sum, cfg_bool, cfg_float, cfg_int, ext_index, \
    log2_exact, recover, upsample_nearest


def group_norm(c):
    return nn.GroupNorm(math.gcd(8, c), c)


def resize_bilinear(x, h, w):
    if x.shape[2] == h and x.shape[3] == w:
        return x
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


def exact_n2_normalize(raw, upscale, eps):
    """(raw + eps/N^2) / (block sum of raw + eps): every block sums to 1 for any non-negative raw."""
    sums = block_sum(raw, upscale)
    NORM_PROBE.record(sums, eps, exact=True)
    return (raw + eps / (upscale * upscale)) / (upsample_nearest(sums, upscale) + eps)


def eca_kernel_size(c):
    t = int(abs((math.log2(c) + 1.0) / 2.0))
    return t if t % 2 == 1 else t + 1


class Eca(nn.Module):
    """Efficient Channel Attention: GAP -> Conv1d(k) across channels -> sigmoid -> scale."""

    def __init__(self, c):
        super().__init__()
        k = eca_kernel_size(c)
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        weights = torch.sigmoid(self.conv(x.mean((2, 3)).unsqueeze(1))).transpose(1, 2).unsqueeze(-1)
        return x * weights


class ResidualDenseBlock(nn.Module):
    """x_l = GELU(GN(conv3([x_0 .. x_{l-1}]))); out = x_0 + alpha * ECA(GN(conv1x1([x_0 .. x_depth])))."""

    def __init__(self, c, growth, depth, residual_scale, dropout):
        super().__init__()
        self.layers = nn.ModuleList()
        for i in range(depth):
            layer = [nn.Conv2d(c + growth * i, growth, 3, padding=1), group_norm(growth), nn.GELU()]
            if dropout > 0:
                layer.append(nn.Dropout2d(dropout))
            self.layers.append(nn.Sequential(*layer))
        self.fusion = nn.Conv2d(c + growth * depth, c, 1)
        self.fusion_norm = group_norm(c)
        self.eca = Eca(c)
        self.alpha = nn.Parameter(torch.full((1,), residual_scale))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        return x + self.alpha * self.eca(self.fusion_norm(self.fusion(torch.cat(features, 1))))


class DualAttention(nn.Module):
    """(sigma(a) * channel attention + sigma(b) * spatial attention) / (sigma(a) + sigma(b))."""

    def __init__(self, c, reduction=8):
        super().__init__()
        hidden = max(1, c // reduction)
        self.squeeze = nn.Conv2d(c, hidden, 1)
        self.excite = nn.Conv2d(hidden, c, 1)
        self.spatial = nn.Conv2d(c, 1, 7, padding=3, bias=False)
        self.channel_logit = nn.Parameter(torch.ones(1))
        self.spatial_logit = nn.Parameter(torch.ones(1))

    def forward(self, x):
        by_channel = x * torch.sigmoid(self.excite(F.relu(self.squeeze(x.mean((2, 3), keepdim=True)))))
        by_space = x * torch.sigmoid(self.spatial(x))
        a, b = torch.sigmoid(self.channel_logit), torch.sigmoid(self.spatial_logit)
        return (a * by_channel + b * by_space) / (a + b)


class EnhancedFpn(nn.Module):
    """Levels AdaptiveAvgPool(x, size/2^i), lateral 1x1, top-down bilinear addition, per level conv3 + BN + ReLU +
    DualAttention, resized to the input and summed with weights sigma(beta_i)."""

    def __init__(self, c, scales):
        super().__init__()
        self.scales = scales
        self.laterals = nn.ModuleList([nn.Conv2d(c, c, 1, bias=False) for _ in range(scales)])
        self.smooths = nn.ModuleList([nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c),
                                                    nn.ReLU()) for _ in range(scales)])
        self.attentions = nn.ModuleList([DualAttention(c) for _ in range(scales)])
        self.level_logits = nn.Parameter(torch.ones(scales))

    def forward(self, x):
        h, w = x.shape[2:]
        levels = []
        for i in range(self.scales):
            pooled = x if i == 0 else F.adaptive_avg_pool2d(x, (max(1, h >> i), max(1, w >> i)))
            levels.append(self.laterals[i](pooled))
        for i in range(self.scales - 2, -1, -1):
            levels[i] = levels[i] + resize_bilinear(levels[i + 1], levels[i].shape[2], levels[i].shape[3])
        weights = torch.sigmoid(self.level_logits)
        out = None
        for i in range(self.scales):
            term = weights[i] * resize_bilinear(self.attentions[i](self.smooths[i](levels[i])), h, w)
            out = term if out is None else out + term
        return out


class LocalGlobalFusion(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.local = ResidualDenseBlock(o["channels"], o["growth"], o["depth"], o["residual_scale"], o["rdb_dropout"])
        self.global_path = EnhancedFpn(o["channels"], o["fpn_scales"])
        self.fuse = nn.Conv2d(2 * o["channels"], o["channels"], 1)

    def forward(self, x):
        return self.fuse(torch.cat([self.local(x), self.global_path(x)], 1))


class EnvironmentContextEmbedding(nn.Module):
    """Four d-dim tokens (day, hour, weather embeddings; an MLP of the 4 continuous columns) -> multi-head
    self-attention -> mean over tokens -> Linear: (B,7) -> (B,d)."""

    def __init__(self, d, heads):
        super().__init__()
        self.day = nn.Embedding(8, d)
        self.hour = nn.Embedding(24, d)
        self.weather = nn.Embedding(18, d)
        self.continuous = nn.Sequential(nn.Linear(CONTINUOUS, d), nn.GELU(), nn.Linear(d, d))
        self.attention = nn.MultiheadAttention(d, heads)
        self.project = nn.Linear(d, d)

    def forward(self, ext):
        tokens = torch.stack([self.day(ext_index(ext, DAY)), self.hour(ext_index(ext, HOUR)),
                              self.weather(ext_index(ext, WEATHER)), self.continuous(ext[:, :CONTINUOUS])], 0)
        attended = self.attention(tokens, tokens, tokens, need_weights=False)[0]
        return self.project(attended.mean(0))


class Film(nn.Module):
    """(1 + gamma(e)) * F + beta(e), gamma and beta channel-wise linear projections of e_cond."""

    def __init__(self, d, c):
        super().__init__()
        self.gamma = nn.Linear(d, c)
        self.beta = nn.Linear(d, c)

    def forward(self, features, cond):
        return (1 + self.gamma(cond)[:, :, None, None]) * features + self.beta(cond)[:, :, None, None]


class ContextGatedAttention(nn.Module):
    """v = MHA(query = e_cond, keys = values = the map's cells); gamma, beta = Linear(v); h * gamma + beta."""

    def __init__(self, d, c, heads):
        super().__init__()
        self.attention = nn.MultiheadAttention(d, heads, kdim=c, vdim=c)
        self.gamma = nn.Linear(d, c)
        self.beta = nn.Linear(d, c)
        with torch.no_grad():
            self.gamma.bias.fill_(1.0)

    def forward(self, features, query):
        cells = features.flatten(2).permute(2, 0, 1)
        aggregated = self.attention(query.unsqueeze(0), cells, cells, need_weights=False)[0].squeeze(0)
        return self.gamma(aggregated)[:, :, None, None] * features + self.beta(aggregated)[:, :, None, None]


class ProgressiveUpscalingBlock(nn.Module):
    def __init__(self, o):
        super().__init__()
        d, c = o["cond_dim"], o["channels"]
        self.film = Film(d, c) if o["film"] else None
        self.fusion = LocalGlobalFusion(o) if o["local_global"] else None
        self.gate = ContextGatedAttention(d, c, o["heads"]) if o["context_gate"] else None
        self.expand = nn.Conv2d(c, 4 * c, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x, cond):
        if self.film is not None:
            x = self.film(x, cond)
        if self.fusion is not None:
            x = self.fusion(x)
        if self.gate is not None:
            x = self.gate(x, cond)
        return self.shuffle(self.expand(x))


class Plgf(nn.Module):
    def __init__(self, spec, cfg):
        super().__init__()
        self.spec = spec
        o = {k: cfg_int(cfg, k) for k in ("channels", "depth", "growth", "cond_dim", "heads", "fpn_scales")}
        o.update({k: cfg_float(cfg, k) for k in ("residual_scale", "rdb_dropout", "n2_eps")})
        o.update({k: cfg_bool(cfg, k) for k in ("film", "local_global", "context_gate")})
        if o["cond_dim"] == 0:
            o["cond_dim"] = o["channels"]
        if not (o["film"] or o["context_gate"]):
            raise ValueError("plgf: film=false with context_gate=false is not mirrored")
        self.n2_eps = o["n2_eps"]
        self.stem = nn.Conv2d(spec.channels, o["channels"], 3, padding=1)
        self.context = EnvironmentContextEmbedding(o["cond_dim"], o["heads"])
        self.blocks = nn.ModuleList([ProgressiveUpscalingBlock(o) for _ in range(log2_exact(spec.upscale))])
        self.head = nn.Conv2d(o["channels"], spec.channels, 3, padding=1)

    def forward(self, coarse, ext):
        cond = self.context(ext)
        features = self.stem(coarse)
        for block in self.blocks:
            features = block(features, cond)
        raw = F.relu(self.head(features))
        return recover(exact_n2_normalize(raw, self.spec.upscale, self.n2_eps), coarse, self.spec.upscale)


MODELS = {
    "plgf": (Plgf, {"channels": "128", "depth": "4", "growth": "32", "cond_dim": "0", "heads": "4",
                    "fpn_scales": "4", "residual_scale": "0.1", "rdb_dropout": "0", "n2_eps": "1e-07",
                    "film": "true", "local_global": "true", "context_gate": "true"}),
}
