/* repl_deps_stub.c - TEMPORARY stand-ins for the rdb and aof branches'
 * functions replication calls, until those branches are merged. Deleted at
 * the merge. */
#include "../core/err.h"
#include "child.h"
#include "propagate.h"
#include "rdb.h"

int rdb_bgsave(server *srv, const rdb_save_info *rsi, int fd, child_done_fn *done, void *ud) {
    (void)srv;
    (void)rsi;
    (void)fd;
    (void)done;
    (void)ud;
    return SK_EINVAL;
}

int rdb_load_file(server *srv, const char *path, int flags, rdb_load_info *info, char *err,
                  size_t errlen) {
    (void)srv;
    (void)path;
    (void)flags;
    (void)info;
    (void)err;
    (void)errlen;
    return SK_EINVAL;
}

int child_running(const server *srv) {
    (void)srv;
    return 0;
}

void child_kill(server *srv) {
    (void)srv;
}

void propagate_add_sink(server *srv, propagate_sink_fn *fn, void *ud) {
    (void)srv;
    (void)fn;
    (void)ud;
}

void propagate_remove_sink(server *srv, propagate_sink_fn *fn, void *ud) {
    (void)srv;
    (void)fn;
    (void)ud;
}
