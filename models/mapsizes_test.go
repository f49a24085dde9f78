package models

import (
	"strings"
	"testing"
)

// The expected sizes are the textbook ones: torchvision's ResNets halve the maps at the stem's
// stride-2 convolution and max-pool and at stages 2–4 (224 → 112 → 56 → 28 → 14 → 7); the CIFAR
// stem keeps the input size for stage 1 (28 → 28 → 14 → 7 → 4, 12 → 12 → 6 → 3 → 2), and
// EfficientNets end on 224/32 = 7.
func TestMapSizes(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		size int
		want map[string]MapSize // node name → its output's maps
	}{
		{"resnet18 imagenet stem 224", Config{Arch: ResNet18}, 224, map[string]MapSize{
			"conv1": {112, 112}, "maxpool": {56, 56}, "layer1.1.conv2": {56, 56},
			"layer2.0.conv1": {28, 28}, "layer3.0.downsample.0": {14, 14}, "layer4.1.conv2": {7, 7}, "avgpool": {1, 1}}},
		{"resnet18 cifar stem 28", Config{Arch: ResNet18, Stem: StemCIFAR}, 28, map[string]MapSize{
			"conv1": {28, 28}, "layer1.0.conv2": {28, 28}, "layer2.1.conv1": {14, 14},
			"layer3.0.conv1": {7, 7}, "layer4.0.conv1": {4, 4}, "layer4.0.downsample.0": {4, 4}, "layer4.1.conv2": {4, 4}}},
		{"resnet18 cifar stem 12 (local views)", Config{Arch: ResNet18, Stem: StemCIFAR}, 12, map[string]MapSize{
			"layer2.0.conv1": {6, 6}, "layer3.0.conv2": {3, 3}, "layer4.1.conv2": {2, 2}}},
		{"resnet50 cifar stem 20", Config{Arch: ResNet50, Stem: StemCIFAR}, 20, map[string]MapSize{
			"layer2.0.conv2": {10, 10}, "layer3.0.conv2": {5, 5}, "layer4.2.conv3": {3, 3}}},
		{"efficientnet_b0 224", Config{Arch: EfficientNetB0}, 224, map[string]MapSize{
			"features.0.0": {112, 112}, "features.8.0": {7, 7}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Encoder(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			sizes, err := net.MapSizes(tc.size, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, nd := range net.Nodes {
				want, ok := tc.want[nd.Name]
				if !ok {
					continue
				}
				found++
				if got := sizes[nd.Output]; got != want {
					t.Errorf("%s (%s): maps %d×%d, want %d×%d", nd.Name, nd.Op, got.H, got.W, want.H, want.W)
				}
			}
			if found != len(tc.want) {
				t.Errorf("found %d of the %d named nodes", found, len(tc.want))
			}
			if got := sizes[net.Output]; got != (MapSize{}) {
				t.Errorf("the features have maps %v, want none (vectors)", got)
			}
		})
	}
}

func TestMapSizesRefusesWhatHasNoMaps(t *testing.T) {
	enc, err := Encoder(Config{Arch: ResNet18, Stem: StemCIFAR})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		net  *Network
		h, w int
		want string
	}{
		{"projector", Projector(512, 512, 64), 28, 28, "has no maps"},
		{"empty image", enc, 0, 28, "want at least 1×1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.net.MapSizes(tc.h, tc.w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A window larger than its padded input leaves nothing; PyTorch refuses such a convolution.
func TestSlide(t *testing.T) {
	tests := []struct{ n, kernel, stride, padding, want int }{
		{28, 3, 1, 1, 28}, {28, 3, 2, 1, 14}, {7, 3, 2, 1, 4}, {7, 1, 2, 0, 4}, {224, 7, 2, 3, 112},
		{112, 3, 2, 1, 56}, {2, 5, 1, 0, 0}, {5, 3, 0, 1, 0},
	}
	for _, tc := range tests {
		if got := slide(tc.n, tc.kernel, tc.stride, tc.padding); got != tc.want {
			t.Errorf("slide(%d, k%d, s%d, p%d) = %d, want %d", tc.n, tc.kernel, tc.stride, tc.padding, got, tc.want)
		}
	}
}

// TestConvsWhere: the rule sees each convolution with its own output maps; other nodes are
// never marked.
func TestConvsWhere(t *testing.T) {
	net, err := Encoder(Config{Arch: ResNet18, Stem: StemCIFAR})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pick func(ConvSpec, MapSize) bool
		want []string
	}{
		{"512 channels on 4×4", func(c ConvSpec, m MapSize) bool { return c.Out >= 512 && m.H*m.W <= 16 },
			[]string{"layer4.0.conv1", "layer4.0.conv2", "layer4.0.downsample.0", "layer4.1.conv1", "layer4.1.conv2"}},
		{"7×7 maps", func(c ConvSpec, m MapSize) bool { return m.H == 7 },
			[]string{"layer3.0.conv1", "layer3.0.conv2", "layer3.0.downsample.0", "layer3.1.conv1", "layer3.1.conv2"}},
		{"every node", func(ConvSpec, MapSize) bool { return true }, nil}, // compared by count below
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			marks, err := net.ConvsWhere(28, 28, tc.pick)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			convs := 0
			for i, nd := range net.Nodes {
				if nd.Op == OpConv {
					convs++
				}
				if marks[i] {
					if nd.Op != OpConv {
						t.Fatalf("%s (%s) marked: not a convolution", nd.Name, nd.Op)
					}
					got = append(got, nd.Name)
				}
			}
			if tc.want == nil {
				if len(got) != convs || convs != 20 {
					t.Errorf("%d of %d convolutions marked, want all of ResNet-18's 20", len(got), convs)
				}
				return
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("marked %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := Projector(512, 512, 64).ConvsWhere(28, 28, func(ConvSpec, MapSize) bool { return true }); err == nil {
		t.Error("the projector (no maps) was accepted")
	}
}
