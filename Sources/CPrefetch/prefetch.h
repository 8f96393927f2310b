// A cache prefetch hint, which Swift has no spelling for: the offline analysis loop asks for the lines of the
// packets a few places ahead in a batch the reader thread filled on the other core (DecodedBatch.prefetch).
// A prefetch never faults: a stale or wrong address costs a wasted line fill, nothing more.
#ifndef FTPSCOPE_PREFETCH_H
#define FTPSCOPE_PREFETCH_H

static inline __attribute__((always_inline)) void ftpscope_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

// For writing (the line is fetched for ownership): the held-row store asks for the lines its next row will be
// copied to (HeldRowStore.store).
static inline __attribute__((always_inline)) void ftpscope_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
