// Command scl is the self-supervised representation learning toolkit: train an encoder with
// ReLIC and a modulated sigmoid contrastive loss, export it to ONNX, extract features, probe
// them and serve embeddings. See README.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "scl:", err)
		os.Exit(1)
	}
}
