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
		// Worked by hand, conv weights plus BatchNorm weight and bias: stem 1·16·9 + 32;
		// stage 1 2·(2·16·16·9 + 64); stage 2 (16·32·9 + 32·32·9 + 128 + 16·32 + 64) +
		// (2·32·32·9 + 128); stage 3 likewise at 32→64; stage 4 (64·256·9 + 256·256·9 + 1024 +
		// 64·256 + 512) + (2·256·256·9 + 1024) = 1,935,872 of the 2,110,192.
		{"resnet18 cifar width 16, last stage 256, grey", Config{Arch: ResNet18, Stem: StemCIFAR, InChannels: 1, Width: 16, LastStageWidth: 256}, 2_110_192},
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
			if tc.cfg.LastStageWidth > 0 && net.OutDim != tc.cfg.LastStageWidth {
				t.Errorf("feature dimension %d, want the last stage's %d", net.OutDim, tc.cfg.LastStageWidth)
			}
		})
	}
	if got := Projector(512, 512, 64).NumParams(); got != 295_936 {
		t.Errorf("projector 512→512→64: got %d parameters, want %d", got, 295_936)
	}
}
