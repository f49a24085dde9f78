package loader_test

import (
	"context"
	"fmt"
	"io"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/data/loader"
	"github.com/scl-dev/scl/preprocess"
)

// A training epoch over Fashion-MNIST with SPEC §6's multi-crop views, resumed at batch 10.
func Example() {
	ds, err := data.Open(data.Source{Name: "fashion_mnist", Split: "train"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ds.Close()
	views, err := augment.NewMultiCrop(ds.Info().ImageSize, 2, 4, 3) // 2 global + 4 local, RGB
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := loader.New(loader.Config{Dataset: ds, Transform: views, BatchSize: 256, Shuffle: true, DropLast: true, Seed: 1, Rank: 0, WorldSize: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	it := l.Epoch(context.Background(), 3, 10)
	defer it.Close()
	for {
		b, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		// b.Views[v] is a [b.N, C, H, W] float32 tensor body with [C, H, W] = b.Shapes[v].
		_ = b.Views[0]
		b.Release()
	}
}

// Feature extraction: the inference transform over one shard of a data set, in order.
func Example_extraction() {
	ds, err := data.Open(data.Source{Name: "fashion_mnist", Split: "test"})
	if err != nil {
		fmt.Println(err)
		return
	}
	shard, _ := data.Shard(ds, 1, 4) // the second of four contiguous shards
	tf := preprocess.Default(28, 1, "fashion_mnist")
	l, err := loader.New(loader.Config{Dataset: shard, Transform: tf, BatchSize: 500})
	if err != nil {
		fmt.Println(err)
		return
	}
	it := l.Epoch(context.Background(), 0, 0)
	defer it.Close()
	n := 0
	for {
		b, err := it.Next()
		if err != nil {
			break
		}
		n += b.N
		b.Release()
	}
	fmt.Println(n, "images")
}
