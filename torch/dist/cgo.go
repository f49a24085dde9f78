//go:build !notorch

package dist

/*
#cgo CXXFLAGS: -std=c++17 -O2 -Wno-deprecated-declarations
#include <stdlib.h>
#include "shim.h"
*/
import "C"
