/*
 * SHA-256 of many short messages in one call, for the gateway's point digests (../digest-batch.ts).
 * Node's own OpenSSL does the hashing (with the CPU's SHA instructions where it has them); the
 * low-level SHA256_* calls, not EVP or one-shot SHA256(), whose per-call set-up in OpenSSL 3 costs
 * more than hashing a 60-byte point. Built by bin/build.mjs with node-gyp; without it the gateway
 * hashes in JavaScript, with the same digests.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes of a Uint8Array or Uint32Array argument; NULL for anything else. */
static void *bytes_of(napi_env env, napi_value value, napi_typedarray_type want, size_t *bytes) {
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok || type != want)
    return NULL;
  *bytes = length * (type == napi_uint32_array ? 4 : 1);
  return data;
}

/*
 * digests(messages: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array): message i is
 * messages[ends[i - 1] .. ends[i]) (from 0 for the first); its digest goes to out[32 i .. 32 i + 32).
 * Every bound is checked before anything is read: a bad call throws a RangeError.
 */
static napi_value digests(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    napi_throw_type_error(env, NULL, "digests(messages, ends, count, out)");
    return NULL;
  }
  size_t message_bytes = 0, end_bytes = 0, out_bytes = 0;
  uint32_t count = 0;
  const uint8_t *messages = bytes_of(env, argv[0], napi_uint8_array, &message_bytes);
  const uint32_t *ends = bytes_of(env, argv[1], napi_uint32_array, &end_bytes);
  uint8_t *out = bytes_of(env, argv[3], napi_uint8_array, &out_bytes);
  if (messages == NULL || ends == NULL || out == NULL || napi_get_value_uint32(env, argv[2], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "digests(messages: Uint8Array, ends: Uint32Array, count, out: Uint8Array)");
    return NULL;
  }
  if ((size_t)count > end_bytes / 4 || (size_t)count * SHA256_DIGEST_LENGTH > out_bytes) {
    napi_throw_range_error(env, NULL, "digests: more messages than ends or room for digests");
    return NULL;
  }
  uint32_t start = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (ends[i] < start || ends[i] > message_bytes) {
      napi_throw_range_error(env, NULL, "digests: a message ends outside the bytes given");
      return NULL;
    }
    start = ends[i];
  }
  start = 0;
  SHA256_CTX context;
  for (uint32_t i = 0; i < count; i++) {
    SHA256_Init(&context);
    SHA256_Update(&context, messages + start, ends[i] - start);
    SHA256_Final(out + (size_t)i * SHA256_DIGEST_LENGTH, &context);
    start = ends[i];
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "digests", NAPI_AUTO_LENGTH, digests, NULL, &function) != napi_ok ||
      napi_set_named_property(env, exports, "digests", function) != napi_ok)
    return NULL;
  return exports;
}
