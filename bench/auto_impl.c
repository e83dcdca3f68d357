/* bench/auto: the thag_profiler implementation in automatic mode,
   profiling without THAG_PROFILER (THAG_AUTO_OPTION=yes). */
#define THAG_AUTO_INSTRUMENT
#define THAG_AUTO_OPTION yes
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
