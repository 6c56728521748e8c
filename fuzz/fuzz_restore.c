/* fuzz_restore - RESTORE's payload loader (rdb_value.c) on arbitrary bytes.
 *
 * The input is a payload body (type byte + value); the harness appends a
 * valid footer, since a fuzzer cannot forge CRC-64s and the checksum is not
 * what protects the loader. Each input is loaded under the default encoding
 * thresholds and under tiny ones (so every conversion path runs). Whatever
 * loads must dump again and load back (abort otherwise); nothing may crash,
 * read out of bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/crc64.h"
#include "../src/core/sbuf.h"
#include "../src/server/config.h"
#include "../src/server/rdb_value.h"
#include "../src/server/t_hash.h"
#include "../src/server/t_list.h"
#include "../src/server/t_set.h"
#include "../src/server/t_stream.h"
#include "../src/server/t_zset.h"

static server srv_default, srv_small;

static void init_once(void) {
    static int done;
    if (done) return;
    done = 1;
    obj_init_types();
    set_register_type();
    hash_register_type();
    zset_register_type();
    list_register_type();
    stream_register_type();
    srv_default.cfg = config_create_defaults();
    srv_small.cfg = config_create_defaults();
    srv_small.cfg->hash_max_listpack_entries = 2;
    srv_small.cfg->hash_max_listpack_value = 4;
    srv_small.cfg->set_max_intset_entries = 2;
    srv_small.cfg->zset_max_listpack_entries = 2;
    srv_small.cfg->zset_max_listpack_value = 4;
    srv_small.cfg->list_max_listpack_size = 2;
}

static void add_footer(sbuf *b) {
    unsigned char f[8] = {RDB_VERSION, 0};
    sbuf_append(b, f, 2);
    uint64_t crc = crc64(0, b->data, b->len);
    for (int i = 0; i < 8; i++)
        f[i] = (unsigned char)(crc >> (8 * i));
    sbuf_append(b, f, 8);
}

static void load_and_reload(const server *srv, const uint8_t *data, size_t size) {
    sbuf in, out;
    sbuf_init(&in);
    sbuf_init(&out);
    sbuf_append(&in, data, size);
    add_footer(&in);
    sobj *o = NULL, *again = NULL;
    if (rdb_load_payload(srv, in.data, in.len, &o) == 0) {
        if (rdb_dump_payload(&out, o) != 0) abort();
        if (rdb_verify_payload(out.data, out.len) != 0) abort();
        if (rdb_load_payload(srv, out.data, out.len, &again) != 0) abort();
        if (again->type != o->type) abort();
        obj_release(again);
        obj_release(o);
    }
    sbuf_free(&in);
    sbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_once();
    load_and_reload(&srv_default, data, size);
    load_and_reload(&srv_small, data, size);
    return 0;
}
