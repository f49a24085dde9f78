package pickle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrTruncated is wrapped by errors for pickles that end before their STOP opcode or in the
// middle of an argument.
var ErrTruncated = errors.New("pickle: truncated")

// Limits of the decoder; they bound memory by the input's size and keep hostile input finite.
const (
	// MaxDepth bounds the mark stack (nested tuples, lists and dicts under construction).
	MaxDepth = 10000
	// maxLine bounds a text opcode's argument (protocol 0 integers, floats, names).
	maxLine = 1 << 16
)

// Decoder runs the pickle virtual machine over one pickle in a byte slice. Set its hooks, then
// call Decode; several pickles stored back to back (torch's legacy format) are read by calling
// Decode again, which continues at Offset.
type Decoder struct {
	// PersistentLoad resolves a persistent id (the PERSID argument as a string, or the
	// BINPERSID object) to a value. Nil makes persistent ids an error.
	PersistentLoad func(pid any) (any, error)
	// Reduce, when set, is asked first to turn a call of a Global into a value; ok false keeps
	// the default (an *Object, or a *Dict for collections.OrderedDict).
	Reduce func(fn Global, args Tuple) (v any, ok bool, err error)

	buf []byte
	// Offset is the position of the next opcode in the input.
	Offset int

	stack []any
	marks []int
	memo  map[int64]any
}

// NewDecoder returns a decoder reading b from its start.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Unmarshal decodes the single pickle at the start of b.
func Unmarshal(b []byte) (any, error) { return NewDecoder(b).Decode() }

// opError formats an error at an opcode.
func (d *Decoder) opError(op byte, pos int, format string, args ...any) error {
	return fmt.Errorf("pickle: opcode %s at offset %d: %s", opName(op), pos, fmt.Sprintf(format, args...))
}

func (d *Decoder) need(op byte, pos, n int) ([]byte, error) {
	if n < 0 || n > len(d.buf)-d.Offset {
		return nil, fmt.Errorf("%w: opcode %s at offset %d needs %d bytes, %d left", ErrTruncated, opName(op), pos, n, len(d.buf)-d.Offset)
	}
	b := d.buf[d.Offset : d.Offset+n]
	d.Offset += n
	return b, nil
}

func (d *Decoder) line(op byte, pos int) (string, error) {
	rest := d.buf[d.Offset:]
	i := bytes.IndexByte(rest[:min(len(rest), maxLine)], '\n')
	if i < 0 {
		if len(rest) < maxLine {
			return "", fmt.Errorf("%w: opcode %s at offset %d: no end of line", ErrTruncated, opName(op), pos)
		}
		return "", d.opError(op, pos, "argument longer than %d bytes", maxLine)
	}
	d.Offset += i + 1
	return string(rest[:i]), nil
}

func (d *Decoder) push(v any) { d.stack = append(d.stack, v) }

func (d *Decoder) base() int {
	if len(d.marks) > 0 {
		return d.marks[len(d.marks)-1]
	}
	return 0
}

func (d *Decoder) pop(op byte, pos int) (any, error) {
	if len(d.stack) <= d.base() {
		return nil, d.opError(op, pos, "stack underflow")
	}
	v := d.stack[len(d.stack)-1]
	d.stack = d.stack[:len(d.stack)-1]
	return v, nil
}

func (d *Decoder) top(op byte, pos int) (any, error) {
	if len(d.stack) <= d.base() {
		return nil, d.opError(op, pos, "stack underflow")
	}
	return d.stack[len(d.stack)-1], nil
}

// popMark removes and returns the items above the last mark.
func (d *Decoder) popMark(op byte, pos int) ([]any, error) {
	if len(d.marks) == 0 {
		return nil, d.opError(op, pos, "no MARK on the stack")
	}
	m := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := append([]any(nil), d.stack[m:]...)
	d.stack = d.stack[:m]
	return items, nil
}

// Decode runs the machine until STOP and returns the value on top of the stack.
func (d *Decoder) Decode() (any, error) {
	d.stack, d.marks, d.memo = d.stack[:0], d.marks[:0], map[int64]any{}
	for {
		pos := d.Offset
		if pos >= len(d.buf) {
			return nil, fmt.Errorf("%w: no STOP opcode after offset %d", ErrTruncated, pos)
		}
		op := d.buf[pos]
		d.Offset++
		done, err := d.step(op, pos)
		if err != nil {
			return nil, err
		}
		if done {
			if len(d.marks) != 0 || len(d.stack) != 1 {
				return nil, d.opError(op, pos, "%d values and %d marks left on the stack, want 1 value", len(d.stack), len(d.marks))
			}
			return d.stack[0], nil
		}
	}
}

func (d *Decoder) uint(op byte, pos, n int) (uint64, error) {
	b, err := d.need(op, pos, n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// sized reads a length-prefixed argument with an n-byte little-endian length.
func (d *Decoder) sized(op byte, pos, n int) ([]byte, error) {
	l, err := d.uint(op, pos, n)
	if err != nil {
		return nil, err
	}
	if l > uint64(len(d.buf)-d.Offset) {
		return nil, fmt.Errorf("%w: opcode %s at offset %d: length %d, %d bytes left", ErrTruncated, opName(op), pos, l, len(d.buf)-d.Offset)
	}
	return d.need(op, pos, int(l))
}

func (d *Decoder) step(op byte, pos int) (stop bool, err error) {
	switch op {
	case opProto:
		v, err := d.uint(op, pos, 1)
		if err != nil {
			return false, err
		}
		if v > 5 {
			return false, d.opError(op, pos, "protocol %d, want 0..5", v)
		}
	case opFrame:
		if _, err := d.uint(op, pos, 8); err != nil {
			return false, err
		}
	case opStop:
		return true, nil
	case opMark:
		if len(d.marks) >= MaxDepth {
			return false, d.opError(op, pos, "more than %d nested marks", MaxDepth)
		}
		d.marks = append(d.marks, len(d.stack))
	case opPop:
		if len(d.stack) > d.base() {
			_, err = d.pop(op, pos)
			return false, err
		}
		// POP with nothing above the mark discards the mark (as CPython does).
		_, err = d.popMark(op, pos)
		return false, err
	case opPopMark:
		_, err = d.popMark(op, pos)
		return false, err
	case opDup:
		v, err := d.top(op, pos)
		if err != nil {
			return false, err
		}
		d.push(v)
	case opNone:
		d.push(nil)
	case opNewTrue:
		d.push(true)
	case opNewFalse:
		d.push(false)
	case opInt:
		s, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		switch s {
		case "00":
			d.push(false)
		case "01":
			d.push(true)
		default:
			v, err := parseInt(s)
			if err != nil {
				return false, d.opError(op, pos, "%v", err)
			}
			d.push(v)
		}
	case opBinInt:
		v, err := d.uint(op, pos, 4)
		if err != nil {
			return false, err
		}
		d.push(int64(int32(uint32(v))))
	case opBinInt1:
		v, err := d.uint(op, pos, 1)
		if err != nil {
			return false, err
		}
		d.push(int64(v))
	case opBinInt2:
		v, err := d.uint(op, pos, 2)
		if err != nil {
			return false, err
		}
		d.push(int64(v))
	case opLong:
		s, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		v, err := parseInt(strings.TrimSuffix(s, "L"))
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	case opLong1, opLong4:
		n := 1
		if op == opLong4 {
			n = 4
		}
		b, err := d.sized(op, pos, n)
		if err != nil {
			return false, err
		}
		d.push(decodeLong(b))
	case opFloat:
		s, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	case opBinFloat:
		v, err := d.need(op, pos, 8)
		if err != nil {
			return false, err
		}
		d.push(math.Float64frombits(binary.BigEndian.Uint64(v)))
	case opString:
		s, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		v, err := strconv.Unquote(pyQuoteToGo(s))
		if err != nil {
			return false, d.opError(op, pos, "string %q: %v", s, err)
		}
		d.push([]byte(v))
	case opBinString, opShortBinString, opBinBytes, opShortBinBytes, opBinBytes8, opByteArray8:
		n := map[byte]int{opBinString: 4, opShortBinString: 1, opBinBytes: 4, opShortBinBytes: 1, opBinBytes8: 8, opByteArray8: 8}[op]
		b, err := d.sized(op, pos, n)
		if err != nil {
			return false, err
		}
		// Share the input: decoded values are read-only by contract.
		d.push(b[:len(b):len(b)])
	case opUnicode:
		s, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		d.push(rawUnicodeEscape(s))
	case opBinUnicode, opShortBinUnicode, opBinUnicode8:
		n := map[byte]int{opBinUnicode: 4, opShortBinUnicode: 1, opBinUnicode8: 8}[op]
		b, err := d.sized(op, pos, n)
		if err != nil {
			return false, err
		}
		if !utf8.Valid(b) {
			return false, d.opError(op, pos, "invalid UTF-8")
		}
		d.push(string(b))
	case opEmptyTuple:
		d.push(Tuple{})
	case opTuple:
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		d.push(Tuple(items))
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(d.stack)-d.base() < n {
			return false, d.opError(op, pos, "stack underflow")
		}
		t := append(Tuple(nil), d.stack[len(d.stack)-n:]...)
		d.stack = d.stack[:len(d.stack)-n]
		d.push(t)
	case opEmptyList:
		d.push(&List{})
	case opList:
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		l := List(items)
		d.push(&l)
	case opAppend, opAppends:
		var items []any
		if op == opAppend {
			v, err := d.pop(op, pos)
			if err != nil {
				return false, err
			}
			items = []any{v}
		} else if items, err = d.popMark(op, pos); err != nil {
			return false, err
		}
		t, err := d.top(op, pos)
		if err != nil {
			return false, err
		}
		switch l := t.(type) {
		case *List:
			*l = append(*l, items...)
		case *Object:
			// A list subclass built by NEWOBJ: keep the items as its state.
			st, _ := l.State.(*List)
			if st == nil {
				st = &List{}
				l.State = st
			}
			*st = append(*st, items...)
		default:
			return false, d.opError(op, pos, "append to a %s, want a list", TypeName(t))
		}
	case opEmptyDict:
		d.push(NewDict())
	case opDict:
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		if len(items)%2 != 0 {
			return false, d.opError(op, pos, "odd number of items (%d)", len(items))
		}
		m := NewDict()
		for i := 0; i < len(items); i += 2 {
			m.Set(items[i], items[i+1])
		}
		d.push(m)
	case opSetItem, opSetItems:
		var items []any
		if op == opSetItem {
			if len(d.stack)-d.base() < 2 {
				return false, d.opError(op, pos, "stack underflow")
			}
			items = append(items, d.stack[len(d.stack)-2:]...)
			d.stack = d.stack[:len(d.stack)-2]
		} else if items, err = d.popMark(op, pos); err != nil {
			return false, err
		}
		if len(items)%2 != 0 {
			return false, d.opError(op, pos, "odd number of items (%d)", len(items))
		}
		t, err := d.top(op, pos)
		if err != nil {
			return false, err
		}
		m, ok := t.(*Dict)
		if !ok {
			return false, d.opError(op, pos, "set item of a %s, want a dict", TypeName(t))
		}
		for i := 0; i < len(items); i += 2 {
			m.Set(items[i], items[i+1])
		}
	case opEmptySet:
		d.push(&Set{})
	case opAddItems:
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		t, err := d.top(op, pos)
		if err != nil {
			return false, err
		}
		s, ok := t.(*Set)
		if !ok {
			return false, d.opError(op, pos, "add items to a %s, want a set", TypeName(t))
		}
		*s = append(*s, items...)
	case opFrozenSet:
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		s := Set(items)
		d.push(&s)
	case opGlobal:
		mod, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		name, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		d.push(Global{Module: mod, Name: name})
	case opStackGlobal:
		name, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		mod, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return false, d.opError(op, pos, "module and name are %s and %s, want str", TypeName(mod), TypeName(name))
		}
		d.push(Global{Module: ms, Name: ns})
	case opReduce, opNewObj:
		args, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		fn, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		t, ok := args.(Tuple)
		if !ok {
			return false, d.opError(op, pos, "arguments are a %s, want a tuple", TypeName(args))
		}
		v, err := d.call(fn, t, nil)
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	case opNewObjEx:
		kw, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		args, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		fn, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		t, ok1 := args.(Tuple)
		k, ok2 := kw.(*Dict)
		if !ok1 || !ok2 {
			return false, d.opError(op, pos, "arguments are a %s and a %s, want a tuple and a dict", TypeName(args), TypeName(kw))
		}
		v, err := d.call(fn, t, k)
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	case opInst:
		mod, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		name, err := d.line(op, pos)
		if err != nil {
			return false, err
		}
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		v, err := d.call(Global{Module: mod, Name: name}, Tuple(items), nil)
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	case opObj:
		items, err := d.popMark(op, pos)
		if err != nil {
			return false, err
		}
		if len(items) == 0 {
			return false, d.opError(op, pos, "no class")
		}
		v, err := d.call(items[0], Tuple(items[1:]), nil)
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	case opBuild:
		state, err := d.pop(op, pos)
		if err != nil {
			return false, err
		}
		t, err := d.top(op, pos)
		if err != nil {
			return false, err
		}
		switch o := t.(type) {
		case *Object:
			if s, ok := state.(*Object); ok && s == o {
				return false, d.opError(op, pos, "object built from itself")
			}
			o.State = state
		case *Dict:
			if s, ok := state.(*Dict); ok && s == o {
				return false, d.opError(op, pos, "dict built from itself")
			}
			o.State = state
		default:
			return false, d.opError(op, pos, "build a %s, want an object", TypeName(t))
		}
	case opPut, opBinPut, opLongBinPut:
		i, err := d.memoIndex(op, pos)
		if err != nil {
			return false, err
		}
		return false, d.put(op, pos, i)
	case opMemoize:
		return false, d.put(op, pos, int64(len(d.memo)))
	case opGet, opBinGet, opLongBinGet:
		i, err := d.memoIndex(op, pos)
		if err != nil {
			return false, err
		}
		return false, d.get(op, pos, i)
	case opPersID, opBinPersID:
		var pid any
		if op == opPersID {
			s, err := d.line(op, pos)
			if err != nil {
				return false, err
			}
			pid = s
		} else if pid, err = d.pop(op, pos); err != nil {
			return false, err
		}
		if d.PersistentLoad == nil {
			return false, d.opError(op, pos, "persistent id %s without a loader (not a plain data pickle)", TypeName(pid))
		}
		v, err := d.PersistentLoad(pid)
		if err != nil {
			return false, d.opError(op, pos, "%v", err)
		}
		d.push(v)
	default:
		return false, d.opError(op, pos, "unsupported or unknown opcode (not a pickle, or one holding code, extensions or out-of-band buffers)")
	}
	return false, nil
}

// memoIndex reads the memo index argument of PUT/GET (a decimal line), BINPUT/BINGET (1 byte)
// or LONG_BINPUT/LONG_BINGET (4 bytes, little-endian).
func (d *Decoder) memoIndex(op byte, pos int) (int64, error) {
	switch op {
	case opPut, opGet:
		s, err := d.line(op, pos)
		if err != nil {
			return 0, err
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, d.opError(op, pos, "memo index %q", s)
		}
		return i, nil
	case opLongBinPut, opLongBinGet:
		i, err := d.uint(op, pos, 4)
		return int64(i), err
	default:
		i, err := d.uint(op, pos, 1)
		return int64(i), err
	}
}

func (d *Decoder) put(op byte, pos int, i int64) error {
	v, err := d.top(op, pos)
	if err != nil {
		return err
	}
	d.memo[i] = v
	return nil
}

func (d *Decoder) get(op byte, pos int, i int64) error {
	v, ok := d.memo[i]
	if !ok {
		return d.opError(op, pos, "memo index %d not set", i)
	}
	d.push(v)
	return nil
}

// call records (or, through Reduce, evaluates) a call of fn with args.
func (d *Decoder) call(fn any, args Tuple, kw *Dict) (any, error) {
	if g, ok := fn.(Global); ok {
		if d.Reduce != nil && kw == nil {
			v, ok, err := d.Reduce(g, args)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", g, err)
			}
			if ok {
				return v, nil
			}
		}
		if b, ok := latin1Bytes(g, args); ok {
			return b, nil
		}
		if g == (Global{"collections", "OrderedDict"}) || g == (Global{"builtins", "dict"}) || g == (Global{"__builtin__", "dict"}) {
			if len(args) != 0 {
				return nil, fmt.Errorf("%s with %d arguments, want none", g, len(args))
			}
			return NewDict(), nil
		}
	}
	return &Object{Callable: fn, Args: args, Kwargs: kw}, nil
}

func parseInt(s string) (any, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("integer %q", s)
	}
	return v, nil
}

// decodeLong decodes a little-endian two's complement integer (LONG1, LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

// pyQuoteToGo turns a Python 2 repr string ('...' or "...") into a Go double-quoted literal.
func pyQuoteToGo(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		body := s[1 : len(s)-1]
		body = strings.ReplaceAll(body, `\'`, `'`)
		body = strings.ReplaceAll(body, `"`, `\"`)
		return `"` + body + `"`
	}
	return s
}

// rawUnicodeEscape decodes Python's raw-unicode-escape (protocol 0 UNICODE): \uXXXX and
// \UXXXXXXXX escapes, every other byte a Latin-1 code point.
func rawUnicodeEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(s) {
				if r, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// latin1Bytes evaluates how protocols 0–2 spell bytes in Python 3: _codecs.encode(s, "latin1")
// (and bytes() for b"").
func latin1Bytes(g Global, args Tuple) ([]byte, bool) {
	if (g == Global{"builtins", "bytes"} || g == Global{"__builtin__", "bytes"}) && len(args) == 0 {
		return []byte{}, true
	}
	if g != (Global{"_codecs", "encode"}) || len(args) != 2 {
		return nil, false
	}
	s, ok1 := args[0].(string)
	enc, ok2 := args[1].(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
		return nil, false
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}
