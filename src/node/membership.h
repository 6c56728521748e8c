/* membership.h - who may speak on the control plane, and Raft membership
 * kept in step with the nodes of the replicated state.
 *
 * Member check (for cp_store_set_member_check): a node is a member when the
 * applied state lists it under "nodes". Before a joined node has received
 * any state it trusts the members it was given at join time (seeds).
 *
 * Reconciler: on the leader, once a second, a node of the state that is not
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

/* seeds: node ids trusted until the first state arrives (borrowed, copied). */
membership *membership_start(ev_loop *loop, cp_store *store, uint64_t self, const uint64_t *seeds,
                             size_t nseeds);
/* For cp_store_set_member_check: ud is the membership. */
int membership_is_member(void *ud, uint64_t node_id);
/* Stops the timer; in-flight store callbacks still run (until the store is
 * closed), so free only after cp_store_close. */
void membership_stop(membership *m);
void membership_free(membership *m);

#endif
