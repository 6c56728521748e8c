/* ev.h - the one event loop of sealkv: epoll file events and timers.
 *
 * Contract:
 * - A loop is single-threaded; every function here must be called from the
 *   thread that runs ev_run() (or before it starts).
 * - File events: at most one read and one write handler per fd. A handler may
 *   delete any event, including its own, and may close its own fd after
 *   deleting the events (the loop never touches a deleted fd again within the
 *   same iteration).
 * - Timers: one-shot or periodic. A timer callback returns the number of
 *   milliseconds until it should fire again, or EV_TIMER_STOP to be removed.
 *   A timer may delete itself or others from inside a callback.
 * - beforesleep runs once per iteration before the loop waits; used for
 *   flushing replies and handling TLS data that OpenSSL has already buffered.
 * - Errors are negative errno-style values (see core/err.h).
 */
#ifndef SEALKV_CORE_EV_H
#define SEALKV_CORE_EV_H

#include <stdint.h>

typedef struct ev_loop ev_loop;

#define EV_NONE 0
#define EV_READABLE 1
#define EV_WRITABLE 2
/* With EV_BARRIER the write handler of an fd runs before its read handler in
 * the same iteration (used to persist before replying, as Redis's AE_BARRIER). */
#define EV_BARRIER 4

#define EV_TIMER_STOP (-1)

typedef void ev_file_fn(ev_loop *loop, int fd, void *data, int mask);
typedef int64_t ev_timer_fn(ev_loop *loop, int64_t id, void *data);
typedef void ev_hook_fn(ev_loop *loop, void *data);

/* setsize: the largest fd number + 1 the loop can watch; grows on demand. */
ev_loop *ev_create(int setsize);
void ev_destroy(ev_loop *loop);

/* Adds mask to the events watched on fd. Returns 0 or a negative error. */
int ev_add_file(ev_loop *loop, int fd, int mask, ev_file_fn *fn, void *data);
void ev_del_file(ev_loop *loop, int fd, int mask);
int ev_get_file_mask(ev_loop *loop, int fd);

/* Returns a timer id (> 0) or a negative error. */
int64_t ev_add_timer(ev_loop *loop, int64_t ms, ev_timer_fn *fn, void *data);
int ev_del_timer(ev_loop *loop, int64_t id);

void ev_set_before_sleep(ev_loop *loop, ev_hook_fn *fn, void *data);
/* While on, the loop polls without waiting (for data already buffered in
 * user space, e.g. by OpenSSL). Checked after beforesleep, so beforesleep
 * may turn it on for the wait that follows it. */
void ev_set_dont_wait(ev_loop *loop, int on);

/* Runs until ev_stop(). */
void ev_run(ev_loop *loop);
void ev_stop(ev_loop *loop);

/* One iteration: waits at most timeout_ms (-1 for no limit, 0 to poll).
 * Returns the number of events handled. Used by tests. */
int ev_run_once(ev_loop *loop, int timeout_ms);

/* Monotonic clock, milliseconds and microseconds. Wall clock in ms. */
int64_t ev_now_ms(void);
int64_t ev_now_us(void);
int64_t ev_wall_ms(void);

#endif
