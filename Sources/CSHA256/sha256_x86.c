// SHA-256 block compression with the x86 SHA extensions (SHA-NI), for the ledger's hash chain: blocks of one
// message, and whole messages, one or two at a time (two side by side: see compress_blocks2).
//
// The instructions work on the state split as (A,B,E,F) and (C,D,G,H); sha256rnds2 does two rounds and returns
// the new (A,B,E,F), so the two registers swap roles every call. The message schedule is built four words at a
// time: W[t..t+3] = msg2(msg1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..t-1]).
#include "CSHA256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

int csha256_hardware_available(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx >> 9) & 1;
    int sse41 = (ecx >> 19) & 1;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    int sha = (ebx >> 29) & 1;
    return ssse3 && sse41 && sha;
}

static const uint32_t round_constants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define CSHA256_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#define CSHA256_INLINE static inline __attribute__((always_inline, target("sha,sse4.1,ssse3")))

// The state as the instructions hold it, (A,B,E,F) and (C,D,G,H), from the eight words a–h, and back.
CSHA256_INLINE void load_state(const uint32_t state[8], __m128i *abef, __m128i *cdgh) {
    __m128i low = _mm_loadu_si128((const __m128i *)&state[0]);   // lanes a b c d
    __m128i high = _mm_loadu_si128((const __m128i *)&state[4]);  // lanes e f g h
    low = _mm_shuffle_epi32(low, 0xB1);                          // b a d c
    high = _mm_shuffle_epi32(high, 0x1B);                        // h g f e
    *abef = _mm_alignr_epi8(low, high, 8);                       // f e b a
    *cdgh = _mm_blend_epi16(high, low, 0xF0);                    // h g d c
}

CSHA256_INLINE void store_state(uint32_t state[8], __m128i abef, __m128i cdgh) {
    __m128i low = _mm_shuffle_epi32(abef, 0x1B);                 // a b e f
    __m128i high = _mm_shuffle_epi32(cdgh, 0xB1);                // g h c d
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(low, high, 0xF0));  // a b c d
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(high, low, 8));     // e f g h
}

// Reverses the bytes of each 32-bit lane: the message words are big-endian.
#define CSHA256_BYTE_SWAP _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL)

// One block. Both loops unrolled in full, so that every w[] index is a constant and the schedule stays in registers.
CSHA256_INLINE void compress_block(__m128i *abef_io, __m128i *cdgh_io, const uint8_t *data) {
    const __m128i byte_swap = CSHA256_BYTE_SWAP;
    __m128i abef = *abef_io, cdgh = *cdgh_io;
    __m128i w[4];
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), byte_swap);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) {
        if (i >= 4) {
            // w[i % 4] holds W[4i-16 .. 4i-13]; it becomes W[4i .. 4i+3].
            __m128i next = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
            next = _mm_add_epi32(next, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
            w[i & 3] = _mm_sha256msg2_epu32(next, w[(i + 3) & 3]);
        }
        __m128i message = _mm_add_epi32(w[i & 3], _mm_load_si128((const __m128i *)&round_constants[4 * i]));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, message);   // now holds the new (A,B,E,F)
        message = _mm_shuffle_epi32(message, 0x0E);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, message);   // and back again
    }
    *abef_io = _mm_add_epi32(abef, *abef_io);
    *cdgh_io = _mm_add_epi32(cdgh, *cdgh_io);
}

// One block of each of two messages, their rounds interleaved: sha256rnds2 waits on the result of the one before
// it, so a single message leaves the unit idle between them, and the other message's rounds fill those gaps.
CSHA256_INLINE void compress_blocks2(__m128i *abef1_io, __m128i *cdgh1_io, const uint8_t *data1,
                                     __m128i *abef2_io, __m128i *cdgh2_io, const uint8_t *data2) {
    const __m128i byte_swap = CSHA256_BYTE_SWAP;
    __m128i abef1 = *abef1_io, cdgh1 = *cdgh1_io, abef2 = *abef2_io, cdgh2 = *cdgh2_io;
    __m128i w[4], v[4];
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data1 + 16 * i)), byte_swap);
        v[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data2 + 16 * i)), byte_swap);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) {
        if (i >= 4) {
            __m128i next = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
            next = _mm_add_epi32(next, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
            w[i & 3] = _mm_sha256msg2_epu32(next, w[(i + 3) & 3]);
            __m128i other = _mm_sha256msg1_epu32(v[i & 3], v[(i + 1) & 3]);
            other = _mm_add_epi32(other, _mm_alignr_epi8(v[(i + 3) & 3], v[(i + 2) & 3], 4));
            v[i & 3] = _mm_sha256msg2_epu32(other, v[(i + 3) & 3]);
        }
        const __m128i k = _mm_load_si128((const __m128i *)&round_constants[4 * i]);
        __m128i message1 = _mm_add_epi32(w[i & 3], k);
        __m128i message2 = _mm_add_epi32(v[i & 3], k);
        cdgh1 = _mm_sha256rnds2_epu32(cdgh1, abef1, message1);
        cdgh2 = _mm_sha256rnds2_epu32(cdgh2, abef2, message2);
        message1 = _mm_shuffle_epi32(message1, 0x0E);
        message2 = _mm_shuffle_epi32(message2, 0x0E);
        abef1 = _mm_sha256rnds2_epu32(abef1, cdgh1, message1);
        abef2 = _mm_sha256rnds2_epu32(abef2, cdgh2, message2);
    }
    *abef1_io = _mm_add_epi32(abef1, *abef1_io);
    *cdgh1_io = _mm_add_epi32(cdgh1, *cdgh1_io);
    *abef2_io = _mm_add_epi32(abef2, *abef2_io);
    *cdgh2_io = _mm_add_epi32(cdgh2, *cdgh2_io);
}

CSHA256_TARGET
void csha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks) {
    __m128i abef, cdgh;
    load_state(state, &abef, &cdgh);
    while (blocks > 0) {
        compress_block(&abef, &cdgh, data);
        data += 64;
        blocks -= 1;
    }
    store_state(state, abef, cdgh);
}

// The blocks of one whole message (two pieces hashed as if joined), padded, in at most four runs: the first
// piece's whole blocks, where they lie; the block across the two pieces, made in the reader's own room; the second
// piece's whole blocks after it, where they lie; the last one or two blocks, with the padding, made in its room.
// Everything is copied before the first block is compressed: a call to memcpy on the way would make the compiler
// keep the state in memory rather than in registers.
typedef struct {
    const uint8_t *runs[4];
    size_t run_blocks[4];
    int runs_count;
    uint8_t joined[64];
    uint8_t tail[128];
} block_reader;

// Copies `count` bytes (under 64), reading and writing none past them, in a few word-sized moves rather than a
// call: the block they end up in is read back at once, and a call would cost more than the copy.
CSHA256_INLINE void copy_short(uint8_t *destination, const uint8_t *source, size_t count) {
    if (count >= 16) {
        size_t offset = 0;
        for (; offset + 16 <= count; offset += 16) {
            _mm_storeu_si128((__m128i *)(destination + offset),
                             _mm_loadu_si128((const __m128i *)(source + offset)));
        }
        if (offset < count) {
            _mm_storeu_si128((__m128i *)(destination + count - 16),
                             _mm_loadu_si128((const __m128i *)(source + count - 16)));
        }
    } else if (count >= 8) {
        uint64_t low, high;
        memcpy(&low, source, 8);
        memcpy(&high, source + count - 8, 8);
        memcpy(destination, &low, 8);
        memcpy(destination + count - 8, &high, 8);
    } else if (count >= 4) {
        uint32_t low, high;
        memcpy(&low, source, 4);
        memcpy(&high, source + count - 4, 4);
        memcpy(destination, &low, 4);
        memcpy(destination + count - 4, &high, 4);
    } else if (count > 0) {
        destination[0] = source[0];
        destination[count / 2] = source[count / 2];
        destination[count - 1] = source[count - 1];
    }
}

CSHA256_INLINE void reader_start(block_reader *reader, const csha256_message *message) {
    const uint8_t *first = message->first, *second = message->second;
    size_t first_length = message->first_length, second_length = message->second_length;
    size_t length = first_length + second_length;
    size_t runs = 0;
    size_t whole = first_length / 64;
    size_t head = first_length % 64;  // the first piece's bytes after its whole blocks
    if (whole > 0) {
        reader->runs[runs] = first;
        reader->run_blocks[runs++] = whole;
        first += whole * 64;
    }
    if (head > 0 && head + second_length >= 64) {
        copy_short(reader->joined, first, head);
        copy_short(reader->joined + head, second, 64 - head);
        reader->runs[runs] = reader->joined;
        reader->run_blocks[runs++] = 1;
        second += 64 - head;
        second_length -= 64 - head;
        head = 0;
    }
    // What is left: `head` bytes of the first piece (then the second starts a block), or none.
    if (head == 0 && second_length >= 64) {
        reader->runs[runs] = second;
        reader->run_blocks[runs++] = second_length / 64;
        second += (second_length / 64) * 64;
        second_length %= 64;
    }
    size_t left = head + second_length;  // under 64
    size_t end = left < 56 ? 64 : 128;
    const __m128i zero = _mm_setzero_si128();
    __m128i *tail = (__m128i *)reader->tail;
    _mm_storeu_si128(tail + 0, zero);
    _mm_storeu_si128(tail + 1, zero);
    _mm_storeu_si128(tail + 2, zero);
    _mm_storeu_si128(tail + 3, zero);
    if (end == 128) {
        _mm_storeu_si128(tail + 4, zero);
        _mm_storeu_si128(tail + 5, zero);
        _mm_storeu_si128(tail + 6, zero);
        _mm_storeu_si128(tail + 7, zero);
    }
    copy_short(reader->tail, first, head);
    copy_short(reader->tail + head, second, second_length);
    reader->tail[left] = 0x80;
    uint64_t bits = (uint64_t)length * 8;
    bits = __builtin_bswap64(bits);
    memcpy(reader->tail + end - 8, &bits, 8);
    reader->runs[runs] = reader->tail;
    reader->run_blocks[runs++] = end / 64;
    reader->runs_count = (int)runs;
}

static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

CSHA256_TARGET
void csha256_digest_hardware(const csha256_message *message, uint32_t digest[8]) {
    block_reader reader;
    reader_start(&reader, message);
    __m128i abef, cdgh;
    load_state(initial_state, &abef, &cdgh);
    for (int run = 0; run < reader.runs_count; run++) {
        const uint8_t *block = reader.runs[run];
        for (size_t left = reader.run_blocks[run]; left > 0; left--, block += 64) {
            compress_block(&abef, &cdgh, block);
        }
    }
    store_state(digest, abef, cdgh);
}

CSHA256_TARGET
void csha256_digest2_hardware(const csha256_message *first, uint32_t first_digest[8],
                              const csha256_message *second, uint32_t second_digest[8]) {
    block_reader one, two;
    reader_start(&one, first);
    reader_start(&two, second);
    __m128i abef1, cdgh1, abef2, cdgh2;
    load_state(initial_state, &abef1, &cdgh1);
    load_state(initial_state, &abef2, &cdgh2);
    // Run by run: as many blocks side by side as both runs at hand still have, in a loop of its own.
    int run1 = 0, run2 = 0;
    const uint8_t *block1 = one.runs[0], *block2 = two.runs[0];
    size_t left1 = one.run_blocks[0], left2 = two.run_blocks[0];
    for (;;) {
        while (left1 == 0 && run1 < one.runs_count - 1) {
            run1 += 1;
            block1 = one.runs[run1];
            left1 = one.run_blocks[run1];
        }
        while (left2 == 0 && run2 < two.runs_count - 1) {
            run2 += 1;
            block2 = two.runs[run2];
            left2 = two.run_blocks[run2];
        }
        size_t both = left1 < left2 ? left1 : left2;
        if (both == 0) break;
        left1 -= both;
        left2 -= both;
        for (; both > 0; both--, block1 += 64, block2 += 64) {
            compress_blocks2(&abef1, &cdgh1, block1, &abef2, &cdgh2, block2);
        }
    }
    // What one message has left, on its own.
    for (;;) {
        for (; left1 > 0; left1--, block1 += 64) compress_block(&abef1, &cdgh1, block1);
        if (run1 >= one.runs_count - 1) break;
        run1 += 1;
        block1 = one.runs[run1];
        left1 = one.run_blocks[run1];
    }
    for (;;) {
        for (; left2 > 0; left2--, block2 += 64) compress_block(&abef2, &cdgh2, block2);
        if (run2 >= two.runs_count - 1) break;
        run2 += 1;
        block2 = two.runs[run2];
        left2 = two.run_blocks[run2];
    }
    store_state(first_digest, abef1, cdgh1);
    store_state(second_digest, abef2, cdgh2);
}

#else

int csha256_hardware_available(void) { return 0; }

void csha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state;
    (void)data;
    (void)blocks;
}

void csha256_digest_hardware(const csha256_message *message, uint32_t digest[8]) {
    (void)message;
    (void)digest;
}

void csha256_digest2_hardware(const csha256_message *first, uint32_t first_digest[8],
                              const csha256_message *second, uint32_t second_digest[8]) {
    (void)first;
    (void)first_digest;
    (void)second;
    (void)second_digest;
}

#endif
