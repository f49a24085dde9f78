"""Baseline for bench/data/run.sh: torchvision's multi-crop pipeline (SPEC §6, PIL images, as the
reference) on the same images as the Go benchmark, on one thread. Prints one JSON line.

usage: /usr/bin/python3 tv_views.py IMAGES.raw N H W C SIZE GLOBAL LOCAL SECONDS
IMAGES.raw holds N uint8 images H×W×C, row-major, channels interleaved."""
import json
import sys
import time

import numpy as np
import torch
from PIL import Image
import torchvision.transforms as T


def view(size, kernel, scale, solarize):
    ops = [
        T.RandomResizedCrop(size, scale=scale, ratio=(3 / 4, 4 / 3), interpolation=T.InterpolationMode.BILINEAR),
        T.RandomHorizontalFlip(0.5),
        T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
        T.RandomGrayscale(0.2),
        T.GaussianBlur(kernel, sigma=(0.1, 2.0)),
    ]
    if solarize:
        ops.append(T.RandomSolarize(127, p=0.2))
    ops += [T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]
    return T.Compose(ops)


def main():
    path, n, h, w, c, s, g, l, secs = sys.argv[1:]
    n, h, w, c, s, g, l, secs = int(n), int(h), int(w), int(c), int(s), int(g), int(l), float(secs)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    arr = np.fromfile(path, dtype=np.uint8).reshape(n, h, w, c)
    # Grey images are replicated to three channels first (SPEC §6).
    imgs = [Image.fromarray(a[:, :, 0] if c == 1 else a).convert("RGB") for a in arr]
    k = int(0.1 * s)
    if k % 2 == 0:
        k += 1
    views = [view(s, k, (0.1, 1.0), True)] * g + [view(s * 3 // 7, k, (0.05, 1.0), False)] * l
    done = 0
    start, cpu0 = time.perf_counter(), time.process_time()
    i = 0
    while True:
        img = imgs[i % n]
        out = [v(img) for v in views]
        done += len(out)
        i += 1
        el = time.perf_counter() - start
        if el >= secs and i >= 8:
            break
    cpu = time.process_time() - cpu0
    print(json.dumps({"impl": "torchvision", "views": done, "seconds": el, "cpu_seconds": cpu,
                      "views_per_s": done / el, "views_per_cpu_s": done / cpu}))


if __name__ == "__main__":
    main()
