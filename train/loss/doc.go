// Package loss is the modulated sigmoid contrastive loss with the ReLIC KL invariance term
// (SPEC §1), built from scl/torch ops so that autograd differentiates it.
//
// For online projections X (n×d) and target projections X′ (n×d, no gradient), learnable
// scalars τ (log-scale) and b (bias):
//
//	x̂ᵢ = xᵢ / max(‖xᵢ‖₂, 1e−12)
//	Lᵢⱼ = s·⟨x̂ᵢ, x̂′ⱼ⟩ + b,   s = clamp(exp τ, 0, MaxScale)
//	zᵢⱼ = Yᵢⱼ·Lᵢⱼ,  Y = 2I − 1
//	wᵢⱼ = σ(−zᵢⱼ)^γ          (not detached)
//	ℓ_sig = −(1/n) Σᵢⱼ wᵢⱼ·log σ(zᵢⱼ)
//	KL = (1/n) Σᵢₖ Qᵢₖ (log Qᵢₖ − log Pᵢₖ),  P = softmax of L over rows' entries (dim 1),
//	                                          Q = softmax of L over columns (dim 0), transposed
//	loss = ℓ_sig + α·KL
//
// With filtering on, ℓ_sig = −(1/n) Σ_{kept} log σ(zᵢⱼ), where the kept entries are the
// diagonal and every off-diagonal entry with wᵢⱼ > threshold.
//
// The weight is computed as exp(γ·log σ(−z)), equal to the reference's (1 − σ(z))^γ up to
// rounding but with a finite gradient where σ(z) rounds to 1 (the reference's pow then gives
// 0·∞ for γ < 1). Cost: one n×d·d×n product and O(n²) element-wise work.
//
// Half-precision inputs (autocast) are cast to float32 and the loss runs with autocast off, as
// SPEC §5 asks; float64 inputs stay float64 (the golden tests). Build: needs libtorch (cgo).
package loss
