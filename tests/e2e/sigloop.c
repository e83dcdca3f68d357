/* A loop that runs until a signal stops it (tests/run_signals.sh): with
   THAG_SIGNALS the profile is written and the process dies by the signal.
   "own" installs a SIGINT handler of the program's after the start, which
   must keep working: the loop ends and main returns 0. It writes "ready"
   to stdout once the loop has run. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static volatile unsigned sink;

static void on_int(int sig) { (void)sig; stop = 1; }

static void step(unsigned i) {
    THAG_PROFILE(step);
    sink += i;
    usleep(1000);
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(yes);
    unsigned i;
    if (argc > 1 && strcmp(argv[1], "own") == 0) signal(SIGINT, on_int);
    for (i = 0; !stop; i++) {
        step(i);
        if (i == 3) { printf("ready\n"); fflush(stdout); }
    }
    printf("stopped by its own handler\n");
    return 0;
}
