// ColBERT MaxSim kernels, compiled to WebAssembly with SIMD128 (see scripts/build-maxsim-int.sh).
// The generated module is embedded in src/scoring/maxsim-int-wasm.ts; this file is its source.
// Used by the exact store (int8 rows, scoring/maxsim-int8.ts) and @m3kit/elastic (stored blobs).
//
// Entry points over little-endian linear memory laid out by the callers, each the sum
// over query rows of the best inner product with any passage row (ColBERT's undivided MaxSim):
// - maxsim_sum_i16: rows as int16 with a float scale per row (the stored form, see
//   colbert-codec.ts). i32x4.dot_i16x8_s does 8 multiply-adds an instruction, twice what f32x4
//   does, on half the bytes. No overflow is possible: the encoder scales each row to an L2 norm
//   below 46340, so by Cauchy-Schwarz any partial sum of products stays below 46340^2 < 2^31.
// - maxsim_sum_i8: passage rows as int8 with a float scale per row (the default stored form),
//   against the int16 query; see tile_4_i8.
// - maxsim_sum_f32: rows as float32 (the bit-exact storage option).
//
// Why the shapes: a passage row is reused by every query row, so the kernels compute a tile of
// 4 query rows x 2 passage rows at once (8 independent accumulators): each loaded chunk feeds
// several multiply-adds and the adds do not wait on each other. V8 maps SIMD128 to 16 xmm
// registers on x64, so 8 accumulators + 4 query + 2 passage chunks fit without spilling
// (measured: 4x4 tiles spill and run slower, 2x4 tiles reload the query more often).
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

extern unsigned char __heap_base;

EXPORT("heap_base") uint32_t heap_base(void) { return (uint32_t)(uintptr_t)&__heap_base; }

static inline float horizontal_sum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) +
         wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

static inline float dot_one(const float *a, const float *b, uint32_t dim) {
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
  uint32_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  float sum = horizontal_sum(wasm_f32x4_add(acc0, acc1));
  for (; i < dim; i++) sum += a[i] * b[i];
  return sum;
}

// best[q] = max(best[q], max over passage rows of dot(query row q, passage row)), for query rows
// [q0, q0 + 4) against all passage rows. dim must be a multiple of 4 here (checked by the caller).
static void tile_4(const float *query, const float *passage, uint32_t np, uint32_t dim, float *best) {
  const float *q0 = query, *q1 = query + dim, *q2 = query + 2 * dim, *q3 = query + 3 * dim;
  uint32_t p = 0;
  for (; p + 2 <= np; p += 2) {
    const float *p0 = passage + (uint64_t)p * dim, *p1 = p0 + dim;
    v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00;
    v128_t a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (uint32_t i = 0; i < dim; i += 4) {
      v128_t x0 = wasm_v128_load(p0 + i), x1 = wasm_v128_load(p1 + i);
      v128_t y = wasm_v128_load(q0 + i);
      a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(y, x0));
      a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(y, x1));
      y = wasm_v128_load(q1 + i);
      a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(y, x0));
      a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(y, x1));
      y = wasm_v128_load(q2 + i);
      a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(y, x0));
      a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(y, x1));
      y = wasm_v128_load(q3 + i);
      a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(y, x0));
      a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(y, x1));
    }
    float s;
    s = horizontal_sum(a00); if (s > best[0]) best[0] = s;
    s = horizontal_sum(a01); if (s > best[0]) best[0] = s;
    s = horizontal_sum(a10); if (s > best[1]) best[1] = s;
    s = horizontal_sum(a11); if (s > best[1]) best[1] = s;
    s = horizontal_sum(a20); if (s > best[2]) best[2] = s;
    s = horizontal_sum(a21); if (s > best[2]) best[2] = s;
    s = horizontal_sum(a30); if (s > best[3]) best[3] = s;
    s = horizontal_sum(a31); if (s > best[3]) best[3] = s;
  }
  for (; p < np; p++) {
    const float *p0 = passage + (uint64_t)p * dim;
    for (uint32_t q = 0; q < 4; q++) {
      float s = dot_one(query + q * dim, p0, dim);
      if (s > best[q]) best[q] = s;
    }
  }
}

// Sum over query rows of max over passage rows of the inner product (ColBERT's undivided
// MaxSim). `best` is scratch space for nq floats.
EXPORT("maxsim_sum_f32")
double maxsim_sum_f32(const float *query, uint32_t nq, const float *passage, uint32_t np, uint32_t dim, float *best) {
  if (np == 0 || nq == 0) return 0.0;
  for (uint32_t q = 0; q < nq; q++) best[q] = -__builtin_inff();
  uint32_t q = 0;
  if ((dim & 3) == 0) {
    for (; q + 4 <= nq; q += 4) tile_4(query + (uint64_t)q * dim, passage, np, dim, best + q);
  }
  for (; q < nq; q++) {
    for (uint32_t p = 0; p < np; p++) {
      float s = dot_one(query + (uint64_t)q * dim, passage + (uint64_t)p * dim, dim);
      if (s > best[q]) best[q] = s;
    }
  }
  double total = 0.0;
  for (uint32_t i = 0; i < nq; i++) total += best[i];
  return total;
}

static inline int32_t dot_i16(const int16_t *a, const int16_t *b, uint32_t dim) {
  v128_t acc = wasm_i32x4_splat(0);
  uint32_t i = 0;
  for (; i + 8 <= dim; i += 8) acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  int32_t sum = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
                wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
  for (; i < dim; i++) sum += (int32_t)a[i] * (int32_t)b[i];
  return sum;
}

static inline int32_t lanes_i32(v128_t v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) +
         wasm_i32x4_extract_lane(v, 3);
}

// Like tile_4, over int16 rows; a dot's real value is int_dot * query_scale * passage_scale.
static void tile_4_i16(const int16_t *query, const float *query_scales, const int16_t *passage,
                       const float *passage_scales, uint32_t np, uint32_t dim, float *best) {
  const int16_t *q0 = query, *q1 = query + dim, *q2 = query + 2 * dim, *q3 = query + 3 * dim;
  uint32_t p = 0;
  for (; p + 2 <= np; p += 2) {
    const int16_t *p0 = passage + (uint64_t)p * dim, *p1 = p0 + dim;
    v128_t a00 = wasm_i32x4_splat(0), a01 = a00, a10 = a00, a11 = a00;
    v128_t a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (uint32_t i = 0; i < dim; i += 8) {
      v128_t x0 = wasm_v128_load(p0 + i), x1 = wasm_v128_load(p1 + i);
      v128_t y = wasm_v128_load(q0 + i);
      a00 = wasm_i32x4_add(a00, wasm_i32x4_dot_i16x8(y, x0));
      a01 = wasm_i32x4_add(a01, wasm_i32x4_dot_i16x8(y, x1));
      y = wasm_v128_load(q1 + i);
      a10 = wasm_i32x4_add(a10, wasm_i32x4_dot_i16x8(y, x0));
      a11 = wasm_i32x4_add(a11, wasm_i32x4_dot_i16x8(y, x1));
      y = wasm_v128_load(q2 + i);
      a20 = wasm_i32x4_add(a20, wasm_i32x4_dot_i16x8(y, x0));
      a21 = wasm_i32x4_add(a21, wasm_i32x4_dot_i16x8(y, x1));
      y = wasm_v128_load(q3 + i);
      a30 = wasm_i32x4_add(a30, wasm_i32x4_dot_i16x8(y, x0));
      a31 = wasm_i32x4_add(a31, wasm_i32x4_dot_i16x8(y, x1));
    }
    const float s0 = passage_scales[p], s1 = passage_scales[p + 1];
    float s;
    s = (float)lanes_i32(a00) * query_scales[0] * s0; if (s > best[0]) best[0] = s;
    s = (float)lanes_i32(a01) * query_scales[0] * s1; if (s > best[0]) best[0] = s;
    s = (float)lanes_i32(a10) * query_scales[1] * s0; if (s > best[1]) best[1] = s;
    s = (float)lanes_i32(a11) * query_scales[1] * s1; if (s > best[1]) best[1] = s;
    s = (float)lanes_i32(a20) * query_scales[2] * s0; if (s > best[2]) best[2] = s;
    s = (float)lanes_i32(a21) * query_scales[2] * s1; if (s > best[2]) best[2] = s;
    s = (float)lanes_i32(a30) * query_scales[3] * s0; if (s > best[3]) best[3] = s;
    s = (float)lanes_i32(a31) * query_scales[3] * s1; if (s > best[3]) best[3] = s;
  }
  for (; p < np; p++) {
    const int16_t *p0 = passage + (uint64_t)p * dim;
    for (uint32_t q = 0; q < 4; q++) {
      float s = (float)dot_i16(query + q * dim, p0, dim) * query_scales[q] * passage_scales[p];
      if (s > best[q]) best[q] = s;
    }
  }
}

EXPORT("maxsim_sum_i16")
double maxsim_sum_i16(const int16_t *query, const float *query_scales, uint32_t nq, const int16_t *passage,
                      const float *passage_scales, uint32_t np, uint32_t dim, float *best) {
  if (np == 0 || nq == 0) return 0.0;
  for (uint32_t q = 0; q < nq; q++) best[q] = -__builtin_inff();
  uint32_t q = 0;
  if ((dim & 7) == 0) {
    for (; q + 4 <= nq; q += 4) {
      tile_4_i16(query + (uint64_t)q * dim, query_scales + q, passage, passage_scales, np, dim, best + q);
    }
  }
  for (; q < nq; q++) {
    for (uint32_t p = 0; p < np; p++) {
      float s = (float)dot_i16(query + (uint64_t)q * dim, passage + (uint64_t)p * dim, dim) * query_scales[q] * passage_scales[p];
      if (s > best[q]) best[q] = s;
    }
  }
  double total = 0.0;
  for (uint32_t i = 0; i < nq; i++) total += best[i];
  return total;
}

// int8 passage rows (one float scale per row, see colbert-codec.ts) against the int16 query.
// Each 16-byte load of passage codes is sign-extended to two i16x8 halves and fed to the same
// i32x4.dot_i16x8_s as the int16 kernel: the arithmetic is the int16 kernel's, the memory read
// is half. No overflow: an int8 row has norm <= 127 * sqrt(dim) (4,064 at 1024-d) and the query
// rows are scaled to norm < 46,340, so any partial sum stays below 1.9e8 < 2^31.
static void tile_4_i8(const int16_t *query, const float *query_scales, const int8_t *passage,
                      const float *passage_scales, uint32_t np, uint32_t dim, float *best) {
  const int16_t *q0 = query, *q1 = query + dim, *q2 = query + 2 * dim, *q3 = query + 3 * dim;
  uint32_t p = 0;
  for (; p + 2 <= np; p += 2) {
    const int8_t *p0 = passage + (uint64_t)p * dim, *p1 = p0 + dim;
    v128_t a00 = wasm_i32x4_splat(0), a01 = a00, a10 = a00, a11 = a00;
    v128_t a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (uint32_t i = 0; i < dim; i += 16) {
      v128_t r0 = wasm_v128_load(p0 + i), r1 = wasm_v128_load(p1 + i);
      v128_t x0l = wasm_i16x8_extend_low_i8x16(r0), x0h = wasm_i16x8_extend_high_i8x16(r0);
      v128_t x1l = wasm_i16x8_extend_low_i8x16(r1), x1h = wasm_i16x8_extend_high_i8x16(r1);
      v128_t yl, yh;
#define ROW(Q, A0, A1)                                                                     \
  yl = wasm_v128_load(Q + i);                                                              \
  yh = wasm_v128_load(Q + i + 8);                                                          \
  A0 = wasm_i32x4_add(A0, wasm_i32x4_add(wasm_i32x4_dot_i16x8(yl, x0l), wasm_i32x4_dot_i16x8(yh, x0h))); \
  A1 = wasm_i32x4_add(A1, wasm_i32x4_add(wasm_i32x4_dot_i16x8(yl, x1l), wasm_i32x4_dot_i16x8(yh, x1h)));
      ROW(q0, a00, a01)
      ROW(q1, a10, a11)
      ROW(q2, a20, a21)
      ROW(q3, a30, a31)
#undef ROW
    }
    const float s0 = passage_scales[p], s1 = passage_scales[p + 1];
    float s;
    s = (float)lanes_i32(a00) * query_scales[0] * s0; if (s > best[0]) best[0] = s;
    s = (float)lanes_i32(a01) * query_scales[0] * s1; if (s > best[0]) best[0] = s;
    s = (float)lanes_i32(a10) * query_scales[1] * s0; if (s > best[1]) best[1] = s;
    s = (float)lanes_i32(a11) * query_scales[1] * s1; if (s > best[1]) best[1] = s;
    s = (float)lanes_i32(a20) * query_scales[2] * s0; if (s > best[2]) best[2] = s;
    s = (float)lanes_i32(a21) * query_scales[2] * s1; if (s > best[2]) best[2] = s;
    s = (float)lanes_i32(a30) * query_scales[3] * s0; if (s > best[3]) best[3] = s;
    s = (float)lanes_i32(a31) * query_scales[3] * s1; if (s > best[3]) best[3] = s;
  }
  for (; p < np; p++) {
    const int8_t *p0 = passage + (uint64_t)p * dim;
    for (uint32_t q = 0; q < 4; q++) {
      const int16_t *row = query + q * dim;
      int32_t sum = 0;
      for (uint32_t i = 0; i < dim; i++) sum += (int32_t)row[i] * (int32_t)p0[i];
      float s = (float)sum * query_scales[q] * passage_scales[p];
      if (s > best[q]) best[q] = s;
    }
  }
}

EXPORT("maxsim_sum_i8")
double maxsim_sum_i8(const int16_t *query, const float *query_scales, uint32_t nq, const int8_t *passage,
                     const float *passage_scales, uint32_t np, uint32_t dim, float *best) {
  if (np == 0 || nq == 0) return 0.0;
  for (uint32_t q = 0; q < nq; q++) best[q] = -__builtin_inff();
  uint32_t q = 0;
  if ((dim & 15) == 0) {
    for (; q + 4 <= nq; q += 4) {
      tile_4_i8(query + (uint64_t)q * dim, query_scales + q, passage, passage_scales, np, dim, best + q);
    }
  }
  for (; q < nq; q++) {
    const int16_t *row = query + (uint64_t)q * dim;
    for (uint32_t p = 0; p < np; p++) {
      const int8_t *p0 = passage + (uint64_t)p * dim;
      int32_t sum = 0;
      for (uint32_t i = 0; i < dim; i++) sum += (int32_t)row[i] * (int32_t)p0[i];
      float s = (float)sum * query_scales[q] * passage_scales[p];
      if (s > best[q]) best[q] = s;
    }
  }
  double total = 0.0;
  for (uint32_t i = 0; i < nq; i++) total += best[i];
  return total;
}
