// Package train is the ReLIC trainer of scl: the modulated sigmoid contrastive loss with its
// KL invariance term (SPEC §1), multi-crop pairing (§2), the online/target networks with the
// EMA target (§3–4), mini-batches with gradient accumulation, optimizers and mixed precision
// (§5), checkpoints with exact resume, metrics and periodic evaluation.
//
// Sub-packages that need no libtorch: scl/train/schedule (γ and β), scl/train/multicrop
// (pairs and mini-batch slices) and scl/train/metrics (JSONL metrics and PNG curves).
//
// Build: this package uses scl/torch and therefore libtorch through cgo; it does not build
// with the notorch tag.
package train
