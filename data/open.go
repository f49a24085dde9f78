package data

import (
	"fmt"
	"strings"
)

// Source names a data set for Open.
type Source struct {
	// Name is a registered data set (Names: fashion_mnist, cifar10, cifar100, stl10,
	// tiny_imagenet, food101, imagenet1k, folder, files, …) or any other name for a labeled
	// image folder.
	Name string
	// Split: train, test, unlabeled (stl10), or any name for folders.
	Split string
	// Dir is the directory holding the files (fashion_mnist defaults to FashionMNISTDir). For
	// folder-type sources (folder, tiny_imagenet, food101, imagenet1k, …) the root is Dir/Split
	// when that directory exists, else Dir.
	Dir string
	// List is a file list (one image path per line) for Name "files".
	List string
	// Check and SkipCorrupt as in FolderConfig.
	Check, SkipCorrupt bool
}

// Open opens a data set by name and split: a registered one (see Lookup, Names), or, for any
// other name, a labeled image folder under Dir (named so in Info).
func Open(s Source) (Dataset, error) {
	name := strings.ToLower(s.Name)
	if name == "" {
		return nil, fmt.Errorf("data: empty data set name, want one of %s or a folder-type name", strings.Join(Names(), ", "))
	}
	if e, ok := Lookup(name); ok {
		return e.Open(s)
	}
	return openLabeledFolder(name)(s)
}
