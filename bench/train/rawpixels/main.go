// Command rawpixels writes Fashion-MNIST's raw pixels (scaled to [0, 1], 784 values per image)
// and labels as features.npy / labels.npy for the train and test splits, the raw-pixel baseline
// of scripts/demo.sh and scripts/quality.sh.
//
//	go run ./bench/train/rawpixels -out DIR     # DIR/train/{features,labels}.npy, DIR/test/…
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/npy"
)

func main() {
	out := flag.String("out", "", "output directory")
	dir := flag.String("data-dir", "", "Fashion-MNIST directory (default: the Debian package's)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "rawpixels: -out is required")
		os.Exit(2)
	}
	for _, split := range []string{"train", "test"} {
		if err := write(*dir, split, filepath.Join(*out, split)); err != nil {
			fmt.Fprintln(os.Stderr, "rawpixels:", err)
			os.Exit(1)
		}
	}
}

func write(dir, split, out string) error {
	d, err := data.OpenFashionMNIST(dir, split)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	n := d.Len()
	var feats []float32
	labels := make([]int64, n)
	dim := 0
	for i := 0; i < n; i++ {
		img, err := d.Image(i)
		if err != nil {
			return err
		}
		dim = len(img.Pix)
		for _, p := range img.Pix {
			feats = append(feats, float32(p)/255)
		}
		labels[i] = int64(d.Label(i))
	}
	if err := npy.WriteFloat32(filepath.Join(out, "features.npy"), feats, n, dim); err != nil {
		return err
	}
	return npy.WriteInt64(filepath.Join(out, "labels.npy"), labels, n)
}
