// Package export turns a checkpoint's target network into an ONNX model, in pure Go, and checks
// the result numerically.
//
// Build interprets the models IR node by node: convolutions (with BatchNorm folded into their
// weights unless Options.KeepBatchNorm), BatchNormalization in eval mode, Relu, SiLU as
// x·Sigmoid(x), MaxPool, GlobalAveragePool, Add, Mul, Gemm, Flatten; stochastic depth is the
// identity at inference. The model uses opset 17, IR version 8, float32, one input
// [batch, C, S, S] named InputName with a dynamic batch axis, and the output FeaturesName
// [batch, D] (plus ProjectionName [batch, P] with Options.WithProjector).
//
// metadata_props carry what a consumer needs to preprocess images and interpret outputs; the keys
// are the Meta* constants (image_size, mean, std, channel_order, layout, in_channels,
// feature_dim, projection_dim, architecture, stem, training_step, input_name, output_name,
// projection_name, source). Lists are comma-separated decimal numbers. ReadPreprocessing parses
// them back.
//
// Verify runs the written model in ONNX Runtime (library from $SCL_ORT_LIB or
// Options.ORTLibrary, loaded at run time) and compares it on random inputs of two batch sizes
// against a reference engine: libtorch in eval mode when the binary is built with torch (the
// default; the !notorch files) and the pure-Go models.Evaluate otherwise.
//
// Export needs neither libtorch nor ONNX Runtime; only Verify needs ONNX Runtime.
package export
