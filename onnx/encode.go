package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// Field numbers from onnx/onnx.proto.
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelVersion         = 5
	modelDocString       = 6
	modelGraph           = 7
	modelOpsetImport     = 8
	modelMetadataProps   = 14

	opsetDomain  = 1
	opsetVersion = 2

	entryKey   = 1
	entryValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphDocString   = 10
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName    = 1
	attrF       = 2
	attrI       = 3
	attrS       = 4
	attrT       = 5
	attrFloats  = 7
	attrInts    = 8
	attrStrings = 9
	attrType    = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueInfoName = 1
	valueInfoType = 2

	typeTensorType = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
	dimParam       = 2
)

// Marshal validates the model and encodes it as an ONNX ModelProto.
func (m *Model) Marshal() ([]byte, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("onnx: model has no graph")
	}
	if err := m.Graph.Validate(); err != nil {
		return nil, err
	}
	ir, opset, producer := m.IRVersion, m.Opset, m.ProducerName
	if ir == 0 {
		ir = DefaultIRVersion
	}
	if opset == 0 {
		opset = DefaultOpset
	}
	if producer == "" {
		producer = "scl"
	}
	var b []byte
	b = appendVarintField(b, modelIRVersion, uint64(ir))
	b = appendStringField(b, modelProducerName, producer)
	if m.ProducerVersion != "" {
		b = appendStringField(b, modelProducerVersion, m.ProducerVersion)
	}
	if m.ModelVersion != 0 {
		b = appendVarintField(b, modelVersion, uint64(m.ModelVersion))
	}
	if m.DocString != "" {
		b = appendStringField(b, modelDocString, m.DocString)
	}
	b = appendMessage(b, modelGraph, m.Graph.encode(nil))
	var os []byte
	os = appendStringField(os, opsetDomain, "")
	os = appendVarintField(os, opsetVersion, uint64(opset))
	b = appendMessage(b, modelOpsetImport, os)
	for _, k := range m.metadataKeys() {
		var e []byte
		e = appendStringField(e, entryKey, k)
		e = appendStringField(e, entryValue, m.Metadata[k])
		b = appendMessage(b, modelMetadataProps, e)
	}
	return b, nil
}

// WriteFile marshals the model and writes it to path atomically: a temporary file in the same
// directory is written, synced and renamed over path. Missing parent directories are created.
func (m *Model) WriteFile(path string) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

func (g *Graph) encode(b []byte) []byte {
	for _, n := range g.Nodes {
		b = appendMessage(b, graphNode, n.encode(nil))
	}
	b = appendStringField(b, graphName, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, graphInitializer, t.encode(nil))
	}
	if g.DocString != "" {
		b = appendStringField(b, graphDocString, g.DocString)
	}
	for _, v := range g.Inputs {
		b = appendMessage(b, graphInput, v.encode(nil))
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, graphOutput, v.encode(nil))
	}
	return b
}

func (n *Node) encode(b []byte) []byte {
	for _, in := range n.Inputs {
		b = appendStringField(b, nodeInput, in)
	}
	for _, out := range n.Outputs {
		b = appendStringField(b, nodeOutput, out)
	}
	if n.Name != "" {
		b = appendStringField(b, nodeName, n.Name)
	}
	b = appendStringField(b, nodeOpType, n.OpType)
	for i := range n.Attrs {
		b = appendMessage(b, nodeAttribute, n.Attrs[i].encode(nil))
	}
	if n.Domain != "" {
		b = appendStringField(b, nodeDomain, n.Domain)
	}
	return b
}

func (a *Attr) encode(b []byte) []byte {
	b = appendStringField(b, attrName, a.Name)
	switch a.Type {
	case AttrTypeFloat:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrTypeInt:
		b = appendVarintField(b, attrI, uint64(a.I))
	case AttrTypeString:
		b = appendStringField(b, attrS, a.S)
	case AttrTypeTensor:
		if a.T != nil {
			b = appendMessage(b, attrT, a.T.encode(nil))
		}
	case AttrTypeFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, attrFloats, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case AttrTypeInts:
		for _, v := range a.Ints {
			b = appendVarintField(b, attrInts, uint64(v))
		}
	case AttrTypeStrings:
		for _, s := range a.Strings {
			b = appendStringField(b, attrStrings, s)
		}
	}
	b = appendVarintField(b, attrType, uint64(a.Type))
	return b
}

func (t *Tensor) encode(b []byte) []byte {
	for _, d := range t.Dims {
		b = appendVarintField(b, tensorDims, uint64(d))
	}
	b = appendVarintField(b, tensorDataType, uint64(t.DType))
	b = appendStringField(b, tensorName, t.Name)
	b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
	b = protowire.AppendBytes(b, t.Raw)
	return b
}

func (v *ValueInfo) encode(b []byte) []byte {
	b = appendStringField(b, valueInfoName, v.Name)
	var shape []byte
	for _, d := range v.Shape {
		var dim []byte
		if d.Param != "" {
			dim = appendStringField(dim, dimParam, d.Param)
		} else {
			dim = appendVarintField(dim, dimValue, uint64(d.Value))
		}
		shape = appendMessage(shape, shapeDim, dim)
	}
	var tt []byte
	tt = appendVarintField(tt, tensorElemType, uint64(v.DType))
	tt = appendMessage(tt, tensorShape, shape)
	var typ []byte
	typ = appendMessage(typ, typeTensorType, tt)
	b = appendMessage(b, valueInfoType, typ)
	return b
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}
