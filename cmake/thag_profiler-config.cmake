# find_package(thag_profiler [0.1] CONFIG [REQUIRED] [COMPONENTS time full])
# Imported targets (see thag_profiler-targets.cmake):
#   thag_profiler::time  thag_profiler::full  thag_profiler::thag_profiler
# Component `full` is found when mimalloc is.
get_filename_component(_thag_profiler_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
include("${CMAKE_CURRENT_LIST_DIR}/thag_profiler-targets.cmake")
_thag_profiler_add_targets("${_thag_profiler_prefix}/include" IMPORTED)
unset(_thag_profiler_prefix)

set(thag_profiler_time_FOUND TRUE)
set(thag_profiler_full_FOUND ${_thag_profiler_mimalloc_found})
if(NOT _thag_profiler_stb_found)
  set(thag_profiler_FOUND FALSE)
  set(thag_profiler_NOT_FOUND_MESSAGE
    "thag_profiler.h includes <stb/stb_sprintf.h>, which was not found (Debian: apt install libstb-dev; or set THAG_PROFILER_STB_INCLUDE_DIR)")
endif()
foreach(_thag_profiler_c IN LISTS thag_profiler_FIND_COMPONENTS)
  if(thag_profiler_FIND_REQUIRED_${_thag_profiler_c} AND NOT thag_profiler_${_thag_profiler_c}_FOUND)
    set(thag_profiler_FOUND FALSE)
    if(_thag_profiler_c STREQUAL "full")
      set(thag_profiler_NOT_FOUND_MESSAGE
        "thag_profiler component full needs mimalloc, not found (Debian: apt install libmimalloc-dev; or set mimalloc_DIR or THAG_PROFILER_MIMALLOC_LIBRARY)")
    else()
      set(thag_profiler_NOT_FOUND_MESSAGE "no component ${_thag_profiler_c} (components: time, full)")
    endif()
  endif()
endforeach()
unset(_thag_profiler_c)
unset(_thag_profiler_stb_found)
unset(_thag_profiler_mimalloc_found)
