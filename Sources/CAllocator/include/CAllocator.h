#ifndef CALLOCATOR_H
#define CALLOCATOR_H

/// Sets the C allocator's threshold above which a block is mapped on its own (and unmapped when freed), which
/// also stops glibc raising it as blocks are freed, and the most arenas it makes. Returns 1 when both were set,
/// 0 otherwise (an allocator without these settings is left as it is).
int callocator_tune(int mmap_threshold, int arenas);

#endif
