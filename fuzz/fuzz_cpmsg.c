/* fuzz_cpmsg.c - libFuzzer harness for the control plane's frame decoders
 * (src/node/cp_msg.c), which read bytes from peers.
 *
 * The input is a byte stream as a connection receives it: frames are cut by
 * cp_msg_parse_header and each payload goes to the decoder of its kind.
 * Checked: the header never claims more than CP_MSG_MAX; a decoded raft
 * message, encoded again, gives back exactly the payload (the encoding is
 * canonical, so anything the decoder accepts it understood whole); the same
 * for HELLO and forwarding frames. ASan's leak check covers the raft_malloc'd
 * parts freed by cp_msg_raft_free.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/sbuf.h"
#include "../src/node/cp_msg.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* The frame just encoded into b must equal the header + payload given. */
static void check_same(const sbuf *b, const uint8_t *frame, size_t len) {
    CHECK(b->len == len);
    CHECK(memcmp(b->data, frame, len) == 0);
}

static void one_frame(uint8_t kind, const uint8_t *frame, const uint8_t *p, uint32_t len) {
    sbuf b = SBUF_INIT;
    switch (kind) {
    case CP_MSG_RAFT: {
        struct raft_message m;
        if (cp_msg_decode_raft(p, len, &m) == 0) {
            cp_msg_encode_raft(&b, &m);
            check_same(&b, frame, CP_MSG_HDR + len);
            cp_msg_raft_free(&m);
        }
        break;
    }
    case CP_MSG_HELLO: {
        uint64_t id;
        char addr[CP_MSG_ADDR_MAX + 1];
        if (cp_msg_decode_hello(p, len, &id, addr, sizeof(addr)) == 0) {
            CHECK(id != 0 && strlen(addr) > 0);
            cp_msg_encode_hello(&b, id, addr);
            check_same(&b, frame, CP_MSG_HDR + len);
        }
        break;
    }
    case CP_MSG_FWD_REQ: {
        uint64_t req;
        uint8_t what;
        const char *json;
        size_t jlen;
        if (cp_msg_decode_fwd_req(p, len, &req, &what, &json, &jlen) == 0) {
            CHECK((const uint8_t *)json >= p && (const uint8_t *)json + jlen <= p + len);
            cp_msg_encode_fwd_req(&b, req, what, json, jlen);
            check_same(&b, frame, CP_MSG_HDR + len);
        }
        break;
    }
    case CP_MSG_FWD_RESP: {
        uint64_t req;
        int rc;
        if (cp_msg_decode_fwd_resp(p, len, &req, &rc) == 0) {
            CHECK(rc <= 0);
            cp_msg_encode_fwd_resp(&b, req, rc);
            check_same(&b, frame, CP_MSG_HDR + len);
        }
        break;
    }
    default:
        abort(); /* parse_header lets no other kind through */
    }
    sbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off = 0;
    while (off < size) {
        uint8_t kind;
        uint32_t len;
        int rc = cp_msg_parse_header(data + off, size - off, &kind, &len);
        if (rc <= 0) break; /* incomplete or refused: a connection waits or drops */
        CHECK(len <= CP_MSG_MAX);
        if (size - off - CP_MSG_HDR < len) break;
        one_frame(kind, data + off, data + off + CP_MSG_HDR, len);
        off += CP_MSG_HDR + len;
    }
    return 0;
}
