// Package npy reads and writes NumPy .npy files: the feature and label files
// exchanged between `scl embed`, `scl probe`, the trainer and any Python
// notebook.
//
// Format (NumPy Enhancement Proposal 1, "A simple file format for NumPy
// arrays"): the magic string "\x93NUMPY", a major and minor version byte, a
// little-endian header length (uint16 for version 1.0, uint32 for 2.0 and 3.0),
// an ASCII Python dict literal
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
//
// padded with spaces and a final '\n' so that the data starts at a multiple of
// 64 bytes, then the raw array data.
//
// Writing always produces version 1.0, C order, little endian. Files are
// written atomically: the data goes to a temporary file in the destination
// directory, which is fsynced, closed and renamed over the destination, and the
// directory is fsynced; a crash leaves either the old file or the new one,
// never a partial file under the final name.
//
// Reading accepts versions 1.0, 2.0 and 3.0, little- or big-endian data, C
// order (Fortran order only for arrays of at most one dimension, where it is
// the same layout). It validates the magic, the header, the dtype, the shape
// and the file length, and every error names the file.
//
// Supported dtypes: float32 ('<f4'), float64 ('<f8'), int64 ('<i8') and
// int32 ('<i4') for reading through [Read]; the typed helpers [ReadFloat32] and
// [ReadInt64] insist on exactly their dtype, so that a mistaken file is an
// error rather than a silent conversion.
//
// Concurrency: functions are safe for concurrent use on different files. A
// [Writer] is not safe for concurrent use.
package npy
