/* test_resp.c - RESP parser and writer.
 *
 * The parser is driven the way a connection drives it: bytes arrive in
 * chunks, are appended to a pending buffer, and what the parser consumed is
 * dropped. Each run is summarised as one printable string (the commands,
 * then an error or an "incomplete" marker) so a failing assertion shows the
 * whole difference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/core/mem.h"
#include "../../src/core/sbuf.h"
#include "../../src/resp/resp.h"

#define MAX_BULK (512LL * 1024 * 1024)

static const resp_limits auth_lim = {MAX_BULK, 1};
static const resp_limits unauth_lim = {MAX_BULK, 0};

typedef struct driver {
    resp_parser p;
    sbuf pending;
    sbuf out;     /* the summary */
    int failed;   /* RESP_ERROR seen */
    int direct;   /* use the big-argument API */
    int commands; /* commands with argc > 0 */
    const resp_limits *lim;
} driver;

static void drv_init(driver *d, const resp_limits *lim, int direct) {
    memset(d, 0, sizeof(*d));
    resp_parser_init(&d->p);
    d->lim = lim;
    d->direct = direct;
}

static void drv_free(driver *d) {
    resp_parser_free(&d->p);
    sbuf_free(&d->pending);
    sbuf_free(&d->out);
}

static void out_arg(sbuf *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '|' && c != '"')
            sbuf_append_char(o, (char)c);
        else
            sbuf_appendf(o, "\\x%02x", c);
    }
}

static unsigned long arg_sum(const char *s, size_t n) {
    unsigned long sum = 0;
    for (size_t k = 0; k < n; k++)
        sum = sum * 31 + (unsigned char)s[k];
    return sum;
}

static void drv_take(driver *d) {
    int argc = -1;
    sstr *argv = resp_parser_take_args(&d->p, &argc);
    assert_true(argc >= 0);
    sbuf_append_char(&d->out, '[');
    for (int i = 0; i < argc; i++) {
        if (i) sbuf_append_char(&d->out, '|');
        /* long arguments are summarised so failures stay readable */
        if (sstr_len(argv[i]) > 64)
            sbuf_appendf(&d->out, "<%zu bytes, sum %lu>", sstr_len(argv[i]),
                         arg_sum(argv[i], sstr_len(argv[i])));
        else if (sstr_len(argv[i]) == 0)
            sbuf_append_str(&d->out, "\"\"");
        else
            out_arg(&d->out, argv[i], sstr_len(argv[i]));
    }
    sbuf_append_char(&d->out, ']');
    if (argc > 0) d->commands++;
    resp_free_args(argv, argc);
}

/* Parses everything pending until the parser needs more or fails. */
static void drv_run(driver *d) {
    while (!d->failed) {
        size_t used = 0;
        resp_status st = resp_parse(&d->p, d->pending.data ? d->pending.data : "", d->pending.len,
                                    d->lim, &used);
        assert_true(used <= d->pending.len);
        sbuf_consume(&d->pending, used);
        if (st == RESP_ERROR) {
            sbuf_appendf(&d->out, "!%s", resp_parser_error(&d->p));
            d->failed = 1;
        } else if (st == RESP_OK) {
            drv_take(d);
        } else {
            break;
        }
    }
}

static void drv_feed(driver *d, const char *in, size_t len) {
    if (d->failed) return;
    size_t room = 0;
    char *dst;
    while (d->direct && len > 0 && (dst = resp_parser_big_arg(&d->p, &room)) != NULL) {
        assert_int_equal(d->pending.len, 0);
        size_t n = len < room ? len : room;
        memcpy(dst, in, n);
        resp_parser_big_arg_filled(&d->p, n);
        in += n;
        len -= n;
    }
    sbuf_append(&d->pending, in, len);
    drv_run(d);
}

static void drv_finish(driver *d) {
    if (!d->failed && (d->pending.len > 0 || d->p.kind != 0)) sbuf_append_str(&d->out, "...");
}

/* Whole input in one call; returns a malloc'd summary. */
static char *parse_once(const char *in, size_t len, const resp_limits *lim) {
    driver d;
    drv_init(&d, lim, 0);
    drv_feed(&d, in, len);
    drv_finish(&d);
    char *s = strdup(d.out.data ? d.out.data : "");
    drv_free(&d);
    return s;
}

static char *parse_chunked(const char *in, size_t len, size_t step, int direct,
                           const resp_limits *lim) {
    driver d;
    drv_init(&d, lim, direct);
    for (size_t off = 0; off < len; off += step)
        drv_feed(&d, in + off, len - off < step ? len - off : step);
    drv_finish(&d);
    char *s = strdup(d.out.data ? d.out.data : "");
    drv_free(&d);
    return s;
}

static void expect(const char *in, size_t len, const resp_limits *lim, const char *want) {
    char *got = parse_once(in, len, lim);
    assert_string_equal(got, want);
    free(got);
}

#define EXPECT(lit, lim, want) expect(lit, sizeof(lit) - 1, lim, want)

/* ---- basic parsing ---- */

static void test_multibulk_simple(void **state) {
    (void)state;
    EXPECT("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", &auth_lim, "[SET|k|hello]");
    EXPECT("*1\r\n$0\r\n\r\n", &auth_lim, "[\"\"]");
    EXPECT("*2\r\n$0\r\n\r\n$1\r\nx\r\n", &auth_lim, "[\"\"|x]");
}

static void test_multibulk_empty_arg(void **state) {
    (void)state;
    /* one empty argument is an argc-1 command whose argument is "" */
    driver d;
    drv_init(&d, &auth_lim, 0);
    resp_parser *p = &d.p;
    size_t used = 0;
    const char in[] = "*1\r\n$0\r\n\r\n";
    assert_int_equal(resp_parse(p, in, sizeof(in) - 1, &auth_lim, &used), RESP_OK);
    assert_int_equal(used, sizeof(in) - 1);
    int argc = 0;
    sstr *argv = resp_parser_take_args(p, &argc);
    assert_int_equal(argc, 1);
    assert_int_equal(sstr_len(argv[0]), 0);
    resp_free_args(argv, argc);
    drv_free(&d);
}

static void test_binary_args(void **state) {
    (void)state;
    const char in[] = "*2\r\n$3\r\na\0b\r\n$2\r\n\r\n\r\n";
    expect(in, sizeof(in) - 1, &auth_lim, "[a\\x00b|\\x0d\\x0a]");
}

static void test_pipelined(void **state) {
    (void)state;
    EXPECT("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n*1\r\n$3\r\nGET", &auth_lim,
           "[PING][ECHO|hi][PING]...");
}

static void test_zero_arg_commands(void **state) {
    (void)state;
    EXPECT("*0\r\n", &auth_lim, "[]");
    EXPECT("*-1\r\n", &auth_lim, "[]");
    EXPECT("*-10\r\n", &unauth_lim, "[]");
    EXPECT("\r\n", &auth_lim, "[]");
    EXPECT("\n", &auth_lim, "[]");
    EXPECT("   \t \r\n", &auth_lim, "[]");
    EXPECT("*0\r\n\r\n*-1\r\nPING\r\n", &unauth_lim, "[][][][PING]");
}

static void test_inline(void **state) {
    (void)state;
    EXPECT("PING\r\n", &auth_lim, "[PING]");
    EXPECT("set a b\n", &auth_lim, "[set|a|b]");
    EXPECT("  SET   k   v  \r\n", &auth_lim, "[SET|k|v]");
    EXPECT("SET \"a b\" 'c d'\r\n", &auth_lim, "[SET|a b|c d]");
    EXPECT("ECHO \"\\x41\\n\"\r\n", &auth_lim, "[ECHO|A\\x0a]");
    EXPECT("SET k\rv\r\n", &auth_lim, "[SET|k|v]"); /* a lone CR separates */
    EXPECT("PING\r\r\n", &auth_lim, "[PING]");
    EXPECT("PING", &auth_lim, "...");
    EXPECT("PING\rX", &auth_lim, "...");
}

static void test_inline_unbalanced_quotes(void **state) {
    (void)state;
    EXPECT("SET \"a b\r\n", &auth_lim, "!Protocol error: unbalanced quotes in request");
    EXPECT("SET 'a\r\n", &auth_lim, "!Protocol error: unbalanced quotes in request");
    EXPECT("SET \"a\"b\r\n", &auth_lim, "!Protocol error: unbalanced quotes in request");
    EXPECT("PING\r\nSET \"x\n", &auth_lim, "[PING]!Protocol error: unbalanced quotes in request");
}

/* Redis finds terminators with strchr() in a NUL-terminated buffer: a NUL
 * before the terminator hides it until the 64 KiB limit is hit. */
static void test_nul_hides_terminator(void **state) {
    (void)state;
    const char a[] = "PING a\0b\r\n";
    expect(a, sizeof(a) - 1, &auth_lim, "...");
    const char b[] = "*1\0\r\n$4\r\nPING\r\n";
    expect(b, sizeof(b) - 1, &auth_lim, "...");
    const char c[] = "\0PING\r\n";
    expect(c, sizeof(c) - 1, &auth_lim, "...");
    const char e[] = "*2\r\n$4\r\nECHO\r\n$\0\r\n";
    expect(e, sizeof(e) - 1, &auth_lim, "...");

    size_t n = RESP_INLINE_MAX + 10;
    char *big = calloc(1, n);
    memcpy(big, "PING\0", 5);
    memset(big + 5, '\n', n - 5);
    expect(big, n, &auth_lim, "!Protocol error: too big inline request");
    free(big);
}

/* The byte after a header's CR and the two bytes after a payload are
 * skipped unchecked, as Redis does. */
static void test_unchecked_crlf(void **state) {
    (void)state;
    EXPECT("*1\rX$4\rYPINGab", &auth_lim, "[PING]");
    EXPECT("*1\r\n$4\r\nPING", &auth_lim, "...");
    EXPECT("*1\r\n$4\r\nPING\r", &auth_lim, "...");
}

/* ---- every error text ---- */

static void test_error_mbulk_count(void **state) {
    (void)state;
    size_t n = RESP_INLINE_MAX + 1;
    char *big = malloc(n + 1);
    big[0] = '*';
    memset(big + 1, '1', n - 1);
    expect(big, n - 1, &auth_lim, "..."); /* exactly 64 KiB: still waiting */
    expect(big, n, &auth_lim, "!Protocol error: too big mbulk count string");
    free(big);

    EXPECT("*abc\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("*\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("* 1\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("*01\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("*+1\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("*-0\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("*2147483648\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    EXPECT("*99999999999999999999\r\n", &auth_lim, "!Protocol error: invalid multibulk length");
    /* Redis 7.0 accepts any count up to INT_MAX and waits for the args. */
    EXPECT("*2147483647\r\n", &auth_lim, "...");
    EXPECT("*20000000\r\n", &auth_lim, "...");
}

static void test_error_unauth_limits(void **state) {
    (void)state;
    EXPECT("*11\r\n", &unauth_lim, "!Protocol error: unauthenticated multibulk length");
    EXPECT("*10\r\n", &unauth_lim, "...");
    EXPECT("*11\r\n", &auth_lim, "...");
    EXPECT("*1\r\n$16385\r\n", &unauth_lim, "!Protocol error: unauthenticated bulk length");
    EXPECT("*1\r\n$16384\r\n", &unauth_lim, "...");
    EXPECT("*1\r\n$16385\r\n", &auth_lim, "...");
    /* the invalid-length check comes first */
    EXPECT("*1\r\n$-5\r\n", &unauth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*2147483648\r\n", &unauth_lim, "!Protocol error: invalid multibulk length");
}

static void test_error_bulk_header(void **state) {
    (void)state;
    size_t n = 4 + RESP_INLINE_MAX + 1;
    char *big = malloc(n);
    memcpy(big, "*1\r\n", 4);
    memset(big + 4, '$', n - 4);
    expect(big, n - 1, &auth_lim, "...");
    expect(big, n, &auth_lim, "!Protocol error: too big bulk count string");
    free(big);

    EXPECT("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", &auth_lim,
           "!Protocol error: expected '$', got 'f'");
    EXPECT("*1\r\n\r\n", &auth_lim, "!Protocol error: expected '$', got ' '");
    EXPECT("*1\r\n:1\r\n", &auth_lim, "!Protocol error: expected '$', got ':'");
    EXPECT("*1\r\n$-1\r\n", &auth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n$\r\n", &auth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n$x\r\n", &auth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n$-0\r\n", &auth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n$01\r\nx\r\n", &auth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n\x01\r\n", &auth_lim, "!Protocol error: expected '$', got '\x01'");
    EXPECT("*1\r\n$536870913\r\n", &auth_lim, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n$536870912\r\n", &auth_lim, "...");

    resp_limits small = {100, 1};
    EXPECT("*1\r\n$101\r\n", &small, "!Protocol error: invalid bulk length");
    EXPECT("*1\r\n$100\r\n", &small, "...");
}

static void test_error_inline_too_big(void **state) {
    (void)state;
    size_t n = RESP_INLINE_MAX + 1;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\n';
    expect(big, n - 1, &auth_lim, "...");
    expect(big, n, &auth_lim, "!Protocol error: too big inline request");
    /* with the newline in the same read the line is accepted, as in Redis */
    char *got = parse_once(big, n + 1, &auth_lim);
    assert_int_equal(strncmp(got, "[<65537 bytes", 13), 0);
    free(got);
    free(big);
}

static void test_error_is_sticky(void **state) {
    (void)state;
    resp_parser p;
    resp_parser_init(&p);
    size_t used = 99;
    assert_int_equal(resp_parse(&p, "*x\r\n", 4, &auth_lim, &used), RESP_ERROR);
    assert_int_equal(resp_parse(&p, "PING\r\n", 6, &auth_lim, &used), RESP_ERROR);
    assert_string_equal(resp_parser_error(&p), "Protocol error: invalid multibulk length");
    resp_parser_reset(&p);
    assert_string_equal(resp_parser_error(&p), "");
    assert_int_equal(resp_parse(&p, "PING\r\n", 6, &auth_lim, &used), RESP_OK);
    assert_int_equal(used, 6);
    resp_parser_free(&p);
}

/* ---- incremental feeding ---- */

static const char *split_inputs[] = {
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
    "*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*0\r\n\n",
    "SET \"a b\" 'c'\r\nGET x\n*-1\r\n\r\n",
    "*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n*1\r\n$2\r\nxy",
    "*1\r\n$3\r\nfoo\r\n*1\r\nbar\r\n",
};

/* A command split at every byte boundary, or fed a byte at a time, parses
 * exactly as when it arrives whole. */
static void test_split_every_boundary(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(split_inputs) / sizeof(split_inputs[0]); i++) {
        const char *in = split_inputs[i];
        size_t len = strlen(in);
        char *whole = parse_once(in, len, &auth_lim);
        for (size_t cut = 0; cut <= len; cut++) {
            driver d;
            drv_init(&d, &auth_lim, 0);
            drv_feed(&d, in, cut);
            drv_feed(&d, in + cut, len - cut);
            drv_finish(&d);
            assert_string_equal(d.out.data ? d.out.data : "", whole);
            drv_free(&d);
        }
        for (size_t step = 1; step <= 7; step++) {
            char *got = parse_chunked(in, len, step, 0, &auth_lim);
            assert_string_equal(got, whole);
            free(got);
        }
        free(whole);
    }
}

static char *make_big_command(size_t arglen, size_t *outlen) {
    sbuf b = SBUF_INIT;
    sbuf_appendf(&b, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", arglen);
    for (size_t i = 0; i < arglen; i++)
        sbuf_append_char(&b, (char)('a' + i % 26));
    sbuf_append_str(&b, "\r\n*1\r\n$4\r\nPING\r\n");
    *outlen = b.len;
    return b.data; /* sk_malloc'd: freed with sk_free */
}

static void test_big_arg_direct_and_copied(void **state) {
    (void)state;
    size_t len;
    char *in = make_big_command(100000, &len);
    char *whole = parse_once(in, len, &auth_lim);
    assert_int_equal(strncmp(whole, "[SET|k|<100000 bytes", 20), 0);
    assert_non_null(strstr(whole, "[PING]"));
    size_t steps[] = {1, 7, 4096, 16384, 65536};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        for (int direct = 0; direct <= 1; direct++) {
            char *got = parse_chunked(in, len, steps[i], direct, &auth_lim);
            assert_string_equal(got, whole);
            free(got);
        }
    }
    free(whole);
    sk_free(in);
}

static void test_big_arg_api(void **state) {
    (void)state;
    size_t arglen = RESP_BIG_ARG * 3;
    char *payload = malloc(arglen);
    for (size_t i = 0; i < arglen; i++)
        payload[i] = (char)(i * 7);
    resp_parser p;
    resp_parser_init(&p);
    size_t used = 0, room = 0;
    char hdr[64];
    int hl = snprintf(hdr, sizeof(hdr), "*1\r\n$%zu\r\n", arglen);
    sbuf b = SBUF_INIT;
    sbuf_append(&b, hdr, (size_t)hl);
    sbuf_append(&b, payload, 1000);
    assert_null(resp_parser_big_arg(&p, &room));
    assert_int_equal(resp_parse(&p, b.data, b.len, &auth_lim, &used), RESP_NEED_MORE);
    assert_int_equal(used, b.len); /* the first 1000 bytes went into the argument */
    char *dst = resp_parser_big_arg(&p, &room);
    assert_non_null(dst);
    assert_int_equal(room, arglen - 1000);
    memcpy(dst, payload + 1000, 5000);
    resp_parser_big_arg_filled(&p, 5000);
    dst = resp_parser_big_arg(&p, &room);
    assert_int_equal(room, arglen - 6000);
    memcpy(dst, payload + 6000, room);
    resp_parser_big_arg_filled(&p, room);
    assert_null(resp_parser_big_arg(&p, &room)); /* only the CRLF is missing */
    assert_int_equal(resp_parse(&p, "\r", 1, &auth_lim, &used), RESP_NEED_MORE);
    assert_int_equal(used, 0);
    assert_int_equal(resp_parse(&p, "\r\n", 2, &auth_lim, &used), RESP_OK);
    assert_int_equal(used, 2);
    int argc;
    sstr *argv = resp_parser_take_args(&p, &argc);
    assert_int_equal(argc, 1);
    assert_int_equal(sstr_len(argv[0]), arglen);
    assert_memory_equal(argv[0], payload, arglen);
    resp_free_args(argv, argc);
    /* below RESP_BIG_ARG nothing is exposed: the bulk is copied once whole */
    hl = snprintf(hdr, sizeof(hdr), "*1\r\n$%d\r\nab", RESP_BIG_ARG - 1);
    assert_int_equal(resp_parse(&p, hdr, (size_t)hl, &auth_lim, &used), RESP_NEED_MORE);
    assert_int_equal(used, (size_t)hl - 2);
    assert_null(resp_parser_big_arg(&p, &room));
    resp_parser_free(&p);
    sbuf_free(&b);
    free(payload);
}

/* A reset in the middle of a big argument frees it (ASan checks leaks). */
static void test_reset_midway(void **state) {
    (void)state;
    resp_parser p;
    resp_parser_init(&p);
    size_t used;
    char hdr[64];
    int hl = snprintf(hdr, sizeof(hdr), "*2\r\n$1\r\na\r\n$%d\r\nxyz", RESP_BIG_ARG);
    assert_int_equal(resp_parse(&p, hdr, (size_t)hl, &auth_lim, &used), RESP_NEED_MORE);
    assert_int_equal(used, (size_t)hl);
    resp_parser_reset(&p);
    assert_int_equal(resp_parse(&p, "PING\n", 5, &auth_lim, &used), RESP_OK);
    /* not taking the arguments: the next parse drops them */
    assert_int_equal(resp_parse(&p, "ECHO x\n", 7, &auth_lim, &used), RESP_OK);
    int argc;
    sstr *argv = resp_parser_take_args(&p, &argc);
    assert_int_equal(argc, 2);
    assert_string_equal(argv[1], "x");
    resp_free_args(argv, argc);
    assert_null(resp_parser_take_args(&p, &argc));
    assert_int_equal(argc, 0);
    resp_parser_free(&p);
}

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A long header trickling in a byte at a time is searched once overall:
 * rescanning from the start on every byte would take ~2e9 steps here
 * (seconds), the linear scan takes milliseconds. */
static void test_trickle_is_linear(void **state) {
    (void)state;
    size_t n = RESP_INLINE_MAX;
    char *line = malloc(n);
    memset(line, 'x', n - 1);
    line[n - 1] = '\n';
    double t0 = cpu_seconds();
    char *got = parse_chunked(line, n, 1, 0, &auth_lim);
    assert_int_equal(strncmp(got, "[<65535 bytes", 13), 0);
    free(got);

    line[0] = '*'; /* a multibulk count that never ends */
    got = parse_chunked(line, n - 1, 1, 0, &auth_lim);
    assert_string_equal(got, "...");
    free(got);
    memcpy(line, "*1\r\n$", 5); /* a bulk count likewise */
    got = parse_chunked(line, n - 1, 1, 0, &auth_lim);
    assert_string_equal(got, "...");
    free(got);
    double spent = cpu_seconds() - t0;
    if (spent > 0.5)
        fail_msg("trickling 3 x 64 KiB took %.3f s of CPU: quadratic rescanning?", spent);
    free(line);
}

/* ---- writer ---- */

static void expect_buf(sbuf *b, const char *want, size_t wlen) {
    assert_int_equal(b->len, wlen);
    assert_memory_equal(b->data, want, wlen);
    sbuf_clear(b);
}

#define EXPECT_BUF(b, lit) expect_buf(b, lit, sizeof(lit) - 1)

static void test_writer(void **state) {
    (void)state;
    sbuf b = SBUF_INIT;
    resp_add_simple(&b, "OK");
    EXPECT_BUF(&b, "+OK\r\n");
    resp_add_error(&b, "ERR bad\r\nthing\n");
    EXPECT_BUF(&b, "-ERR bad  thing \r\n");
    resp_add_errorf(&b, "ERR unknown command '%s', with args beginning with: ", "fo\ro");
    EXPECT_BUF(&b, "-ERR unknown command 'fo o', with args beginning with: \r\n");
    resp_add_int(&b, 0);
    resp_add_int(&b, -9223372036854775807LL - 1);
    EXPECT_BUF(&b, ":0\r\n:-9223372036854775808\r\n");
    resp_add_bulk(&b, "a\0b", 3);
    EXPECT_BUF(&b, "$3\r\na\0b\r\n");
    resp_add_bulk(&b, "", 0);
    EXPECT_BUF(&b, "$0\r\n\r\n");
    resp_add_bulk_cstr(&b, "hello");
    resp_add_bulk_cstr(&b, NULL);
    EXPECT_BUF(&b, "$5\r\nhello\r\n$-1\r\n");
    resp_add_bulk_ll(&b, -42);
    EXPECT_BUF(&b, "$3\r\n-42\r\n");
    resp_add_null(&b);
    resp_add_null_array(&b);
    EXPECT_BUF(&b, "$-1\r\n*-1\r\n");
    resp_add_array(&b, 3);
    resp_add_array(&b, 0);
    EXPECT_BUF(&b, "*3\r\n*0\r\n");
    resp_add_map(&b, 2, 0);
    resp_add_map(&b, 2, 1);
    EXPECT_BUF(&b, "*4\r\n%2\r\n");
    resp_add_set(&b, 5, 0);
    resp_add_set(&b, 5, 1);
    EXPECT_BUF(&b, "*5\r\n~5\r\n");
    sbuf_free(&b);
}

static void test_writer_double(void **state) {
    (void)state;
    sbuf b = SBUF_INIT;
    resp_add_double(&b, 1.5, 0);
    EXPECT_BUF(&b, "$3\r\n1.5\r\n");
    resp_add_double(&b, 0.1, 0);
    EXPECT_BUF(&b, "$19\r\n0.10000000000000001\r\n");
    resp_add_double(&b, 3, 0);
    EXPECT_BUF(&b, "$1\r\n3\r\n");
    resp_add_double(&b, 1e300, 0);
    EXPECT_BUF(&b, "$23\r\n1.0000000000000001e+300\r\n");
    resp_add_double(&b, INFINITY, 0);
    resp_add_double(&b, -INFINITY, 0);
    EXPECT_BUF(&b, "$3\r\ninf\r\n$4\r\n-inf\r\n");
    resp_add_double(&b, 1.5, 1);
    resp_add_double(&b, INFINITY, 1);
    resp_add_double(&b, -INFINITY, 1);
    EXPECT_BUF(&b, ",1.5\r\n,inf\r\n,-inf\r\n");
    resp_add_double(&b, -0.25, 1);
    EXPECT_BUF(&b, ",-0.25\r\n");
    sbuf_free(&b);
}

static void test_writer_verbatim(void **state) {
    (void)state;
    sbuf b = SBUF_INIT;
    resp_add_verbatim(&b, "# Server\r\n", 10, "txt", 1);
    EXPECT_BUF(&b, "=14\r\ntxt:# Server\r\n\r\n");
    resp_add_verbatim(&b, "x", 1, "mkd", 1);
    EXPECT_BUF(&b, "=5\r\nmkd:x\r\n");
    resp_add_verbatim(&b, "# Server\r\n", 10, "txt", 0);
    EXPECT_BUF(&b, "$10\r\n# Server\r\n\r\n");
    sbuf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multibulk_simple),
        cmocka_unit_test(test_multibulk_empty_arg),
        cmocka_unit_test(test_binary_args),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_zero_arg_commands),
        cmocka_unit_test(test_inline),
        cmocka_unit_test(test_inline_unbalanced_quotes),
        cmocka_unit_test(test_nul_hides_terminator),
        cmocka_unit_test(test_unchecked_crlf),
        cmocka_unit_test(test_error_mbulk_count),
        cmocka_unit_test(test_error_unauth_limits),
        cmocka_unit_test(test_error_bulk_header),
        cmocka_unit_test(test_error_inline_too_big),
        cmocka_unit_test(test_error_is_sticky),
        cmocka_unit_test(test_split_every_boundary),
        cmocka_unit_test(test_big_arg_direct_and_copied),
        cmocka_unit_test(test_big_arg_api),
        cmocka_unit_test(test_reset_midway),
        cmocka_unit_test(test_trickle_is_linear),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_double),
        cmocka_unit_test(test_writer_verbatim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
