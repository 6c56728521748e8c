/* cp_fsm.h - the configuration store's state machine: one JSON document and
 * the ops that change it, wrapped as a C-Raft FSM.
 *
 * Every node applies the same committed entries in the same order, so the
 * functions here are deterministic: no clock, no randomness, no I/O. An op
 * that fails its precondition changes nothing (batches are all or nothing);
 * its result code travels back to the proposer through raft_apply's result.
 * Internal to src/node (the public face is store.h).
 */
#ifndef SEALKV_NODE_CP_FSM_H
#define SEALKV_NODE_CP_FSM_H

#include <jansson.h>
#include <raft.h>
#include <stdint.h>

#define CP_OPS_MAX_DEPTH 32
#define CP_OPS_MAX_BATCH 1024

/* 0 when op is well formed (shape only), SK_EINVAL otherwise. */
int cp_ops_validate(const json_t *op);
/* Applies op to state (an object). 0, SK_ECONFLICT or SK_EINVAL; on error
 * state is unchanged. */
int cp_ops_apply(json_t *state, const json_t *op);

typedef struct cp_fsm {
    struct raft_fsm fsm; /* first: raft hands back &fsm */
    json_t *state;       /* owned; always an object */
    void (*on_apply)(void *ud, const json_t *state);
    void *on_apply_ud;
} cp_fsm;

void cp_fsm_init(cp_fsm *f);
void cp_fsm_close(cp_fsm *f);
/* Entry payload <-> result code carried in raft's void *result. */
static inline int cp_fsm_result_rc(void *result) {
    return (int)(intptr_t)result;
}
/* Serialised state as a raft_malloc'd buffer (snapshot format). */
int cp_fsm_encode_state(const json_t *state, struct raft_buffer *out);

#endif
