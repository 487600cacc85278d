#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has the SHA extensions (and the SSSE3 and SSE4.1 they are used with).
int csha256_hardware_available(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at `data`, updating `state`
/// (the eight working words a–h in order). Only call it when csha256_hardware_available() returned 1.
void csha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
