// Package torchnet instantiates the networks described by package models in libtorch for
// training: the same IR that export turns into ONNX is interpreted here node by node, so the
// architecture exists in one place only.
//
// Parameters and buffers live in an nn.Store under PyTorch's state_dict names, prefixed as in
// checkpoints ("encoder.layer1.0.conv1.weight", "projector.1.running_var"), and are initialised
// with torchvision's rules (the models.Param rules, drawn by libtorch's generator:
// torch.ManualSeed makes them reproducible). Forward follows the store's training mode:
// BatchNorm with batch statistics and running-statistics updates (momentum 0.1) and stochastic
// depth active in training; running statistics and identity in evaluation.
//
// State and LoadState convert between a store and checkpoint tensors (safetensors), for
// checkpoints and for export's numeric check.
//
// Ownership: the Store owns the parameters (caller must Close it); Forward results belong to
// the scope passed in. A Model is not safe for concurrent use.
//
// Build: needs libtorch through cgo; with -tags notorch the package is empty.
package torchnet
