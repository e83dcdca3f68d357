/* fork: the child is not profiled (it would overwrite the parent's files)
   and neither deadlocks nor crashes; the parent's profile is complete. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "common.h"
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    THAG_ENABLE_PROFILING(time);
    int status = 0;
    pid_t pid;
    leaf();
    pid = fork();
    if (pid == 0) {
        leaf();
        leaf();
        return 5;
    }
    waitpid(pid, &status, 0);
    leaf();
    return WIFEXITED(status) && WEXITSTATUS(status) == 5 ? 0 : 1;
}
