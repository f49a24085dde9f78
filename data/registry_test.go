package data

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	for _, tt := range []struct {
		name, canonical string
		size            int
		split           string
		classes         int
	}{
		{"fashion_mnist", "fashion_mnist", 28, "train", 10},
		{"Fashion-MNIST", "fashion_mnist", 28, "train", 10},
		{"cifar-10", "cifar10", 32, "train", 10},
		{"CIFAR-100", "cifar100", 32, "train", 0},
		{"cifar-100-coarse", "cifar100_coarse", 32, "train", 0},
		{"STL10", "stl10", 96, "unlabeled", 10},
		{"tinyimagenet", "tiny_imagenet", 64, "train", 0},
		{"food-101", "food101", 192, "train", 0},
		{"imagenet", "imagenet1k", 192, "train", 0},
		{"folder", "folder", 0, "train", 0},
	} {
		e, ok := Lookup(tt.name)
		if !ok || e.Name != tt.canonical || len(e.Classes) != tt.classes {
			t.Errorf("Lookup(%q) = %s (%d classes), %v; want %s (%d)", tt.name, e.Name, len(e.Classes), ok, tt.canonical, tt.classes)
		}
		if got := ImageSizeFor(tt.name); got != tt.size {
			t.Errorf("ImageSizeFor(%q) = %d, want %d", tt.name, got, tt.size)
		}
		if got := PretrainSplit(tt.name); got != tt.split {
			t.Errorf("PretrainSplit(%q) = %q, want %q", tt.name, got, tt.split)
		}
	}
	if _, ok := Lookup("my_photos"); ok || ImageSizeFor("my_photos") != 0 || PretrainSplit("my_photos") != "train" {
		t.Error("an unregistered name resolves")
	}
	names := Names()
	for _, n := range []string{"fashion_mnist", "cifar10", "cifar100", "cifar100_coarse", "stl10", "tiny_imagenet", "food101", "imagenet1k", "folder", "files"} {
		if !slices.Contains(names, n) {
			t.Errorf("Names() = %v lacks %s", names, n)
		}
	}
}

func TestRegister(t *testing.T) {
	open := func(Source) (Dataset, error) { return nil, errors.New("test data set") }
	if err := Register(Entry{Name: "cifar-10", Open: open}); err == nil || !strings.Contains(err.Error(), "taken by cifar10") {
		t.Errorf("registering an alias again: %v", err)
	}
	if err := Register(Entry{Name: "nothing"}); err == nil {
		t.Error("registering without Open: no error")
	}
	if err := Register(Entry{Name: "registry_test_set", Aliases: []string{"rts"}, ImageSize: 48, PretrainSplit: "all", Open: open}); err != nil {
		t.Fatal(err)
	}
	if ImageSizeFor("RTS") != 48 || PretrainSplit("rts") != "all" {
		t.Error("registered entry not found by alias")
	}
	if _, err := Open(Source{Name: "registry_test_set"}); err == nil || err.Error() != "test data set" {
		t.Errorf("Open used %v, want the registered opener", err)
	}
	if _, err := Open(Source{}); err == nil || !strings.Contains(err.Error(), "fashion_mnist") {
		t.Errorf("Open without a name: %v", err)
	}
}

func TestShardRange(t *testing.T) {
	for _, total := range []int{0, 1, 7, 10, 1001} {
		for _, n := range []int{1, 2, 3, 8} {
			next := 0
			for i := range n {
				lo, hi := ShardRange(i, n, total)
				if lo != next || hi < lo || hi-lo > total/n+1 || hi-lo < total/n {
					t.Fatalf("ShardRange(%d, %d, %d) = [%d, %d), want it to start at %d with %d or %d items", i, n, total, lo, hi, next, total/n, total/n+1)
				}
				next = hi
			}
			if next != total {
				t.Fatalf("%d shards of %d end at %d", n, total, next)
			}
		}
	}
}
