/* A call site's choice between running alone and with the shared helper
 * (side_choice.h).
 *
 * Per size class: the mode with the lower estimate runs (the helper only
 * if its estimate is at most GAIN_NEEDED of the other; an unmeasured mode
 * first); after try_every calls, TRY_CALLS calls run the other mode.  A
 * try after which the other mode wins sets try_every back to TRY_EVERY_MIN
 * (the new loser is tried again soon, so a fluke undoes itself); one that
 * loses doubles it, up to TRY_EVERY_MAX: a helper that never pays costs TRY_CALLS slower
 * calls in about a thousand.  Each call's time moves its mode's estimate a
 * SMOOTHING-th of the way, by at most its double (a call that lost its
 * core for a while must not flip the choice alone).  A try of the helper
 * after a long time alone finds it asleep: its first calls run alone and
 * wake it (parallel.c), which is why a try is several calls.
 *
 * Concurrent callers race on these counters: atomics keep each value
 * whole, and a lost update only blurs an estimate.
 */
#include "side_choice.h"

#include <stddef.h>
#include <stdint.h>

/* The helper's estimate must be this fraction of the alone one or less:
 * the memory the helper writes is then in the other core's cache, and the
 * caller's next calls pay for fetching it (a split's cost that its own
 * call does not see: docs/performance/2026-12-04-intel-xeon.md). */
#define GAIN_NEEDED 0.80
#define TRY_CALLS 6
#define TRY_EVERY_MIN 16
#define TRY_EVERY_MAX 1024
#define SMOOTHING 4

static mmf_atomic_int fixed_mode;        /* MMF_SIDE_TIMED unless set */

void mmf_side_set_mode(int mode)
{
    mmf_atomic_int_store(&fixed_mode, mode);
}

int mmf_side_get_mode(void)
{
    return mmf_atomic_int_load(&fixed_mode);
}

static int size_class(double macs)
{
    int c = 0;
    for (double top = 1 << 17; c < MMF_SIDE_CLASSES - 1 && macs >= top; top *= 2)
        c++;
    return c;
}

/* The mode with the lower estimate: 1 for the helper, 0 alone, an
 * unmeasured one first (alone before the helper). */
static int best_mode(mmf_atomic64 *fs)
{
    int64_t alone = mmf_atomic64_load(&fs[0]), helper = mmf_atomic64_load(&fs[1]);
    if (!alone || !helper)
        return alone != 0;
    return (double)helper < GAIN_NEEDED * (double)alone;
}

mmf_side_call mmf_side_begin(mmf_side_site *site, double macs)
{
    mmf_side_call call = {NULL, mmf_seconds(), macs, size_class(macs)};
    int fixed = mmf_side_get_mode();
    if (fixed != MMF_SIDE_TIMED) {
        call.macs = 0.0;                              /* not recorded */
        call.side = fixed == MMF_SIDE_ALWAYS ? mmf_side_acquire(0) : NULL;
        return call;
    }
    int c = call.size_class;
    int64_t since = mmf_atomic64_load(&site->since_try[c]) + 1;
    int64_t every = mmf_atomic64_load(&site->try_every[c]);
    if (!every)
        every = TRY_EVERY_MIN;
    int mode = best_mode(site->fs_per_mac[c]);
    if (since > every + TRY_CALLS) {                /* the try is over: judge it */
        int won = mode == mmf_atomic64_load(&site->tried[c]);
        every = won ? TRY_EVERY_MIN : every * 2 > TRY_EVERY_MAX ? TRY_EVERY_MAX : every * 2;
        mmf_atomic64_store(&site->try_every[c], every);
        since = 1;
    } else if (since > every) {                     /* trying the other mode */
        if (since == every + 1)
            mmf_atomic64_store(&site->tried[c], !mode);
        mode = (int)mmf_atomic64_load(&site->tried[c]);
    }
    mmf_atomic64_store(&site->since_try[c], since);
    if (mode)
        call.side = mmf_side_acquire(0);
    return call;
}

void mmf_side_end(mmf_side_site *site, mmf_side_call *call)
{
    int mode = call->side != NULL;
    mmf_side_release(call->side);
    double seconds = mmf_seconds() - call->started;
    if (call->macs <= 0 || seconds <= 0)              /* a fixed mode's call */
        return;
    double t = seconds * 1e15 / call->macs;           /* femtoseconds per multiply-add */
    mmf_atomic64 *fs = &site->fs_per_mac[call->size_class][mode];
    double old = (double)mmf_atomic64_load(fs);
    double next = old ? old + ((t < 2 * old ? t : 2 * old) - old) / SMOOTHING : t;
    mmf_atomic64_store(fs, next >= 1 ? (int64_t)next : 1);
}
