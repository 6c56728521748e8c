"""Configuration: the file, the command line, and the errors of both."""

import os
import subprocess

import pytest

from helpers import err, free_port, listening_ports, make_client


def run_expect_exit(target, args, cwd, timeout=10):
    """Runs the server and expects it to exit by itself; (rc, output)."""
    proc = subprocess.Popen([target.binary] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=5)
        pytest.fail("server kept running with a bad configuration: %r" % args)
    return proc.returncode, out.decode("utf-8", "replace")


def write_conf(tmp_path, lines, name="bad.conf"):
    path = str(tmp_path / name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def base_lines(target, tmp_path):
    lines = ["# a comment, then a blank line", "", "bind 127.0.0.1",
             "port %d" % free_port(), "dir %s" % tmp_path]
    for d in target.extra_directives:
        lines.append(" ".join([d[0]] + ['""' if v == "" else str(v) for v in d[1:]]))
    return lines


def assert_names_line(target, out, path, line_no, directive):
    assert directive in out, out
    if target.is_redis:
        assert "line %d" % line_no in out, out
    else:
        # sealkv's contract (config.h): "<file>:<line>: <reason>".
        assert "%s:%d:" % (path, line_no) in out, out


def test_unknown_directive(target, tmp_path):
    lines = base_lines(target, tmp_path) + ["nosuchdirective 1"]
    path = write_conf(tmp_path, lines)
    rc, out = run_expect_exit(target, [path], str(tmp_path))
    assert rc != 0
    assert_names_line(target, out, path, len(lines), "nosuchdirective")
    assert "Bad directive or wrong number of arguments" in out, out


@pytest.mark.parametrize("line,reason", [
    ("timeout abc", "argument couldn't be parsed into an integer"),
    ("timeout -1", "argument must be between 0 and 2147483647 inclusive"),
    ("maxmemory-policy foo", "argument(s) must be one of the following: volatile-lru, "
                             "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
                             "allkeys-lfu, allkeys-random, noeviction"),
    ("tls-auth-clients maybe", "argument(s) must be one of the following: no, yes, optional"),
    ("port", "wrong number of arguments"),
], ids=["not-int", "out-of-range", "bad-enum", "bad-tls-auth", "no-value"])
def test_bad_value(target, tmp_path, line, reason):
    lines = base_lines(target, tmp_path) + [line, "databases 16"]
    path = write_conf(tmp_path, lines)
    rc, out = run_expect_exit(target, [path], str(tmp_path))
    assert rc != 0
    assert_names_line(target, out, path, len(lines) - 1, line.split()[0])
    assert reason in out, out


def test_missing_config_file(target, tmp_path):
    rc, out = run_expect_exit(target, [str(tmp_path / "nope.conf")], str(tmp_path))
    assert rc != 0
    assert "nope.conf" in out, out


def test_unknown_command_line_directive(target, tmp_path):
    rc, out = run_expect_exit(target, ["--port", str(free_port()), "--nosuchdirective", "1"],
                              str(tmp_path))
    assert rc != 0
    assert "nosuch" in out, out


def test_missing_tls_cert_file(target, tmp_path, certs):
    lines = base_lines(target, tmp_path) + [
        "tls-port %d" % free_port(), "tls-cert-file %s" % (tmp_path / "none.crt"),
        "tls-key-file %s" % certs.server_key, "tls-ca-cert-file %s" % certs.ca_cert]
    path = write_conf(tmp_path, lines)
    rc, out = run_expect_exit(target, [path], str(tmp_path))
    assert rc != 0


def test_command_line_port_overrides_file(start_server):
    file_port = free_port()
    cli_port = free_port()
    srv = start_server(plain=True, directives=[("port", file_port)],
                       args=["--port", str(cli_port)], start=False)
    srv.port = cli_port
    srv.start()
    c = make_client(srv, "plain")
    try:
        assert c.execute_command("CONFIG", "GET", "port") == ["port", str(cli_port)]
        assert c.execute_command("PING") == "PONG"
    finally:
        c.close()
    assert listening_ports(srv.pid()) == {cli_port}


def test_command_line_several_directives(start_server):
    srv = start_server(plain=True, tls=True,
                       args=["--timeout", "77", "--requirepass", "cli pw"])
    c = make_client(srv, "tls", password="cli pw")
    try:
        assert c.execute_command("CONFIG", "GET", "timeout") == ["timeout", "77"]
    finally:
        c.close()


def test_quoting_and_comments(start_server):
    srv = start_server(plain=True, directives=[("requirepass", 'a b#c"d')])
    with open(srv.config_path) as f:
        assert 'requirepass "a b#c\\"d"' in f.read()
    c = make_client(srv, "plain")
    try:
        assert err(c, "GET", "k") == "NOAUTH Authentication required."
        assert c.execute_command("AUTH", 'a b#c"d') == "OK"
    finally:
        c.close()


def test_config_set_unknown_parameter(start_server):
    srv = start_server(plain=True)
    c = make_client(srv, "plain")
    try:
        assert err(c, "CONFIG", "SET", "nosuchparam", "1") == \
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'"
        # Read-only at run time.
        assert err(c, "CONFIG", "SET", "databases", "4") == (
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config")
    finally:
        c.close()


def test_databases_directive(start_server):
    srv = start_server(plain=True, directives=[("databases", "4")])
    c = make_client(srv, "plain")
    try:
        assert c.execute_command("SELECT", "3") == "OK"
        assert err(c, "SELECT", "4") == "ERR DB index is out of range"
    finally:
        c.close()


def test_dir_is_working_directory(start_server, tmp_path):
    srv = start_server(plain=True)
    c = make_client(srv, "plain")
    try:
        d = c.execute_command("CONFIG", "GET", "dir")[1]
        assert os.path.realpath(d) == os.path.realpath(srv.workdir)
    finally:
        c.close()
