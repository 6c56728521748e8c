/* cp_fsm.c - JSON ops and the C-Raft FSM of the configuration store. */
#include "cp_fsm.h"

#include <string.h>

#include "../core/err.h"
#include "../core/log.h"

static const char *op_name(const json_t *op) {
    return json_string_value(json_object_get(op, "op"));
}

static int path_valid(const json_t *path, int allow_empty) {
    size_t i, n;
    if (!json_is_array(path)) return 0;
    n = json_array_size(path);
    if ((n == 0 && !allow_empty) || n > CP_OPS_MAX_DEPTH) return 0;
    for (i = 0; i < n; i++) {
        const json_t *k = json_array_get(path, i);
        if (!json_is_string(k) || json_string_length(k) == 0 ||
            strlen(json_string_value(k)) != json_string_length(k))
            return 0;
    }
    return 1;
}

static int validate_depth(const json_t *op, int depth) {
    const char *name = op_name(op);
    const json_t *path = json_object_get(op, "path");
    if (!json_is_object(op) || !name) return SK_EINVAL;
    if (!strcmp(name, "batch")) {
        const json_t *ops = json_object_get(op, "ops"), *sub;
        size_t i;
        if (depth > 0 || !json_is_array(ops) || json_array_size(ops) > CP_OPS_MAX_BATCH)
            return SK_EINVAL; /* no nested batches: one level is all anyone needs */
        json_array_foreach(ops, i, sub) {
            if (validate_depth(sub, depth + 1)) return SK_EINVAL;
        }
        return 0;
    }
    if (!strcmp(name, "set")) /* An empty path replaces the whole document (must be an object). */
        return path_valid(path, 1) && json_object_get(op, "value") &&
                       (json_array_size(path) > 0 || json_is_object(json_object_get(op, "value")))
                   ? 0
                   : SK_EINVAL;
    if (!strcmp(name, "create"))
        return path_valid(path, 0) && json_object_get(op, "value") ? 0 : SK_EINVAL;
    if (!strcmp(name, "cas"))
        return path_valid(path, 0) && json_object_get(op, "value") && json_object_get(op, "expect")
                   ? 0
                   : SK_EINVAL;
    if (!strcmp(name, "del")) return path_valid(path, 0) ? 0 : SK_EINVAL;
    return SK_EINVAL;
}

int cp_ops_validate(const json_t *op) {
    return validate_depth(op, 0);
}

/* The object holding the last path element; creates the missing ones when
 * create is set. NULL when missing (or a non-object on the way: *conflict). */
static json_t *parent_of(json_t *state, const json_t *path, int create, int *conflict) {
    size_t i, n = json_array_size(path);
    json_t *cur = state;
    for (i = 0; i + 1 < n; i++) {
        const char *k = json_string_value(json_array_get(path, i));
        json_t *next = json_object_get(cur, k);
        if (!next) {
            if (!create) return NULL;
            next = json_object();
            json_object_set_new(cur, k, next);
        } else if (!json_is_object(next)) {
            *conflict = 1;
            return NULL;
        }
        cur = next;
    }
    return cur;
}

static const char *last_key(const json_t *path) {
    return json_string_value(json_array_get(path, json_array_size(path) - 1));
}

static int apply_one(json_t *state, const json_t *op) {
    const char *name = op_name(op);
    const json_t *path = json_object_get(op, "path");
    json_t *value = json_object_get(op, "value"), *parent, *cur;
    int conflict = 0;

    if (!strcmp(name, "set") && json_array_size(path) == 0) {
        json_object_clear(state);
        return json_object_update(state, value) ? SK_ENOMEM : 0;
    }
    if (!strcmp(name, "del")) {
        parent = parent_of(state, path, 0, &conflict);
        if (!parent || !json_object_get(parent, last_key(path))) return SK_ECONFLICT;
        json_object_del(parent, last_key(path));
        return 0;
    }
    if (!strcmp(name, "cas")) {
        parent = parent_of(state, path, 0, &conflict);
        if (conflict) return SK_ECONFLICT;
        cur = parent ? json_object_get(parent, last_key(path)) : NULL;
        /* A missing value compares as JSON null. */
        if (cur ? !json_equal(cur, json_object_get(op, "expect"))
                : !json_is_null(json_object_get(op, "expect")))
            return SK_ECONFLICT;
    }
    if (!strcmp(name, "create")) {
        parent = parent_of(state, path, 0, &conflict);
        if (conflict || (parent && json_object_get(parent, last_key(path)))) return SK_ECONFLICT;
    }
    parent = parent_of(state, path, 1, &conflict);
    if (!parent) return SK_ECONFLICT;
    json_object_set_new(parent, last_key(path), json_deep_copy(value));
    return 0;
}

int cp_ops_apply(json_t *state, const json_t *op) {
    const json_t *sub;
    json_t *copy;
    size_t i;
    int rc;

    if (!json_is_object(state) || cp_ops_validate(op)) return SK_EINVAL;
    if (strcmp(op_name(op), "batch")) {
        /* parent_of may create objects before the last step fails: work
         * on a copy only for ops whose precondition is checked late. */
        copy = json_deep_copy(state);
        rc = apply_one(copy, op);
        goto swap;
    }
    copy = json_deep_copy(state);
    rc = 0;
    json_array_foreach(json_object_get(op, "ops"), i, sub) {
        rc = apply_one(copy, sub);
        if (rc) break;
    }
swap:
    if (rc == 0) {
        json_object_clear(state);
        json_object_update(state, copy);
    }
    json_decref(copy);
    return rc;
}

/* ---- raft FSM ---- */

static int fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf, void **result) {
    cp_fsm *f = (cp_fsm *)rf;
    json_error_t jerr;
    json_t *op = json_loadb(buf->base, buf->len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = op ? cp_ops_apply(f->state, op) : SK_EINVAL;
    json_decref(op);
    /* A bad op is the proposer's problem, not the log's: raft goes on. */
    *result = (void *)(intptr_t)rc;
    if (rc == 0 && f->on_apply) f->on_apply(f->on_apply_ud, f->state);
    return 0;
}

int cp_fsm_encode_state(const json_t *state, struct raft_buffer *out) {
    char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    size_t len;
    if (!text) return RAFT_NOMEM;
    len = strlen(text);
    out->base = raft_malloc(len ? len : 1);
    if (!out->base) {
        free(text);
        return RAFT_NOMEM;
    }
    memcpy(out->base, text, len);
    out->len = len;
    free(text);
    return 0;
}

static int fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n) {
    cp_fsm *f = (cp_fsm *)rf;
    struct raft_buffer *b = raft_malloc(sizeof(*b));
    if (!b) return RAFT_NOMEM;
    if (cp_fsm_encode_state(f->state, b)) {
        raft_free(b);
        return RAFT_NOMEM;
    }
    *bufs = b;
    *n = 1;
    return 0;
}

/* Takes ownership of buf->base (raft's contract). */
static int fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf) {
    cp_fsm *f = (cp_fsm *)rf;
    json_error_t jerr;
    json_t *st = json_loadb(buf->base, buf->len, 0, &jerr);
    if (!json_is_object(st)) {
        json_decref(st);
        log_warning("control plane: snapshot is not a JSON object: %s", jerr.text);
        return RAFT_CORRUPT;
    }
    raft_free(buf->base);
    json_decref(f->state);
    f->state = st;
    if (f->on_apply) f->on_apply(f->on_apply_ud, f->state);
    return 0;
}

void cp_fsm_init(cp_fsm *f) {
    memset(f, 0, sizeof(*f));
    f->fsm.version = 1;
    f->fsm.data = f;
    f->fsm.apply = fsm_apply;
    f->fsm.snapshot = fsm_snapshot;
    f->fsm.restore = fsm_restore;
    f->state = json_object();
}

void cp_fsm_close(cp_fsm *f) {
    json_decref(f->state);
    f->state = NULL;
}
