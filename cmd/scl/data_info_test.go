package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataInfoOfficialLayout prints a Tiny ImageNet folder's size, classes and split names.
func TestDataInfoOfficialLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tiny-imagenet-200")
	var img bytes.Buffer
	if err := jpeg.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"wnids.txt":               []byte("n02\nn01\n"),
		"words.txt":               []byte("n01\tgoldfish, Carassius auratus\nn02\tsalamander\n"),
		"train/n01/images/a.JPEG": img.Bytes(),
		"train/n02/images/b.JPEG": img.Bytes(),
		"val/images/v.JPEG":       img.Bytes(),
		"val/val_annotations.txt": []byte("v.JPEG\tn02\t0\t0\t4\t4\n"),
	}
	for name, b := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	if err := app.Run([]string{"scl", "data", "info", "--dataset", "tiny_imagenet", "--split", "val", "--data-dir", filepath.Dir(root)}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"items     1", "splits    train, val", "classes   2: n01 goldfish=0, n02 salamander=1", "view size 64"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
