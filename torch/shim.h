/*
 * shim.h — the C ABI between package torch (Go) and libtorch (C++).
 *
 * Rules every function follows:
 *   - Functions that can fail take `char **err` as their last argument. On success *err is left
 *     NULL; on failure *err receives a malloc'd, NUL-terminated copy of the C++ exception's
 *     message, which the caller frees with free(). No function throws, and no function keeps
 *     error state anywhere else (there is no "last error" to read in a second call).
 *   - A scl_tensor is an owning handle to a heap-allocated at::Tensor (one reference). It is freed
 *     with scl_tensor_free. A NULL scl_tensor stands for an undefined tensor / None.
 *   - No function keeps a pointer it was given after it returns: buffers are copied.
 *   - libtorch's grad mode and autocast state are thread-local, and the Go caller may run
 *     consecutive calls on different OS threads. Every function that runs tensor operations takes
 *     a `mode` word and sets that state itself for the duration of the call (see SCL_MODE_*).
 *
 * dtype codes are c10::ScalarType values (uint8 0, int8 1, int16 2, int32 3, int64 4, float16 5,
 * float32 6, float64 7, bool 11, bfloat16 15); device types are c10::DeviceType (cpu 0, cuda 1).
 */
#ifndef SCL_TORCH_SHIM_H
#define SCL_TORCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scl_tensor_s *scl_tensor;
typedef struct scl_op_s *scl_op;

/* mode word: bit 0 disables gradient recording; bits 8..15 hold the autocast dtype code + 1
 * (0 = autocast off); bits 16..23 hold the autocast device type (0 cpu, 1 cuda). */
#define SCL_MODE_NO_GRAD 1

/* Argument kinds for scl_op_call. Each argument consumes values from the parallel arrays in
 * order: ints (int64), dbls (double), tensors (scl_tensor), strs (bytes). */
enum scl_arg_kind {
  SCL_ARG_NONE = 0,        /* None; consumes nothing */
  SCL_ARG_TENSOR = 1,      /* one tensor (NULL = undefined tensor) */
  SCL_ARG_INT = 2,         /* one int */
  SCL_ARG_DOUBLE = 3,      /* one double */
  SCL_ARG_BOOL = 4,        /* one int, nonzero = true */
  SCL_ARG_INT_LIST = 5,    /* one int n, then n ints */
  SCL_ARG_TENSOR_LIST = 6, /* one int n, then n tensors */
  SCL_ARG_DEVICE = 7,      /* two ints: device type, index (-1 = current) */
  SCL_ARG_STRING = 8,      /* one int n, then n bytes of strs */
  SCL_ARG_DOUBLE_LIST = 9, /* one int n, then n doubles */
  SCL_ARG_OPT_TENSOR_LIST = 10 /* one int n, then n tensors, NULL entries are None */
};

/* scl_op_lookup finds the operator `name` (e.g. "aten::add") with overload `overload` ("" for
 * the default) in libtorch's dispatcher. The handle lives until the process exits. */
scl_op scl_op_lookup(const char *name, const char *overload, char **err);

/* scl_op_call runs op on the boxed arguments described by kinds[0..nargs) and the value arrays,
 * under `mode`. Results are returned in a malloc'd array *outs of *nout new tensor handles
 * (tensor lists and tuples are flattened; None/undefined results become NULL handles); the
 * caller frees the array with free() and owns every handle. A scalar (int/double/bool) result
 * is stored in *scalar_out and contributes no handle. */
void scl_op_call(scl_op op, int mode, int nargs, const int32_t *kinds, const int64_t *ints,
                 const double *dbls, const scl_tensor *tensors, const char *strs,
                 scl_tensor **outs, int *nout, double *scalar_out, char **err);

/* scl_tensor_free releases the handle's reference. NULL is ignored. */
void scl_tensor_free(scl_tensor t);

/* scl_tensor_share returns a new handle referring to the same tensor (no copy). */
scl_tensor scl_tensor_share(scl_tensor t, char **err);

/* scl_tensor_from_data copies nbytes from data into a new contiguous CPU tensor of the given
 * dtype and shape. nbytes must equal the product of the shape times the element size. */
scl_tensor scl_tensor_from_data(const void *data, int64_t nbytes, const int64_t *shape, int ndim,
                                int dtype, char **err);

/* scl_tensor_copy_to copies the tensor's elements, in row-major order, to dst (nbytes must equal
 * numel times the element size). The tensor may live on any device and have any strides. */
void scl_tensor_copy_to(scl_tensor t, void *dst, int64_t nbytes, char **err);

/* scl_tensor_info reports dtype code, device type and index, number of dimensions and whether
 * the tensor requires grad. Returns 0 for an undefined tensor, 1 otherwise. */
int scl_tensor_info(scl_tensor t, int *dtype, int *device_type, int *device_index, int *ndim,
                    int *requires_grad);

/* scl_tensor_shape writes the sizes and strides (each max entries) of t. */
void scl_tensor_shape(scl_tensor t, int64_t *sizes, int64_t *strides, int max);

/* scl_tensor_set_requires_grad sets t.requires_grad_(flag). */
void scl_tensor_set_requires_grad(scl_tensor t, int flag, char **err);

/* scl_tensor_grad returns a new handle to t.grad(), or NULL when t has no gradient. */
scl_tensor scl_tensor_grad(scl_tensor t, char **err);

/* scl_tensor_set_grad sets t's gradient to g (NULL clears it). */
void scl_tensor_set_grad(scl_tensor t, scl_tensor g, char **err);

/* scl_backward computes gradients of the n roots with respect to graph leaves, as
 * torch::autograd::backward. grads may be NULL, or hold n entries each possibly NULL (implicit
 * ones for a scalar root). */
void scl_backward(int n, const scl_tensor *roots, const scl_tensor *grads, int retain_graph,
                  int create_graph, char **err);

/* scl_manual_seed seeds the default CPU and CUDA generators. */
void scl_manual_seed(uint64_t seed, char **err);

/* scl_cuda_device_count returns the number of usable CUDA devices (0 when CUDA is absent). */
int scl_cuda_device_count(void);

/* scl_set_num_threads sets libtorch's intra-op thread count (n > 0) for every OS thread: each later
 * op or backward call applies it to its calling thread first. scl_num_threads reads the calling
 * thread's count. */
void scl_set_num_threads(int n);
int scl_num_threads(void);

/* scl_autocast_cache_hold keeps autocast's cache of low-precision casts of weights (leaf tensors
 * that require grad) on the calling OS thread alive across op calls, as one torch.autocast block
 * does, until the matching scl_autocast_cache_release; holds nest, and the release of the last
 * one clears the cache. Weights must not change in place while a hold lasts (the cache would
 * return their old cast). */
void scl_autocast_cache_hold(void);
void scl_autocast_cache_release(void);

/* scl_fused_adam applies one Adam update to n parameters in a single pass over each one's memory
 * (torch/fused.cpp): for parameter i, with wd = weight_decays[i],
 *   p ← p·(1 − lr·wd) (decoupled != 0)  or  g ← g + wd·p (decoupled == 0)
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − step_size·m / (√v / bc2_sqrt + eps)
 * writing params, exp_avgs and exp_avg_sqs (grads are read). Every tensor must be a contiguous
 * CPU tensor of its parameter's dtype (float32 or float64) and size;
 * otherwise it returns 0 and writes nothing (use the multi-tensor ops). Returns 1 when done. */
int scl_fused_adam(int n, const scl_tensor *params, const scl_tensor *grads,
                   const scl_tensor *exp_avgs, const scl_tensor *exp_avg_sqs,
                   const double *weight_decays, double lr, double beta1, double beta2, double eps,
                   double step_size, double bc2_sqrt, int decoupled, char **err);

/* scl_fused_lerp sets targets[i] ← β·targets[i] + (1−β)·sources[i] in one pass per tensor, under
 * the same conditions as scl_fused_adam (returns 0 and writes nothing when a tensor does not
 * qualify or a target is its own source, 1 when done). */
int scl_fused_lerp(int n, const scl_tensor *targets, const scl_tensor *sources, double beta,
                   char **err);

/* scl_op_profile_start starts timing every dispatcher operator and autograd node on the thread
 * that runs it (torch/opprofile.cpp); returns 1, or 0 with *err set (e.g. already running). */
int scl_op_profile_start(char **err);

/* scl_op_profile_stop stops the profiler and returns a malloc'd table, one line per operator
 * name: "name\tcalls\ttotal_ns\tself_ns\n" (self: total minus the operator's children), then
 * one per operator and call path: the same four fields and "\tpath" (the enclosing calls'
 * names joined by " > ", outermost first; empty at top level). NULL
 * with *err set when it was not running. The caller frees the table with free(). */
char *scl_op_profile_stop(char **err);

/* scl_cuda_synchronize waits for all kernels on CUDA device `index`; no-op without CUDA. */
void scl_cuda_synchronize(int index, char **err);

/* scl_version returns libtorch's version string (static storage). */
const char *scl_version(void);

#ifdef __cplusplus
}
#endif

#endif
