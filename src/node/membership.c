/* membership.c - member check and the voter reconciler (see membership.h). */
#include "membership.h"

#include <inttypes.h>
#include <stdio.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "cstate.h"

#define RECONCILE_MS 1000

struct membership {
    ev_loop *loop;
    cp_store *store;
    uint64_t self;
    uint64_t *seeds; /* owned */
    size_t nseeds;
    int64_t timer;
    uint64_t adding; /* node id with an add in flight, or 0 */
    int stopped;
};

int membership_is_member(void *ud, uint64_t node_id) {
    membership *m = ud;
    const json_t *state = cp_store_state(m->store);
    if (json_object_get(state, "nodes") != NULL) return cstate_node(state, node_id) != NULL;
    for (size_t i = 0; i < m->nseeds; i++)
        if (m->seeds[i] == node_id) return 1;
    return 0;
}

static void voter_done(void *ud, int rc) {
    membership *m = ud;
    if (rc != 0 && !m->stopped)
        log_verbose("membership: node %" PRIu64 " not marked a voter yet (%s)", m->adding,
                    sk_strerror(rc));
    m->adding = 0;
}

static void add_done(void *ud, int rc) {
    membership *m = ud;
    if (m->stopped || (rc != 0 && rc != SK_ECONFLICT)) {
        if (!m->stopped)
            log_notice("membership: adding node %" PRIu64 " to Raft failed (%s); will retry",
                       m->adding, sk_strerror(rc));
        m->adding = 0;
        return;
    }
    /* SK_ECONFLICT: already in the Raft configuration (an earlier add that
     * was not recorded before a leader change). */
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, m->adding);
    log_notice("membership: node %" PRIu64 " is a voter", m->adding);
    json_t *op = cstate_op_set(cstate_path("nodes", key, "voter", NULL), json_true());
    if (cp_store_propose(m->store, op, voter_done, m) != 0) m->adding = 0;
}

static int64_t reconcile(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    membership *m = data;
    if (m->adding != 0 || !cp_store_is_leader(m->store)) return RECONCILE_MS;
    const json_t *state = cp_store_state(m->store);
    const char *k;
    json_t *n;
    json_object_foreach(json_object_get(state, "nodes"), k, n) {
        if (json_is_true(json_object_get(n, "voter"))) continue;
        const char *addr = cstate_str(n, "addr");
        uint64_t nid = (uint64_t)cstate_int(n, "uid", 0);
        if (addr == NULL || nid == 0) continue;
        m->adding = nid;
        log_notice("membership: adding node %" PRIu64 " (%s) to Raft", nid, addr);
        if (cp_store_add_node(m->store, nid, addr, add_done, m) != 0) m->adding = 0;
        break; /* one configuration change at a time */
    }
    return RECONCILE_MS;
}

membership *membership_start(ev_loop *loop, cp_store *store, uint64_t self, const uint64_t *seeds,
                             size_t nseeds) {
    membership *m = sk_calloc(1, sizeof(*m));
    m->loop = loop;
    m->store = store;
    m->self = self;
    if (nseeds > 0) {
        m->seeds = sk_malloc(nseeds * sizeof(*seeds));
        for (size_t i = 0; i < nseeds; i++)
            m->seeds[i] = seeds[i];
        m->nseeds = nseeds;
    }
    m->timer = ev_add_timer(loop, RECONCILE_MS, reconcile, m);
    return m;
}

void membership_stop(membership *m) {
    if (m == NULL || m->stopped) return;
    m->stopped = 1;
    if (m->timer > 0) ev_del_timer(m->loop, m->timer);
    m->timer = 0;
}

void membership_free(membership *m) {
    if (m == NULL) return;
    membership_stop(m);
    sk_free(m->seeds);
    sk_free(m);
}
