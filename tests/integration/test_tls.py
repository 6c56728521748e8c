"""TLS listener: client authentication modes, protocol versions, plain-text
on the TLS port, `port 0`, openssl s_client; and the sealkv-only features:
tls-allowed-names, hitless certificate reload, auto reload, INFO # TLS."""

import os
import shutil
import socket
import ssl
import warnings

import pytest
import redis

from helpers import (Certs, client_context, info_section, listening_ports, make_client,
                     report_health, s_client, served_cert_serial, wait_until)

OK = "ok"
REFUSED = "refused"


def tls_attempt(port, ctx, timeout=5.0):
    """Handshake, PING, read. (OK, b"+PONG") or (REFUSED, what happened).

    A refused client certificate may only show after the client's side of a
    TLS 1.3 handshake finished, so the verdict is the PING's fate."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return ("noconnect", repr(e))
    try:
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
        try:
            tls.sendall(b"PING\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = tls.recv(1024)
                if not chunk:
                    break
                data += chunk
        finally:
            tls.close()
        return (OK, data) if data == b"+PONG\r\n" else (REFUSED, data)
    except (ssl.SSLError, OSError) as e:
        return (REFUSED, repr(e))
    finally:
        sock.close()


def ctx_for(certs, who, **kw):
    """A client context presenting the named certificate (None = no cert)."""
    pairs = {
        None: (None, None),
        "client1": (certs.client_cert, certs.client_key),
        "other": (certs.other_cert, certs.other_key),
        "foreign": (certs.foreign_cert, certs.foreign_key),
        "expired": (certs.expired_cert, certs.expired_key),
        "future": (certs.future_cert, certs.future_key),
    }
    cert, key = pairs[who]
    return client_context(certs, cert, key, **kw)


@pytest.fixture(scope="module")
def tls_servers(target, certs, tmp_path_factory):
    """get(auth_mode, extra directives...) -> a module-wide TLS-only server."""
    from helpers import ServerProcess
    cache = {}

    def get(auth, *extra):
        key = (auth,) + tuple(tuple(e) for e in extra)
        if key not in cache:
            workdir = str(tmp_path_factory.mktemp("tls-%s" % auth))
            srv = ServerProcess(target, workdir, certs=certs, plain=True, tls=True,
                                name="tls-%s" % auth,
                                directives=[("tls-auth-clients", auth)] + list(extra))
            cache[key] = srv.start()
        return cache[key]

    yield get
    for srv in cache.values():
        srv.stop()
    report_health(list(cache.values()))


AUTH_MATRIX = [
    # (tls-auth-clients, certificate presented, expected)
    ("yes", "client1", OK), ("yes", "other", OK), ("yes", None, REFUSED),
    ("yes", "foreign", REFUSED), ("yes", "expired", REFUSED), ("yes", "future", REFUSED),
    ("optional", "client1", OK), ("optional", None, OK), ("optional", "foreign", REFUSED),
    ("optional", "expired", REFUSED), ("optional", "future", REFUSED),
    # With "no" the server requests no certificate, so none is checked.
    ("no", "client1", OK), ("no", None, OK), ("no", "foreign", OK), ("no", "expired", OK),
]


@pytest.mark.parametrize("auth,who,expected", AUTH_MATRIX,
                         ids=["%s-%s" % (a, w or "nocert") for a, w, _ in AUTH_MATRIX])
def test_client_auth_matrix(tls_servers, certs, auth, who, expected):
    srv = tls_servers(auth)
    verdict, detail = tls_attempt(srv.tls_port, ctx_for(certs, who))
    assert verdict == expected, detail
    # A refused client never hurts the others.
    assert tls_attempt(srv.tls_port, ctx_for(certs, "client1"))[0] == OK


def test_redis_py_and_cli_over_tls(tls_servers, certs):
    srv = tls_servers("yes")
    c = make_client(srv, "tls")
    try:
        assert c.execute_command("SET", "tlskey", "v") == "OK"
        assert c.execute_command("GET", "tlskey") == "v"
        big = "b" * 300000  # several TLS records each way
        assert c.execute_command("SET", "tlsbig", big) == "OK"
        assert c.execute_command("GET", "tlsbig") == big
    finally:
        c.close()
    assert srv.cli("tls", "GET", "tlskey").strip() == "v"
    # Same data through the plain listener of the same server.
    assert srv.cli("plain", "GET", "tlskey").strip() == "v"


def test_redis_py_without_cert_refused(tls_servers):
    srv = tls_servers("yes")
    # redis-py connects in the constructor of a single-connection client, so
    # the refusal may surface there or at the first command.
    with pytest.raises(redis.exceptions.ConnectionError):
        c = make_client(srv, "tls", cert=False, timeout=5)
        try:
            c.execute_command("PING")
        finally:
            try:
                c.close()
            except Exception:
                pass


def test_plaintext_on_tls_port_refused(tls_servers):
    srv = tls_servers("yes")
    sock = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5)
    try:
        sock.sendall(b"PING\r\n")
        data = b""
        closed = False
        sock.settimeout(5)
        for _ in range(100):
            try:
                chunk = sock.recv(4096)
            except (ConnectionResetError, OSError):
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
        assert b"PONG" not in data
        assert closed, "TLS port kept a plain-text connection open"
    finally:
        sock.close()
    assert tls_attempt(srv.tls_port, ctx_for(srv.certs, "client1"))[0] == OK


def test_port_zero_disables_plain(start_server, certs):
    srv = start_server(plain=False, tls=True)
    assert srv.port == 0
    with open(srv.config_path) as f:
        assert "port 0\n" in f.read()
    assert tls_attempt(srv.tls_port, ctx_for(certs, "client1"))[0] == OK
    c = make_client(srv, "tls")
    try:
        flat = c.execute_command("CONFIG", "GET", "port")
        assert flat == ["port", "0"]
    finally:
        c.close()
    # The only listening socket of the process is the TLS one.
    assert listening_ports(srv.pid()) == {srv.tls_port}


def test_tls_1_1_refused_by_server(tls_servers, certs):
    srv = tls_servers("yes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # SECLEVEL=0 so that Debian's client-side policy lets us offer 1.1:
        # the refusal must come from the server, as a protocol_version alert.
        ctx = ctx_for(certs, "client1", min_version=ssl.TLSVersion.TLSv1,
                      max_version=ssl.TLSVersion.TLSv1_1, seclevel0=True)
    verdict, detail = tls_attempt(srv.tls_port, ctx)
    assert verdict == REFUSED
    assert "ALERT_PROTOCOL_VERSION" in detail, detail


def test_tls_1_1_refused_s_client(tls_servers, certs):
    srv = tls_servers("yes")
    rc, out = s_client(srv.tls_port, certs,
                       args=["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
    assert rc != 0
    # "alert protocol version" is what the server sent back.
    assert "alert protocol version" in out, out
    assert "BEGIN CERTIFICATE" not in out


def test_tls_protocols_13_only(tls_servers, certs):
    srv = tls_servers("yes", ("tls-protocols", "TLSv1.3"))
    ctx = ctx_for(certs, "client1", max_version=ssl.TLSVersion.TLSv1_2)
    verdict, detail = tls_attempt(srv.tls_port, ctx)
    assert verdict == REFUSED
    assert "ALERT_PROTOCOL_VERSION" in detail, detail
    verdict, detail = tls_attempt(srv.tls_port, ctx_for(certs, "client1"))
    assert verdict == OK, detail
    rc, out = s_client(srv.tls_port, certs, args=["-tls1_2"])
    assert rc != 0 and "alert protocol version" in out, out


def test_tls_protocols_12_only(tls_servers, certs):
    srv = tls_servers("yes", ("tls-protocols", "TLSv1.2"))
    ctx = ctx_for(certs, "client1", min_version=ssl.TLSVersion.TLSv1_3)
    assert tls_attempt(srv.tls_port, ctx)[0] == REFUSED
    ctx = ctx_for(certs, "client1", max_version=ssl.TLSVersion.TLSv1_2)
    assert tls_attempt(srv.tls_port, ctx)[0] == OK


def test_s_client_shows_server_cert(tls_servers, certs):
    srv = tls_servers("yes")
    rc, out = s_client(srv.tls_port, certs, input_data=b"PING\r\n")
    assert rc == 0, out
    assert "subject=CN = localhost" in out
    assert "issuer=CN = sealkv test CA" in out
    assert "Verify return code: 0 (ok)" in out
    assert served_cert_serial(srv.tls_port, certs) == Certs.serial(certs.server_cert)


def test_s_client_verifies_ip_san(tls_servers, certs):
    srv = tls_servers("yes")
    rc, out = s_client(srv.tls_port, certs, args=["-verify_ip", "127.0.0.1",
                                                  "-verify_return_error"])
    assert rc == 0 and "Verify return code: 0 (ok)" in out, out
    rc, out = s_client(srv.tls_port, certs, args=["-verify_hostname", "localhost",
                                                  "-verify_return_error"])
    assert rc == 0, out


def test_many_tls_clients(tls_servers, certs):
    srv = tls_servers("yes")
    clients = [make_client(srv, "tls") for _ in range(20)]
    try:
        for i, c in enumerate(clients):
            assert c.execute_command("SET", "many:%d" % i, str(i)) == "OK"
        for i, c in enumerate(reversed(clients)):
            assert c.execute_command("GET", "many:%d" % (19 - i)) == str(19 - i)
    finally:
        for c in clients:
            c.close()


# -- sealkv only ---------------------------------------------------------------

@pytest.mark.sealkv_only
@pytest.mark.parametrize("names,who,expected", [
    (["client1"], "client1", OK),            # CN match
    (["client1"], "other", REFUSED),
    (["*.example"], "client1", OK),           # SAN DNS:client1.example
    (["*.example"], "other", REFUSED),
    (["nomatch", "oth*"], "other", OK),       # any of several globs
    (["client1.example"], "client1", OK),     # exact SAN
    (["client1"], "foreign", REFUSED),        # right name, untrusted CA
], ids=["cn", "cn-reject", "san-glob", "san-glob-reject", "multi-glob", "san-exact",
        "foreign-ca"])
def test_tls_allowed_names(tls_servers, certs, names, who, expected):
    srv = tls_servers("yes", tuple(["tls-allowed-names"] + names))
    verdict, detail = tls_attempt(srv.tls_port, ctx_for(certs, who))
    assert verdict == expected, detail


@pytest.fixture
def reload_server(start_server, certs, tmp_path):
    """A TLS server whose cert/key are copies the test may overwrite."""
    d = tmp_path / "live-certs"
    d.mkdir()
    cert, key = str(d / "server.crt"), str(d / "server.key")
    shutil.copy(certs.server_cert, cert)
    shutil.copy(certs.server_key, key)
    os.chmod(key, 0o600)
    srv = start_server(plain=True, tls=True, directives=[
        ("tls-cert-file", cert), ("tls-key-file", key)])
    srv.live_cert, srv.live_key = cert, key
    return srv


@pytest.mark.sealkv_only
def test_hitless_reload_config_set(reload_server, certs):
    srv = reload_server
    old_serial = Certs.serial(certs.server_cert)
    new_serial = Certs.serial(certs.server2_cert)
    assert served_cert_serial(srv.tls_port, certs) == old_serial
    before = make_client(srv, "tls")
    admin = make_client(srv, "plain")
    try:
        assert before.execute_command("SET", "k", "before") == "OK"
        assert admin.execute_command("CONFIG", "SET", "tls-cert-file", certs.server2_cert,
                                     "tls-key-file", certs.server2_key) == "OK"
        # The connection made before the reload keeps working.
        assert before.execute_command("GET", "k") == "before"
        assert before.execute_command("SET", "k", "after") == "OK"
        assert served_cert_serial(srv.tls_port, certs) == new_serial
        assert admin.execute_command("CONFIG", "GET", "tls-cert-file") == \
            ["tls-cert-file", certs.server2_cert]
        # Switching back works too.
        assert admin.execute_command("CONFIG", "SET", "tls-cert-file", certs.server_cert,
                                     "tls-key-file", certs.server_key) == "OK"
        assert served_cert_serial(srv.tls_port, certs) == old_serial
        assert before.execute_command("GET", "k") == "after"
    finally:
        before.close()
        admin.close()


@pytest.mark.sealkv_only
@pytest.mark.parametrize("bad", ["mismatched-key", "expired-cert", "missing-file"])
def test_bad_reload_keeps_old_cert(reload_server, certs, tmp_path, bad):
    srv = reload_server
    old_serial = Certs.serial(certs.server_cert)
    pair = {
        "mismatched-key": (certs.server_cert, certs.server2_key),
        "expired-cert": (certs.server_expired_cert, certs.server_expired_key),
        "missing-file": (str(tmp_path / "nope.crt"), certs.server_key),
    }[bad]
    admin = make_client(srv, "plain")
    live = make_client(srv, "tls")
    try:
        live.execute_command("PING")
        from helpers import err
        e = err(admin, "CONFIG", "SET", "tls-cert-file", pair[0], "tls-key-file", pair[1])
        assert e.startswith("ERR"), e
        assert served_cert_serial(srv.tls_port, certs) == old_serial
        assert admin.execute_command("CONFIG", "GET", "tls-cert-file") == \
            ["tls-cert-file", srv.live_cert]
        assert live.execute_command("PING") == "PONG"
        assert tls_attempt(srv.tls_port, ctx_for(certs, "client1"))[0] == OK
    finally:
        admin.close()
        live.close()


def _replace_atomically(src, dst):
    tmp = dst + ".tmp"
    shutil.copy(src, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dst)


@pytest.mark.sealkv_only
def test_auto_reload(start_server, certs, tmp_path):
    d = tmp_path / "auto"
    d.mkdir()
    cert, key = str(d / "server.crt"), str(d / "server.key")
    shutil.copy(certs.server_cert, cert)
    shutil.copy(certs.server_key, key)
    os.chmod(key, 0o600)
    interval = 1
    srv = start_server(plain=True, tls=True, directives=[
        ("tls-cert-file", cert), ("tls-key-file", key),
        ("tls-auto-reload-interval", interval)])
    assert served_cert_serial(srv.tls_port, certs) == Certs.serial(certs.server_cert)
    live = make_client(srv, "tls")
    try:
        live.execute_command("PING")
        _replace_atomically(certs.server2_key, key)
        _replace_atomically(certs.server2_cert, cert)
        new_serial = Certs.serial(certs.server2_cert)
        assert wait_until(lambda: served_cert_serial(srv.tls_port, certs) == new_serial,
                          timeout=interval + 2, interval=0.2)
        assert live.execute_command("PING") == "PONG"
        # A broken file on disk is refused: the good certificate stays.
        with open(cert, "w") as f:
            f.write("not a certificate\n")
        import time
        time.sleep(interval + 1)
        assert served_cert_serial(srv.tls_port, certs) == new_serial
        assert srv.is_running()
    finally:
        live.close()


def _tls_info(c):
    return info_section(c, "tls")


@pytest.mark.sealkv_only
def test_info_tls_fields(tls_servers, certs):
    srv = tls_servers("yes")
    c = make_client(srv, "plain")
    try:
        text = c.execute_command("INFO", "tls")
        assert "# TLS" in text.splitlines()
        info = _tls_info(c)
        for field in ("tls_server_cert_subject", "tls_server_cert_not_after",
                      "tls_server_cert_expires_in_seconds", "tls_handshakes_ok",
                      "tls_handshakes_failed", "tls_fail_no_cert", "tls_fail_untrusted",
                      "tls_fail_expired", "tls_fail_name", "tls_fail_protocol"):
            assert field in info, "INFO tls lacks %s" % field
        assert "localhost" in info["tls_server_cert_subject"]
        expires = int(info["tls_server_cert_expires_in_seconds"])
        assert 360 * 86400 < expires <= 366 * 86400
        assert "# TLS" in c.execute_command("INFO", "all")
    finally:
        c.close()


@pytest.mark.sealkv_only
@pytest.mark.parametrize("who,counter,kw", [
    ("client1", "tls_handshakes_ok", {}),
    (None, "tls_fail_no_cert", {}),
    ("foreign", "tls_fail_untrusted", {}),
    ("expired", "tls_fail_expired", {}),
    ("client1", "tls_fail_protocol", {"max_version": ssl.TLSVersion.TLSv1_2}),
], ids=["ok", "no-cert", "untrusted", "expired", "protocol"])
def test_info_tls_counters(tls_servers, certs, who, counter, kw):
    srv = tls_servers("yes", ("tls-protocols", "TLSv1.3"))
    c = make_client(srv, "plain")
    try:
        before = _tls_info(c)
        tls_attempt(srv.tls_port, ctx_for(certs, who, **kw))

        def moved():
            now = _tls_info(c)
            return int(now[counter]) == int(before[counter]) + 1 and now
        after = wait_until(moved, timeout=3)
        assert after, "%s did not move: %s" % (counter, _tls_info(c))
        if counter != "tls_handshakes_ok":
            assert int(after["tls_handshakes_failed"]) == \
                int(before["tls_handshakes_failed"]) + 1
    finally:
        c.close()


@pytest.mark.sealkv_only
def test_info_tls_name_counter(tls_servers, certs):
    srv = tls_servers("yes", ("tls-allowed-names", "client1"))
    c = make_client(srv, "plain")
    try:
        before = int(_tls_info(c)["tls_fail_name"])
        assert tls_attempt(srv.tls_port, ctx_for(certs, "other"))[0] == REFUSED
        assert wait_until(lambda: int(_tls_info(c)["tls_fail_name"]) == before + 1, 3)
    finally:
        c.close()


@pytest.mark.sealkv_only
def test_info_tls_after_reload(reload_server, certs):
    """server2 lives 200 days, server 365: INFO follows the reload."""
    c = make_client(reload_server, "plain")
    try:
        before = _tls_info(c)
        assert int(before["tls_server_cert_expires_in_seconds"]) > 360 * 86400
        assert c.execute_command("CONFIG", "SET", "tls-cert-file", certs.server2_cert,
                                 "tls-key-file", certs.server2_key) == "OK"
        after = _tls_info(c)
        assert 199 * 86400 < int(after["tls_server_cert_expires_in_seconds"]) <= 200 * 86400
        assert after["tls_server_cert_not_after"] != before["tls_server_cert_not_after"]
        assert "localhost" in after["tls_server_cert_subject"]
    finally:
        c.close()
