/* util.h - small pure helpers shared by every module: number <-> string
 * conversions with Redis's exact rules, glob matching, random bytes.
 */
#ifndef SEALKV_CORE_UTIL_H
#define SEALKV_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Strict integer parse as Redis string2ll: no spaces, no '+', no leading
 * zeros (except "0"), range of long long. Returns 1 on success, 0 otherwise. */
int util_str_to_ll(const char *s, size_t len, long long *out);
int util_str_to_ull(const char *s, size_t len, unsigned long long *out);
/* Redis string2ld/strtod rules for INCRBYFLOAT and friends: no spaces, not
 * NaN; returns 1 on success. */
int util_str_to_ld(const char *s, size_t len, long double *out);
int util_str_to_d(const char *s, size_t len, double *out);

/* Writes v in decimal; returns the length (no NUL counted), or 0 if buflen is short. */
int util_ll_to_str(char *buf, size_t buflen, long long v);
int util_ull_to_str(char *buf, size_t buflen, unsigned long long v);
/* Long double as Redis ld2string in LD_STR_HUMAN mode (INCRBYFLOAT replies):
 * "%.17Lf" with trailing zeros and dot removed; "inf"/"-inf" handled. */
int util_ld_to_str(char *buf, size_t buflen, long double v);
/* Double as Redis's "%.17g" reply format (RESP2 bulk of a score). */
int util_d_to_str(char *buf, size_t buflen, double v);

/* Glob match with Redis stringmatchlen semantics: * ? [abc] [^a] [a-z] \x.
 * nocase != 0 compares ASCII letters case-insensitively. Bounded recursion. */
int util_glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase);

/* Cryptographically strong random bytes (getrandom); aborts on failure. */
void util_random_bytes(void *buf, size_t len);
/* Fast non-crypto PRNG for sampling (xorshift, seeded from random bytes). */
uint64_t util_rand64(void);

/* Case-insensitive compare of an arg with a C string literal. */
int util_eq_nocase(const char *a, size_t alen, const char *lit);

/* The daemons' signal set-up: SIGTERM and SIGINT call on_stop (which should
 * only set a flag the event loop reads), SIGPIPE is ignored so that a write
 * to a closed socket returns EPIPE (OpenSSL writes with write(2)). */
void util_install_stop_signals(void (*on_stop)(int sig));

#endif
