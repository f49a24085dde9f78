// Package parallel is scl's data-parallel training machinery on top of torch/dist (c10d): the
// launcher's environment, joining the process group, the initial broadcast, bucketed gradient
// averaging, and the distributed form of the ReLIC loss.
//
// # Launching
//
// EnvFrom reads torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT) — which a Kubernetes PyTorchJob also sets — or Slurm's
// (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR from the batch script). Join
// connects to rank 0's TCPStore and creates a Gloo (CPU) or NCCL (CUDA) process group;
// LOCAL_RANK picks the CUDA device. See docs/distributed.md.
//
// # One training step on W ranks
//
//	every rank draws the same global batch (same seed) and keeps LocalRows(rank, W)
//	forward: online views (live) and target views (no grad) on the local rows
//	r := StepLoss(s, g, online, target, pairs, τ, b, cfg)   // all-gathers, exact global loss
//	s.Backward(r.Objective)                                  // per mini-batch slice, as usual
//	dp.SyncGrads()                                           // average over ranks, bucketed
//	optimizer step, EMA, γ/β schedules: identical on every rank
//
// Before the first step Broadcast copies rank 0's parameters, buffers, target network, τ and b
// to every rank. Only rank 0 (Env.IsMain) logs and writes checkpoints; CheckLockstep verifies
// that every rank resumed at the same step.
//
// # The loss under data parallelism
//
// Target projections carry no gradient, so they are all-gathered; each rank's online rows are
// scored against all N = W·n target columns (negatives from the whole global batch), its
// diagonal at offset rank·n. The KL term's column softmax normalises over all N online rows,
// which no rank holds, so the online projections are all-gathered too (as constants) and the
// KL term is computed exactly: PairLoss documents the objective whose rank-averaged gradients
// equal the single-process gradients of the global batch, for every parameter including τ and
// b. The value it reports is the single-process loss of the global batch (tested to 1e-12 in
// float64 and to 1e-5 over training in float32 against one process).
//
// Mini-batches (-mb) keep their per-slice meaning: each rank cuts its local batch into slices
// of mb rows; slice m's loss matrix holds slice m of every rank (W·mb rows), negatives from
// those rows only. It equals a single-process run with mini-batch W·mb whose slices are the
// ranks' slices m stacked — not a single-process run with mini-batch mb.
//
// # BatchNorm
//
// BatchNorm runs per rank: batch statistics over the rank's n rows, running statistics
// updated from them (rank 0's are the ones checkpointed). This matches PyTorch's
// DistributedDataParallel without SyncBatchNorm; with BatchNorm the loss is therefore not the
// single-process loss of the global batch (each view's statistics come from n rows, not N).
// Synchronised BatchNorm is not implemented.
//
// # Gradient reduction
//
// SyncGrads averages gradients once per optimizer step, after all backward passes (so mini-
// batch accumulation needs no extra care), in buckets of at most Config.BucketBytes packed into
// one buffer each; a bucket's transfer overlaps the packing of the next, not the backward
// pass (the binding has no autograd hooks).
//
// # Failure
//
// Every collective has the group's timeout; a peer that dies makes the others fail at their
// next collective (Gloo notices the closed connection at once), a peer that hangs makes them
// fail after the timeout. The error names the operation and the rank; the job should exit.
//
// Needs libtorch (cgo) except for EnvFrom, LocalRows and PlanBuckets, which are pure Go.
package parallel
