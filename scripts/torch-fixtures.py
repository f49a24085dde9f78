"""Writes the PyTorch fixture files of packages pickle, pth and ptimport (run by hand, not by CI).

usage: /usr/bin/python3 scripts/torch-fixtures.py        (from the repository root)

Needs Debian's python3-torch and python3-torchvision (apt-get install python3-torch
python3-torchvision). Everything is seeded, so a rerun writes the same tensors (legacy files differ in their
storage keys, which are memory addresses); the files are
committed and the Go tests read them without Python:

  pickle/testdata/proto<N>.pkl       one Python value pickled with protocols 0..5
  data/testdata/cifar100_numpy_p{2,4}.pkl  a CIFAR-100-style batch pickled by NumPy (+ raw .u8)
  pth/testdata/tensors_{zip,legacy}.pt   a state dict of every dtype, views, offsets, nesting
  pth/testdata/tensors.json          the expected tensors (dtype, shape, values)
  ptimport/testdata/<case>.pth       narrow networks in each layout, zip and legacy format
  ptimport/testdata/<case>.json      what each holds and PyTorch's eval-mode outputs (raw .f32)

The python `safetensors` package is not in Debian 12: the safetensors case is written by the Go
test from the torchvision fixture with the project's own writer.
"""
import collections
import json
import os
import pickle
import sys

sys.path = [p for p in sys.path if p not in ("", os.getcwd())]  # the repository has a torch/ folder

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402
from torchvision.models.efficientnet import EfficientNet, FusedMBConvConfig, MBConvConfig, _make_divisible  # noqa: E402
from functools import partial  # noqa: E402


def pickles():
    shared = [7, 8]
    value = {
        "int": 1,
        "neg": -70000,
        "i32": 2**31 - 1,
        "big": 2**70,
        "float": 1.5,
        "str": "héllo",
        "bytes": b"\x00\x01\xff",
        "list": [1, [2, 3], shared],
        "tuple": (1, "a", None),
        "none": None,
        "t": True,
        "f": False,
        "shared": shared,
        "od": collections.OrderedDict([("b", 2), ("a", 1)]),
        "empty": {},
    }
    os.makedirs("pickle/testdata", exist_ok=True)
    for proto in range(6):
        with open(f"pickle/testdata/proto{proto}.pkl", "wb") as f:
            pickle.dump(value, f, protocol=proto)


def cifar():
    """A CIFAR-100-style batch pickled by NumPy (protocols 2 and 4, str keys, as a Python 3 user
    re-pickling the data would); the official Python 2 files are written by the Go tests."""
    import numpy as np
    rng = np.random.RandomState(3)
    data = rng.randint(0, 256, size=(3, 3072)).astype(np.uint8)
    batch = {"data": data, "fine_labels": [5, 99, 0], "coarse_labels": [1, 19, 0], "filenames": ["a.png", "b.png", "c.png"]}
    os.makedirs("data/testdata", exist_ok=True)
    for proto in (2, 4):
        with open(f"data/testdata/cifar100_numpy_p{proto}.pkl", "wb") as f:
            pickle.dump(batch, f, protocol=proto)
    data.tofile("data/testdata/cifar100_numpy.u8")


def tensors():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(4, 6, generator=g)
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(2, 3, generator=g)
    sd["f64"] = torch.randn(3, generator=g, dtype=torch.float64)
    sd["f16"] = torch.tensor([0.5, -2.0, 1024.0, 0.0], dtype=torch.float16)
    sd["bf16"] = torch.tensor([[1.0, -0.5], [3.0, 256.0]], dtype=torch.bfloat16)
    sd["i64"] = torch.tensor([-(2**40), 0, 7], dtype=torch.int64)
    sd["i32"] = torch.tensor([-5, 2**30], dtype=torch.int32)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False])
    sd["scalar"] = torch.tensor(3.25)
    sd["empty"] = torch.zeros(0, 3)
    sd["base"] = base
    sd["transposed"] = base.t()  # non-contiguous view of base's storage
    sd["row"] = base[2]  # offset view
    sd["strided"] = base[1:, ::2]  # offset and strides
    sd["nested"] = {"inner": {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}}
    sd["step"] = 5
    os.makedirs("pth/testdata", exist_ok=True)
    torch.save(sd, "pth/testdata/tensors_zip.pt")
    torch.save(sd, "pth/testdata/tensors_legacy.pt", _use_new_zipfile_serialization=False)
    names = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
    want = {}

    def add(prefix, d):
        for k, v in d.items():
            if isinstance(v, dict):
                add(prefix + k + ".", v)
            elif isinstance(v, torch.Tensor):
                want[prefix + k] = {"dtype": names[v.dtype], "shape": list(v.shape),
                                    "values": [float(x) for x in v.double().flatten().tolist()]}

    add("", sd)
    with open("pth/testdata/tensors.json", "w") as f:
        json.dump(want, f, indent=1, sort_keys=True)


def narrow_resnet(block, layers, width, stem, classes=10):
    """torchvision's ResNet with base width `width` (torchvision's own _make_layer)."""
    m = torchvision.models.ResNet(block, layers, num_classes=classes)
    m.inplanes = width
    if stem == "cifar":
        m.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        m.maxpool = nn.Identity()
    else:
        m.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
    m.bn1 = nn.BatchNorm2d(width)
    m.layer1 = m._make_layer(block, width, layers[0])
    m.layer2 = m._make_layer(block, 2 * width, layers[1], stride=2)
    m.layer3 = m._make_layer(block, 4 * width, layers[2], stride=2)
    m.layer4 = m._make_layer(block, 8 * width, layers[3], stride=2)
    m.fc = nn.Linear(8 * width * block.expansion, classes)
    return m


def narrow_efficientnet_v2_s(wm=0.25, dm=0.1, classes=10):
    """torchvision's EfficientNet with the efficientnet_v2_s setting scaled like models.Config's
    WidthMult/DepthMult (channels rounded to multiples of 8, blocks rounded up)."""
    import math
    adj = lambda c: _make_divisible(c * wm, 8)  # noqa: E731
    dep = lambda n: int(math.ceil(n * dm))  # noqa: E731
    setting = [
        FusedMBConvConfig(1, 3, 1, adj(24), adj(24), dep(2)),
        FusedMBConvConfig(4, 3, 2, adj(24), adj(48), dep(4)),
        FusedMBConvConfig(4, 3, 2, adj(48), adj(64), dep(4)),
        MBConvConfig(4, 3, 2, 64, 128, 6, width_mult=wm, depth_mult=dm),
        MBConvConfig(6, 3, 1, 128, 160, 9, width_mult=wm, depth_mult=dm),
        MBConvConfig(6, 3, 2, 160, 256, 15, width_mult=wm, depth_mult=dm),
    ]
    return EfficientNet(setting, 0.2, 0.2, classes, norm_layer=partial(nn.BatchNorm2d, eps=1e-3),
                        last_channel=_make_divisible(1280 * wm, 8))


def randomize(m, g):
    """Random weights and BatchNorm statistics, so that eval-mode BatchNorm is not an identity."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 / max(1, p[0].numel()) ** 0.5 if p.dim() > 1 else 0.2)
                    + (1.0 if name.endswith("weight") and p.dim() == 1 else 0.0))
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=g) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=g) + 0.5)
            elif name.endswith("num_batches_tracked"):
                b.fill_(3)


class Projector(nn.Module):
    """The reference's projector: a `block` Sequential of Linear, BatchNorm1d, ReLU, Linear."""

    def __init__(self, d, hidden, out):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(d, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
                                   nn.Linear(hidden, out, bias=False))

    def forward(self, x):
        return self.block(x)


class Encoder(nn.Module):
    """torchvision's children without the classifier, flattened (the reference's encoder)."""

    def __init__(self, net):
        super().__init__()
        kids = list(net.children())[:-1]
        self.seq = nn.Sequential(*kids)

    def forward(self, x):
        return torch.flatten(self.seq(x), 1)


def save_f32(path, t):
    t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tofile(path)


def case(name, desc, state, inputs, outputs, legacy=True):
    out = "ptimport/testdata"
    os.makedirs(out, exist_ok=True)
    torch.save(state, f"{out}/{name}.pth")
    files = [f"{name}.pth"]
    if legacy:
        torch.save(state, f"{out}/{name}_legacy.pth", _use_new_zipfile_serialization=False)
        files.append(f"{name}_legacy.pth")
    meta = dict(desc, files=files, outputs={})
    save_f32(f"{out}/{name}.input.f32", inputs)
    meta["input_shape"] = list(inputs.shape)
    for k, v in outputs.items():
        if isinstance(v, float):
            meta["outputs"][k] = v
        else:
            save_f32(f"{out}/{name}.{k}.f32", v)
            meta["outputs"][k] = list(v.shape)
    with open(f"{out}/{name}.json", "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


def networks():
    g = torch.Generator().manual_seed(2)
    x32 = torch.randn(2, 3, 32, 32, generator=g)
    x64 = torch.randn(2, 3, 64, 64, generator=g)

    # The reference's ReLIC module: online and target = Sequential(encoder children, projector).
    enc_online = narrow_resnet(torchvision.models.resnet.BasicBlock, [2, 2, 2, 2], 4, "cifar")
    enc_target = narrow_resnet(torchvision.models.resnet.BasicBlock, [2, 2, 2, 2], 4, "cifar")
    randomize(enc_online, g)
    randomize(enc_target, g)
    d = 8 * 4
    proj_online, proj_target = Projector(d, 16, 8), Projector(d, 16, 8)
    randomize(proj_online, g)
    randomize(proj_target, g)
    online = nn.Sequential(nn.Sequential(*list(enc_online.children())[:-1]), proj_online)
    target = nn.Sequential(nn.Sequential(*list(enc_target.children())[:-1]), proj_target)
    full = collections.OrderedDict()
    for k, v in online.state_dict().items():
        full["online_encoder." + k] = v
    for k, v in target.state_dict().items():
        full["target_encoder." + k] = v
    full["tau"] = torch.tensor(1.2)
    full["b"] = torch.tensor(-4.5)
    enc_target.eval()
    proj_target.eval()
    enc_online.eval()
    with torch.no_grad():
        feat = torch.flatten(target[0](x32), 1)
        proj = proj_target(feat)
        ofeat = torch.flatten(online[0](x32), 1)
    desc = {"layout": "reference", "arch": "resnet18", "stem": "cifar", "width": 4,
            "projector_hidden": 16, "projector_out": 8, "tau": 1.2, "b": -4.5}
    case("reference_r18_cifar", desc, full, x32, {"features": feat, "projection": proj, "online_features": ofeat})
    # The reference's encoder file: the target encoder's Sequential alone.
    case("encoder_r18_cifar", dict(desc, layout="reference-encoder"), target[0].state_dict(), x32,
         {"features": feat}, legacy=False)

    r50 = narrow_resnet(torchvision.models.resnet.Bottleneck, [3, 4, 6, 3], 4, "imagenet")
    randomize(r50, g)
    r50.eval()
    r50.fc, fc = nn.Identity(), r50.fc
    with torch.no_grad():
        f50 = r50(x64)
    r50.fc = fc
    case("torchvision_r50", {"layout": "torchvision", "arch": "resnet50", "stem": "imagenet", "width": 4},
         r50.state_dict(), x64, {"features": f50}, legacy=False)

    r18 = narrow_resnet(torchvision.models.resnet.BasicBlock, [2, 2, 2, 2], 8, "imagenet")
    randomize(r18, g)
    r18.eval()
    r18.fc, fc = nn.Identity(), r18.fc
    with torch.no_grad():
        f18 = r18(x64)
    r18.fc = fc
    case("torchvision_r18", {"layout": "torchvision", "arch": "resnet18", "stem": "imagenet", "width": 8},
         r18.state_dict(), x64, {"features": f18})

    eff = narrow_efficientnet_v2_s()
    randomize(eff, g)
    eff.eval()
    eff.classifier, cls = nn.Identity(), eff.classifier
    with torch.no_grad():
        fe = eff(x64)
    eff.classifier = cls
    case("torchvision_effv2s", {"layout": "torchvision", "arch": "efficientnet_v2_s", "width_mult": 0.25,
                                "depth_mult": 0.1}, eff.state_dict(), x64, {"features": fe}, legacy=False)


if __name__ == "__main__":
    torch.manual_seed(0)
    pickles()
    cifar()
    tensors()
    networks()
    print("fixtures written")
