/* test_server_repl.c - the replication stream buffer (repl_backlog.c: block
 * list, wrap-around of the backlog window, cursors, offsets, PSYNC
 * acceptance with replid2) and the replica's parsers (repl_proto.c), plus
 * the replication commands' refusals through the real dispatcher.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/err.h"
#include "../../src/core/mem.h"
#include "server_fixture.h"
#include "../../src/server/repl_backlog.h"
#include "../../src/server/repl_proto.h"
#include "../../src/server/replication.h"

/* Byte n of the test stream (offset n + 1): a pattern that shows a shift. */
static char pat(long long n) {
    return (char)('a' + (n * 7 + n / 251) % 26);
}

static void append_pattern(repl_buf *b, long long from, size_t len) {
    char *tmp = sk_malloc(len);
    for (size_t i = 0; i < len; i++)
        tmp[i] = pat(from + (long long)i);
    repl_buf_append(b, tmp, len);
    sk_free(tmp);
}

/* Reads everything at the cursor and checks it against the pattern. */
static long long drain_and_check(repl_buf *b, repl_cursor *cur, size_t max_chunk) {
    long long n = 0;
    for (;;) {
        const char *p;
        size_t len = repl_cursor_peek(b, cur, &p);
        if (len == 0) break;
        if (len > max_chunk) len = max_chunk;
        for (size_t i = 0; i < len; i++) {
            long long idx = cur->offset - 1 + (long long)i;
            if (p[i] != pat(idx)) fail_msg("byte at offset %lld differs", idx + 1);
        }
        repl_cursor_advance(b, cur, len);
        n += (long long)len;
    }
    return n;
}

static void test_backlog_offsets_and_window(void **state) {
    (void)state;
    repl_buf b;
    repl_buf_init(&b, 100 * 1024, 1000); /* the stream is at offset 1000 already */
    assert_int_equal(b.start, 1001);
    assert_int_equal(b.end, 1000);
    assert_true(repl_buf_covers(&b, 1001));
    assert_false(repl_buf_covers(&b, 1000));
    assert_false(repl_buf_covers(&b, 1002));
    /* Writes far beyond the limit: the window slides (wraps over blocks),
     * keeping at least limit bytes and at most limit + one block. */
    long long written = 0;
    for (int i = 0; i < 200; i++) {
        size_t len = (size_t)(i % 7 == 0 ? 70000 : 333 + i);
        append_pattern(&b, 1000 + written, len);
        written += (long long)len;
        assert_int_equal(b.end, 1000 + written);
        assert_int_equal((long long)b.held, b.end - b.start + 1);
        assert_true((long long)b.held >= (written < b.limit ? written : b.limit));
        assert_true((long long)b.held <= b.limit + 2 * 70000);
    }
    assert_true(b.start > 1001);
    assert_false(repl_buf_covers(&b, b.start - 1));
    assert_true(repl_buf_covers(&b, b.end + 1));
    /* A reader attached anywhere in the window reads the exact bytes. */
    repl_cursor cur = {0};
    long long at = b.start + 12345;
    assert_int_equal(repl_cursor_attach(&b, &cur, at), 0);
    assert_int_equal(repl_cursor_pending(&b, &cur), b.end + 1 - at);
    assert_int_equal(drain_and_check(&b, &cur, 1000), b.end + 1 - at);
    assert_int_equal(cur.offset, b.end + 1);
    repl_cursor_detach(&b, &cur);
    repl_cursor cur2 = {0};
    assert_int_equal(repl_cursor_attach(&b, &cur2, b.start - 1), SK_ENOTFOUND);
    assert_null(cur2.block);
    repl_buf_free(&b);
}

/* A cursor pins its block: a slow replica keeps the bytes it still has to
 * send even past the backlog size; once it moves on they are freed. */
static void test_cursor_pins_blocks(void **state) {
    (void)state;
    repl_buf b;
    repl_buf_init(&b, 16 * 1024, 0);
    repl_cursor slow = {0}, fast = {0};
    assert_int_equal(repl_cursor_attach(&b, &slow, 1), 0);
    assert_int_equal(repl_cursor_attach(&b, &fast, 1), 0);
    long long written = 0;
    for (int i = 0; i < 50; i++) {
        append_pattern(&b, written, 10000);
        written += 10000;
        assert_int_equal(drain_and_check(&b, &fast, 4096), 10000);
    }
    assert_int_equal(b.start, 1); /* nothing freed: slow still stands at 1 */
    assert_int_equal(repl_cursor_pending(&b, &slow), written);
    assert_int_equal(drain_and_check(&b, &slow, 777), written);
    /* Both at the end: the window is back to about the limit. */
    assert_true((long long)b.held <= b.limit + REPL_BLOCK_SIZE);
    assert_true(b.start > 1);
    /* Appends continue where the cursors stand. */
    append_pattern(&b, written, 5);
    assert_int_equal(drain_and_check(&b, &slow, 100), 5);
    repl_cursor_detach(&b, &slow);
    repl_cursor_detach(&b, &fast);
    repl_buf_free(&b);
}

static void test_cursor_on_empty_buffer(void **state) {
    (void)state;
    repl_buf b;
    repl_buf_init(&b, 1024 * 1024, 41);
    repl_cursor cur = {0};
    assert_int_equal(repl_cursor_attach(&b, &cur, 42), 0);
    const char *p;
    assert_int_equal(repl_cursor_peek(&b, &cur, &p), 0);
    append_pattern(&b, 41, 3 * REPL_BLOCK_SIZE + 17); /* one write spanning blocks */
    assert_int_equal(drain_and_check(&b, &cur, SIZE_MAX), 3 * REPL_BLOCK_SIZE + 17);
    repl_cursor_detach(&b, &cur);
    repl_buf_set_limit(&b, 16 * 1024);
    assert_true((long long)b.held < 3 * REPL_BLOCK_SIZE);
    repl_buf_free(&b);
}

/* In-place writes (the master's command encoder) mixed with appends: a
 * reservation that does not fit the tail starts a new block and leaves the
 * old tail's rest unused; readers, wherever they attach, see the exact
 * stream and the offsets count only committed bytes. */
static void test_reserve_commit(void **state) {
    (void)state;
    repl_buf b;
    repl_buf_init(&b, 256 * 1024, 0);
    repl_cursor early = {0};
    assert_int_equal(repl_cursor_attach(&b, &early, 1), 0);
    long long written = 0;
    for (int i = 0; i < 400; i++) {
        size_t len = (size_t)(i % 50 == 0 ? 100000 : 100 + (i * 37) % 3000);
        if (i % 3 == 0) {
            append_pattern(&b, written, len);
        } else {
            char *p = repl_buf_reserve(&b, len + 64); /* more than is written */
            for (size_t k = 0; k < len; k++)
                p[k] = pat(written + (long long)k);
            repl_buf_commit(&b, len);
        }
        written += (long long)len;
        assert_int_equal(b.end, written);
        assert_int_equal((long long)b.held, b.end - b.start + 1);
        if (i == 200) assert_int_equal(drain_and_check(&b, &early, 999), written);
    }
    long long read = early.offset - 1; /* what early read at i == 200 */
    assert_int_equal(drain_and_check(&b, &early, 4096), written - read);
    repl_cursor late = {0};
    long long at = b.start + 777;
    assert_int_equal(repl_cursor_attach(&b, &late, at), 0);
    assert_int_equal(drain_and_check(&b, &late, SIZE_MAX), b.end + 1 - at);
    repl_cursor_detach(&b, &late);
    repl_cursor_detach(&b, &early);
    repl_buf_free(&b);
}

static void test_psync_decisions(void **state) {
    (void)state;
    const char *id = "1111111111111111111111111111111111111111";
    const char *id2 = "2222222222222222222222222222222222222222";
    const char *other = "3333333333333333333333333333333333333333";
    repl_buf b;
    repl_buf_init(&b, 16 * 1024, 100);
    append_pattern(&b, 100, 1000); /* offsets 101..1100 */
    repl_psync_view v = {id, "0000000000000000000000000000000000000000", -1, &b};
    assert_int_equal(repl_psync_decide(&v, "?", -1), REPL_PSYNC_FULL_ASKED);
    assert_int_equal(repl_psync_decide(&v, id, 101), REPL_PSYNC_ACCEPT);
    assert_int_equal(repl_psync_decide(&v, id, 1101), REPL_PSYNC_ACCEPT); /* nothing to send */
    assert_int_equal(repl_psync_decide(&v, id, 1102), REPL_PSYNC_FULL_BACKLOG);
    assert_int_equal(repl_psync_decide(&v, id, 100), REPL_PSYNC_FULL_BACKLOG);
    assert_int_equal(repl_psync_decide(&v, other, 500), REPL_PSYNC_FULL_REPLID);
    /* After a promotion at offset 600: the old id is good up to 600. */
    v.replid2 = id2;
    v.second_offset = 600;
    assert_int_equal(repl_psync_decide(&v, id2, 600), REPL_PSYNC_ACCEPT);
    assert_int_equal(repl_psync_decide(&v, id2, 300), REPL_PSYNC_ACCEPT);
    assert_int_equal(repl_psync_decide(&v, id2, 601), REPL_PSYNC_FULL_REPLID);
    /* Ids compare without case, as Redis. */
    assert_int_equal(repl_psync_decide(&v, "2222222222222222222222222222222222222222", 599),
                     REPL_PSYNC_ACCEPT);
    v.backlog = NULL;
    assert_int_equal(repl_psync_decide(&v, id, 101), REPL_PSYNC_FULL_BACKLOG);
    repl_buf_free(&b);
}

/* ------------------------------------------------------------- parsers */

static void test_psync_reply(void **state) {
    (void)state;
    repl_psync_reply r;
    const char *full = "+FULLRESYNC 0123456789abcdef0123456789ABCDEF01234567 4242";
    repl_parse_psync_reply(full, strlen(full), &r);
    assert_int_equal(r.kind, REPL_REPLY_FULLRESYNC);
    assert_string_equal(r.replid, "0123456789abcdef0123456789ABCDEF01234567");
    assert_int_equal(r.offset, 4242);
    repl_parse_psync_reply("+CONTINUE", 9, &r);
    assert_int_equal(r.kind, REPL_REPLY_CONTINUE);
    assert_string_equal(r.replid, "");
    const char *cont = "+CONTINUE 0123456789abcdef0123456789abcdef01234567";
    repl_parse_psync_reply(cont, strlen(cont), &r);
    assert_int_equal(r.kind, REPL_REPLY_CONTINUE);
    assert_string_equal(r.replid, "0123456789abcdef0123456789abcdef01234567");
    const char *bad[] = {"+FULLRESYNC short 1",
                         "+FULLRESYNC 0123456789abcdef0123456789abcdef01234567 -1",
                         "+FULLRESYNC 0123456789abcdef0123456789abcdef01234567 x",
                         "+FULLRESYNC 0123456789abcdef0123456789abcdef0123456z 1",
                         "+CONTINUE nothex",
                         "+OK",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        repl_parse_psync_reply(bad[i], strlen(bad[i]), &r);
        assert_int_equal(r.kind, REPL_REPLY_BAD);
    }
    repl_parse_psync_reply("-NOMASTERLINK Can't SYNC", 24, &r);
    assert_int_equal(r.kind, REPL_REPLY_TRY_LATER);
    repl_parse_psync_reply("-LOADING", 8, &r);
    assert_int_equal(r.kind, REPL_REPLY_TRY_LATER);
    repl_parse_psync_reply("-ERR unknown command", 20, &r);
    assert_int_equal(r.kind, REPL_REPLY_ERROR);
}

static void test_lines_and_payload_header(void **state) {
    (void)state;
    size_t ll, used;
    assert_int_equal(repl_next_line("+PONG\r\nrest", 11, &ll, &used), 1);
    assert_int_equal(ll, 5);
    assert_int_equal(used, 7);
    assert_int_equal(repl_next_line("\n", 1, &ll, &used), 1);
    assert_int_equal(ll, 0);
    assert_int_equal(repl_next_line("+PON", 4, &ll, &used), 0);
    char *big = sk_malloc(REPL_LINE_MAX + 10);
    memset(big, 'x', REPL_LINE_MAX + 10);
    assert_int_equal(repl_next_line(big, REPL_LINE_MAX + 10, &ll, &used), -1);
    sk_free(big);

    repl_payload_hdr h;
    assert_int_equal(repl_parse_payload_header("$12345", 6, &h), 0);
    assert_false(h.eof_mode);
    assert_int_equal(h.size, 12345);
    const char *eof = "$EOF:abcdefabcdefabcdefabcdefabcdefabcdef1234";
    assert_int_equal(repl_parse_payload_header(eof, strlen(eof), &h), 0);
    assert_true(h.eof_mode);
    assert_memory_equal(h.mark, eof + 5, 40);
    const char *bad[] = {"$", "$-1", "$x", "+OK", "$EOF:short", "12"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(repl_parse_payload_header(bad[i], strlen(bad[i]), &h), SK_EPROTO);
}

/* The mark is found whatever the chunking, also split across chunks. */
static void test_eof_mark_any_split(void **state) {
    (void)state;
    const char mark[] = "0123456789abcdef0123456789abcdef01234567";
    char data[300];
    for (int i = 0; i < 200; i++)
        data[i] = (char)('A' + i % 20);
    memcpy(data + 200, mark, 40);
    memcpy(data + 240, "tail-after-mark", 15);
    size_t total = 255;
    for (size_t chunk = 1; chunk <= total; chunk++) {
        repl_eof_scan s;
        repl_eof_scan_init(&s, mark);
        size_t pos = 0, end = 0;
        while (pos < total && !end) {
            size_t n = total - pos < chunk ? total - pos : chunk;
            size_t e = repl_eof_scan_feed(&s, data + pos, n);
            if (e) end = pos + e;
            pos += n;
        }
        if (end != 240) fail_msg("chunk %zu: mark ends at %zu, want 240", chunk, end);
    }
}

static void test_stream_split_and_raw(void **state) {
    (void)state;
    const char *in =
        "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
        "\n*1\r\n$4\r\nPING\r\n";
    size_t len = strlen(in);
    /* Byte by byte, and all at once: same commands, same raw bytes. */
    for (int mode = 0; mode < 2; mode++) {
        repl_stream s;
        repl_stream_init(&s, 512 * 1024 * 1024LL);
        sbuf raw_all = SBUF_INIT;
        int cmds = 0;
        for (size_t i = 0; i < len; i++) {
            if (mode == 0)
                repl_stream_feed(&s, in + i, 1);
            else if (i == 0)
                repl_stream_feed(&s, in, len);
            else
                break;
            sstr *argv;
            int argc;
            const char *raw, *err;
            size_t rawlen;
            int st;
            while ((st = repl_stream_next(&s, &argv, &argc, &raw, &rawlen, &err)) == 1) {
                sbuf_append(&raw_all, raw, rawlen);
                if (argc > 0) cmds++;
                if (argc == 3) assert_string_equal(argv[2], "hello");
                resp_free_args(argv, argc);
            }
            assert_int_equal(st, 0);
        }
        assert_int_equal(cmds, 3);
        assert_int_equal(raw_all.len, len);
        assert_memory_equal(raw_all.data, in, len);
        sbuf_free(&raw_all);
        repl_stream_free(&s);
    }
    repl_stream s;
    repl_stream_init(&s, 1024 * 1024);
    repl_stream_feed(&s, "*1\r\n$x\r\n", 8);
    sstr *argv;
    int argc;
    const char *raw, *err = NULL;
    size_t rawlen;
    assert_int_equal(repl_stream_next(&s, &argv, &argc, &raw, &rawlen, &err), -1);
    assert_non_null(err);
    repl_stream_free(&s);
}

/* --------------------------------------------------------- commands */

static void test_commands_refusals(void **state) {
    (void)state;
    server *srv = fixture_server_create("repl");
    assert_non_null(srv);
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    assert_string_equal(fixture_run(srv, c, "ROLE", 1), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    assert_string_equal(fixture_run(srv, c, "REPLICAOF 127.0.0.1 notaport", 1),
                        "-ERR value is not an integer or out of range\r\n");
    assert_string_equal(fixture_run(srv, c, "REPLCONF listening-port", 1), "-ERR syntax error\r\n");
    assert_string_equal(fixture_run(srv, c, "REPLCONF bogus 1", 1),
                        "-ERR Unrecognized REPLCONF option: bogus\r\n");
    assert_string_equal(fixture_run(srv, c, "REPLCONF capa eof capa psync2", 1), "+OK\r\n");
    assert_string_equal(fixture_run(srv, c, "WAIT 0 0", 1), ":0\r\n");
    assert_string_equal(fixture_run(srv, c, "WAIT 1 -1", 1), "-ERR timeout is negative\r\n");
    assert_string_equal(fixture_run(srv, c, "CONFIG SET min-replicas-to-write 1", 1), "+OK\r\n");
    assert_string_equal(fixture_run(srv, c, "SET k v", 1),
                        "-NOREPLICAS Not enough good replicas to write.\r\n");
    assert_string_equal(fixture_run(srv, c, "GET k", 1), "$-1\r\n");
    assert_string_equal(fixture_run(srv, c, "CONFIG SET min-replicas-to-write 0", 1), "+OK\r\n");
    assert_string_equal(fixture_run(srv, c, "SET k v", 1), "+OK\r\n");
    assert_string_equal(fixture_run(srv, c, "CONFIG SET repl-diskless-load swapdb", 1),
                        "-ERR CONFIG SET failed (possibly related to argument "
                        "'repl-diskless-load') - argument(s) must be one of the following: "
                        "disabled\r\n");
    client_free(c);
    server_destroy(srv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backlog_offsets_and_window),
        cmocka_unit_test(test_cursor_pins_blocks),
        cmocka_unit_test(test_cursor_on_empty_buffer),
        cmocka_unit_test(test_reserve_commit),
        cmocka_unit_test(test_psync_decisions),
        cmocka_unit_test(test_psync_reply),
        cmocka_unit_test(test_lines_and_payload_header),
        cmocka_unit_test(test_eof_mark_any_split),
        cmocka_unit_test(test_stream_split_and_raw),
        cmocka_unit_test(test_commands_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
