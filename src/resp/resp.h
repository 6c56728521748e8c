/* resp.h - RESP request parser and reply writer.
 *
 * The parser is pure: bytes in, one command's arguments out, plus how many
 * bytes it consumed; no I/O, no client struct, so a fuzzer drives it alone.
 * It is incremental: a command may arrive in many pieces; state (multibulk
 * count, arguments so far, the pending bulk length) is kept between calls.
 * It handles multibulk ("*3\r\n$3\r\nSET...") and inline ("SET k v\r\n")
 * requests with the exact error texts of Redis 7.0, and enforces limits
 * before allocating: an unauthenticated client may not announce more than 10
 * arguments or bulks longer than 16384 bytes.
 *
 * Arguments are owned sstrs (core/sstr.h); after RESP_OK the caller takes
 * them with resp_parser_take_args() and owns them.
 *
 * Big arguments: when a bulk of at least RESP_BIG_ARG bytes is pending and
 * only part of it has arrived, resp_parser_big_arg() gives the place where
 * the rest must go, so the caller can read straight into it and then call
 * resp_parser_big_arg_filled(): the argument is never copied.
 */
#ifndef SEALKV_RESP_RESP_H
#define SEALKV_RESP_RESP_H

#include <stddef.h>

#include "../core/sbuf.h"
#include "../core/sstr.h"

#define RESP_BIG_ARG (32 * 1024)
#define RESP_INLINE_MAX (64 * 1024)

typedef struct resp_limits {
    long long max_bulk_len; /* proto-max-bulk-len (default 512 MiB) */
    int authenticated;      /* 0: the unauthenticated limits apply */
} resp_limits;

typedef enum {
    RESP_NEED_MORE = 0, /* consumed what it could; call again with more data */
    RESP_OK = 1,        /* a full command is ready */
    RESP_ERROR = -1     /* protocol error: reply resp_parser_error() and close */
} resp_status;

typedef struct resp_parser {
    int kind;             /* 0 none yet, '*' multibulk, 'i' inline */
    long long mbulk_left; /* arguments still expected */
    long long bulk_len;   /* -1: waiting for a $ header */
    sstr *argv;           /* owned until taken */
    int argc, argv_cap;
    sstr big; /* owned: a big argument being filled directly */
    char error[128];
    /* Added by the parser's implementation (private): */
    size_t scan;      /* bytes of the pending header already searched */
    int scan_blocked; /* a NUL came first: the terminator is never found */
    int ready;        /* RESP_OK returned, arguments not taken yet */
} resp_parser;

void resp_parser_init(resp_parser *p);
void resp_parser_reset(resp_parser *p); /* frees any partial command */
void resp_parser_free(resp_parser *p);

/* Parses from buf[0..len). *consumed is set to the bytes used (also on
 * RESP_NEED_MORE: partial headers are left unconsumed, complete arguments
 * are consumed and kept). The next call's buf must start with the bytes left
 * unconsumed (plus any new ones): the parser remembers how far it searched a
 * partial header, so a trickle of bytes costs O(n) in total. Bytes read
 * through resp_parser_big_arg() must not be passed again. An empty inline
 * line or "*0"/"*-1" gives RESP_OK with argc 0, which the caller ignores, as
 * Redis does. After RESP_ERROR every call returns RESP_ERROR until a reset;
 * after RESP_OK, a call without resp_parser_take_args() drops the command. */
resp_status resp_parse(resp_parser *p, const char *buf, size_t len, const resp_limits *lim,
                       size_t *consumed);
/* Moves the arguments out: returns an owned array of *argc owned sstrs
 * (NULL when argc is 0) and readies the parser for the next command. */
sstr *resp_parser_take_args(resp_parser *p, int *argc);
/* Frees an array returned by resp_parser_take_args (NULL is fine). */
void resp_free_args(sstr *argv, int argc);
const char *resp_parser_error(const resp_parser *p); /* "Protocol error: ..." */

/* Direct fill of a big argument: returns where the next bytes go and sets
 * *room to how many are still missing (excluding the final CRLF), or NULL
 * when no big argument is pending. */
char *resp_parser_big_arg(resp_parser *p, size_t *room);
void resp_parser_big_arg_filled(resp_parser *p, size_t n);

/* ---- Reply writer (RESP2 unless noted). Appends to an sbuf. ---- */
void resp_add_simple(sbuf *b, const char *s);  /* +s\r\n */
void resp_add_error(sbuf *b, const char *msg); /* -msg\r\n; '\r','\n' become ' ' */
void resp_add_errorf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void resp_add_int(sbuf *b, long long v);                /* :v\r\n */
void resp_add_bulk(sbuf *b, const void *p, size_t len); /* $len\r\n...\r\n */
void resp_add_bulk_cstr(sbuf *b, const char *s);
void resp_add_bulk_ll(sbuf *b, long long v);
void resp_add_null(sbuf *b);                        /* $-1\r\n */
void resp_add_null_array(sbuf *b);                  /* *-1\r\n */
void resp_add_array(sbuf *b, long long n);          /* *n\r\n */
void resp_add_map(sbuf *b, long long n, int resp3); /* %n or *2n */
void resp_add_set(sbuf *b, long long n, int resp3); /* ~n or *n (added) */
void resp_add_double(sbuf *b, double d, int resp3); /* bulk "%.17g" or ,d */
void resp_add_verbatim(sbuf *b, const char *p, size_t len, const char *ext, int resp3);

#endif
