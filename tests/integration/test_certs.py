"""sealkv-certs end to end: the files it writes are checked with the openssl
command line (verify, x509, pkey), and used for a real mutual-TLS handshake
between `openssl s_server` and `openssl s_client` on loopback.

The binary is $SEALKV_BIN/sealkv-certs (SEALKV_BIN defaults to <repo>/bin).
"""

import datetime
import os
import re
import socket
import stat
import subprocess
import time

import pytest

# sealkv-certs is ours: nothing to compare with under SEALKV_TEST_TARGET=redis.
pytestmark = pytest.mark.sealkv_only

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.path.abspath(os.environ.get("SEALKV_BIN", os.path.join(REPO, "bin")))
CERTS = os.path.join(BIN_DIR, "sealkv-certs")
OPENSSL = "/usr/bin/openssl"
TIMEOUT = 60


@pytest.fixture(scope="module")
def certs_bin():
    if not os.access(CERTS, os.X_OK):
        pytest.fail("sealkv-certs not found: %s (set SEALKV_BIN)" % CERTS)
    return CERTS


def run(*args, check=True, timeout=TIMEOUT):
    res = subprocess.run([CERTS] + [str(a) for a in args], capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise AssertionError("sealkv-certs %s exited %d:\n%s%s"
                             % (" ".join(map(str, args)), res.returncode, res.stdout,
                                res.stderr))
    return res


def ossl(*args, input=None):
    res = subprocess.run([OPENSSL] + [str(a) for a in args], capture_output=True, text=True,
                         timeout=TIMEOUT, input=input)
    assert res.returncode == 0, "openssl %s: %s" % (" ".join(map(str, args)), res.stderr)
    return res.stdout


def fingerprint(path):
    out = ossl("x509", "-in", path, "-noout", "-fingerprint", "-sha256")
    return out.strip().split("=", 1)[1]


def serial(path):
    return ossl("x509", "-in", path, "-noout", "-serial").strip().split("=", 1)[1]


def sans(path):
    return ossl("x509", "-in", path, "-noout", "-ext", "subjectAltName")


def dates(path):
    out = ossl("x509", "-in", path, "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601")
    d = dict(line.split("=", 1) for line in out.strip().splitlines())
    return d["notBefore"], d["notAfter"]


def epoch(path, which):
    out = ossl("x509", "-in", path, "-noout", "-" + which)
    text = out.strip().split("=", 1)[1]
    dt = datetime.datetime.strptime(text, "%b %d %H:%M:%S %Y GMT")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def setup_dir(certs_bin, tmp_path):
    d = tmp_path / "tls"
    run("init", d, "--dns", "db.example.test", "--ip", "10.11.12.13")
    return d


# ---- init --------------------------------------------------------------------

def test_init_layout_and_chain(setup_dir):
    d = setup_dir
    for f in ("server/root.crt", "server/server.crt", "server/server.key", "client/root.crt",
              "client/client.crt", "client/client.key", "ca/root.crt", "ca/root.key"):
        assert (d / f).is_file(), f
    out = ossl("verify", "-CAfile", d / "server/root.crt", d / "server/server.crt",
               d / "client/client.crt")
    assert out.count(": OK") == 2, out
    assert (d / "server/root.crt").read_bytes() == (d / "client/root.crt").read_bytes()
    # Purposes: the server certificate serves, the client one authenticates.
    ossl("verify", "-purpose", "sslserver", "-CAfile", d / "server/root.crt",
         d / "server/server.crt")
    ossl("verify", "-purpose", "sslclient", "-CAfile", d / "client/root.crt",
         d / "client/client.crt")


def test_init_server_names(setup_dir):
    text = sans(setup_dir / "server/server.crt")
    for want in ("DNS:localhost", "DNS:db.example.test", "IP Address:127.0.0.1",
                 "IP Address:0:0:0:0:0:0:0:1", "IP Address:10.11.12.13"):
        assert want in text, text


def test_key_files_private(setup_dir):
    d = setup_dir
    for f in ("server/server.key", "client/client.key", "ca/root.key"):
        assert mode(d / f) == 0o600, "%s has mode %o" % (f, mode(d / f))
    assert mode(d / "ca") == 0o700
    assert mode(d / "server/server.crt") == 0o644
    # Each key is the one its certificate certifies.
    for crt, key in (("server/server.crt", "server/server.key"),
                     ("client/client.crt", "client/client.key"), ("ca/root.crt", "ca/root.key")):
        pub_crt = ossl("x509", "-in", d / crt, "-noout", "-pubkey")
        pub_key = ossl("pkey", "-in", d / key, "-pubout")
        assert pub_crt == pub_key, crt


def test_defaults_rsa_and_validity(setup_dir):
    d = setup_dir
    text = ossl("x509", "-in", d / "server/server.crt", "-noout", "-text")
    assert "Public-Key: (2048 bit)" in text and "rsaEncryption" in text
    assert "sha256WithRSAEncryption" in text
    leaf = epoch(d / "server/server.crt", "enddate") - epoch(d / "server/server.crt", "startdate")
    root = epoch(d / "ca/root.crt", "enddate") - epoch(d / "ca/root.crt", "startdate")
    assert leaf == 365 * 86400
    assert root == 3650 * 86400


def test_init_ec_and_days(certs_bin, tmp_path):
    d = tmp_path / "ec"
    run("init", d, "--key-type", "ec", "--days", "30")
    text = ossl("pkey", "-in", d / "server/server.key", "-noout", "-text")
    assert "prime256v1" in text or "P-256" in text, text
    crt = d / "client/client.crt"
    assert epoch(crt, "enddate") - epoch(crt, "startdate") == 30 * 86400
    ossl("verify", "-CAfile", d / "client/root.crt", crt)


def test_init_refuses_existing(setup_dir):
    d = setup_dir
    before = fingerprint(d / "ca/root.crt")
    res = run("init", d, check=False)
    assert res.returncode == 1
    assert "--force" in res.stderr
    assert fingerprint(d / "ca/root.crt") == before
    run("init", d, "--force")
    assert fingerprint(d / "ca/root.crt") != before
    ossl("verify", "-CAfile", d / "server/root.crt", d / "server/server.crt")


# ---- reissue -------------------------------------------------------------------

def test_reissue_keeps_root(setup_dir):
    d = setup_dir
    root = fingerprint(d / "server/root.crt")
    old_serial = serial(d / "server/server.crt")
    old_client = serial(d / "client/client.crt")
    run("reissue", d)
    assert fingerprint(d / "server/root.crt") == root
    assert fingerprint(d / "client/root.crt") == root
    assert serial(d / "server/server.crt") != old_serial
    assert serial(d / "client/client.crt") != old_client
    # No name flags: the names of the previous server certificate are kept.
    assert "DNS:db.example.test" in sans(d / "server/server.crt")
    ossl("verify", "-CAfile", d / "server/root.crt", d / "server/server.crt",
         d / "client/client.crt")
    assert mode(d / "server/server.key") == 0o600


def test_reissue_new_names(setup_dir):
    d = setup_dir
    run("reissue", d, "--dns", "other.example.test")
    text = sans(d / "server/server.crt")
    assert "DNS:other.example.test" in text and "DNS:localhost" in text
    assert "db.example.test" not in text


def test_reissue_new_ca(setup_dir, tmp_path):
    d = setup_dir
    old_root = tmp_path / "old-root.crt"
    old_root.write_bytes((d / "server/root.crt").read_bytes())
    run("reissue", d, "--new-ca")
    new = fingerprint(d / "server/root.crt")
    assert new != fingerprint(old_root)
    assert fingerprint(d / "client/root.crt") == new
    assert fingerprint(d / "ca/root.crt") == new
    ossl("verify", "-CAfile", d / "client/root.crt", d / "server/server.crt",
         d / "client/client.crt")
    res = subprocess.run([OPENSSL, "verify", "-CAfile", old_root, d / "server/server.crt"],
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert res.returncode != 0


def test_reissue_without_ca_fails(certs_bin, tmp_path):
    res = run("reissue", tmp_path / "nothing", check=False)
    assert res.returncode == 1
    assert "init" in res.stderr


# ---- issue / ca / show ----------------------------------------------------------

def test_ca_and_issue(certs_bin, tmp_path):
    ca, ca_key = tmp_path / "ca.crt", tmp_path / "ca.key"
    run("ca", "--out-cert", ca, "--out-key", ca_key, "--cn", "Ops CA", "--key-type", "ec")
    assert mode(ca_key) == 0o600
    crt, key = tmp_path / "node.crt", tmp_path / "node.key"
    run("issue", "client", "--ca-cert", ca, "--ca-key", ca_key, "--out-cert", crt,
        "--out-key", key, "--cn", "app1", "--uri", "sealkv://c1/node/1/data",
        "--email", "ops@example.test", "--days", "10")
    assert mode(key) == 0o600
    ossl("verify", "-purpose", "sslclient", "-CAfile", ca, crt)
    text = ossl("x509", "-in", crt, "-noout", "-text")
    assert "CN = app1" in text or "CN=app1" in text
    assert "URI:sealkv://c1/node/1/data" in text and "email:ops@example.test" in text
    assert "TLS Web Client Authentication" in text
    assert "Issuer: CN = Ops CA" in text
    # Existing outputs are kept unless --force.
    res = run("issue", "client", "--ca-cert", ca, "--ca-key", ca_key, "--out-cert", crt,
              "--out-key", key, check=False)
    assert res.returncode == 1 and "--force" in res.stderr
    run("issue", "server", "--ca-cert", ca, "--ca-key", ca_key, "--out-cert", crt,
        "--out-key", key, "--dns", "s.example.test", "--force")
    ossl("verify", "-purpose", "sslserver", "-CAfile", ca, crt)


def test_issue_wrong_ca_key(setup_dir, tmp_path):
    d = setup_dir
    res = run("issue", "server", "--ca-cert", d / "ca/root.crt", "--ca-key",
              d / "server/server.key", "--out-cert", tmp_path / "x.crt", "--out-key",
              tmp_path / "x.key", check=False)
    assert res.returncode == 1
    assert "does not match" in res.stderr
    assert not (tmp_path / "x.key").exists()


def test_show(setup_dir):
    d = setup_dir
    crt = d / "server/server.crt"
    out = run("show", crt).stdout
    fields = dict(re.findall(r"^([A-Za-z0-9 -]+):\s+(.*)$", out, re.M))
    assert fields["Subject"] == "CN=db.example.test"
    assert fields["Issuer"] == "CN=sealkv Root CA"
    assert fields["Serial"].upper() == serial(crt).upper()
    assert fields["SHA-256 fingerprint"] == fingerprint(crt)
    assert fields["CA"] == "no"
    for want in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:::1"):
        assert want in fields["SANs"]
    nb, na = dates(crt)  # "2026-11-22 17:00:00Z"
    assert fields["Not before"] == nb.replace(" ", "T")
    assert fields["Not after"] == na.replace(" ", "T")
    root = run("show", d / "ca/root.crt").stdout
    assert re.search(r"^CA:\s+yes$", root, re.M)


def test_show_refuses_key_without_printing_it(setup_dir):
    key = setup_dir / "server/server.key"
    res = run("show", key, check=False)
    assert res.returncode == 1
    body = [line for line in key.read_text().splitlines() if "-----" not in line]
    for line in body[:3]:
        assert line not in res.stdout + res.stderr
    assert "PRIVATE KEY" not in res.stdout + res.stderr


# ---- usage -------------------------------------------------------------------

def test_help(certs_bin):
    res = run("--help")
    assert "usage: sealkv-certs" in res.stdout
    for cmd in ("init", "reissue", "issue", "ca", "show"):
        assert cmd in res.stdout


@pytest.mark.parametrize("args", [
    [],
    ["frobnicate"],
    ["init"],
    ["init", "{d}", "--days", "0"],
    ["init", "{d}", "--days", "ten"],
    ["init", "{d}", "--key-type", "dsa"],
    ["init", "{d}", "--ip", "not-an-ip"],
    ["init", "{d}", "--dns"],
    ["init", "{d}", "--bogus"],
    ["init", "{d}", "extra"],
    ["reissue", "{d}", "--force"],
    ["issue", "server"],
    ["issue", "router", "--ca-cert", "a", "--ca-key", "b", "--out-cert", "c", "--out-key", "d"],
    ["ca", "--out-cert", "x.crt"],
    ["show"],
    ["show", "{d}", "--new-ca"],
])
def test_bad_usage(certs_bin, tmp_path, args):
    argv = [a.replace("{d}", str(tmp_path / "d")) for a in args]
    res = run(*argv, check=False)
    assert res.returncode == 2, (argv, res.returncode, res.stderr)
    assert res.stderr.startswith("sealkv-certs: "), res.stderr
    assert not (tmp_path / "d").exists()


# ---- a real mutual-TLS handshake -------------------------------------------------

def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("s_server exited early: %s" % proc.stderr.read())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("s_server did not listen on %d" % port)


def _s_client(port, d, with_cert=True, extra=()):
    args = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port,
            "-CAfile", str(d / "client/root.crt"), "-verify_return_error",
            "-verify_hostname", "localhost", "-servername", "localhost"]
    if with_cert:
        args += ["-cert", str(d / "client/client.crt"), "-key", str(d / "client/client.key")]
    args += list(extra)
    return subprocess.run(args, input="", capture_output=True, text=True, timeout=20)


@pytest.fixture
def s_server(setup_dir, tmp_path):
    d = setup_dir
    port = _free_port()
    proc = subprocess.Popen(
        [OPENSSL, "s_server", "-accept", "127.0.0.1:%d" % port,
         "-cert", str(d / "server/server.crt"), "-key", str(d / "server/server.key"),
         "-CAfile", str(d / "server/root.crt"), "-Verify", "1", "-verify_return_error"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(port, proc)
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_mutual_tls_handshake(setup_dir, s_server, version):
    res = _s_client(s_server, setup_dir, extra=[version])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Verify return code: 0 (ok)" in res.stdout, res.stdout + res.stderr
    assert "CN = sealkv Root CA" in res.stdout or "CN=sealkv Root CA" in res.stdout


def test_handshake_without_client_cert_fails(setup_dir, s_server):
    # TLS 1.2: the server's refusal ends the handshake itself (under TLS 1.3
    # the client may finish first and only see the alert afterwards).
    res = _s_client(s_server, setup_dir, with_cert=False, extra=["-tls1_2"])
    assert res.returncode != 0, res.stdout + res.stderr
    assert "alert" in res.stderr.lower() or "error" in res.stderr.lower(), res.stderr
