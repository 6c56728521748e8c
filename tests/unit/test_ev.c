/* test_ev.c - event loop: timers, file events, barrier, re-entrancy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/ev.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LOG 64

typedef struct trace {
    int n;
    int64_t ids[MAX_LOG];
    char ops[MAX_LOG];
} trace;

static void trace_add(trace *t, char op, int64_t id) {
    if (t->n < MAX_LOG) {
        t->ops[t->n] = op;
        t->ids[t->n] = id;
        t->n++;
    }
}

/* Runs iterations until cond() holds or 2 s pass. */
static void run_until(ev_loop *loop, int *flag, int want) {
    int64_t deadline = ev_now_ms() + 2000;
    while (*flag < want && ev_now_ms() < deadline)
        ev_run_once(loop, 50);
}

static trace g_trace;
static int g_count;

static int64_t once_cb(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    trace_add(&g_trace, 't', (int64_t)(intptr_t)data);
    (void)id;
    g_count++;
    return EV_TIMER_STOP;
}

static void test_timers_in_order(void **state) {
    (void)state;
    memset(&g_trace, 0, sizeof(g_trace));
    g_count = 0;
    ev_loop *loop = ev_create(64);
    assert_non_null(loop);
    /* Taken before the timers are added: they count from their own add. */
    int64_t t0 = ev_now_ms();
    assert_true(ev_add_timer(loop, 30, once_cb, (void *)3) > 0);
    assert_true(ev_add_timer(loop, 10, once_cb, (void *)1) > 0);
    assert_true(ev_add_timer(loop, 20, once_cb, (void *)2) > 0);
    assert_true(ev_add_timer(loop, 20, once_cb, (void *)22) > 0); /* tie: insertion order */
    run_until(loop, &g_count, 4);
    assert_int_equal(g_count, 4);
    assert_int_equal(g_trace.ids[0], 1);
    assert_int_equal(g_trace.ids[1], 2);
    assert_int_equal(g_trace.ids[2], 22);
    assert_int_equal(g_trace.ids[3], 3);
    assert_true(ev_now_ms() - t0 >= 30);
    /* Nothing left: a poll handles no event. */
    assert_int_equal(ev_run_once(loop, 0), 0);
    ev_destroy(loop);
}

static int64_t periodic_cb(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    int *n = data;
    (*n)++;
    return *n >= 5 ? EV_TIMER_STOP : 5;
}

static void test_periodic_timer(void **state) {
    (void)state;
    int n = 0;
    ev_loop *loop = ev_create(64);
    int64_t id = ev_add_timer(loop, 0, periodic_cb, &n);
    assert_true(id > 0);
    run_until(loop, &n, 5);
    assert_int_equal(n, 5);
    /* It removed itself: deleting again finds nothing. */
    assert_int_not_equal(ev_del_timer(loop, id), 0);
    ev_destroy(loop);
}

/* A timer re-arming with 0 ms must not spin forever inside one pass. */
static int64_t zero_cb(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    (*(int *)data)++;
    return 0;
}

static void test_zero_rearm_one_per_pass(void **state) {
    (void)state;
    int n = 0;
    ev_loop *loop = ev_create(64);
    int64_t id = ev_add_timer(loop, 0, zero_cb, &n);
    ev_run_once(loop, 0);
    assert_int_equal(n, 1);
    ev_run_once(loop, 0);
    assert_int_equal(n, 2);
    assert_int_equal(ev_del_timer(loop, id), 0);
    ev_destroy(loop);
}

static int64_t g_victim;

static int64_t killer_cb(ev_loop *loop, int64_t id, void *data) {
    (void)data;
    trace_add(&g_trace, 'k', id);
    g_count++;
    assert_int_equal(ev_del_timer(loop, g_victim), 0);
    assert_int_equal(ev_del_timer(loop, id), 0); /* itself */
    return 1;                                    /* ignored: deleted */
}

static int64_t victim_cb(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)data;
    trace_add(&g_trace, 'v', id);
    g_count++;
    return EV_TIMER_STOP;
}

static void test_delete_timer_in_callback(void **state) {
    (void)state;
    memset(&g_trace, 0, sizeof(g_trace));
    g_count = 0;
    ev_loop *loop = ev_create(64);
    int64_t k = ev_add_timer(loop, 0, killer_cb, NULL);
    g_victim = ev_add_timer(loop, 0, victim_cb, NULL);
    assert_true(k > 0 && g_victim > k);
    for (int i = 0; i < 5; i++)
        ev_run_once(loop, 10);
    assert_int_equal(g_count, 1);
    assert_int_equal(g_trace.ops[0], 'k');
    assert_int_equal(ev_del_timer(loop, k), SK_ENOTFOUND);
    ev_destroy(loop);
}

static void test_timer_caps_wait(void **state) {
    (void)state;
    int n = 0;
    ev_loop *loop = ev_create(64);
    ev_add_timer(loop, 20, periodic_cb, &n);
    int64_t t0 = ev_now_ms();
    ev_run_once(loop, -1);                 /* no fd: must wake for the timer, not hang */
    assert_true(ev_now_ms() - t0 < 10000); /* woke up at all, not a timing claim */
    assert_int_equal(n, 1);
    ev_destroy(loop);
}

typedef struct pipe_ctx {
    int fds[2];
    int reads;
    int writes;
    char order[8];
    int norder;
} pipe_ctx;

static void on_read(ev_loop *loop, int fd, void *data, int mask) {
    (void)loop;
    pipe_ctx *c = data;
    assert_int_equal(mask, EV_READABLE);
    char buf[16];
    ssize_t r = read(fd, buf, sizeof(buf));
    assert_true(r > 0);
    c->reads++;
    if (c->norder < 8) c->order[c->norder++] = 'r';
}

static void on_write(ev_loop *loop, int fd, void *data, int mask) {
    pipe_ctx *c = data;
    assert_int_equal(mask, EV_WRITABLE);
    c->writes++;
    if (c->norder < 8) c->order[c->norder++] = 'w';
    ev_del_file(loop, fd, EV_WRITABLE);
}

static void test_file_events_socketpair(void **state) {
    (void)state;
    pipe_ctx c = {0};
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c.fds), 0);
    ev_loop *loop = ev_create(4); /* small: forces the fd table to grow */
    assert_int_equal(ev_add_file(loop, c.fds[0], EV_READABLE, on_read, &c), 0);
    assert_int_equal(ev_get_file_mask(loop, c.fds[0]), EV_READABLE);
    assert_int_equal(ev_run_once(loop, 0), 0);
    assert_int_equal(write(c.fds[1], "hi", 2), 2);
    run_until(loop, &c.reads, 1);
    assert_int_equal(c.reads, 1);
    assert_int_equal(ev_add_file(loop, c.fds[0], EV_WRITABLE, on_write, &c), 0);
    assert_int_equal(ev_get_file_mask(loop, c.fds[0]), EV_READABLE | EV_WRITABLE);
    run_until(loop, &c.writes, 1);
    assert_int_equal(c.writes, 1);
    assert_int_equal(ev_get_file_mask(loop, c.fds[0]), EV_READABLE);
    ev_del_file(loop, c.fds[0], EV_READABLE);
    assert_int_equal(ev_get_file_mask(loop, c.fds[0]), EV_NONE);
    assert_int_equal(write(c.fds[1], "x", 1), 1);
    assert_int_equal(ev_run_once(loop, 20), 0);
    assert_int_equal(ev_add_file(loop, -1, EV_READABLE, on_read, &c), SK_EINVAL);
    ev_destroy(loop);
    close(c.fds[0]);
    close(c.fds[1]);
}

static void test_barrier_order(void **state) {
    (void)state;
    for (int barrier = 0; barrier <= 1; barrier++) {
        pipe_ctx c = {0};
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c.fds), 0);
        ev_loop *loop = ev_create(64);
        assert_int_equal(write(c.fds[1], "x", 1), 1);
        assert_int_equal(ev_add_file(loop, c.fds[0], EV_READABLE, on_read, &c), 0);
        int wmask = EV_WRITABLE | (barrier ? EV_BARRIER : 0);
        assert_int_equal(ev_add_file(loop, c.fds[0], wmask, on_write, &c), 0);
        assert_int_equal(ev_run_once(loop, 100), 2);
        assert_int_equal(c.norder, 2);
        assert_int_equal(c.order[0], barrier ? 'w' : 'r');
        assert_int_equal(c.order[1], barrier ? 'r' : 'w');
        /* Deleting the write handler also dropped the barrier. */
        assert_int_equal(ev_get_file_mask(loop, c.fds[0]), EV_READABLE);
        ev_destroy(loop);
        close(c.fds[0]);
        close(c.fds[1]);
    }
}

typedef struct closer {
    int fds[2];
    int calls;
} closer;

/* Deletes everything and closes its own fd from inside the read handler; the
 * write handler of the same fd must then not run. */
static void close_self(ev_loop *loop, int fd, void *data, int mask) {
    (void)mask;
    closer *c = data;
    c->calls++;
    ev_del_file(loop, fd, EV_READABLE | EV_WRITABLE);
    close(fd);
    c->fds[0] = -1;
}

static void test_handler_deletes_itself(void **state) {
    (void)state;
    closer c = {0};
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c.fds), 0);
    ev_loop *loop = ev_create(64);
    assert_int_equal(write(c.fds[1], "x", 1), 1);
    assert_int_equal(ev_add_file(loop, c.fds[0], EV_READABLE | EV_WRITABLE, close_self, &c), 0);
    assert_int_equal(ev_run_once(loop, 100), 1);
    assert_int_equal(c.calls, 1);
    ev_run_once(loop, 10);
    assert_int_equal(c.calls, 1);
    ev_destroy(loop);
    close(c.fds[1]);
}

typedef struct pair_ctx {
    int a[2];
    int b[2];
    int calls_a;
    int calls_b;
    int big_fd;
} pair_ctx;

/* Whichever of the two fires first deletes and closes the other one, and
 * registers a high fd (growing the table) - the other must not run. */
static void kill_other(ev_loop *loop, int fd, void *data, int mask) {
    (void)mask;
    pair_ctx *c = data;
    int other = fd == c->a[0] ? c->b[0] : c->a[0];
    if (fd == c->a[0])
        c->calls_a++;
    else
        c->calls_b++;
    if (other < 0) return;
    ev_del_file(loop, other, EV_READABLE);
    close(other);
    if (other == c->a[0])
        c->a[0] = -1;
    else
        c->b[0] = -1;
    c->big_fd = dup2(c->a[1], 900);
    assert_true(c->big_fd == 900);
    assert_int_equal(ev_add_file(loop, c->big_fd, EV_WRITABLE, kill_other, c), 0);
}

static void test_handler_closes_other_fd(void **state) {
    (void)state;
    pair_ctx c = {.big_fd = -1};
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c.a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c.b), 0);
    ev_loop *loop = ev_create(16);
    assert_int_equal(write(c.a[1], "x", 1), 1);
    assert_int_equal(write(c.b[1], "x", 1), 1);
    assert_int_equal(ev_add_file(loop, c.a[0], EV_READABLE, kill_other, &c), 0);
    assert_int_equal(ev_add_file(loop, c.b[0], EV_READABLE, kill_other, &c), 0);
    assert_int_equal(ev_run_once(loop, 100), 1);
    assert_int_equal(c.calls_a + c.calls_b, 1);
    assert_int_equal(ev_get_file_mask(loop, 900), EV_WRITABLE);
    ev_del_file(loop, 900, EV_WRITABLE);
    ev_destroy(loop);
    close(900);
    for (int i = 0; i < 2; i++) {
        if (c.a[i] >= 0) close(c.a[i]);
        if (c.b[i] >= 0) close(c.b[i]);
    }
}

static int g_before;

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    g_before++;
    if (g_before == 3) ev_stop(loop);
}

static int64_t tick_cb(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    (void)data;
    return 1;
}

static void test_run_and_stop(void **state) {
    (void)state;
    g_before = 0;
    ev_loop *loop = ev_create(64);
    ev_set_before_sleep(loop, before_sleep, NULL);
    ev_add_timer(loop, 1, tick_cb, NULL);
    ev_run(loop);
    assert_int_equal(g_before, 3);
    ev_destroy(loop);
}

static void test_clocks(void **state) {
    (void)state;
    int64_t a = ev_now_ms(), b = ev_now_us(), w = ev_wall_ms();
    assert_true(a > 0);
    assert_true(b / 1000 >= a);
    assert_true(w > 1600000000000LL);
    usleep(2000);
    assert_true(ev_now_us() - b >= 2000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_in_order),
        cmocka_unit_test(test_periodic_timer),
        cmocka_unit_test(test_zero_rearm_one_per_pass),
        cmocka_unit_test(test_delete_timer_in_callback),
        cmocka_unit_test(test_timer_caps_wait),
        cmocka_unit_test(test_file_events_socketpair),
        cmocka_unit_test(test_barrier_order),
        cmocka_unit_test(test_handler_deletes_itself),
        cmocka_unit_test(test_handler_closes_other_fd),
        cmocka_unit_test(test_run_and_stop),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
