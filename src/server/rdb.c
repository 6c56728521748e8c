/* rdb.c - RDB files: the file layer around rdb_value.c; see rdb.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <strings.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/crc64.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "child.h"
#include "config.h"
#include "rdb.h"
#include "rdb_value.h"

/* Opcodes, as Redis numbers them. */
#define OP_FUNCTION2 245
#define OP_FUNCTION_PRE_GA 246
#define OP_MODULE_AUX 247
#define OP_IDLE 248
#define OP_FREQ 249
#define OP_AUX 250
#define OP_RESIZEDB 251
#define OP_EXPIRETIME_MS 252
#define OP_EXPIRETIME 253
#define OP_SELECTDB 254
#define OP_EOF 255

#define RDB_MIN_VERSION 1
#define RDB_FIRST_CHECKSUM_VERSION 5
#define WRITE_CHUNK (64 * 1024)
#define SEALKV_REDIS_VER "7.0.15"

/* ================================================================ saving */

typedef struct writer {
    sbuf buf;
    uint64_t crc;
    rdb_write_fn *w;
    void *ud;
} writer;

static int flush(writer *wr) {
    if (!wr->buf.len) return 0;
    wr->crc = crc64(wr->crc, wr->buf.data, wr->buf.len);
    int rc = wr->w(wr->ud, wr->buf.data, wr->buf.len);
    sbuf_clear(&wr->buf);
    return rc < 0 ? rc : 0;
}

static int maybe_flush(writer *wr) {
    return wr->buf.len >= WRITE_CHUNK ? flush(wr) : 0;
}

static void put_byte(sbuf *b, unsigned v) {
    sbuf_append_char(b, (char)(unsigned char)v);
}

static void put_aux(sbuf *b, const char *key, const char *val) {
    put_byte(b, OP_AUX);
    rdb_write_string(b, key, strlen(key));
    rdb_write_string(b, val, strlen(val));
}

static void put_aux_ll(sbuf *b, const char *key, long long v) {
    char num[32];
    snprintf(num, sizeof(num), "%lld", v);
    put_aux(b, key, num);
}

static void put_header(server *srv, const rdb_save_info *rsi, int flags, sbuf *b) {
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
    sbuf_append(b, magic, 9);
    put_aux(b, "redis-ver", SEALKV_REDIS_VER);
    put_aux_ll(b, "redis-bits", (long long)sizeof(void *) * 8);
    put_aux_ll(b, "ctime", server_ustime_now() / 1000000);
    put_aux_ll(b, "used-mem", (long long)sk_mem_used());
    if (rsi) {
        put_aux_ll(b, "repl-stream-db", rsi->repl_stream_db);
        put_aux(b, "repl-id", rsi->repl_id);
        put_aux_ll(b, "repl-offset", rsi->repl_offset);
    }
    put_aux_ll(b, "aof-base", (flags & RDB_SAVE_AOF_BASE) ? 1 : 0);
    (void)srv;
}

/* LRU idle seconds or the LFU counter, as Redis writes them under an
 * LRU / LFU maxmemory policy. */
static void put_eviction_info(server *srv, sbuf *b, sobj *o) {
    int policy = srv->cfg->maxmemory_policy;
    if (MAXMEMORY_IS_LRU(policy)) {
        put_byte(b, OP_IDLE);
        rdb_write_len(b, obj_idle_ms(srv, o) / 1000);
    } else if (MAXMEMORY_IS_LFU(policy)) {
        put_byte(b, OP_FREQ);
        put_byte(b, obj_lfu_counter(srv, o) & 0xff);
    }
}

static int put_db(server *srv, sdb *db, writer *wr) {
    put_byte(&wr->buf, OP_SELECTDB);
    rdb_write_len(&wr->buf, (uint64_t)db->id);
    put_byte(&wr->buf, OP_RESIZEDB);
    rdb_write_len(&wr->buf, dict_size(db->keys));
    rdb_write_len(&wr->buf, dict_size(db->expires));
    dict_iter it;
    dict_iter_init(&it, db->keys, 0);
    dict_entry *de;
    int rc = 0;
    while ((de = dict_iter_next(&it)) != NULL) {
        sstr key = de->key;
        sobj *o = de->v.val;
        int type = rdb_object_type(o);
        if (type < 0) continue; /* no such values exist; never write half a key */
        long long when = db_get_expire(db, key);
        if (when != -1) {
            put_byte(&wr->buf, OP_EXPIRETIME_MS);
            rdb_write_millis(&wr->buf, when);
        }
        put_eviction_info(srv, &wr->buf, o);
        put_byte(&wr->buf, (unsigned)type);
        rdb_write_string(&wr->buf, key, sstr_len(key));
        rdb_write_object(&wr->buf, o);
        if ((rc = maybe_flush(wr)) < 0) break;
    }
    dict_iter_release(&it);
    return rc;
}

int rdb_save_stream(server *srv, const rdb_save_info *rsi, rdb_write_fn *w, void *ud) {
    return rdb_save_stream_flags(srv, rsi, 0, w, ud);
}

int rdb_save_stream_flags(server *srv, const rdb_save_info *rsi, int flags, rdb_write_fn *w,
                          void *ud) {
    writer wr = {SBUF_INIT, 0, w, ud};
    int rc = 0;
    sbuf_reserve(&wr.buf, WRITE_CHUNK * 2);
    put_header(srv, rsi, flags, &wr.buf);
    for (int i = 0; i < srv->dbnum && rc == 0; i++)
        if (dict_size(srv->dbs[i].keys)) rc = put_db(srv, &srv->dbs[i], &wr);
    if (rc == 0) {
        put_byte(&wr.buf, OP_EOF);
        rc = flush(&wr);
    }
    if (rc == 0) {
        uint64_t crc = srv->cfg->rdbchecksum ? wr.crc : 0;
        unsigned char f[8];
        for (int i = 0; i < 8; i++)
            f[i] = (unsigned char)(crc >> (8 * i));
        rc = w(ud, f, 8);
    }
    sbuf_free(&wr.buf);
    return rc < 0 ? rc : 0;
}

int rdb_fd_write(void *ud, const void *p, size_t len) {
    int fd = *(int *)ud;
    const char *s = p;
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { /* a non-blocking pipe: wait until it drains */
                struct pollfd pfd = {fd, POLLOUT, 0};
                poll(&pfd, 1, -1);
                continue;
            }
            return -errno;
        }
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *out, size_t outlen) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, outlen, ".");
    else if (slash == path)
        snprintf(out, outlen, "/");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

void rdb_temp_path(const char *path, int pid, char *out, size_t outlen) {
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof(dir));
    snprintf(out, outlen, "%s/temp-%d.rdb", dir, pid);
}

int rdb_save_file(server *srv, const char *path, const rdb_save_info *rsi, char *err,
                  size_t errlen) {
    char dir[PATH_MAX], tmp[PATH_MAX + 64];
    dir_of(path, dir, sizeof(dir));
    rdb_temp_path(path, (int)getpid(), tmp, sizeof(tmp));
    /* The data set may hold anything: readable by the server's user only. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen,
                 "Failed opening the temp RDB file %s (in server root dir %s) for "
                 "saving: %s",
                 tmp, dir, strerror(e));
        return -e;
    }
    int rc = rdb_save_stream(srv, rsi, rdb_fd_write, &fd);
    const char *step = "writing";
    if (rc == 0 && fsync(fd) < 0) {
        rc = -errno;
        step = "fsync of";
    }
    if (close(fd) < 0 && rc == 0) {
        rc = -errno;
        step = "closing";
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -errno;
        step = "renaming";
    }
    if (rc < 0) {
        snprintf(err, errlen, "Error %s the temp RDB file %s: %s", step, tmp, sk_strerror(rc));
        unlink(tmp);
        return rc;
    }
    rc = fsync_dir(dir);
    if (rc < 0) {
        snprintf(err, errlen, "fsync of the directory %s: %s", dir, sk_strerror(rc));
        return rc;
    }
    return 0;
}

/* =============================================================== loading */

typedef struct loader {
    server *srv;
    rdb_reader r;
    int version;
    int flags;
    server fresh; /* only .dbs / .dbnum: the dictionaries being filled */
    rdb_load_info info;
    char *err;
    size_t errlen;
} loader;

static int fail(loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(loader *ld, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(ld->err, ld->errlen, "Bad RDB file: %s (at byte %zu of %zu)", msg, ld->r.pos,
             ld->r.len);
    return SK_ECORRUPT;
}

static int truncated(loader *ld, const char *what) {
    if (ld->r.pos >= ld->r.len) return fail(ld, "the file ends inside %s (truncated)", what);
    return fail(ld, "malformed %s", what);
}

static int read_header(loader *ld) {
    const unsigned char *p = ld->r.p;
    if (ld->r.len < 9 || memcmp(p, "REDIS", 5))
        return fail(ld, "wrong signature: not an RDB file (it does not start with REDIS)");
    int v = 0;
    for (int i = 5; i < 9; i++) {
        if (p[i] < '0' || p[i] > '9') return fail(ld, "the version field is not a number");
        v = v * 10 + (p[i] - '0');
    }
    if (v < RDB_MIN_VERSION || v > RDB_VERSION)
        return fail(ld, "can't handle RDB format version %d (this server reads 1 to %d)", v,
                    RDB_VERSION);
    ld->version = v;
    ld->r.pos = 9;
    return 0;
}

static int aux_ll(const sstr v, long long *out) {
    return util_str_to_ll(v, sstr_len(v), out);
}

static int read_aux(loader *ld) {
    sstr k = NULL, v = NULL;
    if (rdb_read_string(&ld->r, &k) < 0) return truncated(ld, "an AUX field name");
    if (rdb_read_string(&ld->r, &v) < 0) {
        sstr_free(k);
        return truncated(ld, "an AUX field value");
    }
    long long n;
    if (!strcasecmp(k, "repl-id") && sstr_len(v) == 40) {
        memcpy(ld->info.repl.repl_id, v, 40);
        ld->info.repl.repl_id[40] = '\0';
        ld->info.has_repl |= 1;
    } else if (!strcasecmp(k, "repl-offset") && aux_ll(v, &n)) {
        ld->info.repl.repl_offset = n;
        ld->info.has_repl |= 2;
    } else if (!strcasecmp(k, "repl-stream-db") && aux_ll(v, &n)) {
        ld->info.repl.repl_stream_db = (int)n;
    } else if (!strcasecmp(k, "aof-base") && aux_ll(v, &n)) {
        ld->info.aof_base = n != 0;
    } else if (!strcasecmp(k, "redis-ver")) {
        snprintf(ld->info.redis_ver, sizeof(ld->info.redis_ver), "%.*s", (int)sstr_len(v), v);
    }
    sstr_free(k);
    sstr_free(v);
    return 0;
}

static const char *type_name(int type) {
    return type == RDB_TYPE_MODULE || type == RDB_TYPE_MODULE_2 ? "a module" : "an unknown";
}

/* One key and its value; expire is -1 or absolute ms, idle / freq -1 or
 * what the IDLE / FREQ opcodes before it said. */
static int read_key(loader *ld, int type, sdb *db, long long expire, long long idle,
                    long long freq) {
    if (type == RDB_TYPE_MODULE || type == RDB_TYPE_MODULE_2)
        return fail(ld, "a key holds a module value (type %d); sealkv has no modules", type);
    sstr key = NULL;
    sobj *o = NULL;
    if (rdb_read_string(&ld->r, &key) < 0) return truncated(ld, "a key name");
    int rc = rdb_read_object(&ld->r, ld->srv, type, &o);
    if (rc < 0) {
        size_t klen = sstr_len(key);
        int show = klen > 64 ? 64 : (int)klen;
        if (rc == SK_EINVAL)
            rc = fail(ld, "key '%.*s' has %s value type %d", show, key, type_name(type), type);
        else
            rc = fail(ld, "%s value of key '%.*s' (type %d)",
                      ld->r.pos >= ld->r.len ? "truncated" : "corrupt", show, key, type);
        sstr_free(key);
        return rc;
    }
    if (expire != -1 && !(ld->flags & RDB_LOAD_KEEP_EXPIRED) && expire < server_mstime(ld->srv)) {
        /* A primary does not load what is already expired, as Redis. */
        ld->info.expired_skipped++;
        sstr_free(key);
        obj_release(o);
        return 0;
    }
    dict_entry *de = dict_add_raw(db->keys, key, NULL);
    if (!de) {
        size_t klen = sstr_len(key);
        rc = fail(ld, "duplicate key '%.*s' in db %d", klen > 64 ? 64 : (int)klen, key, db->id);
        sstr_free(key);
        obj_release(o);
        return rc;
    }
    de->v.val = o;
    rdb_set_object_clock(ld->srv, o, freq, idle);
    if (expire != -1) dict_add_raw(db->expires, key, NULL)->v.s64 = expire;
    ld->info.keys++;
    return 0;
}

static int read_body(loader *ld) {
    sdb *db = &ld->fresh.dbs[0];
    long long expire = -1, idle = -1, freq = -1;
    for (;;) {
        int op;
        if (rdb_read_type(&ld->r, &op) < 0)
            return fail(ld, "the file ends before its EOF marker (truncated)");
        uint64_t a, b;
        unsigned char raw[4];
        long long ms;
        switch (op) {
        case OP_EOF:
            return 0;
        case OP_EXPIRETIME_MS:
            if (rdb_read_millis(&ld->r, &ms) < 0) return truncated(ld, "an expire time");
            expire = ms;
            continue;
        case OP_EXPIRETIME:
            if (rdb_read_raw(&ld->r, raw, 4) < 0) return truncated(ld, "an expire time");
            expire = 1000LL * (int32_t)((uint32_t)raw[0] | (uint32_t)raw[1] << 8 |
                                        (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 24);
            continue;
        case OP_IDLE:
            if (rdb_read_len(&ld->r, &a, NULL) < 0) return truncated(ld, "an LRU idle time");
            idle = a > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)a;
            continue;
        case OP_FREQ:
            if (rdb_read_raw(&ld->r, raw, 1) < 0) return truncated(ld, "an LFU counter");
            freq = raw[0];
            continue;
        case OP_SELECTDB:
            if (rdb_read_len(&ld->r, &a, NULL) < 0) return truncated(ld, "a SELECTDB index");
            if (a >= (uint64_t)ld->fresh.dbnum)
                return fail(ld,
                            "the file has keys in db %" PRIu64 " but this server is configured "
                            "with databases %d",
                            a, ld->fresh.dbnum);
            db = &ld->fresh.dbs[a];
            continue;
        case OP_RESIZEDB:
            if (rdb_read_len(&ld->r, &a, NULL) < 0 || rdb_read_len(&ld->r, &b, NULL) < 0)
                return truncated(ld, "a RESIZEDB hint");
            /* A hint from untrusted bytes: each key takes 3 bytes at least. */
            if (a <= (ld->r.len - ld->r.pos) / 3) dict_expand(db->keys, (size_t)a);
            if (b <= (ld->r.len - ld->r.pos) / 3) dict_expand(db->expires, (size_t)b);
            continue;
        case OP_AUX: {
            int rc = read_aux(ld);
            if (rc < 0) return rc;
            continue;
        }
        case OP_MODULE_AUX:
            return fail(ld, "the file holds module data (MODULE_AUX); sealkv has no modules");
        case OP_FUNCTION2:
        case OP_FUNCTION_PRE_GA:
            return fail(ld, "the file holds Redis functions (FUNCTION LOAD libraries); sealkv "
                            "has no functions: delete them on the source (FUNCTION FLUSH) and "
                            "save again");
        default: {
            int rc = read_key(ld, op, db, expire, idle, freq);
            if (rc < 0) return rc;
            expire = idle = freq = -1;
        }
        }
    }
}

static int read_footer(loader *ld) {
    if (ld->version >= RDB_FIRST_CHECKSUM_VERSION) {
        size_t end = ld->r.pos;
        long long stored;
        if (rdb_read_millis(&ld->r, &stored) < 0)
            return fail(ld, "the file ends inside its checksum (truncated)");
        uint64_t want = crc64(0, ld->r.p, end);
        if (stored != 0 && (uint64_t)stored != want)
            return fail(
                ld, "wrong checksum: the file says %016" PRIx64 ", its content gives %016" PRIx64,
                (uint64_t)stored, want);
    }
    if (ld->r.pos != ld->r.len)
        return fail(ld, "%zu unexpected bytes after the end of the data", ld->r.len - ld->r.pos);
    return 0;
}

/* Moves the loaded dictionaries into srv->dbs (in place: sdb pointers held
 * by clients stay valid) and leaves the old ones in ld->fresh to be freed. */
static void swap_in(loader *ld) {
    server *srv = ld->srv;
    db_signal_flushed(srv, -1);
    for (int i = 0; i < srv->dbnum; i++) {
        sdb *cur = &srv->dbs[i], *nw = &ld->fresh.dbs[i];
        dict *k = cur->keys, *e = cur->expires;
        cur->keys = nw->keys;
        cur->expires = nw->expires;
        nw->keys = k;
        nw->expires = e;
        cur->avg_ttl = 0;
        cur->expires_cursor = 0;
    }
}

int rdb_load_buffer(server *srv, const void *p, size_t len, int flags, rdb_load_info *info,
                    char *err, size_t errlen) {
    loader ld;
    memset(&ld, 0, sizeof(ld));
    ld.srv = srv;
    ld.flags = flags;
    ld.err = err;
    ld.errlen = errlen;
    ld.info.repl.repl_stream_db = -1;
    rdb_reader_init(&ld.r, p, len);
    db_init_all(&ld.fresh, srv->dbnum);
    int rc = read_header(&ld);
    if (rc == 0) rc = read_body(&ld);
    if (rc == 0) rc = read_footer(&ld);
    if (rc == 0) swap_in(&ld);
    db_free_all(&ld.fresh);
    if (rc == 0 && info) {
        ld.info.has_repl = ld.info.has_repl == 3;
        *info = ld.info;
    }
    return rc;
}

int rdb_load_file(server *srv, const char *path, int flags, rdb_load_info *info, char *err,
                  size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "Can't open the RDB file %s: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "Can't stat the RDB file %s: %s", path, strerror(e));
        return -e;
    }
    if (st.st_size == 0) {
        close(fd);
        snprintf(err, errlen, "Bad RDB file: %s is empty", path);
        return SK_ECORRUPT;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "Can't map the RDB file %s: %s", path, strerror(e));
        return -e;
    }
    madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
    srv->loading = 1;
    int rc = rdb_load_buffer(srv, map, (size_t)st.st_size, flags, info, err, errlen);
    srv->loading = 0;
    munmap(map, (size_t)st.st_size);
    return rc;
}
