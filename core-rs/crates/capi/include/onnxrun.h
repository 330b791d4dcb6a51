/*
 * onnxrun C ABI — the only door into libonnxrun.
 *
 * Conventions
 *  - Every function that can fail returns an onnxrun_status (0 = ok, else one of
 *    ONNXRUN_* codes below, the same numbers as ONNX Runtime's OrtErrorCode).
 *    The message of the last failure on the calling thread is onnxrun_last_error().
 *  - Handles are 64-bit ids (0 = none). A freed, foreign or wrong-kind handle is an
 *    error (INVALID_ARGUMENT), never a crash. Each handle is freed exactly once.
 *  - Functions returning `const char*` return a thread-local, NUL-terminated UTF-8
 *    string that stays valid until the next such call on the same thread, or NULL
 *    on failure (then see onnxrun_last_error()).
 *  - Nothing unwinds across this boundary: panics become ONNXRUN_RUNTIME_EXCEPTION.
 */
#ifndef ONNXRUN_H
#define ONNXRUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t onnxrun_status;
typedef uint64_t onnxrun_handle;

#define ONNXRUN_OK 0
#define ONNXRUN_FAIL 1
#define ONNXRUN_INVALID_ARGUMENT 2
#define ONNXRUN_NO_SUCHFILE 3
#define ONNXRUN_NO_MODEL 4
#define ONNXRUN_ENGINE_ERROR 5
#define ONNXRUN_RUNTIME_EXCEPTION 6
#define ONNXRUN_INVALID_PROTOBUF 7
#define ONNXRUN_MODEL_LOADED 8
#define ONNXRUN_NOT_IMPLEMENTED 9
#define ONNXRUN_INVALID_GRAPH 10
#define ONNXRUN_EP_FAIL 11

/* Value kinds, as returned in slot 0 of onnxrun_value_describe. */
#define ONNXRUN_VALUE_TENSOR 1
#define ONNXRUN_VALUE_SEQUENCE 2
#define ONNXRUN_VALUE_MAP 3
#define ONNXRUN_VALUE_OPTIONAL 4

/* Device kinds, as returned by onnxrun_value_describe. */
#define ONNXRUN_DEVICE_CPU 0
#define ONNXRUN_DEVICE_CUDA 1
#define ONNXRUN_DEVICE_WEBGPU 2

/* ---- library ------------------------------------------------------------ */

/* "0.1.0" */
const char *onnxrun_version(void);
/* JSON object: {"version","gitCommit","buildProfile","target","features":[..],"cpuTier"} */
const char *onnxrun_build_info(void);
/* JSON array of provider names. available_only != 0: only those usable on this
 * machine right now (CUDA only with a usable device, wgpu only with an adapter). */
const char *onnxrun_providers(int32_t available_only);
/* Why a provider is not available (JSON {"name": "reason" | null, ...}). */
const char *onnxrun_providers_status(void);
/* Message and code of the last failure on the calling thread. */
const char *onnxrun_last_error(void);
int32_t onnxrun_last_error_code(void);

/* ---- sessions ----------------------------------------------------------- */

/* options_json: the session options (SessionOptions fields in camelCase plus
 * "providers": [{"name": "...", "options": {...}}], "disableFallback": bool,
 * "initializers": {"name": <value handle as a decimal string>}, "seed": the integer seed of
 * random ops without a seed attribute), "{}" or NULL for defaults. The config entry
 * "session.max_tensor_bytes" caps each tensor this session loads or its kernels allocate. */
onnxrun_status onnxrun_session_create_from_path(const char *path, const char *options_json,
                                                onnxrun_handle *out_session);
/* model_dir (nullable): folder that external data paths are resolved in. */
onnxrun_status onnxrun_session_create_from_bytes(const uint8_t *bytes, size_t len,
                                                 const char *model_dir,
                                                 const char *options_json,
                                                 onnxrun_handle *out_session);
/* JSON: {"inputs":[NodeArg], "outputs":[NodeArg], "overridableInitializers":[NodeArg],
 *        "modelMeta":{...}, "providers":[names actually used], "providerOptions":{...}}
 * NodeArg = {"name","type":"tensor(float)","shape":[1,"batch",null], "elemType": 1}.
 * Feed index i in onnxrun_session_run refers to inputs ++ overridableInitializers. */
const char *onnxrun_session_info(onnxrun_handle session);
/* Runs the model. feed_idx[i] picks a feed (see onnxrun_session_info), feeds[i] is a value
 * handle (borrowed: the caller still owns it). fetch_idx[i] picks an output; on entry
 * fetches[i] is 0 or a value to write the output into (bound output, must match dtype and
 * shape), on success it holds the output value (a new handle the caller owns, or the bound
 * one). run_options may be 0. */
onnxrun_status onnxrun_session_run(onnxrun_handle session, onnxrun_handle run_options,
                                   const uint32_t *feed_idx, const onnxrun_handle *feeds,
                                   size_t n_feeds, const uint32_t *fetch_idx,
                                   onnxrun_handle *fetches, size_t n_fetches);
/* Same run on a library thread; returns a job handle at once. Arrays are copied. Each
 * session runs its jobs on up to interOpNumThreads worker threads (0: one per core);
 * more jobs wait, first in first out. */
onnxrun_status onnxrun_session_run_start(onnxrun_handle session, onnxrun_handle run_options,
                                         const uint32_t *feed_idx, const onnxrun_handle *feeds,
                                         size_t n_feeds, const uint32_t *fetch_idx,
                                         const onnxrun_handle *fetches, size_t n_fetches,
                                         onnxrun_handle *out_job);
/* *out_done = 1 once the job finished (successfully or not). Never blocks. */
onnxrun_status onnxrun_job_poll(onnxrun_handle job, int32_t *out_done);
/* Blocks until the job finished (meant for Deno's nonblocking FFI calls). */
onnxrun_status onnxrun_job_wait(onnxrun_handle job);
/* Takes the result of a finished job and frees the job handle: returns the run's status
 * and fills fetches like onnxrun_session_run. */
onnxrun_status onnxrun_job_finish(onnxrun_handle job, onnxrun_handle *fetches, size_t n_fetches);
/* Completion notices, for runtimes with no nonblocking FFI calls (Bun): opens a done queue
 * for the calling thread (or returns the one it has) in *out_queue. Each job this thread
 * starts afterwards pushes its handle on that queue once it finished. Queues are not
 * handles (onnxrun_live_handles does not count them). */
onnxrun_status onnxrun_jobs_notify_enable(uint64_t *out_queue);
/* Blocks until the queue holds finished jobs, then moves up to cap (>= 1) of their handles
 * to out_ids and their number to *out_n; *out_n = 0 after timeout_ms (0: never blocks,
 * UINT32_MAX: no limit). Callable from any thread. INVALID_ARGUMENT once the queue is
 * closed, also for a call blocked in it at that moment. A handle may already be finished
 * and freed by the time it is read here (ignore unknown ones). */
onnxrun_status onnxrun_jobs_wait_done(uint64_t queue, uint64_t *out_ids, size_t cap, size_t *out_n,
                                      uint32_t timeout_ms);
/* Closes the queue: wakes its waiter, and later jobs push nothing. A queue also closes when
 * the thread that opened it ends. */
onnxrun_status onnxrun_jobs_notify_disable(uint64_t queue);
/* Writes the profile (Chrome trace JSON) and returns its file path. */
const char *onnxrun_session_end_profiling(onnxrun_handle session);
onnxrun_status onnxrun_session_free(onnxrun_handle session);

/* ---- run options -------------------------------------------------------- */

/* json: {"logSeverityLevel","logVerbosityLevel","logid","terminate","onlyExecutePathToFetches",
 *        "configEntries":{...}} */
onnxrun_status onnxrun_run_options_create(const char *json, onnxrun_handle *out);
onnxrun_status onnxrun_run_options_update(onnxrun_handle run_options, const char *json);
/* Sets or clears the terminate flag; a run using these options stops between nodes. */
onnxrun_status onnxrun_run_options_set_terminate(onnxrun_handle run_options, int32_t flag);
onnxrun_status onnxrun_run_options_free(onnxrun_handle run_options);

/* ---- values ------------------------------------------------------------- */

/* A tensor of elem_type (TensorProto.DataType number). copy == 0: borrows `data`, which
 * must stay alive and unmoved until the value is freed (zero-copy feed). copy != 0: copies
 * it; data == NULL with copy != 0 allocates zeroed memory. byte_len must equal the size the
 * dims and type imply (4-bit types: one element per byte, low nibble). */
onnxrun_status onnxrun_value_tensor_create(int32_t elem_type, const int64_t *dims, size_t ndims,
                                           void *data, size_t byte_len, int32_t copy,
                                           onnxrun_handle *out_value);
/* A string tensor: element i is utf8[offsets[i] .. offsets[i+1]], offsets has n+1 entries. */
onnxrun_status onnxrun_value_tensor_create_strings(const int64_t *dims, size_t ndims,
                                                   const uint8_t *utf8, size_t utf8_len,
                                                   const uint64_t *offsets,
                                                   onnxrun_handle *out_value);
/* Sequence of the given values (each is shared, not consumed). */
onnxrun_status onnxrun_value_sequence_create(const onnxrun_handle *items, size_t n,
                                             onnxrun_handle *out_value);
/* Map from a 1-D key tensor (int64 or string) and a 1-D value tensor of the same length. */
onnxrun_status onnxrun_value_map_create(onnxrun_handle keys, onnxrun_handle values,
                                        onnxrun_handle *out_value);
/* Optional holding `inner`, or empty when inner == 0 (then type_json names its type,
 * e.g. "tensor(float)" or "seq(tensor(int64))"). */
onnxrun_status onnxrun_value_optional_create(onnxrun_handle inner, const char *type_json,
                                             onnxrun_handle *out_value);
/* Decodes a serialized TensorProto (kind 1), SequenceProto (2), MapProto (3) or
 * OptionalProto (4). */
onnxrun_status onnxrun_value_from_proto(const uint8_t *bytes, size_t len, int32_t kind,
                                        onnxrun_handle *out_value);
/* Fills out[0..cap): [kind, elem_type, ndims_or_len, data_ptr, byte_len, device_kind,
 * device_id, has_value, offsets_ptr, dims...]. Tensor: dims follow at out[9..9+ndims];
 * data_ptr is the host or device address of the elements; for string tensors data_ptr is
 * the concatenated UTF-8 and offsets_ptr points to ndims-product+1 uint64 offsets.
 * Sequence: slot 2 holds its length. Optional: has_value. Returns the slots needed in
 * *out_len (call again with a larger buffer if it exceeds cap). */
onnxrun_status onnxrun_value_describe(onnxrun_handle value, int64_t *out, size_t cap,
                                      size_t *out_len);
/* Type string of any value, e.g. "tensor(float)", "seq(map(int64,tensor(float)))". */
const char *onnxrun_value_type(onnxrun_handle value);
onnxrun_status onnxrun_value_sequence_get(onnxrun_handle seq, size_t index, onnxrun_handle *out);
onnxrun_status onnxrun_value_map_keys(onnxrun_handle map, onnxrun_handle *out_keys);
onnxrun_status onnxrun_value_map_values(onnxrun_handle map, onnxrun_handle *out_values);
onnxrun_status onnxrun_value_optional_get(onnxrun_handle opt, onnxrun_handle *out);
/* Copies a tensor to a device ("cpu", "cuda", "webgpu") as a new value. */
onnxrun_status onnxrun_value_to_device(onnxrun_handle value, const char *device, int32_t device_id,
                                       onnxrun_handle *out_value);
onnxrun_status onnxrun_value_free(onnxrun_handle value);

/* Number of live handles of every kind (leak checks in tests). */
uint64_t onnxrun_live_handles(void);

#ifdef __cplusplus
}
#endif
#endif /* ONNXRUN_H */
