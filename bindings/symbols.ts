/**
 * The C ABI of libonnxrun (core-rs/crates/capi/include/onnxrun.h) declared once, as data.
 * Both loaders (deno.ts, bun.ts) translate this table into their runtime's FFI types;
 * tests/bindings_header.test.ts checks it against the header.
 *
 * Parameter kinds, runtime-neutral:
 *   "u64"     onnxrun_handle / uint64_t        → bigint
 *   "i32"     int32_t                          → number
 *   "u32"     uint32_t                         → number
 *   "usize"   size_t                           → number | bigint
 *   "buffer"  pointer to memory the caller owns (a TypedArray, or null)
 *   "pointer" a native address (opaque Pointer, e.g. a data_ptr handed out by the core)
 * Result kinds: "i32" (onnxrun_status), "u64", "cstr" (const char*, read with native.cstring).
 */

export type ParamKind = "u64" | "i32" | "u32" | "usize" | "buffer" | "pointer";
export type ResultKind = "i32" | "u64" | "cstr" | "void";

export interface SymbolDef {
  /** C name when the key is an alias of another declaration of the same function. */
  readonly name?: string;
  readonly parameters: readonly ParamKind[];
  readonly result: ResultKind;
  /** Deno: run on a worker thread and return a Promise (used only off the per-run path). */
  readonly nonblocking?: boolean;
}

export type SymbolTable = Readonly<Record<string, SymbolDef>>;

export const symbols = {
  // ---- library ----
  onnxrun_version: { parameters: [], result: "cstr" },
  onnxrun_build_info: { parameters: [], result: "cstr" },
  onnxrun_providers: {
    parameters: [
      "i32", // int32_t available_only
    ],
    result: "cstr",
  },
  onnxrun_providers_status: { parameters: [], result: "cstr" },
  onnxrun_last_error: { parameters: [], result: "cstr" },
  onnxrun_last_error_code: { parameters: [], result: "i32" },

  // ---- sessions ----
  onnxrun_session_create_from_path: {
    parameters: [
      "buffer", // const char *path
      "buffer", // const char *options_json
      "buffer", // onnxrun_handle *out_session
    ],
    result: "i32",
  },
  onnxrun_session_create_from_bytes: {
    parameters: [
      "buffer", // const uint8_t *bytes
      "usize", // size_t len
      "buffer", // const char *model_dir (nullable)
      "buffer", // const char *options_json
      "buffer", // onnxrun_handle *out_session
    ],
    result: "i32",
  },
  onnxrun_session_info: {
    parameters: [
      "u64", // onnxrun_handle session
    ],
    result: "cstr",
  },
  onnxrun_session_run: {
    parameters: [
      "u64", // onnxrun_handle session
      "u64", // onnxrun_handle run_options
      "buffer", // const uint32_t *feed_idx
      "buffer", // const onnxrun_handle *feeds
      "usize", // size_t n_feeds
      "buffer", // const uint32_t *fetch_idx
      "buffer", // onnxrun_handle *fetches
      "usize", // size_t n_fetches
    ],
    result: "i32",
  },
  onnxrun_session_run_start: {
    parameters: [
      "u64", // onnxrun_handle session
      "u64", // onnxrun_handle run_options
      "buffer", // const uint32_t *feed_idx
      "buffer", // const onnxrun_handle *feeds
      "usize", // size_t n_feeds
      "buffer", // const uint32_t *fetch_idx
      "buffer", // const onnxrun_handle *fetches
      "usize", // size_t n_fetches
      "buffer", // onnxrun_handle *out_job
    ],
    result: "i32",
  },
  onnxrun_job_poll: {
    parameters: [
      "u64", // onnxrun_handle job
      "buffer", // int32_t *out_done
    ],
    result: "i32",
  },
  onnxrun_job_wait: {
    parameters: [
      "u64", // onnxrun_handle job
    ],
    result: "i32",
    nonblocking: true,
  },
  onnxrun_job_finish: {
    parameters: [
      "u64", // onnxrun_handle job
      "buffer", // onnxrun_handle *fetches
      "usize", // size_t n_fetches
    ],
    result: "i32",
  },
  onnxrun_jobs_notify_enable: {
    parameters: [
      "buffer", // uint64_t *out_queue
    ],
    result: "i32",
  },
  onnxrun_jobs_wait_done: {
    parameters: [
      "u64", // uint64_t queue
      "buffer", // uint64_t *out_ids
      "usize", // size_t cap
      "buffer", // size_t *out_n
      "u32", // uint32_t timeout_ms
    ],
    result: "i32",
  },
  onnxrun_jobs_notify_disable: {
    parameters: [
      "u64", // uint64_t queue
    ],
    result: "i32",
  },
  onnxrun_session_end_profiling: {
    parameters: [
      "u64", // onnxrun_handle session
    ],
    result: "cstr",
  },
  onnxrun_session_free: {
    parameters: [
      "u64", // onnxrun_handle session
    ],
    result: "i32",
  },

  // ---- run options ----
  onnxrun_run_options_create: {
    parameters: [
      "buffer", // const char *json
      "buffer", // onnxrun_handle *out
    ],
    result: "i32",
  },
  onnxrun_run_options_update: {
    parameters: [
      "u64", // onnxrun_handle run_options
      "buffer", // const char *json
    ],
    result: "i32",
  },
  onnxrun_run_options_set_terminate: {
    parameters: [
      "u64", // onnxrun_handle run_options
      "i32", // int32_t flag
    ],
    result: "i32",
  },
  onnxrun_run_options_free: {
    parameters: [
      "u64", // onnxrun_handle run_options
    ],
    result: "i32",
  },

  // ---- values ----
  onnxrun_value_tensor_create: {
    parameters: [
      "i32", // int32_t elem_type
      "buffer", // const int64_t *dims
      "usize", // size_t ndims
      "buffer", // void *data (a TypedArray the caller keeps alive)
      "usize", // size_t byte_len
      "i32", // int32_t copy
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  /** The same function, taking `data` as a native address (IOBinding.bindInput's buffer_ptr). */
  onnxrun_value_tensor_create_at: {
    name: "onnxrun_value_tensor_create",
    parameters: [
      "i32", // int32_t elem_type
      "buffer", // const int64_t *dims
      "usize", // size_t ndims
      "pointer", // void *data (native address)
      "usize", // size_t byte_len
      "i32", // int32_t copy
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_tensor_create_strings: {
    parameters: [
      "buffer", // const int64_t *dims
      "usize", // size_t ndims
      "buffer", // const uint8_t *utf8
      "usize", // size_t utf8_len
      "buffer", // const uint64_t *offsets
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_sequence_create: {
    parameters: [
      "buffer", // const onnxrun_handle *items
      "usize", // size_t n
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_map_create: {
    parameters: [
      "u64", // onnxrun_handle keys
      "u64", // onnxrun_handle values
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_optional_create: {
    parameters: [
      "u64", // onnxrun_handle inner
      "buffer", // const char *type_json
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_from_proto: {
    parameters: [
      "buffer", // const uint8_t *bytes
      "usize", // size_t len
      "i32", // int32_t kind
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_describe: {
    parameters: [
      "u64", // onnxrun_handle value
      "buffer", // int64_t *out
      "usize", // size_t cap
      "buffer", // size_t *out_len
    ],
    result: "i32",
  },
  onnxrun_value_type: {
    parameters: [
      "u64", // onnxrun_handle value
    ],
    result: "cstr",
  },
  onnxrun_value_sequence_get: {
    parameters: [
      "u64", // onnxrun_handle seq
      "usize", // size_t index
      "buffer", // onnxrun_handle *out
    ],
    result: "i32",
  },
  onnxrun_value_map_keys: {
    parameters: [
      "u64", // onnxrun_handle map
      "buffer", // onnxrun_handle *out_keys
    ],
    result: "i32",
  },
  onnxrun_value_map_values: {
    parameters: [
      "u64", // onnxrun_handle map
      "buffer", // onnxrun_handle *out_values
    ],
    result: "i32",
  },
  onnxrun_value_optional_get: {
    parameters: [
      "u64", // onnxrun_handle opt
      "buffer", // onnxrun_handle *out
    ],
    result: "i32",
  },
  onnxrun_value_to_device: {
    parameters: [
      "u64", // onnxrun_handle value
      "buffer", // const char *device
      "i32", // int32_t device_id
      "buffer", // onnxrun_handle *out_value
    ],
    result: "i32",
  },
  onnxrun_value_free: {
    parameters: [
      "u64", // onnxrun_handle value
    ],
    result: "i32",
  },
  onnxrun_live_handles: { parameters: [], result: "u64" },
} as const satisfies SymbolTable;

export type Symbols = typeof symbols;
