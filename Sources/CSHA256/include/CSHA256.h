#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has the SHA extensions (and the SSSE3 and SSE4.1 they are used with).
int csha256_hardware_available(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at `data`, updating `state`
/// (the eight working words a–h in order). Only call it when csha256_hardware_available() returned 1.
void csha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks);

/// A whole message, given as two pieces hashed as if joined (either may be empty; a null piece must be empty).
typedef struct {
    const uint8_t *first;
    size_t first_length;
    const uint8_t *second;
    size_t second_length;
} csha256_message;

/// The SHA-256 digest of `message` as eight words (the final state a–h), padding included. Only call it when
/// csha256_hardware_available() returned 1.
void csha256_digest_hardware(const csha256_message *message, uint32_t digest[8]);

/// The digests of two messages at once, their blocks compressed side by side (about 1.5 times the speed of one
/// after the other on processors whose SHA rounds wait on each other). Only call it when
/// csha256_hardware_available() returned 1.
void csha256_digest2_hardware(const csha256_message *first, uint32_t first_digest[8],
                              const csha256_message *second, uint32_t second_digest[8]);

/// Asks for the cache line at `address` to be loaded ahead of its use, without waiting for it (a hint: it
/// changes no result). For the hash tables read beside the hashing, whose probes land anywhere in memory.
static inline void csha256_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
