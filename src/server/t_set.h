/* t_set.h - the set type: values, encodings and the S* commands.
 *
 * A set value (OBJ_SET) is encoded as Redis 7.0 encodes it:
 *   intset     (OBJ_ENC_INTSET, ptr is an intset) while every member is a
 *              canonical integer and there are at most set-max-intset-entries;
 *   hashtable  (OBJ_ENC_HT, ptr is a dict of owned sstr -> NULL) otherwise.
 * A set only ever converts from intset to hashtable, never back (as Redis;
 * SPOP with a count may build a fresh value that starts as an intset).
 * An empty set is never left in the keyspace.
 *
 * The helpers below are for other modules that build or read sets (SORT
 * STORE, RDB/DUMP/RESTORE, the differential tests' fakes). Members are
 * sstr (borrowed). Not thread-safe.
 */
#ifndef SEALKV_SERVER_T_SET_H
#define SEALKV_SERVER_T_SET_H

#include <stdint.h>

#include "../core/intset.h"
#include "server.h"

/* Registers OBJ_SET (free, dup, mem_usage); call once at start. */
void set_register_type(void);

/* SADD ... SSCAN, NULL-name terminated. */
extern const command cmds_set[];

/* A new empty set that can hold first: intset if it is an integer. */
sobj *set_create_for(const sstr first);
sobj *set_create_intset(void);
sobj *set_create_ht(void);
/* Wraps an intset (takes ownership), e.g. one from intset_from_blob. */
sobj *set_from_intset(intset *is);

/* 1 when member was added, 0 when present. Converts to hashtable when the
 * member is not an integer or the intset grows past max_intset_entries. */
int set_add(sobj *set, const sstr member, long long max_intset_entries);
int set_remove(sobj *set, const sstr member); /* 1 when removed */
int set_is_member(const sobj *set, const sstr member);
size_t set_size(const sobj *set);
void set_convert_to_ht(sobj *set); /* intset -> hashtable; no-op otherwise */

/* Iteration. For each member, set_iter_next returns 1 and sets either *s
 * (hashtable: borrowed, valid until the set changes) or, when *s is NULL,
 * *ll (intset, ascending order). The set must not change during the walk. */
typedef struct set_iter {
    const sobj *set; /* borrowed */
    uint32_t pos;
    dict_iter di;
} set_iter;

void set_iter_init(set_iter *it, const sobj *set);
int set_iter_next(set_iter *it, sstr *s, int64_t *ll);
void set_iter_release(set_iter *it);

#endif
