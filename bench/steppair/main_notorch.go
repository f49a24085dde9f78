//go:build notorch

package main

import (
	"fmt"
	"os"
)

// main stands in for the check in builds without libtorch.
func main() {
	fmt.Fprintln(os.Stderr, "steppair: built with -tags notorch, and the check runs libtorch: install libtorch-dev (scripts/setup.sh) and build without the notorch tag")
	os.Exit(2)
}
