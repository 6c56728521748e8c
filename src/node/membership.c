/* membership.c - member check and the voter reconciler (see membership.h). */
#include "membership.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "cstate.h"
#include "nodedir.h"

#define RECONCILE_MS 1000

struct membership {
    ev_loop *loop;
    cp_store *store;
    uint64_t self;
    char *members_path; /* owned: DIR/members.json */
    json_t *known;      /* owned: array of ids last seen as members */
    int64_t timer;
    uint64_t adding; /* node id with an add in flight, or 0 */
    int stopped;
};

static void insert_sorted(json_t *ids, json_int_t id) {
    size_t at = 0;
    while (at < json_array_size(ids) && json_integer_value(json_array_get(ids, at)) < id)
        at++;
    if (id <= 0 || (at < json_array_size(ids) && json_integer_value(json_array_get(ids, at)) == id))
        return;
    json_array_insert_new(ids, at, json_integer(id));
}

static int known_has(const json_t *known, uint64_t id) {
    size_t i;
    json_t *v;
    json_array_foreach(known, i, v) {
        if ((uint64_t)json_integer_value(v) == id) return 1;
    }
    return 0;
}

int membership_is_member(void *ud, uint64_t node_id) {
    membership *m = ud;
    const json_t *state = cp_store_state(m->store);
    if (cstate_node(state, node_id) != NULL) return 1;
    return !cstate_is_removed(state, node_id) && known_has(m->known, node_id);
}

/* known + the applied state's nodes - its removed nodes, ascending: the
 * list only forgets a node the state removed, so replaying an old snapshot
 * and the log after it never drops a member that joined later. */
static json_t *merged_ids(const json_t *known, const json_t *state) {
    json_t *ids = json_array();
    const char *k;
    json_t *n;
    size_t i;
    json_t *v;
    json_array_foreach(known, i, v) {
        uint64_t id = (uint64_t)json_integer_value(v);
        if (!cstate_is_removed(state, id)) insert_sorted(ids, (json_int_t)id);
    }
    json_object_foreach(json_object_get(state, "nodes"), k, n) {
        insert_sorted(ids, (json_int_t)cstate_int(n, "uid", 0));
    }
    return ids;
}

static void save_known(membership *m) {
    char *text = json_dumps(m->known, JSON_COMPACT);
    char err[256];
    if (text == NULL ||
        nodedir_write_file(m->members_path, text, strlen(text), 0600, err, sizeof(err)) != 0)
        log_warning("membership: cannot record the member list: %s", text ? err : "no memory");
    free(text);
}

static void on_apply(void *ud, const json_t *state) {
    membership *m = ud;
    if (json_object_get(state, "nodes") == NULL) return;
    json_t *ids = merged_ids(m->known, state);
    if (json_equal(ids, m->known)) {
        json_decref(ids);
        return;
    }
    json_decref(m->known);
    m->known = ids;
    if (m->members_path != NULL) save_known(m);
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
    if (m->stopped || rc != 0) {
        if (!m->stopped)
            log_notice("membership: adding node %" PRIu64 " to Raft failed (%s); will retry",
                       m->adding, sk_strerror(rc));
        m->adding = 0;
        return;
    }
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, m->adding);
    log_notice("membership: node %" PRIu64 " is a voter", m->adding);
    json_t *op = cstate_op_set(cstate_path("nodes", key, "voter", NULL), json_true());
    if (cp_store_propose(m->store, op, voter_done, m) != 0) m->adding = 0;
}

static void readd_done(void *ud, int rc) {
    membership *m = ud;
    if (rc != 0 && rc != SK_ENOTFOUND && !m->stopped)
        log_notice("membership: removing node %" PRIu64 " before adding it again failed (%s)",
                   m->adding, sk_strerror(rc));
    m->adding = 0; /* the next round adds it */
}

/* The node is in the Raft configuration but the state says it is not a voter
 * yet: an earlier promotion gave up (the node was not running, so it could
 * not catch up) and left it a spare, which gets no entries. The store can
 * only add, so take it out and let the next round add it again. */
static void readd(membership *m, uint64_t nid) {
    log_notice("membership: node %" PRIu64 " is in the Raft configuration but not a voter; "
               "adding it again",
               nid);
    if (cp_store_remove_node(m->store, nid, readd_done, m) != 0) m->adding = 0;
}

static void removed_done(void *ud, int rc) {
    membership *m = ud;
    if (rc == 0)
        log_notice("membership: node %" PRIu64 " removed", m->adding);
    else if (!m->stopped)
        log_notice("membership: node %" PRIu64 " left Raft but not the state yet (%s)", m->adding,
                   sk_strerror(rc));
    m->adding = 0;
}

/* Out of Raft (or never in it): now out of the state, for good. */
static void remove_done(void *ud, int rc) {
    membership *m = ud;
    if (m->stopped || (rc != 0 && rc != SK_ENOTFOUND)) {
        if (!m->stopped)
            log_notice("membership: removing node %" PRIu64 " from Raft failed (%s); will retry",
                       m->adding, sk_strerror(rc));
        m->adding = 0;
        return;
    }
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, m->adding);
    json_t *batch = cstate_op_batch();
    cstate_batch_add(batch, cstate_op_del(cstate_path("nodes", key, NULL)));
    cstate_batch_add(batch, cstate_op_set(cstate_path("removed", key, NULL),
                                          json_pack("{s:I}", "removed", (json_int_t)time(NULL))));
    if (cp_store_propose(m->store, batch, removed_done, m) != 0) m->adding = 0;
}

/* Raft first, then the state: the other order would leave a voter that
 * every node refuses (a two-node cluster could never remove it). When the
 * leader removes itself it steps down before the second step; the next
 * leader sees the mark, finds the node already out of Raft and finishes. */
static int start_removal(membership *m, const json_t *state) {
    const char *k;
    json_t *n;
    json_object_foreach(json_object_get(state, "nodes"), k, n) {
        if (!json_is_true(json_object_get(n, "removing"))) continue;
        uint64_t nid = (uint64_t)cstate_int(n, "uid", 0);
        if (nid == 0) continue;
        m->adding = nid;
        log_notice("membership: removing node %" PRIu64 " from Raft", nid);
        int rc = cp_store_remove_node(m->store, nid, remove_done, m);
        if (rc == SK_ENOTFOUND) {
            m->adding = nid;
            remove_done(m, 0);
        } else if (rc != 0) {
            m->adding = 0;
        }
        return 1;
    }
    return 0;
}

static int64_t reconcile(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    membership *m = data;
    if (m->adding != 0 || !cp_store_is_leader(m->store)) return RECONCILE_MS;
    const json_t *state = cp_store_state(m->store);
    const char *k;
    json_t *n;
    if (start_removal(m, state)) return RECONCILE_MS;
    json_object_foreach(json_object_get(state, "nodes"), k, n) {
        if (json_is_true(json_object_get(n, "voter"))) continue;
        const char *addr = cstate_str(n, "addr");
        uint64_t nid = (uint64_t)cstate_int(n, "uid", 0);
        if (addr == NULL || nid == 0) continue;
        m->adding = nid;
        log_verbose("membership: adding node %" PRIu64 " (%s) to Raft", nid, addr);
        int rc = cp_store_add_node(m->store, nid, addr, add_done, m);
        if (rc == SK_ECONFLICT) {
            readd(m, nid);
        } else if (rc != 0) {
            log_verbose("membership: cannot add node %" PRIu64 " now (%s)", nid, sk_strerror(rc));
            m->adding = 0;
        }
        break; /* one configuration change at a time */
    }
    return RECONCILE_MS;
}

membership *membership_start(ev_loop *loop, cp_store *store, uint64_t self, const char *dir,
                             const uint64_t *seeds, size_t nseeds) {
    char path[NODEDIR_PATH_MAX];
    membership *m = sk_calloc(1, sizeof(*m));
    m->loop = loop;
    m->store = store;
    m->self = self;
    if (nodedir_path(dir, "members.json", path) == 0) {
        m->members_path = sk_strdup(path);
        m->known = json_load_file(path, 0, NULL);
    }
    if (!json_is_array(m->known)) {
        json_decref(m->known);
        m->known = json_array();
        for (size_t i = 0; i < nseeds; i++)
            json_array_append_new(m->known, json_integer((json_int_t)seeds[i]));
    }
    cp_store_on_apply(store, on_apply, m);
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
    json_decref(m->known);
    sk_free(m->members_path);
    sk_free(m);
}
