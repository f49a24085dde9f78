//go:build !notorch

package main

import (
	"fmt"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

// resnet18 is torchvision's resnet18 with the CIFAR stem written directly with nn blocks, with
// torchvision's in-place ReLU and residual addition — the "-model inline" variant, which shows
// the binding's own speed independent of how models/torchnet interprets the graph.
type resnet18 struct {
	conv1  *nn.Conv2d
	bn1    *nn.BatchNorm2d
	blocks []*basicBlock
	fc     *nn.Linear
}

type basicBlock struct {
	conv1, conv2 *nn.Conv2d
	bn1, bn2     *nn.BatchNorm2d
	down         *nn.Conv2d
	downBN       *nn.BatchNorm2d
}

func newResNet18(p nn.Path, classes int64) *resnet18 {
	kn := nn.KaimingNormal(nn.FanOut)
	r := &resnet18{
		conv1: nn.NewConv2d(p.Sub("conv1"), 3, 64, 3, nn.Conv2dConfig{Padding: 1, WeightInit: kn}),
		bn1:   nn.NewBatchNorm2d(p.Sub("bn1"), 64),
	}
	in := int64(64)
	for li, out := range []int64{64, 128, 256, 512} {
		for bi := 0; bi < 2; bi++ {
			stride := int64(1)
			if bi == 0 && li > 0 {
				stride = 2
			}
			bp := p.Sub(fmt.Sprintf("layer%d", li+1)).Sub(fmt.Sprint(bi))
			b := &basicBlock{
				conv1: nn.NewConv2d(bp.Sub("conv1"), in, out, 3, nn.Conv2dConfig{Stride: stride, Padding: 1, WeightInit: kn}),
				bn1:   nn.NewBatchNorm2d(bp.Sub("bn1"), out),
				conv2: nn.NewConv2d(bp.Sub("conv2"), out, out, 3, nn.Conv2dConfig{Padding: 1, WeightInit: kn}),
				bn2:   nn.NewBatchNorm2d(bp.Sub("bn2"), out),
			}
			if stride != 1 || in != out {
				b.down = nn.NewConv2d(bp.Sub("downsample").Sub("0"), in, out, 1, nn.Conv2dConfig{Stride: stride, WeightInit: kn})
				b.downBN = nn.NewBatchNorm2d(bp.Sub("downsample").Sub("1"), out)
			}
			r.blocks = append(r.blocks, b)
			in = out
		}
	}
	r.fc = nn.NewLinear(p.Sub("fc"), 512, classes, true)
	return r
}

func (r *resnet18) forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	x = r.bn1.Forward(s, r.conv1.Forward(s, x))
	s.ReluInPlace(x)
	for _, b := range r.blocks {
		out := b.bn1.Forward(s, b.conv1.Forward(s, x))
		s.ReluInPlace(out)
		out = b.bn2.Forward(s, b.conv2.Forward(s, out))
		id := x
		if b.down != nil {
			id = b.downBN.Forward(s, b.down.Forward(s, x))
		}
		s.AddInPlace(out, id, 1)
		s.ReluInPlace(out)
		x = out
	}
	return r.fc.Forward(s, s.Flatten(s.AdaptiveAvgPool2d(x, 1, 1), 1, -1))
}
