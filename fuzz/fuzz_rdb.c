/* fuzz_rdb - whole RDB files (rdb.c over rdb_value.c) on arbitrary bytes.
 *
 * rdb_load_buffer runs on the input with RDB_LOAD_KEEP_EXPIRED (so what
 * loads does not depend on the clock). A fuzzer cannot forge CRC-64s, but a
 * zero checksum means "not computed" to the loader, as to Redis: the seeds
 * carry zero checksums so mutations reach every parser. Whatever loads must
 * save and load back with the same number of keys (abort otherwise);
 * whatever fails must leave the keyspace as it was (empty here). Nothing
 * may crash, read out of bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/sbuf.h"
#include "../src/server/config.h"
#include "../src/server/rdb.h"
#include "../src/server/t_hash.h"
#include "../src/server/t_list.h"
#include "../src/server/t_set.h"
#include "../src/server/t_stream.h"
#include "../src/server/t_zset.h"

static server srv;

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
    srv.cfg = config_create_defaults();
    srv.cfg->databases = 4;
    db_init_all(&srv, srv.cfg->databases);
}

static int sbuf_write(void *ud, const void *p, size_t len) {
    sbuf_append(ud, p, len);
    return 0;
}

static size_t total_keys(void) {
    size_t n = 0;
    for (int i = 0; i < srv.dbnum; i++)
        n += dict_size(srv.dbs[i].keys);
    return n;
}

static void empty_all(void) {
    for (int i = 0; i < srv.dbnum; i++)
        db_empty(&srv, &srv.dbs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_once();
    char err[512];
    rdb_load_info info;
    if (rdb_load_buffer(&srv, data, size, RDB_LOAD_KEEP_EXPIRED, &info, err, sizeof(err)) != 0) {
        if (total_keys() != 0) abort(); /* a failed load changed the data */
        return 0;
    }
    size_t keys = total_keys();
    if ((long long)keys != info.keys) abort();
    sbuf out = SBUF_INIT;
    if (rdb_save_stream(&srv, NULL, sbuf_write, &out) != 0) abort();
    empty_all();
    if (rdb_load_buffer(&srv, out.data, out.len, RDB_LOAD_KEEP_EXPIRED, &info, err, sizeof(err)) !=
        0)
        abort();
    if (total_keys() != keys) abort();
    empty_all();
    sbuf_free(&out);
    return 0;
}
