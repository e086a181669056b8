"""FODE (AAAI'20) and UrbanODE (TKDE'22) as CUFAR's copies build them, in eager PyTorch, from baselines.md
section 3 and fufi's model/src/ode_models.cpp; written here, not copied.

torchdiffeq's fixed_adams on the grid [0, 1] is one Runge-Kutta step with the 3/8 rule, so each ODE block
is that step written out (4 evaluations of its function). The signed ext ODE terms are added after the
head's ReLU, as in the references.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import UrbanInput, cfg_bool, cfg_int, n2_normalize, recover, subpixel_upsampler


def rk4_three_eighths(f, y0, dt=1.0):
    k1 = f(y0)
    k2 = f(y0 + k1 * (dt / 3.0))
    k3 = f(y0 + (k2 - k1 / 3.0) * dt)
    k4 = f(y0 + (k1 - k2 + k3) * dt)
    return y0 + (k1 + 3.0 * k2 + 3.0 * k3 + k4) * (dt / 8.0)


class ImageOde(nn.Module):
    """dy/dt = GN(conv3(ReLU(GN(conv3(y))))), GroupNorm(min(32, C), C); returns y(1)."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm1 = nn.GroupNorm(min(32, c), c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = nn.GroupNorm(min(32, c), c)

    def derivative(self, y):
        return self.norm2(self.conv2(F.relu(self.norm1(self.conv1(y)))))

    def forward(self, y0):
        return rk4_three_eighths(self.derivative, y0)


class ExtOde(nn.Module):
    """dy/dt = Linear(2d,d)(ELU(Linear(2d,2d)(ELU(Linear(d,2d)(y))))) along the width axis of a (B,1,h,d) map."""

    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(d, 2 * d)
        self.fc2 = nn.Linear(2 * d, 2 * d)
        self.fc3 = nn.Linear(2 * d, d)

    def derivative(self, y):
        return self.fc3(F.elu(self.fc2(F.elu(self.fc1(y)))))

    def forward(self, y0):
        return rk4_three_eighths(self.derivative, y0)


class ChannelGate(nn.Module):
    """CBAM channel gate: x * sigmoid(MLP_avg(avgpool x) + MLP_max(maxpool x)), MLPs C->C/16->C."""

    def __init__(self, c):
        super().__init__()
        self.avg_mlp = nn.Sequential(nn.Linear(c, c // 16), nn.ReLU(), nn.Linear(c // 16, c))
        self.max_mlp = nn.Sequential(nn.Linear(c, c // 16), nn.ReLU(), nn.Linear(c // 16, c))

    def forward(self, x):
        size = x.shape[2:]
        gate = self.avg_mlp(F.avg_pool2d(x, size).flatten(1)) + self.max_mlp(F.max_pool2d(x, size).flatten(1))
        return x * torch.sigmoid(gate)[:, :, None, None]


class PyramidAttention(nn.Module):
    """Mei et al. 2020 with UrbanODE's defaults: every 3x3 patch of a 5-level nearest-resized pyramid (scales 1,
    0.9, ..., 0.6) is a candidate; each position's patch (1x1 conv + PReLU to C/2) is matched against all
    candidates' (another 1x1 conv + PReLU, norms clamped >= 1e-4), softmax(10 * score) over the candidates, and
    their value patches (1x1 conv + PReLU to C) pasted back (a transposed 3x3 conv), / 4, plus the input.
    The reference loops over the batch with per-sample conv weights; the same sums are written here as batched
    matmuls over unfolded patches plus fold, like fufi."""

    def __init__(self, c):
        super().__init__()
        self.match_base = nn.Sequential(nn.Conv2d(c, c // 2, 1), nn.PReLU())
        self.match = nn.Sequential(nn.Conv2d(c, c // 2, 1), nn.PReLU())
        self.assembly = nn.Sequential(nn.Conv2d(c, c, 1), nn.PReLU())

    def forward(self, x):
        h, w = x.shape[2:]
        keys, values = [], []
        for level in range(5):
            scale = 1.0 - level / 10.0
            ref = x if level == 0 else F.interpolate(x, size=(int(h * scale), int(w * scale)), mode="nearest")
            values.append(F.unfold(self.assembly(ref), 3, padding=1))
            keys.append(F.unfold(self.match(ref), 3, padding=1))
        key = torch.cat(keys, 2).transpose(1, 2)
        key = key / key.norm(2, 2, keepdim=True).clamp_min(1e-4)
        query = F.unfold(self.match_base(x), 3, padding=1)
        attention = torch.softmax(torch.bmm(key, query) * 10.0, 1)
        pasted = F.fold(torch.bmm(torch.cat(values, 2), attention), (h, w), 3, padding=1)
        return pasted / 4.0 + x


class OdeModelBase(nn.Module):
    """UrbanInput (ext subnet Linear 12->64, Dropout 0.5; ext2hr; 9x9 stem without activation), the LayerNorm'd
    conv ("mixer"), the sub-pixel upsampler and the 9x9 head."""

    def __init__(self, spec, cfg, name):
        super().__init__()
        if not cfg_bool(cfg, "use_ext") or cfg_bool(cfg, "safe_n2"):
            raise ValueError(f"{name}: only use_ext=true, safe_n2=false are mirrored")
        self.spec = spec
        f = cfg_int(cfg, "channels")
        self.input = UrbanInput(spec, f, hidden=64, dropout=0.5, ext_upscale=spec.upscale)
        self.mixer = nn.Sequential(nn.LayerNorm([f, spec.coarse_h, spec.coarse_w]), nn.ReLU(),
                                   nn.Conv2d(f, f, 3, padding=1), nn.ReLU())
        self.upsampler = subpixel_upsampler(f, spec.upscale)
        self.head = nn.Conv2d(f, spec.channels, 9, padding=4)

    def coarse_stem(self, coarse, ext):
        ext_map = self.input.ext_net(ext)
        ext_map = ext_map + self.coarse_ext_ode(ext_map)
        return self.input.stem_of(coarse, ext_map), ext_map

    def mixed(self, stem, ode):
        return stem + ode + self.mixer(stem + ode)


class FODE(OdeModelBase):
    def __init__(self, spec, cfg):
        super().__init__(spec, cfg, "fode")
        f = cfg_int(cfg, "channels")
        self.ext_ode_coarse = ExtOde(spec.coarse_w)
        self.ext_ode_fine = ExtOde(spec.fine_w)
        self.image_ode = ImageOde(f)
        self.gate = ChannelGate(f)

    def coarse_ext_ode(self, ext_map):
        return self.ext_ode_coarse(ext_map)

    def forward(self, coarse, ext):
        N, eps = self.spec.upscale, 1e-6
        stem, ext_map = self.coarse_stem(coarse, ext)
        features = self.upsampler(self.gate(self.mixed(stem, self.image_ode(stem))))
        ext_fine = self.input.ext_to_fine(ext_map)
        ext_ode = self.ext_ode_fine(ext_fine)
        raw = F.relu(self.head(features)) + ext_fine + ext_ode
        density = n2_normalize(raw, N, eps)
        density = density * torch.sigmoid(n2_normalize(ext_ode, N, eps)) + density
        return recover(n2_normalize(density, N, eps), coarse, N)


class UrbanODE(OdeModelBase):
    def __init__(self, spec, cfg):
        super().__init__(spec, cfg, "urbanode")
        f = cfg_int(cfg, "channels")
        self.ext_odes_coarse = nn.Sequential(*[ExtOde(spec.coarse_w) for _ in range(4)])
        self.ext_odes_fine = nn.Sequential(*[ExtOde(spec.fine_w) for _ in range(4)])
        self.image_odes = nn.Sequential(ImageOde(f), PyramidAttention(f), ImageOde(f))
        self.gate = ChannelGate(f)
        self.fine_gate = ChannelGate(f)
        # Defined and never called by the reference: counted, never run.
        self.unused = nn.Sequential(nn.Conv2d(1, f, 9, padding=4), nn.Conv2d(f, f, 3, padding=1),
                                    nn.Conv2d(f, spec.channels, 9, padding=4))

    def coarse_ext_ode(self, ext_map):
        return self.ext_odes_coarse(ext_map)

    def forward(self, coarse, ext):
        stem, ext_map = self.coarse_stem(coarse, ext)
        features = stem + self.gate(self.mixed(stem, self.image_odes(stem)))
        features = self.fine_gate(self.upsampler(features))
        ext_fine = self.input.ext_to_fine(ext_map)
        raw = F.relu(self.head(features)) + ext_fine + self.ext_odes_fine(ext_fine)
        return recover(n2_normalize(raw, self.spec.upscale, 1e-7), coarse, self.spec.upscale)


ODE_DEFAULTS = {"channels": "128", "use_ext": "true", "safe_n2": "false"}

MODELS = {"fode": (FODE, ODE_DEFAULTS), "urbanode": (UrbanODE, ODE_DEFAULTS)}
