/* ev.c - epoll event loop with a timer heap.
 *
 * File events live in an array indexed by fd that grows on demand. Timers
 * live in a binary min-heap ordered by (due time, sequence); the sequence
 * breaks ties in insertion order and makes a timer that re-arms itself with
 * 0 ms run after the other due timers, so one pass always ends.
 *
 * Re-entrancy rules (the contract in ev.h):
 * - A handler may delete any file event and close its fd. Each fd fired by
 *   epoll is checked against its live mask before every call, and against a
 *   generation number bumped whenever the fd's mask drops to none, so a
 *   closed-and-reused fd number never receives the old readiness.
 * - A running timer is out of the heap while its callback runs; deleting it
 *   from inside marks it and it is freed when the callback returns.
 */
#include "ev.h"

#include "err.h"
#include "mem.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

typedef struct ev_file {
    int mask; /* EV_READABLE | EV_WRITABLE | EV_BARRIER */
    uint32_t gen;
    ev_file_fn *rfn;
    ev_file_fn *wfn;
    void *rdata; /* borrowed */
    void *wdata; /* borrowed */
} ev_file;

typedef struct ev_timer {
    int64_t id;
    int64_t when_ms;
    uint64_t seq;
    uint64_t pass; /* timer pass that last ran or created it */
    size_t heap_idx;
    bool deleted;
    ev_timer_fn *fn;
    void *data; /* borrowed */
} ev_timer;

typedef struct ev_fired {
    int fd;
    int mask;
    uint32_t gen;
} ev_fired;

struct ev_loop {
    int epfd;
    int setsize;
    ev_file *files;            /* owned, setsize entries */
    struct epoll_event *evbuf; /* owned, setsize entries */
    ev_fired *fired;           /* owned, setsize entries */
    ev_timer **heap;           /* owned, heap_len used of heap_cap */
    size_t heap_len;
    size_t heap_cap;
    ev_timer *running; /* timer whose callback runs now, out of the heap */
    int64_t next_id;
    uint64_t next_seq;
    uint64_t pass;
    bool stop;
    ev_hook_fn *before_sleep;
    void *before_sleep_data; /* borrowed */
    bool dont_wait;
};

int64_t ev_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ev_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ev_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ev_loop *ev_create(int setsize) {
    if (setsize < 16) setsize = 16;
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return NULL;
    ev_loop *loop = sk_calloc(1, sizeof(*loop));
    loop->epfd = epfd;
    loop->setsize = setsize;
    loop->files = sk_calloc((size_t)setsize, sizeof(ev_file));
    loop->evbuf = sk_calloc((size_t)setsize, sizeof(struct epoll_event));
    loop->fired = sk_calloc((size_t)setsize, sizeof(ev_fired));
    loop->next_id = 1;
    return loop;
}

void ev_destroy(ev_loop *loop) {
    if (!loop) return;
    for (size_t i = 0; i < loop->heap_len; i++)
        sk_free(loop->heap[i]);
    sk_free(loop->heap);
    sk_free(loop->files);
    sk_free(loop->evbuf);
    sk_free(loop->fired);
    close(loop->epfd);
    sk_free(loop);
}

/* ---- file events ---- */

static void ev_grow(ev_loop *loop, int fd) {
    int newsize = loop->setsize;
    while (newsize <= fd)
        newsize *= 2;
    loop->files = sk_realloc(loop->files, (size_t)newsize * sizeof(ev_file));
    memset(loop->files + loop->setsize, 0, (size_t)(newsize - loop->setsize) * sizeof(ev_file));
    loop->evbuf = sk_realloc(loop->evbuf, (size_t)newsize * sizeof(struct epoll_event));
    loop->fired = sk_realloc(loop->fired, (size_t)newsize * sizeof(ev_fired));
    loop->setsize = newsize;
}

static uint32_t ev_epoll_bits(int mask) {
    uint32_t ev = 0;
    if (mask & EV_READABLE) ev |= EPOLLIN;
    if (mask & EV_WRITABLE) ev |= EPOLLOUT;
    return ev;
}

static int ev_epoll_update(ev_loop *loop, int fd, int oldmask, int newmask) {
    int io_old = oldmask & (EV_READABLE | EV_WRITABLE);
    int io_new = newmask & (EV_READABLE | EV_WRITABLE);
    if (io_old == io_new) return 0;
    struct epoll_event ee = {0};
    ee.events = ev_epoll_bits(io_new);
    ee.data.fd = fd;
    int op = io_old == 0 ? EPOLL_CTL_ADD : (io_new == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
    if (epoll_ctl(loop->epfd, op, fd, &ee) == 0) return 0;
    /* The fd was closed without ev_del_file and its number reused: the
     * kernel forgot it, so register it afresh. */
    if (op == EPOLL_CTL_MOD && errno == ENOENT &&
        epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) == 0)
        return 0;
    return -errno;
}

int ev_add_file(ev_loop *loop, int fd, int mask, ev_file_fn *fn, void *data) {
    if (fd < 0 || !fn || (mask & ~(EV_READABLE | EV_WRITABLE | EV_BARRIER))) return SK_EINVAL;
    if (fd >= loop->setsize) ev_grow(loop, fd);
    ev_file *fe = &loop->files[fd];
    int newmask = fe->mask | mask;
    int rc = ev_epoll_update(loop, fd, fe->mask, newmask);
    if (rc < 0) return rc;
    fe->mask = newmask;
    if (mask & EV_READABLE) {
        fe->rfn = fn;
        fe->rdata = data;
    }
    if (mask & EV_WRITABLE) {
        fe->wfn = fn;
        fe->wdata = data;
    }
    return 0;
}

void ev_del_file(ev_loop *loop, int fd, int mask) {
    if (fd < 0 || fd >= loop->setsize) return;
    ev_file *fe = &loop->files[fd];
    if (fe->mask == EV_NONE) return;
    /* The barrier only means something with a write handler. */
    if (mask & EV_WRITABLE) mask |= EV_BARRIER;
    int newmask = fe->mask & ~mask;
    /* A failure here means the fd is already gone; the kernel dropped it. */
    (void)ev_epoll_update(loop, fd, fe->mask, newmask);
    fe->mask = newmask;
    if (mask & EV_READABLE) {
        fe->rfn = NULL;
        fe->rdata = NULL;
    }
    if (mask & EV_WRITABLE) {
        fe->wfn = NULL;
        fe->wdata = NULL;
    }
    if ((newmask & (EV_READABLE | EV_WRITABLE)) == 0) {
        fe->mask = EV_NONE;
        fe->gen++;
    }
}

int ev_get_file_mask(ev_loop *loop, int fd) {
    if (fd < 0 || fd >= loop->setsize) return EV_NONE;
    return loop->files[fd].mask;
}

/* ---- timer heap ---- */

static bool ev_timer_less(const ev_timer *a, const ev_timer *b) {
    if (a->when_ms != b->when_ms) return a->when_ms < b->when_ms;
    return a->seq < b->seq;
}

static void ev_heap_set(ev_loop *loop, size_t i, ev_timer *t) {
    loop->heap[i] = t;
    t->heap_idx = i;
}

static void ev_heap_up(ev_loop *loop, size_t i) {
    ev_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_timer_less(t, loop->heap[parent])) break;
        ev_heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    ev_heap_set(loop, i, t);
}

static void ev_heap_down(ev_loop *loop, size_t i) {
    ev_timer *t = loop->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        const ev_timer *mt = t;
        if (l < loop->heap_len && ev_timer_less(loop->heap[l], mt)) {
            min = l;
            mt = loop->heap[l];
        }
        if (r < loop->heap_len && ev_timer_less(loop->heap[r], mt)) min = r;
        if (min == i) break;
        ev_heap_set(loop, i, loop->heap[min]);
        i = min;
    }
    ev_heap_set(loop, i, t);
}

static void ev_heap_push(ev_loop *loop, ev_timer *t) {
    if (loop->heap_len == loop->heap_cap) {
        loop->heap_cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
        loop->heap = sk_realloc(loop->heap, loop->heap_cap * sizeof(ev_timer *));
    }
    t->seq = loop->next_seq++;
    ev_heap_set(loop, loop->heap_len++, t);
    ev_heap_up(loop, t->heap_idx);
}

static void ev_heap_remove(ev_loop *loop, size_t i) {
    loop->heap_len--;
    if (i == loop->heap_len) return;
    ev_heap_set(loop, i, loop->heap[loop->heap_len]);
    ev_heap_down(loop, i);
    ev_heap_up(loop, loop->heap[i]->heap_idx);
}

int64_t ev_add_timer(ev_loop *loop, int64_t ms, ev_timer_fn *fn, void *data) {
    if (!fn) return SK_EINVAL;
    if (ms < 0) ms = 0;
    ev_timer *t = sk_calloc(1, sizeof(*t));
    t->id = loop->next_id++;
    t->when_ms = ev_now_ms() + ms;
    t->fn = fn;
    t->data = data;
    /* Created during a timer pass: wait for the next pass, like Redis's maxId. */
    t->pass = loop->pass;
    ev_heap_push(loop, t);
    return t->id;
}

int ev_del_timer(ev_loop *loop, int64_t id) {
    if (loop->running && loop->running->id == id) {
        loop->running->deleted = true;
        return 0;
    }
    for (size_t i = 0; i < loop->heap_len; i++) {
        if (loop->heap[i]->id == id) {
            ev_timer *t = loop->heap[i];
            ev_heap_remove(loop, i);
            sk_free(t);
            return 0;
        }
    }
    return SK_ENOTFOUND;
}

static int ev_process_timers(ev_loop *loop) {
    int handled = 0;
    int64_t now = ev_now_ms();
    uint64_t pass = ++loop->pass;
    while (loop->heap_len > 0 && !loop->stop) {
        ev_timer *t = loop->heap[0];
        /* Heap order puts every timer re-armed or created in this pass
         * after the due ones, so meeting one means the pass is over. */
        if (t->when_ms > now || t->pass == pass) break;
        ev_heap_remove(loop, 0);
        t->pass = pass;
        loop->running = t;
        int64_t ret = t->fn(loop, t->id, t->data);
        loop->running = NULL;
        handled++;
        if (t->deleted || ret == EV_TIMER_STOP || ret < 0) {
            sk_free(t);
            continue;
        }
        t->when_ms = ev_now_ms() + ret;
        ev_heap_push(loop, t);
    }
    return handled;
}

/* ---- the loop ---- */

void ev_set_before_sleep(ev_loop *loop, ev_hook_fn *fn, void *data) {
    loop->before_sleep = fn;
    loop->before_sleep_data = data;
}

void ev_set_dont_wait(ev_loop *loop, int on) {
    loop->dont_wait = on != 0;
}

void ev_stop(ev_loop *loop) {
    loop->stop = true;
}

static int ev_wait_timeout(ev_loop *loop, int timeout_ms) {
    if (loop->dont_wait) return 0;
    if (loop->heap_len == 0) return timeout_ms;
    int64_t delta = loop->heap[0]->when_ms - ev_now_ms();
    if (delta < 0) delta = 0;
    if (timeout_ms >= 0 && delta > timeout_ms) delta = timeout_ms;
    if (delta > INT32_MAX) delta = INT32_MAX;
    return (int)delta;
}

static bool ev_still_live(ev_loop *loop, const ev_fired *f) {
    return f->fd < loop->setsize && loop->files[f->fd].gen == f->gen;
}

static int ev_dispatch(ev_loop *loop, const ev_fired *f) {
    int fd = f->fd;
    int handled = 0;
    ev_file *fe = &loop->files[fd];
    bool barrier = fe->mask & EV_BARRIER;

    /* Each direction gets its own call with its own bit, even when one
     * function serves both: the mask argument says which one is ready. */
    if (!barrier && (fe->mask & f->mask & EV_READABLE)) {
        fe->rfn(loop, fd, fe->rdata, EV_READABLE);
        handled++;
        if (!ev_still_live(loop, f)) return handled;
        fe = &loop->files[fd]; /* the handler may have grown the array */
    }
    if (fe->mask & f->mask & EV_WRITABLE) {
        fe->wfn(loop, fd, fe->wdata, EV_WRITABLE);
        handled++;
        if (!ev_still_live(loop, f)) return handled;
        fe = &loop->files[fd];
    }
    if (barrier && (fe->mask & f->mask & EV_READABLE)) {
        fe->rfn(loop, fd, fe->rdata, EV_READABLE);
        handled++;
    }
    return handled;
}

int ev_run_once(ev_loop *loop, int timeout_ms) {
    if (loop->before_sleep) loop->before_sleep(loop, loop->before_sleep_data);

    int timeout = ev_wait_timeout(loop, timeout_ms);
    int n = epoll_wait(loop->epfd, loop->evbuf, loop->setsize, timeout);
    if (n < 0) n = 0; /* EINTR: just go round again */

    /* Snapshot first: handlers may grow (and move) the arrays. */
    for (int i = 0; i < n; i++) {
        uint32_t e = loop->evbuf[i].events;
        int fd = loop->evbuf[i].data.fd;
        int mask = 0;
        if (e & EPOLLIN) mask |= EV_READABLE;
        if (e & EPOLLOUT) mask |= EV_WRITABLE;
        /* Errors and hangups wake both handlers: each will see the failure. */
        if (e & (EPOLLERR | EPOLLHUP)) mask |= EV_READABLE | EV_WRITABLE;
        loop->fired[i].fd = fd;
        loop->fired[i].mask = mask;
        loop->fired[i].gen = loop->files[fd].gen;
    }
    int handled = 0;
    for (int i = 0; i < n; i++) {
        ev_fired f = loop->fired[i];
        if (!ev_still_live(loop, &f)) continue;
        handled += ev_dispatch(loop, &f);
    }
    handled += ev_process_timers(loop);
    return handled;
}

void ev_run(ev_loop *loop) {
    loop->stop = false;
    while (!loop->stop)
        ev_run_once(loop, -1);
}
