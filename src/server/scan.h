/* scan.h - what SCAN, HSCAN, SSCAN and ZSCAN share: the cursor and option
 * parsing with Redis's rules and error texts, the bounded dict walk, and the
 * reply header. Each family collects its own elements. */
#ifndef SEALKV_SERVER_SCAN_H
#define SEALKV_SERVER_SCAN_H

#include "server.h"

typedef struct scan_opts {
    long long count; /* COUNT, default 10 */
    const char *pat; /* MATCH pattern (borrowed from argv) */
    size_t plen;
    int use_pat;      /* 0 when there is no pattern or it is "*" */
    const char *type; /* TYPE (SCAN only), or NULL */
} scan_opts;

/* The cursor as strtoul reads it (Redis's parseScanCursorOrReply); replies
 * "ERR invalid cursor" and returns -1 when it is not a number. */
int scan_parse_cursor(client *c, int i, unsigned long long *out);
/* COUNT and MATCH (and TYPE when allow_type) from argv[first..]; replies a
 * syntax error and returns -1 on a bad option. */
int scan_parse_opts(client *c, int first, int allow_type, scan_opts *o);
/* Non-zero when s passes the MATCH filter. */
int scan_matches(const scan_opts *o, const char *s, size_t len);
/* One SCAN step over a hashtable: at most count elements gathered (as the
 * caller counts them in *collected) and at most count*10 buckets visited, so
 * a sparse table cannot stall the server. Returns the next cursor. */
unsigned long long scan_dict(dict *d, unsigned long long cursor, long long count, dict_scan_fn *fn,
                             void *priv, const size_t *collected);
/* "*2 <cursor> *n": the caller then adds the n elements. */
void scan_reply_header(client *c, unsigned long long cursor, long long n);

#endif
