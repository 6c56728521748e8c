/* aof.c - the append-only file: writing, fsync, rewriting, loading, INFO,
 * BGREWRITEAOF. See aof.h for the contract; the formats are in aof_file.c.
 */
#include "aof.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "aof_file.h"
#include "child.h"
#include "commands.h"
#include "config.h"
#include "multi.h"
#include "propagate.h"
#include "rdb.h"
#include "rdb_value.h"

enum aof_status { AOF_OFF = 0, AOF_ON = 1, AOF_WAIT_REWRITE = 2 };

#define AOF_READ_CHUNK (1024 * 1024)
#define AOF_REWRITE_RETRY_SECS 5 /* after a failed rewrite, as a failed BGSAVE */
#define FSYNC_QUEUE 64

/* ------------------------------------------------------------ fsync thread */

/* everysec fsyncs, and closing a replaced incr part (fsync + close), run
 * here so the event loop never waits for the disk. */
typedef struct fsync_job {
    int fd;
    int close_after;
} fsync_job;

typedef struct fsync_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fsync_job jobs[FSYNC_QUEUE]; /* ring */
    int head, n;
    int busy; /* a job is running */
    int stop;
    int started;
} fsync_worker;

static void *fsync_main(void *arg) {
    fsync_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->n == 0 && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->n == 0 && w->stop) break;
        fsync_job job = w->jobs[w->head];
        w->head = (w->head + 1) % FSYNC_QUEUE;
        w->n--;
        w->busy = 1;
        pthread_mutex_unlock(&w->mu);
        if (fdatasync(job.fd) < 0 && errno != EBADF && errno != EINVAL)
            log_warning("AOF fsync in the background failed: %s", strerror(errno));
        if (job.close_after) close(job.fd);
        pthread_mutex_lock(&w->mu);
        w->busy = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void worker_start(fsync_worker *w) {
    if (w->started) return;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, fsync_main, w) != 0) {
        log_warning("Can't start the AOF fsync thread: fsyncs run in the event loop");
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return;
    }
    w->started = 1;
}

static void worker_stop(fsync_worker *w) {
    if (!w->started) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    w->started = 0;
    w->stop = 0;
}

/* Queues a job; 0, or -1 when it cannot (no thread, queue full, or
 * only_if_idle and the worker has work). */
static int worker_submit(fsync_worker *w, int fd, int close_after, int only_if_idle) {
    if (!w->started) return -1;
    int rc = -1;
    pthread_mutex_lock(&w->mu);
    if (!(only_if_idle && (w->n || w->busy)) && w->n < FSYNC_QUEUE) {
        w->jobs[(w->head + w->n) % FSYNC_QUEUE] = (fsync_job){fd, close_after};
        w->n++;
        pthread_cond_signal(&w->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int worker_pending(fsync_worker *w) {
    if (!w->started) return 0;
    pthread_mutex_lock(&w->mu);
    int n = w->n + w->busy;
    pthread_mutex_unlock(&w->mu);
    return n;
}

/* ------------------------------------------------------------------ state */

typedef struct aof_state {
    int status; /* enum aof_status */
    aof_manifest man;
    int fd; /* the current incr part, -1 when none */
    int sink_added;
    sbuf buf; /* written commands not yet in the file */
    int selected_db;
    long long last_ts;        /* unix seconds of the last "#TS:" annotation */
    long long current_size;   /* bytes of the parts the manifest names */
    long long base_size;      /* current_size after the last rewrite or load */
    long long last_incr_size; /* bytes of the current incr part */
    long long last_fsync_ms;
    long long fsync_offset; /* current_size when the last fsync was queued */
    uint64_t delayed_fsync;
    int last_write_ok;
    int last_write_errno;
    /* rewrite */
    int rewriting; /* our child runs */
    int rewrite_scheduled;
    long long rewrite_start_ms;
    long long last_rewrite_secs;
    int last_rewrite_ok;
    long long last_rewrite_fail_ms;
    long long rewrites, consecutive_failures;
    long long rewrite_incr_seq; /* the first incr part the new base does not cover */
    long long rewrite_base_seq;
    int rewrite_rdb;
    fsync_worker worker;
} aof_state;

void aof_init(server *srv) {
    if (srv->aof) return;
    aof_state *a = sk_calloc(1, sizeof(*a));
    aof_manifest_init(&a->man);
    sbuf_init(&a->buf);
    a->fd = -1;
    a->selected_db = -1;
    a->last_write_ok = 1;
    a->last_rewrite_ok = 1;
    a->last_rewrite_secs = -1;
    srv->aof = a;
}

static const char *dirname_of(const server *srv) {
    return srv->cfg->appenddirname ? srv->cfg->appenddirname : "appendonlydir";
}

static const char *prefix_of(const server *srv) {
    return srv->cfg->appendfilename ? srv->cfg->appendfilename : "appendonly.aof";
}

static sstr path_in(const char *dir, const char *name) {
    return sstr_catfmt(sstr_empty(), "%s/%s", dir, name);
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* ---------------------------------------------------------------- manifest */

/* Replaces the manifest atomically: temp file, fsync, rename, fsync dir. */
static int persist_manifest(server *srv, const aof_manifest *m) {
    const char *dir = dirname_of(srv);
    sstr name = aof_manifest_name(prefix_of(srv));
    sstr tmpname = sstr_catfmt(sstr_empty(), "temp-%s", name);
    sstr path = path_in(dir, name), tmp = path_in(dir, tmpname);
    sbuf text;
    sbuf_init(&text);
    aof_manifest_format(m, &text);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        rc = -errno;
        goto cleanup;
    }
    size_t off = 0;
    while (off < text.len) {
        ssize_t n = write(fd, text.data + off, text.len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = -errno;
            break;
        }
        off += (size_t)n;
    }
    if (rc == 0 && fsync(fd) < 0) rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0) rc = -errno;
    if (rc == 0) rc = fsync_dir(dir);
    if (rc < 0) unlink(tmp);
cleanup:
    if (rc < 0) log_warning("Can't persist the AOF manifest %s: %s", path, strerror(-rc));
    sbuf_free(&text);
    sstr_free(name);
    sstr_free(tmpname);
    sstr_free(path);
    sstr_free(tmp);
    return rc;
}

/* Reads dir/manifest into m. 0 (m filled), SK_ENOTFOUND (no manifest), or
 * SK_ECORRUPT / -errno with err. */
static int read_manifest(const char *dir, const char *prefix, aof_manifest *m, char *err,
                         size_t errlen) {
    sstr name = aof_manifest_name(prefix);
    sstr path = path_in(dir, name);
    int rc = 0;
    sbuf text;
    sbuf_init(&text);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        rc = errno == ENOENT ? SK_ENOTFOUND : -errno;
        if (rc != SK_ENOTFOUND)
            snprintf(err, errlen, "Can't open the AOF manifest %s: %s", path, strerror(errno));
        goto cleanup;
    }
    for (;;) {
        sbuf_reserve(&text, 4096);
        ssize_t n = read(fd, text.data + text.len, 4096);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = -errno;
            snprintf(err, errlen, "Can't read the AOF manifest %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        sbuf_set_len(&text, text.len + (size_t)n);
    }
    close(fd);
    if (rc == 0) {
        char why[256];
        rc = aof_manifest_parse(m, text.data ? text.data : "", text.len, why, sizeof(why));
        if (rc < 0) snprintf(err, errlen, "Bad AOF manifest %s: %s", path, why);
    }
cleanup:
    sbuf_free(&text);
    sstr_free(name);
    sstr_free(path);
    return rc;
}

/* ----------------------------------------------------------------- writing */

static void aof_sink(server *srv, void *ud, int dbid, sstr *argv, int argc, int flags) {
    (void)ud;
    (void)flags;
    aof_state *a = srv->aof;
    /* While waiting for the first base, writes before the fork are in it. */
    if (a->status == AOF_WAIT_REWRITE && !a->rewriting) return;
    if (a->status == AOF_OFF) return;
    /* aof-timestamp-enabled: Redis's "#TS:<unix seconds>" annotation each
     * time the second changes (loaders skip it). */
    if (srv->cfg->aof_timestamp_enabled && srv->mstime / 1000 != a->last_ts) {
        a->last_ts = srv->mstime / 1000;
        sbuf_appendf(&a->buf, "#TS:%lld\r\n", a->last_ts);
    }
    if (dbid != a->selected_db) {
        char num[24];
        int n = snprintf(num, sizeof(num), "%d", dbid);
        sstr sel[2] = {sstr_from_cstr("SELECT"), sstr_new(num, (size_t)n)};
        aof_format_command(&a->buf, sel, 2);
        sstr_free(sel[0]);
        sstr_free(sel[1]);
        a->selected_db = dbid;
    }
    aof_format_command(&a->buf, argv, argc);
}

static void add_sink(server *srv) {
    if (srv->aof->sink_added) return;
    propagate_add_sink(srv, aof_sink, NULL);
    srv->aof->sink_added = 1;
}

static void remove_sink(server *srv) {
    if (!srv->aof->sink_added) return;
    propagate_remove_sink(srv, aof_sink, NULL);
    srv->aof->sink_added = 0;
}

/* Writes the buffer to the incr part. 0, or -errno (what is not written
 * stays in the buffer for the next try). */
static int write_buffer(server *srv) {
    aof_state *a = srv->aof;
    if (a->fd < 0 || a->buf.len == 0) return 0;
    size_t off = 0;
    int rc = 0;
    while (off < a->buf.len) {
        ssize_t n = write(a->fd, a->buf.data + off, a->buf.len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = -errno;
            break;
        }
        off += (size_t)n;
    }
    sbuf_consume(&a->buf, off);
    a->current_size += (long long)off;
    a->last_incr_size += (long long)off;
    if (rc < 0) {
        if (a->last_write_ok) log_warning("Error writing to the AOF file: %s", strerror(-rc));
        a->last_write_ok = 0;
        a->last_write_errno = -rc;
        if (srv->cfg->appendfsync == AOF_FSYNC_ALWAYS) {
            /* As Redis: replies may not go out unpersisted, and there is no
             * way to take back what is partly written. */
            log_warning("Can't recover from AOF write error when the AOF fsync policy is "
                        "'always'. Exiting...");
            _exit(1);
        }
        return rc;
    }
    if (!a->last_write_ok) log_warning("AOF write error looks solved. Redis can write again.");
    a->last_write_ok = 1;
    return 0;
}

static void fsync_now(server *srv) {
    aof_state *a = srv->aof;
    if (a->fd < 0) return;
    if (fdatasync(a->fd) < 0) {
        log_warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
                    "%s. Exiting...",
                    strerror(errno));
        _exit(1);
    }
    a->last_fsync_ms = srv->mstime;
    a->fsync_offset = a->current_size;
}

static void fsync_maybe_background(server *srv, int force) {
    aof_state *a = srv->aof;
    if (a->fd < 0 || a->fsync_offset == a->current_size) return;
    if (!force && srv->mstime - a->last_fsync_ms < 1000) return;
    if (worker_submit(&a->worker, a->fd, 0, 1) < 0) {
        if (a->worker.started) {
            a->delayed_fsync++; /* the previous fsync still runs: try later */
            return;
        }
        fdatasync(a->fd);
    }
    a->last_fsync_ms = srv->mstime;
    a->fsync_offset = a->current_size;
}

static void flush_aof(server *srv, int fsync_always_only) {
    aof_state *a = srv->aof;
    if (!a || a->fd < 0) return;
    int policy = srv->cfg->appendfsync;
    if (fsync_always_only && policy != AOF_FSYNC_ALWAYS) return;
    if (a->buf.len && write_buffer(srv) < 0) return;
    if (policy == AOF_FSYNC_ALWAYS)
        fsync_now(srv);
    else if (policy == AOF_FSYNC_EVERYSEC)
        fsync_maybe_background(srv, 0);
}

void aof_before_sleep(server *srv) {
    if (srv->aof && srv->aof->buf.len) flush_aof(srv, 0);
}

void aof_flush_before_reply(server *srv) {
    aof_state *a = srv->aof;
    if (a && a->buf.len && srv->cfg->appendfsync == AOF_FSYNC_ALWAYS) flush_aof(srv, 1);
}

/* Opens (creating) the incr part name for appending. fd or -errno. */
static int open_incr(server *srv, const char *name) {
    sstr path = path_in(dirname_of(srv), name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    int rc = fd < 0 ? -errno : fd;
    if (fd < 0) log_warning("Can't open the append-only file %s: %s", path, strerror(errno));
    sstr_free(path);
    return rc;
}

/* Hands the previous incr part to the worker (fsync + close) or closes it. */
static void retire_fd(server *srv, int fd) {
    if (fd < 0) return;
    if (worker_submit(&srv->aof->worker, fd, 1, 0) < 0) {
        fdatasync(fd);
        close(fd);
    }
}

/* Starts a new incr part (seq + 1) and switches writes to it; persists the
 * manifest unless waiting for the first base. 0 or < 0. */
static int switch_incr(server *srv, int persist) {
    aof_state *a = srv->aof;
    flush_aof(srv, 0);
    long long seq = a->man.curr_incr_seq + 1;
    sstr name = aof_incr_name(prefix_of(srv), seq);
    int fd = open_incr(srv, name);
    if (fd < 0) {
        sstr_free(name);
        return fd;
    }
    aof_manifest_add_incr(&a->man, name, seq);
    sstr_free(name);
    if (persist && persist_manifest(srv, &a->man) < 0) {
        /* Leave things as they were: the old part stays the current one. */
        a->man.nincr--;
        sstr_free(a->man.incr[a->man.nincr].name);
        a->man.curr_incr_seq = seq - 1;
        close(fd);
        return SK_EINVAL;
    }
    retire_fd(srv, a->fd);
    a->fd = fd;
    a->last_incr_size = 0;
    a->selected_db = -1; /* a part must stand on its own: SELECT again */
    a->last_ts = 0;
    return 0;
}

/* ------------------------------------------------------------ the base */

typedef struct fd_writer {
    int fd;
} fd_writer;

static int write_all(int fd, const void *p, size_t len) {
    const char *c = p;
    while (len) {
        ssize_t n = write(fd, c, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A base of commands: per db SELECT, then per key RESTORE key ttl payload
 * ABSTTL (a DUMP payload keeps every type and encoding detail, and
 * redis-server loads it the same way). */
static int write_command_base(server *srv, int fd) {
    sbuf out;
    sbuf_init(&out);
    sbuf payload;
    sbuf_init(&payload);
    int rc = 0;
    for (int i = 0; i < srv->dbnum && rc == 0; i++) {
        sdb *db = &srv->dbs[i];
        if (dict_size(db->keys) == 0) continue;
        sstr sel[2] = {sstr_from_cstr("SELECT"), sstr_from_ll(i)};
        aof_format_command(&out, sel, 2);
        sstr_free(sel[0]);
        sstr_free(sel[1]);
        dict_iter it;
        dict_iter_init(&it, db->keys, 1);
        dict_entry *de;
        while (rc == 0 && (de = dict_iter_next(&it))) {
            sbuf_clear(&payload);
            if (rdb_dump_payload(&payload, de->v.val) < 0) continue;
            long long when = db_get_expire(db, de->key);
            sstr argv[5] = {sstr_from_cstr("RESTORE"), de->key, sstr_from_ll(when < 0 ? 0 : when),
                            sstr_new(payload.data, payload.len), sstr_from_cstr("ABSTTL")};
            aof_format_command(&out, argv, when < 0 ? 4 : 5);
            sstr_free(argv[0]);
            sstr_free(argv[2]);
            sstr_free(argv[3]);
            sstr_free(argv[4]);
            if (out.len >= AOF_READ_CHUNK) {
                rc = write_all(fd, out.data, out.len);
                sbuf_clear(&out);
            }
        }
        dict_iter_release(&it);
    }
    if (rc == 0 && out.len) rc = write_all(fd, out.data, out.len);
    sbuf_free(&out);
    sbuf_free(&payload);
    return rc;
}

/* Writes the dataset to path (a temp name) as an RDB file or commands,
 * fsynced. 0 or < 0. */
static int write_base(server *srv, const char *path, int rdb) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -errno;
    int rc = rdb ? rdb_save_stream_flags(srv, NULL, RDB_SAVE_AOF_BASE, rdb_fd_write, &fd)
                 : write_command_base(srv, fd);
    if (rc == 0 && fsync(fd) < 0) rc = -errno;
    close(fd);
    return rc;
}

static sstr temp_base_path(server *srv, long long pid) {
    return sstr_catfmt(sstr_empty(), "%s/temp-rewriteaof-bg-%lld.aof", dirname_of(srv), pid);
}

/* Deletes the history parts and forgets them (best effort). */
static void delete_history(server *srv) {
    aof_state *a = srv->aof;
    if (a->man.nhist == 0) return;
    for (int i = 0; i < a->man.nhist; i++) {
        sstr p = path_in(dirname_of(srv), a->man.hist[i].name);
        if (unlink(p) < 0 && errno != ENOENT)
            log_warning("Can't remove the old AOF file %s: %s", p, strerror(errno));
        else
            log_notice("Removing the history file %s in the background", a->man.hist[i].name);
        sstr_free(p);
        sstr_free(a->man.hist[i].name);
    }
    sk_free(a->man.hist);
    a->man.hist = NULL;
    a->man.nhist = 0;
    persist_manifest(srv, &a->man);
}

/* Sizes of the parts the manifest names. */
static long long parts_size(server *srv) {
    aof_state *a = srv->aof;
    long long total = 0;
    const char *dir = dirname_of(srv);
    if (a->man.base) {
        sstr p = path_in(dir, a->man.base->name);
        total += file_size(p);
        sstr_free(p);
    }
    for (int i = 0; i < a->man.nincr; i++) {
        sstr p = path_in(dir, a->man.incr[i].name);
        long long sz = file_size(p);
        if (i == a->man.nincr - 1) a->last_incr_size = sz;
        total += sz;
        sstr_free(p);
    }
    return total;
}

/* The child finished: install the new base, or give up this attempt. */
static void rewrite_done(server *srv, int ok, void *ud) {
    (void)ud;
    aof_state *a = srv->aof;
    sstr tmp = temp_base_path(srv, (long long)a->rewrite_start_ms);
    a->rewriting = 0;
    a->last_rewrite_secs = (srv->mstime - a->rewrite_start_ms + 500) / 1000;
    if (!ok || a->status == AOF_OFF) {
        if (ok) log_notice("AOF rewrite finished after AOF was turned off: discarded");
        unlink(tmp);
        goto failed;
    }
    sstr name = aof_base_name(prefix_of(srv), a->rewrite_base_seq, a->rewrite_rdb);
    sstr path = path_in(dirname_of(srv), name);
    if (rename(tmp, path) < 0) {
        log_warning("Can't rename the temp AOF base %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        sstr_free(name);
        sstr_free(path);
        goto failed;
    }
    fsync_dir(dirname_of(srv));
    /* Flush first: what is buffered belongs to the current (kept) part. */
    flush_aof(srv, 0);
    sbuf before; /* the manifest as it was, to go back to */
    sbuf_init(&before);
    aof_manifest_format(&a->man, &before);
    aof_manifest_set_base(&a->man, name, a->rewrite_base_seq);
    aof_manifest_retire(&a->man, a->rewrite_incr_seq - 1);
    int persisted = persist_manifest(srv, &a->man);
    if (persisted < 0) {
        /* The old parts still exist and the old manifest (if any) names
         * them: the new base is simply not used. */
        unlink(path);
        aof_manifest back;
        char why[256];
        if (aof_manifest_parse(&back, before.data ? before.data : "", before.len, why,
                               sizeof(why)) == 0) {
            aof_manifest_clear(&a->man);
            a->man = back;
        }
    }
    sbuf_free(&before);
    sstr_free(name);
    sstr_free(path);
    if (persisted < 0) goto failed;
    delete_history(srv);
    if (a->status == AOF_WAIT_REWRITE) {
        a->status = AOF_ON;
        log_notice("Background AOF rewrite finished successfully: AOF is on");
    } else {
        log_notice("Background AOF rewrite finished successfully");
    }
    a->current_size = parts_size(srv);
    a->base_size = a->current_size;
    a->last_rewrite_ok = 1;
    a->consecutive_failures = 0;
    a->rewrites++;
    sstr_free(tmp);
    return;
failed:
    log_warning("Background AOF rewrite terminated with error");
    a->last_rewrite_ok = 0;
    a->last_rewrite_fail_ms = srv->mstime;
    a->consecutive_failures++;
    sstr_free(tmp);
}

static int start_rewrite(server *srv) {
    aof_state *a = srv->aof;
    if (a->rewriting) return SK_EBUSY;
    if (child_running(srv)) {
        a->rewrite_scheduled = 1;
        return 1;
    }
    if (mkdir(dirname_of(srv), 0755) < 0 && errno != EEXIST) {
        log_warning("Can't create the AOF directory %s: %s", dirname_of(srv), strerror(errno));
        return -errno;
    }
    /* Writes from the fork on go to a new part the new base does not cover. */
    int rc = switch_incr(srv, a->status == AOF_ON);
    if (rc < 0) return rc;
    a->rewrite_incr_seq = a->man.curr_incr_seq;
    a->rewrite_base_seq = a->man.curr_base_seq + 1;
    a->rewrite_rdb = srv->cfg->aof_use_rdb_preamble;
    /* The temp name is fixed before the fork: both sides know it. */
    a->rewrite_start_ms = server_ustime_now() / 1000;
    server_update_time(srv);
    long long key = a->rewrite_start_ms;
    int pid = child_fork(srv, "aof-rewrite", rewrite_done, NULL);
    if (pid == 0) {
        sstr tmp = temp_base_path(srv, key);
        int r = write_base(srv, tmp, a->rewrite_rdb);
        if (r < 0) {
            log_warning("Write error writing the AOF base %s: %s", tmp, strerror(-r));
            unlink(tmp);
        } else {
            log_notice("Successfully created the temporary AOF base file %s", tmp);
        }
        child_exit(r < 0 ? 1 : 0);
    }
    if (pid < 0) {
        a->last_rewrite_ok = 0;
        a->last_rewrite_fail_ms = srv->mstime;
        a->consecutive_failures++;
        return pid == SK_EBUSY ? (a->rewrite_scheduled = 1) : pid;
    }
    a->rewriting = 1;
    a->rewrite_scheduled = 0;
    log_notice("Background append only file rewriting started by pid %d", pid);
    return 0;
}

int aof_rewrite_background(server *srv) {
    aof_init(srv);
    return start_rewrite(srv);
}

/* ---------------------------------------------------------------- loading */

static const command *resolve(server *srv, client *c) {
    const command *cmd = command_lookup(srv, c->argv[0]);
    if (cmd && c->argc >= 2) {
        const command *sub = command_lookup_sub(cmd, c->argv[1]);
        if (sub) cmd = sub;
    }
    if (!cmd) return NULL;
    if (cmd->arity > 0 ? c->argc != cmd->arity : c->argc < -cmd->arity) return NULL;
    return cmd;
}

/* Runs one loaded command on the fake client (argv taken). */
static int run_loaded(server *srv, client *c, sstr *argv, int argc, char *err, size_t errlen) {
    c->argv = argv;
    c->argc = argc;
    const command *cmd = resolve(srv, c);
    int rc = 0;
    if (!cmd) {
        snprintf(err, errlen, "Unknown command '%.64s' reading the append only file", argv[0]);
        rc = SK_ECORRUPT;
        goto cleanup;
    }
    c->cmd = cmd;
    int control =
        !strcmp(cmd->name, "exec") || !strcmp(cmd->name, "multi") || !strcmp(cmd->name, "discard");
    if ((c->flags & CLIENT_MULTI) && !control) {
        multi_queue_command(c);
    } else {
        srv->current_client = c;
        command_call(c);
        srv->current_client = NULL;
    }
cleanup:
    aof_free_argv(c->argv, c->argc);
    c->argv = NULL;
    c->argc = 0;
    sbuf_clear(&c->reply);
    c->sentlen = 0;
    return rc;
}

/* Loads one part of commands. *valid_up_to: the end of the last whole
 * command outside a transaction. Returns 0, 1 (the file ends inside a
 * command or transaction), or < 0 with err. */
static int load_command_file(server *srv, client *c, const char *path, long long *valid_up_to,
                             long long *commands, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        return -errno;
    }
    sbuf in;
    sbuf_init(&in);
    size_t start = 0;           /* unparsed bytes begin at in.data + start */
    long long file_off = 0;     /* file offset of in.data[0] */
    long long before_multi = 0; /* valid_up_to when MULTI was read */
    int rc = 0, eof = 0;
    *valid_up_to = 0;
    long long max_bulk = srv->cfg->proto_max_bulk_len;
    if (max_bulk < 512LL * 1024 * 1024) max_bulk = 512LL * 1024 * 1024;
    for (;;) {
        sstr *argv;
        int argc;
        size_t used;
        char why[128];
        int r = aof_parse_command(in.data ? in.data + start : "", in.len - start, max_bulk, &argv,
                                  &argc, &used, why, sizeof(why));
        if (r < 0) {
            snprintf(err, errlen, "%s %s at offset %lld", why, path, file_off + (long long)start);
            rc = SK_ECORRUPT;
            break;
        }
        if (r == 0) {
            if (eof) {
                rc = (in.len - start - used) > 0 || (c->flags & CLIENT_MULTI) ? 1 : 0;
                if (c->flags & CLIENT_MULTI) *valid_up_to = before_multi;
                break;
            }
            /* Need more bytes: drop what is parsed, read on. */
            sbuf_consume(&in, start);
            file_off += (long long)start;
            start = 0;
            sbuf_reserve(&in, AOF_READ_CHUNK);
            ssize_t n = read(fd, in.data + in.len, AOF_READ_CHUNK);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                snprintf(err, errlen, "Error reading %s: %s", path, strerror(errno));
                rc = -errno;
                break;
            }
            if (n == 0)
                eof = 1;
            else
                sbuf_set_len(&in, in.len + (size_t)n);
            continue;
        }
        start += used;
        int was_multi = (c->flags & CLIENT_MULTI) != 0;
        if (!was_multi && argc == 1 && !strcasecmp(argv[0], "multi")) before_multi = *valid_up_to;
        rc = run_loaded(srv, c, argv, argc, err, errlen);
        if (rc < 0) break;
        (*commands)++;
        if (!(c->flags & CLIENT_MULTI)) *valid_up_to = file_off + (long long)start;
    }
    sbuf_free(&in);
    close(fd);
    return rc;
}

/* Reads the first bytes of path: 1 if it is an RDB file. */
static int is_rdb_file(const char *path) {
    char magic[5];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, magic, sizeof(magic));
    close(fd);
    return n == 5 && !memcmp(magic, "REDIS", 5);
}

static int load_parts(server *srv, const char *dir, const aof_manifest *m, char *err,
                      size_t errlen) {
    int total = (m->base ? 1 : 0) + m->nincr;
    int rc = 0;
    long long commands = 0;
    /* Check that every part exists before changing anything. */
    for (int i = 0; i < total && rc == 0; i++) {
        const aof_part *p = (m->base && i == 0) ? m->base : &m->incr[i - (m->base ? 1 : 0)];
        sstr path = path_in(dir, p->name);
        if (access(path, R_OK) < 0) {
            snprintf(err, errlen, "The AOF file %s doesn't exist or can't be read: %s", path,
                     strerror(errno));
            rc = SK_ECORRUPT;
        }
        sstr_free(path);
    }
    for (int i = 0; i < total && rc == 0; i++) {
        const aof_part *p = (m->base && i == 0) ? m->base : &m->incr[i - (m->base ? 1 : 0)];
        int last = i == total - 1;
        sstr path = path_in(dir, p->name);
        if (p->type == AOF_PART_BASE && is_rdb_file(path)) {
            rdb_load_info info;
            rc = rdb_load_file(srv, path, 0, &info, err, errlen);
            if (rc == 0) log_notice("Loaded the AOF base %s (RDB): %lld keys", p->name, info.keys);
            sstr_free(path);
            continue;
        }
        long long valid = 0;
        /* A fresh client per part, in db 0, as Redis: each part selects its db. */
        client *c = client_create(srv, NULL, CLIENT_FAKE);
        c->authenticated = 1;
        int r = load_command_file(srv, c, path, &valid, &commands, err, errlen);
        if (c->flags & CLIENT_MULTI) multi_discard(c);
        client_free(c);
        if (r == 1) {
            if (!last) {
                snprintf(err, errlen,
                         "Unexpected end of file in %s, which is not the last AOF file", path);
                rc = SK_ECORRUPT;
            } else if (!srv->cfg->aof_load_truncated) {
                snprintf(err, errlen,
                         "Unexpected end of file reading the append only file %s. You can: 1) "
                         "Make a backup of your AOF file, then use ./redis-check-aof --fix "
                         "<filename.manifest>. 2) Alternatively you can set the "
                         "'aof-load-truncated' configuration option to yes and restart the "
                         "server.",
                         path);
                rc = SK_ECORRUPT;
            } else {
                log_warning("!!! Warning: short read while loading the AOF file %s!!!", path);
                log_warning("!!! Truncating the AOF %s at offset %lld !!!", path, valid);
                if (truncate(path, valid) < 0) {
                    snprintf(err, errlen, "Error truncating the AOF file %s: %s", path,
                             strerror(errno));
                    rc = -errno;
                } else {
                    log_warning("AOF %s loaded anyway because aof-load-truncated is enabled", path);
                }
            }
        } else if (r < 0) {
            rc = r;
        }
        sstr_free(path);
    }
    if (rc == 0) log_notice("AOF loaded: %lld commands from %d file(s)", commands, total);
    return rc;
}

int aof_load_dir(server *srv, const char *dir, const char *prefix, char *err, size_t errlen) {
    aof_manifest m;
    int rc = read_manifest(dir, prefix, &m, err, errlen);
    if (rc == SK_ENOTFOUND) {
        snprintf(err, errlen, "No AOF manifest in %s", dir);
        return rc;
    }
    if (rc < 0) return rc;
    srv->loading = 1;
    rc = load_parts(srv, dir, &m, err, errlen);
    srv->loading = 0;
    aof_manifest_clear(&m);
    return rc;
}

/* Creates the AOF from scratch at start: dir, base of the current (empty)
 * dataset, first incr part, manifest - as Redis 7.0 on a first start. */
static int create_at_start(server *srv, char *err, size_t errlen) {
    aof_state *a = srv->aof;
    const char *dir = dirname_of(srv);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "Can't create the AOF directory %s: %s", dir, strerror(errno));
        return -errno;
    }
    int rdb = srv->cfg->aof_use_rdb_preamble;
    long long seq = a->man.curr_base_seq + 1;
    sstr name = aof_base_name(prefix_of(srv), seq, rdb);
    sstr path = path_in(dir, name);
    int rc = write_base(srv, path, rdb);
    if (rc < 0) {
        snprintf(err, errlen, "Can't write the AOF base %s: %s", path, strerror(-rc));
    } else {
        log_notice("Creating AOF base file %s on server start", name);
        aof_manifest_set_base(&a->man, name, seq);
    }
    sstr_free(name);
    sstr_free(path);
    return rc;
}

/* Opens the last incr part (or a new one) for appending. */
static int open_for_append(server *srv, char *err, size_t errlen) {
    aof_state *a = srv->aof;
    int rc;
    if (a->man.nincr == 0) {
        rc = switch_incr(srv, 1);
        if (rc < 0) {
            snprintf(err, errlen, "Can't create the AOF incr file in %s", dirname_of(srv));
            return rc;
        }
        log_notice("Creating AOF incr file %s on server start", a->man.incr[0].name);
    } else {
        rc = open_incr(srv, a->man.incr[a->man.nincr - 1].name);
        if (rc < 0) {
            snprintf(err, errlen, "Can't open the AOF file %s for appending",
                     a->man.incr[a->man.nincr - 1].name);
            return rc;
        }
        a->fd = rc;
        if (persist_manifest(srv, &a->man) < 0) {
            snprintf(err, errlen, "Can't write the AOF manifest");
            return SK_EINVAL;
        }
    }
    a->status = AOF_ON;
    a->current_size = parts_size(srv);
    a->base_size = a->current_size;
    a->fsync_offset = a->current_size;
    worker_start(&a->worker);
    add_sink(srv);
    return 0;
}

int aof_load_at_start(server *srv, char *err, size_t errlen) {
    aof_init(srv);
    aof_state *a = srv->aof;
    const char *dir = dirname_of(srv);
    int rc = read_manifest(dir, prefix_of(srv), &a->man, err, errlen);
    if (!srv->cfg->appendonly) {
        /* Kept for the sequence numbers of a later CONFIG SET appendonly yes. */
        if (rc < 0 && rc != SK_ENOTFOUND) {
            log_warning("%s (ignored: appendonly is no)", err);
            aof_manifest_clear(&a->man);
        }
        return 0;
    }
    if (rc < 0 && rc != SK_ENOTFOUND) return rc;
    if (rc == SK_ENOTFOUND && access(prefix_of(srv), F_OK) == 0) {
        /* Redis 7.0 would turn it into the base of a new directory; we do
         * not, and starting empty would silently drop its data. */
        snprintf(err, errlen,
                 "Found the single-file AOF %s of a Redis older than 7.0 but no %s/%s.manifest: "
                 "upgrading it is not supported; load it with redis-server 7.0 once (it "
                 "converts it), or move it away",
                 prefix_of(srv), dir, prefix_of(srv));
        return SK_ECORRUPT;
    }
    if (rc == 0) {
        long long start = server_ustime_now();
        srv->loading = 1;
        server_update_time(srv);
        rc = load_parts(srv, dir, &a->man, err, errlen);
        srv->loading = 0;
        if (rc < 0) return rc;
        srv->dirty = 0; /* what was just loaded is on disk already */
        /* Replayed commands are not commands served (Redis counts none). */
        commands_reset_stats(srv);
        srv->stat_numcommands = 0;
        log_notice("DB loaded from append only file: %.3f seconds",
                   (double)(server_ustime_now() - start) / 1e6);
        /* History parts left by an interrupted cleanup. */
        if (a->man.nhist) delete_history(srv);
    }
    if (!a->man.base && a->man.nincr == 0 && create_at_start(srv, err, errlen) < 0) return -1;
    return open_for_append(srv, err, errlen);
}

/* ----------------------------------------------------------- run time */

static void stop_aof(server *srv) {
    aof_state *a = srv->aof;
    flush_aof(srv, 0);
    retire_fd(srv, a->fd); /* after any fsync still queued for it */
    a->fd = -1;
    if (a->rewriting) child_kill(srv); /* runs rewrite_done(ok = 0) */
    a->rewrite_scheduled = 0;
    a->status = AOF_OFF;
    remove_sink(srv);
    sbuf_clear(&a->buf);
    a->selected_db = -1;
}

int aof_apply_config(server *srv, char *err, size_t errlen) {
    aof_init(srv);
    aof_state *a = srv->aof;
    int want = srv->cfg->appendonly;
    if (want && a->status == AOF_OFF) {
        worker_start(&a->worker);
        a->status = AOF_WAIT_REWRITE;
        a->selected_db = -1;
        add_sink(srv);
        int rc = start_rewrite(srv);
        if (rc < 0) {
            stop_aof(srv);
            snprintf(err, errlen, "Can't start the AOF: %s", sk_strerror(rc));
            return -1;
        }
        if (rc == 1)
            log_notice("AOF was enabled but there is already another background operation. An "
                       "AOF background was scheduled to start when possible.");
    } else if (!want && a->status != AOF_OFF) {
        stop_aof(srv);
        log_notice("AOF is off");
    }
    return 0;
}

void aof_cron(server *srv) {
    aof_state *a = srv->aof;
    if (!a || a->status == AOF_OFF) return;
    if (!child_running(srv) && !a->rewriting) {
        int retry_wait = !a->last_rewrite_ok &&
                         srv->mstime - a->last_rewrite_fail_ms < AOF_REWRITE_RETRY_SECS * 1000;
        if (a->rewrite_scheduled && !retry_wait) {
            start_rewrite(srv);
        } else if (a->status == AOF_WAIT_REWRITE && !retry_wait) {
            start_rewrite(srv);
        } else if (a->status == AOF_ON && srv->cfg->auto_aof_rewrite_percentage > 0 &&
                   a->current_size > srv->cfg->auto_aof_rewrite_min_size && !retry_wait) {
            long long base = a->base_size ? a->base_size : 1;
            long long growth = (a->current_size * 100 / base) - 100;
            if (growth >= srv->cfg->auto_aof_rewrite_percentage) {
                log_notice("Starting automatic rewriting of AOF on %lld%% growth", growth);
                start_rewrite(srv);
            }
        }
    }
    /* A failed write is retried here too; everysec fsyncs at most each second. */
    if (a->buf.len) flush_aof(srv, 0);
    if (srv->cfg->appendfsync == AOF_FSYNC_EVERYSEC) fsync_maybe_background(srv, 0);
}

int aof_shutdown(server *srv) {
    aof_state *a = srv->aof;
    if (!a || a->fd < 0) return 0;
    int rc = write_buffer(srv);
    if (fdatasync(a->fd) < 0) rc = -errno;
    if (rc < 0) log_warning("Error writing the AOF at shutdown: %s", strerror(-rc));
    return rc;
}

void aof_free(server *srv) {
    aof_state *a = srv->aof;
    if (!a) return;
    aof_shutdown(srv);
    worker_stop(&a->worker);
    if (a->fd >= 0) close(a->fd);
    remove_sink(srv);
    aof_manifest_clear(&a->man);
    sbuf_free(&a->buf);
    sk_free(a);
    srv->aof = NULL;
}

int aof_writes_refused(const server *srv) {
    const aof_state *a = srv->aof;
    return a && a->status != AOF_OFF && !a->last_write_ok;
}

void aof_misconf_error(const server *srv, char *out, size_t outlen) {
    snprintf(out, outlen, "MISCONF Errors writing to the AOF file: %s",
             strerror(srv->aof ? srv->aof->last_write_errno : EIO));
}

void aof_info(server *srv, sbuf *o) {
    aof_init(srv);
    aof_state *a = srv->aof;
    long long cur = a->rewriting ? (srv->mstime - a->rewrite_start_ms) / 1000 : -1;
    sbuf_appendf(o,
                 "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n"
                 "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n"
                 "aof_last_bgrewrite_status:%s\r\naof_rewrites:%lld\r\n"
                 "aof_rewrites_consecutive_failures:%lld\r\naof_last_write_status:%s\r\n"
                 "aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n"
                 "module_fork_last_cow_size:0\r\n",
                 a->status != AOF_OFF, a->rewriting, a->rewrite_scheduled, a->last_rewrite_secs,
                 cur, a->last_rewrite_ok ? "ok" : "err", a->rewrites, a->consecutive_failures,
                 a->last_write_ok ? "ok" : "err");
    if (a->status != AOF_OFF)
        sbuf_appendf(o,
                     "aof_current_size:%lld\r\naof_base_size:%lld\r\naof_pending_rewrite:%d\r\n"
                     "aof_buffer_length:%zu\r\naof_pending_bio_fsync:%d\r\n"
                     "aof_delayed_fsync:%llu\r\n",
                     a->current_size, a->base_size, a->rewrite_scheduled, a->buf.len,
                     worker_pending(&a->worker), (unsigned long long)a->delayed_fsync);
}

/* ---------------------------------------------------------------- command */

static void bgrewriteaof_command(client *c) {
    aof_init(c->srv);
    if (c->srv->aof->rewriting) {
        add_reply_error(c, "ERR Background append only file rewriting already in progress");
        return;
    }
    int rc = start_rewrite(c->srv);
    if (rc == 1)
        add_reply_simple(c, "Background append only file rewriting scheduled");
    else if (rc < 0)
        add_reply_error(c, "ERR Can't execute an AOF background rewriting. Please check the "
                           "server logs for more information.");
    else
        add_reply_simple(c, "Background append only file rewriting started");
}

const command cmds_aof[] = {
    {"bgrewriteaof", bgrewriteaof_command, 1, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0, "server",
     "Asynchronously rewrite the append-only file", "1.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
