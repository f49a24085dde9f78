package torch

import "errors"

// Error is a failure reported by libtorch (a C++ exception) or by argument checks in this package.
type Error struct {
	Op  string // operator or function, e.g. "aten::conv2d" or "Float32s"
	Msg string // libtorch's message
}

// Error returns "torch: <op>: <message>".
func (e *Error) Error() string { return "torch: " + e.Op + ": " + e.Msg }

// ErrClosed is returned when a closed tensor or scope is used.
var ErrClosed = errors.New("torch: use of a closed tensor or scope")
