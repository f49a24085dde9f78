// Package preprocess owns the one description of how an image becomes a network input — the
// [Spec]: input size, channels and their order, per-channel mean and standard deviation — and
// its two encodings: a checkpoint's config.json ("data") and an exported model's ONNX
// metadata_props ([Spec.Metadata], [FromMetadata]).
//
// Training-side evaluation, scl export, scl embed and scl serve all turn images into inputs with
// [Spec.ImageTo] (or the loader transform a Spec is, [Spec.NewWorker]):
//
//	x[c, y, x] = (pixel(c′, y, x)/255 − Mean[c]) / Std[c]
//
// after converting grey ↔ RGB, with c′ = c (RGB, L) or 2 − c (BGR), and resizing to
// Height×Width with PIL's antialiased bilinear filter (the reference's torchvision Resize,
// SPEC §6; data/augment's resampler, the project's one resize).
package preprocess
