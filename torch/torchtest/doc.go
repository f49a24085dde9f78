// Package torchtest holds test helpers for packages built on the torch binding. Built with
// -tags notorch it is empty: the helpers need libtorch (install libtorch-dev with
// scripts/setup.sh and build without the notorch tag).
package torchtest
