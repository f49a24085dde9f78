package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testRGBA(w, h, seed int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(seed + x), uint8(2*y + seed), uint8(x * y), uint8(100 + x)})
		}
	}
	return m
}

func TestDecodeImage(t *testing.T) {
	src := testRGBA(5, 4, 3)
	var b bytes.Buffer
	png.Encode(&b, src)
	img, err := DecodeImage(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if img.W != 5 || img.H != 4 || img.C != 3 {
		t.Fatalf("size got %dx%dx%d, want 5x4x3", img.W, img.H, img.C)
	}
	for y := range 4 {
		for x := range 5 {
			c := src.NRGBAAt(x, y)
			p := img.Pix[(y*5+x)*3:]
			if p[0] != c.R || p[1] != c.G || p[2] != c.B {
				t.Fatalf("(%d,%d) got %v, want %v (alpha dropped, not premultiplied)", x, y, p[:3], c)
			}
		}
	}
	// Paletted and grey PNGs.
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 0, 255}})
	pal.SetColorIndex(1, 0, 1)
	b.Reset()
	png.Encode(&b, pal)
	img, err = DecodeImage(b.Bytes())
	if err != nil || img.C != 3 || !bytes.Equal(img.Pix, []byte{10, 20, 30, 200, 100, 0}) {
		t.Errorf("paletted got %v %v, want [10 20 30 200 100 0]", img.Pix, err)
	}
	g := image.NewGray(image.Rect(0, 0, 3, 1))
	copy(g.Pix, []byte{0, 128, 255})
	b.Reset()
	png.Encode(&b, g)
	img, err = DecodeImage(b.Bytes())
	if err != nil || img.C != 1 || !bytes.Equal(img.Pix, []byte{0, 128, 255}) {
		t.Errorf("grey got %v %v, want one channel [0 128 255]", img.Pix, err)
	}
	// A grey JPEG stays grey; a colour one decodes close to its source.
	b.Reset()
	jpeg.Encode(&b, g, &jpeg.Options{Quality: 100})
	img, err = DecodeImage(b.Bytes())
	if err != nil || img.C != 1 {
		t.Errorf("grey jpeg got C=%d %v, want one channel", img.C, err)
	}
	flat := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []byte{200, 40, 90, 255})
	}
	b.Reset()
	jpeg.Encode(&b, flat, &jpeg.Options{Quality: 100})
	img, err = DecodeImage(b.Bytes())
	if err != nil || img.C != 3 {
		t.Fatalf("colour jpeg got C=%d %v, want 3", img.C, err)
	}
	for k, want := range []int{200, 40, 90} {
		// JPEG's chroma quantisation moves a flat colour by a few levels at quality 100.
		if d := int(img.Pix[3*17+k]) - want; d < -3 || d > 3 {
			t.Errorf("colour jpeg channel %d got %d, want %d ± 3", k, img.Pix[3*17+k], want)
		}
	}
	// Errors.
	if _, err := DecodeImage([]byte("GIF89a....")); !errors.Is(err, ErrFormat) {
		t.Errorf("gif got %v, want ErrFormat", err)
	}
	big := image.NewGray(image.Rect(0, 0, 64, 64))
	b.Reset()
	png.Encode(&b, big)
	if _, err := DecodeImageLimit(b.Bytes(), 1000); err == nil || !strings.Contains(err.Error(), "64x64") {
		t.Errorf("over limit got %v, want an error naming 64x64", err)
	}
}

func TestToChannels(t *testing.T) {
	rgb := Image{W: 2, H: 1, C: 3, Pix: []byte{255, 0, 0, 10, 20, 30}}
	g, err := rgb.ToChannels(1)
	// 0.299·255 = 76.2 → 76; 0.299·10 + 0.587·20 + 0.114·30 = 18.15 → 18
	if err != nil || !bytes.Equal(g.Pix, []byte{76, 18}) {
		t.Errorf("grey got %v %v, want [76 18]", g.Pix, err)
	}
	back, _ := g.ToChannels(3)
	if !bytes.Equal(back.Pix, []byte{76, 76, 76, 18, 18, 18}) {
		t.Errorf("replicated got %v, want [76 76 76 18 18 18]", back.Pix)
	}
	if _, err := rgb.ToChannels(2); err == nil {
		t.Errorf("2 channels got nil error, want one")
	}
}

func TestFolder(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "zebra", "b.png"), testRGBA(4, 3, 1))
	writePNG(t, filepath.Join(root, "zebra", "a.PNG"), testRGBA(5, 3, 2))
	writePNG(t, filepath.Join(root, "ant", "sub", "c.png"), testRGBA(6, 2, 3))
	os.WriteFile(filepath.Join(root, "ant", "notes.txt"), []byte("x"), 0o644)

	ds, err := OpenFolder(FolderConfig{Root: root, Labeled: true, Name: "tiny_imagenet"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ds.Info().Classes, ","); got != "ant,zebra" {
		t.Errorf("classes got %s, want ant,zebra", got)
	}
	wantIDs := []string{"ant/sub/c.png", "zebra/a.PNG", "zebra/b.png"}
	wantLabels := []int{0, 1, 1}
	wantW := []int{6, 5, 4}
	if ds.Len() != 3 {
		t.Fatalf("len got %d, want 3", ds.Len())
	}
	for i := range 3 {
		if got := ds.ID(i); got != wantIDs[i] {
			t.Errorf("id %d got %s, want %s", i, got, wantIDs[i])
		}
		if got := ds.Label(i); got != wantLabels[i] {
			t.Errorf("label %d got %d, want %d", i, got, wantLabels[i])
		}
		img, err := ds.Image(i)
		if err != nil || img.W != wantW[i] {
			t.Errorf("image %d got width %d (%v), want %d", i, img.W, err, wantW[i])
		}
	}
	if ds.Info().ImageSize != 64 {
		t.Errorf("tiny_imagenet image size got %d, want 64", ds.Info().ImageSize)
	}

	// A corrupt file fails with its name at read time, fails Check at open, or is skipped.
	os.WriteFile(filepath.Join(root, "zebra", "broken.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	ds, err = OpenFolder(FolderConfig{Root: root, Labeled: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ds.Image(2) // zebra/a.PNG, zebra/b.png, zebra/broken.png sorted: broken is index 3
	if err != nil {
		t.Errorf("image 2 got %v, want nil", err)
	}
	_, err = ds.Image(3)
	if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "broken.png") || !strings.Contains(err.Error(), "item 3") {
		t.Errorf("corrupt got %v, want ErrFormat naming broken.png and item 3", err)
	}
	if _, err = OpenFolder(FolderConfig{Root: root, Labeled: true, Check: true}); err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Errorf("check got %v, want an error naming broken.png", err)
	}
	ds, err = OpenFolder(FolderConfig{Root: root, Labeled: true, SkipCorrupt: true})
	if err != nil || ds.Len() != 3 || ds.Skipped() != 1 {
		t.Errorf("skip got len %d skipped %d (%v), want 3 and 1", ds.Len(), ds.Skipped(), err)
	}

	// Unlabeled folder and file list.
	un, err := OpenFolder(FolderConfig{Root: filepath.Join(root, "zebra")})
	if err != nil || un.Len() != 3 || un.Label(0) != -1 {
		t.Errorf("unlabeled got len %d label %d (%v), want 3 and -1", un.Len(), un.Label(0), err)
	}
	list := filepath.Join(root, "list.txt")
	os.WriteFile(list, []byte("# images\nzebra/b.png\n\nant/sub/c.png\n"), 0o644)
	fl, err := Open(Source{Name: "files", List: list})
	if err != nil || fl.Len() != 2 || fl.ID(0) != "zebra/b.png" || fl.ID(1) != "ant/sub/c.png" {
		t.Fatalf("list got %v, want zebra/b.png then ant/sub/c.png", err)
	}

	// Class directories and roots reached through symbolic links.
	linked := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "zebra"), filepath.Join(linked, "zebra")); err != nil {
		t.Fatal(err)
	}
	ln, err := OpenFolder(FolderConfig{Root: linked, Labeled: true})
	if err != nil || ln.Len() != 3 || ln.ID(0) != "zebra/a.PNG" {
		t.Errorf("symlinked class got %v, want 3 items starting with zebra/a.PNG", err)
	} else if _, err := ln.Image(0); err != nil {
		t.Errorf("symlinked class image: %v", err)
	}

	// Empty inputs.
	empty := t.TempDir()
	if _, err := OpenFolder(FolderConfig{Root: empty}); err == nil || !strings.Contains(err.Error(), "no JPEG or PNG") {
		t.Errorf("empty folder got %v, want 'no JPEG or PNG'", err)
	}
	os.Mkdir(filepath.Join(empty, "cls"), 0o755)
	if _, err := OpenFolder(FolderConfig{Root: empty, Labeled: true}); err == nil || !strings.Contains(err.Error(), `class "cls"`) {
		t.Errorf("empty class got %v, want an error naming class cls", err)
	}
	if _, err := OpenFolder(FolderConfig{Root: filepath.Join(empty, "missing")}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing root got %v, want an error naming it", err)
	}
}

func TestShard(t *testing.T) {
	ds := &memory{info: Info{Name: "m", Split: "s", Width: 1, Height: 1, Channels: 1}, pix: make([]byte, 10), labels: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, n: 10}
	for _, n := range []int{1, 3, 4, 10, 11} {
		var got []int
		for i := range n {
			s, err := Shard(ds, i, n)
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() < 10/n || s.Len() > 10/n+1 {
				t.Errorf("n=%d shard %d len got %d, want %d or %d", n, i, s.Len(), 10/n, 10/n+1)
			}
			got = append(got, Labels(s)...)
		}
		for k, l := range got {
			if l != k || len(got) != 10 {
				t.Fatalf("n=%d concatenated shards got %v, want 0..9", n, got)
			}
		}
	}
	if _, err := Shard(ds, 3, 3); err == nil {
		t.Errorf("shard 3/3 got nil error, want one")
	}
}
