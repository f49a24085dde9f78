"""Baseline for bench/torch: the same ResNet-18 (CIFAR stem) training step in Python PyTorch.

Run by the Go benchmark program (main.go) in the same run; prints one JSON line
{"images_per_s": ..., "torch": ...}. Use Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14).
"""
import argparse
import contextlib
import json
import time

import torch
import torch.nn as nn
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--amp", default="", choices=["", "fp16", "bf16"])
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev = torch.device(args.device)

    # torchvision resnet18 with the CIFAR stem: 3x3 stride-1 conv, no max-pool; 10-way head.
    net = torchvision.models.resnet18(num_classes=10)
    net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    net = net.to(dev).train()
    opt = torch.optim.Adam(net.parameters(), lr=3e-4, weight_decay=1e-5)
    x = torch.randn(args.batch, 3, 32, 32, device=dev)
    y = torch.randint(0, 10, (args.batch,), device=dev)
    loss_fn = nn.CrossEntropyLoss()
    amp_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(args.amp)
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp == "fp16")

    def step():
        opt.zero_grad(set_to_none=True)
        ctx = torch.autocast(dev.type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()
        with ctx:
            out = net(x)
        loss = loss_fn(out.float(), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    for _ in range(args.warmup):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(args.steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({"images_per_s": args.batch * args.steps / dt, "cpu_s_per_step": cpu / args.steps,
                      "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
