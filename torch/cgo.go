//go:build !notorch

package torch

/*
#cgo CXXFLAGS: -std=c++17 -O2 -Wno-deprecated-declarations
#include <stdlib.h>
#include "shim.h"
*/
import "C"
