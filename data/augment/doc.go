// Package augment implements the image transforms of SPEC §6: the random global and local views
// of multi-crop self-supervised training, and the one resampler ([Resizer]) that the
// inference preprocessing (package preprocess) shares.
//
// A view is RandomResizedCrop (torchvision's sampling, PIL's antialiased bilinear resampling) →
// horizontal flip → ColorJitter (brightness, contrast, saturation, hue, in random order) →
// random grayscale → Gaussian blur (reflect padding) → solarize → normalise. [MultiCrop] holds
// the view list (G global then Lc local, [NewMultiCrop]); it implements [Transform] (as
// preprocess.Spec does for evaluation and extraction) and writes float32 CHW buffers.
//
// # Numerics
//
// The pipeline runs on float32 planes with values in [0,1], clamped after every colour
// operation, as torchvision's tensor functions; it does not round to 8 bits between operations
// as the PIL path of the reference does (differences ≤ 0.5/255 per operation). The solarize
// threshold is on the 8-bit scale: x is inverted when round(255·x) ≥ 127. Grey weights are
// (0.299, 0.587, 0.114), as PIL's convert("L") (torchvision's tensor path uses 0.2989). The blur
// skips outer kernel taps whose combined weight is below 1e-7 (small σ), which changes no value by
// more than about one float32 ulp.
//
// # Channels
//
// Outputs have Channels = 3 (grey inputs replicated, as SPEC §6) or 1 (RGB inputs reduced to
// grey; normalised with [GreyMean], [GreyStd]). Grey inputs stay single-plane internally and
// cost a third of RGB ones.
//
// # Randomness and concurrency
//
// All randomness comes from an [RNG] passed to Worker.Apply; the loader seeds one per item with
// [SeedFor](seed, epoch, index), which makes views independent of worker count and order.
// The same seed gives bit-identical views on the same CPU architecture. Across architectures the
// random decisions (crop rectangles, flips, jitter order and factors, σ) are the same, but pixel
// values may differ in the last float32 bits where the compiler fuses multiply-adds (arm64).
// Transforms are immutable and safe for concurrent use; each goroutine needs its own Worker
// (Transform.NewWorker), which owns the scratch buffers.
package augment
