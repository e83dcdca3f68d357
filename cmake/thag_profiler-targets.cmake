# thag_profiler's CMake targets, for the installed package
# (thag_profiler-config.cmake) and for the source tree (CMakeLists.txt):
#
#   thag_profiler::thag_profiler  the header; profiling off (the macros compile to nothing)
#                                 unless the build defines a switch itself
#   thag_profiler::time           + THAG_TIME_PROFILING, Threads::Threads
#   thag_profiler::full           + THAG_FULL_PROFILING, mimalloc, Threads::Threads
#
# The switch is a compile definition that the target passes on: every target
# whose sources include thag_profiler.h must link the same one.
#
# _thag_profiler_add_targets(<include dir> IMPORTED|LOCAL) defines them
# (IMPORTED: the installed package; LOCAL: add_subdirectory or FetchContent,
# plain INTERFACE libraries with the same names as aliases) and sets, in the
# caller's scope, _thag_profiler_stb_found and _thag_profiler_mimalloc_found.
# mimalloc: its own CMake package (Debian's libmimalloc-dev has one), else
# find_library; if neither finds it, thag_profiler::full links the name
# `mimalloc` (a target of that name defined later, e.g. by FetchContent, is
# then used; otherwise the linker's -lmimalloc).

function(_thag_profiler_add_targets include_dir how)
  # The header includes <stb/stb_sprintf.h> (Debian: libstb-dev).
  find_path(THAG_PROFILER_STB_INCLUDE_DIR stb/stb_sprintf.h
    DOC "thag_profiler: the directory that holds stb/stb_sprintf.h")
  if(THAG_PROFILER_STB_INCLUDE_DIR)
    set(_thag_profiler_stb_found TRUE PARENT_SCOPE)
  else()
    set(_thag_profiler_stb_found FALSE PARENT_SCOPE)
  endif()

  if(NOT TARGET mimalloc AND NOT TARGET thag_profiler::mimalloc)
    find_package(mimalloc CONFIG QUIET)
  endif()
  set(mi mimalloc)
  set(mi_found FALSE)
  if(TARGET mimalloc)
    set(mi_found TRUE)
  elseif(TARGET thag_profiler::mimalloc)
    set(mi thag_profiler::mimalloc)
    set(mi_found TRUE)
  else()
    find_library(THAG_PROFILER_MIMALLOC_LIBRARY mimalloc DOC "thag_profiler: libmimalloc")
    find_path(THAG_PROFILER_MIMALLOC_INCLUDE_DIR mimalloc.h DOC "thag_profiler: mimalloc.h")
    if(THAG_PROFILER_MIMALLOC_LIBRARY AND THAG_PROFILER_MIMALLOC_INCLUDE_DIR)
      add_library(thag_profiler::mimalloc UNKNOWN IMPORTED)
      set_target_properties(thag_profiler::mimalloc PROPERTIES
        IMPORTED_LOCATION "${THAG_PROFILER_MIMALLOC_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${THAG_PROFILER_MIMALLOC_INCLUDE_DIR}")
      set(mi thag_profiler::mimalloc)
      set(mi_found TRUE)
    endif()
  endif()
  set(_thag_profiler_mimalloc_found ${mi_found} PARENT_SCOPE)

  if(TARGET thag_profiler::thag_profiler)
    return() # a second find_package in a subdirectory
  endif()

  set(THREADS_PREFER_PTHREAD_FLAG ON) # -pthread where threads need a flag
  if(NOT TARGET Threads::Threads)
    find_package(Threads REQUIRED)
  endif()

  if(how STREQUAL "IMPORTED")
    add_library(thag_profiler::thag_profiler INTERFACE IMPORTED)
    add_library(thag_profiler::time INTERFACE IMPORTED)
    add_library(thag_profiler::full INTERFACE IMPORTED)
    set(base thag_profiler::thag_profiler)
    set(time thag_profiler::time)
    set(full thag_profiler::full)
    target_include_directories(${base} INTERFACE "${include_dir}")
  else()
    add_library(thag_profiler INTERFACE)
    add_library(thag_profiler_time INTERFACE)
    add_library(thag_profiler_full INTERFACE)
    add_library(thag_profiler::thag_profiler ALIAS thag_profiler)
    add_library(thag_profiler::time ALIAS thag_profiler_time)
    add_library(thag_profiler::full ALIAS thag_profiler_full)
    set(base thag_profiler)
    set(time thag_profiler_time)
    set(full thag_profiler_full)
    # SYSTEM, like an installed package's: the project's warning flags stay its own.
    target_include_directories(${base} SYSTEM INTERFACE "$<BUILD_INTERFACE:${include_dir}>")
  endif()
  if(THAG_PROFILER_STB_INCLUDE_DIR)
    target_include_directories(${base} SYSTEM INTERFACE "$<BUILD_INTERFACE:${THAG_PROFILER_STB_INCLUDE_DIR}>")
  endif()
  target_compile_definitions(${time} INTERFACE THAG_TIME_PROFILING)
  target_link_libraries(${time} INTERFACE ${base} Threads::Threads)
  target_compile_definitions(${full} INTERFACE THAG_FULL_PROFILING)
  target_link_libraries(${full} INTERFACE ${base} ${mi} Threads::Threads)
endfunction()
