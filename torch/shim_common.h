// shim_common.h — C++ internals shared by the libtorch shims: torch/shim.cpp and
// torch/dist/shim.cpp (which includes it as "../shim_common.h"). Not part of the C ABI.
//
// It holds the one definition of the tensor handle type, so both shims agree on what a
// scl_tensor points to, and the exception-to-message plumbing every C ABI function uses:
//
//   SCL_TRY ... body ... SCL_CATCH(err)
//
// catches every C++ exception and stores a malloc'ed copy of its message in *err (the Go side
// frees it); c10::Error contributes its message without the C++ backtrace.
//
// Go's build cache does not track this header for torch/dist (it lies outside that package's
// folder): after editing it, rebuild with go build -a or go clean -cache.
#ifndef SCL_SHIM_COMMON_H
#define SCL_SHIM_COMMON_H

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <cstdlib>
#include <cstring>
#include <exception>

struct scl_tensor_s {
  at::Tensor t;
};

namespace scl_shim {

inline char *dup_message(const char *msg) {
  size_t n = std::strlen(msg);
  char *out = static_cast<char *>(std::malloc(n + 1));
  if (out != nullptr) std::memcpy(out, msg, n + 1);
  return out;
}

// sync_threads applies the intra-op thread count set through scl_set_num_threads to the calling
// OS thread (defined in torch/shim.cpp; call it before running ATen kernels).
void sync_threads();

}  // namespace scl_shim

#define SCL_TRY try {
#define SCL_CATCH(err)                                                        \
  }                                                                           \
  catch (const c10::Error &e) {                                               \
    if (err) *err = scl_shim::dup_message(e.what_without_backtrace());        \
  }                                                                           \
  catch (const std::exception &e) {                                           \
    if (err) *err = scl_shim::dup_message(e.what());                          \
  }                                                                           \
  catch (...) {                                                               \
    if (err) *err = scl_shim::dup_message("unknown C++ exception");           \
  }

#endif  // SCL_SHIM_COMMON_H
