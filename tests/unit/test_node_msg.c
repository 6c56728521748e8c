/* test_node_msg.c - control-plane frames: every raft message round-trips,
 * every truncation and bad field is refused; identities and addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "../../src/core/err.h"
#include "../../src/node/cp_msg.h"
#include "../../src/node/cp_transport.h"

/* Encodes m, checks the header, returns the payload in b (offset 8). */
static void encode(const struct raft_message *m, sbuf *b) {
    uint8_t kind;
    uint32_t len;
    sbuf_init(b);
    cp_msg_encode_raft(b, m);
    assert_int_equal(cp_msg_parse_header((uint8_t *)b->data, b->len, &kind, &len), 1);
    assert_int_equal(kind, CP_MSG_RAFT);
    assert_int_equal(len, b->len - CP_MSG_HDR);
}

/* Every strict prefix of the payload is refused. */
static void assert_prefixes_refused(const sbuf *b) {
    size_t n;
    struct raft_message m;
    for (n = 0; n + CP_MSG_HDR < b->len; n++)
        assert_int_equal(cp_msg_decode_raft((uint8_t *)b->data + CP_MSG_HDR, n, &m), SK_EPROTO);
}

static void test_append_entries_roundtrip(void **unused) {
    struct raft_message m, d;
    struct raft_entry e[2];
    sbuf b;
    (void)unused;
    memset(&m, 0, sizeof(m));
    memset(e, 0, sizeof(e));
    e[0].term = 5;
    e[0].type = RAFT_COMMAND;
    e[0].buf.base = "hello";
    e[0].buf.len = 5;
    e[1].term = 6;
    e[1].type = RAFT_CHANGE;
    e[1].buf.base = "";
    e[1].buf.len = 0;
    m.type = RAFT_IO_APPEND_ENTRIES;
    m.append_entries.term = 6;
    m.append_entries.prev_log_index = 10;
    m.append_entries.prev_log_term = 4;
    m.append_entries.leader_commit = 9;
    m.append_entries.entries = e;
    m.append_entries.n_entries = 2;
    encode(&m, &b);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d), 0);
    assert_int_equal(d.type, RAFT_IO_APPEND_ENTRIES);
    assert_int_equal(d.append_entries.prev_log_index, 10);
    assert_int_equal(d.append_entries.leader_commit, 9);
    assert_int_equal(d.append_entries.n_entries, 2);
    assert_int_equal(d.append_entries.entries[0].term, 5);
    assert_memory_equal(d.append_entries.entries[0].buf.base, "hello", 5);
    assert_int_equal(d.append_entries.entries[1].type, RAFT_CHANGE);
    assert_int_equal(d.append_entries.entries[1].buf.len, 0);
    cp_msg_raft_free(&d);
    assert_prefixes_refused(&b);
    /* Trailing garbage is refused too. */
    sbuf_append(&b, "x", 1);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d),
                     SK_EPROTO);
    sbuf_free(&b);
}

static void test_small_messages_roundtrip(void **unused) {
    struct raft_message m, d;
    sbuf b;
    (void)unused;
    memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_REQUEST_VOTE;
    m.request_vote.term = 7;
    m.request_vote.candidate_id = 3;
    m.request_vote.last_log_index = 100;
    m.request_vote.last_log_term = 6;
    m.request_vote.pre_vote = true;
    encode(&m, &b);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d), 0);
    assert_int_equal(d.request_vote.candidate_id, 3);
    assert_true(d.request_vote.pre_vote);
    assert_false(d.request_vote.disrupt_leader);
    assert_prefixes_refused(&b);
    /* Unknown flag bits are refused. */
    b.data[b.len - 1] = 4;
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d),
                     SK_EPROTO);
    sbuf_free(&b);

    memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_REQUEST_VOTE_RESULT;
    m.request_vote_result.term = 7;
    m.request_vote_result.vote_granted = true;
    m.request_vote_result.pre_vote = raft_tribool_true;
    encode(&m, &b);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d), 0);
    assert_true(d.request_vote_result.vote_granted);
    assert_int_equal(d.request_vote_result.pre_vote, raft_tribool_true);
    sbuf_free(&b);

    memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    m.append_entries_result.term = 2;
    m.append_entries_result.rejected = 5;
    m.append_entries_result.last_log_index = 4;
    encode(&m, &b);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d), 0);
    assert_int_equal(d.append_entries_result.rejected, 5);
    assert_prefixes_refused(&b);
    sbuf_free(&b);

    memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_TIMEOUT_NOW;
    m.timeout_now.term = 9;
    m.timeout_now.last_log_index = 8;
    encode(&m, &b);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d), 0);
    assert_int_equal(d.timeout_now.last_log_index, 8);
    /* Unknown type. */
    b.data[CP_MSG_HDR] = 42;
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d),
                     SK_EPROTO);
    sbuf_free(&b);
}

static void test_install_snapshot_roundtrip(void **unused) {
    struct raft_message m, d;
    sbuf b;
    (void)unused;
    memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_INSTALL_SNAPSHOT;
    m.install_snapshot.term = 3;
    m.install_snapshot.last_index = 50;
    m.install_snapshot.last_term = 2;
    m.install_snapshot.conf_index = 40;
    raft_configuration_init(&m.install_snapshot.conf);
    raft_configuration_add(&m.install_snapshot.conf, 1, "10.0.0.1:3342", RAFT_VOTER);
    raft_configuration_add(&m.install_snapshot.conf, 2, "10.0.0.2:3342", RAFT_SPARE);
    m.install_snapshot.data.base = "{\"a\":1}";
    m.install_snapshot.data.len = 7;
    encode(&m, &b);
    raft_configuration_close(&m.install_snapshot.conf);
    assert_int_equal(cp_msg_decode_raft((uint8_t *)b.data + CP_MSG_HDR, b.len - CP_MSG_HDR, &d), 0);
    assert_int_equal(d.install_snapshot.conf.n, 2);
    assert_string_equal(d.install_snapshot.conf.servers[1].address, "10.0.0.2:3342");
    assert_int_equal(d.install_snapshot.conf.servers[1].role, RAFT_SPARE);
    assert_memory_equal(d.install_snapshot.data.base, "{\"a\":1}", 7);
    cp_msg_raft_free(&d);
    assert_prefixes_refused(&b);
    sbuf_free(&b);
}

static void test_header_and_counts(void **unused) {
    uint8_t h[8] = {CP_MSG_VERSION, CP_MSG_RAFT, 0, 0, 0, 0, 0, 5}, kind;
    uint8_t huge[1 + 32 + 4] = {RAFT_IO_APPEND_ENTRIES};
    uint32_t len;
    struct raft_message d;
    (void)unused;
    assert_int_equal(cp_msg_parse_header(h, 7, &kind, &len), 0);
    assert_int_equal(cp_msg_parse_header(h, 8, &kind, &len), 1);
    h[0] = 2; /* another version */
    assert_int_equal(cp_msg_parse_header(h, 8, &kind, &len), SK_EPROTO);
    h[0] = CP_MSG_VERSION;
    h[1] = 9; /* unknown kind */
    assert_int_equal(cp_msg_parse_header(h, 8, &kind, &len), SK_EPROTO);
    h[1] = CP_MSG_RAFT;
    h[4] = 0xff; /* over CP_MSG_MAX */
    assert_int_equal(cp_msg_parse_header(h, 8, &kind, &len), SK_EPROTO);
    /* An entry count the bytes cannot carry allocates nothing. */
    memset(huge + 33, 0xff, 4);
    assert_int_equal(cp_msg_decode_raft(huge, sizeof(huge), &d), SK_EPROTO);
}

static void test_hello_and_forward(void **unused) {
    sbuf b = SBUF_INIT;
    uint64_t id, req;
    char addr[64];
    uint8_t what;
    const char *json;
    size_t jlen;
    int rc;
    (void)unused;
    cp_msg_encode_hello(&b, 7, "10.1.2.3:3342");
    assert_int_equal(cp_msg_decode_hello((uint8_t *)b.data + 8, b.len - 8, &id, addr, sizeof(addr)),
                     0);
    assert_int_equal(id, 7);
    assert_string_equal(addr, "10.1.2.3:3342");
    assert_int_equal(cp_msg_decode_hello((uint8_t *)b.data + 8, b.len - 9, &id, addr, sizeof(addr)),
                     SK_EPROTO);
    assert_int_equal(cp_msg_decode_hello((uint8_t *)b.data + 8, b.len - 8, &id, addr, 5),
                     SK_EPROTO);
    sbuf_clear(&b);
    cp_msg_encode_fwd_req(&b, 99, CP_FWD_PROPOSE, "{}", 2);
    assert_int_equal(
        cp_msg_decode_fwd_req((uint8_t *)b.data + 8, b.len - 8, &req, &what, &json, &jlen), 0);
    assert_int_equal(req, 99);
    assert_int_equal(jlen, 2);
    b.data[8 + 8] = 7; /* unknown request kind */
    assert_int_equal(
        cp_msg_decode_fwd_req((uint8_t *)b.data + 8, b.len - 8, &req, &what, &json, &jlen),
        SK_EPROTO);
    sbuf_clear(&b);
    cp_msg_encode_fwd_resp(&b, 5, SK_ECONFLICT);
    assert_int_equal(cp_msg_decode_fwd_resp((uint8_t *)b.data + 8, b.len - 8, &req, &rc), 0);
    assert_int_equal(rc, SK_ECONFLICT);
    sbuf_free(&b);
}

static void test_identity_parse(void **unused) {
    uint64_t id = 0;
    const char *why;
    (void)unused;
    assert_int_equal(cp_ident_parse("sealkv://c1/node/3/control", "c1", "control", &id, &why), 0);
    assert_int_equal(id, 3);
    assert_int_equal(cp_ident_parse("sealkv://c1/node/3/data", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_string_equal(why, "identity of another plane");
    assert_int_equal(cp_ident_parse("sealkv://c2/node/3/control", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_int_equal(cp_ident_parse("sealkv://c10/node/3/control", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_int_equal(cp_ident_parse("sealkv://c1/node/0/control", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_int_equal(cp_ident_parse("sealkv://c1/node/03/control", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_int_equal(cp_ident_parse("sealkv://c1/node//control", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_int_equal(cp_ident_parse("sealkv://c1/node/3/control/x", "c1", "control", &id, &why),
                     SK_ECERT);
    assert_int_equal(cp_ident_parse("https://c1/node/3/control", "c1", "control", &id, &why),
                     SK_ECERT);
}

static void test_addr_split(void **unused) {
    char host[64];
    int port;
    (void)unused;
    assert_int_equal(cp_addr_split("127.0.0.1:3342", host, sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 3342);
    assert_int_equal(cp_addr_split("[::1]:0", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(cp_addr_split("nohost", host, sizeof(host), &port), SK_EINVAL);
    assert_int_equal(cp_addr_split(":1", host, sizeof(host), &port), SK_EINVAL);
    assert_int_equal(cp_addr_split("h:70000", host, sizeof(host), &port), SK_EINVAL);
    assert_int_equal(cp_addr_split("h:x", host, sizeof(host), &port), SK_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_entries_roundtrip),
        cmocka_unit_test(test_small_messages_roundtrip),
        cmocka_unit_test(test_install_snapshot_roundtrip),
        cmocka_unit_test(test_header_and_counts),
        cmocka_unit_test(test_hello_and_forward),
        cmocka_unit_test(test_identity_parse),
        cmocka_unit_test(test_addr_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
