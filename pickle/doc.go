// Package pickle decodes Python pickles (protocols 0 to 5) into plain Go values, without running
// any Python code. It implements the subset of the pickle virtual machine that data files use:
// PyTorch's state dicts (torch.save), the CIFAR data sets' Python batches and NumPy arrays.
//
// # Values
//
// Decoded values are: nil (None), bool, int64, *big.Int (integers beyond int64), float64,
// string (str), []byte (bytes, bytearray, and Python 2 str, as with encoding="bytes"), *Tuple,
// *List, *Dict (insertion-ordered; keys compared by value), *Set, Global (a module-level name
// such as collections.OrderedDict), and *Object (the result of calling a Global, REDUCE/NEWOBJ,
// with its arguments and the state given by BUILD). Nothing is ever called: what a Global means
// is left to the caller, who may turn calls into values through [Decoder].Reduce.
// collections.OrderedDict() becomes a *Dict directly.
//
// Persistent ids (PERSID, BINPERSID: how torch.save refers to tensor storages) are handed to
// [Decoder].PersistentLoad; without one they are an error.
//
// # Bad input
//
// Every length read from the stream is checked against the bytes remaining before anything is
// allocated, so a truncated or hostile pickle costs at most memory proportional to its size.
// Unknown opcodes, stack underflow, missing marks and memo misses are errors naming the opcode and
// its offset. Values may share structure (memo references); they never contain cycles except
// through BUILD of an object into itself, which is rejected.
//
// A Decoder is not safe for concurrent use; decoded values are plain data.
package pickle
