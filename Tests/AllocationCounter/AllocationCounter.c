#include <stdlib.h>
#include "AllocationCounter.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define FTPSCOPE_SANITIZED 1
#endif
#endif

#if defined(__GLIBC__) && !defined(FTPSCOPE_SANITIZED)

// glibc's implementations under their internal names: the wrappers below count, then call these.
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

// Per thread: tests run in parallel, and a measurement must see only its own thread's allocations. The counter
// lives in the executable's static TLS block, so reading it never allocates.
static _Thread_local uint64_t allocations;

static inline void counted(void) { allocations += 1; }

void *malloc(size_t size) {
    counted();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    counted();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    counted();
    return __libc_realloc(pointer, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    counted();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    counted();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return 12;  // ENOMEM
    *result = pointer;
    return 0;
}

void free(void *pointer) { __libc_free(pointer); }

uint64_t ftpscope_allocation_count(void) { return allocations; }
int ftpscope_allocation_counting_available(void) { return 1; }

#else

uint64_t ftpscope_allocation_count(void) { return 0; }
int ftpscope_allocation_counting_available(void) { return 0; }

#endif
