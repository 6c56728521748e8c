/* fuzz_config - sealkv-server's configuration loader on arbitrary text.
 *
 * Drives config_load_string (the same path as a config file and the command
 * line) and, when it accepts the text, CONFIG REWRITE's formatting through
 * CONFIG GET-like re-parsing is not needed: we check that every accepted
 * config can be freed without leaks and that errors name a line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    server_config *cfg = config_create_defaults();
    char err[1024];
    err[0] = '\0';
    int rc = config_load_string(cfg, (const char *)data, size, "fuzz", err, sizeof(err));
    if (rc < 0 && strncmp(err, "fuzz", 4) != 0) abort(); /* errors must name their origin */
    config_free(cfg);
    return 0;
}
