package probe

import (
	"bytes"
	"image/png"
	"testing"
)

func TestConfusionPNGClassNames(t *testing.T) {
	m, err := Evaluate([]float64{0.9, 0.1, 0.2, 0.8, 0.6, 0.4}, []int64{0, 1}, []int64{0, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	width := func() int {
		t.Helper()
		b, err := ConfusionPNG(m, "t")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Width
	}
	plain := width()
	m.Names = []string{"T-shirt/top", "Trouser"}
	named := width()
	// Row labels become "0 T-shirt/top": 14 characters of 7 px instead of 1.
	if named-plain != 7*(len("0 T-shirt/top")-1) {
		t.Fatalf("width with class names %d, without %d: want %d more pixels", named, plain, 7*(len("0 T-shirt/top")-1))
	}
}
