// Package models describes the encoders (ResNet-18/50 with an ImageNet or CIFAR stem,
// EfficientNetV2-S, EfficientNet-B0) and the projection head once, as a small graph IR.
//
// A Network is a list of Nodes in execution order (conv, batch norm, ReLU, SiLU, sigmoid,
// max-pool, global average pool, add, mul, linear, flatten, stochastic depth) over numbered
// Values, with the module path of each node ("layer1.0.conv1", "features.3.0.block.1.0") so that
// its parameters and buffers carry PyTorch's state_dict names ("layer1.0.conv1.weight",
// "layer1.0.bn1.running_mean"). The structures follow torchvision 0.14 (resnet18, resnet50,
// efficientnet_v2_s, efficientnet_b0 with the classifier removed), and parameter counts equal
// torchvision's; each parameter carries the initialisation rule torchvision applies.
//
// The same IR drives every consumer, so the architecture is written only here:
//   - export turns it into an ONNX graph (BatchNorm in eval mode, optionally folded);
//   - package models/torchnet (libtorch, build tag !notorch) interprets it for training;
//   - Evaluate runs it in pure Go (slow, float64 accumulation) as a reference in tests;
//   - Init draws fresh weights in pure Go from a seeded generator.
//
// Checkpoints and exports prefix the encoder's names with EncoderPrefix and the projector's with
// ProjectorPrefix. Networks are immutable after construction and safe for concurrent use.
package models
