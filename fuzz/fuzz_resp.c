/* fuzz_resp.c - libFuzzer harness for the RESP request parser.
 *
 * Input layout: byte 0 = mode, bytes 1..4 = seed of the chunk sizes, the
 * rest = the bytes a client sends. The stream is parsed the way a
 * connection parses it (chunks appended to a pending buffer, consumed bytes
 * dropped), authenticated and not, once whole and once in pseudo-random
 * chunks. Checked: consumed <= available, argc >= 0, arguments within the
 * limits, and - while the stream fits in 64 KiB, where the "too big" rules
 * cannot depend on how bytes were split - identical results for every
 * split. ASan's leak check covers freeing.
 *
 * mode bits: 0-3 log2 of the largest chunk (0 = whole stream at once),
 *            4 use the big-argument API, 5 proto-max-bulk-len 100.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/sbuf.h"
#include "../src/resp/resp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

typedef struct run {
    uint64_t digest; /* of every command and the error text, in order */
    int failed;
} run;

static void digest_bytes(uint64_t *h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= c[i];
        *h *= 1099511628211ULL; /* FNV-1a */
    }
}

static uint32_t next_rand(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void take_command(resp_parser *p, run *r) {
    int argc = -1;
    sstr *argv = resp_parser_take_args(p, &argc);
    CHECK(argc >= 0);
    CHECK(argc == 0 || argv != NULL);
    digest_bytes(&r->digest, &argc, sizeof(argc));
    for (int i = 0; i < argc; i++) {
        size_t n = sstr_len(argv[i]);
        CHECK(argv[i][n] == '\0');
        digest_bytes(&r->digest, &n, sizeof(n));
        digest_bytes(&r->digest, argv[i], n);
    }
    resp_free_args(argv, argc);
}

static void parse_pending(resp_parser *p, sbuf *pending, const resp_limits *lim, run *r) {
    size_t avail = pending->len;
    for (size_t rounds = 0; !r->failed; rounds++) {
        CHECK(rounds <= avail + 1); /* each RESP_OK consumes at least a byte */
        size_t used = (size_t)-1;
        const char *buf = pending->data ? pending->data : "";
        resp_status st = resp_parse(p, buf, pending->len, lim, &used);
        CHECK(used <= pending->len);
        sbuf_consume(pending, used);
        if (st == RESP_ERROR) {
            const char *e = resp_parser_error(p);
            CHECK(strncmp(e, "Protocol error", 14) == 0);
            CHECK(strchr(e, '\r') == NULL && strchr(e, '\n') == NULL);
            digest_bytes(&r->digest, e, strlen(e));
            r->failed = 1;
        } else if (st == RESP_OK) {
            take_command(p, r);
        } else {
            CHECK(st == RESP_NEED_MORE);
            break;
        }
    }
}

static void feed(resp_parser *p, sbuf *pending, const uint8_t *in, size_t n, int direct,
                 const resp_limits *lim, run *r) {
    size_t room = 0;
    char *dst;
    while (direct && n > 0 && (dst = resp_parser_big_arg(p, &room)) != NULL) {
        CHECK(pending->len == 0 && room > 0);
        size_t k = n < room ? n : room;
        memcpy(dst, in, k);
        resp_parser_big_arg_filled(p, k);
        in += k;
        n -= k;
    }
    sbuf_append(pending, in, n);
    parse_pending(p, pending, lim, r);
}

static run parse_stream(const uint8_t *in, size_t len, unsigned mode, uint32_t seed,
                        const resp_limits *lim) {
    run r = {14695981039346656037ULL, 0};
    resp_parser p;
    sbuf pending = SBUF_INIT;
    resp_parser_init(&p);
    size_t maxchunk = (mode & 0x0f) ? (size_t)1 << ((mode & 0x0f) - 1) : len;
    int direct = (mode & 0x10) != 0;
    if (seed == 0) seed = 1;
    size_t off = 0;
    do {
        size_t n = maxchunk ? 1 + next_rand(&seed) % maxchunk : 0;
        if (n > len - off) n = len - off;
        feed(&p, &pending, in + off, n, direct, lim, &r);
        off += n;
    } while (off < len && !r.failed);
    if (!r.failed) /* after an error the unread rest depends on the chunking */
        digest_bytes(&r.digest, &pending.len, sizeof(pending.len));
    resp_parser_free(&p);
    sbuf_free(&pending);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    unsigned mode = data[0];
    uint32_t seed;
    memcpy(&seed, data + 1, sizeof(seed));
    const uint8_t *in = data + 5;
    size_t len = size - 5;
    for (int auth = 0; auth <= 1; auth++) {
        resp_limits lim = {(mode & 0x20) ? 100 : 512LL * 1024 * 1024, auth};
        run chunked = parse_stream(in, len, mode, seed, &lim);
        run whole = parse_stream(in, len, 0, 0, &lim);
        if (len <= RESP_INLINE_MAX) CHECK(chunked.digest == whole.digest);
    }
    return 0;
}
