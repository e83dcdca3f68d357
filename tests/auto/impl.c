/* The implementation file of the automatic-mode tests (compiled with
   -finstrument-functions like the rest: the profiler must not record
   itself). */
#define THAG_AUTO_INSTRUMENT
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
