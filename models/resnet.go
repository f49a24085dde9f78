package models

import "fmt"

// resnet builds torchvision's ResNet without its fc layer: stem, four stages, global average
// pool, flatten. blocks gives the number of blocks per stage; bottleneck selects Bottleneck
// (expansion 4) over BasicBlock (expansion 1). The stride sits on the 3×3 conv (ResNet v1.5) and
// shortcuts that change shape are 1×1 convs with BatchNorm. Stage k has Width·2ᵏ planes, the
// fourth cfg.FourthStageWidth() (8·Width unless LastStageWidth is set).
func resnet(name string, blocks [4]int, bottleneck bool, cfg Config) *Network {
	const eps = 1e-5
	b := newBuilder(name, cfg.InChannels, 0, 0)
	w := cfg.Width
	x := Value(0)
	switch cfg.Stem {
	case StemCIFAR:
		x = b.conv("conv1", x, cfg.InChannels, w, 3, 1, 1, false)
	case StemCIFARStride2:
		x = b.conv("conv1", x, cfg.InChannels, w, 3, 2, 1, false)
	default:
		x = b.add(Node{Op: OpConv, Name: "conv1", Inputs: []Value{x},
			Conv: ConvSpec{In: cfg.InChannels, Out: w, Kernel: 7, Stride: 2, Padding: 3, Groups: 1}})
	}
	x = b.bn("bn1", x, w, eps)
	x = b.unary(OpReLU, "relu", x)
	if cfg.Stem == StemImageNet {
		x = b.add(Node{Op: OpMaxPool, Name: "maxpool", Inputs: []Value{x}, Pool: PoolSpec{Kernel: 3, Stride: 2, Padding: 1}})
	}
	expansion := 1
	if bottleneck {
		expansion = 4
	}
	inplanes := w
	for stage, n := range blocks {
		planes := w << stage
		if stage == len(blocks)-1 {
			planes = cfg.FourthStageWidth()
		}
		for i := 0; i < n; i++ {
			stride := 1
			if i == 0 && stage > 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d", stage+1, i)
			identity := x
			var out Value
			if bottleneck {
				out = b.conv(p+".conv1", x, inplanes, planes, 1, 1, 1, false)
				out = b.bn(p+".bn1", out, planes, eps)
				out = b.unary(OpReLU, p+".relu1", out)
				out = b.conv(p+".conv2", out, planes, planes, 3, stride, 1, false)
				out = b.bn(p+".bn2", out, planes, eps)
				out = b.unary(OpReLU, p+".relu2", out)
				out = b.conv(p+".conv3", out, planes, planes*expansion, 1, 1, 1, false)
				out = b.bn(p+".bn3", out, planes*expansion, eps)
			} else {
				out = b.conv(p+".conv1", x, inplanes, planes, 3, stride, 1, false)
				out = b.bn(p+".bn1", out, planes, eps)
				out = b.unary(OpReLU, p+".relu1", out)
				out = b.conv(p+".conv2", out, planes, planes, 3, 1, 1, false)
				out = b.bn(p+".bn2", out, planes, eps)
			}
			if stride != 1 || inplanes != planes*expansion {
				identity = b.conv(p+".downsample.0", x, inplanes, planes*expansion, 1, stride, 1, false)
				identity = b.bn(p+".downsample.1", identity, planes*expansion, eps)
			}
			x = b.binary(OpAdd, p+".add", out, identity)
			x = b.unary(OpReLU, p+".relu", x)
			inplanes = planes * expansion
		}
	}
	x = b.unary(OpGlobalAvgPool, "avgpool", x)
	x = b.unary(OpFlatten, "flatten", x)
	return b.finish(x, inplanes)
}
