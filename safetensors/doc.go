// Package safetensors reads and writes the safetensors format used by Hugging Face and PyTorch
// tools: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets"} (plus an optional "__metadata__" string map), then the
// tensors' bytes, contiguous and little-endian.
//
// Files written here are readable by Python's safetensors package (safetensors.numpy.load_file,
// safetensors.torch.load_file): tensors are laid out in sorted name order without gaps and the
// header is padded with spaces to a multiple of 8 bytes. Reading validates everything a
// truncated or corrupted file could break (header length, JSON, dtype, shape against byte
// range, overlaps, trailing bytes) and names the file and the tensor in its errors.
//
// A Tensor owns its bytes; values are not safe for concurrent mutation.
package safetensors
