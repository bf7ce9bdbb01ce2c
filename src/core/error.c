/* Error codes: names, messages and the Python exception each stands for. */
#include "internal.h"

#include <stddef.h>

static const struct {
    const char *name;
    const char *text;
    const char *python;
} table[] = {
    [0] = {"CT_OK", "success", "None"},
    [-CT_EINVAL] = {"CT_EINVAL", "invalid argument", "TypeError"},
    [-CT_ETIMEDOUT] = {"CT_ETIMEDOUT", "timed out", "TimeoutError"},
    [-CT_EEMPTY] = {"CT_EEMPTY", "queue is empty", "queue.Empty"},
    [-CT_EFULL] = {"CT_EFULL", "queue is full", "queue.Full"},
    [-CT_ESHUTDOWN] = {"CT_ESHUTDOWN", "shut down", "queue.ShutDown"},
    [-CT_EBROKEN] = {"CT_EBROKEN", "barrier is broken",
                     "threading.BrokenBarrierError"},
    [-CT_ECANCELLED] = {"CT_ECANCELLED", "cancelled",
                        "concurrent.futures.CancelledError"},
    [-CT_EBROKENPOOL] = {"CT_EBROKENPOOL", "executor is broken",
                         "concurrent.futures.BrokenExecutor"},
    [-CT_EVALUE] = {"CT_EVALUE", "value out of range", "ValueError"},
    [-CT_EPERM] = {"CT_EPERM", "lock not held by the caller", "RuntimeError"},
    [-CT_ESTATE] = {"CT_ESTATE", "invalid state for this operation",
                    "RuntimeError"},
    [-CT_ENOMEM] = {"CT_ENOMEM", "out of memory", "MemoryError"},
    [-CT_EINTR] = {"CT_EINTR", "interrupted", "KeyboardInterrupt"},
    [-CT_EDEADLK] = {"CT_EDEADLK", "deadlock detected", "RuntimeError"},
    [-CT_EWORKER] = {"CT_EWORKER", "worker died",
                     "concurrent.futures.process.BrokenProcessPool"},
    [-CT_EAGAIN] = {"CT_EAGAIN", "resource temporarily unavailable",
                    "RuntimeError"},
    [-CT_EFAIL] = {"CT_EFAIL", "failed", "Exception"},
    [-CT_EOVERFLOW] = {"CT_EOVERFLOW", "value too large", "OverflowError"},
    [-CT_EEOF] = {"CT_EEOF", "end of file", "EOFError"},
    [-CT_EEXIST] = {"CT_EEXIST", "already exists", "FileExistsError"},
    [-CT_ENOENT] = {"CT_ENOENT", "not found", "FileNotFoundError"},
    [-CT_EOS] = {"CT_EOS", "operating system error", "OSError"},
};

static int known(int code) {
    return code <= 0 && code >= CT_ELAST_;
}

const char *ct_strerror(int code) {
    return known(code) ? table[-code].text : "unknown error";
}

const char *ct_errname(int code) {
    return known(code) ? table[-code].name : "CT_E?";
}

const char *ct_exception_type(int code) {
    return known(code) ? table[-code].python : "Exception";
}
