/* fuzz_repl.c - libFuzzer harness for what a replica parses from its
 * master (repl_proto.c): handshake reply lines, the PSYNC reply, the payload
 * header ("$<len>" / "$EOF:<mark>") and the payload's end, then the command
 * stream, fed in chunks as a connection delivers them.
 *
 * Input layout: byte 0 = log2 of the largest chunk (low 4 bits; 0 = all at
 * once), bytes 1..4 = seed of the chunk sizes, the rest = the bytes the
 * master sends. Checked: lines and consumed counts stay inside the input;
 * an EOF mark found ends where the mark's bytes are; the raw bytes of the
 * stream's commands are exactly the stream's bytes, in order, whatever the
 * split; ASan's leak check covers freeing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/sbuf.h"
#include "../src/resp/resp.h"
#include "../src/server/repl_proto.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static uint32_t next_rand(uint32_t *s) {
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* The command stream in chunks; returns the bytes accounted for as raw. */
static size_t run_stream(const uint8_t *p, size_t len, unsigned maxlog, uint32_t seed,
                         sbuf *raw_all) {
    repl_stream s;
    repl_stream_init(&s, 1024 * 1024);
    size_t pos = 0;
    int failed = 0;
    while (pos < len && !failed) {
        size_t n = len - pos;
        if (maxlog) {
            size_t max = (size_t)1 << maxlog;
            size_t want = 1 + next_rand(&seed) % max;
            if (want < n) n = want;
        }
        if (next_rand(&seed) & 1) {
            repl_stream_feed(&s, p + pos, n);
        } else {
            size_t room;
            char *dst = repl_stream_space(&s, n, &room);
            CHECK(room >= n);
            memcpy(dst, p + pos, n);
            repl_stream_commit(&s, n);
        }
        pos += n;
        for (;;) {
            sstr *argv = NULL;
            int argc = 0;
            const char *raw = NULL, *err = NULL;
            size_t rawlen = 0;
            int st = repl_stream_next(&s, &argv, &argc, &raw, &rawlen, &err);
            if (st == 0) break;
            if (st < 0) {
                CHECK(err != NULL);
                failed = 1;
                break;
            }
            CHECK(argc >= 0 && rawlen > 0);
            sbuf_append(raw_all, raw, rawlen);
            resp_free_args(argv, argc);
        }
    }
    repl_stream_free(&s);
    return raw_all->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    unsigned maxlog = data[0] & 15;
    uint32_t seed;
    memcpy(&seed, data + 1, 4);
    const char *p = (const char *)data + 5;
    size_t len = size - 5;

    /* Handshake: lines until the PSYNC reply. */
    size_t pos = 0;
    repl_psync_reply rep = {0};
    int got_reply = 0;
    while (pos < len) {
        size_t ll, used;
        int st = repl_next_line(p + pos, len - pos, &ll, &used);
        if (st <= 0) break;
        CHECK(ll <= used && used <= len - pos);
        repl_parse_psync_reply(p + pos, ll, &rep);
        CHECK(rep.kind >= REPL_REPLY_FULLRESYNC && rep.kind <= REPL_REPLY_BAD);
        if (rep.kind == REPL_REPLY_FULLRESYNC) CHECK(strlen(rep.replid) == 40 && rep.offset >= 0);
        pos += used;
        if (rep.kind == REPL_REPLY_FULLRESYNC || rep.kind == REPL_REPLY_CONTINUE) {
            got_reply = 1;
            break;
        }
    }
    if (got_reply && rep.kind == REPL_REPLY_FULLRESYNC) {
        /* Payload header after keep-alive newlines. */
        repl_payload_hdr hdr;
        int have_hdr = 0;
        while (pos < len) {
            size_t ll, used;
            if (repl_next_line(p + pos, len - pos, &ll, &used) <= 0) break;
            pos += used;
            if (ll == 0) continue;
            have_hdr = repl_parse_payload_header(p + pos - used, ll, &hdr) == 0;
            break;
        }
        if (!have_hdr) return 0;
        if (hdr.eof_mode) {
            repl_eof_scan scan;
            repl_eof_scan_init(&scan, hdr.mark);
            size_t end = 0;
            while (pos < len && !end) {
                size_t n = len - pos;
                if (maxlog) {
                    size_t want = 1 + next_rand(&seed) % ((size_t)1 << maxlog);
                    if (want < n) n = want;
                }
                size_t e = repl_eof_scan_feed(&scan, p + pos, n);
                CHECK(e <= n);
                if (e) {
                    end = pos + e;
                    CHECK(end >= 40 && !memcmp(p + end - 40, hdr.mark, 40));
                }
                pos += n;
            }
            if (!end) return 0;
            pos = end;
        } else {
            if ((unsigned long long)hdr.size > len - pos) return 0;
            pos += (size_t)hdr.size;
        }
    }
    /* The command stream: raw bytes equal the input, in order. */
    sbuf raw_all = SBUF_INIT;
    size_t accounted = run_stream((const uint8_t *)p + pos, len - pos, maxlog, seed, &raw_all);
    CHECK(accounted <= len - pos);
    CHECK(accounted == 0 || !memcmp(raw_all.data, p + pos, accounted));
    sbuf_free(&raw_all);
    return 0;
}
