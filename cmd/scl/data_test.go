package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataPreviewCommand(t *testing.T) {
	dir := t.TempDir()
	src := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	png.Encode(&b, src)
	in := filepath.Join(dir, "in.png")
	os.WriteFile(in, b.Bytes(), 0o644)
	out := filepath.Join(dir, "grid.png")
	app := newApp()
	var stdout bytes.Buffer
	app.Writer = &stdout
	if err := app.Run([]string{"scl", "data", "preview", "--image", in, "-s", "32", "--rows", "2", "--zoom", "2", "-o", out}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// 7 cells (source, 2 global, 4 local) of 32·2 + 4 px, plus the outer gap; 2 rows.
	if cfg.Width != 7*68+4 || cfg.Height != 2*68+4 {
		t.Errorf("grid size got %dx%d, want %dx%d", cfg.Width, cfg.Height, 7*68+4, 2*68+4)
	}
	// The view counts, in scl train's spelling or the reference's: 1 global + 2 local views.
	for _, spelling := range [][]string{{"--num-global-views", "--num-local-views"}, {"--num_global_views", "--num_local_views"}} {
		o := filepath.Join(dir, "views.png")
		if err := newApp().Run([]string{"scl", "data", "preview", "--image", in, "-s", "32", "--rows", "1", "--zoom", "2", spelling[0], "1", spelling[1], "2", "-o", o}); err != nil {
			t.Fatalf("%v: %v", spelling, err)
		}
		g, err := os.ReadFile(o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := png.DecodeConfig(bytes.NewReader(g))
		if err != nil || c.Width != 4*68+4 {
			t.Errorf("%v: grid width %d (%v), want 4 cells: %d", spelling, c.Width, err, 4*68+4)
		}
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("output got %q, want it to name %s", stdout.String(), out)
	}
	// Without a size for an unknown data set the command asks for one.
	err = newApp().Run([]string{"scl", "data", "preview", "--image", in, "--dataset", "mine", "-o", out})
	if err == nil || !strings.Contains(err.Error(), "--image-size") {
		t.Errorf("got %v, want an error asking for --image-size", err)
	}
}
