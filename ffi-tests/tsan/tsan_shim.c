/*
 * tsan_shim.c - linked into the ThreadSanitizer builds of the C tests.
 *
 * A librtlog.so built with nightly rustc's -Zsanitizer=thread (RTLOG_TSAN_RUST=ON) calls
 * __tsan_memcpy, __tsan_memmove and __tsan_memset, which newer TSan runtimes provide and
 * GCC 12's libtsan does not. These forward to the C functions, which libtsan intercepts and
 * checks as the same accesses. Unused (and harmless) with the uninstrumented library.
 */
#include <string.h>

void *__tsan_memcpy(void *dst, const void *src, size_t n);
void *__tsan_memmove(void *dst, const void *src, size_t n);
void *__tsan_memset(void *dst, int c, size_t n);

void *__tsan_memcpy(void *dst, const void *src, size_t n)
{
    return memcpy(dst, src, n);
}

void *__tsan_memmove(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

void *__tsan_memset(void *dst, int c, size_t n)
{
    return memset(dst, c, n);
}
