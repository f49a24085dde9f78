package pickle

import (
	"fmt"
	"math/big"
)

// Tuple is a Python tuple.
type Tuple []any

// List is a Python list.
type List []any

// Set is a Python set or frozenset, in insertion order.
type Set []any

// Global is a module-level name referenced by GLOBAL or STACK_GLOBAL, e.g. {"torch._utils",
// "_rebuild_tensor_v2"}.
type Global struct {
	Module, Name string
}

// String is "module.name".
func (g Global) String() string { return g.Module + "." + g.Name }

// Object is a call of Callable (usually a Global) with Args, recorded instead of executed, plus
// the state a later BUILD gave it (nil when none).
type Object struct {
	Callable any
	Args     Tuple
	// Kwargs holds NEWOBJ_EX's keyword arguments (nil otherwise).
	Kwargs *Dict
	State  any
}

// Dict is an insertion-ordered Python dict (or OrderedDict). Keys are compared by value for
// strings, byte strings, integers, booleans and None; other keys are kept but never match a
// lookup.
type Dict struct {
	Keys, Values []any
	// State is what a BUILD opcode gave the dict (OrderedDict instances carry their __dict__,
	// such as a state dict's _metadata); nil when none.
	State any
	index map[any]int
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{index: map[any]int{}} }

// hashKey maps a key to a comparable Go value, or false when the key is not hashable here.
func hashKey(k any) (any, bool) {
	switch v := k.(type) {
	case nil:
		return struct{}{}, true
	case string:
		return "s" + v, true
	case []byte:
		// bytes and str keys are distinct in Python 3; keep them distinct here too.
		return "b" + string(v), true
	case int64, bool, float64:
		return v, true
	case *big.Int:
		return "i" + v.String(), true
	case Global:
		return v, true
	}
	return nil, false
}

// Set stores value under key, replacing an existing entry in place.
func (d *Dict) Set(key, value any) {
	if d.index == nil {
		d.index = map[any]int{}
	}
	if h, ok := hashKey(key); ok {
		if i, ok := d.index[h]; ok {
			d.Values[i] = value
			return
		}
		d.index[h] = len(d.Keys)
	}
	d.Keys = append(d.Keys, key)
	d.Values = append(d.Values, value)
}

// Get returns the value under key.
func (d *Dict) Get(key any) (any, bool) {
	h, ok := hashKey(key)
	if !ok || d.index == nil {
		return nil, false
	}
	i, ok := d.index[h]
	if !ok {
		return nil, false
	}
	return d.Values[i], true
}

// GetString returns the value under the str key k, or under the bytes key k (Python 2 pickles
// read with encoding="bytes").
func (d *Dict) GetString(k string) (any, bool) {
	if v, ok := d.Get(k); ok {
		return v, true
	}
	return d.Get([]byte(k))
}

// Len is the number of entries.
func (d *Dict) Len() int { return len(d.Keys) }

// TypeName names a decoded value's Python type, for error messages.
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *Tuple, Tuple:
		return "tuple"
	case *List, List:
		return "list"
	case *Dict:
		return "dict"
	case *Set:
		return "set"
	case Global:
		return "global " + x.String()
	case *Object:
		if g, ok := x.Callable.(Global); ok {
			return g.String() + " object"
		}
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// Int returns v as an int64 when it is a Python int (or bool) that fits.
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	}
	return 0, false
}

// Str returns v as a Go string when it is a str or bytes value.
func Str(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// Items returns the elements of a tuple or list value.
func Items(v any) ([]any, bool) {
	switch x := v.(type) {
	case *Tuple:
		return *x, true
	case *List:
		return *x, true
	case Tuple:
		return x, true
	case List:
		return x, true
	}
	return nil, false
}
