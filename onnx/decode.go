package onnx

import (
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// ReadFile reads and decodes an ONNX model file (see Decode).
func ReadFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: read %s: %w", path, err)
	}
	m, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("onnx: read %s: %w", path, err)
	}
	return m, nil
}

// Decode parses an ONNX ModelProto. It understands the fields this package writes (packed or
// unpacked repeated scalars, raw or float_data/int64_data tensor payloads) and skips others.
func Decode(data []byte) (*Model, error) {
	m := &Model{Metadata: map[string]string{}}
	err := walk(data, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case modelIRVersion:
			m.IRVersion = int64(x)
		case modelProducerName:
			m.ProducerName = string(v)
		case modelProducerVersion:
			m.ProducerVersion = string(v)
		case modelVersion:
			m.ModelVersion = int64(x)
		case modelDocString:
			m.DocString = string(v)
		case modelGraph:
			g, err := decodeGraph(v)
			if err != nil {
				return err
			}
			m.Graph = g
		case modelOpsetImport:
			var domain string
			var version int64
			if err := walk(v, func(n protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				switch n {
				case opsetDomain:
					domain = string(v)
				case opsetVersion:
					version = int64(x)
				}
				return nil
			}); err != nil {
				return err
			}
			if domain == "" || domain == "ai.onnx" {
				m.Opset = version
			}
		case modelMetadataProps:
			var k, val string
			if err := walk(v, func(n protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				switch n {
				case entryKey:
					k = string(v)
				case entryValue:
					val = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			m.Metadata[k] = val
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("onnx: decode model: %w", err)
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("onnx: decode model: no graph")
	}
	return m, nil
}

// walk calls fn for each field of a message: v holds the bytes of length-delimited fields,
// x the value of varint and fixed fields.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// varints appends a repeated varint field's values, packed or not.
func varints(dst []int64, typ protowire.Type, v []byte, x uint64) ([]int64, error) {
	if typ == protowire.VarintType {
		return append(dst, int64(x)), nil
	}
	for len(v) > 0 {
		u, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		dst = append(dst, int64(u))
		v = v[n:]
	}
	return dst, nil
}

// fixed32s appends a repeated float field's values, packed or not.
func fixed32s(dst []float32, typ protowire.Type, v []byte, x uint64) ([]float32, error) {
	if typ == protowire.Fixed32Type {
		return append(dst, math.Float32frombits(uint32(x))), nil
	}
	for len(v) > 0 {
		u, n := protowire.ConsumeFixed32(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		dst = append(dst, math.Float32frombits(u))
		v = v[n:]
	}
	return dst, nil
}

func decodeGraph(b []byte) (*Graph, error) {
	g := &Graph{}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case graphNode:
			n, err := decodeNode(v)
			if err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case graphName:
			g.Name = string(v)
		case graphInitializer:
			t, err := decodeTensor(v)
			if err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case graphDocString:
			g.DocString = string(v)
		case graphInput, graphOutput:
			vi, err := decodeValueInfo(v)
			if err != nil {
				return err
			}
			if num == graphInput {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (*Node, error) {
	n := &Node{}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(v))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(v))
		case nodeName:
			n.Name = string(v)
		case nodeOpType:
			n.OpType = string(v)
		case nodeDomain:
			n.Domain = string(v)
		case nodeAttribute:
			a, err := decodeAttr(v)
			if err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		}
		return nil
	})
	return n, err
}

func decodeAttr(b []byte) (Attr, error) {
	var a Attr
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case attrName:
			a.Name = string(v)
		case attrType:
			a.Type = AttrType(x)
		case attrF:
			a.F = math.Float32frombits(uint32(x))
		case attrI:
			a.I = int64(x)
		case attrS:
			a.S = string(v)
		case attrT:
			a.T, err = decodeTensor(v)
		case attrFloats:
			a.Floats, err = fixed32s(a.Floats, typ, v, x)
		case attrInts:
			a.Ints, err = varints(a.Ints, typ, v, x)
		case attrStrings:
			a.Strings = append(a.Strings, string(v))
		}
		return err
	})
	return a, err
}

const (
	tensorFloatData = 4
	tensorInt64Data = 7
)

func decodeTensor(b []byte) (*Tensor, error) {
	t := &Tensor{}
	var floats []float32
	var ints []int64
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case tensorDims:
			t.Dims, err = varints(t.Dims, typ, v, x)
		case tensorDataType:
			t.DType = DataType(x)
		case tensorName:
			t.Name = string(v)
		case tensorRawData:
			t.Raw = append([]byte(nil), v...)
		case tensorFloatData:
			floats, err = fixed32s(floats, typ, v, x)
		case tensorInt64Data:
			ints, err = varints(ints, typ, v, x)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if t.Raw == nil && floats != nil {
		t.Raw = FloatTensor("", nil, floats).Raw
	}
	if t.Raw == nil && ints != nil {
		t.Raw = Int64Tensor("", nil, ints).Raw
	}
	return t, nil
}

func decodeValueInfo(b []byte) (ValueInfo, error) {
	var vi ValueInfo
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case valueInfoName:
			vi.Name = string(v)
		case valueInfoType:
			return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != typeTensorType {
					return nil
				}
				return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
					switch num {
					case tensorElemType:
						vi.DType = DataType(x)
					case tensorShape:
						return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
							if num != shapeDim {
								return nil
							}
							var d Dimension
							err := walk(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
								switch num {
								case dimValue:
									d.Value = int64(x)
								case dimParam:
									d.Param = string(v)
								}
								return nil
							})
							vi.Shape = append(vi.Shape, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}
