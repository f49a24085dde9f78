package models

import "testing"

// Counts are torchvision 0.14's sum(p.numel() for p in m.parameters()) with the classifier
// removed (resnet: fc; efficientnet: the features plus nothing else, avgpool has none), as
// quoted in issue 5; the projector count is 512·512 + 2·512 + 512·64.
func TestParameterCounts(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want int64
	}{
		{"resnet18", Config{Arch: ResNet18}, 11_176_512},
		{"resnet18 cifar", Config{Arch: ResNet18, Stem: StemCIFAR}, 11_168_832},
		{"resnet50", Config{Arch: ResNet50}, 23_508_032},
		{"efficientnet_v2_s", Config{Arch: EfficientNetV2S}, 20_177_488},
		{"efficientnet_b0", Config{Arch: EfficientNetB0}, 4_007_548},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Encoder(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := net.NumParams(); got != tc.want {
				t.Errorf("got %d parameters, want %d", got, tc.want)
			}
		})
	}
	if got := Projector(512, 512, 64).NumParams(); got != 295_936 {
		t.Errorf("projector 512→512→64: got %d parameters, want %d", got, 295_936)
	}
}
