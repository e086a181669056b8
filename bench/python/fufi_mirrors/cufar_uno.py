"""CUFAR (PattonYu/CUFAR) and UNO (IJCAI'24) in eager PyTorch, from baselines.md section 3 and fufi's
model/src/{cufar,uno,baseline_blocks}.cpp; written here, not copied. Both: a local branch with its own
weights per region (grouped convs, one group per region), a global branch, and an output conv chosen per
sample by the hour of day (hour - 7 over 15 slots), ReLU, N2 (eps 1e-7), recovery.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import ExtEmbedding, HOUR, cfg_bool, cfg_int, ext_index, n2_normalize, recover

DROPOUT = 0.3


class MiniModel(nn.Module):
    """CUFAR's mini_model: conv k (in->mid, groups) -> ReLU -> conv3 (mid->out*s^2, groups) -> ReLU
    [-> PixelShuffle s -> ReLU] -> BN(out) -> Dropout 0.3; UNO uses it without the PixelShuffle (s = 0)."""

    def __init__(self, cin, mid, out, kernel, groups, shuffle):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, mid, kernel, padding=kernel // 2, groups=groups)
        self.conv2 = nn.Conv2d(mid, out * shuffle * shuffle if shuffle else out, 3, padding=1, groups=groups)
        self.pixelshuffle = nn.PixelShuffle(shuffle) if shuffle else None
        self.batch_norm = nn.BatchNorm2d(out)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        if self.pixelshuffle is not None:
            x = F.relu(self.pixelshuffle(x))
        return self.dropout(self.batch_norm(x))


def ext_projection(cin, cout):
    return nn.Sequential(nn.Linear(cin, 64), nn.Dropout(DROPOUT), nn.ReLU(inplace=True), nn.Linear(64, cout),
                         nn.ReLU(inplace=True))


class HourExtMaps(nn.Module):
    """An ext map and an hour-embedding map for each region of the local branch (the same for every region) and
    for the global branch."""

    def __init__(self, hour_slots, region_cells, global_cells, weather_vocab=18):
        super().__init__()
        self.time_emb_region = nn.Embedding(hour_slots, region_cells)
        self.time_emb_global = nn.Embedding(hour_slots, global_cells)
        self.embed_ext = ExtEmbedding(weather_vocab)
        self.ext2lr = ext_projection(self.embed_ext.output_dim, region_cells)
        self.ext2lr_global = ext_projection(self.embed_ext.output_dim, global_cells)

    def append(self, regions, global_in, ext, slots):
        """regions (B,R,C,rh,rw) and global_in (B,C,H,W) each get the ext and time maps as 2 more channels."""
        B, R, _, rh, rw = regions.shape
        H, W = global_in.shape[2:]
        emb = self.embed_ext(ext)
        ext_region = self.ext2lr(emb).view(B, 1, 1, rh, rw).expand(B, R, 1, rh, rw)
        time_region = self.time_emb_region(slots).view(B, 1, 1, rh, rw).expand(B, R, 1, rh, rw)
        regions = torch.cat([regions, ext_region, time_region], 2)
        global_in = torch.cat([global_in, self.ext2lr_global(emb).view(B, 1, H, W),
                               self.time_emb_global(slots).view(B, 1, H, W)], 1)
        return regions, global_in


def hour_slots(ext, spec):
    slots = ext_index(ext, HOUR) - spec.hour_offset
    if bool(((slots < 0) | (slots >= spec.hour_slots)).any()):
        raise ValueError("an hour lies outside the hour-specific heads' range")
    return slots


def apply_hour_heads(heads, features, slots):
    """heads[slot_b](features_b) for each sample b, the references' per-sample loop."""
    return torch.cat([heads[s](features[b:b + 1]) for b, s in enumerate(slots.tolist())], 0)


class Cufar(nn.Module):
    def __init__(self, spec, cfg):
        super().__init__()
        if cfg_bool(cfg, "safe_n2"):
            raise ValueError("cufar: safe_n2=true is not mirrored")
        self.spec = spec
        self.width = w = cfg_int(cfg, "channels")
        self.sr = sr = cfg_int(cfg, "sub_region")
        C, regions = spec.channels, sr * sr
        region_cells = (spec.coarse_h // sr) * (spec.coarse_w // sr)
        per_region_in = C + 2
        self.ext_maps = HourExtMaps(spec.hour_slots, region_cells, spec.coarse_h * spec.coarse_w)
        self.global_model = MiniModel(per_region_in, w, w, 9, 1, spec.upscale)
        self.local_sub_model = MiniModel(per_region_in * regions, w * regions, w * regions, 3, regions, spec.upscale)
        self.time_conv = nn.ModuleList([nn.Conv2d(2 * w, C, 3, padding=1) for _ in range(spec.hour_slots)])

    def forward(self, coarse, ext):
        s, B, sr = self.spec, coarse.size(0), self.sr
        rh, rw, N = s.coarse_h // sr, s.coarse_w // sr, s.upscale
        # 'b c (ph h) (pw w) -> b (ph pw) c h w'
        regions = coarse.reshape(B, s.channels, sr, rh, sr, rw).permute(0, 2, 4, 1, 3, 5)
        regions = regions.reshape(B, sr * sr, s.channels, rh, rw)
        slots = hour_slots(ext, s)
        regions, global_in = self.ext_maps.append(regions, coarse, ext, slots)
        local = self.local_sub_model(regions.reshape(B, -1, rh, rw))
        # 'b (ph pw c) h w -> b c (ph h) (pw w)'
        local = local.reshape(B, sr, sr, self.width, rh * N, rw * N).permute(0, 3, 1, 4, 2, 5)
        local = local.reshape(B, self.width, s.fine_h, s.fine_w)
        features = torch.cat([local, self.global_model(global_in)], 1)
        raw = F.relu(apply_hour_heads(self.time_conv, features, slots))
        return recover(n2_normalize(raw, N, 1e-7), coarse, N)


# --- UNO -------------------------------------------------------------------------------------------------

def mean_shift(sign):
    """EDSR's MeanShift: a frozen 1x1 conv 3->3. UNO builds two and never calls them (24 frozen parameters)."""
    shift = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        shift.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        shift.bias.copy_(torch.tensor([0.4488, 0.4371, 0.4040]) * sign)
    shift.requires_grad_(False)
    return shift


class EdsrEncoder(nn.Module):
    """EDSR-baseline without upsampling: conv3 C->E; blocks x [conv3, ReLU, conv3, + skip]; conv3; + head."""

    def __init__(self, cin, features, blocks):
        super().__init__()
        self.sub_mean = mean_shift(-1.0)
        self.add_mean = mean_shift(+1.0)
        self.head = nn.Conv2d(cin, features, 3, padding=1)
        self.body = nn.ModuleList([nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
                                                 nn.Conv2d(features, features, 3, padding=1)) for _ in range(blocks)])
        self.body_conv = nn.Conv2d(features, features, 3, padding=1)

    def forward(self, x):
        head = self.head(x)
        h = head
        for block in self.body:
            h = block(h) + h
        return self.body_conv(h) + head


class LinearAttention(nn.Module):
    """UNO's simple_attn: qkv by a 1x1 conv; keys and values layer-normalised per head ((x - mean) / (unbiased std
    + 1e-5), affine (heads,1,d)); context = k^T v / (H*W); x + MLP(x + q context)."""

    def __init__(self, channels, heads):
        super().__init__()
        self.channels, self.heads, self.head_dim = channels, heads, channels // heads
        self.qkv_proj = nn.Conv2d(channels, 3 * channels, 1)
        self.o_proj1 = nn.Conv2d(channels, channels, 1)
        self.o_proj2 = nn.Conv2d(channels, channels, 1)
        self.kln_weight = nn.Parameter(torch.ones(heads, 1, self.head_dim))
        self.kln_bias = nn.Parameter(torch.zeros(heads, 1, self.head_dim))
        self.vln_weight = nn.Parameter(torch.ones(heads, 1, self.head_dim))
        self.vln_bias = nn.Parameter(torch.zeros(heads, 1, self.head_dim))

    @staticmethod
    def layer_norm(x, weight, bias):
        centred = x - x.mean(-1, keepdim=True)
        std = (centred.pow(2).sum(-1, keepdim=True) / (x.size(-1) - 1)).sqrt()
        return weight * (centred / (std + 1e-5)) + bias

    def forward(self, x):
        B, _, H, W = x.shape
        qkv = self.qkv_proj(x).permute(0, 2, 3, 1).reshape(B, H * W, self.heads, 3 * self.head_dim).permute(0, 2, 1, 3)
        q, k, v = qkv.chunk(3, -1)
        k = self.layer_norm(k, self.kln_weight, self.kln_bias)
        v = self.layer_norm(v, self.vln_weight, self.vln_bias)
        context = torch.matmul(k.transpose(-2, -1), v) / (H * W)
        attended = torch.matmul(q, context).permute(0, 2, 1, 3).reshape(B, H, W, self.channels)
        mixed = attended.permute(0, 3, 1, 2) + x
        return self.o_proj2(F.gelu(self.o_proj1(mixed))) + x


class Uno(nn.Module):
    """EDSR encoder + two linear-attention blocks at 32x32; bilinear grid_sample (zero padding) to the fine cell
    centres, ReLU, BN, Dropout; a local branch with its own weights per coarse cell's NxN patch (grouped convs,
    1024 groups) and a global branch (CUFAR's mini models without PixelShuffle); hour-specific heads."""

    def __init__(self, spec, cfg):
        super().__init__()
        if cfg_bool(cfg, "safe_n2"):
            raise ValueError("uno: safe_n2=true is not mirrored")
        self.spec = spec
        self.width = w = cfg_int(cfg, "channels")
        features, heads, blocks = cfg_int(cfg, "edsr_channels"), cfg_int(cfg, "attn_heads"), cfg_int(cfg, "edsr_blocks")
        C, N = spec.channels, spec.upscale
        cells, fine_cells = spec.coarse_h * spec.coarse_w, spec.fine_h * spec.fine_w
        self.encoder = EdsrEncoder(C, features, blocks)
        self.conv0 = LinearAttention(features, heads)
        self.conv1 = LinearAttention(features, heads)
        self.ic_layer_bn = nn.BatchNorm2d(features)
        self.ic_layer_dropout = nn.Dropout(DROPOUT)
        branch_in = features + 2
        self.ext_maps = HourExtMaps(spec.hour_slots, N * N, fine_cells, weather_vocab=128)
        self.time_conv = nn.ModuleList([nn.Conv2d(2 * w, C, 3, padding=1) for _ in range(spec.hour_slots)])
        self.global_model = MiniModel(branch_in, w // 2, w, 9, 1, 0)
        self.local_sub_model = MiniModel(branch_in * cells, w // 2 * cells, w * cells, 3, cells, 0)
        self.time_my = nn.Conv2d(2 * w, C, 3, padding=1)  # the reference's shared head, unused with ext
        # make_coord((H, W)) flipped to (x, y): the fine cell centres in [-1, 1] for grid_sample.
        ys = (torch.arange(spec.fine_h, dtype=torch.float64) * 2 + 1) / spec.fine_h - 1
        xs = (torch.arange(spec.fine_w, dtype=torch.float64) * 2 + 1) / spec.fine_w - 1
        grid = torch.stack([xs.view(1, -1).expand(spec.fine_h, -1), ys.view(-1, 1).expand(-1, spec.fine_w)], -1)
        self.register_buffer("grid", grid.float().unsqueeze(0), persistent=False)

    def forward(self, coarse, ext):
        s, B, N = self.spec, coarse.size(0), self.spec.upscale
        h, w = s.coarse_h, s.coarse_w
        f = self.conv1(self.conv0(self.encoder(coarse)))
        E = f.size(1)
        g = F.grid_sample(f, self.grid.expand(B, -1, -1, -1), mode="bilinear", padding_mode="zeros",
                          align_corners=False)
        g = self.ic_layer_dropout(self.ic_layer_bn(F.relu(g)))
        # 'b c (ph h) (pw w) -> b (ph pw) c h w', one NxN patch per coarse cell
        patches = g.reshape(B, E, h, N, w, N).permute(0, 2, 4, 1, 3, 5).reshape(B, h * w, E, N, N)
        slots = hour_slots(ext, s)
        patches, global_in = self.ext_maps.append(patches, g, ext, slots)
        local = self.local_sub_model(patches.reshape(B, -1, N, N))
        local = local.reshape(B, h, w, self.width, N, N).permute(0, 3, 1, 4, 2, 5).reshape(B, self.width, s.fine_h,
                                                                                            s.fine_w)
        features = torch.cat([local, self.global_model(global_in)], 1)
        raw = F.relu(apply_hour_heads(self.time_conv, features, slots))
        return recover(n2_normalize(raw, N, 1e-7), coarse, N)


MODELS = {
    "cufar": (Cufar, {"channels": "128", "sub_region": "4", "safe_n2": "false"}),
    "uno": (Uno, {"channels": "128", "edsr_channels": "64", "edsr_blocks": "16", "attn_heads": "16",
                  "safe_n2": "false"}),
}
