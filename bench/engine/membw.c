// The machine's memory read bandwidth: every thread streams its slice of a buffer far larger than
// the caches, summing 64-byte lines with AVX2 loads (the data is touched first so that pages are
// resident). Prints the best of several passes in GB/s (1e9 bytes per second) on stdout.
//
//   cc -O2 -mavx2 -pthread membw.c -o membw && ./membw BYTES THREADS PASSES
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const uint8_t* begin;
  size_t bytes;
  uint64_t sum;  // kept so the loads cannot be optimised away
} Slice;

static void* read_slice(void* arg) {
  Slice* s = (Slice*)arg;
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  for (size_t i = 0; i + 64 <= s->bytes; i += 64) {
    acc0 = _mm256_add_epi64(acc0, _mm256_load_si256((const __m256i*)(s->begin + i)));
    acc1 = _mm256_add_epi64(acc1, _mm256_load_si256((const __m256i*)(s->begin + i + 32)));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i*)lanes, _mm256_add_epi64(acc0, acc1));
  s->sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: membw BYTES THREADS PASSES\n");
    return 2;
  }
  const size_t bytes = strtoull(argv[1], NULL, 10) / 4096 * 4096;
  const int threads = atoi(argv[2]), passes = atoi(argv[3]);
  if (bytes == 0 || threads < 1 || threads > 1024 || passes < 1) {
    fprintf(stderr, "membw: BYTES must be >= 4096, THREADS in 1..1024, PASSES >= 1\n");
    return 2;
  }
  uint8_t* buffer = aligned_alloc(4096, bytes);
  if (!buffer) {
    fprintf(stderr, "membw: cannot allocate %zu bytes\n", bytes);
    return 1;
  }
  for (size_t i = 0; i < bytes; ++i) buffer[i] = (uint8_t)i;
  pthread_t* ids = calloc((size_t)threads, sizeof(pthread_t));
  Slice* slices = calloc((size_t)threads, sizeof(Slice));
  const size_t per = bytes / (size_t)threads / 64 * 64;
  double best = 0;
  uint64_t check = 0;
  for (int p = 0; p < passes; ++p) {
    const double t0 = now();
    for (int t = 0; t < threads; ++t) {
      slices[t] = (Slice){buffer + (size_t)t * per, per, 0};
      pthread_create(&ids[t], NULL, read_slice, &slices[t]);
    }
    for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL), check += slices[t].sum;
    const double gbs = (double)per * threads / (now() - t0) / 1e9;
    if (gbs > best) best = gbs;
  }
  printf("%.3f\n", best);
  fprintf(stderr, "membw: %zu MB, %d threads, best of %d passes (checksum %llu)\n", bytes >> 20, threads,
          passes, (unsigned long long)check);
  free(slices);
  free(ids);
  free(buffer);
  return 0;
}
