//go:build !notorch

package parallel

import (
	"fmt"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/train/loss"
	"github.com/scl-dev/scl/train/multicrop"
)

// PairResult is the distributed loss of one (online, target) pair or of a step.
type PairResult struct {
	// Objective is what this rank back-propagates; its value equals Loss up to rounding.
	Objective *torch.Tensor
	// Loss is the single-process loss of the global batch (the same value on every rank).
	Loss *torch.Tensor
	// KL is the KL invariance part of Loss.
	KL *torch.Tensor
}

// PairLoss is the loss of SPEC §1 for a global batch of N = world·n rows spread over world
// ranks, this rank holding rows [rank·n, (rank+1)·n). It needs no communication: the caller
// passes this rank's live online projections online [n, d] and the all-gathered projections
// of every rank (onlineAll, targetAll: [N, d], no gradient; see Group.AllGather).
//
// Negatives come from the whole global batch, and the KL term is exact: its column softmax
// normalises over all N online rows, which this rank can only see through the gathered copy.
// So the global loss matrix is built with every other rank's rows as constants, and
//
//	ℓ̃ᵣ = ℓ(X̃ᵣ, X′, τ, b)   X̃ᵣ = the gathered rows with this rank's block live
//	ℓ̄  = ℓ(X̄, X′, τ, b)    X̄ = the gathered rows, all constant
//	objectiveᵣ = W·ℓ̃ᵣ − (W−1)·ℓ̄
//
// Every value is the global loss ℓ, so objectiveᵣ = ℓ too. Gradients: ∂objectiveᵣ/∂Xᵣ =
// W·∂ℓ/∂Xᵣ (other rows are constants), so the encoder gradient averaged over ranks (what
// DataParallel.SyncGrads does) is Σᵣ ∂ℓ/∂Xᵣ·∂Xᵣ/∂θ = ∂ℓ/∂θ; and ∂objectiveᵣ/∂τ =
// W·∂ℓ/∂τ − (W−1)·∂ℓ/∂τ = ∂ℓ/∂τ on every rank (likewise b), whose average is again ∂ℓ/∂τ.
// Averaged gradients therefore equal the single-process gradients of the global batch.
//
// Cost: the N×N loss matrix is evaluated twice per rank (ℓ̃ and ℓ̄), O(N²·d) — the same order
// as the single-process loss, and small next to the encoder, which is what data parallelism
// divides; communication is the two [N, d] all-gathers, shared by every pair that uses a view.
// With world = 1 it is loss.Pair.
func PairLoss(s *torch.Scope, rank, world int, online, onlineAll, targetAll, tau, bias *torch.Tensor, c loss.Config) PairResult {
	if world == 1 {
		l, kl := loss.Pair(s, online, targetAll, tau, bias, c)
		return PairResult{Objective: l, Loss: l, KL: kl}
	}
	if rank < 0 || rank >= world {
		s.Fail(fmt.Errorf("parallel: rank %d of world %d: want 0 ≤ rank < world", rank, world))
		return PairResult{}
	}
	if online.Closed() || onlineAll.Closed() || online.Dim() != 2 || onlineAll.Dim() != 2 {
		s.Fail(fmt.Errorf("parallel: pair loss: online %v and gathered online %v: want [n, d] and [world·n, d]", online, onlineAll))
		return PairResult{}
	}
	n := online.Shape()[0]
	if onlineAll.Shape()[0] != n*int64(world) || onlineAll.Shape()[1] != online.Shape()[1] {
		s.Fail(fmt.Errorf("parallel: pair loss: online %v and gathered online %v: want [n, d] and [%d·n, d]", online.Shape(), onlineAll.Shape(), world))
		return PairResult{}
	}
	N := n * int64(world)
	var parts []*torch.Tensor
	if rank > 0 {
		parts = append(parts, s.Narrow(onlineAll, 0, 0, int64(rank)*n))
	}
	parts = append(parts, s.To(online, onlineAll.DType()))
	if rank < world-1 {
		parts = append(parts, s.Narrow(onlineAll, 0, int64(rank+1)*n, N-int64(rank+1)*n))
	}
	mixed := s.Cat(0, parts...)
	l, kl := loss.Pair(s, mixed, targetAll, tau, bias, c)
	lbar, _ := loss.Pair(s, onlineAll, targetAll, tau, bias, c)
	obj := s.Sub(s.MulScalar(l, float64(world)), s.MulScalar(lbar, float64(world-1)))
	return PairResult{Objective: obj, Loss: l, KL: kl}
}

// StepLoss is the distributed step loss of SPEC §2: the mean of PairLoss over pairs, with
// online[c] this rank's live online projections of view c and target[a] its target
// projections of global view a (no gradient). Each view is all-gathered once and shared by
// the pairs using it, so a step costs G + (G+Lc) all-gathers of [n, d]. Every rank must call
// it with the same pairs. Errors (including communication failures) are recorded in s.
//
// Mini-batches keep their single-process meaning: call StepLoss once per slice, each rank
// passing its mb/W rows of that slice (see LocalSizes, LocalRows); the loss matrix of slice m
// then holds the mb rows of the single-process slice m, its negatives from those rows only.
func StepLoss(s *torch.Scope, g *dist.Group, online, target []*torch.Tensor, pairs []multicrop.Pair, tau, bias *torch.Tensor, c loss.Config) PairResult {
	if len(pairs) == 0 {
		s.Fail(fmt.Errorf("parallel: step loss: no pairs"))
		return PairResult{}
	}
	rank, world := 0, 1
	if g != nil {
		rank, world = g.Rank(), g.World()
	}
	gather := func(x *torch.Tensor) *torch.Tensor {
		if world == 1 {
			return s.Detach(x)
		}
		return g.AllGather(s, x)
	}
	onlineAll := make([]*torch.Tensor, len(online))
	targetAll := make([]*torch.Tensor, len(target))
	for _, p := range pairs {
		if p.Online < 0 || p.Online >= len(online) || p.Target < 0 || p.Target >= len(target) {
			s.Fail(fmt.Errorf("parallel: step loss: pair %+v with %d online and %d target views", p, len(online), len(target)))
			return PairResult{}
		}
		if world > 1 && onlineAll[p.Online] == nil {
			onlineAll[p.Online] = gather(online[p.Online])
		}
		if targetAll[p.Target] == nil {
			targetAll[p.Target] = gather(target[p.Target])
		}
	}
	var sum PairResult
	for _, p := range pairs {
		var r PairResult
		if world == 1 {
			r = PairLoss(s, 0, 1, online[p.Online], nil, targetAll[p.Target], tau, bias, c)
		} else {
			r = PairLoss(s, rank, world, online[p.Online], onlineAll[p.Online], targetAll[p.Target], tau, bias, c)
		}
		if s.Err() != nil {
			return PairResult{}
		}
		if sum.Objective == nil {
			sum = r
			continue
		}
		sum = PairResult{Objective: s.Add(sum.Objective, r.Objective), Loss: s.Add(sum.Loss, r.Loss), KL: s.Add(sum.KL, r.KL)}
	}
	k := float64(len(pairs))
	return PairResult{Objective: s.DivScalar(sum.Objective, k), Loss: s.DivScalar(sum.Loss, k), KL: s.DivScalar(sum.KL, k)}
}
