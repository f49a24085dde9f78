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

// A training epoch over Fashion-MNIST with SPEC §6's multi-crop views, resumed at batch 10
// (the example stops after two batches).
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
	fmt.Println(l.Len(), "batches per epoch")
	it := l.Epoch(context.Background(), 3, 10)
	defer it.Close()
	for k := 0; k < 2; k++ {
		b, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		// b.Views[v] is a [b.N, C, H, W] float32 tensor body with [C, H, W] = b.Shapes[v].
		fmt.Println(b.N, "images;", len(b.Views), "views:", b.Shapes[0], b.Shapes[2], len(b.Views[2]) == b.N*b.Shapes[2].Len())
		b.Release()
	}
	// Output:
	// 234 batches per epoch
	// 256 images; 6 views: {3 28 28} {3 12 12} true
	// 256 images; 6 views: {3 28 28} {3 12 12} true
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
	// Output:
	// 2500 images
}
