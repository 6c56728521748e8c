/* test_server_rdbfile.c - RDB files (rdb.c): every type and encoding saved
 * with rdb_save_stream and loaded back with rdb_load_buffer (same DUMP
 * bytes, same TTLs), the header and AUX fields, replication info, the
 * checksum switch, files on disk, and every refusal (with the server's data
 * unchanged afterwards). Run it under ASan too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/crc64.h"
#include "../../src/core/err.h"
#include "../../src/core/mem.h"
#include "../../src/core/sbuf.h"
#include "server_fixture.h"
#include "../../src/server/child.h"
#include "../../src/server/config.h"
#include "../../src/server/rdb.h"
#include "../../src/server/rdb_value.h"
#include "../../src/server/server.h"
#include "../../src/server/server_main.h"

static server *srv;
static client *cl;

static int setup(void **state) {
    (void)state;
    srv = fixture_server_create("rdbfile");
    if (!srv) return -1;
    cl = client_create(srv, NULL, CLIENT_FAKE);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    client_free(cl);
    server_destroy(srv);
    srv = NULL;
    return 0;
}

static const char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *run(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return fixture_run(srv, cl, line, 1);
}

static int sbuf_write(void *ud, const void *p, size_t len) {
    sbuf_append(ud, p, len);
    return 0;
}

static void save(sbuf *out, const rdb_save_info *rsi) {
    sbuf_init(out);
    assert_int_equal(rdb_save_stream(srv, rsi, sbuf_write, out), 0);
}

static int load(const sbuf *b, int flags, rdb_load_info *info, char *err, size_t errlen) {
    return rdb_load_buffer(srv, b->data, b->len, flags, info, err, errlen);
}

/* ------------------------------------------------------------ the data */

static void populate(void) {
    run("SELECT 0");
    run("SET int 12345");
    run("SET neg -7");
    run("SET emb hello");
    run("SET big %0200d", 7);
    run("RPUSH lsmall a b 1 2");
    for (int i = 0; i < 300; i++)
        run("RPUSH lbig element-%d-%0100d", i, i);
    run("SADD sint 1 2 3 -100000");
    run("SADD sstr a b c");
    for (int i = 0; i < 600; i++)
        run("SADD sbigint %d", i);
    run("ZADD zsmall 1 a 2.5 b -inf c");
    for (int i = 0; i < 200; i++)
        run("ZADD zbig %d m%d", i, i);
    run("HSET hsmall f1 v1 f2 2");
    for (int i = 0; i < 600; i++)
        run("HSET hbig f%d v%d", i, i);
    run("XADD st 1-1 a 1");
    run("XADD st 1-2 b 2");
    run("XADD st 3-0 c 3");
    run("XGROUP CREATE st g 0");
    run("XREADGROUP GROUP g c1 COUNT 2 STREAMS st >");
    run("XDEL st 1-2");
    run("PFADD hll a b c d");
    run("EXPIRE lbig 1000");
    run("PEXPIRE hsmall 500000");
    run("SELECT 3");
    run("SET three 3");
    run("EXPIRE three 100");
    run("SELECT 15");
    run("SET last db");
    run("SELECT 0");
}

typedef struct snap {
    int db;
    sstr key;
    sbuf dump;
    long long expire;
} snap;

/* Every key of every db with its DUMP payload and expire time. */
static snap *take_snapshot(size_t *n) {
    size_t cap = 64, count = 0;
    snap *s = sk_malloc(cap * sizeof(*s));
    for (int i = 0; i < srv->dbnum; i++) {
        dict_iter it;
        dict_iter_init(&it, srv->dbs[i].keys, 0);
        dict_entry *de;
        while ((de = dict_iter_next(&it)) != NULL) {
            if (count == cap) s = sk_realloc(s, (cap *= 2) * sizeof(*s));
            snap *e = &s[count++];
            e->db = i;
            e->key = sstr_dup(de->key);
            sbuf_init(&e->dump);
            assert_int_equal(rdb_dump_payload(&e->dump, de->v.val), 0);
            e->expire = db_get_expire(&srv->dbs[i], de->key);
        }
        dict_iter_release(&it);
    }
    *n = count;
    return s;
}

static void check_snapshot(snap *s, size_t n) {
    size_t total = 0;
    for (int i = 0; i < srv->dbnum; i++)
        total += dict_size(srv->dbs[i].keys);
    assert_int_equal(total, n);
    for (size_t i = 0; i < n; i++) {
        sdb *db = &srv->dbs[s[i].db];
        sobj *o = dict_fetch_value(db->keys, s[i].key);
        if (!o) fail_msg("key %s of db %d missing", s[i].key, s[i].db);
        sbuf d = SBUF_INIT;
        assert_int_equal(rdb_dump_payload(&d, o), 0);
        /* Hash tables come back in another order: same size, same encoding. */
        int same_order = o->encoding != OBJ_ENC_HT;
        if (d.len != s[i].dump.len || (same_order && memcmp(d.data, s[i].dump.data, d.len)) ||
            d.data[0] != s[i].dump.data[0])
            fail_msg("key %s: DUMP differs after the round trip (%zu vs %zu bytes)", s[i].key,
                     d.len, s[i].dump.len);
        assert_int_equal(db_get_expire(db, s[i].key), s[i].expire);
        sbuf_free(&d);
    }
}

static void free_snapshot(snap *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        sstr_free(s[i].key);
        sbuf_free(&s[i].dump);
    }
    sk_free(s);
}

/* ------------------------------------------------------------ round trip */

static void test_round_trip_every_type(void **state) {
    (void)state;
    populate();
    size_t n;
    snap *before = take_snapshot(&n);
    assert_true(n > 15);
    sbuf file;
    save(&file, NULL);
    run("FLUSHALL");
    run("SELECT 3");
    char err[512] = "";
    rdb_load_info info;
    if (load(&file, 0, &info, err, sizeof(err)) != 0) fail_msg("load: %s", err);
    assert_int_equal(info.keys, (long long)n);
    assert_int_equal(info.expired_skipped, 0);
    assert_int_equal(info.has_repl, 0);
    /* The client's selected db is still a db of the server, now loaded. */
    assert_ptr_equal(cl->db, &srv->dbs[3]);
    assert_string_equal(run("GET three"), "$1\r\n3\r\n");
    check_snapshot(before, n);
    /* Saving again gives the same body (only ctime / used-mem may move). */
    sbuf again;
    save(&again, NULL);
    assert_int_equal(again.len > 100, 1);
    free_snapshot(before, n);
    sbuf_free(&file);
    sbuf_free(&again);
}

static void test_header_aux_and_checksum(void **state) {
    (void)state;
    run("SET k v");
    sbuf f;
    rdb_save_info rsi = {2, "", 12345};
    memset(rsi.repl_id, 'a', 40);
    save(&f, &rsi);
    assert_memory_equal(f.data,
                        "REDIS0010\xfa\x09redis-ver\x06"
                        "7.0.15",
                        24);
    assert_non_null(memmem(f.data, f.len, "\xfa\x07repl-id\x28", 10));
    assert_non_null(memmem(f.data, f.len,
                           "\xfa\x08"
                           "aof-base\xc0\x00",
                           11));
    assert_int_equal((unsigned char)f.data[f.len - 9], 0xff);
    uint64_t stored = 0;
    for (int i = 0; i < 8; i++)
        stored |= (uint64_t)(unsigned char)f.data[f.len - 8 + i] << (8 * i);
    assert_true(stored == crc64(0, f.data, f.len - 8));
    rdb_load_info info;
    char err[256];
    assert_int_equal(load(&f, 0, &info, err, sizeof(err)), 0);
    assert_int_equal(info.has_repl, 1);
    assert_int_equal(info.repl.repl_stream_db, 2);
    assert_int_equal(info.repl.repl_offset, 12345);
    assert_int_equal(strlen(info.repl.repl_id), 40);
    assert_int_equal(info.aof_base, 0);
    sbuf_free(&f);
    sbuf_init(&f);
    assert_int_equal(rdb_save_stream_flags(srv, NULL, RDB_SAVE_AOF_BASE, sbuf_write, &f), 0);
    assert_int_equal(load(&f, 0, &info, err, sizeof(err)), 0);
    assert_int_equal(info.aof_base, 1);
    assert_int_equal(info.has_repl, 0);
    sbuf_free(&f);

    srv->cfg->rdbchecksum = 0;
    save(&f, NULL);
    for (int i = 0; i < 8; i++)
        assert_int_equal(f.data[f.len - 8 + i], 0);
    assert_int_equal(load(&f, 0, NULL, err, sizeof(err)), 0);
    assert_string_equal(run("GET k"), "$1\r\nv\r\n");
    sbuf_free(&f);
}

static int fail_after(void *ud, const void *p, size_t len) {
    (void)p;
    size_t *left = ud;
    if (len > *left) return SK_ECLOSED;
    *left -= len;
    return 0;
}

static void test_writer_error_stops_the_save(void **state) {
    (void)state;
    for (int i = 0; i < 2000; i++)
        run("SET key:%d %0100d", i, i);
    size_t left = 70000;
    assert_int_equal(rdb_save_stream(srv, NULL, fail_after, &left), SK_ECLOSED);
}

static void test_files_on_disk(void **state) {
    (void)state;
    char dir[] = "/tmp/sealkv-rdbfile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], err[512] = "";
    snprintf(path, sizeof(path), "%s/dump.rdb", dir);
    run("SET a 1");
    run("HSET h f v");
    if (rdb_save_file(srv, path, NULL, err, sizeof(err)) != 0) fail_msg("save: %s", err);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    run("FLUSHALL");
    assert_int_equal(rdb_load_file(srv, path, 0, NULL, err, sizeof(err)), 0);
    assert_string_equal(run("HGET h f"), "$1\r\nv\r\n");
    /* A directory that does not exist: an error naming it, nothing left. */
    char bad[160];
    snprintf(bad, sizeof(bad), "%s/nope/dump.rdb", dir);
    assert_true(rdb_save_file(srv, bad, NULL, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "nope"));
    assert_true(rdb_load_file(srv, bad, 0, NULL, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "Can't open"));
    unlink(path);
    rmdir(dir);
}

/* ------------------------------------------------------------ crafting */

static void put_str(sbuf *b, const char *s) {
    rdb_write_string(b, s, strlen(s));
}

static void begin(sbuf *b, int version) {
    sbuf_init(b);
    sbuf_appendf(b, "REDIS%04d", version);
}

static void put_string_key(sbuf *b, const char *k, const char *v, long long expire_ms) {
    if (expire_ms >= 0) {
        sbuf_append_char(b, (char)0xfc);
        rdb_write_millis(b, expire_ms);
    }
    sbuf_append_char(b, 0);
    put_str(b, k);
    put_str(b, v);
}

static void finish(sbuf *b, int version) {
    sbuf_append_char(b, (char)0xff);
    if (version < 5) return;
    uint64_t crc = crc64(0, b->data, b->len);
    for (int i = 0; i < 8; i++)
        sbuf_append_char(b, (char)(crc >> (8 * i)));
}

static void test_expired_keys_and_old_opcodes(void **state) {
    (void)state;
    long long now = server_mstime(srv);
    sbuf b;
    begin(&b, 9);
    sbuf_append(&b, "\xfa", 1);
    put_str(&b, "whatever");
    put_str(&b, "x");
    sbuf_append(&b, "\xfe\x00\xfb\x02\x01", 5);
    put_string_key(&b, "past", "1", now - 5000);
    put_string_key(&b, "live", "2", now + 100000);
    sbuf_append(&b, "\xfd", 1);
    long long secs = now / 1000 + 500;
    for (int i = 0; i < 4; i++)
        sbuf_append_char(&b, (char)(secs >> (8 * i)));
    put_string_key(&b, "secs", "3", -1);
    sbuf_append(&b, "\xf8\x0a", 2);
    put_string_key(&b, "idle", "four", -1);
    sbuf_append(&b, "\xf9\x05", 2);
    put_string_key(&b, "freq", "5", -1);
    finish(&b, 9);
    rdb_load_info info;
    char err[256];
    if (load(&b, 0, &info, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(info.keys, 4);
    assert_int_equal(info.expired_skipped, 1);
    assert_string_equal(run("EXISTS past"), ":0\r\n");
    /* IDLE 10 before "idle": its LRU clock says 10 s idle (noeviction policy). */
    long idle = strtol(run("OBJECT IDLETIME idle") + 1, NULL, 10);
    if (idle < 10 || idle > 12) fail_msg("OBJECT IDLETIME idle = %ld", idle);
    sstr k = sstr_from_cstr("secs");
    assert_int_equal(db_get_expire(&srv->dbs[0], k) / 1000, secs);
    sstr_free(k);
    /* A replica keeps what its primary still has. */
    if (load(&b, RDB_LOAD_KEEP_EXPIRED, &info, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(info.keys, 5);
    assert_int_equal(dict_size(srv->dbs[0].keys), 5);
    sbuf_free(&b);

    /* Version 3 (no checksum), version 7 with a zero checksum. */
    begin(&b, 3);
    sbuf_append(&b, "\xfe\x01", 2);
    put_string_key(&b, "v3", "x", -1);
    finish(&b, 3);
    assert_int_equal(load(&b, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(dict_size(srv->dbs[1].keys), 1);
    sbuf_free(&b);
    begin(&b, 7);
    put_string_key(&b, "v7", "x", -1);
    sbuf_append_char(&b, (char)0xff);
    sbuf_append(&b, "\0\0\0\0\0\0\0\0", 8);
    assert_int_equal(load(&b, 0, NULL, err, sizeof(err)), 0);
    sbuf_free(&b);
}

/* ------------------------------------------------------------ refusals */

typedef struct bad_case {
    const char *name, *expect;
} bad_case;

/* Builds the file for case i into b. */
static void build_bad(int i, sbuf *b) {
    sbuf good;
    begin(&good, 10);
    sbuf_append(&good, "\xfe\x00", 2);
    put_string_key(&good, "a", "1", -1);
    put_string_key(&good, "b", "2", -1);
    finish(&good, 10);
    switch (i) {
    case 0: /* bad magic */
        sbuf_append(b, good.data, good.len);
        b->data[1] = 'O';
        break;
    case 1: /* version 11 */
        begin(b, 11);
        finish(b, 11);
        break;
    case 2: /* checksum */
        sbuf_append(b, good.data, good.len);
        b->data[b->len - 1] ^= 1;
        break;
    case 3: /* truncated */
        sbuf_append(b, good.data, good.len - 11);
        break;
    case 4: /* trailing garbage */
        sbuf_append(b, good.data, good.len);
        sbuf_append(b, "x", 1);
        break;
    case 5: /* module value */
        begin(b, 10);
        sbuf_append(b, "\x07", 1);
        put_str(b, "m");
        sbuf_append(b, "\x81\0\0\0\0\0\0\0\0", 9);
        finish(b, 10);
        break;
    case 6: /* module aux */
        begin(b, 10);
        sbuf_append(b, "\xf7\x81\0\0\0\0\0\0\0\0", 10);
        finish(b, 10);
        break;
    case 7: /* function2 */
        begin(b, 10);
        sbuf_append(b, "\xf5", 1);
        put_str(b, "#!lua name=x\nreturn 1");
        finish(b, 10);
        break;
    case 8: /* duplicate key */
        begin(b, 10);
        put_string_key(b, "dup", "1", -1);
        put_string_key(b, "dup", "2", -1);
        finish(b, 10);
        break;
    case 9: /* db index past `databases` */
        begin(b, 10);
        sbuf_append(b, "\xfe\x10", 2);
        put_string_key(b, "x", "1", -1);
        finish(b, 10);
        break;
    case 10: /* corrupt value */
        begin(b, 10);
        sbuf_append(b, "\x0b", 1); /* intset */
        put_str(b, "s");
        put_str(b, "not an intset");
        finish(b, 10);
        break;
    case 11: /* unknown type byte */
        begin(b, 10);
        sbuf_append(b, "\x63", 1);
        put_str(b, "u");
        finish(b, 10);
        break;
    case 12: /* too short for a header */
        sbuf_append(b, "REDIS00", 7);
        break;
    case 13: /* function pre-GA */
        begin(b, 10);
        sbuf_append(b, "\xf6", 1);
        put_str(b, "x");
        finish(b, 10);
        break;
    }
    sbuf_free(&good);
}

static const bad_case bad_cases[] = {
    {"bad magic", "wrong signature"},
    {"version 11", "can't handle RDB format version 11"},
    {"checksum", "wrong checksum"},
    {"truncated", "truncated"},
    {"trailing", "unexpected bytes after the end"},
    {"module value", "module value"},
    {"module aux", "MODULE_AUX"},
    {"function2", "sealkv has no functions"},
    {"duplicate", "duplicate key 'dup' in db 0"},
    {"db index", "databases 16"},
    {"corrupt value", "corrupt value of key 's'"},
    {"unknown type", "unknown value type 99"},
    {"short", "wrong signature"},
    {"function pre-GA", "sealkv has no functions"},
};

static void test_refusals_leave_data_alone(void **state) {
    (void)state;
    run("SET keep me");
    run("SELECT 2");
    run("RPUSH l a b");
    run("SELECT 0");
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        sbuf b = SBUF_INIT;
        build_bad((int)i, &b);
        char err[512] = "";
        rdb_load_info info = {0};
        int rc = load(&b, 0, &info, err, sizeof(err));
        if (rc != SK_ECORRUPT) fail_msg("case %s: rc %d (%s)", bad_cases[i].name, rc, err);
        if (!strstr(err, bad_cases[i].expect))
            fail_msg("case %s: '%s' lacks '%s'", bad_cases[i].name, err, bad_cases[i].expect);
        assert_string_equal(run("GET keep"), "$2\r\nme\r\n");
        assert_int_equal(dict_size(srv->dbs[0].keys), 1);
        assert_int_equal(dict_size(srv->dbs[2].keys), 1);
        sbuf_free(&b);
    }
}

/* Every prefix of a real file and every single-byte change of it either
 * loads or fails cleanly (ASan checks the "cleanly"). */
static void test_truncations_and_flips(void **state) {
    (void)state;
    run("RPUSH l a b c 1 2 3");
    run("HSET h a 1 b 2");
    run("ZADD z 1 a 2 b");
    run("SADD s 1 2 3");
    run("XADD x 1-1 f v");
    run("SET str hello");
    sbuf f;
    save(&f, NULL);
    srv->cfg->rdbchecksum = 0; /* irrelevant to loading; flips must meet the parser */
    char err[512];
    for (size_t cut = 0; cut < f.len; cut++)
        assert_int_equal(rdb_load_buffer(srv, f.data, cut, 0, NULL, err, sizeof(err)), SK_ECORRUPT);
    /* Zero the checksum so flipped bytes reach the value parsers. */
    memset(f.data + f.len - 8, 0, 8);
    for (size_t i = 9; i < f.len - 9; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            f.data[i] ^= (char)(1 << bit);
            rdb_load_buffer(srv, f.data, f.len, 0, NULL, err, sizeof(err));
            f.data[i] ^= (char)(1 << bit);
        }
    }
    assert_int_equal(rdb_load_buffer(srv, f.data, f.len, 0, NULL, err, sizeof(err)), 0);
    sbuf_free(&f);
}

static void test_watch_sees_a_load(void **state) {
    (void)state;
    run("SET w 1");
    sbuf f;
    save(&f, NULL);
    run("WATCH w");
    char err[256];
    assert_int_equal(load(&f, 0, NULL, err, sizeof(err)), 0);
    run("MULTI");
    run("SET w 2");
    assert_string_equal(run("EXEC"), "*-1\r\n");
    sbuf_free(&f);
}

/* ------------------------------------------------------ children, BGSAVE */

typedef struct done_rec {
    int calls, ok;
} done_rec;

static void on_done(server *s, int ok, void *ud) {
    (void)s;
    done_rec *d = ud;
    d->calls++;
    d->ok = ok;
}

static void reap_until_done(done_rec *d) {
    for (int i = 0; i < 2000 && d->calls == 0; i++) {
        child_reap(srv);
        usleep(5000);
    }
}

/* The diskless path replication uses: the snapshot through a pipe. */
static void test_bgsave_to_pipe(void **state) {
    (void)state;
    for (int i = 0; i < 5000; i++)
        run("SET key:%d %050d", i, i);
    run("SADD s a b c");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    rdb_save_info rsi = {0, "", 777};
    memset(rsi.repl_id, 'f', 40);
    done_rec d = {0, -1};
    int pid = rdb_bgsave(srv, &rsi, fds[1], on_done, &d);
    assert_true(pid > 0);
    close(fds[1]);
    assert_int_equal(child_running(srv), 1);
    assert_string_equal(child_purpose(srv), "rdb");
    assert_int_equal(rdb_bgsave(srv, NULL, -1, NULL, NULL), SK_EBUSY);
    sbuf got = SBUF_INIT;
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0)
        sbuf_append(&got, buf, (size_t)n);
    close(fds[0]);
    reap_until_done(&d);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.ok, 1);
    assert_int_equal(child_running(srv), 0);
    assert_null(child_purpose(srv));
    run("FLUSHALL");
    rdb_load_info info;
    char err[256];
    if (load(&got, 0, &info, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(info.keys, 5001);
    assert_int_equal(info.has_repl, 1);
    assert_int_equal(info.repl.repl_offset, 777);
    assert_int_equal(info.repl.repl_id[0], 'f');
    sbuf_free(&got);
}

/* A child stuck on a full pipe is killed: done(ok = 0), exactly once. */
static void test_child_kill(void **state) {
    (void)state;
    for (int i = 0; i < 3000; i++)
        run("SET key:%d %0100d", i, i);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    done_rec d = {0, -1};
    assert_true(rdb_bgsave(srv, NULL, fds[1], on_done, &d) > 0);
    close(fds[1]);
    child_kill(srv);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.ok, 0);
    assert_int_equal(child_running(srv), 0);
    child_reap(srv);
    child_kill(srv);
    assert_int_equal(d.calls, 1);
    close(fds[0]);
}

/* BGSAVE while another child runs: refused, or scheduled and started by the
 * cron once that child is gone. */
static void test_bgsave_schedule(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/sealkv-rdbfile-%d.rdb", (int)getpid());
    sk_free(srv->cfg->dbfilename);
    srv->cfg->dbfilename = sk_strdup(path); /* tests only: a path, not a name */
    run("SET k v");
    done_rec d = {0, -1};
    int pid = child_fork(srv, "test", on_done, &d);
    if (pid == 0) {
        usleep(200000);
        child_exit(0);
    }
    assert_true(pid > 0);
    assert_int_equal(child_fork(srv, "other", on_done, &d), SK_EBUSY);
    assert_non_null(strstr(run("BGSAVE"), "Another child process is active"));
    assert_string_equal(run("BGSAVE SCHEDULE"), "+Background saving scheduled\r\n");
    assert_string_equal(run("BGSAVE NOW"), "-ERR syntax error\r\n");
    reap_until_done(&d);
    assert_int_equal(d.ok, 1);
    rdb_cron(srv); /* starts the scheduled BGSAVE */
    assert_string_equal(child_purpose(srv), "rdb");
    assert_non_null(strstr(run("BGSAVE"), "already in progress"));
    assert_non_null(strstr(run("SAVE"), "already in progress"));
    for (int i = 0; i < 2000 && child_running(srv); i++) {
        child_reap(srv);
        usleep(5000);
    }
    assert_int_equal(child_running(srv), 0);
    assert_int_equal(srv->rdb->lastbgsave_ok, 1);
    assert_int_equal(srv->dirty, 0);
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_aux_and_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_error_stops_the_save, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_keys_and_old_opcodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_leave_data_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncations_and_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_sees_a_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bgsave_to_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bgsave_schedule, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
