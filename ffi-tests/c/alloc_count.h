/*
 * alloc_count.h - a counting allocator for the RT allocation proofs, from C and from C++.
 *
 * Include it in exactly ONE source file of a test program (it DEFINES malloc and friends),
 * after test_util.h, and only on glibc (check __GLIBC__ first).
 *
 * How: the program defines malloc, calloc, realloc, reallocarray, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc. Symbols of the executable come first in the
 * dynamic linker's lookup order, so every allocator call of the process lands here: the
 * program's, librtlog.so's (Rust's System allocator calls malloc/calloc/realloc/free and
 * posix_memalign), libstdc++'s operator new/delete, and libc's own internal ones that go
 * through the public names. Each wrapper counts the call in a per-thread counter (thread-local
 * in the executable with the initial-exec model: static TLS, reading it never allocates) and
 * forwards to glibc's __libc_malloc family (no dlsym bootstrap needed).
 *
 * ac_thread_calls() gives the calling thread's count so far: read it right before and right
 * after the code under test. ac_total(kind) gives a kind's count over all threads.
 */
#ifndef RTLOG_ALLOC_COUNT_H
#define RTLOG_ALLOC_COUNT_H

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
#define AC_NOEXCEPT noexcept /* glibc declares the allocator functions noexcept in C++ */
#define AC_THREAD_LOCAL thread_local
extern "C" {
#else
#define AC_NOEXCEPT
#define AC_THREAD_LOCAL _Thread_local
#endif

extern void *__libc_malloc(size_t) AC_NOEXCEPT;
extern void *__libc_calloc(size_t, size_t) AC_NOEXCEPT;
extern void *__libc_realloc(void *, size_t) AC_NOEXCEPT;
extern void __libc_free(void *) AC_NOEXCEPT;
extern void *__libc_memalign(size_t, size_t) AC_NOEXCEPT;
extern void *__libc_valloc(size_t) AC_NOEXCEPT;
extern void *__libc_pvalloc(size_t) AC_NOEXCEPT;

/* Allocator calls made by this thread (initial-exec TLS of the executable: no allocation, no
 * lazy initialisation). */
static AC_THREAD_LOCAL uint64_t ac_tl_calls __attribute__((tls_model("initial-exec")));

/* Calls per function, all threads (for the report); updated with relaxed atomic adds. */
enum { AC_MALLOC, AC_CALLOC, AC_REALLOC, AC_FREE, AC_MEMALIGN, AC_KINDS };
static uint64_t ac_calls_of[AC_KINDS];

static inline void ac_note(int kind)
{
    ac_tl_calls++;
    __atomic_fetch_add(&ac_calls_of[kind], 1, __ATOMIC_RELAXED);
}

/* This thread's allocator calls so far. */
static inline uint64_t ac_thread_calls(void)
{
    return ac_tl_calls;
}

/* All threads' calls of one kind (AC_MALLOC ... AC_MEMALIGN). */
static inline uint64_t ac_total(int kind)
{
    return __atomic_load_n(&ac_calls_of[kind], __ATOMIC_RELAXED);
}

void *malloc(size_t n) AC_NOEXCEPT
{
    ac_note(AC_MALLOC);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size) AC_NOEXCEPT
{
    ac_note(AC_CALLOC);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) AC_NOEXCEPT
{
    ac_note(AC_REALLOC);
    return __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t size) AC_NOEXCEPT
{
    ac_note(AC_REALLOC);
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n * size);
}

void free(void *p) AC_NOEXCEPT
{
    ac_note(AC_FREE);
    __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n) AC_NOEXCEPT
{
    ac_note(AC_MEMALIGN);
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(align, n);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) AC_NOEXCEPT
{
    ac_note(AC_MEMALIGN);
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n) AC_NOEXCEPT
{
    ac_note(AC_MEMALIGN);
    return __libc_memalign(align, n);
}

void *valloc(size_t n) AC_NOEXCEPT
{
    ac_note(AC_MEMALIGN);
    return __libc_valloc(n);
}

void *pvalloc(size_t n) AC_NOEXCEPT
{
    ac_note(AC_MEMALIGN);
    return __libc_pvalloc(n);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RTLOG_ALLOC_COUNT_H */
