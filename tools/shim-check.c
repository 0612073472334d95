/* Runs parallel.h's API over the threads shim and checks it: the column
 * ranges cover [0, N) exactly once per call, every helper job runs exactly
 * once (on a helper of its own and on the shared one, awake and after it
 * has gone to sleep), the clock moves; and side_choice.h's: a call site
 * whose calls are three times slower in one mode runs nearly all of them
 * in the other.  Built and run by tools/check-portable.sh (natively,
 * and for Windows under Wine where Wine is installed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "parallel.h"
#include "side_choice.h"

enum { B = 1024, N = 1000, CALLS = 50, JOBS = 1000, SIDES = 20, HOLDS = 6, CHOICES = 3000 };

static int hits[N];
static int job_runs[JOBS];

static void columns(void *ctx, int begin, int end)
{
    (void)ctx;
    for (int j = begin; j < end; j++)
        hits[j]++;
}

static void job(void *arg)
{
    job_runs[(intptr_t)arg]++;
}

static void spin(double seconds)
{
    for (double t = mmf_seconds(); mmf_seconds() < t + seconds;)
        ;
}

static int choice_runs;

static void choice_job(void *arg)
{
    (void)arg;
    choice_runs++;
}

/* The share of CHOICES calls that site ran with the helper when a call
 * takes alone_s seconds alone and helper_s with it. */
static double helper_share(mmf_side_site *site, double alone_s, double helper_s)
{
    int with_helper = 0;
    for (int c = 0; c < CHOICES; c++) {
        mmf_side_call call = mmf_side_begin(site, 1e5);
        mmf_side_post(call.side, choice_job, NULL);
        spin(call.side ? helper_s : alone_s);
        with_helper += call.side != NULL;
        mmf_side_end(site, &call);
    }
    return (double)with_helper / CHOICES;
}

int main(void)
{
    int bad = 0;
    printf("CPUs: %d\n", mmf_get_num_threads());
    mmf_set_num_threads(4);
    double t0 = mmf_seconds();
    for (int call = 0; call < CALLS; call++)
        mmf_parallel_columns(B, N, columns, NULL);
    for (int j = 0; j < N; j++)
        bad += hits[j] != CALLS;
    for (int s = 0; s < SIDES; s++) {
        mmf_side *side = mmf_side_start(3);
        if (s == 0)
            printf("helper thread: %s\n", side ? "started" : "none");
        for (intptr_t i = 0; i < JOBS; i++)
            mmf_side_post(side, job, (void *)i);
        mmf_side_wait(side);
        mmf_side_stop(side);
    }
    for (int h = 0; h < HOLDS; h++) {
        mmf_side *side = mmf_side_acquire(h % 2);
        if (h == 0)
            printf("shared helper: %s\n", side ? "held" : "none");
        for (intptr_t i = 0; i < JOBS; i++)
            mmf_side_post(side, job, (void *)i);
        mmf_side_release(side);
        for (double t = mmf_seconds(); h == 2 && mmf_seconds() < t + 0.02;)
            ;                                    /* long enough for it to sleep */
    }
    for (int i = 0; i < JOBS; i++)
        bad += job_runs[i] != SIDES + HOLDS;
    static mmf_side_site slow_helper, fast_helper;
    double slow = helper_share(&slow_helper, 10e-6, 30e-6);
    double fast = helper_share(&fast_helper, 30e-6, 10e-6);
    printf("side_choice: %.1f%% of calls with a slower helper, %.1f%% with a faster one\n",
           100 * slow, 100 * fast);
    bad += slow > 0.05 || fast < 0.25 || choice_runs != 2 * CHOICES;
    double t1 = mmf_seconds();
    bad += !(t1 > t0);
    printf("%s: %d wrong counts or clock readings\n", bad ? "FAIL" : "ok", bad);
    return bad != 0;
}
