"""The PyTorch side of bench/train: scl's self-supervised training step written in plain PyTorch
from ../shared/SPEC.md, the way the reference trains.

torchvision/PIL multi-crop augmentations (SPEC §6) in a DataLoader with worker processes, a
ResNet-18 (CIFAR stem, base width --width) + projector as online and EMA target networks, each
view a separate forward pass (online on every view, target on the global views under no_grad,
both in BatchNorm training mode), the modulated sigmoid loss + KL over the G·(G+L−1) pairs
(SPEC §1–2), torch.optim.Adam with coupled weight decay on the online parameters and τ, b
(SPEC §5), then the EMA update of the target (SPEC §4). --precision bf16 runs the forward passes
under torch.autocast (loss math in float32, as the reference).

Run by bench/train (main.go) once per round, alternating with scl; prints one JSON line with the
timed window's images/s, CPU-seconds (this process and its DataLoader workers) and peak RSS.
Use Debian's /usr/bin/python3 (python3-torch 1.13 and python3-torchvision 0.14, the libtorch scl
links): scripts/setup.sh --bench installs them.
"""
import argparse
import contextlib
import gzip
import json
import math
import os
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image

FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def read_idx_images(path, limit):
    """Reads an IDX image file (gzipped or not): [N, H, W] uint8."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[2] != 0x08 or raw[3] != 3:
        raise SystemExit(f"torch_step: {path}: not an IDX file of unsigned bytes with 3 dimensions")
    n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    arr = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h, w)
    return arr[:limit] if limit > 0 else arr


def view_transform(size, kernel, scale, solarize):
    """One view's torchvision pipeline (SPEC §6)."""
    ops = [
        T.RandomResizedCrop(size, scale=scale, ratio=(3 / 4, 4 / 3), interpolation=T.InterpolationMode.BILINEAR),
        T.RandomHorizontalFlip(0.5),
        T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
        T.RandomGrayscale(0.2),
        T.GaussianBlur(kernel, sigma=(0.1, 2.0)),
    ]
    if solarize:
        ops.append(T.RandomSolarize(127, p=0.2))
    ops += [T.ToTensor(), T.Normalize(MEAN, STD)]
    return T.Compose(ops)


class MultiCrop(torch.utils.data.Dataset):
    """Grey images → G global then L local views, each [3, s, s] (SPEC §6)."""

    def __init__(self, images, size, g, l):
        self.images = images
        k = int(0.1 * size)
        if k % 2 == 0:
            k += 1
        self.views = [view_transform(size, k, (0.1, 1.0), True)] * g + \
                     [view_transform(size * 3 // 7, k, (0.05, 1.0), False)] * l

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i], mode="L").convert("RGB")
        return [v(img) for v in self.views]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + idt)


class ResNet18(nn.Module):
    """torchvision's resnet18 with the CIFAR stem (3×3 stride-1 conv, no max-pool), base width
    w (64 is torchvision's), the classifier removed: [B, 8w] features."""

    def __init__(self, w):
        super().__init__()
        self.conv1 = nn.Conv2d(3, w, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        layers, cin = [], w
        for i, stride in enumerate((1, 2, 2, 2)):
            cout = w << i
            layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.dim = cin
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class Online(nn.Module):
    """Encoder + projector (SPEC §3): Linear(no bias) → BatchNorm1d → ReLU → Linear(no bias)."""

    def __init__(self, w, hidden=512, out=64):
        super().__init__()
        self.encoder = ResNet18(w)
        self.projector = nn.Sequential(nn.Linear(self.encoder.dim, hidden, bias=False), nn.BatchNorm1d(hidden),
                                       nn.ReLU(inplace=True), nn.Linear(hidden, out, bias=False))

    def forward(self, x):
        return self.projector(self.encoder(x))


def pair_loss(x, xt, tau, bias, gamma, alpha):
    """SPEC §1: the modulated sigmoid loss of one (online, target) pair plus α·KL, in float32."""
    n = x.shape[0]
    x = F.normalize(x.float(), dim=1, eps=1e-12)
    xt = F.normalize(xt.float(), dim=1, eps=1e-12)
    logits = torch.clamp(tau.exp(), 0, 5) * (x @ xt.t()) + bias
    labels = 2 * torch.eye(n, device=x.device) - 1
    z = labels * logits
    w = torch.sigmoid(-z).pow(gamma)
    sig = -(w * F.logsigmoid(z)).sum() / n
    logp = F.log_softmax(logits, dim=1)
    logq = F.log_softmax(logits, dim=0).t()
    kl = (logq.exp() * (logq - logp)).sum() / n
    return sig + alpha * kl, kl


def proc_cpu_seconds(pid):
    """utime + stime of a process, from /proc (seconds)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--global-views", type=int, default=2)
    ap.add_argument("--local-views", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: every CPU)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers (0: a quarter of the CPUs, ≥ 1)")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--images", type=int, default=8192, help="Fashion-MNIST training images to draw from")
    ap.add_argument("--data", default=FASHION_MNIST)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--beta", type=float, default=0.995)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--ops", type=int, default=0,
                    help="profile the timed steps' operators (torch.autograd.profiler) and report their self times")
    args = ap.parse_args()
    cpus = os.cpu_count() or 1
    threads = args.threads if args.threads > 0 else cpus
    workers = args.workers if args.workers > 0 else max(1, cpus // 4)
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)

    ds = MultiCrop(read_idx_images(args.data, args.images), args.size, args.global_views, args.local_views)
    dl = torch.utils.data.DataLoader(ds, batch_size=args.batch, shuffle=True, drop_last=True, num_workers=workers,
                                     persistent_workers=True, pin_memory=dev.type == "cuda")
    online = Online(args.width).to(dev).train()
    target = Online(args.width).to(dev).train()
    target.load_state_dict(online.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    tau = nn.Parameter(torch.tensor(math.log(5.0), device=dev))
    bias = nn.Parameter(torch.tensor(-5.0, device=dev))
    opt = torch.optim.Adam(list(online.parameters()) + [tau, bias], lr=args.lr, weight_decay=1e-5)
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.precision)
    scaler = torch.cuda.amp.GradScaler(enabled=args.precision == "fp16")
    g = args.global_views
    pairs = [(c, a) for a in range(g) for c in range(g + args.local_views) if c != a]
    state = {"step": 0, "beta": args.beta}

    def autocast():
        return torch.autocast(dev.type, dtype=amp) if amp is not None else contextlib.nullcontext()

    # Wall time per phase of the timed steps, by the names scl's train.Phase prints; on the CPU
    # every operation has finished when it returns, so a phase's wall time is its compute.
    phase_names = ["data wait", "input", "setup", "online forward", "target forward", "loss", "backward",
                   "optimizer", "ema", "scalars"]
    phases = dict.fromkeys(phase_names, 0.0)
    clock = {"last": 0.0, "on": False}

    def lap(name):
        now = time.perf_counter()
        if clock["on"]:
            phases[name] += now - clock["last"]
        clock["last"] = now

    def step(views):
        lap("data wait")
        views = [v.to(dev, non_blocking=True) for v in views]
        lap("input")
        opt.zero_grad(set_to_none=True)
        lap("setup")
        with autocast():
            # The reference's order: online and target on each global view, then the locals.
            on, tg = [], []
            for i, v in enumerate(views):
                on.append(online(v))
                lap("online forward")
                if i < g:
                    with torch.no_grad():
                        tg.append(target(v))
                    lap("target forward")
        total = 0.0
        for c, a in pairs:
            l, _ = pair_loss(on[c], tg[a], tau, bias, gamma=1.0, alpha=1.0)
            total = total + l
        loss = total / len(pairs)
        lap("loss")
        scaler.scale(loss).backward()
        lap("backward")
        scaler.step(opt)
        scaler.update()
        lap("optimizer")
        # SPEC §4: hard copy at steps 0–1, then θ_t ← β·θ_t + (1−β)·θ_o on parameters and float
        # buffers, β following its cosine schedule.
        k = state["step"]
        with torch.no_grad():
            on_t = [t for t in list(online.parameters()) + list(online.buffers()) if t.is_floating_point()]
            tg_t = [t for t in list(target.parameters()) + list(target.buffers()) if t.is_floating_point()]
            for pt, po in zip(tg_t, on_t):
                if k <= 1:
                    pt.copy_(po)
                else:
                    pt.mul_(state["beta"]).add_(po, alpha=1 - state["beta"])
        if k > 1:
            K = len(dl) * 102 - 1
            state["beta"] = 1 - (1 - args.beta) * (math.cos(math.pi * k / K) + 1) / 2
        state["step"] += 1
        lap("ema")
        return loss

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    it = iter(dl)
    total_steps = args.warmup + args.steps
    worker_pids = [w.pid for w in getattr(it, "_workers", [])]
    t0 = c0 = None
    loss = None
    prof = torch.autograd.profiler.profile() if args.ops > 0 else None
    for i in range(total_steps):
        if i == args.warmup:
            sync()
            t0 = time.perf_counter()
            c0 = time.process_time() + sum(proc_cpu_seconds(p) for p in worker_pids)
            clock["on"], clock["last"] = True, t0
            if prof is not None:
                prof.__enter__()
        try:
            views = next(it)
        except StopIteration:
            it = iter(dl)
            views = next(it)
        loss = step(views)
    sync()
    wall = time.perf_counter() - t0
    cpu = time.process_time() + sum(proc_cpu_seconds(p) for p in worker_pids) - c0
    ops = {}
    if prof is not None:
        prof.__exit__(None, None, None)
        # Self CPU time per operator name, in ms per timed step (the profiler reports µs).
        for evt in prof.key_averages():
            ops[evt.key] = ops.get(evt.key, 0.0) + evt.self_cpu_time_total / 1000 / args.steps
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_rss = sum(proc_peak_rss_mb(p) for p in worker_pids)
    images = args.steps * args.batch
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "width": args.width, "precision": args.precision,
        "threads": torch.get_num_threads(), "workers": workers, "steps": args.steps,
        "images_per_s": images / wall, "cpu_s_per_image": cpu / images, "wall_s": wall, "cpu_s": cpu,
        "peak_rss_mb": main_rss, "peak_rss_workers_mb": worker_rss, "loss": float(loss),
        "phases_ms_per_step": {k: 1000 * v / args.steps for k, v in phases.items()},
        **({"ops_self_ms_per_step": ops} if ops else {})}), flush=True)
    del it, dl


if __name__ == "__main__":
    main()
