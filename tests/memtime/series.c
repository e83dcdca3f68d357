/* Memory over time, bounded: 4000 rounds that keep 1 KiB each and make a
   96 KiB block that lives until the next round's (every round publishes
   the live bytes twice: far more candidate points than the series keeps).
   The peak is the last round's: 4000 KiB kept + 96 KiB. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>

#define ROUNDS 4000
static void *kept[ROUNDS];

__attribute__((noinline)) static void keep(int i) { THAG_PROFILE(keep); kept[i] = malloc(1024); }
__attribute__((noinline)) static void *spike(void) { THAG_PROFILE(spike); return malloc(96 * 1024); }

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    void *s = NULL;
    int i;
    for (i = 0; i < ROUNDS; i++) {
        keep(i);
        free(s);
        s = spike();
    }
    free(s);
    for (i = 0; i < ROUNDS; i++) free(kept[i]);
    return 0;
}
