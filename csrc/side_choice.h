/* Whether a kernel's split product pays on this machine: each call site
 * times its calls alone and with the shared helper thread (parallel.h) and
 * takes the faster.
 *
 * Whether a product split over two cores is faster than on one depends on
 * the machine, not only on its size: on the AMD EPYCs of these records a
 * fused block at batch 32 ran 1.4x faster with the helper, on an Intel
 * Xeon 1.1-1.6x slower (docs/PERFORMANCE.md); a busy machine changes it
 * again.  So a site keeps, per size class (the power of two of its
 * multiply-adds), an estimate of its time per multiply-add in either mode
 * and runs the lower, the helper only if at least 20% lower (it costs the
 * other core, and the calls after it pay for the memory it wrote, which
 * no call's own time shows); now and then a few calls try the other mode again, less
 * often each time the try loses (side_choice.c).  The results are the
 * same either way: the split never changes a sum.
 *
 *     static mmf_side_site site;                 one per call site
 *     mmf_side_call call = mmf_side_begin(&site, macs);
 *     ... post to call.side (NULL: run alone) ...
 *     mmf_side_end(&site, &call);                waits, releases, records
 */
#ifndef MMF_SIDE_CHOICE_H
#define MMF_SIDE_CHOICE_H

#include <stddef.h>

#include "parallel.h"
#include "threads.h"

/* Size classes: 2^16 multiply-adds (the smallest product split) up to the
 * unpacked kernel's 2^23 (gemm_small.inc), one class each. */
#define MMF_SIDE_CLASSES 8

typedef struct {
    /* femtoseconds per multiply-add, alone [0] and with the helper [1]
     * (0: not measured yet); the calls since the last try of the other
     * mode, the interval between tries (0: the first) and the mode of
     * the last try; per size class. */
    mmf_atomic64 fs_per_mac[MMF_SIDE_CLASSES][2];
    mmf_atomic64 since_try[MMF_SIDE_CLASSES], try_every[MMF_SIDE_CLASSES];
    mmf_atomic64 tried[MMF_SIDE_CLASSES];
} mmf_side_site;

typedef struct {
    mmf_side *side;          /* the helper for this call, or NULL: alone */
    double started, macs;
    int size_class;
} mmf_side_call;

/* The mode of every site, process-wide: by timing (the default), the
 * helper whenever mmf_side_acquire gives it, or never (tests, and users
 * who know their machine: makemore_fast.threads.ops_helper). */
enum { MMF_SIDE_TIMED = 0, MMF_SIDE_ALWAYS = 1, MMF_SIDE_NEVER = 2 };
void mmf_side_set_mode(int mode);
int mmf_side_get_mode(void);

/* A call that was not begun (a product too small or too large to split):
 * mmf_side_end takes it and records nothing. */
#define MMF_SIDE_UNTIMED ((mmf_side_call){NULL, 0.0, 0.0, 0})

/* Chooses the mode of a call of `macs` multiply-adds and, for the helper,
 * acquires it (mmf_side_acquire, untimed: which may still refuse). */
mmf_side_call mmf_side_begin(mmf_side_site *site, double macs);

/* Waits for the helper's jobs and releases it, and records the call's time
 * in the mode it ran in; a caller's jobs' memory must live until then. */
void mmf_side_end(mmf_side_site *site, mmf_side_call *call);

#endif
