"""Server commands: COMMAND, INFO, CONFIG GET/SET/REWRITE, DBSIZE, FLUSHDB,
FLUSHALL, TIME, SWAPDB; redis-cli as a client."""

import time

import pytest

from helpers import err, info_section, make_client


def test_command_count_and_info(r):
    count = r.execute_command("COMMAND", "COUNT")
    assert isinstance(count, int) and count >= 50
    info = r.execute_command("COMMAND", "INFO", "get", "set", "nosuchcommand")
    assert len(info) == 3
    get, set_, missing = info
    assert get[0] == "get" and get[1] == 2 and get[3:6] == [1, 1, 1]
    assert "readonly" in get[2]
    assert set_[0] == "set" and set_[1] == -3 and "write" in set_[2]
    assert missing is None
    assert err(r, "COMMAND", "COUNT", "x") == \
        "ERR wrong number of arguments for 'command|count' command"


def test_command_docs(r):
    docs = r.execute_command("COMMAND", "DOCS", "get")
    assert docs[0] == "get"
    fields = docs[1]
    as_dict = {fields[i]: fields[i + 1] for i in range(0, len(fields), 2)}
    assert as_dict["summary"]
    assert as_dict["group"] == "string"


def test_redis_cli_works(cli):
    assert cli("SET", "cli:k", "hello world").strip() == "OK"
    assert cli("GET", "cli:k").strip() == "hello world"
    assert cli("EXISTS", "cli:k", "cli:none").strip() == "1"
    # Commands piped on stdin, as a user would.
    out = cli(input="SET cli:n 41\nINCR cli:n\nGET cli:n\n")
    assert out.split() == ["OK", "42", "42"]
    assert "redis_version" in cli("INFO", "server")
    assert cli("GET", "cli:none").strip() == ""


def test_info_sections(r):
    r.execute_command("SET", "k1", "v")
    r.execute_command("SET", "k2", "v", "EX", "100")
    text = r.execute_command("INFO")
    headers = {ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")}
    for section in ("Server", "Clients", "Memory", "Stats", "Replication", "CPU",
                    "Keyspace"):
        assert section in headers, "INFO lacks # %s" % section
    server = info_section(r, "server")
    assert server["redis_version"]
    assert int(server["process_id"]) > 0
    assert int(server["uptime_in_seconds"]) >= 0
    clients = info_section(r, "clients")
    assert int(clients["connected_clients"]) >= 1
    assert int(info_section(r, "memory")["used_memory"]) > 0
    assert int(info_section(r, "stats")["total_commands_processed"]) > 0
    assert info_section(r, "replication")["role"] == "master"
    keyspace = info_section(r, "keyspace")
    assert keyspace["db0"].startswith("keys=2,expires=1,")
    # An unknown section gives an empty reply, not an error.
    assert r.execute_command("INFO", "nosuchsection") == ""
    # Several sections at once (7.0).
    text = r.execute_command("INFO", "server", "keyspace")
    assert [ln for ln in text.splitlines() if ln.startswith("# ")] == ["# Server",
                                                                      "# Keyspace"]


def test_info_counts_connections(r, client_factory):
    before = int(info_section(r, "stats")["total_connections_received"])
    c = client_factory()
    c.execute_command("PING")
    after = int(info_section(r, "stats")["total_connections_received"])
    assert after >= before + 1


def test_dbsize_flushdb_flushall(r):
    assert r.execute_command("DBSIZE") == 0
    r.execute_command("MSET", "a", "1", "b", "2", "c", "3")
    assert r.execute_command("DBSIZE") == 3
    r.execute_command("SELECT", "1")
    r.execute_command("SET", "x", "1")
    assert r.execute_command("DBSIZE") == 1
    assert r.execute_command("FLUSHDB") == "OK"
    assert r.execute_command("DBSIZE") == 0
    r.execute_command("SELECT", "0")
    assert r.execute_command("DBSIZE") == 3
    assert r.execute_command("FLUSHDB", "SYNC") == "OK"
    assert r.execute_command("DBSIZE") == 0
    r.execute_command("SET", "a", "1")
    r.execute_command("SELECT", "3")
    r.execute_command("SET", "b", "1")
    assert r.execute_command("FLUSHALL", "ASYNC") == "OK"
    assert r.execute_command("DBSIZE") == 0
    r.execute_command("SELECT", "0")
    assert r.execute_command("DBSIZE") == 0
    assert err(r, "FLUSHDB", "foo") == "ERR syntax error"
    assert err(r, "FLUSHALL", "foo") == "ERR syntax error"
    assert err(r, "DBSIZE", "x") == "ERR wrong number of arguments for 'dbsize' command"


def test_time(r):
    secs, usecs = r.execute_command("TIME")
    secs, usecs = int(secs), int(usecs)
    assert abs(secs + usecs / 1e6 - time.time()) < 5
    assert 0 <= usecs < 1000000
    assert err(r, "TIME", "x") == "ERR wrong number of arguments for 'time' command"


def test_swapdb(r, client_factory):
    r.execute_command("SET", "k", "zero")
    r.execute_command("SELECT", "1")
    r.execute_command("SET", "k", "one")
    r.execute_command("SET", "only1", "x")
    other = client_factory()  # stays on db 0: it sees the swap too
    assert r.execute_command("SWAPDB", "0", "1") == "OK"
    assert r.execute_command("GET", "k") == "zero"
    assert r.execute_command("DBSIZE") == 1
    assert other.execute_command("GET", "k") == "one"
    assert other.execute_command("GET", "only1") == "x"
    assert r.execute_command("SWAPDB", "1", "1") == "OK"
    assert err(r, "SWAPDB", "0", "16") == "ERR DB index is out of range"
    assert err(r, "SWAPDB", "a", "0") == "ERR invalid first DB index"
    assert err(r, "SWAPDB", "0", "a") == "ERR invalid second DB index"
    assert err(r, "SWAPDB", "0") == "ERR wrong number of arguments for 'swapdb' command"


# -- CONFIG ------------------------------------------------------------------

@pytest.fixture
def cfg_server(start_server):
    return start_server(plain=True, tls=True)


def _cfg(c, *names):
    flat = c.execute_command("CONFIG", "GET", *names)
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def test_config_get_set(cfg_server, mode):
    c = make_client(cfg_server, mode)
    try:
        port = _cfg(c, "port")
        assert port == {"port": str(cfg_server.port)}
        assert _cfg(c, "tls-port") == {"tls-port": str(cfg_server.tls_port)}
        assert _cfg(c, "nosuchparam") == {}
        assert c.execute_command("CONFIG", "SET", "timeout", "300") == "OK"
        assert _cfg(c, "timeout") == {"timeout": "300"}
        many = _cfg(c, "timeout", "maxmemory")
        assert many == {"timeout": "300", "maxmemory": "0"}
        glob = _cfg(c, "maxmemory*")
        assert glob["maxmemory"] == "0" and glob["maxmemory-policy"] == "noeviction"
        assert c.execute_command("CONFIG", "SET", "maxmemory", "10mb") == "OK"
        assert _cfg(c, "maxmemory") == {"maxmemory": "10485760"}
        assert c.execute_command("CONFIG", "SET", "timeout", "0", "maxmemory", "0") == "OK"
        assert _cfg(c, "timeout", "maxmemory") == {"timeout": "0", "maxmemory": "0"}
        assert c.execute_command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == "OK"
        assert _cfg(c, "maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    finally:
        c.close()


def test_config_errors(cfg_server, mode):
    c = make_client(cfg_server, mode)
    try:
        assert err(c, "CONFIG", "SET", "nosuchparam", "1") == \
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'"
        assert err(c, "CONFIG", "SET", "timeout", "abc") == (
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument "
            "couldn't be parsed into an integer")
        assert err(c, "CONFIG", "SET", "timeout", "-1") == (
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument "
            "must be between 0 and 2147483647 inclusive")
        assert err(c, "CONFIG", "SET", "maxmemory-policy", "foo") == (
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
            "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
            "noeviction")
        assert err(c, "CONFIG", "SET", "timeout", "1", "timeout", "2") == (
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate "
            "parameter")
        assert err(c, "CONFIG", "SET", "timeout") == \
            "ERR wrong number of arguments for 'config|set' command"
        assert err(c, "CONFIG", "GET") == \
            "ERR wrong number of arguments for 'config|get' command"
        assert err(c, "CONFIG", "NOSUCHSUB") == \
            "ERR unknown subcommand 'NOSUCHSUB'. Try CONFIG HELP."
        # A failed multi-parameter SET changes nothing.
        assert err(c, "CONFIG", "SET", "timeout", "77", "maxmemory-policy", "foo").startswith(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')")
        assert _cfg(c, "timeout") == {"timeout": "0"}
    finally:
        c.close()


def test_config_rewrite_survives_restart(cfg_server, mode):
    c = make_client(cfg_server, mode)
    try:
        assert c.execute_command("CONFIG", "SET", "timeout", "123") == "OK"
        assert c.execute_command("CONFIG", "SET", "maxmemory", "20mb") == "OK"
        assert c.execute_command("CONFIG", "REWRITE") == "OK"
    finally:
        c.close()
    with open(cfg_server.config_path) as f:
        lines = [ln.strip() for ln in f]
    assert "timeout 123" in lines
    # redis writes "20mb"; the value in bytes is as good.
    assert "maxmemory 20mb" in lines or "maxmemory 20971520" in lines
    # Directives the test wrote are kept.
    assert "port %d" % cfg_server.port in lines
    assert "tls-port %d" % cfg_server.tls_port in lines
    cfg_server.restart()
    c = make_client(cfg_server, mode)
    try:
        assert _cfg(c, "timeout", "maxmemory") == {"timeout": "123", "maxmemory": "20971520"}
    finally:
        c.close()


def test_config_rewrite_without_file(start_server):
    # Directives given only on the command line: there is no file to rewrite.
    srv = start_server(plain=True, config_file=False)
    c = make_client(srv, "plain")
    try:
        assert _cfg(c, "port") == {"port": str(srv.port)}
        assert err(c, "CONFIG", "REWRITE") == "ERR The server is running without a config file"
    finally:
        c.close()
