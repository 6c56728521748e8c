/* t_zset.h - sorted sets (Redis 7.0 semantics) and their skiplist.
 *
 * Files: zset_skiplist.c (skiplist, ranges), zset_value.c (values, the two
 * encodings, type table), t_zset.c (commands).
 *
 * A zset value (OBJ_ZSET) has one of two encodings, chosen as Redis 7.0
 * chooses them (zset-max-listpack-entries / zset-max-listpack-value):
 *
 *   listpack  o->ptr is a listpack of member, score pairs sorted by score then
 *             member; scores stored as Redis stores them (the "%.17g" text,
 *             which the listpack keeps as an integer when it is one), so the
 *             bytes are those of a Redis RDB/DUMP payload;
 *   skiplist  o->ptr is a zset_ht: a skiplist ordered by (score, member) whose
 *             nodes carry rank spans, and a dict member -> node for O(1)
 *             score lookups. The dict key is the node's member (borrowed);
 *             the skiplist owns the members.
 *
 * A value converts from listpack to skiplist when an add would pass a
 * threshold, never back (as Redis), except that new values built by the STORE
 * commands start in the encoding their final size calls for.
 *
 * Member order is byte order, shorter first on a common prefix (memcmp).
 * Not thread-safe.
 */
#ifndef SEALKV_SERVER_T_ZSET_H
#define SEALKV_SERVER_T_ZSET_H

#include <stddef.h>

#include "../core/dict.h"
#include "../core/sstr.h"
#include "server.h"

/* ---------------------------------------------------------------- skiplist */

#define ZSL_MAXLEVEL 32 /* enough for 2^64 elements at p = 1/4 */
#define ZSL_P 0.25

typedef struct zsl_node zsl_node;
struct zsl_node {
    sstr ele; /* owned */
    double score;
    zsl_node *backward;
    struct zsl_level {
        zsl_node *forward;
        unsigned long span; /* nodes skipped by this link, for ranks */
    } level[];
};

typedef struct zskiplist {
    zsl_node *header, *tail; /* owned; header holds no element */
    unsigned long length;
    int level;
} zskiplist;

/* Score interval; minex/maxex make the bound exclusive ("(1.5"). */
typedef struct zscore_range {
    double min, max;
    int minex, maxex;
} zscore_range;

/* One bound of a lex interval: "-" (inf -1), "+" (inf +1), "[x" or "(x".
 * p points into the argument it was parsed from (borrowed). */
typedef struct zlex_bound {
    const char *p;
    size_t len;
    int inf;
    int ex;
} zlex_bound;

typedef struct zlex_range {
    zlex_bound min, max;
} zlex_range;

zskiplist *zsl_create(void);
void zsl_free(zskiplist *zsl); /* frees the nodes and their members */
void zsl_free_node(zsl_node *n);
/* Inserts (score, ele); takes ownership of ele. The caller guarantees the
 * member is not present and score is not NaN. Returns the new node. */
zsl_node *zsl_insert(zskiplist *zsl, double score, sstr ele);
/* Unlinks the node (score, ele). Returns it (the caller frees it with
 * zsl_free_node, or keeps its ele) or NULL when absent. */
zsl_node *zsl_unlink(zskiplist *zsl, double score, const char *ele, size_t len);
/* Moves the element (curscore, ele) to newscore. Returns its node, which may
 * be a new one; the member sstr is kept (same pointer). NULL if absent. */
zsl_node *zsl_update_score(zskiplist *zsl, double curscore, const char *ele, size_t len,
                           double newscore);
/* 1-based rank of (score, ele), 0 when absent. */
unsigned long zsl_get_rank(const zskiplist *zsl, double score, const char *ele, size_t len);
/* Node at a 1-based rank, NULL out of range. */
zsl_node *zsl_get_by_rank(const zskiplist *zsl, unsigned long rank);
/* First / last node inside the range, with its 1-based rank; NULL if none. */
zsl_node *zsl_first_in_range(const zskiplist *zsl, const zscore_range *r, unsigned long *rank);
zsl_node *zsl_last_in_range(const zskiplist *zsl, const zscore_range *r, unsigned long *rank);
zsl_node *zsl_first_in_lex_range(const zskiplist *zsl, const zlex_range *r, unsigned long *rank);
zsl_node *zsl_last_in_lex_range(const zskiplist *zsl, const zlex_range *r, unsigned long *rank);
/* Removes ranks start..end (1-based, inclusive); each member is first
 * deleted from d when d is not NULL (d must not free it). Returns count. */
unsigned long zsl_delete_range_by_rank(zskiplist *zsl, unsigned long start, unsigned long end,
                                       dict *d);
/* Heap bytes of nodes and members. */
size_t zsl_mem_usage(const zskiplist *zsl);

/* Member order: memcmp, shorter first on a common prefix. */
int zset_cmp_member(const char *a, size_t alen, const char *b, size_t blen);

/* Ranges. Parsers return 0, or -1 on a malformed bound (the caller replies
 * "ERR min or max is not a float" / "ERR min or max not valid string range
 * item"). The lex range borrows the argument bytes. */
int zscore_range_parse(const sstr min, const sstr max, zscore_range *out);
int zlex_range_parse(const sstr min, const sstr max, zlex_range *out);
int zscore_gte_min(double v, const zscore_range *r);
int zscore_lte_max(double v, const zscore_range *r);
int zscore_range_empty(const zscore_range *r); /* 1 when nothing can be inside */
int zlex_gte_min(const char *p, size_t len, const zlex_range *r);
int zlex_lte_max(const char *p, size_t len, const zlex_range *r);
int zlex_range_empty(const zlex_range *r);

/* ------------------------------------------------------------ zset values */

/* The skiplist encoding's value. */
typedef struct zset_ht {
    dict *d;        /* member (borrowed from the node) -> zsl_node* */
    zskiplist *zsl; /* owned */
} zset_ht;

/* zset_add flags in / out, as Redis's ZADD_IN_* / ZADD_OUT_*. */
#define ZADD_IN_INCR (1 << 0)
#define ZADD_IN_NX (1 << 1)
#define ZADD_IN_XX (1 << 2)
#define ZADD_IN_GT (1 << 3)
#define ZADD_IN_LT (1 << 4)
#define ZADD_OUT_NOP (1 << 0)
#define ZADD_OUT_NAN (1 << 1)
#define ZADD_OUT_ADDED (1 << 2)
#define ZADD_OUT_UPDATED (1 << 3)

/* A new empty zset sized for size_hint members of up to maxlen bytes:
 * listpack when both fit srv's thresholds, else skiplist. Refcount 1. */
sobj *zset_new(const server *srv, size_t size_hint, size_t maxlen);
unsigned long zset_length(const sobj *o);
/* Adds or updates; converts the encoding when a threshold is passed.
 * Returns 1, or 0 when the result would be NaN (ZADD_OUT_NAN set). newscore
 * (may be NULL) receives the score after the operation. */
int zset_add(const server *srv, sobj *o, double score, const char *ele, size_t len, int in_flags,
             int *out_flags, double *newscore);
/* Loading (RDB): adds a member the caller knows is new and sorts after every
 * member present (by score, then member), so the listpack grows at its tail
 * and nothing is searched. Converts to a skiplist past the thresholds. */
void zset_append_sorted(const server *srv, sobj *o, double score, const char *ele, size_t len);
int zset_del(sobj *o, const char *ele, size_t len);                  /* 1 if it was there */
int zset_score(sobj *o, const char *ele, size_t len, double *score); /* 1 if found */
/* 0-based rank (from the highest score when reverse), -1 when absent. */
long zset_rank(sobj *o, const char *ele, size_t len, int reverse);
/* Listpack to skiplist (no-op if already skiplist). */
void zset_convert_to_skiplist(sobj *o);

/* In-order iteration from a 0-based rank (counted from the end when
 * reverse). The zset must not change while iterating. */
typedef struct zset_iter {
    sobj *o;
    int reverse;
    unsigned char *eptr; /* listpack: current member entry */
    zsl_node *node;      /* skiplist: current node */
} zset_iter;

typedef struct zset_elem {
    const char *p; /* borrowed: into the value, or into buf */
    size_t len;
    double score;
    unsigned char buf[24];
} zset_elem;

void zset_iter_init(zset_iter *it, sobj *o, unsigned long rank, int reverse);
int zset_iter_next(zset_iter *it, zset_elem *e); /* 1 with e filled, 0 at the end */

/* Runs of ranks. A score or lex range selects consecutive ranks: these
 * return how many and set *start to the first (0-based). The lex walk
 * follows Redis's (forward: from the first member >= min while <= max;
 * reverse: from the last <= max backwards while >= min, *start counted from
 * the end) so members with different scores give Redis's answers. */
unsigned long zset_score_span(sobj *o, const zscore_range *r, unsigned long *start);
unsigned long zset_lex_span(sobj *o, const zlex_range *r, int reverse, unsigned long *start);
/* Removes 0-based ranks start..end (inclusive, in range); returns count. */
unsigned long zset_delete_ranks(sobj *o, unsigned long start, unsigned long end);

/* ------------------------------------------------------------ registration */

/* Registers OBJ_ZSET ("zset") with obj_register_type; call once at start. */
void zset_register_type(void);

/* ZADD ... ZSCAN; NULL-name terminated. */
extern const command cmds_zset[];

#endif
