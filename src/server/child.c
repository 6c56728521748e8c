/* child.c - one forked child at a time; see child.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/dict.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "child.h"

typedef struct child_state {
    pid_t pid; /* 0 when no child runs */
    char purpose[32];
    child_done_fn *done;
    void *ud; /* borrowed, handed back to done */
    long long start_us;
    long long latest_fork_usec;
    long long total_forks;
} child_state;

static child_state *state(server *srv) {
    if (!srv->child) srv->child = sk_calloc(1, sizeof(child_state));
    return srv->child;
}

static long long now_us(void) {
    return server_ustime_now();
}

/* In the child: the sockets the parent serves are none of our business; a
 * listener kept open would also hold the port if the parent died. */
static void close_parent_sockets(server *srv) {
    if (srv->tcp_listener) listen_close_after_fork(srv->tcp_listener);
    if (srv->tls_listener) listen_close_after_fork(srv->tls_listener);
    if (srv->unix_listener) listen_close_after_fork(srv->unix_listener);
    for (client *c = srv->clients; c; c = c->next)
        if (c->conn && c->conn->fd >= 0) close(c->conn->fd);
}

int child_fork(server *srv, const char *purpose, child_done_fn *done, void *ud) {
    child_state *cs = state(srv);
    if (cs->pid > 0) return SK_EBUSY;
    long long start = now_us();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        log_warning("Can't fork for %s: %s", purpose, strerror(e));
        return -e;
    }
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGUSR1, SIG_DFL);
        log_set_role('C');
        /* The parent's pages are shared copy-on-write: do not rehash. */
        dict_set_resize_allowed(0);
        close_parent_sockets(srv);
        return 0;
    }
    /* Fewer pages copied while the child runs: tables grow only when they must. */
    dict_set_resize_allowed(0);
    cs->pid = pid;
    snprintf(cs->purpose, sizeof(cs->purpose), "%s", purpose);
    cs->done = done;
    cs->ud = ud;
    cs->start_us = start;
    cs->latest_fork_usec = now_us() - start;
    cs->total_forks++;
    return pid;
}

int child_running(const server *srv) {
    return srv->child && srv->child->pid > 0;
}

const char *child_purpose(const server *srv) {
    return child_running(srv) ? srv->child->purpose : NULL;
}

long long child_elapsed_ms(const server *srv) {
    if (!child_running(srv)) return -1;
    return (now_us() - srv->child->start_us) / 1000;
}

/* Clears the slot before calling done, so done may fork the next child. */
static void finish(server *srv, int ok) {
    child_state *cs = srv->child;
    child_done_fn *done = cs->done;
    void *ud = cs->ud;
    cs->pid = 0;
    cs->purpose[0] = '\0';
    cs->done = NULL;
    cs->ud = NULL;
    dict_set_resize_allowed(1);
    if (done) done(srv, ok, ud);
}

void child_reap(server *srv) {
    if (!child_running(srv)) return;
    int status = 0;
    pid_t r = waitpid(srv->child->pid, &status, WNOHANG);
    if (r == 0) return;
    int ok = 0;
    if (r < 0) {
        log_warning("waitpid for the %s child failed: %s", srv->child->purpose, strerror(errno));
    } else if (WIFSIGNALED(status)) {
        if (WTERMSIG(status) != SIGUSR1)
            log_warning("The %s child was killed by signal %d", srv->child->purpose,
                        WTERMSIG(status));
    } else {
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    finish(srv, ok);
}

void child_kill(server *srv) {
    if (!child_running(srv)) return;
    pid_t pid = srv->child->pid;
    log_notice("Killing the running %s child: %d", srv->child->purpose, (int)pid);
    kill(pid, SIGUSR1);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    finish(srv, 0);
}

_Noreturn void child_exit(int code) {
    _exit(code);
}

void child_info_stats(const server *srv, sbuf *out) {
    sbuf_appendf(out, "latest_fork_usec:%lld\r\ntotal_forks:%lld\r\n",
                 srv->child ? srv->child->latest_fork_usec : 0,
                 srv->child ? srv->child->total_forks : 0);
}

void child_free(server *srv) {
    if (!srv->child) return;
    child_kill(srv);
    sk_free(srv->child);
    srv->child = NULL;
}
