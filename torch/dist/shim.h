/*
 * shim.h — the C ABI between package torch/dist (Go) and c10d, PyTorch's collective engine.
 *
 * Rules every function follows (the same as torch/shim.h):
 *   - Functions that can fail take `char **err` last. On success *err stays NULL; on failure it
 *     receives a malloc'd copy of the C++ exception's message, freed by the caller with free().
 *     No function throws and none keeps error state anywhere else.
 *   - Tensor arguments are `void *` handles of package torch (Tensor.UnsafeHandle): pointers to
 *     the `struct scl_tensor_s { at::Tensor t; }` defined in torch/shim.cpp. They are borrowed for
 *     the call only; no function keeps one after it returns (tensors captured by in-flight c10d
 *     work are waited for before returning, or the call fails and the group must be closed).
 *   - Every collective blocks until it completes on this rank, fails, or `timeout_ms` passes.
 *     A timed-out or failed group is left in an undefined state: close it.
 *
 * Backends: 0 = Gloo (CPU tensors), 1 = NCCL (CUDA tensors; only in builds with SCL_WITH_NCCL).
 * Reduce ops: 0 sum, 1 average (sum then divide by the world size), 2 max, 3 min.
 */
#ifndef SCL_DIST_SHIM_H
#define SCL_DIST_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scl_dist_store_s *scl_dist_store;
typedef struct scl_dist_pg_s *scl_dist_pg;

/* scl_dist_backend_available reports whether this build can create groups of `backend`
 * (1 yes, 0 no); when not, *why (static storage) says how to enable it. */
int scl_dist_backend_available(int backend, const char **why);

/* scl_dist_store_new connects to (is_server = 0) or starts and connects to (is_server = 1) a
 * c10d TCPStore at host:port. The server waits up to timeout_ms for world_size clients. A
 * non-empty prefix namespaces every key (c10d PrefixStore), for a store shared with a launcher
 * (torchrun's agent store). */
scl_dist_store scl_dist_store_new(const char *host, int port, int is_server, int world_size,
                                  int64_t timeout_ms, const char *prefix, char **err);

/* scl_dist_store_free drops this handle's reference to the store. NULL is ignored. */
void scl_dist_store_free(scl_dist_store s);

/* scl_dist_store_add atomically adds delta to the integer at key and returns the new value. */
int64_t scl_dist_store_add(scl_dist_store s, const char *key, int64_t delta, char **err);

/* scl_dist_pg_new creates a process group of `backend` over the store (which it keeps a
 * reference to). Gloo binds its transport to `bind_host` when non-empty, else to the network
 * interface named by `iface` when non-empty, else to the address this host name resolves to.
 * Every rank must call it; it returns when all world_size ranks have joined, or fails after
 * timeout_ms. */
scl_dist_pg scl_dist_pg_new(scl_dist_store store, int backend, int rank, int world_size,
                            int64_t timeout_ms, const char *bind_host, const char *iface,
                            char **err);

/* scl_dist_pg_free destroys the group (waiting for queued work to finish). NULL is ignored. */
void scl_dist_pg_free(scl_dist_pg pg);

/* scl_dist_allreduce reduces each of the n tensors element-wise across ranks, in place. The n
 * operations are started together and all waited for. */
void scl_dist_allreduce(scl_dist_pg pg, void **tensors, int n, int op, int64_t timeout_ms,
                        char **err);

/* scl_dist_allreduce_grads reduces the gradients of n parameters in buckets: bucket b holds
 * params[ends[b-1] .. ends[b]) (ends[-1] = 0), flattened into one contiguous buffer per bucket
 * (all of a bucket's gradients must share dtype and device). A parameter without a gradient
 * contributes zeros and receives the reduced gradient. Every bucket's reduction is started as
 * soon as its buffer is packed, so later buckets are packed while earlier ones are on the wire;
 * results are unpacked in order as they complete. */
void scl_dist_allreduce_grads(scl_dist_pg pg, void **params, int n, const int32_t *ends,
                              int nbuckets, int op, int64_t timeout_ms, char **err);

/* scl_dist_broadcast copies each of the n tensors from rank `root` to every rank, in place. */
void scl_dist_broadcast(scl_dist_pg pg, void **tensors, int n, int root, int64_t timeout_ms,
                        char **err);

/* scl_dist_allgather writes every rank's `in` ([n, ...]) into `out` ([world_size·n, ...],
 * contiguous, same dtype and device), rank r's rows at r·n. */
void scl_dist_allgather(scl_dist_pg pg, void *out, void *in, int64_t timeout_ms, char **err);

/* scl_dist_barrier returns once every rank has entered it. */
void scl_dist_barrier(scl_dist_pg pg, int64_t timeout_ms, char **err);

#ifdef __cplusplus
}
#endif

#endif
