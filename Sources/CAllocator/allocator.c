#include "CAllocator.h"

#include <stdlib.h>  // defines __GLIBC__ with glibc

#if defined(__GLIBC__)
#include <malloc.h>

int callocator_tune(int mmap_threshold, int arenas) {
    int threshold_set = mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    int arenas_set = mallopt(M_ARENA_MAX, arenas);
    return threshold_set == 1 && arenas_set == 1;
}
#else
int callocator_tune(int mmap_threshold, int arenas) {
    (void)mmap_threshold;
    (void)arenas;
    return 0;
}
#endif
