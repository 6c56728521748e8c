/* fuzz_http.c - libFuzzer harness for the HTTPS server's request path
 * without TLS: bytes go through http_reqparser (libhttp-parser plus our
 * limits, header store, path decoding and Basic credentials) exactly as
 * http.c feeds them, in pieces whose sizes come from the first input byte,
 * and every complete request's body goes through http_parse_json_body.
 * Checked: progress on every feed, errors are statuses >= 400 with a text,
 * the request's strings are NUL-terminated and within limits; ASan/UBSan
 * catch bad reads and leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/node/http_parse.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void check_request(const http_msg *m, const http_req_limits *lim) {
    const http_request *r = &m->req;
    CHECK(r->method && r->method[0]);
    CHECK(r->path && r->path[0] == '/');
    CHECK(r->query != NULL);
    CHECK(r->body != NULL && r->body[r->body_len] == '\0');
    CHECK(r->body_len <= lim->max_body);
    CHECK(r->user != NULL && r->password != NULL);
    CHECK(r->has_basic_auth || (r->user[0] == '\0' && r->password[0] == '\0'));
    CHECK(m->nhdrs <= lim->max_headers);
    char err[256];
    json_t *j = http_parse_json_body(r, err, sizeof(err));
    if (j != NULL)
        CHECK(json_is_object(j));
    else
        CHECK(err[0] != '\0');
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t piece = (size_t)(data[0] % 32) + 1; /* 1..32 bytes per read */
    data++;
    size--;
    http_req_limits lim = {.max_body = 4096, .max_header_bytes = 2048, .max_headers = 16};
    http_reqparser rp;
    http_reqparser_init(&rp, &lim);
    size_t off = 0;
    int requests = 0;
    while (off < size && requests < 64) {
        size_t n = size - off < piece ? size - off : piece, used = 0;
        int st = http_reqparser_feed(&rp, (const char *)data + off, n, &used);
        CHECK(used <= n);
        off += used;
        if (st == HTTP_PARSE_MORE) {
            CHECK(used == n);
            continue;
        }
        if (st == HTTP_PARSE_DONE) {
            http_msg *m = NULL;
            st = http_reqparser_take(&rp, &m);
            if (st == 0) {
                check_request(m, &lim);
                http_msg_free(m);
                requests++;
                continue;
            }
        }
        CHECK(st >= 400 && st <= 599);
        CHECK(rp.error[0] != '\0');
        break; /* the server answers and closes */
    }
    http_reqparser_free(&rp);
    return 0;
}
