"""Writes golden.json: outputs of torchvision 0.14 / PIL 9.4 (Debian 12) for the tests of
scl/data/augment. Run with /usr/bin/python3 make_golden.py > golden.json (needs python3-torchvision).

- resize: PIL's Image.resize(BILINEAR) of crops of a fixed 8-bit RGB image (the resampling of
  torchvision's RandomResizedCrop on PIL images), results uint8.
- ops: torchvision.transforms.functional on a float image in [0, 1] (tensor path): brightness,
  contrast, saturation, hue, grayscale, gaussian_blur, solarize.
"""
import json

import numpy as np
import torch
import torchvision.transforms.functional as F
from PIL import Image

rng = np.random.RandomState(7)
out = {"note": "produced by make_golden.py with torchvision %s" % __import__("torchvision").__version__}

src = rng.randint(0, 256, size=(9, 11, 3)).astype(np.uint8)  # H=9, W=11
out["resize_src"] = {"h": 9, "w": 11, "pix": src.flatten().tolist()}
cases = []
for (top, left, h, w, oh, ow) in [(0, 0, 9, 11, 9, 11), (1, 2, 6, 7, 12, 14), (0, 0, 9, 11, 4, 5), (2, 1, 7, 10, 3, 3), (0, 3, 9, 8, 5, 13)]:
    img = Image.fromarray(src).crop((left, top, left + w, top + h)).resize((ow, oh), Image.BILINEAR)
    cases.append({"crop": [top, left, h, w], "out": [oh, ow], "pix": np.asarray(img).flatten().tolist()})
out["resize"] = cases

x = torch.from_numpy(rng.rand(3, 6, 7).astype(np.float32))
out["ops_src"] = {"c": 3, "h": 6, "w": 7, "pix": x.flatten().tolist()}
ops = []
def add(name, param, y):
    ops.append({"op": name, "param": param, "pix": y.flatten().tolist()})
for f in [0.2, 0.7, 1.6]:
    add("brightness", f, F.adjust_brightness(x, f))
    add("contrast", f, F.adjust_contrast(x, f))
    add("saturation", f, F.adjust_saturation(x, f))
for h in [-0.2, -0.05, 0.13, 0.5]:
    add("hue", h, F.adjust_hue(x, h))
add("grayscale", 0, F.rgb_to_grayscale(x, num_output_channels=1))
for k, s in [(3, 0.5), (3, 1.7), (5, 1.1)]:
    add("blur%d" % k, s, F.gaussian_blur(x, [k, k], [s, s]))
add("solarize", 0.5, F.solarize(x, 0.5))
out["ops"] = ops
print(json.dumps(out))
