"""Connection commands: PING ECHO QUIT HELLO AUTH SELECT CLIENT, plain and TLS."""

import pytest

from helpers import ConnClosed, err, make_client

NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


def test_ping(r):
    assert r.execute_command("PING") == "PONG"
    assert r.execute_command("PING", "hello world") == "hello world"
    assert err(r, "PING", "a", "b") == "ERR wrong number of arguments for 'ping' command"


def test_ping_raw_inline_and_multibulk(live_server, mode):
    conn = live_server.raw(mode)
    try:
        conn.send(b"PING\r\n")
        assert conn.read_reply() == b"+PONG"
        assert conn.cmd("PING") == b"+PONG"
        assert conn.cmd("PING", "x") == b"x"
        assert conn.cmd("ping") == b"+PONG"  # command names are case-insensitive
    finally:
        conn.close()


def test_echo(r):
    assert r.execute_command("ECHO", "hi") == "hi"
    assert r.execute_command("ECHO", "") == ""
    assert r.execute_command("ECHO", "a b\r\nc") == "a b\r\nc"
    big = "x" * 100000
    assert r.execute_command("ECHO", big) == big
    assert err(r, "ECHO") == "ERR wrong number of arguments for 'echo' command"
    assert err(r, "ECHO", "a", "b") == "ERR wrong number of arguments for 'echo' command"


def test_unknown_command(r):
    assert err(r, "NOSUCHCMD", "bar") == \
        "ERR unknown command 'NOSUCHCMD', with args beginning with: 'bar' "
    assert err(r, "NOSUCHCMD") == "ERR unknown command 'NOSUCHCMD', with args beginning with: "


def test_quit_closes_connection(live_server, mode):
    conn = live_server.raw(mode)
    try:
        assert conn.cmd("QUIT") == b"+OK"
        assert conn.closed_by_peer(timeout=5)
    finally:
        conn.close()
    assert live_server.ping()


def test_pipelined_commands_after_quit_are_not_run(live_server, mode, r):
    conn = live_server.raw(mode)
    try:
        conn.send(b"SET afterquit 1\r\nQUIT\r\nSET afterquit 2\r\n")
        assert conn.read_reply() == b"+OK"
        assert conn.read_reply() == b"+OK"
        assert conn.closed_by_peer(timeout=5)
    finally:
        conn.close()
    assert r.get("afterquit") == "1"


def _pairs(flat):
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def test_hello_2(r):
    reply = _pairs(r.execute_command("HELLO", "2"))
    assert reply["proto"] == 2
    assert reply["role"] == "master"
    assert reply["mode"] == "standalone"
    assert reply["id"] == r.execute_command("CLIENT", "ID")
    assert "version" in reply and "server" in reply
    # HELLO without a version answers too and keeps RESP2.
    assert _pairs(r.execute_command("HELLO"))["proto"] == 2


def test_hello_errors(r):
    assert err(r, "HELLO", "4") == "NOPROTO unsupported protocol version"
    assert err(r, "HELLO", "1") == "NOPROTO unsupported protocol version"
    assert err(r, "HELLO", "abc") == "ERR Protocol version is not an integer or out of range"


def test_hello_setname(r):
    _pairs(r.execute_command("HELLO", "2", "SETNAME", "conn-a"))
    assert r.execute_command("CLIENT", "GETNAME") == "conn-a"


def test_auth_without_password_configured(r):
    assert err(r, "AUTH", "foo") == ("ERR AUTH <password> called without any password "
                                     "configured for the default user. Are you sure your "
                                     "configuration is correct?")
    assert err(r, "AUTH", "someone", "foo") == WRONGPASS
    assert r.execute_command("AUTH", "default", "anything") == "OK"  # nopass user


@pytest.fixture
def auth_server(start_server):
    return start_server(plain=True, tls=True, directives=[("requirepass", "s3cret pw")])


def test_auth_requirepass(auth_server, mode):
    c = make_client(auth_server, mode)
    try:
        assert err(c, "GET", "k") == NOAUTH
        assert err(c, "PING") == NOAUTH
        assert err(c, "SET", "k", "v") == NOAUTH
        assert err(c, "AUTH", "wrong") == WRONGPASS
        assert err(c, "AUTH", "default", "wrong") == WRONGPASS
        assert err(c, "AUTH", "nosuchuser", "s3cret pw") == WRONGPASS
        assert err(c, "GET", "k") == NOAUTH
        assert c.execute_command("AUTH", "s3cret pw") == "OK"
        assert c.execute_command("SET", "k", "v") == "OK"
        assert c.execute_command("GET", "k") == "v"
    finally:
        c.close()
    c = make_client(auth_server, mode)
    try:
        assert c.execute_command("AUTH", "default", "s3cret pw") == "OK"
        assert c.execute_command("GET", "k") == "v"
    finally:
        c.close()


def test_auth_via_client_and_hello(auth_server, mode):
    c = make_client(auth_server, mode, password="s3cret pw")
    try:
        assert c.execute_command("PING") == "PONG"
    finally:
        c.close()
    c = make_client(auth_server, mode)
    try:
        assert err(c, "HELLO", "2", "AUTH", "default", "bad") == WRONGPASS
        reply = _pairs(c.execute_command("HELLO", "2", "AUTH", "default", "s3cret pw"))
        assert reply["proto"] == 2
        assert c.execute_command("PING") == "PONG"
    finally:
        c.close()


def test_auth_raw_noauth_then_auth(auth_server, mode):
    conn = auth_server.raw(mode)
    try:
        assert conn.cmd("GET", "x") == b"-" + NOAUTH.encode()
        assert conn.cmd("AUTH", "s3cret pw") == b"+OK"
        assert conn.cmd("GET", "x") is None
    finally:
        conn.close()


def test_select(r):
    assert r.execute_command("SET", "k", "db0") == "OK"
    assert r.execute_command("SELECT", "1") == "OK"
    assert r.execute_command("GET", "k") is None
    assert r.execute_command("SET", "k", "db1") == "OK"
    assert r.execute_command("SELECT", "15") == "OK"
    assert r.execute_command("DBSIZE") == 0
    assert r.execute_command("SELECT", "0") == "OK"
    assert r.execute_command("GET", "k") == "db0"
    assert err(r, "SELECT", "16") == "ERR DB index is out of range"
    assert err(r, "SELECT", "-1") == "ERR DB index is out of range"
    assert err(r, "SELECT", "abc") == "ERR value is not an integer or out of range"
    assert err(r, "SELECT") == "ERR wrong number of arguments for 'select' command"
    # A failed SELECT keeps the current database.
    assert r.execute_command("GET", "k") == "db0"


def test_select_is_per_connection(r, client_factory):
    other = client_factory()
    r.execute_command("SELECT", "2")
    r.execute_command("SET", "k", "v2")
    assert other.execute_command("GET", "k") is None
    other.execute_command("SELECT", "2")
    assert other.execute_command("GET", "k") == "v2"


def test_client_id_and_names(r, client_factory):
    my_id = r.execute_command("CLIENT", "ID")
    assert isinstance(my_id, int) and my_id > 0
    assert r.execute_command("CLIENT", "ID") == my_id
    other = client_factory()
    assert other.execute_command("CLIENT", "ID") > my_id
    assert r.execute_command("CLIENT", "GETNAME") is None
    assert r.execute_command("CLIENT", "SETNAME", "worker-1") == "OK"
    assert r.execute_command("CLIENT", "GETNAME") == "worker-1"
    assert err(r, "CLIENT", "SETNAME", "a b") == \
        "ERR Client names cannot contain spaces, newlines or special characters."
    assert r.execute_command("CLIENT", "GETNAME") == "worker-1"
    assert r.execute_command("CLIENT", "SETNAME", "") == "OK"  # clears the name
    assert r.execute_command("CLIENT", "GETNAME") is None
    assert err(r, "CLIENT", "NOSUCHSUB") == \
        "ERR unknown subcommand 'NOSUCHSUB'. Try CLIENT HELP."


def _parse_client_line(line):
    fields = {}
    for part in line.split(" "):
        if "=" in part:
            k, v = part.split("=", 1)
            fields[k] = v
    return fields


def _client_list(c):
    return [_parse_client_line(ln) for ln in c.execute_command("CLIENT", "LIST").splitlines()
            if ln.strip()]


def test_client_list_and_info(r, client_factory, live_server, mode):
    other = client_factory()
    other.execute_command("CLIENT", "SETNAME", "lister")
    my_id = r.execute_command("CLIENT", "ID")
    other_id = other.execute_command("CLIENT", "ID")
    entries = {int(e["id"]): e for e in _client_list(r)}
    assert my_id in entries and other_id in entries
    mine = entries[my_id]
    assert mine["addr"].startswith("127.0.0.1:")
    expected_port = live_server.tls_port if mode == "tls" else live_server.port
    assert mine["laddr"] == "127.0.0.1:%d" % expected_port
    assert mine["cmd"] == "client|list"
    assert mine["db"] == "0"
    assert entries[other_id]["name"] == "lister"
    info = _parse_client_line(r.execute_command("CLIENT", "INFO").strip())
    assert int(info["id"]) == my_id
    assert info["addr"] == mine["addr"]
    assert info["cmd"] == "client|info"
    only = _client_list_ids(r, "ID", str(other_id))
    assert only == [other_id]


def _client_list_ids(c, *args):
    text = c.execute_command("CLIENT", "LIST", *args)
    return [int(_parse_client_line(ln)["id"]) for ln in text.splitlines() if ln.strip()]


def test_client_kill(r, client_factory, live_server, mode):
    victim = client_factory()
    victim_id = victim.execute_command("CLIENT", "ID")
    assert r.execute_command("CLIENT", "KILL", "ID", str(victim_id)) == 1
    assert r.execute_command("CLIENT", "KILL", "ID", str(victim_id)) == 0
    assert victim_id not in _client_list_ids(r)

    conn = live_server.raw(mode)
    try:
        assert conn.cmd("CLIENT", "SETNAME", "byaddr") == b"+OK"
        addr = [e["addr"] for e in _client_list(r) if e.get("name") == "byaddr"][0]
        # Old form: CLIENT KILL ip:port answers +OK.
        assert r.execute_command("CLIENT", "KILL", addr) == "OK"
        assert conn.closed_by_peer(timeout=5)
    finally:
        conn.close()
    conn = live_server.raw(mode)
    try:
        assert conn.cmd("CLIENT", "SETNAME", "byaddr2") == b"+OK"
        addr = [e["addr"] for e in _client_list(r) if e.get("name") == "byaddr2"][0]
        assert r.execute_command("CLIENT", "KILL", "ADDR", addr) == 1
        assert conn.closed_by_peer(timeout=5)
    finally:
        conn.close()
    assert err(r, "CLIENT", "KILL", "127.0.0.1:1") == "ERR No such client"
    assert r.execute_command("CLIENT", "KILL", "ID", "999999999") == 0
    assert r.execute_command("PING") == "PONG"


def test_client_kill_self_closes_after_reply(live_server, mode):
    conn = live_server.raw(mode)
    try:
        my_id = conn.cmd("CLIENT", "ID")
        # The filter form skips the caller unless SKIPME no.
        assert conn.cmd("CLIENT", "KILL", "ID", str(my_id)) == 0
        assert conn.cmd("CLIENT", "KILL", "ID", str(my_id), "SKIPME", "no") == 1
        assert conn.closed_by_peer(timeout=5)
    except ConnClosed:
        pass  # closed before the reply could be read: also acceptable
    finally:
        conn.close()
