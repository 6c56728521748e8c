/* http_parse.h - the pure half of the HTTPS server: request bytes in, one
 * complete request (an http_msg) out. No I/O, no connection, no TLS, so a
 * fuzzer drives it directly (fuzz/fuzz_http.c). Parsing itself is
 * libhttp-parser's; this module adds the limits, the header store, the
 * percent-decoded path and the Basic credentials.
 *
 * Use: feed bytes until HTTP_PARSE_DONE, take the message, feed the rest
 * (pipelined bytes) only after answering it. A status >= 400 from feed or
 * take means: answer with that status and close the connection (the parser
 * cannot resynchronise). Not part of the public API of src/node/http.h.
 */
#ifndef SEALKV_NODE_HTTP_PARSE_H
#define SEALKV_NODE_HTTP_PARSE_H

#include <http_parser.h>
#include <stddef.h>

#include "../core/sbuf.h"
#include "http.h"

#define HTTP_PARSE_MORE 0
#define HTTP_PARSE_DONE 1
#define HTTP_HARD_MAX_HEADERS 1024

typedef struct http_req_limits {
    size_t max_body, max_header_bytes;
    int max_headers;
} http_req_limits;

typedef struct http_header {
    char *name, *value; /* owned */
} http_header;

/* One parsed request; owns every string its req points to. */
typedef struct http_msg {
    http_request req;
    char method[24];
    char *path, *query;    /* owned */
    char *user, *password; /* owned; password wiped on free */
    char peer[64];         /* filled by the server */
    sbuf url, body;        /* raw target; body */
    http_header *hdrs;     /* owned array */
    int nhdrs, caphdrs;
    int keep_alive;      /* the client allows another request after this one */
    int expect_continue; /* "Expect: 100-continue" */
} http_msg;

typedef struct http_reqparser {
    http_parser p;
    http_req_limits lim;
    http_msg *cur;       /* owned: the request being parsed (NULL between requests) */
    size_t header_bytes; /* request line + headers so far */
    int in_value;        /* the last header callback was a value */
    int headers_done, done;
    int status;      /* our own limit error (413/414/431), 0 otherwise */
    char error[160]; /* description of the last error */
} http_reqparser;

/* 0 fields take the defaults of http.h. */
void http_reqparser_init(http_reqparser *rp, const http_req_limits *lim);
void http_reqparser_free(http_reqparser *rp);
/* Returns HTTP_PARSE_MORE (every byte used, *consumed = len),
 * HTTP_PARSE_DONE (a request is complete after *consumed bytes), or an HTTP
 * error status (400, 413, 414, 431, 501, 505) with rp->error set. */
int http_reqparser_feed(http_reqparser *rp, const char *data, size_t len, size_t *consumed);
/* True when the headers of the current request are complete (for 100-continue). */
int http_reqparser_headers_done(const http_reqparser *rp);
int http_reqparser_expect_continue(const http_reqparser *rp);
/* True when a request has begun (some bytes of it were seen). */
int http_reqparser_in_request(const http_reqparser *rp);
/* After DONE: hands over the request (owned by the caller) and readies the
 * parser for the next one. 0, or 400 with rp->error (bad path encoding). */
int http_reqparser_take(http_reqparser *rp, http_msg **out);

void http_msg_free(http_msg *m);
const char *http_msg_header(const http_msg *m, const char *name);

/* Reason phrase of a status ("Not Found"), "Unknown" otherwise. */
const char *http_status_text(int status);

#endif
