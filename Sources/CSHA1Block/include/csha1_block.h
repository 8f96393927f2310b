#ifndef FTPSCOPE_CSHA1_BLOCK_H
#define FTPSCOPE_CSHA1_BLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU has the x86 SHA extensions (and the SSSE3 and SSE4.1 the hardware path also uses), else 0;
/// always 0 on other architectures. The CPUID query runs once; later calls read a cached answer.
int csha1_hardware_available(void);

/// One SHA-1 compression (FIPS 180-4, section 6.1.2) of the already padded 64-byte `block`, starting from the
/// initial hash value (section 5.3.1); writes the 20-byte digest, big-endian, to `digest` (which may be `block`).
/// Only call it when `csha1_hardware_available()` returned 1: it executes SHA instructions unconditionally.
void csha1_hardware_single_block(const void *block, void *digest);

#ifdef __cplusplus
}
#endif

#endif
