/*
 * A small C library for the ffi package tests. The tests build it with
 * gcc -shared -fPIC into a temporary directory. Every function exercises
 * one type or calling pattern: each integer width signed and unsigned,
 * float and double in every register position, pointer out-parameters,
 * string results, variadic arguments, callbacks and struct memory.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A global the tests read through FFI->symbol(). */
int32_t ffitest_counter = 42;

/* Identity functions: one per type. Narrow results test that the caller
   truncates the return register to the declared width. */
uint8_t id_u8(uint8_t x) { return x; }
int8_t id_s8(int8_t x) { return x; }
uint16_t id_u16(uint16_t x) { return x; }
int16_t id_s16(int16_t x) { return x; }
uint32_t id_u32(uint32_t x) { return x; }
int32_t id_s32(int32_t x) { return x; }
uint64_t id_u64(uint64_t x) { return x; }
int64_t id_s64(int64_t x) { return x; }
float id_float(float x) { return x; }
double id_double(double x) { return x; }
void *id_pointer(void *x) { return x; }

/* Returns the sum of all arguments widened to 64 bits, so each argument is
   read at its own width: a wrongly widened argument changes the sum. */
int64_t sum_ints(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e,
                 uint32_t f, int64_t g, uint64_t h) {
  return (int64_t)a + b + c + d + e + f + g + (int64_t)h;
}

/* Integers and floating-point values interleaved: they travel in separate
   register files. */
double mixed(int32_t a, double b, float c, int64_t d, double e) {
  return a + b + c + d + e;
}

/* More arguments than registers, so the last ones go on the stack. */
int64_t sum12(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5,
              int64_t a6, int64_t a7, int64_t a8, int64_t a9, int64_t a10,
              int64_t a11, int64_t a12) {
  return a1 + a2 * 2 + a3 * 3 + a4 * 4 + a5 * 5 + a6 * 6 + a7 * 7 + a8 * 8 +
         a9 * 9 + a10 * 10 + a11 * 11 + a12 * 12;
}

double sum10_doubles(double a1, double a2, double a3, double a4, double a5,
                     double a6, double a7, double a8, double a9, double a10) {
  return a1 + a2 * 2 + a3 * 3 + a4 * 4 + a5 * 5 + a6 * 6 + a7 * 7 + a8 * 8 +
         a9 * 9 + a10 * 10;
}

static int void_calls;
void touch(void) { void_calls++; }
int32_t touched(void) { return void_calls; }

/* Out-parameters: writes the quotient and remainder through pointers. */
int32_t divmod(int32_t a, int32_t b, int32_t *quotient, int32_t *remainder) {
  if (b == 0) return -1;
  *quotient = a / b;
  *remainder = a % b;
  return 0;
}

/* Out-parameter of pointer type: stores a malloc'd greeting. */
void make_greeting(const char *name, char **out) {
  size_t n = strlen(name) + 8;
  *out = malloc(n);
  snprintf(*out, n, "hello, %s", name);
}

/* A string result in static storage. */
const char *version_string(void) { return "ffitest 1.0"; }

/* A string result the caller frees with free_string, and a counter that
   shows whether it was called. */
static int freed_strings;
char *upper_copy(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(n + 1);
  for (size_t i = 0; i <= n; i++)
    out[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
  return out;
}
void free_string(char *s) {
  freed_strings++;
  free(s);
}
int32_t freed_string_count(void) { return freed_strings; }

/* Joins three strings into a new string the caller frees with
   free_string. Three string arguments of different lengths test where
   the caller keeps their temporary C copies. */
char *join3(const char *a, const char *b, const char *c) {
  size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
  char *out = malloc(na + nb + nc + 1);
  memcpy(out, a, na);
  memcpy(out + na, b, nb);
  memcpy(out + na + nb, c, nc + 1);
  return out;
}

/* NULL when asked to fail. */
void *maybe_null(int32_t fail) { return fail ? NULL : (void *)version_string(); }

/* Variadic: sums count int64 values. */
int64_t sum_varargs(int32_t count, ...) {
  va_list ap;
  int64_t total = 0;
  va_start(ap, count);
  for (int32_t i = 0; i < count; i++) total += va_arg(ap, int64_t);
  va_end(ap);
  return total;
}

/* Callbacks. */
typedef int32_t (*binary_op)(int32_t, int32_t);
int32_t apply(binary_op op, int32_t a, int32_t b) { return op(a, b); }

typedef void *(*pointer_op)(void *);
void *apply_pointer(pointer_op op, void *p) { return op(p); }

typedef int64_t (*mixed_op)(int8_t, double, uint16_t, float);
int64_t apply_mixed(mixed_op op) { return op(-3, 2.5, 65535, 0.25f); }

/* Calls op count times, summing the results. */
int64_t repeat(binary_op op, int32_t count) {
  int64_t total = 0;
  for (int32_t i = 0; i < count; i++) total += op(i, count);
  return total;
}

/* Structs, handled through memory: struct point is 16 bytes with padding
   after the int32. */
struct point {
  int32_t x;
  /* 4 bytes of padding */
  double y;
};
double point_sum(const struct point *p) { return p->x + p->y; }
void point_scale(struct point *p, int32_t factor) {
  p->x *= factor;
  p->y *= factor;
}

/* Calls op(1, 2) from a new thread and returns its result, for the check
   that callbacks reject calls from threads other than the caller's. */
#include <pthread.h>
struct thread_call {
  binary_op op;
  int32_t result;
};
static void *thread_main(void *arg) {
  struct thread_call *call = arg;
  call->result = call->op(1, 2);
  return NULL;
}
int32_t apply_in_thread(binary_op op) {
  struct thread_call call = {op, -1};
  pthread_t thread;
  if (pthread_create(&thread, NULL, thread_main, &call) != 0) return -2;
  pthread_join(thread, NULL);
  return call.result;
}
