/* listpack.h - compact sequence of strings and integers in Redis 7.0's
 * listpack byte format.
 *
 * A listpack is one heap block (sk_malloc) laid out exactly as Redis 7.0 lays
 * it out, so RDB/DUMP code can emit and read the bytes unchanged:
 *
 *   <total-bytes u32 LE> <num-elements u16 LE> <entry> ... <entry> <0xFF>
 *
 * num-elements is 65535 (LP_NUMELE_UNKNOWN) when the count does not fit; then
 * lp_length() counts by walking. Each entry is <encoding+data> <backlen>,
 * where backlen is the size of <encoding+data> as a 1..5 byte varint written
 * so it can be read right to left (lets lp_prev walk backwards):
 *
 *   0xxxxxxx                 7-bit unsigned int (0..127)
 *   10xxxxxx <data>          string, length 0..63
 *   110xxxxx yyyyyyyy        13-bit signed int, big-endian, two's complement
 *   1110xxxx yyyyyyyy <data> string, length 0..4095 (length big-endian)
 *   11110001 <2 bytes LE>    16-bit int
 *   11110010 <3 bytes LE>    24-bit int
 *   11110011 <4 bytes LE>    32-bit int
 *   11110100 <8 bytes LE>    64-bit int
 *   11110000 <4 bytes LE len> <data>   string, 32-bit length
 *
 * Strings that are the canonical decimal form of a 64-bit integer (no sign
 * '+', no leading zeros, no "-0", at most 20 chars) are stored as integers,
 * smallest encoding first, as Redis does. lp_get() then returns the integer;
 * lp_get_str() turns it back into the same decimal text.
 *
 * Positions are entry pointers (unsigned char *p) into the listpack, as in
 * Redis. Every function that changes the listpack may reallocate it: it
 * returns the new listpack, and all entry pointers the caller held are stale
 * afterwards unless the function hands back an updated one (the `newp` /
 * `*p` arguments below). The caller owns the listpack and frees it with
 * lp_free().
 *
 * Functions that only read trust the listpack: use lp_validate() first on
 * bytes that came from outside (RESTORE, RDB load). lp_validate() never reads
 * outside [lp, lp+size) whatever the bytes are.
 *
 * Not thread-safe; no global state.
 */
#ifndef SEALKV_CORE_LISTPACK_H
#define SEALKV_CORE_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

#define LP_HDR_SIZE 6
#define LP_EOF 0xFF
#define LP_NUMELE_UNKNOWN 65535
/* Room for any int64 in decimal: lp_get_str()'s scratch buffer size. */
#define LP_INTBUF_SIZE 21
/* Largest total size a listpack may grow to; lp_safe_to_add checks it. */
#define LP_MAX_SAFETY_SIZE (1u << 30)

/* Where lp_insert puts the new element relative to p. */
enum lp_where { LP_BEFORE = 0, LP_AFTER = 1, LP_REPLACE = 2 };

/* --- life cycle ------------------------------------------------------- */

/* An empty listpack (7 bytes). `capacity` is a hint for the first
 * allocation; 0 is fine. Owned by the caller. */
unsigned char *lp_new(size_t capacity);
void lp_free(unsigned char *lp);
/* Copy of the whole listpack (owned by the caller). */
unsigned char *lp_dup(const unsigned char *lp);
/* Shrink the allocation to exactly lp_bytes(lp). */
unsigned char *lp_shrink_to_fit(unsigned char *lp);

/* --- size ------------------------------------------------------------- */

/* Number of elements. Walks the listpack when the header says "unknown". */
unsigned long lp_length(const unsigned char *lp);
/* Total size in bytes, header and terminator included. */
size_t lp_bytes(const unsigned char *lp);
/* 1 if adding `add` more bytes keeps lp under LP_MAX_SAFETY_SIZE. lp may
 * be NULL (size 0). */
int lp_safe_to_add(const unsigned char *lp, size_t add);
/* Bytes an element of this string would take (encoding+data+backlen). */
size_t lp_entry_size_str(const void *s, size_t len);

/* --- navigation (NULL past either end) -------------------------------- */

unsigned char *lp_first(const unsigned char *lp);
unsigned char *lp_last(const unsigned char *lp);
unsigned char *lp_next(const unsigned char *lp, const unsigned char *p);
unsigned char *lp_prev(const unsigned char *lp, const unsigned char *p);
/* Element at `index`; negative counts from the end (-1 is the last).
 * NULL if out of range. */
unsigned char *lp_seek(const unsigned char *lp, long index);

/* --- reading ---------------------------------------------------------- */

/* Read the entry at p. For a string entry: returns a pointer to its bytes
 * (borrowed, inside lp) and sets *slen. For an integer entry: returns NULL and
 * sets *ival. slen/ival may not be NULL. */
const unsigned char *lp_get(const unsigned char *p, uint32_t *slen, int64_t *ival);
/* Read the entry at p as a string: integers are written in decimal into
 * buf (LP_INTBUF_SIZE bytes, caller's) and buf is returned. */
const unsigned char *lp_get_str(const unsigned char *p, uint32_t *slen,
                                unsigned char buf[LP_INTBUF_SIZE]);
/* Read the entry at p as an integer: 1 and *ival if it is an integer entry
 * (strings never are: they would have been stored as integers), else 0. */
int lp_get_int(const unsigned char *p, int64_t *ival);
/* 1 if the entry at p equals the string s (an integer entry equals its
 * decimal text). */
int lp_compare(const unsigned char *p, const void *s, size_t slen);
/* Size in bytes of the whole entry at p (encoding+data+backlen). */
size_t lp_entry_size(const unsigned char *p);

/* First entry at or after p that equals s, then looks only at every
 * (skip+1)-th entry: skip=1 searches the fields of a field/value listpack
 * when p is a field. NULL if none. */
unsigned char *lp_find(const unsigned char *lp, const unsigned char *p, const void *s, size_t slen,
                       unsigned int skip);

/* --- changing (each returns the possibly moved listpack) --------------- */

/* Append / prepend a string (stored as an integer when it is one). */
unsigned char *lp_append(unsigned char *lp, const void *s, size_t slen);
unsigned char *lp_prepend(unsigned char *lp, const void *s, size_t slen);
unsigned char *lp_append_int(unsigned char *lp, int64_t v);
unsigned char *lp_prepend_int(unsigned char *lp, int64_t v);
/* Insert s before/after the entry p, or replace p with it (LP_REPLACE).
 * For LP_BEFORE p may point at the terminator (appends). If newp is not NULL
 * it receives the new element's position in the returned listpack. */
unsigned char *lp_insert(unsigned char *lp, const void *s, size_t slen, unsigned char *p,
                         enum lp_where where, unsigned char **newp);
unsigned char *lp_insert_int(unsigned char *lp, int64_t v, unsigned char *p, enum lp_where where,
                             unsigned char **newp);
unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const void *s, size_t slen);
unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, int64_t v);
/* Delete the entry at p. If newp is not NULL it receives the position of the
 * element that followed (NULL if p was the last). */
unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **newp);
/* Delete `num` elements starting at *p (fewer if the list ends first);
 * *p is updated to the element that followed, or NULL. */
unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, unsigned long num);
/* Delete `num` elements starting at index (negative from the end). */
unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long num);
/* Delete the entries at ps[0..n-1], which must be distinct, valid and in
 * increasing address order; one pass, one realloc. */
unsigned char *lp_batch_delete(unsigned char *lp, unsigned char **ps, unsigned long n);

/* --- untrusted input -------------------------------------------------- */

/* Called for each entry during lp_validate_cb; returns 1 to accept. */
typedef int (*lp_validate_entry_fn)(const unsigned char *p, unsigned int head_count,
                                    void *userdata);

/* Full integrity check of `size` bytes claimed to be a listpack: header
 * total equals size, every entry's encoding is valid and inside the buffer,
 * every backlen matches, terminator last, element count matches the header
 * (unless unknown). Returns 1 if valid, 0 if not. Never reads outside
 * [lp, lp+size). */
int lp_validate(const unsigned char *lp, size_t size);
/* Same, calling cb(p, header_count, userdata) on each entry after it was
 * checked; a 0 from cb fails the validation. cb may be NULL. */
int lp_validate_cb(const unsigned char *lp, size_t size, lp_validate_entry_fn cb, void *userdata);

/* --- helpers shared with callers -------------------------------------- */

/* 1 and *v if s[0..len) is the canonical decimal form of an int64 (the rule
 * listpack uses to store strings as integers), else 0. */
int lp_string_to_int64(const void *s, size_t len, int64_t *v);

#endif
