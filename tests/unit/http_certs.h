/* http_certs.h - a small PKI for the HTTP server and client tests, made with
 * the openssl CLI in a temporary directory: a CA, a server certificate for
 * 127.0.0.1/localhost (server.crt alone, server-chain.crt with the CA
 * appended), a foreign CA with its own server certificate, and a client
 * certificate. Included by test_http.c and test_https_client.c only.
 */
#ifndef SEALKV_TESTS_HTTP_CERTS_H
#define SEALKV_TESTS_HTTP_CERTS_H

#include <stdio.h>
#include <stdlib.h>

static char hc_dir[64];

static const char hc_gen_script[] =
    "set -e\n"
    "cd \"$1\"\n"
    "exec 2>gen.log\n"
    "K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'\n"
    "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > "
    "server.ext\n"
    "openssl req -x509 $K -keyout ca.key -out ca.crt -days 30 -subj '/CN=Test CA' >/dev/null\n"
    "openssl req -x509 $K -keyout foreign-ca.key -out foreign-ca.crt -days 30 "
    "-subj '/CN=Foreign CA' >/dev/null\n"
    "issue() {\n"
    "  openssl req $K -keyout $1.key -out $1.csr -subj \"/CN=$2\" >/dev/null\n"
    "  openssl x509 -req -in $1.csr -CA $3.crt -CAkey $3.key "
    "-set_serial 0x$(openssl rand -hex 8) -days 30 -extfile $4 -out $1.crt >/dev/null\n"
    "}\n"
    "issue server server ca server.ext\n"
    "issue fserver server foreign-ca server.ext\n"
    "cat server.crt ca.crt > server-chain.crt\n"
    "cat fserver.crt foreign-ca.crt > fserver-chain.crt\n"
    "chmod 600 *.key\n";

/* Path of a file in the PKI dir; a small ring so several can be live. */
static const char *HP(const char *name) {
    static char ring[16][128];
    static int next;
    char *p = ring[next++ % 16];
    snprintf(p, 128, "%s/%s", hc_dir, name);
    return p;
}

static int hc_make_pki(void) {
    snprintf(hc_dir, sizeof(hc_dir), "/tmp/sealkv-http-XXXXXX");
    if (!mkdtemp(hc_dir)) return -1;
    char script[128], cmd[512];
    snprintf(script, sizeof(script), "%s/gen.sh", hc_dir);
    FILE *f = fopen(script, "w");
    if (!f) return -1;
    fputs(hc_gen_script, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "sh %s %s", script, hc_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "certificate generation failed, see %s/gen.log\n", hc_dir);
        return -1;
    }
    return 0;
}

static int hc_remove_pki(void) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", hc_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
