// Package optim holds optimizers over an nn.Store's parameters — Adam (coupled L2 weight decay,
// as torch.optim.Adam), AdamW (decoupled), SGD with momentum/Nesterov, LARS — and learning-rate
// schedules (constant, linear warm-up + cosine).
//
// An optimizer reads each parameter's .grad (parameters without a gradient are skipped, as in
// PyTorch) and updates the parameters in place without recording gradients. Its state (moments,
// momentum buffers, the step count) is exported by State as named tensors
// ("exp_avg.<param>", "exp_avg_sq.<param>", "momentum_buffer.<param>", "step") and restored by
// LoadState, so a checkpointed run resumes bit-exactly.
//
// Ownership: an optimizer owns its state tensors; Close frees them. It does not own the
// parameters. Not safe for concurrent use.
//
// The update formulas are in each constructor's doc comment; they follow PyTorch 1.13's
// torch.optim (Kingma & Ba 2015 for Adam, Loshchilov & Hutter 2019 for AdamW, You et al. 2017
// for LARS).
package optim
