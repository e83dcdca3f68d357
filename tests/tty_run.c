/* tty_run SECONDS COMMAND [ARG...]: runs COMMAND with its stdout and stderr
 * on a new pseudo-terminal (its controlling terminal, in a new session) and
 * stdin on /dev/null; copies what it writes to our stdout; exits with its
 * status. After SECONDS it is killed and we exit 124.
 *
 * Why not script(1): script puts its own stdin in raw mode when that is a
 * terminal. Started from a background job of a shell on a terminal (as a CI
 * harness may do), that tcsetattr() stops it with SIGTTOU, for ever. This
 * never touches the terminal it was started from. */
#define _XOPEN_SOURCE 600
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    if (child > 0) kill(-child, SIGKILL);
}

static void run_child(const char *slave, char **argv)
{
    int fd, in;
    setsid(); /* the first terminal we open becomes ours */
    fd = open(slave, O_RDWR);
    in = open("/dev/null", O_RDONLY);
    if (fd < 0 || in < 0) _exit(126);
    dup2(in, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
    if (in > 2) close(in);
    execvp(argv[0], argv);
    _exit(127);
}

/* copy: master to stdout until the last slave descriptor is closed (EIO). */
static void copy(int master)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) return;
    }
}

int main(int argc, char **argv)
{
    int master, status;
    const char *slave;
    if (argc < 3 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: tty_run SECONDS COMMAND [ARG...]\n");
        return 2;
    }
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master) || !(slave = ptsname(master))) {
        perror("tty_run: pseudo-terminal");
        return 2;
    }
    signal(SIGALRM, on_alarm);
    child = fork();
    if (child < 0) { perror("tty_run: fork"); return 2; }
    if (child == 0) { close(master); run_child(slave, argv + 2); }
    alarm((unsigned)atoi(argv[1]));
    copy(master);
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) { perror("tty_run: waitpid"); return 2; }
    fflush(stdout);
    if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGKILL ? 124 : 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
