/* The one extra file of an automatically instrumented build: the profiler's
   implementation, with the -finstrument-functions hooks. */
#define THAG_AUTO_INSTRUMENT
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
