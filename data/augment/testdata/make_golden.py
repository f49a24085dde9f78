"""Writes golden.json: outputs of torchvision 0.14 / PIL 9.4 (Debian 12) for the tests of
scl/data/augment. Run with /usr/bin/python3 make_golden.py > golden.json (needs python3-torchvision).

- resize: PIL's Image.resize(BILINEAR) of crops of a fixed 8-bit RGB image (the resampling of
  torchvision's RandomResizedCrop on PIL images), results uint8.
- ops: torchvision.transforms.functional on a float image in [0, 1] (tensor path): brightness,
  contrast, saturation, hue, grayscale, gaussian_blur, solarize.
- views: whole global/local views with fixed parameters (crop, flip, jitter order and factors,
  grayscale, σ, solarize), PIL resampling then the tensor ops, normalised.
"""
import json

import numpy as np
import torch
import torchvision.transforms as T
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

# Whole views with fixed parameters: PIL crop+resize and flip (as RandomResizedCrop and
# RandomHorizontalFlip on PIL images), then the tensor ops in SPEC §6's order, then Normalize.
vsrc = rng.randint(0, 256, size=(36, 40, 3)).astype(np.uint8)
out["view_src"] = {"h": 36, "w": 40, "pix": vsrc.flatten().tolist()}
adjust = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
views = []
for p in [
    dict(size=32, crop=[3, 5, 30, 28], flip=False, order=[0, 1, 2, 3], factors=[1.3, 0.6, 1.5, 0.1], grey=False, sigma=0.8, solarize=False),
    dict(size=32, crop=[0, 0, 36, 40], flip=True, order=[3, 2, 1, 0], factors=[0.5, 1.7, 0.3, -0.15], grey=False, sigma=1.9, solarize=True),
    dict(size=13, crop=[10, 2, 20, 15], flip=True, order=[2, 0, 3, 1], factors=[1.1, 1.2, 0.9, 0.05], grey=True, sigma=0.4, solarize=False),
    dict(size=24, crop=[6, 9, 12, 16], flip=False, order=None, factors=None, grey=False, sigma=1.2, solarize=True),
]:
    s = p["size"]
    k = int(0.1 * 32)
    k += 1 - k % 2
    i, j, h, w = p["crop"]
    im = F.resized_crop(Image.fromarray(vsrc), i, j, h, w, [s, s], T.InterpolationMode.BILINEAR)
    if p["flip"]:
        im = F.hflip(im)
    t = F.to_tensor(im)
    if p["order"] is not None:
        for op in p["order"]:
            t = adjust[op](t, p["factors"][op])
    if p["grey"]:
        t = F.rgb_to_grayscale(t, num_output_channels=3)
    t = F.gaussian_blur(t, [k, k], [p["sigma"], p["sigma"]])
    if p["solarize"]:
        t = F.solarize(t, 126.5 / 255)  # scl's float threshold for the 8-bit 127
    t = F.normalize(t, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    p["kernel"] = k
    p["pix"] = t.flatten().tolist()
    views.append(p)
out["views"] = views
for rec in out["ops"] + out["views"]:
    rec["pix"] = [round(v, 7) for v in rec["pix"]]
print(json.dumps(out))
