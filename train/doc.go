// Package train is the ReLIC trainer of scl: the modulated sigmoid contrastive loss with its
// KL invariance term (SPEC §1, package scl/train/loss), multi-crop pairing (§2), online and EMA
// target networks (§3–4), mini-batches with gradient accumulation, Adam with coupled L2 /
// AdamW / LARS with warm-up and cosine schedules, and mixed precision (§5), with checkpoints
// that resume bit for bit, metrics and periodic evaluation.
//
// # Entry points
//
// Run is the whole loop: data loader (scl/data/loader, multi-crop views), Trainer steps,
// metrics.jsonl, checkpoints under OutDir/checkpoints/step-NNNNNNNN, kNN monitor and linear
// probe, curves.png. Progress is reported through Hooks; the library prints nothing.
// Trainer is the step-level API (NewTrainer, Restore, Step, Save, Features, KNN, LinearProbe)
// for callers that bring their own batches, such as benchmarks and distributed training.
//
// # Checkpoints and resume
//
// A checkpoint is the scl/checkpoint directory format: online.safetensors (online network plus
// "loss.tau" and "loss.bias"), target.safetensors, optimizer.safetensors (moments and step
// count) and config.json, whose "train" entry is a State (step, epoch position, β, the loss
// scaler, the run's Config). It is written to a temporary directory and renamed into place, so
// a checkpoint directory is always complete; kill -9 loses at most the steps since the last one.
// Random streams need no saved state: libtorch's generator is reseeded from (seed, step) at
// every step and the loader's order and views are functions of (seed, epoch, index). On the CPU
// a run of 2N steps equals N steps, a checkpoint and N resumed steps, bit for bit.
//
// # Failure
//
// A NaN or infinite loss in fp32/bf16 stops Run with an error wrapping ErrNonFinite that names
// the last good checkpoint; nothing is saved after it. Under fp16 the dynamic loss scaler skips
// the step instead (the step still counts, as in the reference). Either way the parameters and
// the BatchNorm running statistics are left as they were before the step.
//
// # Data parallelism
//
// Data.Session (a train/parallel session from torchrun's or Slurm's environment) makes Run one
// process of a data-parallel job: each process reads its share of every global batch, the loss
// scores its rows against the whole global batch (parallel.StepLoss), gradients are averaged
// before the optimizer step, all processes stop after the same step, and only rank 0 writes
// metrics and checkpoints. Trainer.Attach is the step-level entry point.
//
// # Threads and determinism
//
// Run locks its goroutine to one OS thread while it trains and shares the CPUs between
// augmentation workers and libtorch's intra-op threads (CPUSplit). Callers of Trainer.Step who
// want reproducible CPU runs should do the same (runtime.LockOSThread).
//
// A Trainer is not safe for concurrent use; Close frees its native memory.
//
// Sub-packages that need no libtorch: scl/train/schedule (γ and β), scl/train/multicrop (pairs
// and mini-batch slices) and scl/train/metrics (JSONL metrics and PNG curves).
//
// Build: this package uses scl/torch and therefore libtorch through cgo; it does not build
// with the notorch tag.
package train
