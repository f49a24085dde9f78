// Package amp is mixed-precision training's dynamic loss scaler (torch.cuda.amp.GradScaler).
//
// Autocast itself is a property of a torch.Scope view — s.Autocast(torch.CUDADevice,
// torch.Float16) — so the forward pass runs eligible ops in half precision. With float16, small
// gradients underflow; the Scaler multiplies the loss by a large factor before backward, divides
// the gradients by it before the optimizer step, skips the step when any gradient is inf/NaN,
// and adapts the factor:
//
//	scale₀ = 2¹⁶
//	step with inf/NaN gradients: skipped, scale ← scale·0.5, clean-step counter ← 0
//	clean step:                  counter ← counter + 1; at 2000: scale ← scale·2, counter ← 0
//
// bfloat16 has float32's range and needs no scaling (Scaler with Disabled set passes through).
//
// A training step:
//
//	loss := …                                   // forward under s.Autocast(…)
//	s.Backward(sc.Scale(s, loss))
//	stepped, err := sc.Step(opt, store.Params()) // unscale, check, step or skip, update
//
// The scaler holds no native state (the scale is a float64), is not safe for concurrent use,
// and its State/LoadState values go into a checkpoint for exact resume.
package amp
