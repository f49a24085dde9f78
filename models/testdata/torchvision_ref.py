"""Reference forward pass with torchvision for models' tests (run by torchvision_test.go).

usage: torchvision_ref.py ARCH STEM WEIGHTS.safetensors INPUT.f32 B C H W OUTPUT.f32

Builds torchvision's model with the classifier removed (and the CIFAR stem when asked), loads the
weights written by the Go test (strict: every name and shape must match), runs it in eval mode on
the raw little-endian float32 input and writes the features as raw float32. The safetensors file
is parsed here with json/struct so that no safetensors package is needed.
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    buf = data[8 + n :]
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        arr = np.frombuffer(buf[b:end], dtype=dtypes[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def build(arch, stem):
    if arch == "resnet18" or arch == "resnet50":
        m = getattr(torchvision.models, arch)()
        if stem == "cifar":
            m.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            m.maxpool = torch.nn.Identity()
        m.fc = torch.nn.Identity()
        return m
    m = getattr(torchvision.models, arch)()
    m.classifier = torch.nn.Identity()
    return m


def main():
    arch, stem, weights, inp, b, c, h, w, outp = sys.argv[1:]
    m = build(arch, stem)
    m.load_state_dict(load_safetensors(weights), strict=True)
    m.eval()
    x = np.fromfile(inp, dtype="<f4").reshape(int(b), int(c), int(h), int(w))
    with torch.no_grad():
        y = m(torch.from_numpy(x)).numpy().astype("<f4")
    y.tofile(outp)


main()
