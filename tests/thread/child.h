/* tests/thread/child.h - run a scenario of this test program in a child
 * process and capture its output and exit status.
 *
 * The child is this same program re-executed (/proc/self/exe) with
 * "--child NAME", so it starts single-threaded (sanitizers refuse threads
 * created after a multi-threaded fork). A test program lists its
 * scenarios and calls child_main() first thing in main(). */
#ifndef CT_TEST_THREAD_CHILD_H
#define CT_TEST_THREAD_CHILD_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct child_scenario {
    const char *name;
    int (*run)(void); /* its return value is main's */
} child_scenario;

typedef struct child_result {
    int status;     /* exit status, 128 + signal, or -1 on timeout */
    char out[8192]; /* stdout and stderr, NUL-terminated */
} child_result;

/* If argv asks for a scenario, run it and return its status through
 * *status (true); else false. */
static inline bool child_main(int argc, char **argv, const child_scenario *list,
                              int *status) {
    if (argc != 3 || strcmp(argv[1], "--child") != 0)
        return false;
    for (const child_scenario *s = list; s->name; s++)
        if (strcmp(s->name, argv[2]) == 0) {
            *status = s->run();
            return true;
        }
    *status = 99;
    return true;
}

/* Run scenario `name` in a child; wait at most `timeout` seconds (then
 * kill it: status -1). Returns 0, or -1 if the child could not run. */
static inline int run_child(const char *name, child_result *r, double timeout) {
    int fd[2];
    memset(r, 0, sizeof *r);
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        execl("/proc/self/exe", "child", "--child", name, (char *)NULL);
        _exit(98);
    }
    close(fd[1]);
    fcntl(fd[0], F_SETFL, O_NONBLOCK);
    size_t len = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st = 0;
    bool done = false;
    for (;;) {
        ssize_t n = read(fd[0], r->out + len, sizeof r->out - 1 - len);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (done && n <= 0)
            break;
        if (!done && waitpid(pid, &st, WNOHANG) == pid) {
            done = true;
            continue; /* drain what is left */
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) +
                (double)(now.tv_nsec - t0.tv_nsec) * 1e-9 >
            timeout) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            r->status = -1;
            close(fd[0]);
            return 0;
        }
        struct timespec nap = {0, 2000000};
        nanosleep(&nap, NULL);
    }
    close(fd[0]);
    r->out[len] = '\0';
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

#endif
