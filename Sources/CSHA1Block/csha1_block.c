// SHA-1 of one padded block with the x86 SHA extensions, for CommunityID (Sources/CommunityID/SingleBlockSHA1.swift
// pads the message and falls back to its portable Swift compression when the CPU lacks them). Written from the
// instructions' definitions in the Intel SDM, volume 2 (SHA1RNDS4, SHA1NEXTE, SHA1MSG1, SHA1MSG2).
//
// Only the hashing function is compiled for the SHA extensions (a target attribute, not a flag for the whole
// file), so nothing else here can execute an instruction the CPU may lack.
#include "csha1_block.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

// 0: not asked yet; 1: no; 2: yes. Relaxed atomic loads and stores: every thread computes the same answer, so a race only
// repeats the CPUID query.
static int hardware_state = 0;

static int query_hardware(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const int sha = (ebx >> 29) & 1; // CPUID.(EAX=07H, ECX=0):EBX.SHA[bit 29]
    return ssse3 && sse41 && sha;
}

int csha1_hardware_available(void) {
    int state = __atomic_load_n(&hardware_state, __ATOMIC_RELAXED);
    if (state == 0) {
        state = query_hardware() ? 2 : 1;
        __atomic_store_n(&hardware_state, state, __ATOMIC_RELAXED);
    }
    return state == 2;
}

// Register layout the instructions use: the state a, b, c, d in one register with a in the highest 32 bits;
// e alone in the highest 32 bits of another; four schedule words W[t] ... W[t+3] per register, W[t] highest.
//
// SHA1RNDS4 (state, w, f) runs four steps with function and constant f (0: Ch, 1: Parity, 2: Maj, 3: Parity),
// taking e + W[t] from w's highest word and W[t+1 ... t+3] from the others. After four steps the next e is the
// first step's a rotated left by 30 (e <- d <- c <- ROTL30(b) <- a), which SHA1NEXTE (previous state, w) adds
// to w's highest word. SHA1MSG1 and SHA1MSG2 compute the schedule of section 6.1.2, step 1, four words at a
// time: for the group X[g] = W[4g ... 4g+3] (g >= 4),
//   X[g] = SHA1MSG2(SHA1MSG1(X[g-4], X[g-3]) ^ X[g-2], X[g-1]),
// MSG1 giving W[i] ^ W[i+2] for the four i of X[g-4], MSG2 xoring in W[i+13] (the last one W[i+16] of its own
// result) and rotating left by 1.
__attribute__((target("sha,sse4.1,ssse3")))
void csha1_hardware_single_block(const void *block, void *digest) {
    // Words are big-endian (section 3.1) and W[t] belongs in the highest lane: reversing all 16 bytes does both.
    const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    const uint8_t *bytes = (const uint8_t *)block;
    __m128i x0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 0)), reverse);
    __m128i x1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 16)), reverse);
    __m128i x2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 32)), reverse);
    __m128i x3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(bytes + 48)), reverse);

    // Section 5.3.1: the initial hash value, a highest.
    const __m128i initial_abcd = _mm_set_epi32(0x67452301, (int)0xEFCDAB89, (int)0x98BADCFE, 0x10325476);
    const __m128i initial_e = _mm_set_epi32((int)0xC3D2E1F0, 0, 0, 0);

    __m128i abcd = initial_abcd;
    __m128i previous; // the state before the last four steps, whose a gives the next e

    // Steps 0-3: e is the initial value, added to W[0] directly (the other lanes add zero).
    previous = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(initial_e, x0), 0);

// Four steps with function F on schedule group X; then the group four ahead replaces X0 (the oldest of the four
// held in x0 ... x3), so x0 ... x3 always hold the next four groups in rotation.
#define FOUR_STEPS(F, X)                                                                                       \
    do {                                                                                                       \
        const __m128i w = _mm_sha1nexte_epu32(previous, X);                                                    \
        previous = abcd;                                                                                       \
        abcd = _mm_sha1rnds4_epu32(abcd, w, F);                                                                \
    } while (0)
#define NEXT_GROUP(X0, X1, X2, X3) X0 = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(X0, X1), X2), X3)

    // Groups 1 ... 19 (steps 4 ... 79); group g >= 4 is computed into the register that held group g - 4.
    NEXT_GROUP(x0, x1, x2, x3); // X4
    FOUR_STEPS(0, x1);          // steps 4-7
    NEXT_GROUP(x1, x2, x3, x0); // X5
    FOUR_STEPS(0, x2);          // 8-11
    NEXT_GROUP(x2, x3, x0, x1); // X6
    FOUR_STEPS(0, x3);          // 12-15
    NEXT_GROUP(x3, x0, x1, x2); // X7
    FOUR_STEPS(0, x0);          // 16-19: X4
    NEXT_GROUP(x0, x1, x2, x3); // X8
    FOUR_STEPS(1, x1);          // 20-23: X5
    NEXT_GROUP(x1, x2, x3, x0); // X9
    FOUR_STEPS(1, x2);          // 24-27: X6
    NEXT_GROUP(x2, x3, x0, x1); // X10
    FOUR_STEPS(1, x3);          // 28-31: X7
    NEXT_GROUP(x3, x0, x1, x2); // X11
    FOUR_STEPS(1, x0);          // 32-35: X8
    NEXT_GROUP(x0, x1, x2, x3); // X12
    FOUR_STEPS(1, x1);          // 36-39: X9
    NEXT_GROUP(x1, x2, x3, x0); // X13
    FOUR_STEPS(2, x2);          // 40-43: X10
    NEXT_GROUP(x2, x3, x0, x1); // X14
    FOUR_STEPS(2, x3);          // 44-47: X11
    NEXT_GROUP(x3, x0, x1, x2); // X15
    FOUR_STEPS(2, x0);          // 48-51: X12
    NEXT_GROUP(x0, x1, x2, x3); // X16
    FOUR_STEPS(2, x1);          // 52-55: X13
    NEXT_GROUP(x1, x2, x3, x0); // X17
    FOUR_STEPS(2, x2);          // 56-59: X14
    NEXT_GROUP(x2, x3, x0, x1); // X18
    FOUR_STEPS(3, x3);          // 60-63: X15
    NEXT_GROUP(x3, x0, x1, x2); // X19
    FOUR_STEPS(3, x0);          // 64-67: X16
    FOUR_STEPS(3, x1);          // 68-71: X17
    FOUR_STEPS(3, x2);          // 72-75: X18
    FOUR_STEPS(3, x3);          // 76-79: X19
#undef FOUR_STEPS
#undef NEXT_GROUP

    // Step 4 of section 6.1.2 added to the initial value: e after step 79 is ROTL30 of a from before step 76,
    // which SHA1NEXTE adds to the initial e.
    const __m128i e = _mm_sha1nexte_epu32(previous, initial_e);
    abcd = _mm_add_epi32(abcd, initial_abcd);

    // The digest H0 ... H4, big-endian: reverse the bytes back; e's big-endian bytes end its reversed register.
    uint8_t out[32];
    _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(abcd, reverse));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(e, reverse));
    memcpy(digest, out, 20);
}

#else

int csha1_hardware_available(void) { return 0; }

void csha1_hardware_single_block(const void *block, void *digest) {
    (void)block;
    (void)digest;
    __builtin_trap(); // csha1_hardware_available() is 0 here: callers never reach this
}

#endif
