/* membership.h - who may speak on the control plane, and Raft membership
 * kept in step with the nodes of the replicated state.
 *
 * Member check (for cp_store_set_member_check): a node is a member when the
 * applied state lists it under "nodes", or when the last member list this
 * node saw (members.json in its directory, rewritten when the applied list
 * changes; at first the members given at join time) names it and the applied
 * state has not removed it. The second rule matters after a restart: the
 * applied state then comes from the last snapshot, older than the log, and
 * the log's later entries (joins) are applied only once a leader is elected,
 * which needs the peers those entries added.
 *
 * Reconciler: on the leader, once a second. A node marked "removing" (by
 * DELETE /v1/nodes) is taken out of Raft, then out of the state ("removed"
 * keeps its id, never reused). Otherwise a node of the state that is not
 * yet a Raft voter ("voter": false, set by a join) is added with
 * cp_store_add_node and then marked a voter. Joins answer before this (the
 * new node must run for Raft to promote it), so it happens here, and a
 * leader change in between only delays it.
 */
#ifndef SEALKV_NODE_MEMBERSHIP_H
#define SEALKV_NODE_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/ev.h"
#include "store.h"

typedef struct membership membership;

/* dir: the node directory (members.json); seeds: node ids trusted when
 * there is no members.json yet (borrowed, copied). Sets the store's on_apply. */
membership *membership_start(ev_loop *loop, cp_store *store, uint64_t self, const char *dir,
                             const uint64_t *seeds, size_t nseeds);
/* For cp_store_set_member_check: ud is the membership. */
int membership_is_member(void *ud, uint64_t node_id);
/* Stops the timer; in-flight store callbacks still run (until the store is
 * closed), so free only after cp_store_close. */
void membership_stop(membership *m);
void membership_free(membership *m);

#endif
