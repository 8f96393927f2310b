// Counts heap allocations made by this process, for the tests that check the hot path allocates nothing per
// packet (issue 8). Counting works by defining malloc & co. in the test executable, which ELF symbol
// interposition makes every library use; each forwards to glibc's own implementation.
#pragma once
#include <stdint.h>

/// Allocations (malloc, calloc, realloc, aligned allocations) made so far by the calling thread.
uint64_t ftpscope_allocation_count(void);

/// 1 when counting works in this build: not under a sanitizer (which has its own allocator) and on glibc.
int ftpscope_allocation_counting_available(void);
