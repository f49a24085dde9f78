// Package pth reads the tensors of PyTorch's torch.save files (.pth, .pt, .bin), in pure Go and
// without running any Python.
//
// Two container formats exist and both are read:
//
//   - the zip format (the default since PyTorch 1.6): an uncompressed zip archive holding
//     <name>/data.pkl, a pickle of the saved object in which every tensor storage is a persistent
//     id ('storage', <Type>Storage, key, location, numel), and the storages' raw little-endian
//     bytes as <name>/data/<key>;
//   - the legacy format (_use_new_zipfile_serialization=False, and every file written before
//     1.6): five pickles back to back (magic number 0x1950a86a20f9469cfc6c, protocol version
//     1001, system info, the object, the list of storage keys), then each storage as an 8-byte
//     element count followed by its bytes, in the order of that list.
//
// Tensors are rebuilt from torch._utils._rebuild_tensor_v2 (and _rebuild_tensor,
// _rebuild_parameter) calls: storage, offset, sizes and strides, gathered into a dense
// row-major [safetensors.Tensor] of dtype F64, F32, F16, BF16, I64, I32, I8, U8 or BOOL.
// [Load] returns the flat name → tensor map of a state dict, descending into nested dicts
// ("state_dict", "model", …) with dotted names; [Decode] returns the whole decoded object for
// other layouts.
//
// # Bad input
//
// Nothing is allocated from a size the file states before it is checked against the bytes that
// are present: storages must exist and be long enough for every view on them, tensors may not
// address outside their storage, and a tensor never holds more elements than its storage. A file
// that is neither format, a truncated archive or pickle, and pickles of other objects (a whole
// nn.Module saved with torch.save(model)) are errors that say what was found and what was
// expected.
package pth
