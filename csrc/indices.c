#include "kernels.h"

int64_t mmf_find_bad_index(const int64_t *idx, int64_t n, int64_t limit)
{
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= limit)
            return i;
    return -1;
}
