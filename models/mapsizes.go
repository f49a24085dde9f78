package models

import "fmt"

// MapSize is the spatial size of a value's feature maps: H×W for images, 0×0 for the vectors
// after Flatten or Linear.
type MapSize struct{ H, W int }

// MapSizes gives every value's map size when the network runs on h×w images (index: Value).
// It follows PyTorch's arithmetic: a convolution or max-pool maps n to
// ⌊(n + 2·padding − kernel)/stride⌋ + 1 and global average pooling to 1×1. It fails, naming the
// node, when a map would be empty, and for a network of vector inputs (the projector).
func (n *Network) MapSizes(h, w int) ([]MapSize, error) {
	if len(n.InputShape) != 3 {
		return nil, fmt.Errorf("models: %s: input shape %v has no maps", n.Name, n.InputShape)
	}
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("models: %s: input size %d×%d: want at least 1×1", n.Name, h, w)
	}
	sizes := make([]MapSize, n.NumValues)
	sizes[0] = MapSize{h, w}
	for _, nd := range n.Nodes {
		in := sizes[nd.Inputs[0]]
		out := in
		switch nd.Op {
		case OpConv:
			c := nd.Conv
			out = MapSize{slide(in.H, c.Kernel, c.Stride, c.Padding), slide(in.W, c.Kernel, c.Stride, c.Padding)}
		case OpMaxPool:
			p := nd.Pool
			out = MapSize{slide(in.H, p.Kernel, p.Stride, p.Padding), slide(in.W, p.Kernel, p.Stride, p.Padding)}
		case OpGlobalAvgPool:
			out = MapSize{1, 1}
		case OpFlatten, OpLinear:
			out = MapSize{}
		}
		if (nd.Op == OpConv || nd.Op == OpMaxPool) && (out.H < 1 || out.W < 1) {
			return nil, fmt.Errorf("models: %s: %s on %d×%d inputs leaves no output (%d×%d maps in)",
				n.Name, nd.Name, h, w, in.H, in.W)
		}
		sizes[nd.Output] = out
	}
	return sizes, nil
}

// ConvsWhere marks the convolution nodes for which pick, given the convolution and its output
// maps on h×w inputs (MapSizes), says yes: marks[i] for node i.
func (n *Network) ConvsWhere(h, w int, pick func(ConvSpec, MapSize) bool) ([]bool, error) {
	maps, err := n.MapSizes(h, w)
	if err != nil {
		return nil, err
	}
	marks := make([]bool, len(n.Nodes))
	for i, nd := range n.Nodes {
		marks[i] = nd.Op == OpConv && pick(nd.Conv, maps[nd.Output])
	}
	return marks, nil
}

// slide is the output length of a window of kernel cells moved by stride over n cells padded
// by padding on each side.
func slide(n, kernel, stride, padding int) int {
	if stride < 1 {
		return 0
	}
	span := n + 2*padding - kernel
	if span < 0 {
		return 0
	}
	return span/stride + 1
}
