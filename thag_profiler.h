/* thag_profiler.h - v0.1.0 - time and memory profiling for C, one header.
   SPDX-License-Identifier: MIT OR Apache-2.0

   A C port of the ideas of the Rust crate thag_profiler: mark functions and
   sections, run, and get folded stack files that every flamegraph tool reads.

   USAGE

   Do this:
       #define THAG_PROFILER_IMPLEMENTATION
   in *one* C or C++ file before you include this file, so:
       #define THAG_PROFILER_IMPLEMENTATION
       #include "thag_profiler.h"
   Every other file just includes it. Then build the whole program with one
   of the build switches below and `-pthread`:

       cc -O2 -DTHAG_TIME_PROFILING -pthread main.c other.c -o prog

   In the code:

       #include "thag_profiler.h"
       static void parse(void) {
           THAG_PROFILE(parse);               // first statement: profiles until return
           THAG_SECTION(tokenise);            // a named section ...
           ...
           THAG_END(tokenise);                // ... ended here (or at scope exit)
       }
       int main(void) {
           THAG_ENABLE_PROFILING(yes);        // first statement of main: main is the root
           parse();
           return 0;                          // output is written here (or at exit())
       }

   Running it writes prog-<yyyymmdd>-<HHMMSS>.folded (and friends, see
   OUTPUT) in the current directory: `main;parse;tokenise 1234567`.

   BUILD SWITCHES (define for the WHOLE build, the same in every translation
   unit, on the compiler command line)

   THAG_TIME_PROFILING   time profiling.
   THAG_FULL_PROFILING   time and memory profiling. The implementation file
                         then defines malloc, free, calloc, realloc,
                         reallocarray, posix_memalign, aligned_alloc,
                         memalign, valloc, pvalloc, malloc_usable_size and
                         C++ operator new/delete, all served by mimalloc:
                         link with -lmimalloc -pthread (Debian
                         libmimalloc-dev). Allocations made by libraries
                         (strdup, qsort, C++ containers) are seen too.
   Neither defined       every macro expands to code-free C: ((void)0)-like
                         expressions that name their arguments only inside
                         sizeof (so a handle used only by the macros is not
                         "unused"), and for the macros that declare a guard
                         (THAG_PROFILE, THAG_SECTION, THAG_ENABLE_PROFILING,
                         THAG_TASK_RESUME) an unused typedef, a declaration
                         like their enabled twins. The functions become
                         inline no-ops, the implementation compiles to nothing,
                         and no symbol of this library is referenced: a
                         function's object code is identical with and without
                         the macros (tests/run_modes.sh checks the
                         disassembly).
   The VALUE matters, unlike Tracy's TRACY_ENABLE: `-DTHAG_TIME_PROFILING` or
   `=1` enables, `=0` disables, as you would expect.

   THE IMPLEMENTATION FILE needs POSIX and GNU declarations. Include this
   header there before any system header (it then defines _GNU_SOURCE for
   its own includes, and undefines it again at its end with every macro
   glibc derived from it, so the rest of the file sees its own feature-test
   macros), or define THAG_PROFILER_IMPLEMENTATION in a file of its own.
   Under -std=gnuNN any order works; under -std=cNN after a system header an
   #error says what to do. In other files the header includes no system
   header: it changes none of the file's feature-test macros, which may
   still be defined after the include.

   WARNINGS. The header adds no warning, in the implementation file or in
   user files, in every mode (off, time, full, THAG_PROFILER_STATIC,
   THAG_AUTO_INSTRUMENT), with GCC and Clang, as -std=c99/c11/c17/c2x and
   gnu99/gnu11/gnu17/gnu2x and as C++11/14/17/20, under -Wall -Wextra
   -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wredundant-decls
   -Wnested-externs -Wdeclaration-after-statement -Wstrict-prototypes
   -Wmissing-prototypes -Wundef -Wcast-qual -Wcast-align -Wswitch-enum
   -Wformat=2 -Wwrite-strings -Wvla -Wc++-compat -Werror (C++: without the
   C-only ones, with -Wold-style-cast -Wzero-as-null-pointer-constant
   -Wuseless-cast), tests/strict checks it. stb_sprintf is found at
   <stb/stb_sprintf.h> (Debian libstb-dev), else <stb_sprintf.h> (vcpkg,
   Conan), or where THAG_STB_SPRINTF_H says (implementation file only:
   -DTHAG_STB_SPRINTF_H='"path/stb_sprintf.h"').

   Options for the implementation file only (define before the include):
   THAG_PROFILER_STATIC  make the public functions static (one-file programs).
   THAG_AUTO_INSTRUMENT  automatic mode: the implementation defines the
                         -finstrument-functions hooks __cyg_profile_func_enter
                         and __cyg_profile_func_exit. Build every file with
                         -finstrument-functions and the build switch, add one
                         file holding the implementation:
                             #define THAG_AUTO_INSTRUMENT
                             #define THAG_PROFILER_IMPLEMENTATION
                             #include "thag_profiler.h"
                         and every function is a frame, with no source change.
                         The first hooked call configures the profiler as
                         THAG_ENABLE_PROFILING(THAG_AUTO_OPTION) would; main
                         (the first hooked function) is the root. Functions
                         are named at output time from the program's and the
                         libraries' ELF symbol tables (static functions too;
                         no -g or -rdynamic needed; a stripped object gives
                         <file>+0x<offset> frames). Functions run before main
                         (constructors) are root frames of their own. Exclude
                         files with -finstrument-functions-exclude-file-list=
                         (GCC) or by building them without
                         -finstrument-functions. Do not also use THAG_PROFILE
                         or THAG_ENABLE_PROFILING (doubled frames);
                         THAG_SECTION works. See docs/auto.md, "Profiling a
                         whole program without editing it".
   THAG_AUTO_OPTION      the option of automatic mode, a THAG_ENABLE_PROFILING
                         word: runtime (default: THAG_PROFILER decides, no
                         profiling when it is unset, as thag-instrument's
                         default), yes, time, no, ...
                         -DTHAG_AUTO_OPTION=yes profiles every run.

   MACROS

   THAG_PROFILE(fn)          First statement of a function. Profiles the
                             function until it returns (GCC/Clang cleanup
                             attribute). `fn` is an identifier, the frame name.
   THAG_PROFILE(fn, kind)    Accepted so that code written for the Rust
                             original's #[profiled(time|mem_summary|
                             mem_detail|both)] compiles; the kind is ignored:
                             every profiled scope is a frame of both the time
                             and the memory profiles, and what is recorded
                             is chosen for the whole run (THAG_PROFILER).
   THAG_PROFILE_FUNC()       First statement of a function: THAG_PROFILE with
                             the frame named after the enclosing function
                             (__func__), as Tracy's ZoneScoped; nothing to
                             keep in step when the function is renamed.
   THAG_SECTION(name)        Opens a section named `name` (an identifier) that
                             lasts until THAG_END(name) or the end of the
                             enclosing scope, whichever comes first. Sections
                             nest, may overlap (end in any order: each gets its
                             own time), and a name may be reused in another
                             scope. Reusing a name in the same scope needs a new
                             block: the section is a local variable (in a
                             block nested in the first one's scope it
                             shadows it, and -Wshadow says so).
   THAG_SECTION_NAMED(id, "text")   A section whose frame name is any string.
   THAG_END(name)            Ends section `name`. Ending it twice is harmless.
   THAG_ENABLE_PROFILING(opt)  First statement of main. opt is a bare word:
                             yes      the build's default (time; both with FULL)
                             time     time profiling
                             memory   memory profiling (FULL build)
                             both     time and memory
                             no       compiled in but off (thag_enable_profiling
                                      can still turn it on)
                             runtime  type and settings from THAG_PROFILER; no
                                      profiling when it is unset.
                             main becomes the root of every stack of the main
                             thread; the output is written when main returns,
                             or at exit() from anywhere, exactly once.

   FUNCTIONS (safe from any thread)

   thag_result thag_enable_profiling(int on, thag_profile_type type)
       Turns profiling on (type THAG_TYPE_TIME, _MEMORY, _BOTH) or off (on=0).
       Scopes entered while off are not recorded; scopes open when profiling
       is turned off still end normally.
   thag_result thag_flush(void)
       Writes the output files now (a snapshot: the calling thread's open
       scopes are counted up to now; the final write replaces the files).
       Not async-signal-safe: do not call it from a signal handler (the
       signals of THAG_SIGNALS write the profile the safe way).
   int thag_is_profiling_enabled(void)
   void thag_set_thread_name(const char *name)
       Names the calling thread's root frame (default: the name given with
       pthread_setname_np, else thread-N in order of first use).
   const char *thag_result_string(thag_result r)

   ASYNC (fibers and tasks; docs/async.md has the whole story)

   Threads need nothing. Coroutines that switch machine stacks (ucontext,
   hand-rolled or library coroutines) tell the profiler at every switch:
   each fiber then keeps its own scope stack, rooted where the thread's own
   stack was when it first ran (`main;run;producer;produce`), time while it
   is suspended is not charged to it, and memory goes to its scopes. Event
   loops (libuv, libevent, epoll) use tasks: a task is one logical unit of
   work (a request, a connection) whose callbacks appear under it
   (`main;uv_run;conn;on_read;parse`). Handles are thag_fiber / thag_task
   (uint64_t, 0 = none), declared in every mode; a stale handle (ended, or
   ended twice) is ignored by every call. Compiled out, THAG_FIBER_NEW and
   THAG_TASK_BEGIN leave their variable unset (zero cost) and the macros
   never read it: initialise it (= 0) if other code reads it.

   THAG_FIBER_NEW(var, "name")   var = a new fiber; its root frame is
                             "name" (equal names add up).
   THAG_FIBER_SWITCH(fiber)  Right before the stack switch (swapcontext):
                             from now on `fiber` runs on this thread; 0 = the
                             thread's own stack. A fiber resumed on another
                             thread keeps its stacks (they add up by name).
   THAG_FIBER_END(fiber)     The fiber is finished (its open scopes end at
                             its last suspension); ending the running fiber
                             switches to the thread's own stack.
   THAG_TASK_BEGIN(var, "name")   var = a new task; instances of a name add
                             up. THAG_TASK_BEGIN_APART: frames `name#1`,
                             `name#2`... one per instance.
   THAG_TASK_RESUME(task)    First statement of a callback (before its
                             THAG_PROFILE): until the callback returns, the
                             task is a frame under the scope the callback
                             runs in, on the thread that began the task;
                             on any other thread (a pool worker) under a copy
                             of the task's path, not the worker's stack.
                             Resuming a task already resumed on this thread
                             adds nothing.
   THAG_TASK_SECTION(task, name) / THAG_TASK_SECTION_END(task, name)
                             An async section of the task, opened in one
                             callback and ended in any later one (or at the
                             task's end): its stack is task;name, its calls
                             count instances, its inclusive time is its
                             active time (while the task was resumed), its
                             wall time (open to end) is in the wall file.
   THAG_TASK_END(task)       The task is finished: its wall time (begin to
                             end) goes to the wall file. A task never ended
                             has none (tasks_ended=N in the wall file's
                             manifest entry tells).
   The same as functions: thag_fiber_new(name), thag_fiber_switch(f),
   thag_fiber_end(f), thag_task_begin(name, apart), thag_task_end(t).

   MEMORY (THAG_FULL_PROFILING)

   Summary mode (memory or both): bytes and counts per profiled scope,
   exact. Detail mode (THAG_PROFILER's fourth field true): also the real
   call stack of every allocation and deallocation, deduplicated,
   symbolised at output (ELF symbol tables, C++ names demangled; THAG_LINES
   adds file:line). In both, every block carries a 16-byte header (size
   asked for, owner), so frees on any thread are charged exactly, with no
   table and no lock. Sampled mode (THAG_SAMPLE_BYTES): real stacks of a
   Poisson sample; no header, and every figure is an unbiased estimate.
   The profiler's own memory comes from mmap, never from these hooks.
   At the peak: a free that finds live memory 1% (and 1 KiB) above the last
   snapshot copies every scope's (stack's) live bytes (a walk of the scopes
   and stacks, not of the heap), so -memory_peak is within 1% below the
   peak, and exact when a free or the exit follows it. Over time: at most
   200 points, thinned as massif does, in -massif.out. Temporary
   allocations (as heaptrack counts them: freed by their thread before it
   allocates or frees anything else) are counted per scope or stack
   (-memory_temp; estimated from the samples in sampled mode).
   Blocks from glibc's own allocator (__libc_malloc) are given back to it.
   docs/memory.md has the details and the faults a program may make.

   ENVIRONMENT

   THAG_PROFILER=<time|memory|both|none>[,<dir>[,<none|quiet|announce>[,<true|false>]]]
       Case-insensitive; any field may be empty (`memory,,,true`). Type (used
       by THAG_ENABLE_PROFILING(runtime)), output directory (default: the
       current directory; created if missing; a relative one is relative to
       the working directory at start, even if the program changes
       directory before exit), what the run says (none, the default: at
       exit, one line on stderr naming the files written, `thag_profiler: 7
       profile files: ./prog-20261204-204147*`, only if stderr is a terminal,
       so that programs whose stderr is data or checked are undisturbed;
       quiet: nothing, and a debug log written to $TMPDIR or /tmp as
       thag_profiler-<program>-<stamp>.log; announce: the same log, its path
       and every file written, one line each, on stderr, terminal or not),
       memory detail (true: the real
       call stack of every allocation, see MEMORY). Under
       the other options the directory and debug fields still apply. A
       malformed value is reported once on stderr and the program runs
       unprofiled.
   THAG_MERGE_THREADS=<true|false>   merge all threads' stacks (no thread root
       frame). Default false.
   THAG_TIMELINE_EVENTS=<n>  bound of the chronological timeline, in events
       (two per scope) for the whole run, all threads together. Default
       2097152: 32 MiB of memory at most, and a timeline file of about 11
       bytes an event (24 MB at most). 0 turns the timeline off. The
       timeline keeps the most recent events: once the bound is reached,
       the oldest chunk of events (a sixteenth of the bound, 64 to 4096
       events) is reused, so it covers the last window of the run (at least
       15/16 of the bound, for all threads alike; a thread whose events
       find no chunk, when more threads run than there are chunks, loses
       them). Its metadata line says how many were dropped; the aggregated
       files are always complete. The output holds the timeline's lock
       while it writes that file: a thread that fills a chunk meanwhile
       waits.
   THAG_SIGNALS=<true|false|NAME,...>  signals that write the profile
       before they end the process: true (default) is INT,TERM; a list
       takes HUP INT QUIT TERM USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF
       (SIG prefix optional, any case). Only a signal whose action is the
       default one (it would kill the process) gets the profiler's
       handler, which wakes a thread (started at the first statement of
       main) that writes the profile and raises the signal again: the
       process dies by it, its exit status unchanged. The program runs on
       while the profile is written; the same signal again kills at once.
       A handler the program installs replaces the profiler's (the profile
       is then written at exit, if the program exits).
   THAG_CLOCK=<auto|counter|tsc|monotonic>   the clock. auto (default) and
       counter: the CPU's counter, read in user space and converted to ns
       at output with its rate measured against CLOCK_MONOTONIC over the
       run: the invariant TSC on x86-64 (metadata clock=tsc), the virtual
       counter CNTVCT_EL0 on aarch64 (clock=cntvct; its nominal rate is
       CNTFRQ_EL0's); without one (a TSC that is not invariant, another
       architecture) clock_gettime(CLOCK_MONOTONIC) (clock=monotonic), and
       counter says so on stderr. tsc is another name for counter on every
       architecture (one setting for x86-64 and aarch64). monotonic:
       always clock_gettime.
   THAG_SAMPLE_BYTES=<n>     memory sampled mode: sample allocations at a mean
       interval of n bytes (Poisson: each byte equally likely), with the
       real call stack, and scale each sample by 1/p (p = 1 - exp(-size/n),
       its chance to be sampled): unbiased estimates per stack, per scope
       and in the totals. Read at the program's first allocation (it must
       be in the environment then). 0 (default) turns it off.
   THAG_SIZE_TRACKING_THRESHOLD=<bytes> (or SIZE_TRACKING_THRESHOLD)
       detail mode: smaller allocations are counted but get no stack.
   THAG_LINES=<true|false>   detail and sampled modes: add (file:line) to
       every frame, from the debug information (-g), by one addr2line run
       (binutils) per object file at output. Default false.
   THAG_ALLOC_LIMIT=<bytes>  memory: a single allocation larger than this
       fails (NULL, errno ENOMEM) and a line on stderr says from where. 0
       (default): no limit.
   THAG_GROWTH_REPORT=<percent>  memory: a background thread writes a
       snapshot of the profile, and says so on stderr, each time live memory
       has grown by this percentage since the last one (from 1 MiB on).
   THAG_STACK=<fp|unwind|libgcc>  how detail and sampled modes
       capture stacks: fp (default) walks frame pointers (fast; build with
       -fno-omit-frame-pointer); unwind follows the DWARF call frame
       information (.eh_frame), so it works without frame pointers (system
       libraries, Debian's programs): on x86-64 glibc each return address's
       rule is read once and cached, and the outer frames of the thread's
       last stack are reused when every stack word they were read from is
       unchanged (exact; 1.8x fp's time on bench-run's churn), elsewhere
       and for unusual frames (signal frames, DWARF expressions) it is
       libgcc's _Unwind_Backtrace; libgcc always uses _Unwind_Backtrace
       (the reference: the same stacks, over 100x slower). The library
       interposes dlclose (x86-64 glibc): once a library is unloaded, the
       cached rules are dropped, so code mapped later at its addresses gets
       its own. Names come from the ELF symbol tables, at output (no -g or
       -rdynamic needed; THAG_LINES needs -g).
   THAG_SAMPLE_SEED=<n>      sampled mode: a fixed seed, for repeatable runs
       (default: a different seed per process and thread).

   OUTPUT (in the output directory; <p> program name, <ts> start time)

   <p>-<ts>.folded            exclusive time per stack, in nanoseconds.
   <p>-<ts>-inclusive.folded  inclusive time per stack, in nanoseconds.
   <p>-<ts>-calls.folded      calls per stack (entries of the last frame).
   <p>-<ts>-timeline.txt      chronological, for flamecharts (`flamegraph
                              --flamechart`, thag-analyze): not folded but
                              compact, a stack is written once. After its
                              metadata line (the one file that keeps one:
                              `# thag_profiler 0.1.0: kind=timeline ...
                              format=timeline-2 ... unit=ns`):
                                S <id> <parent id> <frame>   a stack (ids
                                  from 1, parents first; parent 0: none)
                                F <id>   right after its S line: that
                                  stack's frame is a fiber's root frame
                                  (THAG_FIBER_NEW's name): thag-export
                                  gives fibers tracks of their own
                                T <index> <start ns> <thread name>   a
                                  thread's window starts (ns since the
                                  profiler started)
                                <id> <ns>   that stack was on top for ns;
                                  id 0: no profiled scope open
                              A thread's intervals follow each other, so
                              their running sum from its start gives each
                              one's time. Equal neighbours are merged.
   <p>-<ts>-wall.folded       tasks and async sections only (ASYNC): elapsed
                              (wall) ns per stack, begin/open to end. Its
                              manifest entry counts tasks_begun,
                              tasks_ended and stale_ends (ends of ended
                              tasks). Not additive (a task's time again
                              under its parent task), nor is -inclusive:
                              flamegraph refuses both.
   With memory profiling (bytes asked for, not the allocator's rounding):
   <p>-<ts>-memory.folded       bytes allocated per stack of profiled scopes.
   <p>-<ts>-memory_calls.folded allocations per stack.
   <p>-<ts>-memory_live.folded  bytes still live when written (leaks at exit);
                                summary mode only (detail and sampled modes
                                write -memory_detail_live instead).
   <p>-<ts>-memory_live_calls.folded  blocks still live, the same way.
   and in detail (or sampled) mode, per real call stack:
   <p>-<ts>-memory_detail.folded, -memory_detail_calls.folded,
   -memory_detail_live.folded, -memory_detail_dealloc.folded (bytes freed
   per deallocating stack; not in sampled mode).
   <p>-<ts>-memory_detail_live_calls.folded  blocks still live per
                                allocating stack (sampled mode: estimates,
                                from the live samples).
   In every memory mode (per profiled scope in summary mode, per real call
   stack in detail and sampled modes):
   <p>-<ts>-memory_peak.folded  bytes live at the peak, by allocating stack:
                                the last peak snapshot (MEMORY), whose
                                total is peak_snapshot in the manifest.
   <p>-<ts>-memory_temp.folded  temporary allocations per stack (an
                                estimate in sampled mode): freed by their
                                thread before it allocates or frees
                                anything else.
   <p>-<ts>-massif.out          memory over time in valgrind massif's format
                                (ms_print, massif-visualizer, `thag-analyze
                                chart`): at most 203 snapshots (time in ms,
                                heap bytes; a `# t_ns= allocations=` comment
                                each), the peak's with its heap tree.
   Their manifest entries have the totals: allocations, deallocations,
   bytes, peak, current (live bytes), peak_snapshot (the peak file's
   total), temporary (estimated in sampled mode). Peak is exact with one
   allocating thread, and within 64 KiB per thread with several.
   <p>-<ts>-manifest.txt      the run's metadata, written last (renamed
                              into place: never half written), one
                              key=value record a line: the run
                              (thag_profiler=0.1.0, program=, pid=,
                              started=, start_unix_ns=, elapsed=, clock=,
                              threads=, type=), then per file written
                              `file=<name> kind= unit= additive=yes|no`
                              and its values (memory totals, the
                              timeline's bound= dropped=, the wall file's
                              counts; additive=no, for -inclusive and
                              -wall, adds instead=<the exclusive file>),
                              per thread `thread=<index> start=<ns>
                              [end=<ns>] name=<rest of the line>`, and
                              last `end=<number of files>`.
                              docs/output.md has the details.
   Folded lines are `frame;frame;frame value`, with no metadata line, so
   flamegraph.pl and difffolded.pl read every file with no warning.
   Main thread stacks start with main; other threads with their name.
   Stacks end at depth 1000: a deeper frame's time, calls and bytes are
   charged to its ancestor at that depth (direct recursion keeps its exact
   call count), and stderr says how many stacks were cut, so that a deep
   recursion cannot write lines of unbounded length.
   A profile that cannot be written (directory, descriptors, disk) is said
   on stderr in one line; the program's exit status is never changed.

   PLATFORMS

   Linux, x86-64 and aarch64, glibc and musl (tests/portab builds the
   end-to-end tests with musl-gcc, dynamic and -static, and with
   aarch64-linux-gnu-gcc, run under qemu-user). Time profiling works on
   all of them. Memory profiling (THAG_FULL_PROFILING) needs glibc: with
   musl (detected as a Linux libc without __GLIBC__, since musl defines no
   macro) an #error says so; mimalloc has no musl build in Debian.
   musl-gcc does not search /usr/include: point it at stb_sprintf with
   -isystem DIR (DIR/stb/stb_sprintf.h) or THAG_STB_SPRINTF_H. On aarch64
   detail mode walks the AAPCS64 frame records (x29; build with
   -fno-omit-frame-pointer as on x86-64; return addresses signed by
   -mbranch-protection=pac-ret are stripped), or the unwinder (THAG_STACK).

   LIMITATIONS

   GCC or Clang (the cleanup attribute). ASan, TSan and MSan replace malloc
   themselves: use them without THAG_FULL_PROFILING (UBSan is fine).
   Compilers may elide malloc/free pairs (legal): the profile shows what
   the optimised program does. Coroutines that switch stacks need the
   fiber calls (ASYNC); a fiber must not run on two threads at once, nor
   a task's sections be opened or ended concurrently from two threads; the
   part of a task resume that overlaps a resume of the same task on another
   thread is not added to its active time. After a longjmp out of profiled scopes the
   stack recovers at the next profiled enter or exit in the function that
   called setjmp (or an outer one). A forked child is not profiled.
   Automatic mode: frames a longjmp left are ended at the next hooked call
   made at a shallower stack depth, or from another call site at the same
   depth, at the latest when the function that called setjmp returns; a
   hooked function called from a signal handler may disturb the stack of
   the thread it interrupted; call stacks deeper than 65536 hooked frames
   are cut there.

   LICENSE: MIT OR Apache-2.0, at the end of this file.
*/
#ifndef THAG_PROFILER_H
#define THAG_PROFILER_H

#define THAG_PROFILER_VERSION_MAJOR 0
#define THAG_PROFILER_VERSION_MINOR 1
#define THAG_PROFILER_VERSION_PATCH 0
#define THAG_PROFILER_VERSION_STRING "0.1.0"

/* >>switches: empty or nonzero enables, 0 disables. (0 - X - 1) == 1 only
   when X is defined empty. */
#if defined(THAG_FULL_PROFILING) && ((0 - THAG_FULL_PROFILING - 1) == 1 || (THAG_FULL_PROFILING + 0) != 0)
#define THAG__ENABLED 1
#define THAG__MEMORY 1
#elif defined(THAG_TIME_PROFILING) && ((0 - THAG_TIME_PROFILING - 1) == 1 || (THAG_TIME_PROFILING + 0) != 0)
#define THAG__ENABLED 1
#define THAG__MEMORY 0
#else
#define THAG__ENABLED 0
#define THAG__MEMORY 0
#endif

#if THAG__ENABLED && !defined(__GNUC__)
#error "thag_profiler needs GCC or Clang (the cleanup attribute); build without THAG_TIME_PROFILING/THAG_FULL_PROFILING on this compiler"
#endif

/* No system header here (under GCC and Clang): the integer types of the
   declarations are the compiler's own, the same types as <stdint.h>'s, so
   including this header changes nothing about feature-test macros. A file
   may include it and then define _GNU_SOURCE or _POSIX_C_SOURCE before its
   first system header, as it would without it. (The implementation part
   does include system headers: see >>platform.) */
#if defined(__UINT32_TYPE__) && defined(__UINT64_TYPE__)
#define THAG__U32 __UINT32_TYPE__
#define THAG__U64 __UINT64_TYPE__
#else
#include <stdint.h>
#define THAG__U32 uint32_t
#define THAG__U64 uint64_t
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef THAG_API
#ifdef THAG_PROFILER_STATIC
#define THAG_API static
#else
#define THAG_API extern
#endif
#endif

typedef enum thag_profile_type {
    THAG_TYPE_NONE = 0,
    THAG_TYPE_TIME = 1,
    THAG_TYPE_MEMORY = 2,
    THAG_TYPE_BOTH = 3
} thag_profile_type;

typedef enum thag_result {
    THAG_OK = 0,
    THAG_ERR_DISABLED,   /* compiled without a build switch */
    THAG_ERR_CONFIG,     /* a malformed THAG_PROFILER value, memory asked of a time-only build, or a forked child */
    THAG_ERR_IO,         /* an output file could not be written */
    THAG_ERR_NOMEM       /* the profiler's own memory ran out */
} thag_result;

/* A call site: one static record per THAG_PROFILE/THAG_SECTION. */
typedef struct thag_site {
    const char *name;
    const char *file;
    int line;
    int kind; /* thag__kind */
} thag_site;

/* A scope guard: where its frame sits in the thread's stack. */
typedef struct thag_scope {
    THAG__U32 depth;
    THAG__U32 serial; /* 0: inactive */
} thag_scope;

/* Handles of fibers and tasks (see ASYNC): 0 is none; a handle that was
   ended is stale and every call ignores it. Declared in every mode, so a
   struct can hold one whether profiling is compiled in or not. */
typedef THAG__U64 thag_fiber; /* uint64_t */
typedef THAG__U64 thag_task;

/* The guard of THAG_TASK_RESUME: a scope guard, and the task's record
   while this resume owns it (for its active time). */
typedef struct thag_task_scope {
    thag_scope scope;
    void *rec;
} thag_task_scope;

#if THAG__ENABLED

THAG_API thag_result thag_enable_profiling(int on, thag_profile_type type);
THAG_API thag_result thag_flush(void);
THAG_API int thag_is_profiling_enabled(void);
THAG_API void thag_set_thread_name(const char *name);
THAG_API const char *thag_result_string(thag_result r);

/* Internal entry points used by the macros. */
THAG_API thag_scope thag__enter(const thag_site *site, void *frame, void *ret, thag_scope *self);
THAG_API void thag__leave(thag_scope *scope);
THAG_API void thag__end(thag_scope *scope);
THAG_API void thag__enable_main(int option);
THAG_API void thag__leave_main(thag_scope *scope);

#define THAG__KIND_time 1
#define THAG__KIND_mem_summary 2
#define THAG__KIND_mem_detail 4
#define THAG__KIND_both 3
#define THAG__KIND_section 8

#define THAG__OPT_no 0
#define THAG__OPT_yes 1
#define THAG__OPT_time 2
#define THAG__OPT_memory 3
#define THAG__OPT_both 4
#define THAG__OPT_runtime 5

#define THAG__SCOPE(var, sitevar, text, kind, leave)                          \
    static const thag_site sitevar = {text, __FILE__, __LINE__, kind};        \
    thag_scope var __attribute__((cleanup(leave), unused)) =                  \
        thag__enter(&sitevar, __builtin_frame_address(0), __builtin_return_address(0), &var)

#define THAG__PROFILE1(fn) THAG__PROFILE2(fn, time)
#define THAG__PROFILE2(fn, kind)                                              \
    THAG__SCOPE(thag__fn_scope, thag__fn_site, #fn, THAG__KIND_##kind, thag__leave)
#define THAG_PROFILE_FUNC()                                                   \
    THAG__SCOPE(thag__fn_scope, thag__fn_site, __func__, THAG__KIND_time, thag__leave)
#define THAG__PICK(a, b, m, ...) m
#define THAG_PROFILE(...)                                                     \
    THAG__PICK(__VA_ARGS__, THAG__PROFILE2, THAG__PROFILE1, unused)(__VA_ARGS__)

#define THAG_SECTION(name) THAG_SECTION_NAMED(name, #name)
#define THAG_SECTION_NAMED(name, text)                                        \
    THAG__SCOPE(thag__sec_##name, thag__site_##name, text, THAG__KIND_section, thag__leave)
#define THAG_END(name) thag__end(&thag__sec_##name)

/* Declarations only (the enabling call is in the initialiser), so that
   declarations may follow it under -Wdeclaration-after-statement. */
#define THAG_ENABLE_PROFILING(opt)                                            \
    static const thag_site thag__main_site = {"main", __FILE__, __LINE__, THAG__KIND_time}; \
    thag_scope thag__main_scope __attribute__((cleanup(thag__leave_main), unused)) = \
        (thag__enable_main(THAG__OPT_##opt),                                  \
         thag__enter(&thag__main_site, __builtin_frame_address(0), __builtin_return_address(0), &thag__main_scope))

/* Async: fibers (coroutines) and tasks (work spread over callbacks). */
THAG_API thag_fiber thag_fiber_new(const char *name);
THAG_API void thag_fiber_switch(thag_fiber to);
THAG_API void thag_fiber_end(thag_fiber fiber);
THAG_API thag_task thag_task_begin(const char *name, int apart);
THAG_API void thag_task_end(thag_task task);
THAG_API thag_task_scope thag__task_resume(thag_task task, void *frame, void *ret, thag_task_scope *self);
THAG_API void thag__task_leave(thag_task_scope *scope);
THAG_API void thag__task_section(thag_task task, const thag_site *site);
THAG_API void thag__task_section_end(thag_task task, const char *name);

#define THAG_FIBER_NEW(var, name) ((var) = thag_fiber_new(name))
#define THAG_FIBER_SWITCH(fiber) thag_fiber_switch(fiber)
#define THAG_FIBER_END(fiber) thag_fiber_end(fiber)
#define THAG_TASK_BEGIN(var, name) ((var) = thag_task_begin(name, 0))
#define THAG_TASK_BEGIN_APART(var, name) ((var) = thag_task_begin(name, 1))
#define THAG_TASK_END(task) thag_task_end(task)
#define THAG_TASK_RESUME(task)                                                \
    thag_task_scope thag__task_guard __attribute__((cleanup(thag__task_leave), unused)) = \
        thag__task_resume(task, __builtin_frame_address(0), __builtin_return_address(0), &thag__task_guard)
#define THAG_TASK_SECTION(task, name)                                         \
    do {                                                                      \
        static const thag_site thag__tsite = {#name, __FILE__, __LINE__, THAG__KIND_section}; \
        thag__task_section(task, &thag__tsite);                               \
    } while (0)
#define THAG_TASK_SECTION_END(task, name) thag__task_section_end(task, #name)

#else /* !THAG__ENABLED: the disabled twins, same arity */

/* Zero cost and warning-free. The macros that declare a guard variable
   when enabled (THAG_PROFILE, THAG_SECTION, THAG_ENABLE_PROFILING,
   THAG_TASK_RESUME) declare an unused type of the same name instead: still
   a declaration (declarations may follow, -Wdeclaration-after-statement),
   no code, and the same scoping rules. The others name their arguments
   inside sizeof: never evaluated (no code, no read of an uninitialised
   handle), but a variable passed only to them is not "unused". */
#ifdef __GNUC__
#define THAG__OFF_DECL(name) typedef int name __attribute__((unused))
#else
#define THAG__OFF_DECL(name) typedef int name
#endif
#define THAG__OFF_USE(x) ((void)sizeof(x))
#define THAG__OFF_USE2(x, y) ((void)sizeof(x), (void)sizeof(y))

#define THAG_FIBER_NEW(var, name) THAG__OFF_USE2(var, name)
#define THAG_FIBER_SWITCH(fiber) THAG__OFF_USE(fiber)
#define THAG_FIBER_END(fiber) THAG__OFF_USE(fiber)
#define THAG_TASK_BEGIN(var, name) THAG__OFF_USE2(var, name)
#define THAG_TASK_BEGIN_APART(var, name) THAG__OFF_USE2(var, name)
#define THAG_TASK_END(task) THAG__OFF_USE(task)
#define THAG_TASK_RESUME(task) THAG__OFF_DECL(thag__task_guard[sizeof(task)])
#define THAG_TASK_SECTION(task, name) THAG__OFF_USE(task)
#define THAG_TASK_SECTION_END(task, name) THAG__OFF_USE(task)

static inline thag_fiber thag_fiber_new(const char *name) { (void)name; return 0; }
static inline void thag_fiber_switch(thag_fiber to) { (void)to; }
static inline void thag_fiber_end(thag_fiber fiber) { (void)fiber; }
static inline thag_task thag_task_begin(const char *name, int apart) { (void)name; (void)apart; return 0; }
static inline void thag_task_end(thag_task task) { (void)task; }

#define THAG_PROFILE(...) THAG__OFF_DECL(thag__fn_scope)
#define THAG_PROFILE_FUNC() THAG__OFF_DECL(thag__fn_scope)
#define THAG_SECTION(name) THAG__OFF_DECL(thag__sec_##name)
#define THAG_SECTION_NAMED(name, text) THAG__OFF_DECL(thag__sec_##name)
#define THAG_END(name) THAG__OFF_USE(thag__sec_##name)
#define THAG_ENABLE_PROFILING(opt) THAG__OFF_DECL(thag__main_scope)

static inline thag_result thag_enable_profiling(int on, thag_profile_type type) {
    (void)on; (void)type; return THAG_ERR_DISABLED;
}
static inline thag_result thag_flush(void) { return THAG_ERR_DISABLED; }
static inline int thag_is_profiling_enabled(void) { return 0; }
static inline void thag_set_thread_name(const char *name) { (void)name; }
static inline const char *thag_result_string(thag_result r) {
    (void)r; return "thag_profiler is compiled out (no build switch)";
}

#endif /* THAG__ENABLED */

#ifdef __cplusplus
}
#endif

#endif /* THAG_PROFILER_H */

/* ======================================================================== */
/*                            IMPLEMENTATION                                */
/* ======================================================================== */
/* Sections, in order (grep for ">>name"):
     >>platform   feature-test macros, system headers
     >>clock      the CPU's counter, calibrated to ns at output
     >>pmem       the profiler's own memory (mmap)
     >>state      threads, call-tree nodes, the global state
     >>log        messages; >>config: THAG_PROFILER and friends
     >>threads    per-thread state; >>timeline: the recent events
     >>calltree   enter and exit; >>fibers, >>tasks: async work
     >>memory     the malloc family: what both block layouts share
     >>stacks     real call stacks (detail and sampled modes)
     >>peak       live bytes, the peak snapshot, memory over time
     >>sampled    sampled mode's bare blocks
     >>headers    summary and detail modes' blocks with a header
     >>hooks      malloc, free, ... and C++ new/delete
     >>symbols    addresses to names; >>auto: -finstrument-functions
     >>output     the merged tree and its files (>>taskwall, >>write,
                  >>memory output, >>massif)
     >>watch      THAG_ALLOC_LIMIT, THAG_GROWTH_REPORT; >>signals
     >>api        configuration, enabling, flushing, exit
   State: thag__g (>>state) holds the run: its configuration, the threads,
   the timeline's pool, where the files go. The rest sits with the section
   that owns it, so that each section reads alone and the words the hooks
   and scopes read on every call are not in the struct whose lock and
   counters other threads write:
     per process  thag__use_tsc, thag__clock (>>clock); thag__a, thag__alock
                  (>>fibers); thag__hot, thag__layout, thag__bare_mean,
                  thag__bare_max (>>memory); thag__stack* (the stack
                  records), thag__cfi_* (the unwinding rules), thag__g_live,
                  thag__g_peak (>>stacks); thag__snap_* (>>peak); thag__ss*
                  (the live samples, >>sampled); thag__mi_started
                  (>>headers); thag__auto_off (>>auto); thag__fd_*
                  (>>output); thag__start_cwd (>>write); thag__sig_*
                  (>>signals)
     per thread   thag__self, the thread's thag__thread (its stacks, tree,
                  memory counters), and thag__mem_busy (>>state); thag__fs
                  (>>fibers); thag__hook_sp, thag__errp (>>memory);
                  thag__cf_last (>>stacks); thag__bare_left, thag__bare_armed,
                  thag__bare_last, thag__bare_last_left (>>sampled);
                  thag__ash (>>auto).
   tests/docs/drift.py checks that every one is named here. */
#ifdef THAG_PROFILER_IMPLEMENTATION
#ifndef THAG__IMPLEMENTATION_INCLUDED
#define THAG__IMPLEMENTATION_INCLUDED
#if THAG__ENABLED

/* >>platform */
#if !defined(__linux__)
#error "thag_profiler: this version supports Linux only (clock, threads, output). Build without the switch elsewhere."
#endif

/* Feature-test macros. The implementation needs POSIX and a few GNU
   functions, which libc declares only under feature-test macros, and those
   act only before the first system header of the file. So when this is the
   first system include of the file (glibc's <features.h> not yet read) and
   the file has not asked for GNU itself, the implementation defines
   _GNU_SOURCE for its own includes, and at its end undefines it again with
   every macro <features.h> derived from it (_DEFAULT_SOURCE,
   _LARGEFILE64_SOURCE, _POSIX_C_SOURCE, ...) that was not defined before:
   code after the include sees the file's own macros, and may define any of
   them without a "redefined" warning. (Declarations made stay made.) If a
   system header came first: under -std=gnuNN everything needed is there
   (the GNU functions are declared below); under strict -std=cNN it is not,
   and an #error below says what to do. */
#if !defined(_GNU_SOURCE) && !defined(__GLIBC__)
#ifndef _GNU_SOURCE
#define THAG__FTM_UNDEF_GNU_SOURCE 1
#endif
#ifndef _DEFAULT_SOURCE
#define THAG__FTM_UNDEF_DEFAULT_SOURCE 1
#endif
#ifndef _ISOC95_SOURCE
#define THAG__FTM_UNDEF_ISOC95_SOURCE 1
#endif
#ifndef _ISOC99_SOURCE
#define THAG__FTM_UNDEF_ISOC99_SOURCE 1
#endif
#ifndef _ISOC11_SOURCE
#define THAG__FTM_UNDEF_ISOC11_SOURCE 1
#endif
#ifndef _ISOC2X_SOURCE
#define THAG__FTM_UNDEF_ISOC2X_SOURCE 1
#endif
#ifndef _ISOC23_SOURCE
#define THAG__FTM_UNDEF_ISOC23_SOURCE 1
#endif
#ifndef _POSIX_SOURCE
#define THAG__FTM_UNDEF_POSIX_SOURCE 1
#endif
#ifndef _POSIX_C_SOURCE
#define THAG__FTM_UNDEF_POSIX_C_SOURCE 1
#endif
#ifndef _XOPEN_SOURCE
#define THAG__FTM_UNDEF_XOPEN_SOURCE 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define THAG__FTM_UNDEF_XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef _LARGEFILE_SOURCE
#define THAG__FTM_UNDEF_LARGEFILE_SOURCE 1
#endif
#ifndef _LARGEFILE64_SOURCE
#define THAG__FTM_UNDEF_LARGEFILE64_SOURCE 1
#endif
#ifndef _ATFILE_SOURCE
#define THAG__FTM_UNDEF_ATFILE_SOURCE 1
#endif
#ifndef _DYNAMIC_STACK_SIZE_SOURCE
#define THAG__FTM_UNDEF_DYNAMIC_STACK_SIZE_SOURCE 1
#endif
#define _GNU_SOURCE 1
#define THAG__FTM_OWN 1
#endif

/* The implementation is C. Compiled as C++ (an implementation file named
   .cpp) it is warning-free under the same strict set as C; the warnings
   that are C++ style only (C casts, 0 as a null pointer, casts that C
   needs and C++ finds useless) are silenced for the implementation, and
   only there: user code that expands the macros is clean under them. */
#ifdef __cplusplus
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuseless-cast"
#endif
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h> /* getrlimit: room for the output under EMFILE */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
/* The CPU's counter (>>clock): the TSC on x86 (THAG__HAVE_TSC),
   CNTVCT_EL0 on aarch64; THAG__HAVE_COUNTER says there is one. */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define THAG__HAVE_TSC 1
#define THAG__HAVE_COUNTER 1
#elif defined(__aarch64__)
#define THAG__HAVE_TSC 0
#define THAG__HAVE_COUNTER 1
#else
#define THAG__HAVE_TSC 0
#define THAG__HAVE_COUNTER 0
#endif

/* The C library. glibc (and uClibc, which claims to be it) defines
   __GLIBC__ in <features.h>, which every header above reads; musl defines
   no macro on purpose, so on Linux a libc without __GLIBC__ (and not
   Android's bionic) is taken for musl. Time profiling is the same on
   both: the GNU declarations below exist in musl too (pthread_getname_np
   since 1.2.3), and link.h declares dl_iterate_phdr (>>symbols). */
#if defined(__GLIBC__)
#define THAG__MUSL 0
#elif defined(__BIONIC__)
#error "thag_profiler: Android's bionic libc is not supported; build without THAG_TIME_PROFILING/THAG_FULL_PROFILING there"
#else
#define THAG__MUSL 1
#endif
#if THAG__MUSL && THAG__MEMORY
#error "thag_profiler: memory profiling (THAG_FULL_PROFILING) needs glibc, and this C library is not glibc (no __GLIBC__: musl libc, as with musl-gcc): every allocation is served by mimalloc, which has no musl build in Debian, and the malloc hooks are made and tested for glibc only. Use THAG_TIME_PROFILING with musl (time profiling works), or build with glibc for memory profiles."
#endif

#if !defined(MAP_ANONYMOUS) || !defined(CLOCK_MONOTONIC) || !defined(O_CLOEXEC)
#error "thag_profiler: the implementation needs POSIX declarations, which -std=cNN hides once a system header is included: include thag_profiler.h in the implementation file before any system header, or define THAG_PROFILER_IMPLEMENTATION in a file of its own (or build that file with -std=gnuNN or -D_GNU_SOURCE)"
#endif
#ifndef __cplusplus
/* GNU extensions, declared here for files that included a system header
   before this one without _GNU_SOURCE (-std=gnuNN). Whether libc has
   declared them depends on the macros in force at its first header, which
   glibc records only in internal macros and other libcs not at all; so
   they are always declared, and -Wredundant-decls (a style warning: the
   redeclarations are valid C) is silenced for these lines only. g++ and
   clang++ define _GNU_SOURCE: libc declares them for C++. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wredundant-decls"
extern int pthread_getname_np(pthread_t thread, char *name, size_t len);
extern int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr);
extern char *program_invocation_short_name;
extern char **environ;
#pragma GCC diagnostic pop
#endif

#if THAG__MEMORY
#include <sys/wait.h>
#include <mimalloc.h> /* link with -lmimalloc */
#include <unwind.h>   /* THAG_STACK=unwind (libgcc, linked by default) */
#endif

/* stb_sprintf's own warnings (seen when it is not in a system include
   directory) are silenced for it alone. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wcast-align"
#define STB_SPRINTF_IMPLEMENTATION
#define STB_SPRINTF_STATIC
#define STB_SPRINTF_NOFLOAT
#define STB_SPRINTF_NOUNALIGNED /* sanitizer-clean */
#define STB_SPRINTF_DECORATE(name) thag__stbsp_##name
/* stb_sprintf: THAG_STB_SPRINTF_H if defined (a quoted or bracketed path,
   e.g. -DTHAG_STB_SPRINTF_H='"third_party/stb_sprintf.h"'), else
   <stb/stb_sprintf.h> (Debian, Ubuntu: libstb-dev), else <stb_sprintf.h>
   (vcpkg, Conan, other distributions). */
#if defined(THAG_STB_SPRINTF_H)
#include THAG_STB_SPRINTF_H
#elif defined(__has_include)
#if __has_include(<stb/stb_sprintf.h>)
#include <stb/stb_sprintf.h>
#elif __has_include(<stb_sprintf.h>)
#include <stb_sprintf.h>
#else
#error "thag_profiler needs stb_sprintf.h (from github.com/nothings/stb): install libstb-dev (Debian, Ubuntu) or stb (vcpkg, Conan), or name its path with -DTHAG_STB_SPRINTF_H='\"path/stb_sprintf.h\"'"
#endif
#else
#include <stb/stb_sprintf.h>
#endif
#pragma GCC diagnostic pop

/* The library never profiles itself (-finstrument-functions builds). */
#define THAG__FN static __attribute__((no_instrument_function))
#define THAG__PUB __attribute__((no_instrument_function, unused))
#define THAG__LIKELY(x) __builtin_expect(!!(x), 1)
#define THAG__UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Rare paths called from the hooks: kept out of them (their code in the
   hooks' bodies slowed the fast paths down, bench/alloc.sh). */
#define THAG__COLD static __attribute__((no_instrument_function, noinline, cold))
#define THAG__LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define THAG__STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#define THAG__ADD(p, v) THAG__STORE(p, (p) + (v)) /* single writer */
/* Thread-local state: in an executable (no -fPIC, or -fPIE) at a fixed
   offset from the thread pointer, one instruction per access (the hooks
   read it at every call: bench/alloc.sh); in a shared library
   (tools/preload.c, -fPIC) through its initial-exec offset. */
#if defined(__PIC__) && !defined(__PIE__)
#define THAG__TLS __thread __attribute__((tls_model("initial-exec")))
#else
#define THAG__TLS __thread __attribute__((tls_model("local-exec")))
#endif

/* Sampled mode counts in fixed point: a sample of weight 1/p adds
   THAG__W1/p to the allocation counts (THAG__W1 is one allocation), and
   THAG__UNW turns such a count back into allocations, rounded. */
#define THAG__W1 1024u
#define THAG__UNW(x) ((uint64_t)(((uint64_t)(x) + THAG__W1 / 2) / THAG__W1))

#define THAG__INLINE static inline __attribute__((always_inline, no_instrument_function))

/* A return address read from a frame record (>>stacks' frame-pointer walk),
   without its pointer authentication code: code built with
   -mbranch-protection=pac-ret (or standard) signs the link register it
   saves. XPACLRI (HINT #7: a no-op where there is no PAC) strips it. */
#if defined(__aarch64__)
THAG__INLINE uintptr_t thag__ret_strip(uintptr_t r) {
    __asm__("mov x30, %1\n\thint #7\n\tmov %0, x30" : "=r"(r) : "r"(r) : "x30");
    return r;
}
#else
#define thag__ret_strip(r) (r)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* >>clock: ticks on the hot path, converted to ns at output with a ratio
   measured over the whole run, so calibration costs nothing at startup.
   The ticks are the CPU's counter when it is usable (THAG_CLOCK=counter,
   the default): the invariant TSC on x86-64 (clock=tsc in the metadata),
   the virtual counter CNTVCT_EL0 on aarch64 (clock=cntvct: a constant
   rate, by the architecture, given by CNTFRQ_EL0; Linux lets user code
   read it, its vDSO's clock_gettime does); else CLOCK_MONOTONIC in ns
   (clock=monotonic). thag__use_tsc means "the counter", whichever it is.
   Like __rdtsc, the counter read has no barrier (no ISB on aarch64): a
   scope's reads may move by a few instructions, never by a call. */
static int thag__use_tsc;

THAG__FN uint64_t thag__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__aarch64__)
#define THAG__COUNTER_NAME "cntvct"
#define THAG__COUNTER_MISSING "the counter's frequency (CNTFRQ_EL0) reads 0"
static inline __attribute__((always_inline, no_instrument_function)) uint64_t thag__cntvct(void) {
    uint64_t v;
    __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
THAG__FN uint64_t thag__cntfrq(void) {
    uint64_t v;
    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(v));
    return v & 0xffffffffu; /* the upper half is reserved */
}
#elif THAG__HAVE_TSC
#define THAG__COUNTER_NAME "tsc"
#define THAG__COUNTER_MISSING "this CPU has no invariant TSC"
#else
#define THAG__COUNTER_NAME "counter"
#define THAG__COUNTER_MISSING "this CPU has no counter the profiler reads (it reads the x86-64 TSC and the aarch64 CNTVCT_EL0)"
#endif

static inline __attribute__((always_inline, no_instrument_function)) uint64_t thag__ticks(void) {
#if THAG__HAVE_TSC
    if (THAG__LIKELY(thag__use_tsc)) return __rdtsc();
#elif defined(__aarch64__)
    if (THAG__LIKELY(thag__use_tsc)) return thag__cntvct();
#endif
    return thag__mono_ns();
}

/* Whether the counter is usable: an invariant TSC (CPUID), a nonzero
   CNTFRQ_EL0. */
THAG__FN int thag__tsc_invariant(void) {
#if THAG__HAVE_TSC
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1u;
#elif defined(__aarch64__)
    return thag__cntfrq() != 0;
#else
    return 0;
#endif
}

/* The clock's name in the metadata: tsc, cntvct or monotonic. */
THAG__FN const char *thag__clock_name(void) {
    return thag__use_tsc ? THAG__COUNTER_NAME : "monotonic";
}

typedef struct thag__calib { uint64_t tick0, ns0; double ns_per_tick; } thag__calib;
static thag__calib thag__clock;

/* A simultaneous reading of CLOCK_MONOTONIC and the ticks: the ticks
   bracketed by two clock readings, taken again (a few times at most) until
   the bracket is tight, so that being preempted between two reads does not
   skew the rate (on a loaded machine it did, by percents over a short run). */
THAG__FN void thag__clock_pair(uint64_t *ns, uint64_t *tk) {
    uint64_t best = UINT64_MAX;
    int i;
    for (i = 0; i < 32 && best > 2000; i++) {
        uint64_t a = thag__mono_ns(), t = thag__ticks(), b = thag__mono_ns();
        if (b - a < best) {
            best = b - a;
            *ns = a + (b - a) / 2;
            *tk = t;
        }
    }
}

/* Before calibration the rate is the nominal one: 1 for ns and the TSC
   (whose rate no register gives), CNTFRQ_EL0's on aarch64. The output
   always calibrates: it does not trust a firmware's CNTFRQ_EL0. */
THAG__FN void thag__clock_start(void) {
    thag__clock_pair(&thag__clock.ns0, &thag__clock.tick0);
    thag__clock.ns_per_tick = 1.0;
#if defined(__aarch64__)
    if (thag__use_tsc) thag__clock.ns_per_tick = 1e9 / (double)thag__cntfrq();
#endif
}

/* Measures the tick rate against CLOCK_MONOTONIC since the start; when the
   run is too short for a precise ratio (a few parts per million), spins
   until 2 ms have passed. */
THAG__FN void thag__clock_calibrate(void) {
    uint64_t ns, tk;
    if (!thag__use_tsc) { thag__clock.ns_per_tick = 1.0; return; }
    do thag__clock_pair(&ns, &tk);
    while (ns - thag__clock.ns0 < 2000000u);
    if (tk > thag__clock.tick0)
        thag__clock.ns_per_tick = (double)(ns - thag__clock.ns0) / (double)(tk - thag__clock.tick0);
}

THAG__FN uint64_t thag__to_ns(uint64_t ticks) {
    return (uint64_t)((double)ticks * thag__clock.ns_per_tick + 0.5);
}

/* >>pmem: the profiler's own memory comes from mmap, never from malloc, so
   it cannot disturb or be seen by a memory profile. */
THAG__FN void *thag__pmap(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

typedef struct thag__arena { char *cur, *end; size_t chunk; } thag__arena;

THAG__FN void *thag__arena_alloc(thag__arena *a, size_t size) {
    size = (size + 15u) & ~(size_t)15u;
    if ((size_t)(a->end - a->cur) < size) {
        size_t n = a->chunk > size ? a->chunk : size;
        char *p = (char *)thag__pmap(n);
        if (!p) return NULL;
        a->cur = p;
        a->end = p + n;
    }
    a->cur += size;
    return a->cur - size;
}

/* The slot of an address in the open-addressing tables keyed by address
   (>>sampled's blocks, >>auto's functions): the high bits of a
   Fibonacci product, masked by the caller. */
THAG__INLINE size_t thag__addr_hash(uintptr_t p) { return (size_t)(((uint64_t)p * 0x9E3779B97F4A7C15ull) >> 32); }

/* >>state */
/* A node is three cache lines (the arena gives it a line boundary): what
   enter and exit use, what the owner's allocations and frees use, and
   what other threads write (their frees) or snapshots do. */
typedef struct thag__node {
    const thag_site *site;
    struct thag__node *parent, *child, *sibling;
    struct thag__node *hot;   /* last child found: loops hit it first */
    uint64_t calls, incl, excl; /* ticks; written by the owner thread only */
    /* memory (owner writes); live bytes and blocks: thag__node_live */
    struct thag__thread *thread;   /* the owner */
    uint64_t m_bytes, m_allocs;    /* memory asked for in this scope */
    int64_t m_freed, m_frees;      /* of it, what is no longer live here: freed by the owner, or
                                      (detail mode) owned by a stack record from its allocation */
    uint64_t m_temp;               /* temporary allocations (thag__mem_temp) */
    int64_t m_peak_live;           /* live bytes at the last peak snapshot (>>peak) */
    struct thag__onode *out;       /* its node in the merged output tree */
    int64_t m_freed_remote, m_frees_remote; /* freed by other threads (atomic) */
    uint64_t pend_incl, pend_excl; /* open-scope time during a snapshot */
} __attribute__((aligned(64))) thag__node;

typedef struct thag__frame {
    thag__node *node;
    uint64_t start;
    uintptr_t fa;    /* frame address of the function that entered it */
    uintptr_t ra;    /* and its return address: which activation it is */
    const thag_scope *guard; /* the guard variable */
    uint32_t serial;
    uint32_t live;   /* 0: ended out of order, waiting for the frames above */
} thag__frame;

typedef struct thag__event { uint64_t ticks; thag__node *node; } thag__event;

typedef struct thag__evchunk {
    struct thag__evchunk *next;  /* the owner's next chunk (>>timeline) */
    struct thag__evchunk *qnext; /* the next chunk in the order they were taken */
    struct thag__thread *owner;
    thag__event ev[1];
} thag__evchunk;

typedef struct thag__thread {
    /* hot: used on every enter and exit (the first cache line) */
    thag__frame *stack;
    uint32_t sp, cap, serial, pad;
    uint64_t last;            /* ticks of the last event */
    thag__node *cur;          /* node of the top live frame, or &root */
    thag__event *ev, *ev_end; /* timeline write position */
    /* and by every allocation and free: summary mode's hooks touch the first two lines only */
    int64_t m_delta;          /* live bytes not yet published to the global count */
    int64_t m_hi;             /* min(THAG__SLACK, m_peak - m_base): an allocation that takes m_delta above it has work */
    const void *m_last;       /* the thread's last counted block until its next free: temporary if that frees it */
    int64_t m_snap_at;        /* m_delta from which a free takes a peak snapshot (>>peak) */
    int64_t m_base;           /* the global live count when last published */
    int64_t m_peak;           /* highest live count this thread has seen */
    /* cold */
    thag__node root;
    thag__arena arena;
    thag__evchunk *ev_first, *ev_last; /* under thag__g.tl_lock */
    int ev_closed;            /* exited: its last chunk may be reused */
    uint32_t ev_wait;         /* no chunk to be had: events until it asks again */
    int is_main, index, exited;
    int named;                /* thag_set_thread_name: the label is not the OS name */
    uint64_t start_ticks, end_ticks; /* first profiled scope, exit (0: alive): the manifest */
    pthread_t handle;         /* the OS name is read at output */
    char label[64];
    struct thag__thread *next;
    /* memory totals of this thread (its own writes; read at output) */
    uint64_t m_frees, m_freed;  /* sampled mode's frees (header layout: the nodes' and stacks'); allocations: the sum over the thread's nodes */
    uint64_t m_rng;
    uintptr_t m_stack_top;    /* bound of stack walks */
    uintptr_t m_stack_lo;     /* the other end of the thread's own stack (set with m_stack_top) */
    struct thag__scount **m_sc;    /* detail/sampled: counters per stack record (>>stacks) */
    struct thag__scache *m_scache; /* recently used stack records, with their counters here */
} thag__thread;

enum { THAG__DBG_NONE, THAG__DBG_QUIET, THAG__DBG_ANNOUNCE };

typedef struct thag__global {
    pthread_mutex_t lock;
    int active;               /* atomic: scopes are recorded */
    int configured;
    int final_written;        /* atomic */
    int final_done;           /* atomic: the final output is written */
    int forked_child;
    thag_profile_type type;
    int debug;
    int merge_threads;
    uint32_t signals;         /* THAG_SIGNALS (>>signals) */
    /* >>timeline: the pool of event chunks */
    pthread_mutex_t tl_lock;
    uint64_t tl_chunks, tl_max_chunks; /* taken, and the bound */
    uint32_t tl_chunk_events;
    thag__evchunk *tl_old, *tl_new;    /* oldest and newest taken */
    uint64_t tl_reused;                /* events dropped to keep the bound */
    uint64_t tl_bound;                 /* THAG_TIMELINE_EVENTS */
    char dir[PATH_MAX];
    char program[128];
    char stamp[32];
    time_t started;
    int log_fd, log_open;
    int say;                  /* THAG_PROFILER's third field: where the run says it wrote */
    thag__thread *threads;
    int nthreads;
    pthread_key_t key;
    int notice_memory;
    int defer_exit_hooks;     /* started inside an allocation: atexit/atfork come later */
    int mem_active;           /* atomic: allocations are accounted */
    int mem_detail;           /* capture real call stacks */
    uint64_t sample_bytes;    /* sampled mode: mean bytes between samples (0: off) */
    uint64_t size_threshold;  /* detail mode: smaller allocations get no stack */
    uint64_t sample_seed;     /* THAG_SAMPLE_SEED: repeatable sampling (0: random) */
    int stack_unwind;         /* THAG_STACK: THAG__STACK_FP, _UNWIND or _LIBGCC */
    int mem_stacks;           /* detail or sampled: every allocation takes the slow path */
    uint64_t alloc_limit;     /* THAG_ALLOC_LIMIT: larger single allocations fail (0: off) */
    int lines;                /* THAG_LINES: file:line in detail stacks */
    uint64_t growth_pct;      /* THAG_GROWTH_REPORT: snapshot when live bytes grow this much */
} thag__global;

/* Zero-initialised (an all-zero pthread mutex is PTHREAD_MUTEX_INITIALIZER
   on Linux); fields are set by thag__configure. */
static thag__global thag__g;
static THAG__TLS thag__thread *thag__self;

/* A node's live bytes, and its live blocks in *live_n: its allocations
   less those no longer live in it (the hooks count frees, never live
   bytes: one counter pair per allocation and one per free). What is gone
   is read first: a walk that races with the owner then sees no fewer
   live bytes than were live when it started (frees follow allocations).
   Sampled mode counts no live bytes per node (its samples do). */
THAG__INLINE int64_t thag__node_live(const thag__node *n, int64_t *live_n) {
    int64_t fb, fn;
    if (thag__g.sample_bytes) {
        *live_n = 0;
        return 0;
    }
    fb = __atomic_load_n(&n->m_freed, __ATOMIC_ACQUIRE) + __atomic_load_n(&n->m_freed_remote, __ATOMIC_ACQUIRE);
    fn = __atomic_load_n(&n->m_frees, __ATOMIC_ACQUIRE) + __atomic_load_n(&n->m_frees_remote, __ATOMIC_ACQUIRE);
    *live_n = (int64_t)THAG__LOAD(n->m_allocs) - fn;
    return (int64_t)THAG__LOAD(n->m_bytes) - fb;
}
THAG__FN const char *thag__stamp(void);
THAG__FN int thag__stamp_taken(void);
/* >0 while the profiler itself runs: what libc allocates for it (stdio,
   time zones, thread keys) is served but not accounted. */
static THAG__TLS int thag__mem_busy;

/* >>log: one formatter (stb_sprintf, no malloc, no locale) for messages. */
THAG__FN void thag__fd_write(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* Writes "thag_profiler: <msg>\n" to fd (stderr: 2, or the debug log). */
THAG__FN void thag__vsay(int fd, const char *fmt, va_list ap) {
    char buf[1024];
    int n = thag__stbsp_snprintf(buf, (int)sizeof buf - 1, "thag_profiler: ");
    n += thag__stbsp_vsnprintf(buf + n, (int)sizeof buf - 1 - n, fmt, ap);
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    thag__fd_write(fd, buf, (size_t)n);
}

__attribute__((format(printf, 1, 2))) THAG__FN void thag__error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    thag__vsay(2, fmt, ap);
    va_end(ap);
    if (thag__g.log_open) {
        va_start(ap, fmt);
        thag__vsay(thag__g.log_fd, fmt, ap);
        va_end(ap);
    }
}

__attribute__((format(printf, 1, 2))) THAG__FN void thag__debug(const char *fmt, ...) {
    va_list ap;
    if (!thag__g.log_open) return;
    va_start(ap, fmt);
    thag__vsay(thag__g.log_fd, fmt, ap);
    va_end(ap);
}

/* >>config: THAG_PROFILER and friends. Parsers return 0 on success or fill
   *why with the reason. */
THAG__FN int thag__ieq(const char *a, size_t n, const char *b) {
    size_t i;
    for (i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (!b[i] || c != b[i]) return 0;
    }
    return b[n] == 0;
}

THAG__FN size_t thag__trim(const char **s, size_t n) {
    while (n && (**s == ' ' || **s == '\t')) { (*s)++; n--; }
    while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t')) n--;
    return n;
}

typedef struct thag__config {
    int has_type;
    thag_profile_type type;
    char dir[PATH_MAX];
    int debug;
    int detail;
} thag__config;

THAG__FN int thag__parse_field(thag__config *c, int idx, const char *s, size_t n, const char **why) {
    n = thag__trim(&s, n);
    if (idx > 3) { *why = "too many fields"; return -1; }
    if (n == 0) return 0;
    if (idx == 0) {
        static const char *types[] = {"none", "time", "memory", "both"};
        int i;
        for (i = 0; i < 4; i++)
            if (thag__ieq(s, n, types[i])) { c->type = (thag_profile_type)i; c->has_type = 1; return 0; }
        *why = "unknown profile type";
    } else if (idx == 1) {
        if (n >= sizeof c->dir) { *why = "directory too long"; return -1; }
        memcpy(c->dir, s, n);
        c->dir[n] = 0;
        return 0;
    } else if (idx == 2) {
        if (thag__ieq(s, n, "none")) { c->debug = THAG__DBG_NONE; return 0; }
        if (thag__ieq(s, n, "quiet")) { c->debug = THAG__DBG_QUIET; return 0; }
        if (thag__ieq(s, n, "announce")) { c->debug = THAG__DBG_ANNOUNCE; return 0; }
        *why = "unknown debug level";
    } else if (idx == 3) {
        if (thag__ieq(s, n, "true")) { c->detail = 1; return 0; }
        if (thag__ieq(s, n, "false")) { c->detail = 0; return 0; }
        *why = "detail must be true or false";
    } else {
        *why = "too many fields";
    }
    return -1;
}

/* Parses THAG_PROFILER's value. Returns 0, or -1 with *why set. */
THAG__FN int thag__parse_env(const char *v, thag__config *c, const char **why) {
    int idx = 0;
    memset(c, 0, sizeof *c);
    for (;;) {
        const char *comma = strchr(v, ',');
        size_t n = comma ? (size_t)(comma - v) : strlen(v);
        if (thag__parse_field(c, idx, v, n, why)) return -1;
        if (!comma) return 0;
        v = comma + 1;
        idx++;
    }
}

/* A boolean environment variable: 1/0, or def when unset or malformed. */
THAG__FN int thag__env_bool(const char *name, int def) {
    const char *v = getenv(name);
    size_t n;
    if (!v) return def;
    n = thag__trim(&v, strlen(v));
    if (thag__ieq(v, n, "true") || thag__ieq(v, n, "yes") || thag__ieq(v, n, "1")) return 1;
    if (thag__ieq(v, n, "false") || thag__ieq(v, n, "no") || thag__ieq(v, n, "0") || !n) return 0;
    thag__error("%s=\"%s\" is not a boolean (accepted: true|false|yes|no|1|0); using %s",
                name, v, def ? "true" : "false");
    return def;
}

THAG__FN uint64_t thag__env_count(const char *name, uint64_t def) {
    const char *v = getenv(name);
    char *end;
    unsigned long long x;
    if (!v || !*v) return def;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno || *end || *v == '-' || *v == ' ') {
        thag__error("%s=\"%s\" is %s; using %llu", name, v,
                    errno == ERANGE ? "too large" : "not a non-negative integer", (unsigned long long)def);
        return def;
    }
    return (uint64_t)x;
}

/* THAG_STACK=<fp|unwind|libgcc>: how detail mode captures call stacks.
   unwind is DWARF unwinding with each return address's rule cached
   (THAG__CFI, x86-64 glibc; elsewhere it is libgcc's); libgcc walks every
   frame with _Unwind_Backtrace (what unwind does without the cache: the
   reference the tests compare it with). */
#define THAG__STACK_FP 0
#define THAG__STACK_UNWIND 1
#define THAG__STACK_LIBGCC 2
THAG__FN int thag__env_stack(void) {
    const char *v = getenv("THAG_STACK");
    size_t n = v ? strlen(v) : 0;
    if (!n || thag__ieq(v, n, "fp")) return THAG__STACK_FP;
    if (thag__ieq(v, n, "unwind")) return THAG__STACK_UNWIND;
    if (thag__ieq(v, n, "libgcc")) return THAG__STACK_LIBGCC;
    thag__error("THAG_STACK=\"%s\" is not one of fp|unwind|libgcc; using fp", v);
    return THAG__STACK_FP;
}

/* THAG_CLOCK: counter is the CPU's counter (>>clock); tsc is its other
   name on every architecture, so one setting serves x86-64 and aarch64. */
THAG__FN void thag__choose_clock(void) {
    const char *v = getenv("THAG_CLOCK");
    size_t n = v ? strlen(v) : 0;
    int inv = thag__tsc_invariant();
    thag__use_tsc = inv;
    if (!v || !n || thag__ieq(v, n, "auto")) return;
    if (thag__ieq(v, n, "monotonic")) { thag__use_tsc = 0; return; }
    if (thag__ieq(v, n, "counter") || thag__ieq(v, n, "tsc")) {
        if (!inv) thag__error("THAG_CLOCK=%s: " THAG__COUNTER_MISSING "; using monotonic", v);
        return;
    }
    thag__error("THAG_CLOCK=\"%s\" is not one of auto|tsc|monotonic|counter; using auto", v);
}

/* >>threads: each thread owns its state; the global list is locked only
   when a thread first enters a scope and when output is written. */
/* Labels are read by the output under the global lock: they are written
   under it too (a thread may rename itself while another one flushes). */
THAG__FN void thag__thread_name(thag__thread *t) {
    char name[64] = {0};
    if (pthread_getname_np(t->handle, name, sizeof name) != 0) name[0] = 0;
    /* An unnamed thread inherits the program's name: no information. */
    if (name[0] && strncmp(name, thag__g.program, 15) != 0 && !t->is_main)
        thag__stbsp_snprintf(t->label, (int)sizeof t->label, "%s", name);
}

#if THAG__MEMORY
THAG__FN void thag__mem_publish(thag__thread *t); /* >>peak */
#endif
THAG__FN void thag__ev_close(thag__thread *t); /* >>timeline */

THAG__FN void thag__thread_exit(void *arg) {
    thag__thread *t = (thag__thread *)arg;
    if (!t) return;
    pthread_mutex_lock(&thag__g.lock);
    if (!t->named) thag__thread_name(t);
    pthread_mutex_unlock(&thag__g.lock);
    thag__ev_close(t);
    THAG__STORE(t->end_ticks, thag__ticks()); /* read by a concurrent flush's manifest */
#if THAG__MEMORY
    if (t->m_delta) thag__mem_publish(t); /* its live bytes count in the peak of the threads after it */
#endif
    THAG__STORE(t->exited, 1);
}

THAG__FN thag__thread *thag__attach(void) {
    thag__thread *t = (thag__thread *)thag__pmap(sizeof(thag__thread));
    if (!t) return NULL;
    t->cap = 256;
    t->stack = (thag__frame *)thag__pmap(t->cap * sizeof(thag__frame));
    if (!t->stack) { munmap(t, sizeof *t); return NULL; }
    t->cur = &t->root;
    t->root.thread = t;
    t->arena.chunk = 64 * 1024;
    t->is_main = (pid_t)syscall(SYS_gettid) == getpid();
    t->handle = pthread_self();
    t->start_ticks = thag__ticks();
    pthread_mutex_lock(&thag__g.lock);
    t->index = thag__g.nthreads++;
    thag__stbsp_snprintf(t->label, (int)sizeof t->label, "thread-%d", t->index);
    thag__thread_name(t);
    t->next = thag__g.threads;
    __atomic_store_n(&thag__g.threads, t, __ATOMIC_RELEASE); /* >>peak walks the list from the hooks */
    pthread_mutex_unlock(&thag__g.lock);
    pthread_setspecific(thag__g.key, t);
    thag__self = t;
    return t;
}

/* >>timeline: the most recent events of the whole run, each "from now on
   this node is on top". Events are kept in chunks from one pool bounded by
   THAG_TIMELINE_EVENTS; once it is used up, a thread that fills its chunk
   takes the oldest chunk of the run instead (its events are dropped), so
   the timeline is the last window of the run, the same for every thread,
   in bounded memory however long the run and however many threads.
   A thread writes into its last chunk without a lock; chunks change hands
   only under tl_lock, which the output holds from reading the write
   positions until the timeline is written: it never reads a chunk that is
   being reused, nor events written after its snapshot. */

/* Takes c out of the queue and out of its owner's list (its first chunk),
   counting the events it held as dropped. */
THAG__FN void thag__tl_unlink(thag__evchunk *c) {
    thag__evchunk **pp = &thag__g.tl_old, *prev = NULL;
    thag__thread *o = c->owner;
    while (*pp != c) { prev = *pp; pp = &prev->qnext; }
    *pp = c->qnext;
    if (thag__g.tl_new == c) thag__g.tl_new = prev;
    thag__g.tl_reused += c == o->ev_last
        ? (uint64_t)(__atomic_load_n(&o->ev, __ATOMIC_ACQUIRE) - c->ev) : thag__g.tl_chunk_events;
    o->ev_first = c->next;
    if (!c->next) o->ev_last = NULL;
}

/* The oldest chunk nobody writes into (not a live thread's last one); the
   thread's own last one when there is none, or NULL. An owner's first
   reusable chunk is its first chunk: its chunks are queued in order. */
THAG__FN thag__evchunk *thag__tl_reuse(thag__thread *t) {
    thag__evchunk *c;
    for (c = thag__g.tl_old; c; c = c->qnext)
        if (c != c->owner->ev_last || c->owner->ev_closed) break;
    if (!c) c = t->ev_last;
    if (c) thag__tl_unlink(c);
    return c;
}

/* A chunk for t, queued as the newest: a new one while the pool has room,
   else a reused one. */
THAG__FN thag__evchunk *thag__tl_take(thag__thread *t) {
    thag__evchunk *c = NULL;
    if (thag__g.tl_chunks < thag__g.tl_max_chunks &&
        (c = (thag__evchunk *)thag__pmap(sizeof(thag__evchunk) + thag__g.tl_chunk_events * sizeof(thag__event))))
        thag__g.tl_chunks++;
    if (!c && !(c = thag__tl_reuse(t))) return NULL;
    c->next = c->qnext = NULL;
    c->owner = t;
    if (thag__g.tl_new) thag__g.tl_new->qnext = c;
    else thag__g.tl_old = c;
    thag__g.tl_new = c;
    if (t->ev_last) t->ev_last->next = c;
    else t->ev_first = c;
    t->ev_last = c;
    t->ev_closed = 0;
    return c;
}

/* The thread's chunk is full (or it has none): continue in another one.
   Without one (more live threads than chunks) the thread's events are
   lost, and it asks again only every 4096 events (the lock is shared). */
THAG__FN void thag__ev_grow(thag__thread *t, uint64_t ticks, thag__node *n) {
    thag__evchunk *c;
    if (!thag__g.tl_max_chunks || (t->ev_wait && --t->ev_wait)) return;
    pthread_mutex_lock(&thag__g.tl_lock);
    if ((c = thag__tl_take(t)) != NULL) {
        c->ev[0].ticks = ticks;
        c->ev[0].node = n;
        t->ev_end = c->ev + thag__g.tl_chunk_events;
        __atomic_store_n(&t->ev, c->ev + 1, __ATOMIC_RELEASE);
    } else {
        t->ev_wait = 4096;
    }
    pthread_mutex_unlock(&thag__g.tl_lock);
}

/* The pool: `events` in chunks of a sixteenth of it, from 64 to 4096
   events (a run with fewer threads than chunks keeps at least 15/16 of the
   bound); one chunk when the bound is under 64. */
THAG__FN void thag__tl_configure(uint64_t events) {
    uint64_t k = events / 16 < 64 ? 64 : events / 16 > 4096 ? 4096 : events / 16;
    thag__g.tl_chunk_events = (uint32_t)(k < events ? k : events);
    thag__g.tl_max_chunks = events ? events / thag__g.tl_chunk_events : 0;
    thag__g.tl_bound = events;
}

/* At thread exit: its last chunk may be reused; an event after this (a
   scope in a later TLS destructor) takes a chunk of its own. */
THAG__FN void thag__ev_close(thag__thread *t) {
    pthread_mutex_lock(&thag__g.tl_lock);
    t->ev_end = t->ev;
    t->ev_closed = 1;
    pthread_mutex_unlock(&thag__g.tl_lock);
}

static inline __attribute__((always_inline, no_instrument_function)) void
thag__ev_put(thag__thread *t, uint64_t ticks, thag__node *n) {
    thag__event *e = t->ev;
    if (THAG__UNLIKELY(e == t->ev_end)) { thag__ev_grow(t, ticks, n); return; }
    e->ticks = ticks;
    e->node = n;
    __atomic_store_n(&t->ev, e + 1, __ATOMIC_RELEASE);
}

/* >>calltree: a calling-context tree per thread; a child is found from its
   parent by the call site's address. */
THAG__FN thag__node *thag__find_child(thag__thread *t, thag__node *p, const thag_site *s) {
    thag__node *c;
    for (c = p->child; c; c = c->sibling)
        if (c->site == s) { p->hot = c; return c; }
    /* t->arena holds nodes only, from page-aligned chunks: as their size is
       a multiple of 64, each keeps the node's 64-byte alignment */
    c = (thag__node *)thag__arena_alloc(&t->arena, sizeof(thag__node));
    if (!c) return NULL;
    c->site = s;
    c->parent = p;
    c->thread = t;
    c->sibling = p->child;
    __atomic_store_n(&p->child, c, __ATOMIC_RELEASE);
    p->hot = c;
    return c;
}

THAG__FN int thag__grow_stack(thag__thread *t) {
    uint32_t cap = t->cap * 2;
    thag__frame *s = (thag__frame *)thag__pmap(cap * sizeof(thag__frame));
    if (!s) return -1;
    memcpy(s, t->stack, t->sp * sizeof(thag__frame));
    munmap(t->stack, t->cap * sizeof(thag__frame));
    t->stack = s;
    t->cap = cap;
    return 0;
}

/* Drops frames ended out of order from the top and finds the current node. */
static inline __attribute__((always_inline, no_instrument_function)) void thag__settle(thag__thread *t) {
    while (t->sp && !t->stack[t->sp - 1].live) t->sp--;
    t->cur = t->sp ? t->stack[t->sp - 1].node : &t->root;
}

/* Pops frames above `keep` whose C scopes are gone (longjmp): they end at
   the last event seen, the best estimate of when they were left. */
THAG__FN void thag__pop_stale(thag__thread *t, uint32_t keep) {
    while (t->sp > keep) {
        thag__frame *f = &t->stack[--t->sp];
        if (f->live) THAG__ADD(f->node->incl, t->last - f->start);
    }
    thag__settle(t);
}

/* After a longjmp, frames of functions that were jumped over stay on the
   stack. A frame is dead when its function is deeper than the one entering
   now (lower frame address: stacks grow down); or at the same frame address
   but another activation (another return address: a sibling call that
   was left); or when the same guard variable enters again (a scope cannot
   be open twice). Sections of the live activation and inlined callees,
   recursive ones too, share its frame and return addresses but not its
   guard variables. */
static inline __attribute__((always_inline, no_instrument_function)) int
thag__dead(const thag__frame *f, uintptr_t fa, uintptr_t ra, const thag_scope *guard) {
    return f->fa < fa || (f->fa == fa && (f->ra != ra || f->guard == guard));
}

/* Pops the frames a longjmp left above a scope entering now (thag__dead). */
static inline __attribute__((always_inline, no_instrument_function)) void
thag__drop_dead(thag__thread *t, uintptr_t fa, uintptr_t ra, const thag_scope *self) {
    while (t->sp && THAG__UNLIKELY(thag__dead(&t->stack[t->sp - 1], fa, ra, self)))
        thag__pop_stale(t, t->sp - 1);
}

/* The one place exclusive time is charged: the time since the thread's
   last event goes to the frame on top, and the mark moves to now. Every
   event that changes the top (enter, leave, end, fiber switch, task
   resume) calls it first. */
static inline __attribute__((always_inline, no_instrument_function)) void
thag__charge(thag__thread *t, uint64_t now) {
    if (t->sp) THAG__ADD(t->cur->excl, now - t->last);
    t->last = now;
}

/* Pushes node n's frame (room checked by the caller): the one push for
   scopes (thag__enter) and tasks (thag__task_push). */
static inline __attribute__((always_inline, no_instrument_function)) thag_scope
thag__push(thag__thread *t, thag__node *n, uint64_t now, uintptr_t fa, uintptr_t ra, const thag_scope *self) {
    thag_scope g;
    thag__frame *f = &t->stack[t->sp];
    f->node = n;
    f->start = now;
    f->fa = fa;
    f->ra = ra;
    f->guard = self;
    f->serial = ++t->serial ? t->serial : ++t->serial;
    f->live = 1;
    g.depth = t->sp++;
    g.serial = f->serial;
    t->cur = n;
    THAG__ADD(n->calls, 1);
    thag__ev_put(t, now, n);
    return g;
}

THAG__PUB thag_scope thag__enter(const thag_site *site, void *frame, void *ret, thag_scope *self) {
    thag_scope g = {0, 0};
    thag__thread *t;
    thag__node *n;
    uint64_t now;
    uintptr_t fa = (uintptr_t)frame, ra = (uintptr_t)ret;
    if (!THAG__LOAD(thag__g.active)) return g;
    t = thag__self;
    if (THAG__UNLIKELY(!t) && !(t = thag__attach())) return g;
    now = thag__ticks();
    thag__drop_dead(t, fa, ra, self);
    thag__charge(t, now);
    if (THAG__UNLIKELY(t->sp == t->cap) && thag__grow_stack(t)) return g;
    n = t->cur->hot;
    if (THAG__UNLIKELY(!n || n->site != site) && !(n = thag__find_child(t, t->cur, site))) return g;
    return thag__push(t, n, now, fa, ra, self);
}

/* The guard's frame, or NULL when it is no longer on the stack. */
static inline __attribute__((always_inline, no_instrument_function)) thag__frame *
thag__frame_of(thag__thread *t, const thag_scope *g) {
    if (!g->serial || !t || g->depth >= t->sp || t->stack[g->depth].serial != g->serial) return NULL;
    return &t->stack[g->depth];
}

THAG__PUB void thag__leave(thag_scope *g) {
    thag__thread *t = thag__self;
    thag__frame *f = thag__frame_of(t, g);
    uint64_t now;
    if (!f) return;
    now = thag__ticks();
    if (t->sp > g->depth + 1) thag__pop_stale(t, g->depth + 1);
    thag__charge(t, now);
    THAG__ADD(f->node->incl, now - f->start);
    t->sp = g->depth;
    thag__settle(t);
    thag__ev_put(t, now, t->sp ? t->cur : NULL);
    g->serial = 0;
}

/* THAG_END: a section ended while sections opened after it are still open
   keeps its own time and leaves them where they are. */
THAG__PUB void thag__end(thag_scope *g) {
    thag__thread *t = thag__self;
    thag__frame *f = thag__frame_of(t, g);
    uint64_t now;
    if (!f) return;
    /* Frames of functions deeper than this one are gone (longjmp). */
    while (t->sp > g->depth + 1 && thag__dead(&t->stack[t->sp - 1], f->fa, f->ra, NULL))
        thag__pop_stale(t, t->sp - 1);
    if (t->sp == g->depth + 1) { thag__leave(g); return; }
    now = thag__ticks();
    thag__charge(t, now);
    THAG__ADD(f->node->incl, now - f->start);
    f->live = 0;
    g->serial = 0;
}

/* >>fibers: coroutines that switch machine stacks. Each fiber keeps its own
   scope stack (frames, sp, cap, cur), swapped into the thread's state at
   every switch, so frames of two machine stacks never meet (the longjmp
   recovery compares their frame addresses), and t->cur, where time and
   memory are charged, is always the running fiber's. The tree stays the
   thread's: a fiber's root frame is a child of the node the thread's own
   stack was on when the fiber first ran (`main;run;coro`). Fibers and tasks
   are records in one global table; a handle is (generation << 32 | index+1)
   and a record's generation is odd while it lives, so a stale handle (ended
   twice, used after the end) finds nothing. */
#define THAG__KIND_detached 64 /* root of a task path copied from another thread */
#define THAG__KIND_fiber 16     /* a fiber's root frame: the timeline marks its stacks (F lines) */
#define THAG__SECS 4           /* async sections open at once per task (record: 256 bytes) */
#define THAG__ACHUNK 1024u
#define THAG__AMAX 4096u
enum { THAG__A_FIBER = 1, THAG__A_TASK = 2 };

typedef struct thag__asec { const thag_site *site; uint64_t open, active; } thag__asec;

typedef struct thag__arec {
    uint32_t gen, next_free; /* kept when the record is reused ... */
    uint32_t cap, idx;
    thag__frame *stack;      /* ... and so is the fiber's frame buffer */
    const thag_site *site;   /* everything from here is reset on reuse */
    uint32_t kind, pad;
    thag__thread *home;      /* fiber: whose tree holds its nodes; task: who began it */
    thag__thread *origin;    /* fiber: the thread it first ran on */
    uint32_t sp, started;
    thag__node *cur;
    uint64_t susp;           /* fiber: ticks when it was switched out */
    thag__node *home_parent; /* task: parent of its latest resume on home */
    thag__thread *resumed_on; /* task: the thread running it now (atomic) */
    thag__node *node;        /* task: node of that resume */
    uint64_t begin, active, resumed_at;
    thag__thread *copy_t;    /* task: cache of its home path copied into copy_t's tree */
    const thag__node *copy_of;
    thag__node *copy_parent;
    uint32_t nsecs;
    thag__asec secs[THAG__SECS];
} thag__arec;

typedef struct thag__iname {
    struct thag__iname *next;
    thag_site site;
    uint64_t instances;
    const thag__thread *home; /* detached roots: the thread whose path they copy */
} thag__iname;

typedef struct thag__wall { const thag__node *node; uint64_t wall; } thag__wall;

/* Shared async state, under thag__alock (never held while taking
   thag__g.lock, which the output holds while taking this one). */
typedef struct thag__astate {
    thag__arec *chunks[THAG__AMAX];
    uint32_t used, free_head;
    uint64_t begun, ended, stale;
    thag__arena arena;
    thag__iname *names[256];
    thag__wall *walls;
    size_t nwall, capwall;
} thag__astate;

static pthread_mutex_t thag__alock = PTHREAD_MUTEX_INITIALIZER;
static thag__astate thag__a;

/* The thread's own scope stack, saved here while one of its fibers runs. */
typedef struct thag__fstate {
    thag__arec *running; /* NULL: the thread's own stack is running */
    thag__frame *stack;
    uint32_t sp, cap;
    thag__node *cur;
} thag__fstate;
static THAG__TLS thag__fstate thag__fs;

static inline __attribute__((always_inline, no_instrument_function)) thag__arec *
thag__arec_of(uint64_t h, uint32_t kind) {
    uint32_t idx = (uint32_t)h;
    thag__arec *c;
    if (!idx-- || idx >= THAG__ACHUNK * THAG__AMAX) return NULL;
    c = __atomic_load_n(&thag__a.chunks[idx / THAG__ACHUNK], __ATOMIC_ACQUIRE);
    if (!c) return NULL;
    c += idx % THAG__ACHUNK;
    if (__atomic_load_n(&c->gen, __ATOMIC_ACQUIRE) != (uint32_t)(h >> 32)) return NULL;
    return c->kind == kind ? c : NULL;
}

/* A site record for a name given at run time: one per distinct name and
   kind, kept forever, so equal names share a node. Under thag__alock. */
THAG__FN thag__iname *thag__intern(const char *name, int kind, const thag__thread *home) {
    uint32_t h = 2166136261u;
    size_t n = strlen(name), i;
    thag__iname *e;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)name[i]) * 16777619u;
    for (e = thag__a.names[h & 255]; e; e = e->next)
        if (e->site.kind == kind && e->home == home && (kind == THAG__KIND_detached || strcmp(e->site.name, name) == 0))
            return e;
    thag__a.arena.chunk = 64 * 1024;
    if (!(e = (thag__iname *)thag__arena_alloc(&thag__a.arena, sizeof *e + n + 1))) return NULL;
    memcpy((char *)(e + 1), name, n + 1);
    e->site.name = (const char *)(e + 1);
    e->site.file = "";
    e->site.kind = kind;
    e->home = home;
    if (kind == THAG__KIND_detached && home && !home->is_main) e->site.name = home->label;
    e->next = thag__a.names[h & 255];
    thag__a.names[h & 255] = e;
    return e;
}

/* The site for a fiber or task name; apart: a new `name#N` per instance.
   kind: THAG__KIND_time, with THAG__KIND_fiber for a fiber's. */
THAG__FN const thag_site *thag__name_site(const char *name, int apart, int kind) {
    char buf[160];
    thag__iname *e = thag__intern(name ? name : "task", kind, NULL);
    if (!e || !apart) return e ? &e->site : NULL;
    thag__stbsp_snprintf(buf, (int)sizeof buf, "%s#%llu", e->site.name, (unsigned long long)++e->instances);
    e = thag__intern(buf, kind, NULL);
    return e ? &e->site : NULL;
}

/* A forked child may inherit the lock held by a thread it does not have. */
THAG__FN void thag__async_atfork_child(void) { pthread_mutex_init(&thag__alock, NULL); }

/* A new record and its handle (0 when the table is full). Under thag__alock. */
THAG__FN thag__arec *thag__arec_new(uint32_t kind, uint64_t *h) {
    static int atfork;
    uint32_t idx;
    thag__arec *r, *c;
    if (!atfork) atfork = !pthread_atfork(NULL, NULL, thag__async_atfork_child);
    if (thag__a.free_head) {
        idx = thag__a.free_head - 1;
    } else {
        idx = thag__a.used;
        if (idx >= THAG__ACHUNK * THAG__AMAX) return NULL;
        if (!thag__a.chunks[idx / THAG__ACHUNK]) {
            if (!(c = (thag__arec *)thag__pmap(THAG__ACHUNK * sizeof(thag__arec)))) return NULL;
            __atomic_store_n(&thag__a.chunks[idx / THAG__ACHUNK], c, __ATOMIC_RELEASE);
        }
        thag__a.used++;
    }
    r = &thag__a.chunks[idx / THAG__ACHUNK][idx % THAG__ACHUNK];
    if (thag__a.free_head) thag__a.free_head = r->next_free;
    memset((void *)&r->site, 0, sizeof *r - (size_t)((char *)&r->site - (char *)r));
    r->kind = kind;
    r->idx = idx;
    __atomic_store_n(&r->gen, r->gen + 1, __ATOMIC_RELEASE);
    *h = (uint64_t)r->gen << 32 | (idx + 1);
    return r;
}

/* Under thag__alock: the generation turns even, every handle goes stale. */
THAG__FN void thag__arec_free(thag__arec *r) {
    __atomic_store_n(&r->gen, r->gen + 1, __ATOMIC_RELEASE);
    r->next_free = thag__a.free_head;
    thag__a.free_head = r->idx + 1;
}

THAG__PUB thag_fiber thag_fiber_new(const char *name) {
    thag__arec *r;
    uint64_t h = 0;
    if (!THAG__LOAD(thag__g.active)) return 0;
    pthread_mutex_lock(&thag__alock);
    if ((r = thag__arec_new(THAG__A_FIBER, &h)) &&
        !(r->site = thag__name_site(name ? name : "fiber", 0, THAG__KIND_time | THAG__KIND_fiber))) {
        thag__arec_free(r);
        h = 0;
    }
    pthread_mutex_unlock(&thag__alock);
    return h;
}

/* Ends the live frames of a saved stack at `upto` (their fiber's suspension). */
THAG__FN void thag__frames_close(thag__frame *s, uint32_t sp, uint64_t upto, int pending) {
    uint32_t i;
    for (i = 0; i < sp; i++) {
        if (!s[i].live) continue;
        if (pending) s[i].node->pend_incl += upto - s[i].start;
        else THAG__ADD(s[i].node->incl, upto - s[i].start);
    }
}

/* A fiber's first run: its root frame, under the thread's own current node.
   The root frame has no guard (serial 0) and the highest frame address, so
   the longjmp recovery never takes it for dead. */
THAG__FN int thag__fiber_start(thag__thread *t, thag__fstate *s, thag__arec *f, uint64_t now) {
    thag__node *n;
    thag__frame *fr;
    if (!f->stack) {
        f->cap = 64;
        if (!(f->stack = (thag__frame *)thag__pmap(f->cap * sizeof(thag__frame)))) return -1;
    }
    if (!(n = thag__find_child(t, s->cur, f->site))) return -1;
    fr = &f->stack[0];
    memset(fr, 0, sizeof *fr);
    fr->node = n;
    fr->start = now;
    fr->fa = UINTPTR_MAX;
    fr->live = 1;
    f->sp = 1;
    f->cur = n;
    f->home = f->origin = t;
    f->started = 1;
    THAG__ADD(n->calls, 1);
    return 0;
}

/* The path of node `leaf` (up to its thread's root, or the detached root
   it hangs from) rebuilt in t's tree: under t's root when t is `origin`,
   the thread the path comes from, else under a detached root that the
   output merges at origin's root, so the same stacks add up. */
THAG__FN thag__node *thag__path_copy(thag__thread *t, const thag__node *leaf, const thag__thread *origin) {
    const thag_site *chain[128];
    thag__node *p = &t->root;
    thag__iname *root;
    int n = 0;
    for (; leaf && leaf->parent && leaf->site->kind != THAG__KIND_detached && n < 128; leaf = leaf->parent)
        chain[n++] = leaf->site;
    if (t != origin) {
        pthread_mutex_lock(&thag__alock);
        root = thag__intern("", THAG__KIND_detached, origin);
        pthread_mutex_unlock(&thag__alock);
        p = root ? thag__find_child(t, p, &root->site) : NULL;
    }
    while (p && n) p = thag__find_child(t, p, chain[--n]);
    return p;
}

/* A fiber resumed on another thread than before keeps its stacks: its
   frames' nodes are found again in this thread's tree (nodes have one
   writer) on a copy of its path from the thread it first ran on. */
THAG__FN int thag__fiber_rehome(thag__thread *t, thag__arec *f) {
    uint32_t i;
    thag__node *p = thag__path_copy(t, f->stack[0].node->parent, f->origin);
    for (i = 0; i < f->sp; i++) {
        if (!p || !(p = f->stack[i].node = thag__find_child(t, p, f->stack[i].node->site))) return -1;
    }
    f->cur = p;
    f->home = t;
    return 0;
}

/* Makes f's stack (NULL: the thread's own) the running one. A fiber's
   frames move forward by the time it was suspended: not charged to it. */
THAG__FN int thag__fiber_load(thag__thread *t, thag__fstate *s, thag__arec *f, uint64_t now) {
    uint32_t i;
    if (!f) {
        t->stack = s->stack, t->sp = s->sp, t->cap = s->cap, t->cur = s->cur;
        s->running = NULL;
        return 0;
    }
    if (!f->started) {
        if (thag__fiber_start(t, s, f, now)) return -1;
    } else {
        if (f->home != t && thag__fiber_rehome(t, f)) return -1;
        for (i = 0; i < f->sp; i++) f->stack[i].start += now - f->susp;
    }
    t->stack = f->stack, t->sp = f->sp, t->cap = f->cap, t->cur = f->cur;
    s->running = f;
    return 0;
}

THAG__FN void thag__fiber_save(thag__thread *t, thag__fstate *s, uint64_t now) {
    thag__arec *f = s->running;
    if (f) f->stack = t->stack, f->sp = t->sp, f->cap = t->cap, f->cur = t->cur, f->susp = now;
    else s->stack = t->stack, s->sp = t->sp, s->cap = t->cap, s->cur = t->cur;
}

/* Call it right before the stack switch (swapcontext...): from now on the
   fiber `to` runs on this thread; 0 or a stale handle: the thread's own. */
THAG__PUB void thag_fiber_switch(thag_fiber to) {
    thag__thread *t = thag__self;
    thag__fstate *s = &thag__fs;
    thag__arec *f = thag__arec_of(to, THAG__A_FIBER);
    uint64_t now;
    if (f == s->running) return;
    if (THAG__UNLIKELY(!t) && (!THAG__LOAD(thag__g.active) || !(t = thag__attach()))) return;
    now = thag__ticks();
    thag__charge(t, now);
    thag__fiber_save(t, s, now);
    if (THAG__UNLIKELY(thag__fiber_load(t, s, f, now))) thag__fiber_load(t, s, NULL, now);
    thag__ev_put(t, now, t->sp ? t->cur : NULL);
}

/* The fiber is finished: its open frames end (at its last suspension) and
   its handle goes stale. Ending the running fiber switches to the thread's
   own stack first. A fiber ended by another thread than its own is freed
   without adding its open frames (they belong to the other thread's tree). */
THAG__PUB void thag_fiber_end(thag_fiber h) {
    thag__arec *f = thag__arec_of(h, THAG__A_FIBER);
    if (!f) return;
    if (f == thag__fs.running) thag_fiber_switch(0);
    if (f->started && f->home == thag__self && f != thag__fs.running)
        thag__frames_close(f->stack, f->sp, f->susp, 0);
    pthread_mutex_lock(&thag__alock);
    if (thag__arec_of(h, THAG__A_FIBER) == f) thag__arec_free(f);
    pthread_mutex_unlock(&thag__alock);
}

/* At a snapshot by thread t (under thag__g.lock): the open frames of its
   suspended fibers, and of its own stack while a fiber runs. */
THAG__FN void thag__async_pend(thag__thread *t, uint64_t now) {
    uint32_t i;
    if (thag__fs.running) thag__frames_close(thag__fs.stack, thag__fs.sp, now, 1);
    pthread_mutex_lock(&thag__alock);
    for (i = 0; i < thag__a.used; i++) {
        thag__arec *f = &thag__a.chunks[i / THAG__ACHUNK][i % THAG__ACHUNK];
        if ((f->gen & 1) && f->kind == THAG__A_FIBER && f->started && f->home == t && f != thag__fs.running)
            thag__frames_close(f->stack, f->sp, f->susp, 1);
    }
    pthread_mutex_unlock(&thag__alock);
}

/* >>tasks: one logical unit of work (a request) spread over callbacks.
   THAG_TASK_RESUME pushes a frame for the task under whatever scope the
   callback runs in (on the thread that began it), or under a copy of the
   task's path (on another thread: a pool worker), so the callback's scopes
   appear under the task. Async sections are records in the task: opened in
   one callback, ended in another, with their wall time (open to end) and
   active time (only while the task was resumed). */

/* Under thag__alock: adds wall ticks to a node's entry of the wall file. */
THAG__FN void thag__wall_add(const thag__node *n, uint64_t wall) {
    size_t i, m;
    if (2 * (thag__a.nwall + 1) > thag__a.capwall) {
        size_t cap = thag__a.capwall ? thag__a.capwall * 2 : 1024;
        thag__wall *w = (thag__wall *)thag__pmap(cap * sizeof *w), *old = thag__a.walls;
        if (!w) return;
        thag__a.walls = w;
        thag__a.capwall = cap;
        thag__a.nwall = 0;
        for (i = 0; old && i < cap / 2; i++)
            if (old[i].node) thag__wall_add(old[i].node, old[i].wall);
        if (old) munmap(old, cap / 2 * sizeof *old);
    }
    m = thag__a.capwall - 1;
    for (i = ((uintptr_t)n >> 4) & m; thag__a.walls[i].node && thag__a.walls[i].node != n; i = (i + 1) & m) {}
    if (!thag__a.walls[i].node) thag__a.walls[i].node = n, thag__a.nwall++;
    thag__a.walls[i].wall += wall;
}

THAG__PUB thag_task thag_task_begin(const char *name, int apart) {
    thag__thread *t = thag__self;
    thag__arec *r;
    uint64_t h = 0;
    if (!THAG__LOAD(thag__g.active) || (!t && !(t = thag__attach()))) return 0;
    pthread_mutex_lock(&thag__alock);
    if ((r = thag__arec_new(THAG__A_TASK, &h))) {
        if (!(r->site = thag__name_site(name, apart, THAG__KIND_time))) { thag__arec_free(r); h = 0; }
        else r->home = t, r->home_parent = t->cur, r->begin = thag__ticks(), thag__a.begun++;
    }
    pthread_mutex_unlock(&thag__alock);
    return h;
}

/* The task's home path (the parent of its latest resume on the thread that
   began it) in t's tree (see thag__path_copy): a worker's callbacks appear
   under the task, not under the worker. Cached per task for one thread. */
THAG__FN thag__node *thag__task_copy(thag__thread *t, thag__arec *r) {
    const thag__node *home = __atomic_load_n(&r->home_parent, __ATOMIC_ACQUIRE);
    if (r->copy_t != t || r->copy_of != home)
        r->copy_parent = thag__path_copy(t, home, r->home), r->copy_t = t, r->copy_of = home;
    return r->copy_parent;
}

/* Pushes the task's frame: like thag__enter, with the parent chosen here. */
THAG__FN thag_scope thag__task_push(thag__thread *t, thag__arec *r, uintptr_t fa, uintptr_t ra,
                                    const thag_scope *self, uint64_t now) {
    thag_scope g = {0, 0};
    thag__node *p, *n;
    thag__drop_dead(t, fa, ra, self);
    thag__charge(t, now);
    if (THAG__UNLIKELY(t->sp == t->cap) && thag__grow_stack(t)) return g;
    p = t == r->home ? t->cur : thag__task_copy(t, r);
    if (!p) return g;
    n = p->hot;
    if ((!n || n->site != r->site) && !(n = thag__find_child(t, p, r->site))) return g;
    g = thag__push(t, n, now, fa, ra, self);
    if (t == r->home && r->home_parent != p) __atomic_store_n(&r->home_parent, p, __ATOMIC_RELEASE);
    return g;
}

/* THAG_TASK_RESUME. A task already resumed on this thread is not resumed
   again (a nested resume adds no frame); one running on another thread at
   the same time gets its frame but not its active-time bookkeeping. The
   claim needs no locked instruction: a task handed to another thread
   (a queue, uv_queue_work) is handed over with synchronization, and two
   threads resuming one task at the same instant is not supported. */
THAG__PUB thag_task_scope thag__task_resume(thag_task h, void *frame, void *ret, thag_task_scope *self) {
    thag_task_scope g = {{0, 0}, 0};
    thag__thread *t = thag__self, *on;
    thag__arec *r = thag__arec_of(h, THAG__A_TASK);
    uint64_t now;
    if (!r || !THAG__LOAD(thag__g.active) || (!t && !(t = thag__attach()))) return g;
    if ((on = __atomic_load_n(&r->resumed_on, __ATOMIC_ACQUIRE)) == t) return g;
    now = thag__ticks();
    g.scope = thag__task_push(t, r, (uintptr_t)frame, (uintptr_t)ret, &self->scope, now);
    if (g.scope.serial && !on) {
        r->node = t->cur;
        __atomic_store_n(&r->resumed_at, now, __ATOMIC_RELAXED);
        __atomic_store_n(&r->resumed_on, t, __ATOMIC_RELEASE);
        g.rec = r;
    }
    return g;
}

/* The owner claim is checked, not the handle: a task ended during this
   resume has resumed_on cleared by thag_task_end. */
THAG__PUB void thag__task_leave(thag_task_scope *g) {
    thag__thread *t = thag__self;
    thag__arec *r = (thag__arec *)g->rec;
    if (!g->scope.serial) return;
    thag__leave(&g->scope);
    if (!r || __atomic_load_n(&r->resumed_on, __ATOMIC_ACQUIRE) != t) return;
    /* Single writer: only the thread that claimed resumed_on adds. */
    THAG__ADD(r->active, t->last - __atomic_load_n(&r->resumed_at, __ATOMIC_RELAXED));
    __atomic_store_n(&r->resumed_on, (thag__thread *)NULL, __ATOMIC_RELEASE);
}

/* The task's active ticks up to now (its resumes, the current one too). */
THAG__FN uint64_t thag__task_active(thag__arec *r, uint64_t now) {
    uint64_t a = __atomic_load_n(&r->active, __ATOMIC_RELAXED);
    if (__atomic_load_n(&r->resumed_on, __ATOMIC_ACQUIRE)) a += now - __atomic_load_n(&r->resumed_at, __ATOMIC_RELAXED);
    return a;
}

/* The task's node in t's tree: its current resume's, else where it would go. */
THAG__FN thag__node *thag__task_node(thag__thread *t, thag__arec *r) {
    thag__node *p;
    if (__atomic_load_n(&r->resumed_on, __ATOMIC_ACQUIRE) == t) return r->node;
    p = t == r->home ? r->home_parent : thag__task_copy(t, r);
    return p ? thag__find_child(t, p, r->site) : NULL;
}

THAG__PUB void thag__task_section(thag_task h, const thag_site *site) {
    thag__arec *r = thag__arec_of(h, THAG__A_TASK);
    uint64_t now = thag__ticks();
    if (!r) return;
    pthread_mutex_lock(&thag__alock);
    if (r->nsecs < THAG__SECS) {
        thag__asec *s = &r->secs[r->nsecs++];
        s->site = site, s->open = now, s->active = thag__task_active(r, now);
    } else {
        thag__debug("task %s: more than %d async sections open; %s is not recorded", r->site->name,
                    THAG__SECS, site->name);
    }
    pthread_mutex_unlock(&thag__alock);
}

/* Ends open section i of r (under thag__alock): calls and active time to
   its node under the task, its wall time to the wall file. */
THAG__FN void thag__section_close(thag__thread *t, thag__node *tn, thag__arec *r, uint32_t i, uint64_t now) {
    thag__asec s = r->secs[i];
    thag__node *n;
    memmove(&r->secs[i], &r->secs[i + 1], (r->nsecs - i - 1) * sizeof s);
    r->nsecs--;
    if (!tn || !(n = thag__find_child(t, tn, s.site))) return;
    THAG__ADD(n->calls, 1);
    THAG__ADD(n->incl, thag__task_active(r, now) - s.active);
    thag__wall_add(n, now - s.open);
}

/* THAG_TASK_SECTION_END: ends the latest open section of that name; a
   name that is not open (ended twice, never opened) is ignored. */
THAG__PUB void thag__task_section_end(thag_task h, const char *name) {
    thag__arec *r = thag__arec_of(h, THAG__A_TASK);
    thag__thread *t = thag__self;
    thag__node *tn;
    uint64_t now = thag__ticks();
    uint32_t i;
    if (!r || (!t && (!THAG__LOAD(thag__g.active) || !(t = thag__attach())))) return;
    tn = thag__task_node(t, r);
    pthread_mutex_lock(&thag__alock);
    for (i = r->nsecs; i-- > 0;)
        if (strcmp(r->secs[i].site->name, name) == 0) { thag__section_close(t, tn, r, i, now); break; }
    pthread_mutex_unlock(&thag__alock);
}

/* Ends the task: its open sections end, its wall time (begin to end) goes
   to its node, and its handle goes stale (a second end does nothing). */
THAG__PUB void thag_task_end(thag_task h) {
    thag__arec *r = thag__arec_of(h, THAG__A_TASK);
    thag__thread *t = thag__self;
    thag__node *n = NULL;
    uint64_t now = thag__ticks();
    if (!t && THAG__LOAD(thag__g.active)) t = thag__attach();
    if (r && t) n = thag__task_node(t, r);
    pthread_mutex_lock(&thag__alock);
    if (r && thag__arec_of(h, THAG__A_TASK) == r) {
        while (r->nsecs) thag__section_close(t, n, r, r->nsecs - 1, now);
        if (n) thag__wall_add(n, now - r->begin);
        __atomic_store_n(&r->resumed_on, (thag__thread *)NULL, __ATOMIC_RELEASE); /* see thag__task_leave */
        thag__a.ended++;
        thag__arec_free(r);
    } else if (h) {
        thag__a.stale++;
    }
    pthread_mutex_unlock(&thag__alock);
}

struct thag__obuf;
THAG__FN int thag__write_wall(struct thag__obuf *o);

/* >>memory: the malloc family, served by mimalloc; this is the part the
   two block layouts share. A process has one layout for all its blocks,
   decided at its first hooked call (thag__layout):
     >>headers  summary and detail modes: every block carries a 16-byte
                header just before the pointer the program gets: the size
                it asked for and who allocated it (a call-tree node, or a
                stack record in detail mode), so a free is charged exactly,
                on any thread, with no table and no lock;
     >>sampled  sampled mode: bare blocks, mimalloc's own, and a set of the
                sampled ones (see thag__bare).
   Both charge real call stacks through >>stacks and live bytes through
   >>peak; >>hooks are the entry points, which pick the layout's path. */
#if THAG__MEMORY

#if defined(__cplusplus) && __cplusplus >= 201103L
#define THAG__THROW noexcept(true)
#elif defined(__cplusplus)
#define THAG__THROW throw()
#else
#define THAG__THROW
#endif

#define THAG__HDR ((size_t)16)
#define THAG__MAGIC 0xA5u
#define THAG__SIZE_MASK ((((uint64_t)1) << 47) - 1)
#define THAG__F_COUNTED (((uint64_t)1) << 54) /* the block is in the totals */
#define THAG__F_STACK (((uint64_t)1) << 55)   /* owner is a stack record */
#define THAG__MAX_REQUEST (((size_t)1) << 46)
#define THAG__SLACK 65536                     /* live bytes a thread keeps unpublished */
#define THAG__MAX_FRAMES 64

typedef struct thag__hdr { uint64_t word; void *owner; } thag__hdr;

/* THAG__ADD for the hooks' counters (one writer, read by output and peak
   snapshots from other threads): on x86-64 one add to memory, where the
   atomic store of THAG__ADD is a load, an add and a store (an aligned
   8-byte store is whole on x86, and the asm is not reordered with the
   atomics around it); the atomic form under ThreadSanitizer, which does
   not see into asm. */
#if defined(__has_feature) /* clang's ThreadSanitizer (GCC's defines __SANITIZE_THREAD__) */
#if __has_feature(thread_sanitizer)
#define THAG__TSAN 1
#endif
#endif
#ifndef THAG__TSAN
#define THAG__TSAN 0
#endif
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !THAG__TSAN
#define THAG__BUMP(p, v) __asm__("addq %1, %0" : "+m"(p) : "er"((int64_t)(v)))
#else
#define THAG__BUMP(p, v) THAG__ADD(p, v)
#endif

/* A build that profiles from the first allocation on (tools/preload.c,
   whose constructor may run after other libraries' constructors have
   allocated) defines THAG__LAZY_START as the function that starts it; it
   is called by allocations made before the profiler is configured. */
#ifdef THAG__LAZY_START
static void THAG__LAZY_START(void);
#define THAG__LAZY() \
    do { if (THAG__UNLIKELY(!THAG__LOAD(thag__g.configured)) && !thag__mem_busy) THAG__LAZY_START(); } while (0)
#else
#define THAG__LAZY() ((void)0)
#endif

/* Where an allocation call came from: the return address into its caller
   and the caller's frame pointer, both read at the hook's entry. They stay
   valid when the hook ends in a tail call (its own frame does not). */
typedef struct thag__at { uintptr_t ret, fp; } thag__at;
#if defined(__x86_64__) && defined(__GLIBC__) /* THAG__CFI (>>stacks) */
/* The caller's stack pointer of the thread's latest hook (THAG_STACK=unwind):
   not in thag__at, whose two words travel in registers (a third one costs
   frame-pointer walks a quarter of their time, passed in memory through
   the slow paths); checked against the return address before use. */
static THAG__TLS uintptr_t thag__hook_sp;
#endif

THAG__INLINE int thag__mem_on(void) {
    return THAG__LOAD(thag__g.mem_active) && !thag__mem_busy;
}

/* errno's address, found once per thread (errno is a call to
   __errno_location: too slow to make twice per allocation). */
static THAG__TLS int *thag__errp;
THAG__INLINE int *thag__errno(void) {
    int *p = thag__errp;
    if (THAG__UNLIKELY(!p)) p = thag__errp = &errno;
    return p;
}

/* The state of a thread whose first hook this is (an allocation or a
   free): what libc allocates for it is not accounted, and errno stays as
   the program left it. NULL if it cannot be made. */
THAG__COLD thag__thread *thag__hook_attach(void) {
    int *ep = thag__errno(), e = *ep;
    thag__thread *t;
    thag__mem_busy++;
    t = thag__attach();
    thag__mem_busy--;
    *ep = e;
    return t;
}

/* An allocation of n bytes aligned to `align` (a power of two). */
THAG__FN void thag__refuse(size_t n, thag__at fp); /* >>watch */

/* Whether a request of n bytes fails before reaching mimalloc: too large
   to be real (it must not abort), or above THAG_ALLOC_LIMIT. */
THAG__INLINE int thag__refused(size_t n, thag__at fp) {
    if (n > THAG__MAX_REQUEST) return 1;
    if (THAG__UNLIKELY(n > thag__g.alloc_limit) && thag__g.alloc_limit && thag__mem_on()) {
        thag__refuse(n, fp);
        return 1;
    }
    return 0;
}

/* Sampled mode keeps no header: its blocks are mimalloc's own, malloc is
   a countdown to the next sample point then mimalloc's call, and free a
   probe of the set of sampled blocks then mimalloc's. A process has one
   layout for all its blocks, decided at its first hooked call from the
   environment (THAG_SAMPLE_BYTES), before any block exists. */
enum { THAG__LAYOUT_UNKNOWN, THAG__LAYOUT_HEADER, THAG__LAYOUT_BARE };
static int thag__layout;                           /* atomic: set once */
static uint64_t thag__bare_mean;                   /* THAG_SAMPLE_BYTES, as read then */
static size_t thag__bare_max = THAG__MAX_REQUEST;  /* larger requests take the slow path */

/* THAG_SAMPLE_BYTES at the first hooked call, which can come before libc
   has set environ (it is then read from /proc/self/environ). 0 when unset
   or not a positive number: the configuration reports a bad value. */
THAG__FN uint64_t thag__early_sample_bytes(void) {
    static const char key[] = "THAG_SAMPLE_BYTES=";
    char buf[8192];
    const char *v = NULL;
    uint64_t x = 0;
    if (environ) {
        v = getenv("THAG_SAMPLE_BYTES");
    } else {
        int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1), i;
        if (fd >= 0) close(fd);
        for (i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1) {
            buf[n] = 0;
            if (strncmp(buf + i, key, sizeof key - 1) == 0) { v = buf + i + sizeof key - 1; break; }
        }
    }
    for (; v && *v >= '0' && *v <= '9'; v++) {
        if (x > (UINT64_MAX - 9) / 10) return 0;
        x = x * 10 + (uint64_t)(*v - '0');
    }
    return v && !*v ? x : 0;
}

/* What the hooks' fast paths may skip, in one load: set by thag__hot_set
   (>>headers) whenever one of its inputs changes (the layout, mimalloc's
   start, the configuration, memory profiling on or off). */
#define THAG__HOT_HDR 1     /* header layout, configured, mimalloc started, no THAG_ALLOC_LIMIT */
#define THAG__HOT_SUMMARY 2 /* and summary mode accounts: the hooks do it inline */
#define THAG__HOT_QUIET 4   /* and nothing is accounted: a header, no owner */
#define THAG__HOT_DETAIL 8  /* and detail mode accounts, with frame-pointer stacks (THAG_STACK=fp) */
#define THAG__HOT_BARE 16   /* the bare layout (sampled mode) */
#define THAG__HOT_SUM (THAG__HOT_HDR | THAG__HOT_SUMMARY) /* the whole word in summary mode's fast paths */
static int thag__hot; /* atomic */
THAG__FN void thag__hot_set(void);

THAG__FN int thag__layout_decide(void) {
    uint64_t mean = thag__early_sample_bytes();
    int none = THAG__LAYOUT_UNKNOWN;
    if (mean) __atomic_store_n(&thag__bare_mean, mean, __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&thag__layout, &none, mean ? THAG__LAYOUT_BARE : THAG__LAYOUT_HEADER, 0,
                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    thag__hot_set();
    return __atomic_load_n(&thag__layout, __ATOMIC_ACQUIRE);
}

/* Whether this process's blocks have no header (sampled mode). */
THAG__INLINE int thag__bare(void) {
    int l = THAG__LOAD(thag__layout);
    if (THAG__LIKELY(l != THAG__LAYOUT_UNKNOWN)) return l == THAG__LAYOUT_BARE;
    return thag__layout_decide() == THAG__LAYOUT_BARE;
}

/* >>stacks: the real call stacks of detail and sampled modes: records
   deduplicated by hash, per-thread counters, the frame-pointer walk and
   the unwinders (THAG_STACK). */

/* A deduplicated call stack (detail and sampled modes), read-only once
   published. Its counters are per thread (thag__scount, indexed by id):
   shared atomics on every allocation cost more than the stack walk. */
typedef struct thag__stack {
    struct thag__stack *next;  /* hash chain */
    uint64_t hash;
    thag__thread *thread;      /* its thread (the first one with THAG_MERGE_THREADS) */
    uint32_t id;               /* index of its counters in every thread */
    int depth;
    uintptr_t frames[1];
} thag__stack;

/* A thread's counters for one stack record; summed over threads at
   output (a block freed on another thread takes its live bytes back
   there). Sampled mode: allocs x THAG__W1. */
typedef struct thag__scount { uint64_t bytes, allocs, freed; int64_t live, peak; uint64_t temp; int64_t live_n; } thag__scount;

#define THAG__STACK_BUCKETS 65536
#define THAG__SC_CHUNK 1024u       /* counters per mapped chunk */
#define THAG__SC_CHUNKS 4096u      /* at most 4M distinct stacks */
#define THAG__SCACHE 1024u         /* a thread's recently used stacks */
#define THAG__SPRED 64u            /* and after them, the last stack of each return address (by hash) */
static thag__stack *thag__stacks[THAG__STACK_BUCKETS];
static pthread_mutex_t thag__stack_lock = PTHREAD_MUTEX_INITIALIZER;
static thag__arena thag__stack_arena = {NULL, NULL, 1 << 20};
static uint32_t thag__stack_count;         /* ids handed out (under the lock) */
static int64_t thag__g_live, thag__g_peak; /* atomic: published live bytes */

/* The hash of a call stack, built one frame at a time (the frame-pointer
   walk hashes as it goes: the multiplies hide behind its loads). */
#define THAG__HASH0 ((uint64_t)1469598103934665603u)
#define THAG__HASH_STEP(h, f) (((h) ^ (f)) * 1099511628211ull)
#define THAG__HASH_END(h, n) ((h) ^ (uint64_t)(n) ^ ((h) >> 29)) /* buckets take the low bits */

THAG__FN uint64_t thag__hash_frames(const uintptr_t *f, int n) {
    uint64_t h = THAG__HASH0;
    int i;
    for (i = 0; i < n; i++) h = THAG__HASH_STEP(h, f[i]);
    return THAG__HASH_END(h, n);
}

THAG__INLINE int thag__same_frames(const thag__stack *s, const thag__thread *t, uint64_t h, const uintptr_t *f,
                                   int n) {
    int i;
    if (s->hash != h || s->depth != n || (s->thread != t && !thag__g.merge_threads)) return 0;
    for (i = 0; i < n; i++)
        if (s->frames[i] != f[i]) return 0;
    return 1;
}

/* Finds or adds the record of a call stack in the global table; lock-free
   when it exists. */
THAG__FN thag__stack *thag__stack_find(thag__thread *t, uint64_t h, const uintptr_t *f, int n) {
    thag__stack **b = &thag__stacks[h & (THAG__STACK_BUCKETS - 1)], *s;
    for (s = __atomic_load_n(b, __ATOMIC_ACQUIRE); s; s = s->next)
        if (thag__same_frames(s, t, h, f, n)) return s;
    pthread_mutex_lock(&thag__stack_lock);
    for (s = *b; s; s = s->next)
        if (thag__same_frames(s, t, h, f, n)) break;
    if (!s && thag__stack_count < THAG__SC_CHUNK * THAG__SC_CHUNKS &&
        (s = (thag__stack *)thag__arena_alloc(&thag__stack_arena, sizeof *s + (size_t)n * sizeof *f))) {
        s->hash = h;
        s->depth = n;
        s->thread = t;
        s->id = thag__stack_count++;
        memcpy(s->frames, f, (size_t)n * sizeof *f);
        s->next = *b;
        __atomic_store_n(b, s, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&thag__stack_lock);
    return s;
}

/* The calling thread's counters of a stack record, mapped on first use
   (chunks are published with release: output reads them from another
   thread); NULL when out of memory. */
THAG__FN thag__scount *thag__sc_map(thag__thread *t, uint32_t id) {
    thag__scount *c;
    if (!t->m_sc) {
        thag__scount **top = (thag__scount **)thag__pmap(THAG__SC_CHUNKS * sizeof *top);
        if (!top) return NULL;
        __atomic_store_n(&t->m_sc, top, __ATOMIC_RELEASE);
    }
    if (!(c = (thag__scount *)thag__pmap(THAG__SC_CHUNK * sizeof *c))) return NULL;
    __atomic_store_n(&t->m_sc[id / THAG__SC_CHUNK], c, __ATOMIC_RELEASE);
    return &c[id % THAG__SC_CHUNK];
}

THAG__INLINE thag__scount *thag__sc(thag__thread *t, uint32_t id) {
    thag__scount *c;
    if (THAG__LIKELY(t->m_sc != NULL) && THAG__LIKELY((c = t->m_sc[id / THAG__SC_CHUNK]) != NULL))
        return &c[id % THAG__SC_CHUNK];
    return thag__sc_map(t, id);
}

/* The record of the call stack f[0..n) of hash h and the calling thread's
   counters of it (*c; NULL when out of memory): from the thread's cache
   of recent stacks (a loop allocates from the same few), else the global
   table. Threads have records of their own (the same frames on two threads
   are two stacks under two thread frames) unless THAG_MERGE_THREADS. */
typedef struct thag__scache { thag__stack *s; thag__scount *c; } thag__scache;
THAG__FN thag__stack *thag__stack_of(thag__thread *t, const uintptr_t *f, int n, uint64_t h, thag__scount **c) {
    thag__scache *slot;
    thag__stack *s;
    if (!thag__g.merge_threads) h = (h ^ (uint64_t)(uintptr_t)t) * 0x9E3779B97F4A7C15ull;
    if (THAG__UNLIKELY(!t->m_scache) && !(t->m_scache = (thag__scache *)thag__pmap((THAG__SCACHE + THAG__SPRED) * sizeof *slot))) {
        s = thag__stack_find(t, h, f, n);
        *c = s ? thag__sc(t, s->id) : NULL;
        return s;
    }
    slot = &t->m_scache[(h >> 16) & (THAG__SCACHE - 1)];
    if ((s = slot->s) != NULL && thag__same_frames(s, t, h, f, n)) {
        *c = slot->c;
        return s;
    }
    *c = NULL;
    if ((s = thag__stack_find(t, h, f, n)) != NULL && (*c = thag__sc(t, s->id)) != NULL) {
        slot->s = s;
        slot->c = *c;
    }
    return s;
}

/* The same when they are mapped, else NULL (no system call). */
THAG__INLINE thag__scount *thag__sc_have(const thag__thread *t, uint32_t id) {
    thag__scount *c;
    if (THAG__LIKELY(t->m_sc != NULL) && THAG__LIKELY((c = t->m_sc[id / THAG__SC_CHUNK]) != NULL))
        return &c[id % THAG__SC_CHUNK];
    return NULL;
}

/* The sum over every thread of a stack record's counters (at output). */
THAG__FN thag__scount thag__sc_total(const thag__stack *s) {
    thag__scount sum = {0, 0, 0, 0, 0, 0, 0};
    thag__thread *t;
    for (t = thag__g.threads; t; t = t->next) {
        thag__scount **top = __atomic_load_n(&t->m_sc, __ATOMIC_ACQUIRE), *c;
        if (!top || !(c = __atomic_load_n(&top[s->id / THAG__SC_CHUNK], __ATOMIC_ACQUIRE))) continue;
        c += s->id % THAG__SC_CHUNK;
        sum.bytes += THAG__LOAD(c->bytes);
        sum.allocs += THAG__LOAD(c->allocs);
        sum.freed += THAG__LOAD(c->freed);
        sum.live += THAG__LOAD(c->live);
        sum.live_n += THAG__LOAD(c->live_n);
        sum.peak += THAG__LOAD(c->peak);
        sum.temp += THAG__LOAD(c->temp);
    }
    return sum;
}

/* The return addresses of a call's frame-pointer chain, innermost first. Stops at the thread's stack bounds, so a frame
   without a frame pointer ends the walk early instead of crashing. */
THAG__INLINE int thag__fp_walk(thag__at at, uintptr_t hi, uintptr_t *out, int max, uint64_t *hash) {
    uint64_t h = THAG__HASH0;
    int n = 0;
    uintptr_t fp = at.fp, lo = (uintptr_t)&h; /* the caller's frame is above ours */
    if (at.ret >= 4096) {
        out[n++] = at.ret;
        h = THAG__HASH_STEP(h, at.ret);
    }
    if (fp < lo) fp = hi; /* no walk: each frame is above the one before */
    while (fp < hi && !(fp & 7)) { /* n < max here */
        uintptr_t next = ((const uintptr_t *)fp)[0], ret = thag__ret_strip(((const uintptr_t *)fp)[1]);
        if (ret < 4096) break;
        out[n++] = ret;
        h = THAG__HASH_STEP(h, ret);
        if (next <= fp || n == max) break;
        fp = next;
    }
    *hash = THAG__HASH_END(h, n);
    return n;
}

/* The top of the calling thread's stack, found once (glibc's lookup for
   the main thread reads /proc and allocates: the caller is busy). */
THAG__FN uintptr_t thag__stack_top(thag__thread *t) {
    pthread_attr_t a;
    void *lo;
    size_t size;
    if (t->m_stack_top) return t->m_stack_top;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        if (pthread_attr_getstack(&a, &lo, &size) == 0) {
            t->m_stack_lo = (uintptr_t)lo;
            t->m_stack_top = (uintptr_t)lo + size;
        }
        pthread_attr_destroy(&a);
    }
    return t->m_stack_top;
}

/* THAG_STACK=unwind: the DWARF unwinder (libgcc), for code built without
   frame pointers (system libraries, unmodified programs). Slower; the
   frames before the one returning to the hook's caller are the profiler's. */
typedef struct thag__unw { uintptr_t ret, *out; int n; } thag__unw;

THAG__FN _Unwind_Reason_Code thag__unw_frame(struct _Unwind_Context *c, void *arg) {
    thag__unw *u = (thag__unw *)arg;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(c);
    if (!ip || (!u->n && ip != u->ret)) return _URC_NO_REASON; /* the profiler's frames, and the hook's */
    u->out[u->n++] = ip;
    return u->n == THAG__MAX_FRAMES ? _URC_END_OF_STACK : _URC_NO_REASON;
}


#if defined(__x86_64__) && defined(__GLIBC__)
/* THAG_STACK=unwind on x86-64: the unwinding rule of each return address
   (where its caller's frame starts, where rbp was saved) is read once from
   the DWARF call frame information (.eh_frame, found by libgcc's
   _Unwind_Find_FDE) and kept in a table shared by the threads, so a stack
   costs one lookup and two loads per frame, not a DWARF walk (libgcc's
   _Unwind_Backtrace decodes every frame's FDE at every call). The frames are
   the ones _Unwind_Backtrace reports; a frame whose rule is not one of the
   common forms (CFA = rsp or rbp + n, return address at CFA-8, rbp unchanged
   or saved at CFA+n: a signal frame, a DWARF expression...) or a stack that
   leaves the thread's stack bounds sends the whole capture to
   _Unwind_Backtrace. */
#define THAG__CFI 1
#define THAG__CFI_BITS 16 /* 65536 return addresses, 1 MiB mapped on first use; full: rules are no longer kept */
#define THAG__CFI_NONE 0 /* no usable rule: the whole capture goes to libgcc */
#define THAG__CFI_STEP 1 /* a frame with a rule */
#define THAG__CFI_LAST 2 /* the outermost frame: no FDE, or an undefined return address */
#define THAG__CFI_BUSY ((uintptr_t)1) /* a slot being filled */
typedef struct thag__cfi { uintptr_t ip; int32_t cfa_off; int16_t bp_off; uint8_t cfa_bp, kind; } thag__cfi;
struct thag__eh_bases { void *tbase, *dbase, *func; };
#ifdef __cplusplus
extern "C"
#endif
    const void *
    _Unwind_Find_FDE(void *pc, struct thag__eh_bases *bases); /* libgcc_s, GCC_3.0 */
static thag__cfi *thag__cfi_tab;
static uint32_t thag__cfi_used;
/* dlclose calls so far (atomic): a library unloaded and another mapped at
   its addresses must not get its rules. A rule is kept under the key
   ip | generation << 48 (user code addresses fit in 47 bits), so the rules
   read before an unload stop matching at once, and their slots are taken
   again; thag__cfi_unloaded (the dlclose hook) counts them. */
static uint32_t thag__cfi_gen;
#define THAG__CFI_KEY(ip, gen) ((ip) | (uintptr_t)((gen) & 0xffffu) << 48)

THAG__FN uint64_t thag__uleb(const uint8_t **p, const uint8_t *end) {
    uint64_t v = 0;
    unsigned s = 0;
    while (*p < end) {
        uint8_t b = *(*p)++;
        if (s < 64) v |= (uint64_t)(b & 0x7f) << s;
        s += 7;
        if (!(b & 0x80)) break;
    }
    return v;
}

THAG__FN int64_t thag__sleb(const uint8_t **p, const uint8_t *end) {
    uint64_t v = 0;
    unsigned s = 0;
    uint8_t b = 0;
    while (*p < end) {
        b = *(*p)++;
        if (s < 64) v |= (uint64_t)(b & 0x7f) << s;
        s += 7;
        if (!(b & 0x80)) break;
    }
    if (s < 64 && (b & 0x40)) v |= ~(uint64_t)0 << s;
    return (int64_t)v;
}

/* Skips a pointer of DW_EH_PE encoding enc (only its size matters here: the
   function's start comes from _Unwind_Find_FDE). 0 if the encoding is unknown. */
THAG__FN int thag__eh_skip(const uint8_t **p, const uint8_t *end, uint8_t enc) {
    if (enc == 0xff) return 1; /* DW_EH_PE_omit */
    switch (enc & 0x0f) {
    case 0x00: case 0x04: case 0x0c: *p += 8; break; /* absptr, udata8, sdata8 */
    case 0x02: case 0x0a: *p += 2; break;
    case 0x03: case 0x0b: *p += 4; break;
    case 0x01: case 0x09: (void)thag__uleb(p, end); break;
    default: return 0;
    }
    return *p <= end;
}

/* A register's rule while the CFA program runs: how to find rbp's and the
   return address's values (DWARF registers 6 and 16). */
#define THAG__R_SAME 0
#define THAG__R_AT 1    /* saved at CFA + off */
#define THAG__R_UNDEF 2 /* undefined (the return address: the outermost frame) */
#define THAG__R_OTHER 3 /* anything else: not handled here */
typedef struct thag__cfs { int64_t cfa_off, bp_off, ra_off; int cfa_reg, bp, ra; } thag__cfs;

THAG__FN void thag__cfs_reg(thag__cfs *s, uint64_t reg, int rule, int64_t off) {
    if (reg == 6) { s->bp = rule; s->bp_off = off; }
    else if (reg == 16) { s->ra = rule; s->ra_off = off; }
    else if (reg == 7 && rule != THAG__R_SAME) s->cfa_reg = -1; /* rsp restored from memory */
}

/* Runs the CFA program [p, end) while its location is at or before
   target; init is the state after the CIE's program (for DW_CFA_restore).
   Returns 0 on an instruction it does not know. */
THAG__FN int thag__cfa_run(thag__cfs *s, const thag__cfs *init, const uint8_t *p, const uint8_t *end,
                           uintptr_t loc, uintptr_t target, uint64_t ca, int64_t da) {
    thag__cfs saved[8];
    int depth = 0;
    while (p < end) {
        uint8_t op = *p++, lo = op & 0x3f;
        uint64_t reg, len;
        uintptr_t adv = 0;
        switch (op >> 6) {
        case 1: /* DW_CFA_advance_loc */
            if ((loc += lo * ca) > target) return 1;
            continue;
        case 2: thag__cfs_reg(s, lo, THAG__R_AT, (int64_t)thag__uleb(&p, end) * da); continue;
        case 3: /* DW_CFA_restore */
            if (lo == 6) { s->bp = init->bp; s->bp_off = init->bp_off; }
            if (lo == 16) { s->ra = init->ra; s->ra_off = init->ra_off; }
            continue;
        default: break;
        }
        switch (op) {
        case 0x00: continue; /* nop */
        case 0x02: if (p + 1 > end) return 0; adv = p[0] * ca; p += 1; break;
        case 0x03: { uint16_t v; if (p + 2 > end) return 0; memcpy(&v, p, 2); adv = v * ca; p += 2; break; }
        case 0x04: { uint32_t v; if (p + 4 > end) return 0; memcpy(&v, p, 4); adv = v * ca; p += 4; break; }
        case 0x05: reg = thag__uleb(&p, end); thag__cfs_reg(s, reg, THAG__R_AT, (int64_t)thag__uleb(&p, end) * da); continue;
        case 0x06: /* DW_CFA_restore_extended */
            reg = thag__uleb(&p, end);
            if (reg == 6) { s->bp = init->bp; s->bp_off = init->bp_off; }
            if (reg == 16) { s->ra = init->ra; s->ra_off = init->ra_off; }
            continue;
        case 0x07: thag__cfs_reg(s, thag__uleb(&p, end), THAG__R_UNDEF, 0); continue;
        case 0x08: thag__cfs_reg(s, thag__uleb(&p, end), THAG__R_SAME, 0); continue;
        case 0x09: reg = thag__uleb(&p, end); (void)thag__uleb(&p, end); thag__cfs_reg(s, reg, THAG__R_OTHER, 0); continue;
        case 0x0a: if (depth == 8) return 0; saved[depth++] = *s; continue;
        case 0x0b: if (!depth) return 0; *s = saved[--depth]; continue; /* the CFA too, as libgcc does */
        case 0x0c: s->cfa_reg = (int)thag__uleb(&p, end); s->cfa_off = (int64_t)thag__uleb(&p, end); continue;
        case 0x0d: s->cfa_reg = (int)thag__uleb(&p, end); continue;
        case 0x0e: s->cfa_off = (int64_t)thag__uleb(&p, end); continue;
        case 0x0f: len = thag__uleb(&p, end); p += len; s->cfa_reg = -1; continue; /* def_cfa_expression */
        case 0x10: case 0x16: /* expression, val_expression */
            reg = thag__uleb(&p, end);
            len = thag__uleb(&p, end);
            p += len;
            thag__cfs_reg(s, reg, THAG__R_OTHER, 0);
            continue;
        case 0x11: reg = thag__uleb(&p, end); thag__cfs_reg(s, reg, THAG__R_AT, thag__sleb(&p, end) * da); continue;
        case 0x12: s->cfa_reg = (int)thag__uleb(&p, end); s->cfa_off = thag__sleb(&p, end) * da; continue;
        case 0x13: s->cfa_off = thag__sleb(&p, end) * da; continue;
        case 0x14: reg = thag__uleb(&p, end); (void)thag__uleb(&p, end); thag__cfs_reg(s, reg, THAG__R_OTHER, 0); continue;
        case 0x15: reg = thag__uleb(&p, end); (void)thag__sleb(&p, end); thag__cfs_reg(s, reg, THAG__R_OTHER, 0); continue;
        case 0x2e: (void)thag__uleb(&p, end); continue; /* DW_CFA_GNU_args_size */
        case 0x2f: reg = thag__uleb(&p, end); thag__cfs_reg(s, reg, THAG__R_AT, -(int64_t)thag__uleb(&p, end) * da); continue;
        default: return 0; /* DW_CFA_set_loc and the rest */
        }
        if ((loc += adv) > target) return 1;
    }
    return 1;
}

/* The rule of the frame whose return address is ip, from its FDE. */
THAG__FN thag__cfi thag__cfi_rule(uintptr_t ip) {
    struct thag__eh_bases b;
    thag__cfi r;
    thag__cfs st, init;
    const uint8_t *fde, *cie, *p, *fend, *cend, *insn;
    const char *aug;
    uint32_t len, id;
    uint64_t ca;
    int64_t da;
    uint8_t fde_enc = 0;
    int z;
    memset(&r, 0, sizeof r);
    r.ip = ip;
    if (!(fde = (const uint8_t *)_Unwind_Find_FDE((void *)(ip - 1), &b))) { r.kind = THAG__CFI_LAST; return r; }
    memcpy(&len, fde, 4);
    if (len == 0xffffffffu || len < 8) return r; /* 64-bit DWARF: not in .eh_frame */
    fend = fde + 4 + len;
    memcpy(&id, fde + 4, 4);
    cie = fde + 4 - id;
    memcpy(&len, cie, 4);
    if (len == 0xffffffffu || len < 8) return r;
    cend = cie + 4 + len;
    p = cie + 9; /* length, id, version */
    aug = (const char *)p;
    while (p < cend && *p) p++;
    if (p++ >= cend || (aug[0] && aug[0] != 'z')) return r;
    ca = thag__uleb(&p, cend);
    da = thag__sleb(&p, cend);
    if (cie[8] == 1) p++; /* the return address register: a byte in version 1 */
    else (void)thag__uleb(&p, cend);
    insn = p;
    if ((z = aug[0] == 'z') != 0) {
        uint64_t alen = thag__uleb(&p, cend);
        const char *a;
        insn = p + alen;
        for (a = aug + 1; *a && p < insn; a++) {
            if (*a == 'R') fde_enc = *p++;
            else if (*a == 'L') p++;
            else if (*a == 'P') { uint8_t e = *p++; if (!thag__eh_skip(&p, insn, e)) return r; }
            else return r; /* 'S': a signal frame; anything else unknown */
        }
    }
    memset(&st, 0, sizeof st);
    st.cfa_reg = -1;
    if (!thag__cfa_run(&st, &st, insn, cend, 0, 0, ca, da)) return r; /* the CIE's program runs whole */
    init = st;
    p = fde + 8;
    if (!thag__eh_skip(&p, fend, fde_enc) || !thag__eh_skip(&p, fend, fde_enc & 0x0f)) return r;
    if (z) { uint64_t alen = thag__uleb(&p, fend); p += alen; }
    if (p > fend || !thag__cfa_run(&st, &init, p, fend, (uintptr_t)b.func, ip - 1, ca, da)) return r;
    if (st.ra == THAG__R_UNDEF) { r.kind = THAG__CFI_LAST; return r; }
    if ((st.cfa_reg != 6 && st.cfa_reg != 7) || st.cfa_off < 8 || st.cfa_off > INT32_MAX || st.ra != THAG__R_AT ||
        st.ra_off != -8 || (st.bp != THAG__R_SAME && st.bp != THAG__R_AT) ||
        (st.bp == THAG__R_AT && (st.bp_off >= 0 || st.bp_off < INT16_MIN)))
        return r;
    r.cfa_bp = st.cfa_reg == 6;
    r.cfa_off = (int32_t)st.cfa_off;
    r.bp_off = st.bp == THAG__R_AT ? (int16_t)st.bp_off : 0;
    r.kind = THAG__CFI_STEP;
    return r;
}

/* The rule of return address ip, read and added to the table (a slot,
   empty or of an older generation, is claimed by a compare-and-swap,
   filled, then published by its key). Off the walk's path. */
__attribute__((noinline)) THAG__FN thag__cfi thag__cfi_add(uintptr_t ip, uintptr_t key) {
    thag__cfi *tab = __atomic_load_n(&thag__cfi_tab, __ATOMIC_ACQUIRE), *e = NULL, r = thag__cfi_rule(ip);
    uint32_t mask = (1u << THAG__CFI_BITS) - 1, i = (uint32_t)((ip * 0x9e3779b97f4a7c15ull) >> 40) & mask, k;
    uintptr_t v = 0;
    if (ip >> 48) return r; /* not a user code address: no key */
    if (!tab) {
        thag__cfi *fresh = (thag__cfi *)thag__pmap(sizeof(thag__cfi) << THAG__CFI_BITS), *none = NULL;
        if (!fresh) return r;
        if (!__atomic_compare_exchange_n(&thag__cfi_tab, &none, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            munmap(fresh, sizeof(thag__cfi) << THAG__CFI_BITS);
            fresh = none;
        }
        tab = fresh;
    }
    for (k = 0; k < 16; k++, i = (i + 1) & mask) {
        if ((v = __atomic_load_n(&tab[i].ip, __ATOMIC_ACQUIRE)) == 0 || v == key) break;
        if (!e && v != THAG__CFI_BUSY && (v >> 48) != (key >> 48)) e = &tab[i]; /* an older generation's */
    }
    if (v == key) return r; /* added meanwhile */
    if (!e) {
        if (k == 16 || __atomic_load_n(&thag__cfi_used, __ATOMIC_RELAXED) > (mask >> 1)) return r; /* full */
        e = &tab[i];
    }
    v = __atomic_load_n(&e->ip, __ATOMIC_RELAXED);
    if ((v && (v == THAG__CFI_BUSY || (v >> 48) == (key >> 48))) ||
        !__atomic_compare_exchange_n(&e->ip, &v, THAG__CFI_BUSY, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return r; /* taken meanwhile: next time */
    __atomic_thread_fence(__ATOMIC_RELEASE); /* BUSY before the fields, for a reader's second check */
    e->cfa_off = r.cfa_off;
    e->bp_off = r.bp_off;
    e->cfa_bp = r.cfa_bp;
    e->kind = r.kind;
    __atomic_store_n(&e->ip, key, __ATOMIC_RELEASE);
    if (!v) __atomic_add_fetch(&thag__cfi_used, 1, __ATOMIC_RELAXED);
    return r;
}

/* The rule of return address ip: from the table (a reader checks the key
   again after its copy: a slot taken again after an unload is never read
   half written), else thag__cfi_add. */
THAG__INLINE thag__cfi thag__cfi_get(uintptr_t ip) {
    const thag__cfi *tab = __atomic_load_n(&thag__cfi_tab, __ATOMIC_ACQUIRE);
    uint32_t mask = (1u << THAG__CFI_BITS) - 1, i = (uint32_t)((ip * 0x9e3779b97f4a7c15ull) >> 40) & mask, k;
    uintptr_t key = THAG__CFI_KEY(ip, __atomic_load_n(&thag__cfi_gen, __ATOMIC_ACQUIRE)), v;
    thag__cfi r;
    for (k = 0; tab && k < 16; k++, i = (i + 1) & mask) {
        if ((v = __atomic_load_n(&tab[i].ip, __ATOMIC_ACQUIRE)) == key) {
            r = tab[i];
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&tab[i].ip, __ATOMIC_RELAXED) == key) return r;
            break;
        }
        if (!v) break;
    }
    return thag__cfi_add(ip, key);
}

/* After a dlclose: the rules read so far no longer match (a new
   generation). The 16-bit generation in the keys wraps after 65536
   unloads: a fresh table then (the old one stays mapped for readers still
   probing it). */
THAG__FN void thag__cfi_unloaded(void) {
    if (!(__atomic_add_fetch(&thag__cfi_gen, 1, __ATOMIC_ACQ_REL) & 0xffffu)) {
        __atomic_store_n(&thag__cfi_tab, (thag__cfi *)NULL, __ATOMIC_RELEASE);
        __atomic_store_n(&thag__cfi_used, 0, __ATOMIC_RELAXED);
    }
}

/* The walk before on this thread, to reuse its outer frames. A walk is a
   function of its state at a frame (ip, sp, bp), of the rules (fixed) and
   of the stack words it reads: when the walk reaches the state the last
   walk had at some frame, and every word the last walk read from there on
   still holds the same value, the rest is the last walk's, exactly. The
   check is one independent load per frame instead of a lookup chain. */
typedef struct thag__cfw { uintptr_t ip, sp, bp; intptr_t bp_off; } thag__cfw;
typedef struct thag__cfrec {
    int n, ok;         /* ok: a whole walk (not cut by THAG__MAX_FRAMES, no libgcc) */
    uintptr_t zero_at; /* where the last walk read its 0 return address (0: it ended on a rule) */
    thag__cfw f[THAG__MAX_FRAMES];
} thag__cfrec;
typedef struct thag__cflast {
    int cur;      /* rec[cur]: the last walk */
    uint32_t gen; /* thag__cfi_gen when a walk last started: rec[cur] is not reused under another */
    thag__cfrec rec[2];
} thag__cflast;
static THAG__TLS thag__cflast *thag__cf_last; /* mapped at the thread's first walk, kept */

/* Do the words the last walk read from frame j on still hold their values? */
THAG__FN int thag__cf_same(const thag__cfrec *o, int j) {
    int same = 1;
    for (; j + 1 < o->n; j++) {
        const thag__cfw *a = &o->f[j], *b = &o->f[j + 1];
        same &= ((const uintptr_t *)b->sp)[-1] == b->ip;
        if (a->bp_off) same &= *(const uintptr_t *)(b->sp + (uintptr_t)a->bp_off) == b->bp;
    }
    if (o->zero_at) same &= *(const uintptr_t *)o->zero_at == 0;
    return same;
}

/* The stack from the hook's caller outward by the cached rules; -1 when a
   frame needs libgcc's unwinder. */
__attribute__((noinline)) /* keeps thag__capture's frame-pointer path as short as it was */
THAG__FN int thag__cfi_walk(thag__at at, uintptr_t lo, uintptr_t hi, uintptr_t *out, uint64_t *hash) {
    uint64_t h = THAG__HASH0;
    uintptr_t ip = at.ret, sp = thag__hook_sp, bp = at.fp;
    thag__cflast *L = thag__cf_last;
    thag__cfrec *o, *w;
    uint32_t gen;
    int n = 0, j = 0, reuse;
    /* A hook that ran since ours (a signal handler's) left its own sp: its
       return address slot tells (it holds ours while our hook runs or has
       tail-called on). */
    if (sp <= lo || sp > hi || ((const uintptr_t *)sp)[-1] != ip) return -1;
    if (THAG__UNLIKELY(!L) && !(L = thag__cf_last = (thag__cflast *)thag__pmap(sizeof *L))) return -1;
    o = &L->rec[L->cur];
    w = &L->rec[L->cur ^ 1];
    /* Only walks on the thread's own stack (checked above) are kept and
       reused: its words stay mapped (a coroutine's or a signal handler's
       stack may be freed). */
    if (THAG__UNLIKELY(L->gen != (gen = __atomic_load_n(&thag__cfi_gen, __ATOMIC_ACQUIRE)))) {
        L->gen = gen; /* a library was unloaded since o was walked: its rules may be gone */
        o->ok = 0;
    }
    reuse = o->ok;
    w->ok = 0;
    w->zero_at = 0;
    while (n < THAG__MAX_FRAMES && ip) {
        thag__cfi r;
        uintptr_t cfa;
        if (reuse) {
            while (j < o->n && o->f[j].sp < sp) j++;
            if (j < o->n && o->f[j].sp == sp && o->f[j].ip == ip && o->f[j].bp == bp) {
                if (thag__cf_same(o, j)) {
                    for (; j < o->n && n < THAG__MAX_FRAMES; j++, n++) {
                        w->f[n] = o->f[j];
                        out[n] = o->f[j].ip;
                        h = THAG__HASH_STEP(h, out[n]);
                    }
                    w->ok = j == o->n; /* o's walk started on the thread's stack, so does this one */
                    w->zero_at = o->zero_at;
                    goto done;
                }
                reuse = 0; /* changed: walk the rest (one check per walk) */
            }
        }
        w->f[n].ip = ip;
        w->f[n].sp = sp;
        w->f[n].bp = bp;
        w->f[n].bp_off = 0;
        out[n++] = ip;
        h = THAG__HASH_STEP(h, ip);
        r = thag__cfi_get(ip);
        if (r.kind == THAG__CFI_LAST) { w->ok = 1; break; }
        if (r.kind != THAG__CFI_STEP) return -1; /* o is left as it was */
        cfa = (r.cfa_bp ? bp : sp) + (uintptr_t)(intptr_t)r.cfa_off;
        if (cfa <= sp || cfa > hi || (cfa & 7)) return -1; /* off this stack (sigaltstack, a coroutine's) */
        ip = ((const uintptr_t *)cfa)[-1];
        if (r.bp_off) {
            uintptr_t slot = cfa + (uintptr_t)(intptr_t)r.bp_off;
            if (slot < sp) return -1; /* rbp saved below the frame: a stale rule (dlclose), never read */
            bp = *(const uintptr_t *)slot;
        }
        w->f[n - 1].bp_off = r.bp_off;
        sp = cfa;
        if (!ip) { w->zero_at = cfa - sizeof ip; w->ok = 1; }
    }
done:
    w->n = n;
    L->cur ^= 1;
    *hash = THAG__HASH_END(h, n);
    return n;
}

/* dlclose, interposed (the executable's, or libthag_preload.so's under
   thag-run): once glibc has unloaded, the rules read so far are dropped
   (thag__cfi_unloaded), so that code mapped later at the same addresses
   gets its own. glibc declares it in dlfcn.h. */
#include <dlfcn.h>
#ifdef RTLD_NEXT
#define THAG__RTLD_NEXT RTLD_NEXT
#else
#define THAG__RTLD_NEXT ((void *)-1l) /* glibc's value, declared only with _GNU_SOURCE */
#endif
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((no_instrument_function, visibility("default"))) int dlclose(void *handle) THAG__THROW {
    static void *next; /* atomic: glibc's dlclose */
    void *p = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
    int (*fn)(void *);
    int rc;
    if (!p) {
        if (!(p = dlsym(THAG__RTLD_NEXT, "dlclose"))) return -1; /* no dynamic loader: nothing was opened */
        __atomic_store_n(&next, p, __ATOMIC_RELEASE);
    }
    memcpy(&fn, &p, sizeof fn); /* ISO C has no object-to-function pointer cast */
    rc = fn(handle);
    thag__cfi_unloaded();
    return rc;
}
#ifdef __cplusplus
}
#endif
#endif

/* The calling stack above fp into out, innermost first, and its hash. */
THAG__FN int thag__capture(thag__thread *t, thag__at fp, uintptr_t *out, uint64_t *hash) {
    if (thag__g.stack_unwind) {
        thag__unw u;
#ifdef THAG__CFI
        uintptr_t hi = thag__stack_top(t); /* sets m_stack_lo too */
        int n = thag__g.stack_unwind == THAG__STACK_UNWIND ? thag__cfi_walk(fp, t->m_stack_lo, hi, out, hash) : -1;
        if (n >= 0) return n;
#endif
        u.ret = fp.ret;
        u.out = out;
        u.n = 0;
        _Unwind_Backtrace(thag__unw_frame, &u);
        *hash = thag__hash_frames(out, u.n);
        return u.n;
    }
    return thag__fp_walk(fp, thag__stack_top(t), out, THAG__MAX_FRAMES, hash);
}

/* The record of the calling stack above fp and the calling thread's
   counters of it (NULL, NULL when out of memory). */
THAG__FN thag__stack *thag__stack_here(thag__thread *t, thag__at fp, thag__scount **c) {
    uintptr_t f[THAG__MAX_FRAMES];
    uint64_t h;
    int n = thag__capture(t, fp, f, &h);
    return thag__stack_of(t, f, n, h, c);
}

/* >>peak: what held memory at the peak, and memory over time.
   A peak snapshot copies every scope's live bytes (and in detail and
   sampled modes every stack's) into its peak field: a walk of the call-tree
   nodes and stack counters, never of the heap, so its pause is proportional
   to the number of nodes and stacks. The first free that finds the live
   bytes at or above thag__snap_next takes one before the block leaves the
   counts: a local maximum at least 1% (and 1 KiB) above the last snapshot.
   The output takes one too when the live bytes are then above it. A peak
   that was not captured is below the threshold, so the snapshot's total is
   within 1% (or 1 KiB) below the peak, and equals it when the peak was
   followed by a free or by the output (its total is live bytes at one
   moment with one allocating thread; with several, each thread's counters
   as the walk reads them, and the trigger sees the live bytes as its thread
   knows them: within THAG__SLACK per thread). The snapshots of a run that
   grows from 4 KiB to 4 GiB number about 1,400. */
THAG__FN thag__node *thag__next_node(thag__node *n, const thag__node *root);
static int64_t thag__snap_next;  /* atomic: live bytes from which a free snapshots */
static int64_t thag__snap_live;  /* highest live bytes a trigger saw: the next threshold is 1% above (under thag__snap_lock) */
static int64_t thag__snap_total; /* the last snapshot's total (under thag__snap_lock) */
static int thag__snap_taken;     /* under thag__snap_lock */
static pthread_mutex_t thag__snap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Memory over time: at most THAG__MPOINTS points (time, live bytes,
   allocations so far), recorded when a thread publishes its live bytes
   (every THAG__SLACK of change), in sampled mode when a sample comes or
   goes, and at every snapshot; a point closer than `gap` to the last one
   is skipped, and a full series drops every other point and doubles the
   gap (as massif thins its snapshots). The last snapshot's point is the
   peak's, kept apart. Written as <p>-<ts>-massif.out. */
typedef struct thag__mpoint { uint64_t ticks; int64_t live; uint64_t allocs; } thag__mpoint;
#define THAG__MPOINTS 200
static struct {
    pthread_mutex_t lock;
    thag__mpoint v[THAG__MPOINTS], peak;
    int n, have_peak;
    uint64_t gap, last; /* last: atomic, ticks of the last point (a lock-free first check) */
} thag__mp;

/* Allocations so far: the sum over every thread's nodes (sampled mode
   counts them in THAG__W1ths). */
THAG__FN uint64_t thag__mem_allocs_now(void) {
    uint64_t a = 0;
    thag__thread *t;
    thag__node *n;
    for (t = __atomic_load_n(&thag__g.threads, __ATOMIC_ACQUIRE); t; t = t->next)
        for (n = &t->root; n; n = thag__next_node(n, &t->root)) a += THAG__LOAD(n->m_allocs);
    return thag__g.sample_bytes ? THAG__UNW(a) : a;
}

/* Keeps every other point of a full series and doubles the gap. */
THAG__FN void thag__mp_thin(void) {
    int i, n = thag__mp.n;
    uint64_t span = thag__mp.v[n - 1].ticks - thag__mp.v[0].ticks;
    for (i = 0; 2 * i < n; i++) thag__mp.v[i] = thag__mp.v[2 * i];
    thag__mp.n = i;
    thag__mp.gap = thag__mp.gap ? thag__mp.gap * 2 : span / (uint64_t)i + 1;
}

/* Records a point of the series (peak: the snapshot's point, always
   kept); wait = 0 from the hooks, which never block on the lock. */
THAG__COLD void thag__mp_add(int64_t live, int peak, int wait) {
    uint64_t now = thag__ticks();
    thag__mpoint p;
    if (!peak && now - THAG__LOAD(thag__mp.last) < THAG__LOAD(thag__mp.gap)) return;
    if (wait) pthread_mutex_lock(&thag__mp.lock);
    else if (pthread_mutex_trylock(&thag__mp.lock) != 0) return;
    p.ticks = now;
    p.live = live;
    p.allocs = thag__mem_allocs_now();
    if (peak) {
        thag__mp.peak = p;
        thag__mp.have_peak = 1;
    }
    if (!thag__mp.n || now - thag__mp.v[thag__mp.n - 1].ticks >= thag__mp.gap) {
        if (thag__mp.n == THAG__MPOINTS) thag__mp_thin();
        thag__mp.v[thag__mp.n++] = p;
        THAG__STORE(thag__mp.last, now);
    }
    pthread_mutex_unlock(&thag__mp.lock);
}

/* Sums the live bytes of every node and stack counter (a block is owned
   by a node or by a stack), copying them into their peak fields if copy. */
THAG__FN int64_t thag__peak_walk(int copy) {
    thag__thread *t;
    thag__node *n;
    uint32_t i, j, count = __atomic_load_n(&thag__stack_count, __ATOMIC_ACQUIRE);
    int64_t sum = 0, v;
    for (t = __atomic_load_n(&thag__g.threads, __ATOMIC_ACQUIRE); t; t = t->next) {
        thag__scount **top = __atomic_load_n(&t->m_sc, __ATOMIC_ACQUIRE), *c;
        for (n = &t->root; n; n = thag__next_node(n, &t->root)) {
            int64_t k;
            sum += v = thag__node_live(n, &k);
            if (copy) THAG__STORE(n->m_peak_live, v);
        }
        for (i = 0; top && i < count; i += THAG__SC_CHUNK) {
            if (!(c = __atomic_load_n(&top[i / THAG__SC_CHUNK], __ATOMIC_ACQUIRE))) continue;
            for (j = 0; j < THAG__SC_CHUNK; j++) {
                sum += v = THAG__LOAD(c[j].live);
                if (copy) THAG__STORE(c[j].peak, v);
            }
        }
    }
    return sum;
}

/* Takes a snapshot if it is due (live: the bytes as the calling thread
   knows them; final: at output) and the counters now add up to more than
   the last one: with several threads a thread's view can be above what is
   still live (another thread freed meanwhile). */
THAG__FN void thag__peak_snap(int64_t live, int final) {
    int64_t sum, top;
    /* A free at or above the threshold waits for a snapshot in progress
       (it does not let its block leave the counts during another thread's
       walk: threads that free together at the peak, as after a barrier,
       are all in it), then finds the threshold raised and goes on. */
    pthread_mutex_lock(&thag__snap_lock);
    if (final || live >= THAG__LOAD(thag__snap_next)) {
        sum = thag__peak_walk(0);
        if (!thag__snap_taken || sum > thag__snap_total) {
            thag__snap_total = thag__peak_walk(1);
            thag__snap_taken = 1;
            thag__mp_add(thag__snap_total, 1, final);
        }
        top = live > thag__snap_total ? live : thag__snap_total;
        if (top > thag__snap_live) thag__snap_live = top;
        THAG__STORE(thag__snap_next, thag__snap_live + (thag__snap_live / 100 > 1024 ? thag__snap_live / 100 : 1024));
    }
    pthread_mutex_unlock(&thag__snap_lock);
}

/* From a free: the live bytes before it reached the threshold. */
THAG__COLD void thag__peak_due(int64_t live) {
    int e = errno;
    thag__mem_busy++;
    thag__peak_snap(live, 0);
    thag__mem_busy--;
    errno = e;
}

/* Publishes a thread's live-byte delta to the global count and peak. */
THAG__FN void thag__mem_publish(thag__thread *t) {
    int64_t g = __atomic_add_fetch(&thag__g_live, t->m_delta, __ATOMIC_RELAXED);
    int64_t p = __atomic_load_n(&thag__g_peak, __ATOMIC_RELAXED);
    t->m_delta = 0;
    t->m_base = g;
    t->m_hi = t->m_peak - g < THAG__SLACK ? t->m_peak - g : THAG__SLACK;
    if (t->m_peak > p) p = t->m_peak;
    if (g > p) p = g;
    t->m_snap_at = THAG__LOAD(thag__snap_next) - g;
    {
        int64_t cur = __atomic_load_n(&thag__g_peak, __ATOMIC_RELAXED);
        while (p > cur && !__atomic_compare_exchange_n(&thag__g_peak, &cur, p, 1, __ATOMIC_RELAXED,
                                                       __ATOMIC_RELAXED)) {
        }
    }
    thag__mem_busy++;
    thag__mp_add(g, 0, 0);
    thag__mem_busy--;
}

/* Live bytes of this thread after an allocation of d bytes: exact peak
   for one allocating thread, and within THAG__SLACK per thread with
   several. One compare when there is neither a new peak nor bytes to
   publish (m_hi). */
static inline __attribute__((always_inline, no_instrument_function)) void
thag__mem_live(thag__thread *t, int64_t d) {
    int64_t v = t->m_delta + d;
    t->m_delta = v;
    if (THAG__UNLIKELY(v > t->m_hi)) {
        if (t->m_base + v > t->m_peak) THAG__STORE(t->m_peak, t->m_base + v);
        if (v > THAG__SLACK) thag__mem_publish(t); /* sets m_hi */
        else t->m_hi = v;                          /* the new peak: v == m_peak - m_base */
    }
}

/* >>sampled: sampled mode (THAG_SAMPLE_BYTES), bare blocks. malloc is a
   countdown to the next sample point then mimalloc's call, and free a
   probe of the set of sampled blocks then mimalloc's; sampled blocks are
   charged in estimates (weight THAG__W1/p). */

/* ln(u) for u in (0, 1], without libm: exponent plus an atanh series. */
THAG__FN double thag__ln(double u) {
    int e = 0;
    double z, z2;
    while (u < 0.5) { u *= 2; e--; }
    u *= 2; /* now in [1, 2) */
    e--;
    z = (u - 1) / (u + 1);
    z2 = z * z;
    return e * 0.69314718055994530942 +
           2 * z * (1 + z2 * (1.0 / 3 + z2 * (1.0 / 5 + z2 * (1.0 / 7 + z2 * (1.0 / 9 + z2 / 11)))));
}

/* A uniform number in (0, 1] from the thread's xorshift generator. */
THAG__FN double thag__uniform(thag__thread *t) {
    uint64_t x = t->m_rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t->m_rng = x;
    return ((double)(x >> 11) + 1.0) / 9007199254740992.0;
}

/* A fresh seed per thread and process (the sample points of two runs must
   differ, or the same sites would always be hit); THAG_SAMPLE_SEED makes a
   run repeatable. */
THAG__FN uint64_t thag__seed(const thag__thread *t) {
    uint64_t x = thag__g.sample_seed ? thag__g.sample_seed : thag__mono_ns() ^ (uint64_t)getpid() << 32;
    x += (uint64_t)0x9E3779B97F4A7C15u * (uint64_t)(t->index + 1);
    x = (x ^ (x >> 30)) * (uint64_t)0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * (uint64_t)0x94D049BB133111EBu;
    x ^= x >> 31;
    return x ? x : 1;
}

/* Bytes until the next sample: exponential with the configured mean, so
   each byte is sampled with the same probability (a Poisson process). */
THAG__FN int64_t thag__next_sample(thag__thread *t) {
    return (int64_t)(-thag__ln(thag__uniform(t)) * (double)thag__g.sample_bytes) + 1;
}

/* The chance that a block of x mean-intervals is sampled: 1 - exp(-x),
   without libm (series for small x, exp by squaring otherwise). */
THAG__FN double thag__sample_p(double x) {
    double y, r;
    int i;
    if (x < 1e-3) return x - x * x / 2 + x * x * x / 6;
    if (x > 40) return 1.0;
    y = x / 1024;
    r = 1 - y + y * y / 2 - y * y * y / 6 + y * y * y * y / 24;
    for (i = 0; i < 10; i++) r *= r;
    return 1 - r;
}

/* The weight THAG__W1/p of a sampled block of n bytes, p its chance to be
   sampled: a function of n alone, so a free can take back exactly what the
   allocation added. */
THAG__FN uint64_t thag__weight_of(size_t n) {
    return (uint64_t)((double)THAG__W1 / thag__sample_p((double)n / (double)thag__g.sample_bytes) + 0.5);
}

/* n bytes scaled by a weight (THAG__W1: exact). */
THAG__FN uint64_t thag__scaled(size_t n, uint64_t weight) {
    return weight == THAG__W1 ? (uint64_t)n : (uint64_t)((double)n * (double)weight / THAG__W1 + 0.5);
}

static THAG__TLS int64_t thag__bare_left;          /* bytes to the thread's next sample point */
static THAG__TLS int thag__bare_armed;             /* 0: the next slow path draws a first point */
/* Temporary allocations: the thread's last sampled block, until its next
   free or slow path clears it (the free hook's fast path: one store), and
   thag__bare_left right after it was sampled: a malloc on the fast path
   since then has lowered it, so that path needs no store of its own. */
static THAG__TLS const void *thag__bare_last;
static THAG__TLS int64_t thag__bare_last_left;
/* free's fast path: two instructions. As a relaxed atomic store gcc keeps
   the hook frameless up to its tail call to mimalloc; a plain store made
   it set up free's stack frame first (bench/alloc.sh's sampled ratio 1.29x
   against 1.21x, best of 15; this form 1.14x). */
#define THAG__BARE_NOT_LAST() __atomic_store_n(&thag__bare_last, (const void *)0, __ATOMIC_RELAXED)
#define THAG__BARE_RECHECK ((int64_t)1 << 20)      /* while nothing is sampled: bytes between checks */

/* The live sampled blocks: open addressing, probed by every free without
   a lock; changed under thag__ss_lock. A table that fills up is replaced by
   a copy (the old one stays mapped for readers still probing it); a slow
   path checks again under the lock. */
typedef struct thag__sval { thag__stack *stack; size_t n; } thag__sval; /* stack: NULL if not captured */
typedef struct thag__sset { size_t mask, used, live; uintptr_t *key; thag__sval *val; } thag__sset;
#define THAG__SS_GONE ((uintptr_t)1) /* a removed key: probes go on past it */
static uintptr_t thag__ss_key0[1024];
static thag__sval thag__ss_val0[1024];
static thag__sset thag__ss0 = {1023, 0, 0, thag__ss_key0, thag__ss_val0};
static thag__sset *thag__ss = &thag__ss0;
static pthread_mutex_t thag__ss_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t thag__ss_live, thag__ss_peak; /* atomic: estimated live bytes (sampled blocks, scaled) */


/* Whether p may be a sampled block. */
THAG__INLINE int thag__ss_maybe(uintptr_t p) {
    const thag__sset *m = __atomic_load_n(&thag__ss, __ATOMIC_ACQUIRE);
    size_t i = thag__addr_hash(p) & m->mask;
    uintptr_t k;
    while ((k = __atomic_load_n(&m->key[i], __ATOMIC_RELAXED)) != 0) {
        if (k == p) return 1;
        i = (i + 1) & m->mask;
    }
    return 0;
}

THAG__FN void thag__ss_put(thag__sset *m, uintptr_t p, thag__sval v) {
    size_t i = thag__addr_hash(p) & m->mask;
    while (m->key[i] > THAG__SS_GONE) i = (i + 1) & m->mask;
    if (!m->key[i]) m->used++;
    m->live++;
    m->val[i] = v;
    __atomic_store_n(&m->key[i], p, __ATOMIC_RELEASE);
}

/* The table, with room for one more key (a larger copy when half full,
   removed keys included); NULL when out of memory. */
THAG__FN thag__sset *thag__ss_room(void) {
    thag__sset *m = thag__ss, *nm;
    size_t cap = 1024, i;
    if ((m->used + 1) * 2 <= m->mask + 1) return m;
    while (cap < (m->live + 1) * 4) cap *= 2;
    nm = (thag__sset *)thag__pmap(sizeof *nm + cap * (sizeof(uintptr_t) + sizeof(thag__sval)));
    if (!nm) return NULL;
    nm->mask = cap - 1;
    nm->key = (uintptr_t *)(void *)((char *)nm + sizeof *nm);
    nm->val = (thag__sval *)(void *)((char *)nm->key + cap * sizeof(uintptr_t));
    for (i = 0; i <= m->mask; i++)
        if (m->key[i] > THAG__SS_GONE) thag__ss_put(nm, m->key[i], m->val[i]);
    __atomic_store_n(&thag__ss, nm, __ATOMIC_RELEASE);
    return nm;
}

THAG__FN int thag__ss_add(uintptr_t p, thag__sval v) {
    thag__sset *m;
    pthread_mutex_lock(&thag__ss_lock);
    if ((m = thag__ss_room()) != NULL) thag__ss_put(m, p, v);
    pthread_mutex_unlock(&thag__ss_lock);
    return m != NULL;
}

/* Removes p from the set; 1 (and its record in *v) if it was there. */
THAG__FN int thag__ss_take(uintptr_t p, thag__sval *v) {
    thag__sset *m;
    size_t i;
    uintptr_t k;
    int found = 0;
    pthread_mutex_lock(&thag__ss_lock);
    m = thag__ss;
    for (i = thag__addr_hash(p) & m->mask; (k = m->key[i]) != 0; i = (i + 1) & m->mask) {
        if (k != p) continue;
        *v = m->val[i];
        __atomic_store_n(&m->key[i], THAG__SS_GONE, __ATOMIC_RELEASE);
        m->live--;
        found = 1;
        /* Removed keys before an empty slot end no probe: emptied, so that
           probes stay short (no key lies past an empty slot from its home). */
        while (!m->key[(i + 1) & m->mask] && m->key[i] == THAG__SS_GONE) {
            __atomic_store_n(&m->key[i], 0, __ATOMIC_RELEASE);
            m->used--;
            i = (i - 1) & m->mask;
        }
        break;
    }
    pthread_mutex_unlock(&thag__ss_lock);
    return found;
}

THAG__FN void thag__ss_estimate(int64_t d) {
    int64_t live = __atomic_add_fetch(&thag__ss_live, d, __ATOMIC_RELAXED);
    int64_t peak = __atomic_load_n(&thag__ss_peak, __ATOMIC_RELAXED);
    while (live > peak && !__atomic_compare_exchange_n(&thag__ss_peak, &peak, live, 1, __ATOMIC_RELAXED,
                                                       __ATOMIC_RELAXED)) {
    }
    thag__mp_add(live, 0, 0);
}

/* Charges a sampled block of n bytes, weight THAG__W1/p (p: its chance to be
   sampled), to its stack, the current scope and the totals, all in
   estimates, and remembers it for its free. */
THAG__FN void thag__bare_sample(thag__thread *t, void *p, size_t n, thag__at fp) {
    uint64_t w = thag__weight_of(n), b = thag__scaled(n, w);
    thag__scount *c = NULL;
    thag__sval v;
    v.n = n;
    v.stack = thag__stack_here(t, fp, &c);
    if (c) {
        THAG__ADD(c->bytes, b);
        THAG__ADD(c->allocs, w);
    }
    THAG__ADD(t->cur->m_bytes, b);
    THAG__ADD(t->cur->m_allocs, w);
    if (!thag__ss_add((uintptr_t)p, v)) return; /* out of memory: its free is not seen */
    if (c) THAG__ADD(c->live, (int64_t)b);
    thag__ss_estimate((int64_t)b);
}

/* Takes back a freed sampled block (on the freeing thread's counters). */
THAG__FN void thag__bare_unsample(const thag__sval *v) {
    uint64_t w = thag__weight_of(v->n), b = thag__scaled(v->n, w);
    thag__thread *t = thag__self;
    thag__scount *c;
    int64_t live = __atomic_load_n(&thag__ss_live, __ATOMIC_RELAXED);
    thag__mem_busy++;
    if (live >= THAG__LOAD(thag__snap_next)) thag__peak_snap(live, 0); /* while the block counts */
    if (!t) t = thag__attach();
    if (t) {
        if (v->stack && (c = thag__sc(t, v->stack->id)) != NULL) THAG__ADD(c->live, -(int64_t)b);
        THAG__ADD(t->m_frees, w);
        THAG__ADD(t->m_freed, b);
    }
    thag__mem_busy--;
    thag__ss_estimate(-(int64_t)b);
}

/* A sampled block's free (or realloc) that is a temporary allocation as
   heaptrack counts them: the block is the thread's last sampled one and
   nothing was allocated nor freed since (thag__bare_last). */
THAG__INLINE int thag__bare_is_temp(const void *p) {
    return p == thag__bare_last && thag__bare_left == thag__bare_last_left;
}

/* Counts a temporary sampled block on its stack's counters of this thread,
   by its weight as its allocation was (so the estimate is unbiased: each
   temporary block counts 1/p times with probability p). */
THAG__COLD void thag__bare_temp(const thag__sval *v) {
    thag__thread *t = thag__self;
    thag__scount *c;
    if (!t || !v->stack) return;
    thag__mem_busy++;
    c = thag__sc(t, v->stack->id);
    thag__mem_busy--;
    if (c) THAG__ADD(c->temp, thag__weight_of(v->n));
}

/* A countdown reached the next sample point inside the block of n bytes
   about to be allocated (or it is the thread's first since sampling
   started): the thread if the block is to be sampled, else NULL (then the
   countdown is re-armed). */
THAG__FN thag__thread *thag__bare_due(size_t n) {
    thag__thread *t;
    if (thag__mem_busy) { /* the profiler's own block: it leaves the countdown as it was */
        thag__bare_left += (int64_t)n;
        return NULL;
    }
    THAG__LAZY();
    t = thag__self;
    if (!THAG__LOAD(thag__g.mem_active) || !thag__g.sample_bytes) {
        thag__bare_armed = 0;
        thag__bare_left = THAG__BARE_RECHECK;
        return NULL;
    }
    if (!t && !(t = thag__hook_attach())) {
        thag__bare_left = THAG__BARE_RECHECK;
        return NULL;
    }
    if (!thag__bare_armed) { /* the first point, counted from this block's start */
        if (!t->m_rng) t->m_rng = thag__seed(t);
        thag__bare_armed = 1;
        if ((thag__bare_left = thag__next_sample(t) - (int64_t)n) > 0) return NULL;
    }
    thag__bare_left = thag__next_sample(t);
    return t;
}

/* mimalloc's blocks are 16-aligned when their size is a multiple of 16,
   as glibc's always are (a 24-byte block may be only 8-aligned). */
#define THAG__BARE_SIZE(n) (((n) + 15 + ((n) == 0)) & ~(size_t)15) /* 0: 16 bytes */
/* Sampled blocks start on a 4 KiB boundary, so a free probes the set only
   for such addresses (and for large blocks, which often are); a sampled
   block costs up to 4 KiB of memory more. */
#define THAG__SAMPLED_ALIGN ((size_t)4096)
#define THAG__MAYBE_SAMPLED(p) (!((uintptr_t)(p) & (THAG__SAMPLED_ALIGN - 1)) && thag__ss_maybe((uintptr_t)(p)))

THAG__FN void *thag__bare_alloc(size_t n, size_t align, int zero, thag__at fp) {
    int *ep = thag__errno(), e = *ep;
    thag__thread *t = NULL;
    void *p;
    if (thag__refused(n, fp)) { *ep = ENOMEM; return NULL; }
    if ((thag__bare_left -= (int64_t)n) <= 0 && (t = thag__bare_due(n)) != NULL && align < THAG__SAMPLED_ALIGN)
        align = THAG__SAMPLED_ALIGN;
    /* mi_malloc_aligned misaligns some power-of-two sizes in 2.0.9 (1024
       bytes at 256): the _at calls do not */
    if (align <= THAG__HDR) p = zero ? mi_zalloc(THAG__BARE_SIZE(n)) : mi_malloc(THAG__BARE_SIZE(n));
    else p = zero ? mi_zalloc_aligned_at(n, align, 0) : mi_malloc_aligned_at(n, align, 0);
    if (!p) { *ep = ENOMEM; return NULL; }
    *ep = e; /* mimalloc's first call sets ENOENT */
    thag__bare_last = NULL;
    if (t) {
        thag__mem_busy++;
        thag__bare_sample(t, p, n, fp);
        thag__mem_busy--;
        thag__bare_last = p; /* after the sample: its own allocations do not count */
        thag__bare_last_left = thag__bare_left;
    }
    return p;
}

THAG__FN void thag__bare_free_sampled(void *p) {
    int *ep = thag__errno(), e = *ep;
    thag__sval v;
    if (thag__ss_take((uintptr_t)p, &v)) {
        if (thag__bare_is_temp(p)) thag__bare_temp(&v);
        thag__bare_unsample(&v);
    }
    thag__bare_last = NULL;
    mi_free(p);
    *ep = e;
}

THAG__INLINE void thag__bare_release(void *p) {
    if (THAG__UNLIKELY(THAG__MAYBE_SAMPLED(p))) {
        thag__bare_free_sampled(p);
    } else {
        thag__bare_last = NULL;
        mi_free(p);
    }
}

THAG__FN void *thag__bare_realloc(void *p, size_t n, thag__at fp) {
    thag__thread *t = NULL;
    thag__sval v;
    int was, temp, e;
    void *q;
    if (!p) return thag__bare_alloc(n, THAG__HDR, 0, fp);
    if (n == 0) { thag__bare_release(p); return NULL; } /* glibc: frees, returns NULL */
    if (thag__refused(n, fp)) { errno = ENOMEM; return NULL; }
    e = errno;
    /* Out of the set first: once mimalloc has it back, its address may be
       handed out (and sampled) on another thread. */
    was = THAG__MAYBE_SAMPLED(p) && thag__ss_take((uintptr_t)p, &v);
    temp = was && thag__bare_is_temp(p); /* a realloc frees the old block, as heaptrack counts it */
    if ((thag__bare_left -= (int64_t)n) <= 0) t = thag__bare_due(n);
    if (!t) {
        q = mi_realloc(p, THAG__BARE_SIZE(n));
    } else if ((q = mi_malloc_aligned_at(n, THAG__SAMPLED_ALIGN, 0)) != NULL) { /* a sampled block is aligned */
        size_t old = mi_usable_size(p);
        memcpy(q, p, old < n ? old : n);
        mi_free(p);
    }
    if (!q) {
        if (was) thag__ss_add((uintptr_t)p, v);
        errno = ENOMEM;
        return NULL;
    }
    if (temp) thag__bare_temp(&v);
    errno = e;
    if (was) thag__bare_unsample(&v);
    thag__bare_last = NULL;
    if (t) {
        thag__mem_busy++;
        thag__bare_sample(t, q, n, fp);
        thag__mem_busy--;
        thag__bare_last = q;
        thag__bare_last_left = thag__bare_left;
    }
    return q;
}

/* At configuration: sampled mode exactly when the blocks have no header. */
THAG__FN void thag__mem_configure(void) {
    if (thag__bare()) {
        thag__g.sample_bytes = thag__bare_mean;
    } else if (thag__g.sample_bytes) {
        thag__error("THAG_SAMPLE_BYTES must be in the environment when the program starts (sampled mode is "
                    "chosen then); memory is profiled in %s mode", thag__g.mem_detail ? "detail" : "summary");
        thag__g.sample_bytes = 0;
    }
    if (thag__g.alloc_limit && thag__g.alloc_limit < thag__bare_max) thag__bare_max = (size_t)thag__g.alloc_limit;
}

/* >>headers: summary and detail modes, blocks with a header (see
   >>memory). The allocation writes it and charges the block to its owner;
   the free reads it and takes the bytes back from the same owner. */

/* What every counted allocation updates: the current scope's bytes and
   count (a thread's totals are the sum over its scopes, made at output),
   and the live bytes. */
THAG__INLINE void thag__mem_count(thag__thread *t, size_t n) {
    thag__node *c = t->cur;
    THAG__BUMP(c->m_bytes, n);
    THAG__BUMP(c->m_allocs, 1);
    thag__mem_live(t, (int64_t)n);
}

/* Charges a detail-mode allocation to its real call stack. */
THAG__FN void *thag__mem_stack(thag__thread *t, thag__at fp, size_t n) {
    thag__stack *s;
    thag__scount *c;
    thag__mem_busy++;
    s = thag__stack_here(t, fp, &c);
    thag__mem_busy--;
    if (!c) return NULL;
    THAG__BUMP(c->bytes, (uint64_t)n);
    THAG__BUMP(c->allocs, 1);
    THAG__BUMP(c->live, (int64_t)n);
    THAG__BUMP(c->live_n, 1);
    return s;
}

/* Accounts a new block of n bytes: returns the header flags and fills the
   owner (a node, a stack record, or NULL when only the totals count). */
THAG__FN uint64_t thag__mem_alloc_slow(thag__hdr *h, size_t n, thag__at fp) {
    thag__thread *t = thag__self;
    int *ep = thag__errno(), e = *ep; /* libc calls below (thread attributes, locks) must not show */
    if (!t && !(t = thag__hook_attach())) return 0;
    thag__mem_count(t, n);
    t->m_last = h;
    if (thag__g.mem_detail && n >= thag__g.size_threshold && (h->owner = thag__mem_stack(t, fp, n)) != NULL) {
        THAG__BUMP(t->cur->m_freed, (int64_t)n); /* not live in the scope: in the stack's counters */
        THAG__BUMP(t->cur->m_frees, 1);
        *ep = e;
        return THAG__F_COUNTED | THAG__F_STACK;
    }
    h->owner = t->cur;
    *ep = e;
    return THAG__F_COUNTED;
}

/* What every counted free updates besides its owner's counters: the
   thread's live bytes (down: no new peak to look for). */
THAG__INLINE void thag__mem_uncount(thag__thread *t, size_t n) {
    t->m_delta -= (int64_t)n;
    if (THAG__UNLIKELY(t->m_delta < -THAG__SLACK)) thag__mem_publish(t);
}

/* Accounts the end of a block owned by a stack record (detail mode): its
   live bytes, and the freeing stack. */
THAG__FN void thag__mem_free_stack(thag__thread *t, const thag__hdr *h, size_t n, thag__at fp) {
    const thag__stack *s = (const thag__stack *)h->owner;
    thag__stack *d;
    thag__scount *c;
    int *ep = thag__errno(), e = *ep;
    thag__mem_uncount(t, n);
    thag__mem_busy++;
    if ((c = thag__sc(t, s->id)) != NULL) {
        THAG__BUMP(c->live, -(int64_t)n);
        THAG__BUMP(c->live_n, -1);
    }
    if ((d = thag__stack_here(t, fp, &c)) != NULL && c) THAG__BUMP(c->freed, (uint64_t)n);
    thag__mem_busy--;
    *ep = e;
}

/* The summary-mode fast paths, inlined into the hooks: a few counters of
   the thread and of its current scope, no lock, no call. */
THAG__INLINE uint64_t thag__mem_alloc(thag__hdr *h, size_t n, thag__at fp) {
    thag__thread *t = thag__self;
    thag__node *c;
    if (THAG__UNLIKELY(!t || thag__g.mem_stacks)) return thag__mem_alloc_slow(h, n, fp);
    thag__mem_count(t, n);
    c = t->cur;
    h->owner = c;
    t->m_last = h;
    return THAG__F_COUNTED;
}

/* A temporary allocation (as heaptrack counts them): the thread's last
   counted block, freed by it before it allocates or frees anything else.
   Counted on its owner: the node, or the stack's counters of this thread. */
THAG__COLD void thag__mem_temp(thag__thread *t, const thag__hdr *h) {
    if (h->word & THAG__F_STACK) {
        thag__scount *c;
        thag__mem_busy++;
        c = thag__sc(t, ((const thag__stack *)h->owner)->id);
        thag__mem_busy--;
        if (c) THAG__BUMP(c->temp, 1);
    } else if (h->owner) {
        thag__node *o = (thag__node *)h->owner;
        if (THAG__LIKELY(o->thread == t)) THAG__BUMP(o->m_temp, 1);
        else __atomic_add_fetch(&o->m_temp, 1, __ATOMIC_RELAXED);
    }
}

/* The end of a block owned by a node (publish: as thag__mem_uncount; 0
   leaves the thread's live bytes to publish to the caller). */
THAG__INLINE void thag__mem_free_node(thag__thread *t, const thag__hdr *h, size_t n, int publish) {
    thag__node *o = (thag__node *)h->owner; /* never NULL: a counted block has its owner */
    if (THAG__LIKELY(o->thread == t)) {
        THAG__BUMP(o->m_freed, (int64_t)n);
        THAG__BUMP(o->m_frees, 1);
    } else {
        __atomic_add_fetch(&o->m_freed_remote, (int64_t)n, __ATOMIC_RELAXED);
        __atomic_add_fetch(&o->m_frees_remote, 1, __ATOMIC_RELAXED);
    }
    if (publish) {
        thag__mem_uncount(t, n); /* last: its rare call to publish keeps nothing else live */
    } else {
        t->m_delta -= (int64_t)n;
    }
}

/* Accounts a counted block's end, every case: a stack's block (detail
   mode), a temporary allocation, a peak snapshot due (taken while the
   block still counts). blk is the block's address (h's, or the old block's
   when a realloc passes a copy of its header). */
THAG__FN void thag__mem_free(const thag__hdr *h, const void *blk, size_t n, thag__at fp) {
    thag__thread *t = thag__self;
    int64_t live;
    if (THAG__UNLIKELY(!t) && !(t = thag__hook_attach())) return; /* a first hook that frees counts too */
    live = t->m_base + t->m_delta;
    if (blk == t->m_last) thag__mem_temp(t, h);
    t->m_last = NULL;
    if (live >= THAG__LOAD(thag__snap_next)) thag__peak_due(live);
    t->m_snap_at = THAG__LOAD(thag__snap_next) - t->m_base;
    if (h->word & THAG__F_STACK) thag__mem_free_stack(t, h, n, fp);
    else thag__mem_free_node(t, h, n, 1);
}

/* A free off summary mode's fast path: accounted, then given back. */
static __attribute__((no_instrument_function, noinline)) void thag__release_slow(thag__hdr *h, thag__at fp) {
    thag__mem_free(h, h, (size_t)(h->word & THAG__SIZE_MASK), fp);
    mi_free(h);
}

/* Writes the header at the start of a block (mimalloc's pointer; even an
   aligned block starts 16 bytes before its aligned address), accounts the
   block, and returns the pointer the program gets. */
THAG__INLINE void *thag__mem_finish(void *base, size_t n, thag__at fp) {
    thag__hdr *h = (thag__hdr *)base;
    uint64_t flags = 0;
    h->owner = NULL;
    THAG__LAZY();
    if (thag__mem_on()) flags = thag__mem_alloc(h, n, fp);
    h->word = (uint64_t)n | flags | (uint64_t)THAG__MAGIC << 56;
    return (char *)base + THAG__HDR;
}

/* The header of a block (also mimalloc's pointer to it), or NULL when the
   pointer is not one of ours. */
THAG__INLINE thag__hdr *thag__hdr_of(void *p) {
    thag__hdr *h = (thag__hdr *)p - 1;
    return (h->word >> 56) == THAG__MAGIC ? h : NULL;
}

/* A block without the header: mimalloc's own (a block allocated before
   the layout was known), or glibc's, which never passed through the hooks
   (__libc_malloc, or allocated where the hooks are not seen): given back
   to the allocator it came from, as the program alone would (mimalloc
   would read a segment header that is not there). */
#ifdef __cplusplus
extern "C" {
#endif
void __libc_free(void *p);
void *__libc_realloc(void *p, size_t n);
#ifdef __cplusplus
}
#endif
THAG__COLD void thag__free_foreign(void *p) {
    if (mi_is_in_heap_region(p)) mi_free(p);
    else __libc_free(p);
}

/* Frees a block: accounts it, then gives it back to mimalloc. Summary
   mode's common case inline; the others in one tail call (a call that
   returns here made the hook save registers: bench/alloc.sh). */
THAG__INLINE void thag__release(void *p, thag__at fp) {
    thag__hdr *h = thag__hdr_of(p);
    thag__thread *t;
    if (!h) { thag__free_foreign(p); return; }
    if ((h->word & THAG__F_COUNTED) && !thag__mem_busy) {
        t = thag__self;
        if (THAG__UNLIKELY(!t || (h->word & THAG__F_STACK) || h == t->m_last || t->m_delta >= t->m_snap_at)) {
            thag__release_slow(h, fp);
            return;
        }
        t->m_last = NULL; /* a free between an allocation and its own makes it not temporary */
        thag__mem_free_node(t, h, (size_t)(h->word & THAG__SIZE_MASK), 1);
    }
    mi_free(h); /* it writes its free list over the header: no need to clear it */
}

/* A block of n bytes and a header from mimalloc. The header sits before
   the aligned address: mimalloc aligns base + 16 for us (its plain aligned
   call misaligns some power-of-two sizes in 2.0.9, e.g. 1024 bytes at 256). */
THAG__INLINE void *thag__alloc_base(size_t n, size_t align, int zero) {
    if (align <= THAG__HDR && !zero && n <= MI_SMALL_SIZE_MAX - THAG__HDR) return mi_malloc_small(n + THAG__HDR);
    if (align <= THAG__HDR) return zero ? mi_zalloc(n + THAG__HDR) : mi_malloc(n + THAG__HDR);
    if (zero) return mi_zalloc_aligned_at(n + THAG__HDR, align, THAG__HDR);
    return mi_malloc_aligned_at(n + THAG__HDR, align, THAG__HDR);
}

/* mimalloc sets errno (ENOENT) in its process's first call only (tested:
   tests/e2e/mem_hazards.c), so the calls before a first success keep
   errno, and the others do not pay for it. */
static int thag__mi_started; /* atomic */


THAG__FN int thag__hot_of(void) {
    int h = 0;
    if (THAG__LOAD(thag__layout) == THAG__LAYOUT_BARE) {
        h = THAG__HOT_BARE;
    } else if (THAG__LOAD(thag__layout) == THAG__LAYOUT_HEADER && THAG__LOAD(thag__mi_started) &&
               THAG__LOAD(thag__g.configured) && !thag__g.alloc_limit) {
        h = THAG__HOT_HDR;
        if (!THAG__LOAD(thag__g.mem_active)) h |= THAG__HOT_QUIET;
        else if (!thag__g.mem_stacks) h |= THAG__HOT_SUMMARY;
        else if (thag__g.mem_detail && thag__g.stack_unwind == THAG__STACK_FP) h |= THAG__HOT_DETAIL;
    }
    return h;
}

/* No lock (it runs inside a first allocation, perhaps under a signal
   handler's): two setters at once, each stores again until what it
   stored is what the inputs say, so the last store follows the last
   change. */
THAG__FN void thag__hot_set(void) {
    int h;
    do THAG__STORE(thag__hot, h = thag__hot_of());
    while (h != thag__hot_of());
}

THAG__FN void *thag__alloc_first(size_t n, size_t align, int zero, thag__at fp) {
    int e = errno;
    void *b = thag__alloc_base(n, align, zero);
    if (!b) { errno = ENOMEM; return NULL; }
    errno = e;
    THAG__STORE(thag__mi_started, 1);
    thag__hot_set();
    return thag__mem_finish(b, n, fp);
}

/* thag__hot_alloc's end when the thread's live bytes pass m_hi (a new
   peak, or bytes to publish): thag__mem_live with its work, in a tail call
   that returns the block (the hook keeps no register for it). */
static __attribute__((no_instrument_function, noinline)) void *thag__hot_high(thag__thread *t, int64_t n, void *p) {
    thag__mem_live(t, n);
    return p;
}

/* Summary mode's malloc once mimalloc has given the block: a few counters
   of the thread and of its current scope, no lock, no call. */
THAG__INLINE void *thag__hot_alloc(thag__thread *t, thag__hdr *h, size_t n) {
    thag__node *c = t->cur;
    int64_t v = t->m_delta + (int64_t)n;
    THAG__BUMP(c->m_bytes, n);
    THAG__BUMP(c->m_allocs, 1);
    h->owner = c;
    h->word = (uint64_t)n | THAG__F_COUNTED | (uint64_t)THAG__MAGIC << 56;
    t->m_last = h;
    if (THAG__UNLIKELY(v > t->m_hi)) return thag__hot_high(t, (int64_t)n, h + 1); /* as thag__mem_live */
    t->m_delta = v;
    return h + 1;
}

#define THAG__HOT_MASK ((uint64_t)0xFF << 56 | THAG__F_COUNTED | THAG__F_STACK) /* the word's top 10 bits */
#define THAG__HOT_WORD ((uint64_t)THAG__MAGIC << 56 | THAG__F_COUNTED)

/* The stack above fp when it is not the one predicted (thag__hot_miss):
   the whole walk, looked up in the thread's cache of recent stacks (the
   prediction follows it); NULL when it is not there. */
static __attribute__((no_instrument_function, noinline)) thag__stack *
thag__hot_walk(thag__thread *t, uintptr_t ret, uintptr_t fp, thag__scache *pred, thag__scount **c) {
    uintptr_t f[THAG__MAX_FRAMES];
    uint64_t h;
    thag__scache *slot;
    thag__at at;
    int n;
    at.ret = ret;
    at.fp = fp;
    n = thag__fp_walk(at, t->m_stack_top, f, THAG__MAX_FRAMES, &h);
    if (!thag__g.merge_threads) h = (h ^ (uint64_t)(uintptr_t)t) * 0x9E3779B97F4A7C15ull;
    slot = &t->m_scache[(h >> 16) & (THAG__SCACHE - 1)];
    if (THAG__UNLIKELY(!slot->s || !thag__same_frames(slot->s, t, h, f, n))) return NULL;
    *pred = *slot;
    *c = slot->c;
    return slot->s;
}

/* The record of the stack above fp and this thread's counters of it, in
   detail mode's common case: frame pointers (THAG_STACK=fp), the stack
   last seen from the same return address. NULL: see thag__hot_miss. */
THAG__INLINE thag__stack *thag__hot_pred(thag__thread *t, uintptr_t ret, uintptr_t fp, thag__scount **c) {
    uintptr_t hi = t->m_stack_top, lo = (uintptr_t)&hi;
    int n = 0, d;
    thag__scache *pred;
    const uintptr_t *pf;
    if (THAG__UNLIKELY(!hi || !t->m_scache)) return NULL; /* (THAG__HOT_DETAIL: frame pointers) */
    /* The last stack seen from this return address, compared frame by
       frame as the walk goes (thag__fp_walk's walk: the same frames, so
       the same record, with no hash to compute). */
    pred = &t->m_scache[THAG__SCACHE + (uint32_t)((ret * 0x9E3779B97F4A7C15ull) >> 58)]; /* as thag__hot_miss */
    if (THAG__LIKELY(pred->s != NULL)) { /* this thread's (or THAG_MERGE_THREADS): from its cache */
        uintptr_t p = fp;
        pf = pred->s->frames;
        d = pred->s->depth;
        if (ret >= 4096) {
            if (d < 1 || pf[0] != ret) goto walk;
            n = 1;
        }
        if (p < lo) p = hi; /* as thag__fp_walk */
        /* Frames n..d-1: each where thag__fp_walk reads it, and equal
           (a record's frames are all >= 4096: so is r then); each but the
           last followed by a higher one ... */
        for (; n < d - 1; n++) {
            uintptr_t next;
            if (p >= hi || (p & 7) || pf[n] != thag__ret_strip(((const uintptr_t *)p)[1])) goto walk;
            next = ((const uintptr_t *)p)[0];
            if (next <= p) goto walk;
            p = next;
        }
        if (n < d) { /* the last: the walk ends after it */
            uintptr_t next;
            if (p >= hi || (p & 7) || pf[n] != thag__ret_strip(((const uintptr_t *)p)[1])) goto walk;
            next = ((const uintptr_t *)p)[0];
            p = d == THAG__MAX_FRAMES || next <= p ? hi : next;
        }
        /* ... and none after them: the walk stops at p */
        if (p >= hi || (p & 7) || thag__ret_strip(((const uintptr_t *)p)[1]) < 4096) {
            *c = pred->c;
            return pred->s;
        }
    }
walk:
    return NULL;
}

/* When thag__hot_pred finds no stack: the whole walk (NULL sends the
   caller to the long way). */
THAG__INLINE thag__stack *thag__hot_miss(thag__thread *t, uintptr_t ret, uintptr_t fp, thag__scount **c) {
    if (THAG__UNLIKELY(!t->m_stack_top || !t->m_scache)) return NULL;
    return thag__hot_walk(t, ret, fp, &t->m_scache[THAG__SCACHE + (uint32_t)((ret * 0x9E3779B97F4A7C15ull) >> 58)], c);
}

/* Detail mode's allocation of n bytes at h charged to stack s (k: this
   thread's counters of it). */
THAG__INLINE void *thag__detail_alloc(thag__thread *t, thag__hdr *h, size_t n, thag__stack *s, thag__scount *k) {
    thag__node *c = t->cur;
    int64_t v = t->m_delta + (int64_t)n;
    THAG__BUMP(c->m_bytes, n); /* as thag__mem_count, with thag__mem_live's work last */
    THAG__BUMP(c->m_allocs, 1);
    THAG__BUMP(c->m_freed, (int64_t)n); /* as thag__mem_alloc_slow: live in the stack's counters only */
    THAG__BUMP(c->m_frees, 1);
    t->m_last = h;
    THAG__BUMP(k->bytes, (uint64_t)n);
    THAG__BUMP(k->allocs, 1);
    THAG__BUMP(k->live, (int64_t)n);
    THAG__BUMP(k->live_n, 1);
    h->owner = s;
    h->word = (uint64_t)n | THAG__F_COUNTED | THAG__F_STACK | (uint64_t)THAG__MAGIC << 56;
    if (THAG__UNLIKELY(v > t->m_hi)) return thag__hot_high(t, (int64_t)n, h + 1);
    t->m_delta = v;
    return h + 1;
}

/* thag__finish_slow's other cases: the long way. */
static __attribute__((no_instrument_function, noinline)) void *thag__finish_long(void *base, size_t n, uintptr_t ret,
                                                                                 uintptr_t fpv) {
    thag__at fp;
    fp.ret = ret; /* (passed as two words: a thag__at copied through memory stalls the loads here) */
    fp.fp = fpv;
    return thag__mem_finish(base, n, fp);
}

/* thag__finish_slow when the stack is not the one predicted. */
static __attribute__((no_instrument_function, noinline)) void *thag__finish_walk(void *base, size_t n, uintptr_t ret,
                                                                                 uintptr_t fpv) {
    thag__thread *t = thag__self;
    thag__stack *s;
    thag__scount *c;
    if ((s = thag__hot_miss(t, ret, fpv, &c)) != NULL) return thag__detail_alloc(t, (thag__hdr *)base, n, s, c);
    return thag__finish_long(base, n, ret, fpv);
}

/* Everything off summary mode's fast path, after mimalloc gave the block;
   detail mode's common case here in one function (no libc call: errno
   stays). */
static __attribute__((no_instrument_function, noinline)) void *thag__finish_slow(void *base, size_t n, uintptr_t ret,
                                                                                 uintptr_t fpv) {
    thag__thread *t = thag__self;
    thag__stack *s;
    thag__scount *c;
    if ((THAG__LOAD(thag__hot) & THAG__HOT_DETAIL) && t && !thag__mem_busy && n >= thag__g.size_threshold) {
        if ((s = thag__hot_pred(t, ret, fpv, &c)) != NULL) return thag__detail_alloc(t, (thag__hdr *)base, n, s, c);
        return thag__finish_walk(base, n, ret, fpv); /* tail calls: this frame saves no register for them */
    }
    return thag__finish_long(base, n, ret, fpv);
}

/* thag__hot_free's end when the thread has live bytes to publish: in a
   tail call (the hook keeps no register for it). */
static __attribute__((no_instrument_function, noinline)) void thag__free_publish(thag__thread *t, thag__hdr *h) {
    thag__mem_publish(t);
    mi_free(h);
}

/* A free in the header layout's common cases: a block that is not
   counted, or one that a scope counts (on any thread) with no temporary
   allocation to count and no peak snapshot due. 1 if done (the block is
   then mimalloc's again); 0 sends the rest to thag__release. */
THAG__INLINE int thag__hot_free(void *p) {
    thag__hdr *h = (thag__hdr *)p - 1;
    thag__thread *t;
    uint64_t w = h->word, x = w ^ THAG__HOT_WORD; /* a counted scope's block: x is its size (bits 47-53 are 0) */
    if (THAG__UNLIKELY(x >> 54) || THAG__UNLIKELY(thag__mem_busy)) { /* (a shift: no second 64-bit constant) */
        if ((w & ((uint64_t)0xFF << 56 | THAG__F_COUNTED)) != (uint64_t)THAG__MAGIC << 56) return 0;
        mi_free(h); /* ours, not counted */
        return 1;
    }
    t = thag__self;
    if (THAG__UNLIKELY(!t || h == t->m_last || t->m_delta >= t->m_snap_at)) return 0;
    t->m_last = NULL; /* a free between an allocation and its own makes it not temporary */
    thag__mem_free_node(t, h, (size_t)x, 0);
    if (THAG__UNLIKELY(t->m_delta < -THAG__SLACK)) thag__free_publish(t, h); /* as thag__mem_uncount */
    else mi_free(h);
    return 1;
}

/* Detail mode's free of a block a stack owns, with no temporary
   allocation to count and no peak snapshot due (as thag__release, in one
   function); the rest goes to thag__hot_free, then thag__release. */
static __attribute__((no_instrument_function, noinline)) void thag__detail_free_long(void *p, uintptr_t ret,
                                                                                     uintptr_t fpv) {
    thag__at fp;
    if (thag__hot_free(p)) return;
    fp.ret = ret;
    fp.fp = fpv;
    thag__release(p, fp);
}
/* The end of detail mode's block h (n bytes) of a stack whose counters
   here are c, freed from the stack whose counters are k. */
THAG__INLINE void thag__detail_end(thag__thread *t, thag__hdr *h, thag__scount *c, thag__scount *k) {
    size_t n = (size_t)(h->word & THAG__SIZE_MASK);
    t->m_last = NULL;
    THAG__BUMP(c->live, -(int64_t)n);
    THAG__BUMP(c->live_n, -1);
    THAG__BUMP(k->freed, (uint64_t)n);
    t->m_delta -= (int64_t)n; /* thag__mem_uncount, its work in a tail call */
    if (THAG__UNLIKELY(t->m_delta < -THAG__SLACK)) thag__free_publish(t, h);
    else mi_free(h);
}

/* thag__detail_free when the freeing stack is not the one predicted. */
static __attribute__((no_instrument_function, noinline)) void thag__detail_free_walk(void *p, uintptr_t ret,
                                                                                     uintptr_t fpv) {
    thag__hdr *h = (thag__hdr *)p - 1;
    thag__thread *t = thag__self;
    thag__scount *c, *d;
    if (thag__hot_miss(t, ret, fpv, &d) != NULL && (c = thag__sc_have(t, ((const thag__stack *)h->owner)->id)) != NULL) {
        thag__scount *k = d; /* in a register (d's address was taken) */
        thag__detail_end(t, h, c, k);
        return;
    }
    thag__detail_free_long(p, ret, fpv);
}

static __attribute__((no_instrument_function, noinline)) void thag__detail_free(void *p, uintptr_t ret, uintptr_t fpv) {
    thag__hdr *h = (thag__hdr *)p - 1;
    thag__thread *t = thag__self;
    thag__scount *c, *d;
    if ((h->word & THAG__HOT_MASK) == (THAG__HOT_WORD | THAG__F_STACK) && !thag__mem_busy && t && h != t->m_last &&
        t->m_delta < t->m_snap_at) {
        if (thag__hot_pred(t, ret, fpv, &d) == NULL) {
            thag__detail_free_walk(p, ret, fpv); /* tail calls: this frame saves no register for them */
            return;
        }
        if ((c = thag__sc_have(t, ((const thag__stack *)h->owner)->id)) != NULL) {
            thag__detail_end(t, h, c, d);
            return;
        }
    }
    thag__detail_free_long(p, ret, fpv);
}


/* >>hooks: the malloc family's entry points; each picks its layout's
   path (>>sampled or >>headers). */

THAG__INLINE void *thag__alloc(size_t n, size_t align, int zero, thag__at fp) {
    void *b;
    if (thag__bare()) return thag__bare_alloc(n, align, zero, fp);
    if (thag__refused(n, fp)) { errno = ENOMEM; return NULL; }
    if (THAG__UNLIKELY(!THAG__LOAD(thag__mi_started))) return thag__alloc_first(n, align, zero, fp);
    if (THAG__UNLIKELY(!(b = thag__alloc_base(n, align, zero)))) { errno = ENOMEM; return NULL; }
    return thag__mem_finish(b, n, fp);
}

THAG__FN void *thag__realloc(void *p, size_t n, thag__at fp) {
    thag__hdr *h;
    size_t old;
    if (thag__bare()) return thag__bare_realloc(p, n, fp);
    if (!p) return thag__alloc(n, THAG__HDR, 0, fp);
    if (n == 0) { thag__release(p, fp); return NULL; } /* glibc: frees, returns NULL */
    if (!(h = thag__hdr_of(p))) return mi_is_in_heap_region(p) ? mi_realloc(p, n) : __libc_realloc(p, n);
    old = (size_t)(h->word & THAG__SIZE_MASK);
    if (thag__refused(n, fp)) { errno = ENOMEM; return NULL; }
    {
        int e = errno;
        thag__hdr saved = *h; /* the old block's accounting; mem_finish writes the new header */
        char *b = (char *)mi_realloc(h, n + THAG__HDR);
        if (!b) { errno = ENOMEM; return NULL; }
        errno = e;
        if ((saved.word & THAG__F_COUNTED) && !thag__mem_busy) thag__mem_free(&saved, h, old, fp);
        return thag__mem_finish(b, n, fp);
    }
}

/* A hook's return address and its caller's frame start the stack walks of
   detail mode: a hook must be a real call, never inlined into a caller in
   this file (it may end in a tail call: both stay valid). */
THAG__INLINE thag__at thag__at_of(void *ret, void *frame) {
    thag__at a;
    a.ret = (uintptr_t)ret;
    a.fp = *(const uintptr_t *)frame; /* the frame pointer the hook saved: its caller's */
#ifdef THAG__CFI
    thag__hook_sp = (uintptr_t)frame + 2 * sizeof(uintptr_t); /* the caller's stack pointer once the hook returns */
#endif
    return a;
}
#define THAG__FP thag__at_of(__builtin_return_address(0), __builtin_frame_address(0))
/* The same as two words (the thread's hook_sp set once). */
#define THAG__FP_RET ((uintptr_t)__builtin_return_address(0))
#define THAG__FP_FP (thag__at_of(NULL, __builtin_frame_address(0)).fp)
/* The frame pointer alone, for detail mode's fast paths (THAG__HOT_DETAIL:
   frame-pointer walks, which never read hook_sp). */
#define THAG__FP_FP0 (*(const uintptr_t *)__builtin_frame_address(0))
#define THAG__HOOK extern __attribute__((no_instrument_function, noinline, visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif
/* glibc declares these only in <malloc.h>, and some only under feature
   macros (<stdlib.h>'s valloc, reallocarray, aligned_alloc, posix_memalign:
   a file that included <stdlib.h> under -std=gnu99 has no aligned_alloc):
   declared here always, with
   -Wredundant-decls silenced for these lines (see >>platform). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wredundant-decls"
THAG__HOOK void *memalign(size_t align, size_t n) THAG__THROW;
THAG__HOOK void *pvalloc(size_t n) THAG__THROW;
THAG__HOOK void *valloc(size_t n) THAG__THROW;
THAG__HOOK size_t malloc_usable_size(void *p) THAG__THROW;
THAG__HOOK void *reallocarray(void *p, size_t k, size_t n) THAG__THROW;
THAG__HOOK int posix_memalign(void **out, size_t align, size_t n) THAG__THROW;
THAG__HOOK void *aligned_alloc(size_t align, size_t n) THAG__THROW;
#pragma GCC diagnostic pop

/* A free off the hooks' fast paths, in one tail call (the hook then keeps
   no register). */
static __attribute__((no_instrument_function, noinline)) void thag__free_long(void *p, uintptr_t ret, uintptr_t fpv) {
    thag__at fp;
    fp.ret = ret;
    fp.fp = fpv;
    if (thag__bare()) thag__bare_release(p);
    else thag__release(p, fp); /* mimalloc's free never sets errno; the slow paths keep it */
}

/* malloc and free: sampled mode's short paths first, ending in a tail call
   to mimalloc (the rest stays inline: a function of its own cost summary
   mode more than the hook's stack frame costs sampled mode). A thread's
   first malloc takes the long way (its countdown starts at 0), where errno
   is kept through mimalloc's start-up. */
#define THAG__BARE_FAST(hot) THAG__LIKELY((hot) & THAG__HOT_BARE)
/* A free that is mimalloc's: sampled mode, not on a sampled block's boundary. */
#define THAG__FREE_HOOK(p) \
    do { \
        int hot_ = THAG__LOAD(thag__hot); \
        if (THAG__LIKELY(hot_ == THAG__HOT_SUM) && THAG__LIKELY(p != NULL)) { \
            if (THAG__LIKELY(thag__hot_free(p))) break; \
        } else if (THAG__BARE_FAST(hot_) && THAG__LIKELY(((uintptr_t)(p) & (THAG__SAMPLED_ALIGN - 1)) != 0)) { \
            THAG__BARE_NOT_LAST(); \
            mi_free(p); \
            break; \
        } else if ((hot_ & (THAG__HOT_HDR | THAG__HOT_DETAIL)) == THAG__HOT_HDR && p && thag__hot_free(p)) { \
            break; \
        } \
        if (!p) break; \
        /* The rest reads the hook's frame, and only here does the hook make \
           one: GCC's shrink-wrapping places it where one block leads to \
           every use of it (the empty asm keeps the paths above from \
           jumping past that block to one of the calls). */ \
        __asm__("" : "+r"(hot_)); \
        if (hot_ & THAG__HOT_DETAIL) thag__detail_free(p, THAG__FP_RET, THAG__FP_FP0); \
        else thag__free_long(p, THAG__FP_RET, THAG__FP_FP); \
    } while (0)

/* malloc's other cases, in one tail call: the hook's own frame saves no
   register for them. */
static __attribute__((no_instrument_function, noinline)) void *thag__malloc_long(size_t n, uintptr_t ret, uintptr_t fpv) {
    thag__at fp;
    fp.ret = ret;
    fp.fp = fpv;
    return thag__alloc(n, THAG__HDR, 0, fp);
}

THAG__HOOK void *malloc(size_t n) THAG__THROW {
    int hot = THAG__LOAD(thag__hot);
    if (THAG__LIKELY(hot == THAG__HOT_SUM) && THAG__LIKELY(n <= MI_SMALL_SIZE_MAX - THAG__HDR)) {
        thag__hdr *h = (thag__hdr *)mi_malloc_small(n + THAG__HDR);
        thag__thread *t = thag__self;
        if (THAG__LIKELY(h != NULL) && THAG__LIKELY(t != NULL) && THAG__LIKELY(!thag__mem_busy))
            return thag__hot_alloc(t, h, n);
        if (h) return thag__finish_slow(h, n, THAG__FP_RET, THAG__FP_FP);
        return thag__malloc_long(n, THAG__FP_RET, THAG__FP_FP);
    }
    if (THAG__BARE_FAST(hot)) {
        int64_t left = thag__bare_left - (int64_t)n;
        if (THAG__LIKELY(left > 0 && n <= thag__bare_max)) {
            thag__bare_left = left;
            return mi_malloc(THAG__BARE_SIZE(n)); /* mimalloc leaves mmap's ENOMEM when it fails */
        }
    }
    if (THAG__LIKELY(hot & THAG__HOT_HDR) && THAG__LIKELY(n <= MI_SMALL_SIZE_MAX - THAG__HDR)) {
        thag__hdr *h = (thag__hdr *)mi_malloc_small(n + THAG__HDR);
        if (THAG__LIKELY(h != NULL)) {
            thag__thread *t = thag__self;
            hot = THAG__LOAD(thag__hot); /* again: one load, where keeping it costs a saved register */
            if (THAG__LIKELY(hot & THAG__HOT_SUMMARY) && THAG__LIKELY(t != NULL) && THAG__LIKELY(!thag__mem_busy))
                return thag__hot_alloc(t, h, n);
            if (hot & THAG__HOT_QUIET) {
                h->owner = NULL;
                h->word = (uint64_t)n | (uint64_t)THAG__MAGIC << 56;
                return h + 1;
            }
            return thag__finish_slow(h, n, THAG__FP_RET, (hot & THAG__HOT_DETAIL) ? THAG__FP_FP0 : THAG__FP_FP);
        }
    }
    return thag__malloc_long(n, THAG__FP_RET, THAG__FP_FP);
}
THAG__HOOK void free(void *p) THAG__THROW { THAG__FREE_HOOK(p); }
THAG__HOOK void *calloc(size_t k, size_t n) THAG__THROW {
    size_t total;
    if (__builtin_mul_overflow(k, n, &total)) { errno = ENOMEM; return NULL; }
    return thag__alloc(total, THAG__HDR, 1, THAG__FP);
}
THAG__HOOK void *realloc(void *p, size_t n) THAG__THROW { return thag__realloc(p, n, THAG__FP); }
THAG__HOOK void *reallocarray(void *p, size_t k, size_t n) THAG__THROW {
    size_t total;
    if (__builtin_mul_overflow(k, n, &total)) { errno = ENOMEM; return NULL; }
    return thag__realloc(p, total, THAG__FP);
}
THAG__HOOK int posix_memalign(void **out, size_t align, size_t n) THAG__THROW {
    void *p;
    if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
    if (!(p = thag__alloc(n, align, 0, THAG__FP))) return ENOMEM;
    *out = p;
    return 0;
}
THAG__HOOK void *aligned_alloc(size_t align, size_t n) THAG__THROW {
    if (!align || (align & (align - 1))) { errno = EINVAL; return NULL; }
    return thag__alloc(n, align, 0, THAG__FP);
}
THAG__HOOK void *memalign(size_t align, size_t n) THAG__THROW {
    if (!align || (align & (align - 1))) { errno = EINVAL; return NULL; }
    return thag__alloc(n, align, 0, THAG__FP);
}
THAG__HOOK void *valloc(size_t n) THAG__THROW { return thag__alloc(n, 4096, 0, THAG__FP); }
THAG__HOOK void *pvalloc(size_t n) THAG__THROW {
    if (n > THAG__MAX_REQUEST) { errno = ENOMEM; return NULL; }
    return thag__alloc((n + 4095) & ~(size_t)4095, 4096, 0, THAG__FP);
}
THAG__HOOK size_t malloc_usable_size(void *p) THAG__THROW {
    thag__hdr *h;
    if (!p) return 0;
    if (thag__bare()) return mi_usable_size(p);
    if (!(h = thag__hdr_of(p))) return mi_usable_size(p);
    return mi_usable_size(h) - THAG__HDR;
}

/* C++ operator new and delete, by their mangled names, so that they come
   from the executable and cannot resolve to libmimalloc.so's own (which
   would bypass the hooks, depending on link order). On failure new throws
   std::bad_alloc through libstdc++ when it is linked, else aborts. */
extern void _ZSt17__throw_bad_allocv(void) __attribute__((weak));
THAG__FN void *thag__new(size_t n, size_t align, int nothrow, thag__at fp) {
    void *p = thag__alloc(n ? n : 1, align, 0, fp);
    if (!p && !nothrow) {
        if (_ZSt17__throw_bad_allocv) _ZSt17__throw_bad_allocv();
        abort();
    }
    return p;
}
/* Each hook is declared first: -Wmissing-prototypes builds stay quiet. */
#define THAG__NEW(name, args, call) THAG__HOOK void *name args; THAG__HOOK void *name args { return call; }
#define THAG__DEL(name, args) THAG__HOOK void name args; \
    THAG__HOOK void name args { THAG__FREE_HOOK(p); }
#define THAG__U __attribute__((unused))
THAG__NEW(_Znwm, (size_t n), thag__new(n, THAG__HDR, 0, THAG__FP))
THAG__NEW(_Znam, (size_t n), thag__new(n, THAG__HDR, 0, THAG__FP))
THAG__NEW(_ZnwmRKSt9nothrow_t, (size_t n, const void *nt), ((void)nt, thag__new(n, THAG__HDR, 1, THAG__FP)))
THAG__NEW(_ZnamRKSt9nothrow_t, (size_t n, const void *nt), ((void)nt, thag__new(n, THAG__HDR, 1, THAG__FP)))
THAG__NEW(_ZnwmSt11align_val_t, (size_t n, size_t a), thag__new(n, a, 0, THAG__FP))
THAG__NEW(_ZnamSt11align_val_t, (size_t n, size_t a), thag__new(n, a, 0, THAG__FP))
THAG__NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const void *nt), ((void)nt, thag__new(n, a, 1, THAG__FP)))
THAG__NEW(_ZnamSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const void *nt), ((void)nt, thag__new(n, a, 1, THAG__FP)))
THAG__DEL(_ZdlPv, (void *p))
THAG__DEL(_ZdaPv, (void *p))
THAG__DEL(_ZdlPvm, (void *p, THAG__U size_t n))
THAG__DEL(_ZdaPvm, (void *p, THAG__U size_t n))
THAG__DEL(_ZdlPvRKSt9nothrow_t, (void *p, THAG__U const void *nt))
THAG__DEL(_ZdaPvRKSt9nothrow_t, (void *p, THAG__U const void *nt))
THAG__DEL(_ZdlPvSt11align_val_t, (void *p, THAG__U size_t a))
THAG__DEL(_ZdaPvSt11align_val_t, (void *p, THAG__U size_t a))
THAG__DEL(_ZdlPvmSt11align_val_t, (void *p, THAG__U size_t n, THAG__U size_t a))
THAG__DEL(_ZdaPvmSt11align_val_t, (void *p, THAG__U size_t n, THAG__U size_t a))
#ifdef __cplusplus
}
#endif
#endif /* THAG__MEMORY */

/* >>symbols: code addresses to function names, at output time, never on the
   hot path. The object holding an address is found with dl_iterate_phdr
   (its load bias and segments: PIE and shared libraries work); its file
   (/proc/self/exe for the program) is mapped read-only once and the
   function symbols of its .symtab (static functions included; .dynsym when
   the file is stripped) are sorted by address; a lookup is then a binary
   search. No malloc (mmap), no external library, no debug info needed.
   The internal API, for every section that names addresses:
       int thag__sym_name(uintptr_t addr, char *buf, size_t n)
   Writes the name of the function containing addr (GCC clone suffixes such
   as .constprop.0, .isra.0, .part.0, .cold removed), or "lib.so+0x<off>"
   when its object has no symbol there, or "0x<addr>" when no object holds
   it; NUL-terminated, truncated to n - 1 bytes. Returns the length
   written. Thread-safe (its own lock). thag__sym_lookup is the same and
   sets *found to whether a symbol was found. */
#define THAG__HAVE_SYMBOLS 1
#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#if defined(__USE_GNU) || !defined(__GLIBC__) /* musl declares it always */
typedef struct dl_phdr_info thag__dlinfo;
#else /* glibc's link.h declares dl_iterate_phdr only under _GNU_SOURCE */
typedef struct thag__dlinfo {
    ElfW(Addr) dlpi_addr;
    const char *dlpi_name;
    const ElfW(Phdr) *dlpi_phdr;
    ElfW(Half) dlpi_phnum;
} thag__dlinfo;
extern int dl_iterate_phdr(int (*callback)(thag__dlinfo *, size_t, void *), void *data);
#endif

#define THAG__SYMFN THAG__FN __attribute__((unused))
#define THAG__SYM_OBJECTS 256

typedef struct thag__sym { uintptr_t addr, size; const char *name; int global; } thag__sym;

typedef struct thag__symobj {
    uintptr_t lo, hi, bias; /* the object's PT_LOAD span in memory */
    thag__sym *sym;
    size_t nsym;
    char base[64];          /* its file name, for lib.so+0x<off> */
    char path[256];         /* its path, for addr2line (THAG_LINES) */
} thag__symobj;

static struct {
    pthread_mutex_t lock;
    thag__symobj obj[THAG__SYM_OBJECTS];
    int nobj;
} thag__syms = {PTHREAD_MUTEX_INITIALIZER, {{0, 0, 0, NULL, 0, {0}, {0}}}, 0};

THAG__FN int thag__sym_before(const thag__sym *a, const thag__sym *b) {
    if (a->addr != b->addr) return a->addr < b->addr;
    return a->global > b->global; /* aliases: the global name first */
}

/* Heapsort by address (qsort may call malloc). */
THAG__FN void thag__sym_sift(thag__sym *v, size_t i, size_t n) {
    for (;;) {
        size_t c = 2 * i + 1;
        thag__sym t;
        if (c >= n) return;
        if (c + 1 < n && thag__sym_before(&v[c], &v[c + 1])) c++;
        if (!thag__sym_before(&v[i], &v[c])) return;
        t = v[i]; v[i] = v[c]; v[c] = t;
        i = c;
    }
}

THAG__FN void thag__sym_sort(thag__sym *v, size_t n) {
    size_t i;
    thag__sym t;
    for (i = n / 2; i-- > 0;) thag__sym_sift(v, i, n);
    for (i = n; i-- > 1;) {
        t = v[0]; v[0] = v[i]; v[i] = t;
        thag__sym_sift(v, 0, i);
    }
}

/* The symbol table section of a mapped ELF file (.symtab, else .dynsym),
   bounds-checked; NULL when there is none or the file is malformed. */
THAG__FN const ElfW(Shdr) *thag__sym_table(const unsigned char *m, size_t size, const char **str, size_t *strsz) {
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)(const void *)m;
    const ElfW(Shdr) *sh, *best = NULL, *s;
    size_t i;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
        eh->e_shentsize != sizeof *sh || eh->e_shoff > size ||
        (size - eh->e_shoff) / sizeof *sh < eh->e_shnum)
        return NULL;
    sh = (const ElfW(Shdr) *)(const void *)(m + eh->e_shoff);
    for (i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB || (sh[i].sh_type == SHT_DYNSYM && !best)) best = &sh[i];
    if (!best || best->sh_entsize != sizeof(ElfW(Sym)) || best->sh_offset > size ||
        best->sh_size > size - best->sh_offset || best->sh_link >= eh->e_shnum)
        return NULL;
    s = &sh[best->sh_link];
    if (s->sh_offset > size || s->sh_size > size - s->sh_offset || !s->sh_size) return NULL;
    *str = (const char *)m + s->sh_offset;
    *strsz = s->sh_size;
    return best;
}

/* Reads the function symbols of the ELF file at path into o (the mapping
   stays: the names point into it). Leaves o->nsym at 0 on failure. */
THAG__FN void thag__sym_load(thag__symobj *o, const char *path) {
    struct stat st;
    const unsigned char *m;
    const ElfW(Shdr) *tab;
    const ElfW(Sym) *sy;
    const char *str;
    size_t strsz, i, n, k = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    m = fstat(fd, &st) == 0 && st.st_size > 0
            ? (const unsigned char *)mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
            : (const unsigned char *)MAP_FAILED;
    close(fd);
    if (m == MAP_FAILED) return;
    if (!(tab = thag__sym_table(m, (size_t)st.st_size, &str, &strsz))) return;
    sy = (const ElfW(Sym) *)(const void *)(m + tab->sh_offset);
    n = tab->sh_size / sizeof *sy;
    if (!n || !(o->sym = (thag__sym *)thag__pmap(n * sizeof(thag__sym)))) return;
    for (i = 0; i < n; i++) {
        int type = ELF64_ST_TYPE(sy[i].st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sy[i].st_shndx == SHN_UNDEF ||
            !sy[i].st_value || sy[i].st_name >= strsz || !str[sy[i].st_name] ||
            !memchr(str + sy[i].st_name, 0, strsz - sy[i].st_name))
            continue;
        o->sym[k].addr = (uintptr_t)sy[i].st_value;
        o->sym[k].size = (uintptr_t)sy[i].st_size;
        o->sym[k].name = str + sy[i].st_name;
        o->sym[k++].global = ELF64_ST_BIND(sy[i].st_info) != STB_LOCAL;
    }
    thag__sym_sort(o->sym, k);
    o->nsym = k;
}

typedef struct thag__symfind { uintptr_t addr; int index; thag__symobj *found; } thag__symfind;

/* dl_iterate_phdr callback: registers the object that holds q->addr. */
THAG__FN int thag__sym_phdr(thag__dlinfo *info, size_t size, void *arg) {
    thag__symfind *q = (thag__symfind *)arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    thag__symobj *o;
    const char *path = info->dlpi_name, *b;
    int i;
    (void)size;
    if (q->index++ == 0 && (!path || !path[0])) path = "/proc/self/exe"; /* the program */
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD) continue;
        if (info->dlpi_addr + p->p_vaddr < lo) lo = info->dlpi_addr + p->p_vaddr;
        if (info->dlpi_addr + p->p_vaddr + p->p_memsz > hi) hi = info->dlpi_addr + p->p_vaddr + p->p_memsz;
    }
    if (q->addr < lo || q->addr >= hi || thag__syms.nobj == THAG__SYM_OBJECTS) return 0;
    o = &thag__syms.obj[thag__syms.nobj++];
    o->lo = lo;
    o->hi = hi;
    o->bias = info->dlpi_addr;
    if (!path || !path[0]) path = "?";
    b = strrchr(path, '/');
    thag__stbsp_snprintf(o->base, (int)sizeof o->base, "%s", strcmp(path, "/proc/self/exe") == 0
                         ? program_invocation_short_name : b ? b + 1 : path);
    thag__stbsp_snprintf(o->path, (int)sizeof o->path, "%s", path);
    if (path[0] == '/') thag__sym_load(o, path);
    q->found = o;
    return 1;
}

/* The object holding addr, registered on first sight; NULL if none. */
THAG__FN thag__symobj *thag__sym_object(uintptr_t addr) {
    thag__symfind q;
    int i;
    for (i = 0; i < thag__syms.nobj; i++)
        if (addr >= thag__syms.obj[i].lo && addr < thag__syms.obj[i].hi) return &thag__syms.obj[i];
    q.addr = addr;
    q.index = 0;
    q.found = NULL;
    dl_iterate_phdr(thag__sym_phdr, &q);
    return q.found;
}

/* The symbol containing v (an address in the object's own numbering). */
THAG__FN const thag__sym *thag__sym_search(const thag__symobj *o, uintptr_t v) {
    size_t lo = 0, hi = o->nsym;
    const thag__sym *s;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->sym[mid].addr <= v) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    s = &o->sym[lo - 1];
    while (s > o->sym && s[-1].addr == s->addr) s--; /* the preferred alias */
    return v < s->addr + (s->size ? s->size : 1) ? s : NULL;
}

/* C++ names (_Z...) demangled by the program's C++ runtime, when it has
   one (a C program has no C++ names); the name stays as it is otherwise.
   Only at output: __cxa_demangle allocates (the caller is busy, so that
   is not counted). RTLD_DEFAULT is 0 in glibc (it needs _GNU_SOURCE). */
typedef char *(*thag__demangler)(const char *, char *, size_t *, int *);

THAG__FN size_t thag__demangle(char *buf, size_t k, size_t n) {
    static thag__demangler fn;
    static int looked;
    char *out;
    int status = -1;
    size_t m;
    if (k < 3 || buf[0] != '_' || buf[1] != 'Z') return k;
    if (!looked) {
        void *p = dlsym((void *)0, "__cxa_demangle");
        memcpy(&fn, &p, sizeof fn); /* ISO C has no object-to-function pointer cast */
        looked = 1;
    }
    if (!fn || !(out = fn(buf, NULL, NULL, &status))) return k;
    if (status == 0 && (m = strlen(out)) > 0) {
        k = m < n ? m : n - 1;
        memcpy(buf, out, k);
        buf[k] = 0;
    }
    free(out);
    return k;
}

THAG__SYMFN int thag__sym_lookup(uintptr_t addr, char *buf, size_t n, int *found) {
    const thag__symobj *o;
    const thag__sym *s = NULL;
    size_t k = 0;
    int r;
    if (!n) return 0;
    pthread_mutex_lock(&thag__syms.lock);
    o = thag__sym_object(addr);
    if (o) s = thag__sym_search(o, addr - o->bias);
    if (s) {
        while (s->name[k] && (s->name[k] != '.' || !k) && k + 1 < n) k++;
        memcpy(buf, s->name, k);
        buf[k] = 0;
        r = (int)thag__demangle(buf, k, n);
    } else if (o) {
        r = thag__stbsp_snprintf(buf, (int)n, "%s+0x%llx", o->base, (unsigned long long)(addr - o->bias));
    } else {
        r = thag__stbsp_snprintf(buf, (int)n, "0x%llx", (unsigned long long)addr);
    }
    if (found) *found = s != NULL;
    pthread_mutex_unlock(&thag__syms.lock);
    return r < (int)n ? r : (int)n - 1;
}

THAG__SYMFN int thag__sym_name(uintptr_t addr, char *buf, size_t n) {
    return thag__sym_lookup(addr, buf, n, NULL);
}

/* >>auto: THAG_AUTO_INSTRUMENT provides the -finstrument-functions hooks.
   A function is a call site (thag_site) created the first time its address
   is seen, in a global hash map that readers probe without a lock; its name
   is found at output time (>>symbols). Each thread keeps a shadow stack of
   the hooked frames: the guard variable of each frame (what THAG_PROFILE
   keeps in a local) and the stack pointer at its enter hook, so frames left
   by longjmp are recognised and ended: an entry below the stack pointer of
   a new enter (or at the same one but from another call site) is gone,
   and so are the entries above the one an exit pops.
   Functions inlined into another share its stack pointer and still get
   their own frames. */
#if defined(THAG_AUTO_INSTRUMENT)
#ifndef THAG_AUTO_OPTION
#define THAG_AUTO_OPTION runtime
#endif
#define THAG__AUTO_OPT2(o) THAG__OPT_##o
#define THAG__AUTO_OPT(o) THAG__AUTO_OPT2(o)
#define THAG__AUTO_DEPTH 65536 /* hooked frames per thread; deeper calls are not recorded */

typedef struct thag__asite {
    thag_site site;             /* first: &asite->site is the site */
    uintptr_t fn;
    struct thag__asite *next;   /* every site, for naming at output */
    int ignore;                 /* the library's own (stb_sprintf) functions */
    int named;
    char hex[2 + 2 * sizeof(void *) + 2];
} thag__asite;

typedef struct thag__aslot { uintptr_t key; thag__asite *site; } thag__aslot;
typedef struct thag__amap { size_t mask, used; thag__aslot slot[1]; } thag__amap;

typedef struct thag__aent { uintptr_t fn, sp, cs; thag_scope g; } thag__aent;

typedef struct thag__ashadow {
    uint32_t top, over;  /* entries in use; enters past THAG__AUTO_DEPTH */
    int busy;            /* inside the profiler: hooks return at once */
    thag__aent *e;
} thag__ashadow;

static struct {
    pthread_mutex_t lock;
    thag__amap *map;     /* published with release; replaced maps stay */
    thag__asite *sites;
    thag__arena arena;
    pthread_once_t once;
    pthread_key_t key;
} thag__auto = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, {NULL, NULL, 64 * 1024}, PTHREAD_ONCE_INIT, 0};
static thag__ashadow thag__auto_off = {0, 0, 1, NULL}; /* a thread without memory */
static THAG__TLS thag__ashadow *thag__ash;


/* The functions of stb_sprintf (compiled into this file, maybe with
   -finstrument-functions): never recorded, so flushing or logging never
   records the profiler itself. */
THAG__FN int thag__auto_is_own(uintptr_t fn) {
    const uintptr_t own[] = {
        (uintptr_t)thag__stbsp_vsprintfcb, (uintptr_t)thag__stbsp_vsnprintf,
        (uintptr_t)thag__stbsp_snprintf, (uintptr_t)thag__stbsp_vsprintf,
        (uintptr_t)thag__stbsp_sprintf, (uintptr_t)thag__stbsp_set_separators,
        (uintptr_t)stbsp__lead_sign, (uintptr_t)stbsp__strlen_limited,
        (uintptr_t)stbsp__clamp_callback, (uintptr_t)stbsp__count_clamp_callback};
    size_t i;
    for (i = 0; i < sizeof own / sizeof own[0]; i++)
        if (own[i] == fn) return 1;
    return 0;
}

/* Inserts s into m (the caller holds the lock; m has room). */
THAG__FN void thag__auto_put(thag__amap *m, thag__asite *s) {
    size_t i = thag__addr_hash(s->fn) & m->mask;
    while (m->slot[i].key) i = (i + 1) & m->mask;
    m->slot[i].site = s;
    __atomic_store_n(&m->slot[i].key, s->fn, __ATOMIC_RELEASE);
    m->used++;
}

/* A map with room for one more site: the current one, or a copy twice as
   large (the old one stays mapped for readers still probing it). */
THAG__FN thag__amap *thag__auto_room(void) {
    thag__amap *m = thag__auto.map, *nm;
    size_t cap = m ? (m->mask + 1) * 2 : 4096, i;
    if (m && (m->used + 1) * 2 <= m->mask + 1) return m;
    if (!(nm = (thag__amap *)thag__pmap(sizeof *nm + cap * sizeof(thag__aslot)))) return NULL;
    nm->mask = cap - 1;
    for (i = 0; m && i <= m->mask; i++)
        if (m->slot[i].key) thag__auto_put(nm, m->slot[i].site);
    __atomic_store_n(&thag__auto.map, nm, __ATOMIC_RELEASE);
    return nm;
}

THAG__FN void thag__auto_hex(char *p, uintptr_t v) {
    int i, started = 0;
    *p++ = '0';
    *p++ = 'x';
    for (i = (int)sizeof v * 8 - 4; i >= 0; i -= 4) {
        unsigned d = (unsigned)(v >> i) & 15u;
        if (d || started || !i) { *p++ = (char)(d < 10 ? '0' + d : 'a' + d - 10); started = 1; }
    }
    *p = 0;
}

/* Slow path: the site of fn, created on first sight (name: its address
   until the output names it). NULL when out of memory. */
THAG__FN thag__asite *thag__auto_add(uintptr_t fn) {
    thag__amap *m;
    thag__asite *s = NULL;
    size_t i;
    pthread_mutex_lock(&thag__auto.lock);
    m = thag__auto.map;
    for (i = m ? thag__addr_hash(fn) & m->mask : 0; m && m->slot[i].key; i = (i + 1) & m->mask)
        if (m->slot[i].key == fn) { s = m->slot[i].site; break; }
    if (!s && (m = thag__auto_room()) && (s = (thag__asite *)thag__arena_alloc(&thag__auto.arena, sizeof *s))) {
        s->fn = fn;
        thag__auto_hex(s->hex, fn);
        s->site.name = s->hex;
        s->site.file = "";
        s->site.kind = THAG__KIND_time;
        s->ignore = thag__auto_is_own(fn);
        s->next = thag__auto.sites;
        thag__auto.sites = s;
        thag__auto_put(m, s);
    }
    pthread_mutex_unlock(&thag__auto.lock);
    return s;
}

static inline __attribute__((always_inline, no_instrument_function)) thag__asite *
thag__auto_site(thag__ashadow *sh, uintptr_t fn) {
    thag__amap *m = __atomic_load_n(&thag__auto.map, __ATOMIC_ACQUIRE);
    thag__asite *s;
    if (THAG__LIKELY(m != NULL)) {
        size_t i = thag__addr_hash(fn) & m->mask;
        uintptr_t k;
        while ((k = __atomic_load_n(&m->slot[i].key, __ATOMIC_ACQUIRE)) != 0) {
            if (k == fn) return m->slot[i].site;
            i = (i + 1) & m->mask;
        }
    }
    sh->busy = 1;
    s = thag__auto_add(fn);
    sh->busy = 0;
    return s;
}

THAG__FN void thag__auto_key_free(void *p) {
    thag__ashadow *sh = (thag__ashadow *)p;
    if (thag__ash == sh) thag__ash = NULL;
    if (sh && sh != &thag__auto_off) munmap(sh, sizeof *sh + THAG__AUTO_DEPTH * sizeof(thag__aent));
}

THAG__FN void thag__auto_key_make(void) { pthread_key_create(&thag__auto.key, thag__auto_key_free); }

/* First hook of a thread: its shadow stack. The first hook of the process
   also configures the profiler as THAG_ENABLE_PROFILING(THAG_AUTO_OPTION). */
THAG__FN thag__ashadow *thag__auto_thread(void) {
    thag__ashadow *sh = (thag__ashadow *)thag__pmap(sizeof *sh + THAG__AUTO_DEPTH * sizeof(thag__aent));
    if (!sh) { thag__ash = &thag__auto_off; return NULL; }
    sh->e = (thag__aent *)(void *)((char *)sh + sizeof *sh);
    sh->busy = 1;
    thag__ash = sh;
    if (!__atomic_load_n(&thag__g.configured, __ATOMIC_ACQUIRE))
        thag__enable_main(THAG__AUTO_OPT(THAG_AUTO_OPTION));
    pthread_once(&thag__auto.once, thag__auto_key_make);
    pthread_setspecific(thag__auto.key, sh);
    sh->busy = 0;
    return sh;
}

/* Ends the top entry, whose function was left without its exit hook
   (longjmp), with everything opened above it. */
THAG__FN void thag__auto_drop(thag__ashadow *sh) {
    thag__aent *e = &sh->e[--sh->top];
    thag__thread *t = thag__self;
    if (thag__frame_of(t, &e->g)) thag__pop_stale(t, e->g.depth);
}

/* An exit hook that does not match the top entry: the entries above the
   nearest entry of fn are gone (longjmp) and dropped; NULL (nothing
   changed) when fn has no entry. */
THAG__FN thag__aent *thag__auto_unwind(thag__ashadow *sh, uintptr_t fn) {
    uint32_t k = sh->top;
    while (k && sh->e[k - 1].fn != fn) k--;
    if (!k) return NULL;
    while (sh->top > k) thag__auto_drop(sh);
    return &sh->e[k - 1];
}

void __cyg_profile_func_enter(void *fn, void *call_site) __attribute__((no_instrument_function));
void __cyg_profile_func_exit(void *fn, void *call_site) __attribute__((no_instrument_function));

/* The enter hook. sp (the hook's frame address) is a little below the
   frame of fn: deeper than every live caller. thag__enter's recovery gets
   sp; the frame then keeps the sp of the nearest caller with its own stack
   frame, which is above fn's frame, so sections opened inside fn (or in a
   function inlined into it) do not take it for dead. */
void __cyg_profile_func_enter(void *fn, void *call_site) {
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    thag__ashadow *sh = thag__ash;
    thag__asite *s;
    thag__aent *e;
    uint32_t k;
    if (THAG__UNLIKELY(!sh) && !(sh = thag__auto_thread())) return;
    if (THAG__UNLIKELY(sh->busy)) return;
    if (THAG__UNLIKELY(sh->over || sh->top == THAG__AUTO_DEPTH)) { sh->over++; return; }
    /* Gone: deeper than us, or in the same frame but called from another
       place (a function inlined into its caller shares its frame and its
       call site). */
    while (sh->top && THAG__UNLIKELY(sh->e[sh->top - 1].sp < sp ||
                                     (sh->e[sh->top - 1].sp == sp && sh->e[sh->top - 1].cs != (uintptr_t)call_site)))
        thag__auto_drop(sh);
    e = &sh->e[sh->top++];
    e->fn = (uintptr_t)fn;
    e->sp = sp;
    e->cs = (uintptr_t)call_site;
    e->g.serial = 0;
    if (!THAG__LOAD(thag__g.active)) return;
    if (THAG__UNLIKELY(!(s = thag__auto_site(sh, (uintptr_t)fn)) || s->ignore)) return;
    e->g = thag__enter(&s->site, (void *)sp, call_site, &e->g);
    if (THAG__UNLIKELY(e->g.serial == 0)) return;
    for (k = sh->top - 1; k && sh->e[k - 1].sp == sp; k--) continue;
    thag__self->stack[e->g.depth].fa = k ? sh->e[k - 1].sp : UINTPTR_MAX;
}

/* The exit hook: pops fn's entry. Its stack pointer says nothing (the
   hook may be called after the epilogue, even as a tail call). */
void __cyg_profile_func_exit(void *fn, void *call_site) {
    thag__ashadow *sh = thag__ash;
    thag__aent *e;
    (void)call_site;
    if (THAG__UNLIKELY(!sh || sh->busy)) return;
    if (THAG__UNLIKELY(sh->over)) { sh->over--; return; }
    if (THAG__UNLIKELY(!sh->top)) return;
    e = &sh->e[sh->top - 1];
    if (THAG__UNLIKELY(e->fn != (uintptr_t)fn) && !(e = thag__auto_unwind(sh, (uintptr_t)fn)))
        return;
    sh->top--;
    thag__leave(&e->g);
}

/* Names every site not named yet (at output, under the global lock). */
THAG__FN void thag__auto_names(void) {
    char buf[1024];
    thag__asite *s;
    pthread_mutex_lock(&thag__auto.lock);
    for (s = thag__auto.sites; s; s = s->next) {
        int n;
        char *p;
        if (s->named) continue;
        n = thag__sym_name(s->fn, buf, sizeof buf);
        if (n > 0 && (p = (char *)thag__arena_alloc(&thag__auto.arena, (size_t)n + 1))) {
            memcpy(p, buf, (size_t)n + 1);
            s->site.name = p;
        }
        s->named = 1;
    }
    pthread_mutex_unlock(&thag__auto.lock);
}
#else
static inline __attribute__((always_inline, no_instrument_function)) void thag__auto_names(void) {}
#endif /* THAG_AUTO_INSTRUMENT */

/* >>output: the threads' trees are merged by frame name into one output
   tree, then written in one depth-first walk to the aggregated files. */
typedef struct thag__onode {
    const char *name;
    struct thag__onode *parent, *child, *sibling;
    uint64_t calls, incl, excl; /* ticks, calls */
    uint64_t m_bytes, m_allocs; /* memory asked for, allocations */
    int64_t m_live;             /* bytes still live */
    uint64_t m_freed;           /* bytes freed (deallocating stacks) */
    int64_t m_peak;             /* live bytes at the peak snapshot (>>peak) */
    uint64_t m_temp;            /* temporary allocations */
    uint64_t m_live_n;          /* live blocks (sampled mode: estimated from the live samples) */
    size_t plen;                /* length of the path up to this frame */
    uint64_t id;                /* its number in the timeline's stack table */
    struct thag__onode *cut;    /* deeper than THAG__OUT_DEPTH: the frame it is charged to */
    int fiber;                  /* a fiber's root frame (>>fibers): an F line in the timeline */
} thag__onode;

typedef struct thag__obuf {
    char *cur, *end;
    char *chunks[1024]; /* mmap'd chunks, unmapped after writing */
    size_t lens[1024];
    int nchunks;
} thag__obuf;

THAG__FN void *thag__oalloc(thag__obuf *o, size_t size) {
    size = (size + 15u) & ~(size_t)15u;
    if ((size_t)(o->end - o->cur) < size) {
        size_t n = size > ((size_t)1 << 20) ? size : ((size_t)1 << 20);
        char *p;
        if (o->nchunks == 1024 || !(p = (char *)thag__pmap(n))) return NULL;
        o->chunks[o->nchunks] = p;
        o->lens[o->nchunks++] = n;
        o->cur = p;
        o->end = p + n;
    }
    o->cur += size;
    return o->cur - size;
}

THAG__FN void thag__ofree(thag__obuf *o) {
    int i;
    for (i = 0; i < o->nchunks; i++) munmap(o->chunks[i], o->lens[i]);
    o->nchunks = 0;
}

THAG__FN thag__onode *thag__ochild(thag__obuf *o, thag__onode *p, const char *name) {
    thag__onode *c;
    for (c = p->child; c; c = c->sibling)
        if (strcmp(c->name, name) == 0) return c;
    c = (thag__onode *)thag__oalloc(o, sizeof(thag__onode));
    if (!c) return NULL;
    c->name = name;
    c->parent = p;
    c->sibling = p->child;
    p->child = c;
    return c;
}

/* Pre-order walk of a thread's tree with the parent links (no recursion:
   recursive programs make deep trees). */
THAG__FN thag__node *thag__next_node(thag__node *n, const thag__node *root) {
    thag__node *c = __atomic_load_n(&n->child, __ATOMIC_ACQUIRE);
    if (c) return c;
    while (n != root) {
        if (n->sibling) return n->sibling;
        n = n->parent;
    }
    return NULL;
}

THAG__FN int thag__merge_thread(thag__obuf *o, thag__onode *root, thag__thread *t) {
    thag__onode *base = root;
    thag__node *n;
    int64_t k;
    if (!t->is_main && !thag__g.merge_threads && !(base = thag__ochild(o, root, t->label))) return -1;
    t->root.out = base;
    if (base != root) { /* allocations outside any scope of the thread */
        base->m_bytes += THAG__LOAD(t->root.m_bytes);
        base->m_allocs += thag__g.sample_bytes ? THAG__UNW(THAG__LOAD(t->root.m_allocs)) : (uint64_t)THAG__LOAD(t->root.m_allocs);
        base->m_live += thag__node_live(&t->root, &k);
        base->m_live_n += (uint64_t)k;
        base->m_peak += THAG__LOAD(t->root.m_peak_live);
        base->m_temp += THAG__LOAD(t->root.m_temp);
    }
    for (n = thag__next_node(&t->root, &t->root); n; n = thag__next_node(n, &t->root)) {
        thag__onode *on = THAG__UNLIKELY(n->site->kind == THAG__KIND_detached) /* >>tasks */
            ? (n->site->name[0] && !thag__g.merge_threads ? thag__ochild(o, root, n->site->name) : root)
            : thag__ochild(o, n->parent->out, n->site->name);
        if (!on) return -1;
        n->out = on;
        on->fiber |= (n->site->kind & THAG__KIND_fiber) != 0;
        on->calls += THAG__LOAD(n->calls);
        on->incl += THAG__LOAD(n->incl) + n->pend_incl;
        on->excl += THAG__LOAD(n->excl) + n->pend_excl;
        on->m_bytes += THAG__LOAD(n->m_bytes);
        on->m_allocs += thag__g.sample_bytes ? THAG__UNW(THAG__LOAD(n->m_allocs)) : (uint64_t)THAG__LOAD(n->m_allocs);
        on->m_live += thag__node_live(n, &k);
        on->m_live_n += (uint64_t)k;
        on->m_peak += THAG__LOAD(n->m_peak_live);
        on->m_temp += THAG__LOAD(n->m_temp);
        n->pend_incl = n->pend_excl = 0;
    }
    return 0;
}

/* Counts the calling thread's open scopes up to now (a snapshot). */
THAG__FN void thag__pend_open(thag__thread *t, uint64_t now) {
    uint32_t i;
    if (t) thag__async_pend(t, now); /* >>fibers: suspended fibers' open frames */
    if (!t || !t->sp) return;
    for (i = 0; i < t->sp; i++)
        if (t->stack[i].live) t->stack[i].node->pend_incl += now - t->stack[i].start;
    t->cur->pend_excl += now - t->last;
}

/* Buffered file writer: writes to <path>.tmp, renamed into place only
   when everything was written, so a full disk never leaves half a file. */
typedef struct thag__writer {
    int fd, err;
    int col;      /* which value of the output tree it writes */
    int listed;   /* thag__meta was called: the manifest lists the file once written */
    size_t n;
    char meta[448]; /* its manifest entry after the name: kind= unit= additive= ... */
    char path[PATH_MAX + 32];
    char buf[1 << 16];
} thag__writer;

THAG__FN void thag__wflush(thag__writer *w) {
    size_t off = 0;
    while (off < w->n && !w->err) {
        ssize_t k = write(w->fd, w->buf + off, w->n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) w->err = k < 0 ? errno : ENOSPC;
        else off += (size_t)k;
    }
    w->n = 0;
}

THAG__FN void thag__wput(thag__writer *w, const char *s, size_t n) {
    while (n) {
        size_t k = sizeof w->buf - w->n;
        if (k > n) k = n;
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
        if (w->n == sizeof w->buf) thag__wflush(w);
    }
}

__attribute__((format(printf, 2, 3))) THAG__FN void thag__wprintf(thag__writer *w, const char *fmt, ...) {
    char tmp[512];
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = thag__stbsp_vsnprintf(tmp, (int)sizeof tmp, fmt, ap);
    va_end(ap);
    thag__wput(w, tmp, (size_t)(n < (int)sizeof tmp ? n : (int)sizeof tmp - 1));
}

/* The files of one write: how many were written, and the first failure,
   reported by thag__write_all in one line (a profile whose files all fail,
   e.g. under EMFILE, gave one message per file; tests/run_hostile.sh). */
static struct {
    int ok, failed, err;
    char path[PATH_MAX + 48];
    char *man;            /* the manifest's file entries, one line each (thag__wlist) */
    size_t man_n, man_cap;
    int man_files;
} thag__wres;

THAG__FN void thag__wfail(const char *path, int err) {
    if (!thag__wres.failed++) {
        thag__wres.err = err;
        thag__stbsp_snprintf(thag__wres.path, (int)sizeof thag__wres.path, "%s", path);
    }
}

/* A program that used every descriptor its soft limit allows (the limit,
   not the system, is what runs out) would lose its profile: the output then
   raises the soft limit by THAG__FD_ROOM, within the hard limit, for itself,
   and thag__write_all puts it back. */
#define THAG__FD_ROOM 64
static struct rlimit thag__fd_saved;
static int thag__fd_raised;

THAG__FN int thag__fd_room(void) {
    struct rlimit r;
    if (thag__fd_raised || getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return 0;
    thag__fd_saved = r;
    r.rlim_cur = r.rlim_max - r.rlim_cur < THAG__FD_ROOM ? r.rlim_max : r.rlim_cur + THAG__FD_ROOM;
    thag__fd_raised = setrlimit(RLIMIT_NOFILE, &r) == 0;
    return thag__fd_raised;
}

THAG__FN void thag__fd_restore(void) {
    if (thag__fd_raised) setrlimit(RLIMIT_NOFILE, &thag__fd_saved);
    thag__fd_raised = 0;
}

/* announce: each file written, one line on stderr. */
THAG__FN void thag__say_file(const char *path) {
    char msg[PATH_MAX + 64];
    int n = thag__stbsp_snprintf(msg, (int)sizeof msg, "thag_profiler: wrote %s\n", path);
    thag__fd_write(2, msg, (size_t)(n < (int)sizeof msg ? n : (int)sizeof msg - 1));
}

/* The run says where it wrote, at exit, in one line, only where a person
   reads it: stderr is a terminal and THAG_PROFILER's third field is empty
   or none. A program whose stderr goes to a file or a pipe (its own data,
   a test's expectations) gets nothing; quiet silences the line; announce
   has listed every file already (thag__say_file). */
THAG__FN void thag__say_where(void) {
    char msg[PATH_MAX + 160];
    int n;
    if (thag__g.say != THAG__DBG_NONE || !thag__wres.ok || !isatty(2)) return;
    n = thag__stbsp_snprintf(msg, (int)sizeof msg, "thag_profiler: %d profile files: %s/%s-%s*\n",
                             thag__wres.ok, thag__g.dir, thag__g.program, thag__stamp());
    thag__fd_write(2, msg, (size_t)(n < (int)sizeof msg ? n : (int)sizeof msg - 1));
}

/* Opens <dir>/<program>-<stamp>[-<kind>]<ext>. */
THAG__FN int thag__wopen_ext(thag__writer *w, const char *kind, const char *ext) {
    char tmp[PATH_MAX + 40];
    w->n = 0;
    w->err = 0;
    w->listed = 0;
    thag__stbsp_snprintf(w->path, (int)sizeof w->path, "%s/%s-%s%s%s%s", thag__g.dir,
                         thag__g.program, thag__stamp(), kind[0] ? "-" : "", kind, ext);
    thag__stbsp_snprintf(tmp, (int)sizeof tmp, "%s.tmp", w->path);
    w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0 && errno == EMFILE && thag__fd_room())
        w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        thag__wfail(w->path, errno);
        return -1;
    }
    return 0;
}

/* Drops a file opened by thag__wopen_ext: another of its group failed to
   open, and a file with only its metadata line must not look written. */
THAG__FN void thag__wabort(thag__writer *w) {
    char tmp[PATH_MAX + 40];
    thag__stbsp_snprintf(tmp, (int)sizeof tmp, "%s.tmp", w->path);
    close(w->fd);
    unlink(tmp);
    thag__wfail(w->path, ECANCELED);
}

THAG__FN int thag__wopen(thag__writer *w, const char *kind) { return thag__wopen_ext(w, kind, ".folded"); }

/* Appends "file=<name> <meta>\n" to the manifest's entries (growing them in
   mmap'd memory: the output never calls malloc). */
THAG__FN void thag__wlist(const thag__writer *w) {
    const char *base = strrchr(w->path, '/');
    char line[PATH_MAX + 512];
    int k = thag__stbsp_snprintf(line, (int)sizeof line, "file=%s %s\n", base ? base + 1 : w->path, w->meta);
    if (k < 0 || k >= (int)sizeof line) k = 0;
    if (thag__wres.man_n + (size_t)k > thag__wres.man_cap) {
        size_t cap = thag__wres.man_cap ? thag__wres.man_cap * 2 : ((size_t)1 << 16);
        char *p = (char *)thag__pmap(cap);
        if (!p) return; /* the file is then missing from the manifest */
        if (thag__wres.man) { memcpy(p, thag__wres.man, thag__wres.man_n); munmap(thag__wres.man, thag__wres.man_cap); }
        thag__wres.man = p;
        thag__wres.man_cap = cap;
    }
    memcpy(thag__wres.man + thag__wres.man_n, line, (size_t)k);
    thag__wres.man_n += (size_t)k;
    thag__wres.man_files += k > 0;
}

/* Closes and renames into place; 0 on success. */
THAG__FN int thag__wclose(thag__writer *w) {
    char tmp[PATH_MAX + 40];
    thag__stbsp_snprintf(tmp, (int)sizeof tmp, "%s.tmp", w->path);
    thag__wflush(w);
    if (close(w->fd) != 0 && !w->err) w->err = errno;
    if (!w->err && rename(tmp, w->path) != 0) w->err = errno;
    if (w->err) {
        thag__wfail(w->path, w->err);
        unlink(tmp);
        return -1;
    }
    if (w->listed) { /* a profile file (the manifest, which lists them, is not counted) */
        thag__wres.ok++;
        thag__wlist(w);
    }
    thag__debug("wrote %s", w->path);
    if (thag__g.say == THAG__DBG_ANNOUNCE) thag__say_file(w->path);
    return 0;
}

/* Kinds whose values do not add up along a stack: a frame's value already
   holds its children's (inclusive time; a task's wall time holds its
   sections' and its child tasks', which may overlap), so a flamegraph of
   them counts time twice. Their manifest entry names the file to draw
   instead: the exclusive time, <p>-<ts>.folded. Every other kind adds up
   (calls: a frame's width is the entries at and under it; the timeline's
   intervals are exclusive time). */
static const char *const thag__nonadditive[] = {"time_inclusive", "wall"};

/* Registers the file w writes (opened by thag__wopen or thag__wopen_ext)
   for the run's manifest: its kind, its unit, and extra " key=value"
   tokens (memory totals, bounds...; no spaces in values). Call it once for
   every profile file, before thag__wclose; the manifest lists the file
   only if it was written, and only such files count as written. Folded files carry no metadata line of their own (flamegraph.pl
   and difffolded.pl would warn on it): the manifest is their metadata. */
THAG__FN void thag__meta(thag__writer *w, const char *kind, const char *extra, const char *unit) {
    int add = 1;
    size_t i;
    for (i = 0; i < sizeof thag__nonadditive / sizeof *thag__nonadditive; i++)
        if (strcmp(kind, thag__nonadditive[i]) == 0) add = 0;
    if (strcmp(kind, "massif") == 0) /* not folded: no stacks to add, no file to draw instead */
        thag__stbsp_snprintf(w->meta, (int)sizeof w->meta, "kind=%s unit=%s additive=no format=massif%s",
                             kind, unit, extra);
    else if (add)
        thag__stbsp_snprintf(w->meta, (int)sizeof w->meta, "kind=%s unit=%s additive=yes%s", kind, unit, extra);
    else
        thag__stbsp_snprintf(w->meta, (int)sizeof w->meta, "kind=%s unit=%s additive=no instead=%s-%s.folded%s",
                             kind, unit, thag__g.program, thag__stamp(), extra);
    w->listed = 1;
}

/* The in-file metadata line, now only at the top of the timeline (not a
   folded file: its readers need format=timeline-2 to parse it). */
THAG__FN void thag__meta_line(thag__writer *w, const char *kind, const char *extra, const char *unit) {
    thag__wprintf(w, "# thag_profiler " THAG_PROFILER_VERSION_STRING ": kind=%s program=%s started=%s pid=%d "
                  "clock=%s threads=%s%s unit=%s\n", kind, thag__g.program, thag__stamp(), (int)getpid(),
                  thag__clock_name(), thag__g.merge_threads ? "merged" : "separate",
                  extra, unit);
}

/* Appends a frame name to the path, replacing the bytes that would break
   the folded format (';' separates frames, newlines end lines). */
/* Copies a frame name, replacing what would break the folded format: ';'
   separates frames, newlines end lines, and a name ending in " <number>"
   would read as a count (flamegraph.pl and difffolded take "stack 1 2" for
   a differential line): that space becomes '_'. */
THAG__FN void thag__frame_copy(char *dst, const char *name, size_t n) {
    size_t i, tail = n;
    while (tail > 0 && ((name[tail - 1] >= '0' && name[tail - 1] <= '9') || name[tail - 1] == '.')) tail--;
    if (tail == n || tail == 0 || name[tail - 1] != ' ') tail = (size_t)-1;
    else tail--;
    for (i = 0; i < n; i++) {
        char c = name[i];
        dst[i] = (c == ';' || c == '\n' || c == '\r' || i == tail) ? '_' : c;
    }
}

THAG__FN int thag__path_add(char **path, size_t *cap, size_t len, const char *name) {
    size_t n = strlen(name);
    if (len + n + 2 > *cap) {
        size_t ncap = (*cap ? *cap : 4096);
        char *p;
        while (len + n + 2 > ncap) ncap *= 2;
        if (!(p = (char *)thag__pmap(ncap))) return -1;
        if (*path) { memcpy(p, *path, len); munmap(*path, *cap); }
        *path = p;
        *cap = ncap;
    }
    if (len) (*path)[len++] = ';';
    thag__frame_copy(*path + len, name, n);
    return (int)(len + n);
}

THAG__FN int thag__cmp_onode(const void *a, const void *b) {
    return strcmp((*(thag__onode *const *)a)->name, (*(thag__onode *const *)b)->name);
}

/* Sorts a node's children by name, so the output is deterministic. */
THAG__FN void thag__sort_children(thag__obuf *o, thag__onode *p) {
    thag__onode *c, **v;
    size_t n = 0, i;
    for (c = p->child; c; c = c->sibling) n++;
    if (n < 2 || !(v = (thag__onode **)thag__oalloc(o, n * sizeof *v))) return;
    for (i = 0, c = p->child; c; c = c->sibling) v[i++] = c;
    qsort(v, n, sizeof *v, thag__cmp_onode);
    for (i = 0; i + 1 < n; i++) v[i]->sibling = v[i + 1];
    v[n - 1]->sibling = NULL;
    p->child = v[0];
}

typedef struct thag__path { char *p; size_t cap; } thag__path;

THAG__FN void thag__write_line(thag__writer *w, const thag__path *path, size_t len, uint64_t v) {
    char num[32];
    int k = thag__stbsp_snprintf(num, (int)sizeof num, " %llu\n", (unsigned long long)v);
    thag__wput(w, path->p, len);
    thag__wput(w, num, (size_t)k);
}

enum { THAG__COL_EXCL, THAG__COL_INCL, THAG__COL_CALLS, THAG__COL_MBYTES, THAG__COL_MALLOCS, THAG__COL_MLIVE,
       THAG__COL_MFREED, THAG__COL_MPEAK, THAG__COL_MTEMP, THAG__COL_MLIVEN };

/* The value a writer's column takes at a node; 0 leaves the line out
   (inclusive time is written for every called node). */
THAG__FN int thag__col(const thag__onode *n, int col, uint64_t *v) {
    switch (col) {
    case THAG__COL_EXCL: *v = thag__to_ns(n->excl); return *v != 0;
    case THAG__COL_INCL: *v = thag__to_ns(n->incl); return n->calls != 0;
    case THAG__COL_CALLS: *v = n->calls; return *v != 0;
    case THAG__COL_MBYTES: *v = n->m_bytes; return *v != 0;
    case THAG__COL_MALLOCS: *v = n->m_allocs; return *v != 0;
    case THAG__COL_MFREED: *v = n->m_freed; return *v != 0;
    case THAG__COL_MPEAK: *v = n->m_peak > 0 ? (uint64_t)n->m_peak : 0; return *v != 0;
    case THAG__COL_MTEMP: *v = n->m_temp; return *v != 0;
    case THAG__COL_MLIVEN: *v = n->m_live_n; return *v != 0;
    default: *v = n->m_live > 0 ? (uint64_t)n->m_live : 0; return *v != 0;
    }
}

/* Output depth bound: a frame deeper than THAG__OUT_DEPTH is charged (time,
   calls, bytes) to its ancestor at that depth, and the stacks stop there.
   Without it a recursion 100,000 deep wrote 100,000 lines of up to 100,000
   frames: 20 GB a file (tests/run_hostile.sh). Direct recursion keeps its
   exact call count; the time and call totals are unchanged. */
#define THAG__OUT_DEPTH 1000

THAG__FN uint64_t thag__cut_deep(thag__onode *root) {
    thag__onode *n = root->child, *anc = NULL;
    size_t depth = 1;
    uint64_t cut = 0;
    while (n) {
        if (depth == THAG__OUT_DEPTH) anc = n;
        else if (depth > THAG__OUT_DEPTH) {
            n->cut = anc;
            anc->calls += n->calls;
            anc->excl += n->excl;
            anc->m_bytes += n->m_bytes;
            anc->m_allocs += n->m_allocs;
            anc->m_live += n->m_live;
            anc->m_freed += n->m_freed;
            anc->m_peak += n->m_peak;
            anc->m_temp += n->m_temp;
            anc->m_live_n += n->m_live_n;
            cut++;
        }
        if (n->child) { n = n->child; depth++; continue; }
        while (n && !n->sibling) {
            n = n->parent == root ? NULL : n->parent;
            if (--depth == THAG__OUT_DEPTH && n) n->child = NULL; /* its subtree is charged to it */
        }
        if (n) n = n->sibling;
    }
    return cut;
}

THAG__FN uint64_t thag__out_id(const thag__onode *n) { return n->cut ? n->cut->id : n->id; }

/* Writes every aggregated file (one writer per column) in one walk. */
THAG__FN int thag__write_tree(thag__obuf *o, thag__onode *root, thag__writer *w, int nw) {
    thag__path path = {NULL, 0};
    thag__onode *n;
    int len, i;
    uint64_t v;
    thag__sort_children(o, root);
    n = root->child;
    while (n) {
        thag__sort_children(o, n);
        if ((len = thag__path_add(&path.p, &path.cap, n->parent->plen, n->name)) < 0) return -1;
        n->plen = (size_t)len;
        for (i = 0; i < nw; i++)
            if (thag__col(n, w[i].col, &v)) thag__write_line(&w[i], &path, n->plen, v);
        if (n->child) { n = n->child; continue; }
        while (n && !n->sibling) n = n->parent == root ? NULL : n->parent;
        if (n) n = n->sibling;
    }
    if (path.p) munmap(path.p, path.cap);
    return 0;
}

/* The path of an output node, built in the output arena (the wall file's
   lines; the timeline writes its stacks frame by frame instead). */

THAG__FN const char *thag__onode_path(thag__obuf *o, thag__onode *n, size_t *len) {
    size_t total = 0, pos;
    thag__onode *m;
    char *p;
    for (m = n; m->parent; m = m->parent) total += strlen(m->name) + 1;
    if (!(p = (char *)thag__oalloc(o, total + 1))) return NULL;
    pos = total - 1;
    p[pos] = 0;
    for (m = n; m->parent; m = m->parent) {
        size_t k = strlen(m->name);
        pos -= k;
        thag__frame_copy(p + pos, m->name, k);
        if (pos) p[--pos] = ';';
    }
    *len = total - 1;
    return p;
}

/* The timeline file: a table of stacks, then each thread's intervals.
     S <id> <parent id> <frame>   a stack: its parent's frames, then frame
     F <id>                       after its S line: a fiber's root frame
     T <index> <start ns> <name>  a thread's window starts
     <id> <ns>                    that stack was on top for ns (0: none)
   A stack is written once, not on every line, and the intervals follow
   each other, so their sums give each interval's time. Ids are given in
   pre-order, so a parent comes before its children. */
THAG__FN void thag__tl_frame(thag__writer *w, thag__obuf *o, const thag__onode *n) {
    char tmp[256], *p = tmp;
    size_t k = strlen(n->name);
    if (k >= sizeof tmp && !(p = (char *)thag__oalloc(o, k + 1))) return;
    thag__frame_copy(p, n->name, k);
    thag__wprintf(w, "S %llu %llu ", (unsigned long long)n->id, (unsigned long long)(n->parent ? n->parent->id : 0));
    thag__wput(w, p, k);
    thag__wput(w, "\n", 1);
    if (n->fiber) thag__wprintf(w, "F %llu\n", (unsigned long long)n->id);
}

THAG__FN void thag__tl_stacks(thag__writer *w, thag__obuf *o, thag__onode *root) {
    thag__onode *n = root->child;
    uint64_t id = 0;
    root->id = 0;
    while (n) {
        n->id = ++id;
        thag__tl_frame(w, o, n);
        if (n->child) { n = n->child; continue; }
        while (n && !n->sibling) n = n->parent == root ? NULL : n->parent;
        if (n) n = n->sibling;
    }
}

typedef struct thag__tl { uint64_t id, acc; } thag__tl;

THAG__FN void thag__tl_emit(thag__writer *w, thag__tl *s, uint64_t id) {
    uint64_t ns;
    if (id == s->id) return;
    if ((ns = thag__to_ns(s->acc)) != 0) thag__wprintf(w, "%llu %llu\n", (unsigned long long)s->id, (unsigned long long)ns);
    s->id = id;
    s->acc = 0;
}

/* One thread's window, up to the position `upto` read with the output's
   snapshot (under tl_lock, so its chunks stay its own). The calling
   thread's last interval lasts until now. */
THAG__FN void thag__write_timeline(thag__writer *w, thag__thread *t, const thag__event *upto, uint64_t now, int self) {
    thag__evchunk *c;
    const thag__event *prev = NULL;
    thag__tl s = {0, 0};
    if (!t->ev_first || upto < t->ev_last->ev || upto > t->ev_last->ev + thag__g.tl_chunk_events) return;
    thag__wprintf(w, "T %d %llu %s\n", t->index,
                  (unsigned long long)thag__to_ns(t->ev_first->ev[0].ticks - thag__clock.tick0),
                  t->is_main ? "main" : t->label);
    for (c = t->ev_first; c; c = c->next) {
        const thag__event *e = c->ev, *end = c == t->ev_last ? upto : c->ev + thag__g.tl_chunk_events;
        for (; e < end; e++) {
            if (prev) {
                thag__tl_emit(w, &s, prev->node && prev->node->out ? thag__out_id(prev->node->out) : 0);
                s.acc += e->ticks - prev->ticks;
            }
            prev = e;
        }
    }
    if (prev && self && prev->node && prev->node->out) {
        thag__tl_emit(w, &s, thag__out_id(prev->node->out));
        s.acc += now - prev->ticks;
    }
    thag__tl_emit(w, &s, (uint64_t)-1);
}

/* >>taskwall: the wall file, elapsed time of tasks (begin to end) and of
   async sections (open to end), per stack. Written only when there are any. */
typedef struct thag__wline { const char *path; uint64_t wall; } thag__wline;

THAG__FN int thag__cmp_wline(const void *a, const void *b) {
    return strcmp(((const thag__wline *)a)->path, ((const thag__wline *)b)->path);
}

/* Fills v with the wall entries whose nodes were merged; returns how many. */
THAG__FN size_t thag__wall_lines(thag__obuf *o, thag__wline *v) {
    size_t i, n = 0, len;
    for (i = 0; i < thag__a.capwall; i++) {
        const thag__node *node = thag__a.walls[i].node;
        if (!node || !node->out ||
            !(v[n].path = thag__onode_path(o, node->out->cut ? node->out->cut : node->out, &len)))
            continue;
        v[n++].wall = thag__a.walls[i].wall;
    }
    qsort(v, n, sizeof *v, thag__cmp_wline);
    return n;
}

THAG__FN int thag__write_wall(struct thag__obuf *o) {
    thag__writer *w;
    thag__wline *v;
    size_t i, n;
    char extra[128];
    int rc = 0;
    pthread_mutex_lock(&thag__alock);
    if (thag__a.nwall && (v = (thag__wline *)thag__oalloc(o, thag__a.nwall * sizeof *v + 16)) &&
        (w = (thag__writer *)thag__oalloc(o, sizeof *w))) {
        n = thag__wall_lines(o, v);
        if ((rc = thag__wopen(w, "wall")) == 0) {
            thag__stbsp_snprintf(extra, (int)sizeof extra, " tasks_begun=%llu tasks_ended=%llu stale_ends=%llu",
                                 (unsigned long long)thag__a.begun, (unsigned long long)thag__a.ended,
                                 (unsigned long long)thag__a.stale);
            thag__meta(w, "wall", extra, "ns");
            for (i = 0; i < n; i++) {
                uint64_t sum = v[i].wall;
                while (i + 1 < n && strcmp(v[i].path, v[i + 1].path) == 0) sum += v[++i].wall;
                thag__wput(w, v[i].path, strlen(v[i].path));
                thag__wprintf(w, " %llu\n", (unsigned long long)thag__to_ns(sum));
            }
            rc = thag__wclose(w);
        }
    }
    pthread_mutex_unlock(&thag__alock);
    return rc;
}

/* >>write: everything, under the global lock. */

/* The working directory at start: a relative output directory is relative
   to it even when the program changed directory before exit (it used to be
   written under the new one; tests/run_hostile.sh). */
static char thag__start_cwd[PATH_MAX];

THAG__FN void thag__dir_anchor(void) {
    char now[PATH_MAX];
    size_t n = strlen(thag__start_cwd), k = strlen(thag__g.dir);
    if (thag__g.dir[0] == '/' || !n || (getcwd(now, sizeof now) && !strcmp(now, thag__start_cwd))) return;
    if (n + 1 + k >= sizeof thag__g.dir) return;
    memmove(thag__g.dir + n + 1, thag__g.dir, k + 1);
    memcpy(thag__g.dir, thag__start_cwd, n);
    thag__g.dir[n] = '/';
}

THAG__FN int thag__mkdirs(const char *dir) {
    char p[PATH_MAX];
    size_t i, n = strlen(dir);
    if (n >= sizeof p) return ENAMETOOLONG;
    memcpy(p, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return errno;
        p[i] = dir[i];
    }
    return 0;
}

typedef struct thag__snap { thag__thread *t; const thag__event *upto; } thag__snap;

THAG__FN int thag__cmp_snap(const void *a, const void *b) {
    return ((const thag__snap *)a)->t->index - ((const thag__snap *)b)->t->index;
}

/* Snapshots the threads (timeline positions first, under tl_lock), merges
   their trees. Under the global lock a thread that has not exited is alive,
   so its name can be read. */
THAG__FN thag__snap *thag__collect(thag__obuf *o, thag__onode *root, int *count) {
    thag__snap *v = (thag__snap *)thag__oalloc(o, (size_t)thag__g.nthreads * sizeof *v + 16);
    thag__thread *t;
    int n = 0, i;
    if (!v) return NULL;
    for (t = thag__g.threads; t; t = t->next) {
        if (!t->named && !THAG__LOAD(t->exited)) thag__thread_name(t); /* named since it started */
        v[n].t = t;
        v[n++].upto = __atomic_load_n(&t->ev, __ATOMIC_ACQUIRE);
    }
    qsort(v, (size_t)n, sizeof *v, thag__cmp_snap);
    for (i = 0; i < n; i++)
        if (thag__merge_thread(o, root, v[i].t)) return NULL;
    *count = n;
    return v;
}

#if THAG__MEMORY
/* >>memory output: totals, and the call stacks of detail and sampled modes
   turned into frames (symbolised once, here, never on the hot path). */
/* The header layout's live bytes and blocks (*live_n) now. A counted
   block is live in exactly one place, its node (thag__node_live) or its
   stack's counters, from its allocation to its free: the whole run's frees
   are the allocations less the blocks still live, and the bytes freed the
   bytes less those live (the stacks' counters keep no frees). */
THAG__FN int64_t thag__live_sum(int64_t *live_n) {
    thag__thread *t;
    thag__node *n;
    uint32_t i, j, count = __atomic_load_n(&thag__stack_count, __ATOMIC_ACQUIRE);
    int64_t live = 0, k = 0;
    for (t = __atomic_load_n(&thag__g.threads, __ATOMIC_ACQUIRE); t; t = t->next) {
        thag__scount **top = __atomic_load_n(&t->m_sc, __ATOMIC_ACQUIRE), *c;
        for (n = &t->root; n; n = thag__next_node(n, &t->root)) {
            int64_t kn;
            live += thag__node_live(n, &kn);
            k += kn;
        }
        for (i = 0; top && i < count; i += THAG__SC_CHUNK) {
            if (!(c = __atomic_load_n(&top[i / THAG__SC_CHUNK], __ATOMIC_ACQUIRE))) continue;
            for (j = 0; j < THAG__SC_CHUNK; j++) {
                live += THAG__LOAD(c[j].live);
                k += THAG__LOAD(c[j].live_n);
            }
        }
    }
    *live_n = k;
    return live;
}

/* Live bytes now (sampled mode: the estimate). */
THAG__FN int64_t thag__mem_current(void) {
    int64_t k;
    if (thag__g.sample_bytes) return __atomic_load_n(&thag__ss_live, __ATOMIC_RELAXED);
    return thag__live_sum(&k);
}

/* Temporary allocations of the whole run: the nodes' and the stacks'. */
THAG__FN uint64_t thag__temp_total(void) {
    uint64_t sum = 0;
    uint32_t i, j, count = __atomic_load_n(&thag__stack_count, __ATOMIC_ACQUIRE);
    thag__thread *t;
    thag__node *n;
    for (t = thag__g.threads; t; t = t->next) {
        thag__scount **top = __atomic_load_n(&t->m_sc, __ATOMIC_ACQUIRE), *c;
        for (n = &t->root; n; n = thag__next_node(n, &t->root)) sum += THAG__LOAD(n->m_temp);
        for (i = 0; top && i < count; i += THAG__SC_CHUNK)
            if ((c = __atomic_load_n(&top[i / THAG__SC_CHUNK], __ATOMIC_ACQUIRE)) != NULL)
                for (j = 0; j < THAG__SC_CHUNK; j++) sum += THAG__LOAD(c[j].temp);
    }
    return thag__g.sample_bytes ? THAG__UNW(sum) : sum; /* sampled mode: an estimate, in THAG__W1ths */
}

THAG__FN void thag__mem_meta(char *buf, size_t size) {
    uint64_t allocs = 0, frees = 0, bytes = 0, freed = 0;
    int k;
    int64_t peak = __atomic_load_n(&thag__g_peak, __ATOMIC_RELAXED), cur;
    thag__thread *t;
    thag__node *n;
    for (t = thag__g.threads; t; t = t->next) {
        for (n = &t->root; n; n = thag__next_node(n, &t->root)) {
            allocs += THAG__LOAD(n->m_allocs);
            bytes += THAG__LOAD(n->m_bytes);
        }
        frees += THAG__LOAD(t->m_frees); /* sampled mode's */
        freed += THAG__LOAD(t->m_freed);
        if (THAG__LOAD(t->m_peak) > peak) peak = THAG__LOAD(t->m_peak);
    }
    if (!thag__g.sample_bytes) { /* the header layout: see thag__live_sum */
        int64_t live_n, live = thag__live_sum(&live_n);
        frees = allocs - (uint64_t)live_n;
        freed = bytes - (uint64_t)live;
    }
    cur = (int64_t)(bytes - freed);
    if (cur > peak) peak = cur;
    if (thag__snap_total > peak) peak = thag__snap_total; /* unpublished live bytes (THAG__SLACK) it counted */
    if (thag__g.sample_bytes) { /* estimates: counts are in THAG__W1ths, live bytes from the samples */
        allocs = THAG__UNW(allocs);
        frees = THAG__UNW(frees);
        cur = __atomic_load_n(&thag__ss_live, __ATOMIC_RELAXED);
        peak = __atomic_load_n(&thag__ss_peak, __ATOMIC_RELAXED);
        if (thag__snap_total > peak) peak = thag__snap_total;
    }
    k = thag__stbsp_snprintf(buf, (int)size, " mode=%s allocations=%llu deallocations=%llu bytes=%llu peak=%lld"
                             " current=%lld peak_snapshot=%lld",
                             thag__g.sample_bytes ? "sampled" : thag__g.mem_detail ? "detail" : "summary",
                             (unsigned long long)allocs, (unsigned long long)frees, (unsigned long long)bytes,
                             (long long)peak, (long long)cur, (long long)thag__snap_total);
    if (k > 0 && (size_t)k < size) /* sampled mode: an estimate (>>sampled) */
        thag__stbsp_snprintf(buf + k, (int)(size - (size_t)k), " temporary=%llu", (unsigned long long)thag__temp_total());
}

#ifndef THAG__HAVE_SYMBOLS
#include <dlfcn.h>
/* Fallback symboliser (dladdr: exported symbols only). */
THAG__FN int thag__sym_name(uintptr_t addr, char *buf, size_t n) {
    Dl_info d;
    if (dladdr((void *)addr, &d) && d.dli_sname)
        return thag__stbsp_snprintf(buf, (int)n, "%s", d.dli_sname);
    if (d.dli_fname) {
        const char *b = strrchr(d.dli_fname, '/');
        return thag__stbsp_snprintf(buf, (int)n, "%s+0x%llx", b ? b + 1 : d.dli_fname,
                                    (unsigned long long)(addr - (uintptr_t)d.dli_fbase));
    }
    return thag__stbsp_snprintf(buf, (int)n, "0x%llx", (unsigned long long)addr);
}
#endif

/* THAG_LINES=true: file:line of each frame, from the debug information,
   by one addr2line run per object file at output (binutils; needs -g). */
typedef struct thag__lines { uintptr_t *addr; const char **where; size_t n, cap; } thag__lines;

/* Adds a return address to the list to look up (sorted and made unique
   once, by thag__lines_sort). */
THAG__FN void thag__lines_add(thag__obuf *o, thag__lines *l, uintptr_t a) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        uintptr_t *na = (uintptr_t *)thag__oalloc(o, cap * sizeof *na);
        if (!na) return;
        if (l->n) memcpy(na, l->addr, l->n * sizeof *na);
        l->addr = na;
        l->cap = cap;
    }
    l->addr[l->n++] = a;
}

THAG__FN int thag__cmp_addr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the addresses, drops repeats, and gives each an empty answer. */
THAG__FN int thag__lines_sort(thag__obuf *o, thag__lines *l) {
    size_t i, k = 0;
    qsort(l->addr, l->n, sizeof *l->addr, thag__cmp_addr);
    for (i = 0; i < l->n; i++)
        if (!k || l->addr[i] != l->addr[k - 1]) l->addr[k++] = l->addr[i];
    l->n = k;
    if (!(l->where = (const char **)thag__oalloc(o, (k + 1) * sizeof *l->where))) return -1;
    memset(l->where, 0, (k + 1) * sizeof *l->where);
    return 0;
}

/* The file:line of a return address, or NULL (binary search). */
THAG__FN const char *thag__lines_find(const thag__lines *l, uintptr_t a) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->addr[mid] < a) lo = mid + 1;
        else hi = mid;
    }
    return lo < l->n && l->addr[lo] == a ? l->where[lo] : NULL;
}

/* Runs `addr2line -e file @list` with LD_PRELOAD removed (it must not be
   profiled itself); returns its output in the arena, or NULL. */
THAG__FN char *thag__run_addr2line(thag__obuf *o, const char *file, const char *list) {
    char at[PATH_MAX + 2], *argv[5], **envp, *out;
    int pfd[2], status = 0, k = 0, i;
    size_t len = 0, cap = (size_t)1 << 20;
    pid_t pid;
    for (i = 0; environ[i]; i++) {}
    if (!(envp = (char **)thag__oalloc(o, (size_t)(i + 1) * sizeof *envp)) || pipe(pfd) != 0) return NULL;
    for (i = 0; environ[i]; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0) envp[k++] = environ[i];
    envp[k] = NULL;
    thag__stbsp_snprintf(at, (int)sizeof at, "@%s", list);
    /* execve's argv is char *const[] but is not written: the strings keep
       their const (through uintptr_t: no -Wcast-qual). */
    argv[0] = (char *)(uintptr_t)"addr2line"; argv[1] = (char *)(uintptr_t)"-e";
    argv[2] = (char *)(uintptr_t)file; argv[3] = at; argv[4] = NULL;
    if ((pid = fork()) == 0) {
        int dn = open("/dev/null", O_WRONLY);
        dup2(pfd[1], 1);
        if (dn >= 0) dup2(dn, 2);
        close(pfd[0]);
        execve("/usr/bin/addr2line", argv, envp);
        execve("/bin/addr2line", argv, envp);
        _exit(127);
    }
    close(pfd[1]);
    out = (char *)thag__oalloc(o, cap);
    while (pid > 0 && out && len < cap - 1) {
        ssize_t r = read(pfd[0], out + len, cap - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(pfd[0]);
    if (pid > 0) waitpid(pid, &status, 0);
    if (pid <= 0 || !out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return NULL;
    out[len] = 0;
    return out;
}

/* Looks up the addresses [from, to) of one object file; fills l->where. */
THAG__FN void thag__lines_object(thag__obuf *o, thag__lines *l, const thag__symobj *so, size_t from, size_t to,
                                 const char *tmp) {
    char list[PATH_MAX], *out, *p;
    size_t i;
    int fd;
    thag__writer *w = (thag__writer *)thag__oalloc(o, sizeof *w);
    thag__stbsp_snprintf(list, (int)sizeof list, "%s/thag-lines-%d.txt", tmp, (int)getpid());
    if (!w || (fd = open(list, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) return;
    w->fd = fd;
    w->n = 0;
    w->err = 0;
    for (i = from; i < to; i++) thag__wprintf(w, "0x%llx\n", (unsigned long long)(l->addr[i] - 1 - so->bias));
    thag__wflush(w);
    close(fd);
    {   /* /proc/self/exe would be addr2line's own once it runs */
        char exe[PATH_MAX];
        ssize_t k = strcmp(so->path, "/proc/self/exe") ? -1 : readlink(so->path, exe, sizeof exe - 1);
        if (k > 0) exe[k] = 0;
        out = thag__run_addr2line(o, k > 0 ? exe : so->path, list);
    }
    unlink(list);
    for (i = from, p = out; p && *p && i < to; i++) {
        char *end, *disc;
        if (!(end = strchr(p, '\n'))) break;
        *end = 0;
        if ((disc = strstr(p, " (discriminator")) != NULL) *disc = 0;
        if (p[0] != '?' && !strstr(p, ":?") && strcmp(end - 2 > p ? end - 2 : p, ":0") != 0) l->where[i] = p;
        p = end + 1;
    }
}

/* Finds file:line for every return address in the stack table. */
THAG__FN void thag__lines_lookup(thag__obuf *o, thag__lines *l) {
    const char *tmp = getenv("TMPDIR");
    size_t i, from;
    for (i = 0; i < THAG__STACK_BUCKETS; i++) {
        thag__stack *s;
        int k;
        for (s = __atomic_load_n(&thag__stacks[i], __ATOMIC_ACQUIRE); s; s = s->next)
            for (k = 0; k < s->depth; k++) thag__lines_add(o, l, s->frames[k]);
    }
    if (thag__lines_sort(o, l)) return;
    /* sorted addresses come in runs of one object file each */
    for (from = 0; from < l->n; from = i) {
        const thag__symobj *so = thag__sym_object(l->addr[from] - 1);
        for (i = from + 1; i < l->n && thag__sym_object(l->addr[i] - 1) == so; i++) {}
        if (so && so->path[0] == '/') thag__lines_object(o, l, so, from, i, tmp && *tmp ? tmp : "/tmp");
    }
}

/* The name of the function a return address is in, cached per address. */
typedef struct thag__symcache { uintptr_t addr[4096]; const char *name[4096]; thag__lines *lines; } thag__symcache;

THAG__FN const char *thag__frame_name(thag__obuf *o, thag__symcache *c, uintptr_t ret) {
    size_t i = (size_t)((ret * 0x9E3779B97F4A7C15ull) >> 52);
    char buf[1024], *p;
    const char *where;
    int n;
    if (c->addr[i] == ret) return c->name[i];
    n = thag__sym_name(ret - 1, buf, 512);
    if (n < 0) n = 0;
    if (n > 511) n = 511;
    if (c->lines && (where = thag__lines_find(c->lines, ret)) != NULL)
        n += thag__stbsp_snprintf(buf + n, (int)sizeof buf - n, " (%s)", where);
    if (n > (int)sizeof buf - 1) n = (int)sizeof buf - 1;
    if (!(p = (char *)thag__oalloc(o, (size_t)n + 1))) return "?";
    memcpy(p, buf, (size_t)n);
    p[n] = 0;
    c->addr[i] = ret;
    c->name[i] = p;
    return p;
}

/* Frames outside the program's own code: cut from the root of a stack. */
THAG__FN int thag__is_runtime_frame(const char *name) {
    static const char *rt[] = {"_start", "__libc_start_main", "__libc_start_call_main",
                               "start_thread", "clone", "clone3", NULL};
    int i;
    for (i = 0; rt[i]; i++)
        if (strcmp(name, rt[i]) == 0 || (strncmp(name, "libc.so", 7) == 0)) return 1;
    return 0;
}

/* Sampled mode: the live blocks per stack record, from the set of live
   sampled blocks (what the library keeps to see their frees), each counted
   by its weight as its allocation was: w[id] in THAG__W1ths for the stack
   ids below n (a stack recorded after this has none yet). */
typedef struct thag__liven { uint64_t *w; uint32_t n; } thag__liven;

THAG__FN int thag__live_blocks(thag__obuf *o, thag__liven *l) {
    const thag__sset *m;
    size_t i;
    l->n = __atomic_load_n(&thag__stack_count, __ATOMIC_ACQUIRE);
    if (!(l->w = (uint64_t *)thag__oalloc(o, ((size_t)l->n + 1) * sizeof *l->w))) return -1;
    memset(l->w, 0, ((size_t)l->n + 1) * sizeof *l->w);
    pthread_mutex_lock(&thag__ss_lock);
    m = thag__ss;
    for (i = 0; i <= m->mask; i++)
        if (m->key[i] > THAG__SS_GONE && m->val[i].stack && m->val[i].stack->id < l->n)
            l->w[m->val[i].stack->id] += thag__weight_of(m->val[i].n);
    pthread_mutex_unlock(&thag__ss_lock);
    return 0;
}

/* Adds one stack record to the output tree: root, thread label, then the
   frames from the outermost (main, or the thread's start) inwards. live:
   sampled mode's live blocks per stack id (thag__live_blocks), or NULL. */
THAG__FN int thag__add_stack(thag__obuf *o, thag__onode *root, thag__symcache *c, thag__stack *s,
                             const thag__liven *live) {
    const char *names[THAG__MAX_FRAMES];
    thag__onode *n = root;
    thag__scount sum;
    int i, top = s->depth - 1;
    for (i = 0; i < s->depth; i++) names[i] = thag__frame_name(o, c, s->frames[i]);
    for (i = 0; i < s->depth; i++)
        if (strcmp(names[i], "main") == 0) top = i;
    while (top > 0 && thag__is_runtime_frame(names[top])) top--;
    if (s->thread && !s->thread->is_main && !thag__g.merge_threads && !(n = thag__ochild(o, n, s->thread->label)))
        return -1;
    for (i = top; i >= 0; i--)
        if (!(n = thag__ochild(o, n, names[i]))) return -1;
    sum = thag__sc_total(s);
    n->m_bytes += sum.bytes;
    n->m_allocs += thag__g.sample_bytes ? THAG__UNW(sum.allocs) : sum.allocs;
    n->m_live += sum.live;
    n->m_freed += sum.freed;
    n->m_peak += sum.peak;
    n->m_temp += thag__g.sample_bytes ? THAG__UNW(sum.temp) : sum.temp;
    if (live && s->id < live->n) n->m_live_n += THAG__UNW(live->w[s->id]);
    else if (!live && sum.live_n > 0) n->m_live_n += (uint64_t)sum.live_n;
    return 0;
}

/* >>massif: memory over time as valgrind massif's format (ms_print,
   massif-visualizer): the series of >>peak, the peak's snapshot carrying
   its heap tree, inverted as massif's (the allocating frame first, its
   callers below it). */
THAG__FN thag__onode *thag__onext(thag__onode *n, const thag__onode *root) {
    if (n->child) return n->child;
    while (n != root && !n->sibling) n = n->parent;
    return n == root ? NULL : n->sibling;
}

THAG__FN int thag__cmp_peak(const void *a, const void *b) {
    int64_t x = (*(thag__onode *const *)a)->m_peak, y = (*(thag__onode *const *)b)->m_peak;
    return x < y ? 1 : x > y ? -1 : strcmp((*(thag__onode *const *)a)->name, (*(thag__onode *const *)b)->name);
}

/* Sorts a node's children by peak bytes, largest first (as massif). */
THAG__FN int thag__sort_peak(thag__obuf *o, thag__onode *p) {
    thag__onode *c, **v;
    int n = 0, i;
    for (c = p->child; c; c = c->sibling) n++;
    if (n < 2 || !(v = (thag__onode **)thag__oalloc(o, (size_t)n * sizeof *v))) return n;
    for (i = 0, c = p->child; c; c = c->sibling) v[i++] = c;
    qsort(v, (size_t)n, sizeof *v, thag__cmp_peak);
    for (i = 0; i + 1 < n; i++) v[i]->sibling = v[i + 1];
    v[n - 1]->sibling = NULL;
    p->child = v[0];
    return n;
}

/* The peak tree inverted: each frame's bytes go to its reversed path
   (the frame, its caller, ...); NULL when out of memory. */
THAG__FN thag__onode *thag__massif_tree(thag__obuf *o, thag__onode *root) {
    thag__onode *inv = (thag__onode *)thag__oalloc(o, sizeof *inv), *n, *m, *c;
    if (!inv) return NULL;
    memset(inv, 0, sizeof *inv);
    inv->name = "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.";
    for (n = root->child; n; n = thag__onext(n, root)) {
        if (n->m_peak <= 0) continue;
        inv->m_peak += n->m_peak;
        for (c = inv, m = n; m != root; m = m->parent) {
            if (!(c = thag__ochild(o, c, m->name))) return NULL;
            c->m_peak += n->m_peak;
        }
    }
    return inv;
}

/* Writes a heap tree in pre-order, one space of indent per level. */
THAG__FN void thag__massif_nodes(thag__writer *w, thag__obuf *o, thag__onode *inv) {
    thag__onode *n = inv;
    char name[256];
    int depth = 0;
    while (n) {
        int k = thag__sort_peak(o, n);
        size_t len = strlen(n->name);
        if (len >= sizeof name) len = sizeof name - 1;
        thag__frame_copy(name, n->name, len);
        name[len] = 0;
        thag__wprintf(w, "%*sn%d: %lld %s\n", depth, "", k, (long long)n->m_peak, name);
        if (n->child) { n = n->child; depth++; continue; }
        while (n != inv && !n->sibling) { n = n->parent; depth--; }
        n = n == inv ? NULL : n->sibling;
    }
}

THAG__FN void thag__massif_snap(thag__writer *w, int i, const thag__mpoint *p, int64_t heap, const char *tree) {
    uint64_t ns = p->ticks > thag__clock.tick0 ? thag__to_ns(p->ticks - thag__clock.tick0) : 0;
    thag__wprintf(w, "#-----------\nsnapshot=%d\n#-----------\n# t_ns=%llu allocations=%llu\ntime=%llu\n"
                  "mem_heap_B=%lld\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n", i, (unsigned long long)ns,
                  (unsigned long long)p->allocs, (unsigned long long)(ns / 1000000u), (long long)heap, tree);
}

/* The points in time order: the start, the series, the peak's (flagged by
   *peak_at; a series point at the same time is dropped) and now. */
THAG__FN int thag__massif_points(thag__mpoint *v, int *peak_at) {
    int n = 0, i, j;
    thag__mpoint pk;
    memset(&v[n++], 0, sizeof *v);
    v[0].ticks = thag__clock.tick0;
    pthread_mutex_lock(&thag__mp.lock);
    for (i = 0; i < thag__mp.n; i++)
        if (!thag__mp.have_peak || thag__mp.v[i].ticks != thag__mp.peak.ticks) v[n++] = thag__mp.v[i];
    pk = thag__mp.peak;
    *peak_at = thag__mp.have_peak ? 0 : -1;
    pthread_mutex_unlock(&thag__mp.lock);
    for (i = 1; i < n; i++) /* insertion sort: the hooks append in nearly increasing order */
        for (j = i; j > 1 && v[j - 1].ticks > v[j].ticks; j--) { thag__mpoint x = v[j]; v[j] = v[j - 1]; v[j - 1] = x; }
    if (*peak_at == 0) {
        for (j = n; j > 1 && v[j - 1].ticks > pk.ticks; j--) v[j] = v[j - 1];
        v[j] = pk;
        *peak_at = j;
        n++;
    }
    return n;
}

/* Writes <p>-<ts>-massif.out from the output tree's peak values. */
THAG__FN int thag__write_massif(thag__obuf *o, thag__onode *root, const char *meta) {
    thag__writer *w = (thag__writer *)thag__oalloc(o, sizeof *w);
    thag__mpoint *v = (thag__mpoint *)thag__oalloc(o, (THAG__MPOINTS + 3) * sizeof *v);
    thag__onode *inv = thag__massif_tree(o, root);
    int n, i, peak_at;
    if (!w || !v || !inv) return -1;
    n = thag__massif_points(v, &peak_at);
    v[n].ticks = thag__ticks();
    v[n].live = thag__mem_current();
    v[n++].allocs = thag__mem_allocs_now();
    if (thag__wopen_ext(w, "massif", ".out")) return -1;
    thag__meta(w, "massif", meta, "bytes");
    thag__wprintf(w, "desc: thag_profiler " THAG_PROFILER_VERSION_STRING ": kind=massif%s unit=bytes\n", meta);
    thag__wprintf(w, "cmd: %s\ntime_unit: ms\n", thag__g.program);
    for (i = 0; i < n; i++) {
        if (i != peak_at) thag__massif_snap(w, i, &v[i], v[i].live, "empty");
        else {
            thag__massif_snap(w, i, &v[i], inv->m_peak, "peak");
            thag__massif_nodes(w, o, inv);
        }
    }
    return thag__wclose(w);
}

/* Writes the detail (or sampled) files: bytes, allocation counts, live
   bytes and live blocks per allocating stack, and bytes per deallocating
   stack (sampled mode: live blocks estimated from its set of live samples;
   no deallocating stacks). */
THAG__FN int thag__write_stacks(thag__obuf *o, const char *meta) {
    static const char *kinds[7] = {"memory_detail", "memory_detail_calls", "memory_detail_live", "memory_peak",
                                   "memory_detail_dealloc", "memory_temp", "memory_detail_live_calls"};
    static const char *units[7] = {"bytes", "allocations", "bytes", "bytes", "bytes", "allocations", "allocations"};
    static const int cols[7] = {THAG__COL_MBYTES, THAG__COL_MALLOCS, THAG__COL_MLIVE, THAG__COL_MPEAK,
                                THAG__COL_MFREED, THAG__COL_MTEMP, THAG__COL_MLIVEN};
    /* sampled mode: no deallocating stacks; live blocks last (left out if
       the set of samples could not be read) */
    static const int detail[7] = {0, 1, 2, 3, 4, 5, 6}, sampled[6] = {0, 1, 2, 3, 5, 6};
    const int *pick = thag__g.sample_bytes ? sampled : detail;
    thag__symcache *c = (thag__symcache *)thag__oalloc(o, sizeof *c);
    thag__onode *root = (thag__onode *)thag__oalloc(o, sizeof *root);
    thag__writer *ws = (thag__writer *)thag__oalloc(o, 7 * sizeof *ws);
    thag__liven lb, *live = thag__g.sample_bytes && !thag__live_blocks(o, &lb) ? &lb : NULL;
    int i, rc = 0, nw = !thag__g.sample_bytes ? 7 : live ? 6 : 5;
    if (!c || !root || !ws) return -1;
    if (thag__g.lines && (c->lines = (thag__lines *)thag__oalloc(o, sizeof *c->lines)) != NULL)
        thag__lines_lookup(o, c->lines);
    pthread_mutex_lock(&thag__snap_lock); /* a consistent peak snapshot */
    for (i = 0; i < THAG__STACK_BUCKETS && !rc; i++) {
        thag__stack *s;
        for (s = __atomic_load_n(&thag__stacks[i], __ATOMIC_ACQUIRE); s && !rc; s = s->next)
            rc = thag__add_stack(o, root, c, s, live);
    }
    pthread_mutex_unlock(&thag__snap_lock);
    if (rc) return -1;
    for (i = 0; i < nw; i++) {
        if (thag__wopen(&ws[i], kinds[pick[i]])) { while (i--) thag__wabort(&ws[i]); return -1; }
        ws[i].col = cols[pick[i]];
        thag__meta(&ws[i], kinds[pick[i]], meta, units[pick[i]]);
    }
    if (!rc) rc = thag__write_tree(o, root, ws, nw);
    for (i = 0; i < nw; i++) rc |= thag__wclose(&ws[i]);
    return rc | thag__write_massif(o, root, meta);
}
#endif /* THAG__MEMORY */

typedef struct thag__fileinfo { const char *kind, *meta, *unit; int col, type; } thag__fileinfo;

static const thag__fileinfo thag__files[] = {
    {"", "time", "ns", THAG__COL_EXCL, THAG_TYPE_TIME},
    {"inclusive", "time_inclusive", "ns", THAG__COL_INCL, THAG_TYPE_TIME},
    {"calls", "calls", "calls", THAG__COL_CALLS, THAG_TYPE_TIME},
    {"memory", "memory", "bytes", THAG__COL_MBYTES, THAG_TYPE_MEMORY},
    {"memory_calls", "memory_calls", "allocations", THAG__COL_MALLOCS, THAG_TYPE_MEMORY},
    {"memory_live", "memory_live", "bytes", THAG__COL_MLIVE, THAG_TYPE_MEMORY},
    {"memory_live_calls", "memory_live_calls", "allocations", THAG__COL_MLIVEN, THAG_TYPE_MEMORY},
    {"memory_peak", "memory_peak", "bytes", THAG__COL_MPEAK, THAG_TYPE_MEMORY},
    {"memory_temp", "memory_temp", "allocations", THAG__COL_MTEMP, THAG_TYPE_MEMORY},
};

/* Opens the aggregated files of the profile types asked for. */
THAG__FN int thag__open_files(thag__writer *w, const char *mem_meta) {
    int i, nw = 0;
    for (i = 0; i < (int)(sizeof thag__files / sizeof *thag__files); i++) {
        const thag__fileinfo *f = &thag__files[i];
        if (!((int)thag__g.type & f->type) || (f->type == THAG_TYPE_MEMORY && !THAG__MEMORY)) continue;
        if (f->col >= THAG__COL_MLIVE && thag__g.mem_stacks) continue; /* stacks own the blocks: see >>memory output */
        if (thag__wopen(&w[nw], f->kind)) {
            while (nw--) thag__wabort(&w[nw]); /* (closing them left their .tmp files) */
            return -1;
        }
        w[nw].col = f->col;
        thag__meta(&w[nw++], f->meta, f->type == THAG_TYPE_MEMORY ? mem_meta : "", f->unit);
    }
    return nw;
}

THAG__FN int thag__write_timeline_file(thag__obuf *o, thag__onode *root, thag__snap *v, int n, uint64_t now) {
    thag__writer *w = (thag__writer *)thag__oalloc(o, sizeof(thag__writer));
    char extra[128];
    int i;
    if (!w || thag__wopen_ext(w, "timeline", ".txt")) return -1;
    thag__stbsp_snprintf(extra, (int)sizeof extra, " format=timeline-2 bound=%llu dropped=%llu",
                         (unsigned long long)thag__g.tl_bound,
                         (unsigned long long)thag__g.tl_reused);
    thag__meta_line(w, "timeline", extra, "ns");
    thag__meta(w, "timeline", extra, "ns");
    thag__tl_stacks(w, o, root);
    for (i = 0; i < n; i++) thag__write_timeline(w, v[i].t, v[i].upto, now, v[i].t == thag__self);
    return thag__wclose(w);
}

THAG__FN int thag__write_files(thag__obuf *o, thag__onode *root) {
    enum { nfiles = sizeof thag__files / sizeof *thag__files };
    thag__writer *w = (thag__writer *)thag__oalloc(o, nfiles * sizeof(thag__writer));
    char mem_meta[256] = "";
    int i, nw, rc;
    if (!w) return -1;
#if THAG__MEMORY
    thag__mem_meta(mem_meta, sizeof mem_meta);
#endif
    if ((nw = thag__open_files(w, mem_meta)) < 0) return -1;
    rc = thag__write_tree(o, root, w, nw);
    for (i = 0; i < nw; i++) rc |= thag__wclose(&w[i]);
#if THAG__MEMORY
    if (!rc && (thag__g.type & THAG_TYPE_MEMORY) && thag__g.mem_stacks) rc = thag__write_stacks(o, mem_meta);
    else if (!rc && (thag__g.type & THAG_TYPE_MEMORY)) rc = thag__write_massif(o, root, mem_meta);
#endif
    if (!rc) rc = thag__write_wall(o); /* >>taskwall: tasks and async sections, if any */
    return rc;
}

/* A thread of the manifest: its index (as in the timeline's T lines), its
   start (first profiled scope) and end (exit) in ns since the profiler
   started, and its name, the root frame of its stacks, last on the line
   (it may hold spaces). */
THAG__FN void thag__manifest_thread(thag__writer *w, const thag__thread *t) {
    char name[64];
    const char *label = t->is_main ? "main" : t->label;
    size_t k = strlen(label);
    uint64_t t0 = thag__clock.tick0, end;
    if (k >= sizeof name) k = sizeof name - 1;
    thag__frame_copy(name, label, k);
    name[k] = 0;
    thag__wprintf(w, "thread=%d start=%llu", t->index,
                  (unsigned long long)(t->start_ticks > t0 ? thag__to_ns(t->start_ticks - t0) : 0));
    end = THAG__LOAD(t->end_ticks);
    if (THAG__LOAD(t->exited) && end > t0)
        thag__wprintf(w, " end=%llu", (unsigned long long)thag__to_ns(end - t0));
    thag__wprintf(w, " name=%s\n", name);
}

/* The run's manifest, <p>-<ts>-manifest.txt: written last, after the files
   it lists (renamed into place like them, so a reader never sees half of
   it). One key=value record a line: the run, each file written (the
   entries gathered by thag__meta and thag__wclose), each thread, and
   end=<number of files> as the last line. docs/output.md has the format. */
THAG__FN int thag__write_manifest(thag__obuf *o, const thag__snap *v, int n, uint64_t now) {
    thag__writer *w = (thag__writer *)thag__oalloc(o, sizeof(thag__writer));
    struct timespec rt;
    uint64_t mono = thag__mono_ns(), real;
    int i;
    if (!w || thag__wopen_ext(w, "manifest", ".txt")) return -1;
    clock_gettime(CLOCK_REALTIME, &rt);
    real = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
    thag__wprintf(w, "thag_profiler=" THAG_PROFILER_VERSION_STRING "\nmanifest=1\nprogram=%s\npid=%d\nstarted=%s\n"
                  "start_unix_ns=%llu\nelapsed=%llu\nclock=%s\nthreads=%s\ntype=%s\n", thag__g.program,
                  (int)getpid(), thag__stamp(), (unsigned long long)(real - (mono - thag__clock.ns0)),
                  (unsigned long long)(now > thag__clock.tick0 ? thag__to_ns(now - thag__clock.tick0) : 0),
                  thag__clock_name(), thag__g.merge_threads ? "merged" : "separate",
                  thag__g.type == THAG_TYPE_BOTH ? "both" : thag__g.type == THAG_TYPE_MEMORY ? "memory" : "time");
    if (thag__wres.man) thag__wput(w, thag__wres.man, thag__wres.man_n);
    for (i = 0; i < n; i++) thag__manifest_thread(w, v[i].t);
    thag__wprintf(w, "end=%d\n", thag__wres.man_files);
    return thag__wclose(w);
}

/* The snapshot and the timeline, under tl_lock: threads that fill a chunk
   meanwhile wait. Then the aggregated files, from the merged tree, and the
   manifest that lists them. */
THAG__FN int thag__write_snapshot(thag__obuf *o, thag__onode *root, uint64_t now) {
    thag__snap *v;
    int n = 0, rc = 0, timeline = thag__g.tl_max_chunks && (thag__g.type & THAG_TYPE_TIME);
    uint64_t cut = 0;
#if THAG__MEMORY
    if (thag__g.type & THAG_TYPE_MEMORY) thag__peak_snap(thag__mem_current(), 1); /* live bytes now may be the peak */
    pthread_mutex_lock(&thag__snap_lock); /* the merge copies a consistent peak snapshot */
#endif
    pthread_mutex_lock(&thag__g.tl_lock);
    v = thag__collect(o, root, &n);
#if THAG__MEMORY
    pthread_mutex_unlock(&thag__snap_lock);
#endif
    if (!v) rc = -2;
    else if ((cut = thag__cut_deep(root)) != 0)
        thag__error("%llu stacks are deeper than %d frames: each is charged to its frame at depth %d (stacks end there)",
                    (unsigned long long)cut, THAG__OUT_DEPTH, THAG__OUT_DEPTH);
    if (v && timeline) rc = thag__write_timeline_file(o, root, v, n, now);
    pthread_mutex_unlock(&thag__g.tl_lock);
    if (rc == -2) return rc;
    rc |= thag__write_files(o, root);
    if (v && thag__wres.man_files) rc |= thag__write_manifest(o, v, n, now); /* none: nothing to list */
    return rc;
}

THAG__FN thag_result thag__write_all(void) {
    thag__obuf o;
    thag__onode *root;
    int err;
    uint64_t now = thag__ticks();
    thag_result r = THAG_OK;
    memset(&o, 0, sizeof o);
    memset(&thag__wres, 0, sizeof thag__wres);
    thag__dir_anchor();
    if ((err = thag__mkdirs(thag__g.dir)) != 0) {
        thag__error("cannot create the output directory %s: %s; the profile is not written",
                    thag__g.dir, strerror(err));
        return THAG_ERR_IO;
    }
    thag__clock_calibrate();
    thag__pend_open(thag__self, now);
    thag__auto_names(); /* >>auto: name the sites of hooked functions */
    if (!(root = (thag__onode *)thag__oalloc(&o, sizeof *root)) || (err = thag__write_snapshot(&o, root, now)) == -2) {
        thag__error("out of memory while writing the profile");
        r = THAG_ERR_NOMEM;
    } else if (err) {
        r = THAG_ERR_IO;
    }
    if (thag__wres.failed && thag__wres.ok) /* one line for the whole profile */
        thag__error("cannot write %s: %s; this profile is incomplete (%d of its files written)",
                    thag__wres.path, strerror(thag__wres.err), thag__wres.ok);
    else if (thag__wres.failed)
        thag__error("cannot write %s: %s; this profile is not written", thag__wres.path,
                    strerror(thag__wres.err));
    thag__fd_restore();
    thag__ofree(&o);
    if (thag__wres.man) munmap(thag__wres.man, thag__wres.man_cap);
    thag__wres.man = NULL;
    return r;
}

/* >>watch: the allocation guard and the growth report (memory builds). */
#if THAG__MEMORY
/* THAG_ALLOC_LIMIT: refuses one allocation, and says where it came from. */
THAG__FN void thag__refuse(size_t n, thag__at fp) {
    uintptr_t f[THAG__MAX_FRAMES];
    char line[1024], name[256];
    int depth, i, len;
    uint64_t h;
    thag__thread *t = thag__self;
    thag__mem_busy++;
    depth = t ? thag__capture(t, fp, f, &h) : 0;
    len = thag__stbsp_snprintf(line, (int)sizeof line, "refused an allocation of %llu bytes "
                               "(THAG_ALLOC_LIMIT=%llu), from ", (unsigned long long)n,
                               (unsigned long long)thag__g.alloc_limit);
    for (i = 0; i < depth && i < 12 && len < (int)sizeof line - 300; i++) {
        thag__sym_name(f[i] - 1, name, sizeof name);
        len += thag__stbsp_snprintf(line + len, (int)sizeof line - len, "%s%s", i ? " < " : "", name);
        if (strcmp(name, "main") == 0) break;
    }
    thag__error("%s", line);
    thag__mem_busy--;
}

/* THAG_GROWTH_REPORT=<percent>: a background thread writes a snapshot of
   the profile (and says so) each time live memory has grown by that much
   since the last one (from 1 MiB on). */
THAG__FN void *thag__watch(void *arg) {
    int64_t last = 1 << 20;
    (void)arg;
    thag__mem_busy++; /* this thread's own allocations are the profiler's */
    while (!__atomic_load_n(&thag__g.final_written, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        int64_t live = thag__g.sample_bytes ? __atomic_load_n(&thag__ss_live, __ATOMIC_RELAXED)
                                            : __atomic_load_n(&thag__g_live, __ATOMIC_RELAXED);
        if (live > last + last * (int64_t)thag__g.growth_pct / 100) {
            thag__error("live memory grew to %lld bytes (+%lld%%): snapshot written", (long long)live,
                        (long long)((live - last) * 100 / last));
            last = live;
            pthread_mutex_lock(&thag__g.lock);
            if (!__atomic_load_n(&thag__g.final_written, __ATOMIC_ACQUIRE)) thag__write_all();
            pthread_mutex_unlock(&thag__g.lock);
        }
        nanosleep(&ts, NULL);
    }
    return NULL;
}

THAG__FN void thag__start_watch(void) {
    pthread_t th;
    if (!thag__g.growth_pct || !(thag__g.type & THAG_TYPE_MEMORY)) return;
    if (pthread_create(&th, NULL, thag__watch, NULL) == 0) pthread_detach(th);
    else thag__error("THAG_GROWTH_REPORT: cannot start the watch thread");
}
#else
THAG__FN void thag__start_watch(void) {}
#endif

/* >>signals: THAG_SIGNALS. A signal that would kill the process (its
   action is the default one) writes the profile first. The handler only
   posts a semaphore and sleeps (both async-signal-safe); a thread waiting
   on the semaphore writes the profile; then the handler (or that thread,
   whichever is first) restores the default action and raises the signal
   again, so the process dies by it, with the status it would have had
   without the profiler, and the interrupted thread never runs on (a
   program that raise()s a signal stops there, as without the profiler).
   The handler waits at most THAG__SIG_WAIT_MS: the interrupted thread may
   hold a lock the output needs. The same signal again kills at once. A
   handler the program installs replaces ours; one installed before stays. */
#include <semaphore.h>
#include <signal.h>

static const struct thag__signame { const char *name; int sig; } thag__signames[] = {
    {"hup", SIGHUP}, {"int", SIGINT}, {"quit", SIGQUIT}, {"term", SIGTERM}, {"usr1", SIGUSR1},
    {"usr2", SIGUSR2}, {"alrm", SIGALRM}, {"pipe", SIGPIPE}, {"xcpu", SIGXCPU}, {"xfsz", SIGXFSZ},
    {"vtalrm", SIGVTALRM}, {"prof", SIGPROF}}; /* lower case: thag__ieq */
enum { THAG__NSIGNAMES = sizeof thag__signames / sizeof *thag__signames };

static sem_t thag__sig_sem;
static sem_t thag__sig_started; /* posted once by the thread (thag__signals_install) */
static volatile sig_atomic_t thag__sig_got; /* the first signal caught */
static volatile sig_atomic_t thag__sig_done; /* its profile is written */
#define THAG__SIG_WAIT_MS 5000
static uint32_t thag__sig_ours;             /* bit i: thag__signames[i] has our handler */
THAG__FN void thag__final(void);            /* >>api */

THAG__FN void thag__sig_handler(int sig) {
    int e = errno, ms;
    if (!thag__sig_got) {
        struct timespec tick = {0, 1000000};
        thag__sig_got = sig;
        sem_post(&thag__sig_sem);
        for (ms = 0; ms < THAG__SIG_WAIT_MS && !thag__sig_done; ms++) nanosleep(&tick, NULL);
    }
    signal(sig, SIG_DFL); /* the same signal again, or the profile written (or given up) */
    raise(sig);
    errno = e;
}

THAG__FN void *thag__sig_thread(void *arg) {
    sigset_t set;
    int sig;
    (void)arg;
    sem_post(&thag__sig_started);
    while (sem_wait(&thag__sig_sem) != 0) {}
    sig = thag__sig_got;
    thag__final();
    thag__sig_done = 1;
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached: the default action of these signals ends the process */
}

/* THAG_SIGNALS=<true|false|NAME,NAME...> (names with or without SIG, any
   case) as a bit set over thag__signames; true: INT and TERM, the default
   unless the implementation file defines THAG__SIGNALS_OFF (thag-run's
   preload library: its option --signals decides). */
THAG__FN uint32_t thag__env_signals(void) {
    const char *v = getenv("THAG_SIGNALS"), *p;
    uint32_t set = 0, deflt = (1u << 1) | (1u << 3);
    size_t n, k;
    int i;
#ifdef THAG__SIGNALS_OFF
    if (!v) return 0;
#else
    if (!v) return deflt;
#endif
    n = thag__trim(&v, strlen(v));
    if (thag__ieq(v, n, "true") || thag__ieq(v, n, "yes") || thag__ieq(v, n, "1")) return deflt;
    if (thag__ieq(v, n, "false") || thag__ieq(v, n, "no") || thag__ieq(v, n, "0") || !n) return 0;
    for (p = v; p < v + n; p += k + 1) {
        const char *w = p;
        size_t m;
        k = strcspn(p, ",");
        if (k > n - (size_t)(p - v)) k = n - (size_t)(p - v);
        m = thag__trim(&w, k);
        if (m > 3 && thag__ieq(w, 3, "sig")) { w += 3; m -= 3; }
        for (i = 0; i < THAG__NSIGNAMES && !thag__ieq(w, m, thag__signames[i].name); i++) {}
        if (i == THAG__NSIGNAMES) {
            thag__error("THAG_SIGNALS=\"%s\" is malformed (accepted: true, false, or a list of HUP, INT, QUIT, "
                        "TERM, USR1, USR2, ALRM, PIPE, XCPU, XFSZ, VTALRM, PROF); no signal writes the profile", v);
            return 0;
        }
        set |= 1u << i;
    }
    return set;
}

/* A forked child has no writing thread: the default actions again. */
THAG__FN void thag__signals_reset(void) {
    struct sigaction old;
    int i;
    for (i = 0; i < THAG__NSIGNAMES; i++)
        if ((thag__sig_ours >> i & 1u) && sigaction(thag__signames[i].sig, NULL, &old) == 0 &&
            old.sa_handler == thag__sig_handler)
            signal(thag__signames[i].sig, SIG_DFL);
    thag__sig_ours = 0;
}

/* Our handler on the signals asked for whose action is the default one,
   and the thread that writes the profile when one comes. We return once
   that thread runs its own code (or after 2 s: never a hang): a program
   that forks at once must not fork while the new thread is inside the C
   library's or a sanitizer's thread start (ASan's allocator lock, taken
   there, stayed locked in the child, whose exit then hung in its leak
   check: tests/e2e/fork.c). */
THAG__FN void thag__signals_install(uint32_t want) {
    struct sigaction sa, old;
    pthread_t th;
    pthread_attr_t at;
    sigset_t all, prev;
    struct timespec until;
    int i, rc;
    if (!want || thag__sig_ours || sem_init(&thag__sig_sem, 0, 0) != 0 || sem_init(&thag__sig_started, 0, 0) != 0)
        return; /* once */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = thag__sig_handler;
    sa.sa_flags = SA_RESTART | SA_NODEFER; /* the same signal again interrupts the wait */
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < THAG__NSIGNAMES; i++) {
        if (!(want >> i & 1u)) continue;
        if (sigaction(thag__signames[i].sig, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
            old.sa_handler == SIG_DFL && sigaction(thag__signames[i].sig, &sa, NULL) == 0)
            thag__sig_ours |= 1u << i;
        else
            thag__debug("THAG_SIGNALS: signal %d has a handler of the program's: left alone", thag__signames[i].sig);
    }
    if (!thag__sig_ours) return;
    sigfillset(&all); /* the thread takes no signal of the program's */
    pthread_sigmask(SIG_BLOCK, &all, &prev);
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024);
    thag__mem_busy++; /* the thread's own memory (its TLS) is the profiler's */
    rc = pthread_create(&th, &at, thag__sig_thread, NULL);
    thag__mem_busy--;
    if (rc != 0) {
        thag__error("THAG_SIGNALS: cannot start the thread that writes the profile on a signal");
        thag__signals_reset();
    } else if (clock_gettime(CLOCK_REALTIME, &until) == 0) {
        until.tv_sec += 2;
        while (sem_timedwait(&thag__sig_started, &until) != 0 && errno == EINTR) {}
    }
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
}

/* >>api: configuration, enabling, flushing, exit. */
THAG__FN void thag__set_identity(void) {
    const char *p = program_invocation_short_name;
    size_t i;
    thag__stbsp_snprintf(thag__g.program, (int)sizeof thag__g.program, "%s", p && *p ? p : "program");
    for (i = 0; thag__g.program[i]; i++) {
        unsigned char c = (unsigned char)thag__g.program[i];
        if (c <= ' ' || c == '/' || c == ';' || c == 127) thag__g.program[i] = '_';
    }
    thag__g.started = time(NULL);
}

/* The start time as yyyymmdd-HHMMSS, local time, formatted at its first
   use: loading the time zone allocates, and doing it at startup would
   change what the program itself allocates later (it finds it loaded). */
THAG__FN const char *thag__stamp(void) {
    struct tm tm;
    if (!thag__g.stamp[0]) {
        localtime_r(&thag__g.started, &tm);
        thag__stbsp_snprintf(thag__g.stamp, (int)sizeof thag__g.stamp, "%04d%02d%02d-%02d%02d%02d",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (thag__stamp_taken()) { /* another run started in the same second */
            size_t k = strlen(thag__g.stamp);
            thag__stbsp_snprintf(thag__g.stamp + k, (int)(sizeof thag__g.stamp - k), "-%d", (int)getpid());
        }
    }
    return thag__g.stamp;
}

/* Whether files of this program and stamp exist already (another process
   of the same name, started in the same second, wrote them). */
THAG__FN int thag__stamp_taken(void) {
    static const char *kinds[] = {"", "-memory", "-calls", "-memory_detail", NULL};
    char path[PATH_MAX + 64];
    struct stat st;
    int i;
    for (i = 0; kinds[i]; i++) {
        thag__stbsp_snprintf(path, (int)sizeof path, "%s/%s-%s%s.folded", thag__g.dir, thag__g.program,
                             thag__g.stamp, kinds[i]);
        if (stat(path, &st) == 0) return 1;
    }
    return 0;
}

THAG__FN void thag__open_log(int level) {
    char path[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    if (level == THAG__DBG_NONE) return;
    thag__stbsp_snprintf(path, (int)sizeof path, "%s/thag_profiler-%s-%s.log", tmp && *tmp ? tmp : "/tmp",
                         thag__g.program, thag__stamp());
    thag__g.log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    thag__g.log_open = thag__g.log_fd >= 0;
    if (!thag__g.log_open) {
        thag__error("cannot open the debug log %s: %s", path, strerror(errno));
        return;
    }
    if (level == THAG__DBG_ANNOUNCE) {
        char msg[PATH_MAX + 64];
        int n = thag__stbsp_snprintf(msg, (int)sizeof msg, "thag_profiler: debug log: %s\n", path);
        thag__fd_write(2, msg, (size_t)n);
    }
}

#define THAG__ENV_FORM "THAG_PROFILER=<time|memory|both|none>[,<dir>[,<none|quiet|announce>[,<true|false>]]] (case-insensitive; fields may be empty, e.g. memory,,,true)"

/* Reads THAG_PROFILER into c; 1 if set, 0 if unset, -1 if malformed. */
THAG__FN int thag__read_env(thag__config *c) {
    const char *v = getenv("THAG_PROFILER"), *why = "";
    memset(c, 0, sizeof *c);
    if (!v) return 0;
    if (thag__parse_env(v, c, &why) == 0) return 1;
    thag__error("THAG_PROFILER=\"%s\" is malformed (%s). Accepted: " THAG__ENV_FORM
                ". Profiling is off for this run.", v, why);
    return -1;
}

THAG__FN thag_profile_type thag__type_of(int option, const thag__config *c, int env) {
    thag_profile_type def = THAG__MEMORY ? THAG_TYPE_BOTH : THAG_TYPE_TIME;
    switch (option) {
    case THAG__OPT_yes: return def;
    case THAG__OPT_time: return THAG_TYPE_TIME;
    case THAG__OPT_memory: return THAG_TYPE_MEMORY;
    case THAG__OPT_both: return THAG_TYPE_BOTH;
    case THAG__OPT_runtime: return env != 1 ? THAG_TYPE_NONE : c->has_type ? c->type : def;
    default: return THAG_TYPE_NONE;
    }
}

THAG__FN void thag__atexit(void);
THAG__FN void thag__atfork_child(void) {
    /* The child would overwrite the parent's files: it is not profiled. */
    thag__g.forked_child = 1;
    THAG__STORE(thag__g.active, 0);
    thag__signals_reset();
    pthread_mutex_init(&thag__g.lock, NULL);
    pthread_mutex_init(&thag__g.tl_lock, NULL);
#if THAG__MEMORY
    pthread_mutex_init(&thag__ss_lock, NULL); /* frees of sampled blocks take it */
    pthread_mutex_init(&thag__snap_lock, NULL); /* and frees at a peak */
#endif
}

/* Scopes are tracked for either type: memory is charged to the current
   scope. */
THAG__FN void thag__set_type(thag_profile_type type) {
    int ok = !thag__g.forked_child;
    if ((type & THAG_TYPE_MEMORY) && !THAG__MEMORY) {
        if (!thag__g.notice_memory)
            thag__error("memory profiling needs the THAG_FULL_PROFILING build switch (this build has "
                        "THAG_TIME_PROFILING); %s", (type & THAG_TYPE_TIME) ? "profiling time only" : "nothing is profiled");
        thag__g.notice_memory = 1;
        type = (thag_profile_type)(type & THAG_TYPE_TIME);
    }
    thag__g.type = type;
    THAG__STORE(thag__g.active, type != THAG_TYPE_NONE && ok ? 1 : 0);
    THAG__STORE(thag__g.mem_active, (type & THAG_TYPE_MEMORY) && ok ? 1 : 0);
#if THAG__MEMORY
    thag__hot_set(); /* the hooks' fast paths follow */
#endif
}

/* The exit and fork handlers, once. A start from inside an allocation
   (tools/preload.c) registers them later, from its constructor: glibc
   allocates while it holds the lock of its exit and fork handler lists. */
THAG__FN void thag__exit_hooks(void) {
    static int done;
    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) return;
    pthread_atfork(NULL, NULL, thag__atfork_child);
    atexit(thag__atexit);
}

/* First-time setup, under the lock. option: a THAG__OPT_ value, or -1 for
   a type given by thag_enable_profiling. */
THAG__FN void thag__configure(int option, thag_profile_type type) {
    thag__config c;
    int env, e = errno; /* the program's, whatever set-up tries (files, the signal thread) */
    if (thag__g.configured) return;
    thag__g.configured = 1;
    thag__choose_clock();
    thag__clock_start();
    thag__set_identity();
    env = thag__read_env(&c);
    thag__stbsp_snprintf(thag__g.dir, (int)sizeof thag__g.dir, "%s", env == 1 && c.dir[0] ? c.dir : ".");
    if (!getcwd(thag__start_cwd, sizeof thag__start_cwd)) thag__start_cwd[0] = 0; /* >>write */
    thag__g.merge_threads = thag__env_bool("THAG_MERGE_THREADS", 0);
    thag__g.signals = thag__env_signals();
    thag__tl_configure(thag__env_count("THAG_TIMELINE_EVENTS", (uint64_t)1 << 21));
    if (env == 1) thag__open_log(c.debug);
    thag__g.say = env == 1 ? c.debug : THAG__DBG_NONE;
    thag__g.mem_detail = env == 1 && c.detail;
    thag__g.sample_bytes = thag__env_count("THAG_SAMPLE_BYTES", 0);
    thag__g.sample_seed = thag__env_count("THAG_SAMPLE_SEED", 0);
    thag__g.stack_unwind = thag__env_stack();
    thag__g.alloc_limit = thag__env_count("THAG_ALLOC_LIMIT", 0);
#if THAG__MEMORY
    thag__mem_configure(); /* sampled mode or not: the layout of the blocks decides */
#endif
    thag__g.mem_stacks = thag__g.mem_detail || thag__g.sample_bytes;
    thag__g.lines = thag__env_bool("THAG_LINES", 0);
    thag__g.growth_pct = thag__env_count("THAG_GROWTH_REPORT", 0);
    thag__g.size_threshold = thag__env_count("THAG_SIZE_TRACKING_THRESHOLD",
                                             thag__env_count("SIZE_TRACKING_THRESHOLD", 0));
    pthread_key_create(&thag__g.key, thag__thread_exit);
    if (!thag__g.defer_exit_hooks) thag__exit_hooks();
    if (env < 0) type = THAG_TYPE_NONE;
    else if (option >= 0) type = thag__type_of(option, &c, env);
    thag__debug("version " THAG_PROFILER_VERSION_STRING ", program %s, type %d, dir %s, clock %s",
                thag__g.program, (int)type, thag__g.dir, thag__clock_name());
    thag__set_type(type);
    thag__start_watch();
    /* THAG_SIGNALS: not for a run that profiles nothing, nor for a start
       from inside an allocation (thag-run's library asks itself). */
    if (type != THAG_TYPE_NONE && !thag__g.defer_exit_hooks) thag__signals_install(thag__g.signals);
    errno = e;
}

/* Writes the final output exactly once (main returning, or exit()). */
THAG__FN void thag__final(void) {
    if (__atomic_exchange_n(&thag__g.final_written, 1, __ATOMIC_ACQ_REL)) {
        /* Another thread writes it (exit() racing a signal): wait for it
           (10 s at most), so that this one does not end the process while
           the other writes. */
        struct timespec tick = {0, 1000000};
        int ms;
        for (ms = 0; ms < 10000 && !THAG__LOAD(thag__g.final_done); ms++) nanosleep(&tick, NULL);
        return;
    }
    thag__mem_busy++;
    pthread_mutex_lock(&thag__g.lock);
    THAG__STORE(thag__g.active, 0);
    THAG__STORE(thag__g.mem_active, 0);
#if THAG__MEMORY
    thag__hot_set();
#endif
    if (thag__g.configured && !thag__g.forked_child && thag__g.threads) {
        thag__write_all();
        thag__say_where();
    }
    pthread_mutex_unlock(&thag__g.lock);
    THAG__STORE(thag__g.final_done, 1);
    thag__mem_busy--;
}

THAG__FN void thag__atexit(void) { thag__final(); }

THAG__PUB void thag__enable_main(int option) {
    thag__mem_busy++;
    pthread_mutex_lock(&thag__g.lock);
    thag__configure(option, THAG_TYPE_NONE);
    pthread_mutex_unlock(&thag__g.lock);
    thag__mem_busy--;
}

THAG__PUB void thag__leave_main(thag_scope *g) {
    thag__leave(g);
    thag__final();
}

THAG__PUB thag_result thag_enable_profiling(int on, thag_profile_type type) {
    thag_result r = THAG_OK;
    if (on && type == THAG_TYPE_MEMORY && !THAG__MEMORY) {
        /* refused, not half-done: the profile so far is kept */
        thag__error("memory profiling needs the THAG_FULL_PROFILING build switch; profiling is unchanged");
        return THAG_ERR_CONFIG;
    }
    thag__mem_busy++;
    pthread_mutex_lock(&thag__g.lock);
    if (!on) type = THAG_TYPE_NONE;
    if (!thag__g.configured) thag__configure(-1, type);
    else thag__set_type(type);
    if (on && thag__g.forked_child) r = THAG_ERR_CONFIG;
    pthread_mutex_unlock(&thag__g.lock);
    thag__mem_busy--;
    return r;
}

THAG__PUB thag_result thag_flush(void) {
    thag_result r = THAG_OK;
    thag__mem_busy++;
    pthread_mutex_lock(&thag__g.lock);
    if (thag__g.configured && !thag__g.forked_child && thag__g.threads) r = thag__write_all();
    pthread_mutex_unlock(&thag__g.lock);
    thag__mem_busy--;
    return r;
}

THAG__PUB int thag_is_profiling_enabled(void) { return THAG__LOAD(thag__g.active); }

THAG__PUB void thag_set_thread_name(const char *name) {
    thag__thread *t = thag__self;
    if (!t && THAG__LOAD(thag__g.active)) t = thag__attach();
    if (!t || !name) return;
    pthread_mutex_lock(&thag__g.lock); /* the output reads labels under it */
    thag__stbsp_snprintf(t->label, (int)sizeof t->label, "%s", name);
    t->named = 1;
    pthread_mutex_unlock(&thag__g.lock);
}

THAG__PUB const char *thag_result_string(thag_result r) {
    switch (r) {
    case THAG_OK: return "ok";
    case THAG_ERR_DISABLED: return "thag_profiler is compiled out (no build switch)";
    case THAG_ERR_CONFIG: return "profiling is not available here (configuration or forked child)";
    case THAG_ERR_IO: return "an output file could not be written (see stderr)";
    case THAG_ERR_NOMEM: return "the profiler ran out of memory";
    }
    return "unknown result";
}

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#pragma GCC diagnostic pop
#endif

/* >>platform: the feature-test macros defined for the implementation's
   includes (and only those) are undefined again. */
#ifdef THAG__FTM_OWN
#ifdef THAG__FTM_UNDEF_GNU_SOURCE
#undef _GNU_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_DEFAULT_SOURCE
#undef _DEFAULT_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_ISOC95_SOURCE
#undef _ISOC95_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_ISOC99_SOURCE
#undef _ISOC99_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_ISOC11_SOURCE
#undef _ISOC11_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_ISOC2X_SOURCE
#undef _ISOC2X_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_ISOC23_SOURCE
#undef _ISOC23_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_POSIX_SOURCE
#undef _POSIX_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_POSIX_C_SOURCE
#undef _POSIX_C_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_XOPEN_SOURCE
#undef _XOPEN_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_XOPEN_SOURCE_EXTENDED
#undef _XOPEN_SOURCE_EXTENDED
#endif
#ifdef THAG__FTM_UNDEF_LARGEFILE_SOURCE
#undef _LARGEFILE_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_LARGEFILE64_SOURCE
#undef _LARGEFILE64_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_ATFILE_SOURCE
#undef _ATFILE_SOURCE
#endif
#ifdef THAG__FTM_UNDEF_DYNAMIC_STACK_SIZE_SOURCE
#undef _DYNAMIC_STACK_SIZE_SOURCE
#endif
#endif

#endif /* THAG__ENABLED */
#endif /* THAG__IMPLEMENTATION_INCLUDED */
#endif /* THAG_PROFILER_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
LICENSE TEXT (identical to the LICENSE file)

thag_profiler for C is dual-licensed: you may use it under the terms of
either the MIT License or the Apache License, Version 2.0, at your option.
SPDX-License-Identifier: MIT OR Apache-2.0

------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the thag_profiler for C authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

------------------------------------------------------------------------------
Apache License 2.0

Copyright (c) 2026 the thag_profiler for C authors

Licensed under the Apache License, Version 2.0 (the "License"); you may not
use this software except in compliance with the License. You may obtain a copy
of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
License for the specific language governing permissions and limitations under
the License.
*/
