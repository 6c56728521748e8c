/* test_node_raftio.c - the control plane's raft_io: term/vote, log appends,
 * reload after "restart", truncation, snapshots with trailing entries,
 * a torn last record, damaged files refused, bootstrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/err.h"
#include "../../src/core/ev.h"
#include "../../src/node/cp_raftio.h"

static char DIR_[256];
static ev_loop *L;

static int setup(void **unused) {
    (void)unused;
    snprintf(DIR_, sizeof(DIR_), "/tmp/sealkv-test-raftio-%d", (int)getpid());
    L = ev_create(64);
    return 0;
}

static int teardown(void **unused) {
    char cmd[300];
    (void)unused;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", DIR_);
    if (system(cmd)) {
    }
    ev_destroy(L);
    return 0;
}

static int done_count, done_status;
static void append_cb(struct raft_io_append *req, int status) {
    (void)req;
    done_count++;
    done_status = status;
}
static struct raft_snapshot *got_snap;
static void snap_get_cb(struct raft_io_snapshot_get *req, struct raft_snapshot *s, int status) {
    (void)req;
    done_count++;
    done_status = status;
    got_snap = s;
}
static void snap_put_cb(struct raft_io_snapshot_put *req, int status) {
    (void)req;
    done_count++;
    done_status = status;
}

static void wait_done(int want) {
    int i;
    for (i = 0; i < 200 && done_count < want; i++)
        ev_run_once(L, 10);
    assert_int_equal(done_count, want);
}

static void open_io(struct raft_io *io) {
    char err[256];
    assert_int_equal(cp_raftio_init(io, L, DIR_, err, sizeof(err)), 0);
}

static void close_io(struct raft_io *io) {
    io->close(io, NULL);
    cp_raftio_destroy(io);
}

static void append_n(struct raft_io *io, uint64_t term, unsigned first, unsigned n) {
    struct raft_entry e[16];
    char data[16][16];
    struct raft_io_append req;
    unsigned i;
    int before = done_count;
    memset(e, 0, sizeof(e));
    for (i = 0; i < n; i++) {
        snprintf(data[i], sizeof(data[i]), "entry-%u", first + i);
        e[i].term = term;
        e[i].type = RAFT_COMMAND;
        e[i].buf.base = data[i];
        e[i].buf.len = strlen(data[i]);
    }
    assert_int_equal(io->append(io, &req, e, n, append_cb), 0);
    /* Completion comes from the loop, never inside the call. */
    assert_int_equal(done_count, before);
    wait_done(before + 1);
    assert_int_equal(done_status, 0);
}

typedef struct loaded {
    raft_term term;
    raft_id vote;
    struct raft_snapshot *snap;
    raft_index start;
    struct raft_entry *ent;
    size_t n;
} loaded;

static int load(struct raft_io *io, loaded *l) {
    memset(l, 0, sizeof(*l));
    return io->load(io, &l->term, &l->vote, &l->snap, &l->start, &l->ent, &l->n);
}

static void free_loaded(loaded *l) {
    size_t i;
    for (i = 0; i < l->n; i++)
        raft_free(l->ent[i].buf.base);
    raft_free(l->ent);
    if (l->snap) {
        raft_configuration_close(&l->snap->configuration);
        raft_free(l->snap->bufs[0].base);
        raft_free(l->snap->bufs);
        raft_free(l->snap);
    }
}

static void assert_entry(const loaded *l, size_t i, const char *want) {
    assert_true(i < l->n);
    assert_int_equal(l->ent[i].buf.len, strlen(want));
    assert_memory_equal(l->ent[i].buf.base, want, strlen(want));
}

static void test_persist_and_reload(void **unused) {
    struct raft_io io;
    loaded l;
    struct stat st;
    char path[400];
    (void)unused;
    open_io(&io);
    assert_false(cp_raftio_has_state(&io));
    assert_int_equal(io.set_term(&io, 3), 0);
    assert_int_equal(io.set_vote(&io, 2), 0);
    append_n(&io, 3, 1, 4);
    append_n(&io, 3, 5, 2);
    close_io(&io);
    /* Directory 0700, files 0600. */
    assert_int_equal(stat(DIR_, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/log", DIR_);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    open_io(&io);
    assert_true(cp_raftio_has_state(&io));
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.term, 3);
    assert_int_equal(l.vote, 2);
    assert_null(l.snap);
    assert_int_equal(l.start, 1);
    assert_int_equal(l.n, 6);
    assert_entry(&l, 0, "entry-1");
    assert_entry(&l, 5, "entry-6");
    assert_int_equal(l.ent[5].term, 3);
    free_loaded(&l);
    /* A new term clears the vote. */
    assert_int_equal(io.set_term(&io, 4), 0);
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.term, 4);
    assert_int_equal(l.vote, 0);
    free_loaded(&l);
    close_io(&io);
}

static void test_truncate(void **unused) {
    struct raft_io io;
    loaded l;
    (void)unused;
    open_io(&io);
    append_n(&io, 1, 1, 5);
    assert_int_equal(io.truncate(&io, 3), 0);
    append_n(&io, 2, 3, 1); /* new index 3 */
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.n, 3);
    assert_entry(&l, 1, "entry-2");
    assert_entry(&l, 2, "entry-3");
    assert_int_equal(l.ent[2].term, 2);
    free_loaded(&l);
    close_io(&io);
}

static void put_snapshot(struct raft_io *io, raft_index index, unsigned trailing,
                         const char *data) {
    struct raft_snapshot s;
    struct raft_buffer b = {(void *)data, strlen(data)};
    struct raft_io_snapshot_put req;
    int before = done_count;
    memset(&s, 0, sizeof(s));
    s.index = index;
    s.term = 1;
    raft_configuration_init(&s.configuration);
    assert_int_equal(raft_configuration_add(&s.configuration, 1, "127.0.0.1:1", RAFT_VOTER), 0);
    s.configuration_index = 1;
    s.bufs = &b;
    s.n_bufs = 1;
    assert_int_equal(io->snapshot_put(io, trailing, &req, &s, snap_put_cb), 0);
    raft_configuration_close(&s.configuration);
    wait_done(before + 1);
    assert_int_equal(done_status, 0);
}

static void test_snapshot_trailing(void **unused) {
    struct raft_io io;
    struct raft_io_snapshot_get get;
    loaded l;
    (void)unused;
    open_io(&io);
    append_n(&io, 1, 1, 10);
    /* Snapshot at 8 keeping 3 entries behind it: the log starts at 6. */
    put_snapshot(&io, 8, 3, "{\"s\":8}");
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_non_null(l.snap);
    assert_int_equal(l.snap->index, 8);
    assert_int_equal(l.snap->configuration.n, 1);
    assert_string_equal(l.snap->configuration.servers[0].address, "127.0.0.1:1");
    assert_int_equal(l.snap->bufs[0].len, 7);
    assert_int_equal(l.start, 6);
    assert_int_equal(l.n, 5);
    assert_entry(&l, 0, "entry-6");
    free_loaded(&l);
    /* snapshot_get hands back the same. */
    assert_int_equal(io.snapshot_get(&io, &get, snap_get_cb), 0);
    wait_done(done_count + 1);
    assert_non_null(got_snap);
    assert_int_equal(got_snap->index, 8);
    raft_configuration_close(&got_snap->configuration);
    raft_free(got_snap->bufs[0].base);
    raft_free(got_snap->bufs);
    raft_free(got_snap);
    /* An installed snapshot (trailing 0) replaces the whole log. */
    put_snapshot(&io, 20, 0, "{\"s\":20}");
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.snap->index, 20);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.start, 21);
    free_loaded(&l);
    append_n(&io, 2, 21, 1);
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.start, 21);
    assert_int_equal(l.n, 1);
    free_loaded(&l);
    close_io(&io);
}

static void chop(const char *name, off_t by) {
    char path[400];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", DIR_, name);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - by), 0);
}

static void flip(const char *name, off_t at) {
    char path[400], c;
    int fd;
    snprintf(path, sizeof(path), "%s/%s", DIR_, name);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

static void test_torn_tail_and_damage(void **unused) {
    struct raft_io io;
    loaded l;
    char err[256];
    (void)unused;
    open_io(&io);
    append_n(&io, 1, 1, 3);
    close_io(&io);
    /* A crash in the middle of the last append: that record is dropped. */
    chop("log", 3);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.n, 2);
    free_loaded(&l);
    close_io(&io);
    /* Damage in the middle is refused, not guessed around. */
    flip("log", 16 + 12 + 2);
    assert_int_equal(cp_raftio_init(&io, L, DIR_, err, sizeof(err)), SK_ECORRUPT);
    assert_non_null(strstr(err, DIR_));
}

static void test_damaged_meta_refused(void **unused) {
    struct raft_io io;
    char err[256];
    (void)unused;
    open_io(&io);
    assert_int_equal(io.set_term(&io, 7), 0);
    close_io(&io);
    flip("meta", 9);
    assert_int_equal(cp_raftio_init(&io, L, DIR_, err, sizeof(err)), SK_ECORRUPT);
}

static void test_bootstrap(void **unused) {
    struct raft_io io;
    struct raft_configuration conf;
    loaded l;
    (void)unused;
    raft_configuration_init(&conf);
    assert_int_equal(raft_configuration_add(&conf, 1, "127.0.0.1:3342", RAFT_VOTER), 0);
    open_io(&io);
    assert_int_equal(io.bootstrap(&io, &conf), 0);
    assert_int_equal(io.bootstrap(&io, &conf), RAFT_CANTBOOTSTRAP);
    assert_int_equal(cp_raftio_bootstrap_snapshot(&io, &conf, "{}", 2), RAFT_CANTBOOTSTRAP);
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_int_equal(l.term, 1);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ent[0].type, RAFT_CHANGE);
    free_loaded(&l);
    close_io(&io);
    teardown(NULL);
    L = ev_create(64);
    open_io(&io);
    assert_int_equal(cp_raftio_bootstrap_snapshot(&io, &conf, "{\"a\":1}", 7), 0);
    close_io(&io);
    open_io(&io);
    assert_int_equal(load(&io, &l), 0);
    assert_non_null(l.snap);
    assert_int_equal(l.snap->index, 1);
    assert_int_equal(l.start, 2);
    assert_int_equal(l.n, 0);
    free_loaded(&l);
    close_io(&io);
    raft_configuration_close(&conf);
}

/* ---- the AppendEntries-result guard (see ADR 009) ---- */

static struct raft_message SENT;
static int sent_count;
static int capture_send(void *ud, const struct raft_message *m) {
    (void)ud;
    SENT = *m;
    sent_count++;
    return 0;
}

static void send_cb(struct raft_io_send *req, int status) {
    (void)req;
    (void)status;
    done_count++;
}

static struct raft_io *IO;
static raft_index REPLY_LAST; /* what "raft" claims in its answer */
static struct raft_io_send SEND_REQ;

static void reply_now(struct raft_io *io) {
    struct raft_message r;
    memset(&r, 0, sizeof(r));
    r.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    r.server_id = 2;
    r.server_address = "127.0.0.1:2";
    r.append_entries_result.term = 3;
    r.append_entries_result.last_log_index = REPLY_LAST;
    assert_int_equal(io->send(io, &SEND_REQ, &r, send_cb), 0);
}

static void fake_recv(struct raft_io *io, struct raft_message *m) {
    (void)m;
    reply_now(io);
}

static void fake_tick(struct raft_io *io) {
    (void)io;
}

static void test_append_result_clamped(void **unused) {
    struct raft_io io;
    struct raft_message ae;
    (void)unused;
    open_io(&io);
    IO = &io;
    cp_raftio_set_send(&io, capture_send, NULL);
    assert_int_equal(io.start(&io, 100, fake_tick, fake_recv), 0);
    /* A heartbeat proving the logs match up to 5; "raft" claims 7. */
    memset(&ae, 0, sizeof(ae));
    ae.type = RAFT_IO_APPEND_ENTRIES;
    ae.append_entries.term = 3;
    ae.append_entries.prev_log_index = 5;
    REPLY_LAST = 7;
    cp_raftio_deliver(&io, &ae);
    assert_int_equal(sent_count, 1);
    assert_int_equal(SENT.append_entries_result.last_log_index, 5);
    /* Claims within what was proven are left alone. */
    REPLY_LAST = 4;
    cp_raftio_deliver(&io, &ae);
    assert_int_equal(SENT.append_entries_result.last_log_index, 4);
    /* Outside an AppendEntries (e.g. after a snapshot install) nothing is touched. */
    REPLY_LAST = 9;
    reply_now(&io);
    assert_int_equal(SENT.append_entries_result.last_log_index, 9);
    wait_done(done_count + 0);
    close_io(&io);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_persist_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_trailing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_and_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_meta_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_result_clamped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
