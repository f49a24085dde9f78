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
//	the loader (Rank, WorldSize) yields this rank's B/W rows of every global batch
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
// Batch sizes are global: with W ranks, --batch-size B and --mini-batch-size mb, each rank
// holds B/W rows (LocalSizes; data/loader with Rank and WorldSize gives rank r the items at
// positions r, r+W, … of the epoch order, see LocalRows) and cuts them into slices of mb/W
// rows. Slice m of every rank together is then exactly the single-process slice m — the same
// images with the same views — so -mb keeps its single-process meaning: each loss matrix holds
// mb rows and takes its negatives from them only. Loss values equal the single-process ones
// (the loss is invariant to a common permutation of rows and columns), which the 2-process
// test checks with mini-batches. Resuming with another world size that divides B (and mb)
// continues the same run.
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
