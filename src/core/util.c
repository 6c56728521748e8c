/* util.c - number <-> string conversions, glob matching, randomness.
 *
 * The conversions follow Redis's rules byte for byte because clients see
 * their results (INCR accepts exactly what Redis accepts, INCRBYFLOAT prints
 * what Redis prints).
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "mem.h"

/* Longest text strtold is ever given: Redis's MAX_LONG_DOUBLE_CHARS. */
#define UTIL_MAX_LD_CHARS (5 * 1024)
#define UTIL_GLOB_MAX_NESTING 1000

/* Digits only, first one non-zero (so no leading zeros), into *v without
 * overflowing. Returns 1 when all of s[0..len) was consumed. */
static int util_parse_digits(const char *s, size_t len, unsigned long long *v) {
    if (len == 0 || s[0] < '1' || s[0] > '9') return 0;
    unsigned long long acc = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (ULLONG_MAX - d) / 10) return 0;
        acc = acc * 10 + d;
    }
    *v = acc;
    return 1;
}

int util_str_to_ll(const char *s, size_t len, long long *out) {
    if (len == 0) return 0;
    if (len == 1 && s[0] == '0') {
        if (out) *out = 0;
        return 1;
    }
    bool neg = s[0] == '-';
    unsigned long long v;
    /* "-0", "01", "+1", " 1" all fail here, as in Redis. */
    if (!util_parse_digits(s + neg, len - neg, &v)) return 0;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        if (out) *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        if (out) *out = (long long)v;
    }
    return 1;
}

/* Stricter than Redis's string2ull (which falls back to strtoull and thus
 * takes " 1" and "+1"): the same rules as util_str_to_ll, unsigned range. */
int util_str_to_ull(const char *s, size_t len, unsigned long long *out) {
    if (len == 1 && s[0] == '0') {
        if (out) *out = 0;
        return 1;
    }
    unsigned long long v;
    if (!util_parse_digits(s, len, &v)) return 0;
    if (out) *out = v;
    return 1;
}

/* strtold/strtod need a NUL; copy into a bounded stack buffer. */
static int util_copy_cstr(char *buf, size_t buflen, const char *s, size_t len) {
    if (len == 0 || len >= buflen) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 1;
}

int util_str_to_ld(const char *s, size_t len, long double *out) {
    char buf[UTIL_MAX_LD_CHARS];
    if (!util_copy_cstr(buf, sizeof(buf), s, len) || isspace((unsigned char)buf[0])) return 0;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || errno == EINVAL || isnan(v)) return 0;
    /* Overflow and underflow to zero are errors; a denormal result is not. */
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return 0;
    if (out) *out = v;
    return 1;
}

int util_str_to_d(const char *s, size_t len, double *out) {
    char buf[UTIL_MAX_LD_CHARS];
    if (!util_copy_cstr(buf, sizeof(buf), s, len) || isspace((unsigned char)buf[0])) return 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v)) return 0;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) return 0;
    if (out) *out = v;
    return 1;
}

int util_ull_to_str(char *buf, size_t buflen, unsigned long long v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if ((size_t)n + 1 > buflen) return 0;
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

int util_ll_to_str(char *buf, size_t buflen, long long v) {
    if (v >= 0) return util_ull_to_str(buf, buflen, (unsigned long long)v);
    if (buflen < 2) return 0;
    /* -(LLONG_MIN) overflows a long long; negate in unsigned arithmetic. */
    unsigned long long u = 0ULL - (unsigned long long)v;
    int n = util_ull_to_str(buf + 1, buflen - 1, u);
    if (n == 0) return 0;
    buf[0] = '-';
    return n + 1;
}

int util_ld_to_str(char *buf, size_t buflen, long double v) {
    if (isinf(v)) {
        const char *t = v > 0 ? "inf" : "-inf";
        size_t l = strlen(t);
        if (buflen < l + 1) return 0;
        memcpy(buf, t, l + 1);
        return (int)l;
    }
    int n = snprintf(buf, buflen, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > buflen) return 0;
    /* Human form: drop the zeros after the point, then a bare point. */
    if (memchr(buf, '.', (size_t)n)) {
        while (n > 0 && buf[n - 1] == '0')
            n--;
        if (n > 0 && buf[n - 1] == '.') n--;
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        n = 1;
    }
    buf[n] = '\0';
    return n;
}

int util_d_to_str(char *buf, size_t buflen, double v) {
    int n;
    if (isinf(v))
        n = snprintf(buf, buflen, "%s", v > 0 ? "inf" : "-inf");
    else
        n = snprintf(buf, buflen, "%.17g", v);
    if (n < 0 || (size_t)n + 1 > buflen) return 0;
    return n;
}

/* ---- glob ---- */

typedef struct glob_ctx {
    int nocase;
    bool give_up; /* a '*' already failed at every later start: see below */
} glob_ctx;

static inline int glob_fold(int c, int nocase) {
    return nocase ? tolower(c) : c;
}

/* Matches one [...] class against c. On entry pp and plen point just after the '['
 * and are left on the closing ']' (or on the last byte when unclosed). */
static bool glob_class(const unsigned char **pp, size_t *plen, unsigned char c, int nocase) {
    const unsigned char *p = *pp;
    size_t n = *plen;
    bool neg = n > 0 && p[0] == '^';
    bool match = false;
    if (neg) {
        p++;
        n--;
    }
    for (;;) {
        if (n == 0) {
            /* Unclosed class: step back so the caller's advance ends the pattern. */
            p--;
            n++;
            break;
        }
        if (p[0] == '\\' && n >= 2) {
            p++;
            n--;
            if (p[0] == c) match = true;
        } else if (p[0] == ']') {
            break;
        } else if (n >= 3 && p[1] == '-') {
            int lo = p[0], hi = p[2];
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            int cc = glob_fold(c, nocase);
            lo = glob_fold(lo, nocase);
            hi = glob_fold(hi, nocase);
            if (cc >= lo && cc <= hi) match = true;
            p += 2;
            n -= 2;
        } else if (glob_fold(p[0], nocase) == glob_fold(c, nocase)) {
            match = true;
        }
        p++;
        n--;
    }
    *pp = p;
    *plen = n;
    return neg ? !match : match;
}

static int glob_impl(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen,
                     glob_ctx *ctx, int nesting) {
    /* Bounded recursion: each '*' nests once; absurd patterns simply fail. */
    if (nesting > UTIL_GLOB_MAX_NESTING) return 0;
    while (plen && slen) {
        switch (p[0]) {
        case '*':
            while (plen > 1 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1) return 1;
            while (slen) {
                if (glob_impl(p + 1, plen - 1, s, slen, ctx, nesting + 1)) return 1;
                if (ctx->give_up) return 0;
                s++;
                slen--;
            }
            /* The rest of the pattern matches at no position of the rest of
             * the string, so no earlier '*' can help by eating more: stop
             * the whole search (this makes "a*a*a*...b" linear-ish). */
            ctx->give_up = true;
            return 0;
        case '?':
            s++;
            slen--;
            break;
        case '[':
            p++;
            plen--;
            if (!glob_class(&p, &plen, s[0], ctx->nocase)) return 0;
            s++;
            slen--;
            break;
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (glob_fold(p[0], ctx->nocase) != glob_fold(s[0], ctx->nocase)) return 0;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen && p[0] == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    /* Redis's loop never runs for an empty string, so there "*" fails to
     * match "" (KEYS/SCAN hide that with a "*" shortcut). Letting stars
     * match nothing here gives the answer those commands show. */
    while (slen == 0 && plen && p[0] == '*') {
        p++;
        plen--;
    }
    return plen == 0 && slen == 0;
}

int util_glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase) {
    glob_ctx ctx = {nocase, false};
    return glob_impl((const unsigned char *)pattern, plen, (const unsigned char *)s, slen, &ctx, 0);
}

/* ---- randomness ---- */

void util_random_bytes(void *buf, size_t len) {
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            /* Without entropy we cannot make keys or seeds: stop here. */
            static const char msg[] = "sealkv: getrandom failed\n";
            ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
            (void)w;
            abort();
        }
        p += n;
        len -= (size_t)n;
    }
}

/* xorshift64* (Vigna); one state per thread, seeded on first use. */
uint64_t util_rand64(void) {
    static __thread uint64_t state;
    while (state == 0)
        util_random_bytes(&state, sizeof(state));
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

int util_eq_nocase(const char *a, size_t alen, const char *lit) {
    return strlen(lit) == alen && strncasecmp(a, lit, alen) == 0;
}

void util_install_stop_signals(void (*on_stop)(int sig)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
