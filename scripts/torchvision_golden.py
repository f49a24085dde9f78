"""Writes models/testdata/torchvision_golden.json: the architecture checks' reference.

Run by hand with Debian's Python and PyTorch (apt-get install python3-torch python3-torchvision):

    /usr/bin/python3 scripts/torchvision_golden.py [OUT.json]

For each encoder scl builds (resnet18 and resnet50 with both stems and resnet18 with the stride-2 CIFAR stem, efficientnet_v2_s,
efficientnet_b0; torchvision's own models, classifier removed, the CIFAR stem as the reference
builds it) and for the projector (the reference's MLPHead), it records the state-dict names and
shapes in order, and the eval-mode forward output on a fixed input with fixed weights. Weights
and inputs come from a counter-based generator (SplitMix64 of FNV-1a(name) + index) that
models.DeterministicWeights reproduces bit for bit in Go, so no weight file is needed. Go tests
(models, models/torchnet, export) compare against this file in every CI run.
"""
import json
import math
import sys

import numpy as np
import torch
import torchvision

MASK = (1 << 64) - 1


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & MASK
    return h


def splitmix(x):
    # SplitMix64's output function on a uint64 array.
    z = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(MASK)
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(MASK)
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(MASK)
    return z ^ (z >> np.uint64(31))


def uniform(name, n):
    """n values in [-1, 1), multiples of 2⁻²³ (exact in float32), for the tensor called name."""
    with np.errstate(over="ignore"):
        idx = (np.uint64(fnv1a(name)) + np.arange(n, dtype=np.uint64)) & np.uint64(MASK)
        bits = splitmix(idx) >> np.uint64(40)
    return bits.astype(np.float64) / float(1 << 24) * 2.0 - 1.0


def weight(name, shape):
    """The deterministic value of one state-dict tensor (as models.DeterministicWeights)."""
    n = int(np.prod(shape)) if len(shape) else 1
    if name.endswith("num_batches_tracked"):
        return torch.zeros(shape, dtype=torch.int64)
    u = uniform(name, n)
    if len(shape) >= 2:  # conv or linear weight: He-uniform on fan-in
        fan_in = int(np.prod(shape[1:]))
        v = u * math.sqrt(6.0 / fan_in)
    elif name.endswith("running_var"):
        v = 1.0 + 0.25 * (u + 1.0)
    elif name.endswith("running_mean") or name.endswith("bias"):
        v = 0.1 * u
    else:  # BatchNorm γ
        v = 1.0 + 0.25 * u
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def encoder(arch, stem):
    m = getattr(torchvision.models, arch)()
    if arch.startswith("resnet"):
        if stem in ("cifar", "cifar-s2"):
            m.conv1 = torch.nn.Conv2d(3, 64, 3, 2 if stem == "cifar-s2" else 1, 1, bias=False)
            m.maxpool = torch.nn.Identity()
        m.fc = torch.nn.Identity()
    else:
        m.classifier = torch.nn.Identity()
    return m


def projector(d_in, hidden, out):
    # The reference's MLPHead.block (SPEC §3).
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, hidden, bias=False),
        torch.nn.BatchNorm1d(hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, out, bias=False),
    )


def record(m, input_name, shape):
    sd = m.state_dict()
    state = [[k, list(v.shape)] for k, v in sd.items()]
    m.load_state_dict({k: weight(k, list(v.shape)) for k, v in sd.items()}, strict=True)
    m.eval()
    x = torch.from_numpy(uniform(input_name, int(np.prod(shape))).astype(np.float32).reshape(shape))
    with torch.no_grad():
        y = m(x)
    return {"state": state, "input": input_name, "input_shape": list(shape),
            "output_shape": list(y.shape), "output": [float("%.9g" % v) for v in y.flatten().tolist()]}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "models/testdata/torchvision_golden.json"
    torch.set_num_threads(1)
    nets = []
    for arch, stem, size in [("resnet18", "imagenet", 32), ("resnet18", "cifar", 8),
                             ("resnet18", "cifar-s2", 8),
                             ("resnet50", "imagenet", 32), ("resnet50", "cifar", 8),
                             ("efficientnet_v2_s", "", 32), ("efficientnet_b0", "", 32)]:
        r = record(encoder(arch, stem), "input", (2, 3, size, size))
        r.update(arch=arch, stem=stem)
        nets.append(r)
    proj = record(projector(512, 512, 64), "features", (4, 512))
    proj.update(arch="projector", stem="", dims=[512, 512, 64])
    doc = {"generator": "scripts/torchvision_golden.py", "torch": torch.__version__,
           "torchvision": torchvision.__version__, "nets": nets, "projector": proj}
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


main()
