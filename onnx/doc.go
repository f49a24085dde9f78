// Package onnx writes ONNX models (ModelProto, GraphProto, NodeProto, TensorProto,
// ValueInfoProto, metadata_props) as protobuf, in pure Go.
//
// The messages are encoded field by field with google.golang.org/protobuf/encoding/protowire,
// following onnx/onnx.proto (IR version 8, default operator set 17). Only the subset needed to
// describe inference graphs of dense float tensors is covered: nodes with scalar, list, string and
// tensor attributes, initializers stored as raw little-endian bytes, graph inputs and outputs with
// fixed or symbolic ("batch") dimensions, and model metadata_props.
//
// Building a model:
//
//	g := onnx.NewGraph("tiny")
//	x := g.Input("images", onnx.Float, onnx.Dim("batch"), onnx.Dim(3), onnx.Dim(8), onnx.Dim(8))
//	w := g.Initializer(onnx.FloatTensor("conv.weight", []int64{4, 3, 3, 3}, weights))
//	y := g.Node("Conv", []string{x, w}, onnx.AttrInts("pads", 1, 1, 1, 1))
//	z := g.Node("GlobalAveragePool", []string{y})
//	g.Output(g.NodeNamed("Flatten", "features", []string{z}, onnx.AttrInt("axis", 1)),
//		onnx.Float, onnx.Dim("batch"), onnx.Dim(4))
//	m := &onnx.Model{Graph: g, Metadata: map[string]string{"image_size": "8"}}
//	err := m.WriteFile("tiny.onnx")
//
// Marshal checks that every node input is defined before use (graph input, initializer or an
// earlier node's output) and that names are unique, so a malformed graph fails here with a clear
// error instead of inside ONNX Runtime.
//
// Decode reads back the subset this package writes (plus unknown fields, which it skips); it is
// used by tests and by tools that need a model's metadata without starting ONNX Runtime.
//
// Values of these types are not safe for concurrent mutation; a finished Model may be marshalled
// from several goroutines.
package onnx
