/* Exception capture: ct_raise() records code, message and thread name in
 * a per-thread slot; the thread and futures layers take it from there.
 * Nothing here allocates, so raising works when memory has run out. */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Thread_local ct_exception pending;
static _Thread_local bool has_pending;
static _Thread_local char current_name[CT_NAME_MAX];

void ct__set_current_name(const char *name) {
    snprintf(current_name, sizeof current_name, "%s", name ? name : "");
}

void ct__current_name(char out[CT_NAME_MAX]) {
    if (current_name[0]) {
        memcpy(out, current_name, CT_NAME_MAX);
        return;
    }
    /* A thread the library never named: the OS name (15 chars at most). */
    if (pthread_getname_np(pthread_self(), out, CT_NAME_MAX) != 0 || !out[0])
        snprintf(out, CT_NAME_MAX, "%s", "<unnamed>");
}

int ct_vraise(int code, const char *fmt, va_list ap) {
    if (code >= 0)
        code = CT_EINVAL;
    pending.code = code;
    if (fmt)
        vsnprintf(pending.message, sizeof pending.message, fmt, ap);
    else
        snprintf(pending.message, sizeof pending.message, "%s",
                 ct_strerror(code));
    ct__current_name(pending.thread_name);
    has_pending = true;
    return code;
}

int ct_raise(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = ct_vraise(code, fmt, ap);
    va_end(ap);
    return rc;
}

bool ct_exception_current(ct_exception *out) {
    if (!out)
        return false;
    if (!has_pending) {
        memset(out, 0, sizeof *out);
        return false;
    }
    *out = pending;
    return true;
}

void ct_exception_clear(void) {
    has_pending = false;
}

void ct__exception_take(int code, ct_exception *out) {
    /* A pending exception whose code differs from what the target
     * returned is stale (raised, then handled): report the return code. */
    if (has_pending && pending.code == code) {
        *out = pending;
    } else {
        memset(out, 0, sizeof *out);
        out->code = code;
        snprintf(out->message, sizeof out->message, "%s", ct_strerror(code));
        ct__current_name(out->thread_name);
    }
    has_pending = false;
}

void ct_exception_print(const ct_exception *exc) {
    if (!exc)
        return;
    char buf[CT_EXC_MESSAGE_MAX + CT_NAME_MAX + 128];
    /* Bounded reads: a caller-built exception may lack its terminator. */
    int n = snprintf(buf, sizeof buf, "Exception in thread %.*s:\n%s: %.*s\n",
                     (int)sizeof exc->thread_name - 1,
                     exc->thread_name[0] ? exc->thread_name : "<unnamed>",
                     ct_exception_type(exc->code), (int)sizeof exc->message - 1,
                     exc->message);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    /* One write so concurrent reports do not interleave; a short write to
     * stderr is not worth a retry loop that could block a dying thread. */
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}
