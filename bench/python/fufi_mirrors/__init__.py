"""PyTorch (eager, NCHW) mirrors of every trainable fufi model, for timing fufi against PyTorch on the same
networks (scripts/bench-vs-pytorch). Bench-only: needs python3-torch (Debian's, the LibTorch 1.13 build fufi
links), which fufi itself never uses.

Each mirror is written from the model's published architecture (/work/shared/reference/baselines.md) and
fufi's own model/src/*.cpp -- PLGF, which has no public code, from fufi's alone -- with the same registry
keys and defaults as fufi, so `build(name, {"channels": "64"})` is the network `fufi ... --set channels=64`
builds; the benchmark asserts that both have the same parameter count.
"""
import torch
import torch.nn.functional as F

from . import cufar_uno, ode, plgf, sr, urbanfm_family
from .common import NORM_PROBE, DataSpec, block_sum

REGISTRY = {}
for _module in (sr, urbanfm_family, ode, cufar_uno, plgf):
    REGISTRY.update(_module.MODELS)

# fufi's order in `fufi models` / scripts/bench-cpu.
NAMES = ["srcnn", "espcn", "vdsr", "deepsd", "srresnet", "urbanfm", "urbanpy", "deeplgr", "fode", "urbanode", "cufar",
         "uno", "plgf"]
assert sorted(NAMES) == sorted(REGISTRY), "every mirror is listed once"


def resolve(name, settings):
    """The mirror's configuration: its defaults (fufi's) overridden by `settings` (key -> string).
    ValueError naming the key for one the model does not have."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model '{name}' (mirrors: {', '.join(NAMES)})")
    defaults = REGISTRY[name][1]
    for key in settings:
        if key not in defaults:
            raise ValueError(f"{name}: unknown key '{key}' (keys: {', '.join(defaults)})")
    return {**defaults, **settings}


def build(name, settings=None, spec=DataSpec()):
    return REGISTRY[name][0](spec, resolve(name, settings or {}))


def count_parameters(model):
    """All parameters, frozen ones included, as fufi and the reference code count them."""
    return sum(p.numel() for p in model.parameters())


def make_input(spec, batch):
    """fufi bench's inputs: zero-inflated integer fine maps (Poisson of 20 * U^3), their exact block sums as the
    coarse maps, and valid ext rows (hours within the hour-specific heads' range)."""
    rate = torch.rand(batch, spec.channels, spec.fine_h, spec.fine_w).pow(3) * 20.0
    fine = torch.poisson(rate)
    coarse = block_sum(fine, spec.upscale)
    ext = torch.rand(batch, 7)
    ext[:, 2] = (torch.rand(batch) < 0.05).float()
    ext[:, 3] = (torch.rand(batch) < 0.3).float()
    ext[:, 4] = torch.randint(1, 8, (batch,)).float()
    ext[:, 5] = torch.randint(spec.hour_offset, spec.hour_offset + spec.hour_slots, (batch,)).float()
    ext[:, 6] = torch.randint(1, 18, (batch,)).float()
    return coarse, ext, fine


def dualfocal(prediction, target, lam=10.0, beta=0.2):
    """fufi's DualFocal at its defaults (tanh, gamma 1, raw units): mean of tanh(beta*L)*L,
    L = |p - y| + lam * |log1p(max(p, 0)) - log1p(max(y, 0))|."""
    dual = (prediction - target).abs()
    dual = dual + lam * (torch.log1p(prediction.clamp_min(0)) - torch.log1p(target.clamp_min(0))).abs()
    return (torch.tanh(beta * dual) * dual).mean()


LOSSES = {"mse": F.mse_loss, "dualfocal": dualfocal}


def constraint_report(model, coarse, ext, upscale):
    """One forward in eval mode: the output shape, and whether every NxN block of the output sums to its coarse
    cell times what the model's last N2 density block sums to (N2 and recovery done right: `max_rel_error`,
    float32 rounding when they are). `blocks_keeping_coarse` counts the blocks whose density sums to 1 within
    1e-3, i.e. that keep their coarse value exactly; the others are the references' own N2 behaviour
    (all-zero blocks after a ReLU, near-zero signed sums)."""
    was_training = model.training
    model.eval()
    NORM_PROBE.active = True
    try:
        with torch.no_grad():
            out = model(coarse, ext)
        factor = NORM_PROBE.last
    finally:
        NORM_PROBE.active = False
        model.train(was_training)
    expected = coarse * factor
    err = (block_sum(out, upscale) - expected).abs() / expected.abs().clamp_min(1.0)
    return {"shape": list(out.shape), "blocks": coarse.numel(), "max_rel_error": float(err.max()),
            "blocks_keeping_coarse": int(((factor - 1).abs() < 1e-3).sum()), "finite": bool(torch.isfinite(out).all())}
