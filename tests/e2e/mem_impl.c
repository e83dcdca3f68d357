/* The implementation, alone in its file (used by mem_hazards.c). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
