/* zset_skiplist.c - the skiplist of the sorted sets, with rank spans, and the
 * score / lex range helpers shared by both encodings.
 *
 * A skiplist (Pugh) ordered by (score, member) where every forward link
 * records how many level-0 nodes it skips, so the rank of a node is the sum
 * of the spans walked to reach it: rank queries and rank ranges are
 * O(log n). Nodes have a backward link at level 0 for reverse walks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "t_zset.h"

/* ------------------------------------------------------------- ordering */

int zset_cmp_member(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* Non-zero when node x sorts before (score, ele). */
static int node_before(const zsl_node *x, double score, const char *ele, size_t len) {
    if (x->score != score) return x->score < score;
    return zset_cmp_member(x->ele, sstr_len(x->ele), ele, len) < 0;
}

static int node_is(const zsl_node *x, double score, const char *ele, size_t len) {
    return x->score == score && zset_cmp_member(x->ele, sstr_len(x->ele), ele, len) == 0;
}

/* ------------------------------------------------------------ lifecycle */

static zsl_node *node_new(int level, double score, sstr ele) {
    zsl_node *n = sk_malloc(sizeof(*n) + (size_t)level * sizeof(struct zsl_level));
    n->score = score;
    n->ele = ele;
    n->backward = NULL;
    return n;
}

zskiplist *zsl_create(void) {
    zskiplist *zsl = sk_malloc(sizeof(*zsl));
    zsl->level = 1;
    zsl->length = 0;
    zsl->header = node_new(ZSL_MAXLEVEL, 0, NULL);
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        zsl->header->level[i].forward = NULL;
        zsl->header->level[i].span = 0;
    }
    zsl->tail = NULL;
    return zsl;
}

void zsl_free_node(zsl_node *n) {
    if (!n) return;
    sstr_free(n->ele);
    sk_free(n);
}

void zsl_free(zskiplist *zsl) {
    if (!zsl) return;
    zsl_node *x = zsl->header->level[0].forward;
    sk_free(zsl->header);
    while (x) {
        zsl_node *next = x->level[0].forward;
        zsl_free_node(x);
        x = next;
    }
    sk_free(zsl);
}

/* Each extra level with probability ZSL_P: 16 bits of randomness per draw
 * compared to the threshold. */
static int random_level(void) {
    int level = 1;
    const uint64_t threshold = (uint64_t)(ZSL_P * 65536.0);
    uint64_t r = util_rand64();
    int bits = 64;
    while (level < ZSL_MAXLEVEL) {
        if (bits < 16) {
            r = util_rand64();
            bits = 64;
        }
        if ((r & 0xFFFF) >= threshold) break;
        r >>= 16;
        bits -= 16;
        level++;
    }
    return level;
}

/* --------------------------------------------------------------- insert */

/* Fills update[] (last node before the position at each level) and rank[]
 * (its rank) for (score, ele). */
static void find_path(const zskiplist *zsl, double score, const char *ele, size_t len,
                      zsl_node **update, unsigned long *rank) {
    zsl_node *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--) {
        if (rank) rank[i] = i == zsl->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward && node_before(x->level[i].forward, score, ele, len)) {
            if (rank) rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
}

static zsl_node *insert_node(zskiplist *zsl, double score, sstr ele, zsl_node **update,
                             unsigned long *rank) {
    int level = random_level();
    if (level > zsl->level) {
        for (int i = zsl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zsl->header;
            update[i]->level[i].span = zsl->length;
        }
        zsl->level = level;
    }
    zsl_node *x = node_new(level, score, ele);
    for (int i = 0; i < level; i++) {
        x->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = x;
        x->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < zsl->level; i++)
        update[i]->level[i].span++;
    x->backward = update[0] == zsl->header ? NULL : update[0];
    if (x->level[0].forward)
        x->level[0].forward->backward = x;
    else
        zsl->tail = x;
    zsl->length++;
    return x;
}

zsl_node *zsl_insert(zskiplist *zsl, double score, sstr ele) {
    zsl_node *update[ZSL_MAXLEVEL];
    unsigned long rank[ZSL_MAXLEVEL];
    find_path(zsl, score, ele, sstr_len(ele), update, rank);
    return insert_node(zsl, score, ele, update, rank);
}

/* --------------------------------------------------------------- delete */

static void unlink_node(zskiplist *zsl, zsl_node *x, zsl_node **update) {
    for (int i = 0; i < zsl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span -= 1;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        zsl->tail = x->backward;
    while (zsl->level > 1 && zsl->header->level[zsl->level - 1].forward == NULL)
        zsl->level--;
    zsl->length--;
}

zsl_node *zsl_unlink(zskiplist *zsl, double score, const char *ele, size_t len) {
    zsl_node *update[ZSL_MAXLEVEL];
    find_path(zsl, score, ele, len, update, NULL);
    zsl_node *x = update[0]->level[0].forward;
    if (!x || !node_is(x, score, ele, len)) return NULL;
    unlink_node(zsl, x, update);
    return x;
}

zsl_node *zsl_update_score(zskiplist *zsl, double curscore, const char *ele, size_t len,
                           double newscore) {
    zsl_node *update[ZSL_MAXLEVEL];
    unsigned long rank[ZSL_MAXLEVEL];
    find_path(zsl, curscore, ele, len, update, NULL);
    zsl_node *x = update[0]->level[0].forward;
    if (!x || !node_is(x, curscore, ele, len)) return NULL;
    /* Still between its neighbours: change the score in place. */
    zsl_node *next = x->level[0].forward;
    if ((x->backward == NULL || x->backward->score < newscore) &&
        (next == NULL || next->score > newscore)) {
        x->score = newscore;
        return x;
    }
    /* Otherwise unlink and insert again, keeping the member sstr. */
    unlink_node(zsl, x, update);
    sstr member = x->ele;
    sk_free(x);
    find_path(zsl, newscore, member, sstr_len(member), update, rank);
    return insert_node(zsl, newscore, member, update, rank);
}

unsigned long zsl_delete_range_by_rank(zskiplist *zsl, unsigned long start, unsigned long end,
                                       dict *d) {
    zsl_node *update[ZSL_MAXLEVEL];
    zsl_node *x = zsl->header;
    unsigned long traversed = 0, removed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span < start) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    traversed++;
    x = x->level[0].forward;
    while (x && traversed <= end) {
        zsl_node *next = x->level[0].forward;
        unlink_node(zsl, x, update);
        if (d) dict_delete(d, x->ele);
        zsl_free_node(x);
        removed++;
        traversed++;
        x = next;
    }
    return removed;
}

/* ----------------------------------------------------------------- rank */

unsigned long zsl_get_rank(const zskiplist *zsl, double score, const char *ele, size_t len) {
    const zsl_node *x = zsl->header;
    unsigned long rank = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && (node_before(x->level[i].forward, score, ele, len) ||
                                       node_is(x->level[i].forward, score, ele, len))) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        /* x may be the header, whose ele is NULL. */
        if (x->ele && node_is(x, score, ele, len)) return rank;
    }
    return 0;
}

zsl_node *zsl_get_by_rank(const zskiplist *zsl, unsigned long rank) {
    zsl_node *x = zsl->header;
    unsigned long traversed = 0;
    if (rank == 0 || rank > zsl->length) return NULL;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == rank) return x;
    }
    return NULL;
}

/* --------------------------------------------------------------- ranges */

int zscore_gte_min(double v, const zscore_range *r) {
    return r->minex ? v > r->min : v >= r->min;
}

int zscore_lte_max(double v, const zscore_range *r) {
    return r->maxex ? v < r->max : v <= r->max;
}

int zscore_range_empty(const zscore_range *r) {
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* Compares a bound with a member: <0, 0, >0 as bound vs member. */
static int lex_cmp_bound(const zlex_bound *b, const char *p, size_t len) {
    if (b->inf) return b->inf;
    return zset_cmp_member(b->p, b->len, p, len);
}

int zlex_gte_min(const char *p, size_t len, const zlex_range *r) {
    int c = lex_cmp_bound(&r->min, p, len);
    return r->min.ex ? c < 0 : c <= 0;
}

int zlex_lte_max(const char *p, size_t len, const zlex_range *r) {
    int c = lex_cmp_bound(&r->max, p, len);
    return r->max.ex ? c > 0 : c >= 0;
}

/* Bound order with "-" below and "+" above every string (Redis sdscmplex). */
static int lex_bound_cmp(const zlex_bound *a, const zlex_bound *b) {
    if (a->inf || b->inf) return (a->inf > b->inf) - (a->inf < b->inf);
    return zset_cmp_member(a->p, a->len, b->p, b->len);
}

int zlex_range_empty(const zlex_range *r) {
    int c = lex_bound_cmp(&r->min, &r->max);
    return c > 0 || (c == 0 && (r->min.ex || r->max.ex));
}

/* strtod rules as Redis's zslParseRange: "(" prefix for exclusive, the rest
 * must be consumed whole (an empty rest reads as 0) and not NaN. */
static int parse_score_bound(const sstr s, double *v, int *ex) {
    const char *p = s;
    char *end;
    *ex = 0;
    if (p[0] == '(') {
        *ex = 1;
        p++;
    }
    *v = strtod(p, &end);
    if (end[0] != '\0' || isnan(*v)) return -1;
    return 0;
}

int zscore_range_parse(const sstr min, const sstr max, zscore_range *out) {
    if (parse_score_bound(min, &out->min, &out->minex) < 0) return -1;
    if (parse_score_bound(max, &out->max, &out->maxex) < 0) return -1;
    return 0;
}

static int parse_lex_bound(const sstr s, zlex_bound *b) {
    size_t len = sstr_len(s);
    b->inf = 0;
    b->ex = 0;
    b->p = s + 1;
    b->len = len ? len - 1 : 0;
    if (len == 0) return -1;
    switch (s[0]) {
    case '+':
    case '-':
        if (len != 1) return -1;
        b->inf = s[0] == '+' ? 1 : -1;
        b->ex = 1;
        return 0;
    case '(':
        b->ex = 1;
        return 0;
    case '[':
        return 0;
    default:
        return -1;
    }
}

int zlex_range_parse(const sstr min, const sstr max, zlex_range *out) {
    if (parse_lex_bound(min, &out->min) < 0 || parse_lex_bound(max, &out->max) < 0) return -1;
    return 0;
}

/* First/last node in range: the range is non-empty and overlaps the list
 * (checked by the callers below), then one descent. */
static int score_overlaps(const zskiplist *zsl, const zscore_range *r) {
    if (zscore_range_empty(r) || !zsl->tail) return 0;
    if (!zscore_gte_min(zsl->tail->score, r)) return 0;
    const zsl_node *x = zsl->header->level[0].forward;
    return x && zscore_lte_max(x->score, r);
}

zsl_node *zsl_first_in_range(const zskiplist *zsl, const zscore_range *r, unsigned long *rank) {
    if (!score_overlaps(zsl, r)) return NULL;
    zsl_node *x = zsl->header;
    unsigned long traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && !zscore_gte_min(x->level[i].forward->score, r)) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    x = x->level[0].forward;
    if (!x || !zscore_lte_max(x->score, r)) return NULL;
    if (rank) *rank = traversed + 1;
    return x;
}

zsl_node *zsl_last_in_range(const zskiplist *zsl, const zscore_range *r, unsigned long *rank) {
    if (!score_overlaps(zsl, r)) return NULL;
    zsl_node *x = zsl->header;
    unsigned long traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && zscore_lte_max(x->level[i].forward->score, r)) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    if (x == zsl->header || !zscore_gte_min(x->score, r)) return NULL;
    if (rank) *rank = traversed;
    return x;
}

static int lex_overlaps(const zskiplist *zsl, const zlex_range *r) {
    if (zlex_range_empty(r) || !zsl->tail) return 0;
    if (!zlex_gte_min(zsl->tail->ele, sstr_len(zsl->tail->ele), r)) return 0;
    const zsl_node *x = zsl->header->level[0].forward;
    return x && zlex_lte_max(x->ele, sstr_len(x->ele), r);
}

zsl_node *zsl_first_in_lex_range(const zskiplist *zsl, const zlex_range *r, unsigned long *rank) {
    if (!lex_overlaps(zsl, r)) return NULL;
    zsl_node *x = zsl->header;
    unsigned long traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               !zlex_gte_min(x->level[i].forward->ele, sstr_len(x->level[i].forward->ele), r)) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    x = x->level[0].forward;
    if (!x || !zlex_lte_max(x->ele, sstr_len(x->ele), r)) return NULL;
    if (rank) *rank = traversed + 1;
    return x;
}

zsl_node *zsl_last_in_lex_range(const zskiplist *zsl, const zlex_range *r, unsigned long *rank) {
    if (!lex_overlaps(zsl, r)) return NULL;
    zsl_node *x = zsl->header;
    unsigned long traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               zlex_lte_max(x->level[i].forward->ele, sstr_len(x->level[i].forward->ele), r)) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    if (x == zsl->header || !zlex_gte_min(x->ele, sstr_len(x->ele), r)) return NULL;
    if (rank) *rank = traversed;
    return x;
}

size_t zsl_mem_usage(const zskiplist *zsl) {
    size_t n = sizeof(*zsl) + sizeof(zsl_node) + ZSL_MAXLEVEL * sizeof(struct zsl_level);
    for (const zsl_node *x = zsl->header->level[0].forward; x; x = x->level[0].forward) {
        /* Level count is not stored: estimate 1/(1-p) levels per node. */
        n += sizeof(zsl_node) + sizeof(struct zsl_level) * 4 / 3 + sstr_alloc_size(x->ele);
    }
    return n;
}
