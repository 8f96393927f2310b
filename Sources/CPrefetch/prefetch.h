// A cache prefetch hint, which Swift has no spelling for: the offline analysis loop asks for the lines of the
// packets a few places ahead in a batch the reader thread filled on the other core (DecodedBatch.prefetch).
// A prefetch never faults: a stale or wrong address costs a wasted line fill, nothing more.
#ifndef FTPSCOPE_PREFETCH_H
#define FTPSCOPE_PREFETCH_H

static inline __attribute__((always_inline)) void ftpscope_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
