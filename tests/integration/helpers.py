"""Helpers for the integration suite: certificates, server processes, clients.

Everything here talks to loopback only and every wait is bounded. The same
helpers drive sealkv-server and the reference redis-server 7.0 (the target is
chosen in conftest.py), so the expectations written here are checked against
the real thing.
"""

import atexit
import contextlib
import datetime
import os
import random
import select
import signal
import socket
import ssl
import subprocess
import time

import pytest
import redis
from redis.connection import PythonParser
from redis.exceptions import ResponseError

REDIS_CLI = "/usr/bin/redis-cli"
OPENSSL = "/usr/bin/openssl"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

_OPENSSL_CNF = """\
[ ca ]
default_ca = test_ca

[ test_ca ]
dir = {cadir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/newcerts
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_days = 365

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash

[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash

[ client1_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = DNS:client1.example
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
"""


def _run(args, cwd=None, timeout=30):
    res = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), res.returncode, res.stderr))
    return res.stdout


def _asn1_time(dt):
    return dt.strftime("%Y%m%d%H%M%SZ")


class _CA:
    """A throw-away CA driven by `openssl ca` so start/end dates can be set."""

    def __init__(self, root, name, cn, key):
        self.dir = os.path.join(root, name)
        os.makedirs(os.path.join(self.dir, "newcerts"))
        with open(os.path.join(self.dir, "index.txt"), "w"):
            pass
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self.cnf = os.path.join(self.dir, "openssl.cnf")
        with open(self.cnf, "w") as f:
            f.write(_OPENSSL_CNF.format(cadir=self.dir))
        self.key = key
        self.cert = os.path.join(root, name + ".crt")
        _run([OPENSSL, "req", "-config", self.cnf, "-new", "-x509", "-key", self.key,
              "-out", self.cert, "-days", "3650", "-subj", "/CN=" + cn,
              "-extensions", "v3_ca", "-sha256"])

    def issue(self, root, name, cn, ext, start=None, end=None, key=None):
        key = key or genkey(os.path.join(root, name + ".key"))
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(root, name + ".crt")
        _run([OPENSSL, "req", "-config", self.cnf, "-new", "-key", key, "-out", csr,
              "-subj", "/CN=" + cn])
        now = datetime.datetime.now(datetime.timezone.utc)
        start = start or now - datetime.timedelta(hours=1)
        end = end or now + datetime.timedelta(days=365)
        _run([OPENSSL, "ca", "-config", self.cnf, "-batch", "-notext", "-in", csr, "-out", crt,
              "-cert", self.cert, "-keyfile", self.key, "-extensions", ext,
              "-startdate", _asn1_time(start), "-enddate", _asn1_time(end)])
        return crt, key


def genkey(path):
    _run([OPENSSL, "genrsa", "-out", path, "2048"])
    os.chmod(path, 0o600)
    return path


def genkeys(root, names, timeout=60):
    """RSA-2048 keys <root>/<name>.key, generated in parallel (the slow part)."""
    procs = {}
    for name in names:
        path = os.path.join(root, name + ".key")
        procs[name] = (path, subprocess.Popen([OPENSSL, "genrsa", "-out", path, "2048"],
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE))
    keys = {}
    for name, (path, proc) in procs.items():
        _, errout = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError("openssl genrsa %s failed: %s" % (name, errout.decode()))
        os.chmod(path, 0o600)
        keys[name] = path
    return keys


class Certs:
    """Paths of every certificate and key the suite uses (all RSA-2048)."""

    def __init__(self, root):
        self.root = root
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        keys = genkeys(root, ["ca", "server", "server2", "server-expired", "client1", "other",
                              "client-expired", "client-future", "foreign-ca",
                              "foreign-client"])
        ca = _CA(root, "ca", "sealkv test CA", keys["ca"])
        self.ca_cert, self.ca_key = ca.cert, ca.key

        def issue(issuer, name, cn, ext, **kw):
            return issuer.issue(root, name, cn, ext, key=keys[name], **kw)

        self.server_cert, self.server_key = issue(ca, "server", "localhost", "server_ext")
        # Same names, shorter life: INFO can tell it from the first one.
        self.server2_cert, self.server2_key = issue(ca, "server2", "localhost", "server_ext",
                                                    end=now + 200 * day)
        self.server_expired_cert, self.server_expired_key = issue(
            ca, "server-expired", "localhost", "server_ext", start=now - 3 * day,
            end=now - day)
        self.client_cert, self.client_key = issue(ca, "client1", "client1", "client1_ext")
        self.other_cert, self.other_key = issue(ca, "other", "other", "client_ext")
        self.expired_cert, self.expired_key = issue(
            ca, "client-expired", "expired", "client_ext", start=now - 3 * day, end=now - day)
        self.future_cert, self.future_key = issue(
            ca, "client-future", "future", "client_ext", start=now + 365 * day,
            end=now + 730 * day)
        foreign = _CA(root, "foreign-ca", "foreign test CA", keys["foreign-ca"])
        self.foreign_ca_cert = foreign.cert
        # Same subject and SAN as client1, but signed by a CA the server does
        # not trust.
        self.foreign_cert, self.foreign_key = issue(foreign, "foreign-client", "client1",
                                                    "client1_ext")

    @staticmethod
    def serial(cert_path):
        out = _run([OPENSSL, "x509", "-in", cert_path, "-noout", "-serial"])
        return out.strip().split("=", 1)[1].upper()


# --------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------

@atexit.register
def _stop_leftovers():
    """Last resort if pytest dies before the finalizers run."""
    for srv in list(ServerProcess.live):
        srv.stop()


def report_health(servers):
    """Fails the current fixture/test if any server misbehaved (see stop())."""
    bad = [srv for srv in servers if srv.check_health()]
    if bad:
        pytest.fail("server problems: %s\n%s" % (
            "; ".join(p for srv in bad for p in srv.check_health()),
            "\n".join("%s log:\n%s" % (srv.name, srv.log_tail(60)) for srv in bad)))


_ports_given = set()


def free_port():
    """A loopback TCP port nobody listens on right now, below the kernel's
    ephemeral range: a port the kernel picked (bind to 0) can be handed to an
    outgoing connection before our server binds it. Never the same port twice
    in one run."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        if port in _ports_given:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port
    raise AssertionError("no free loopback port in 20000-32000 after 200 tries")


def _quote(value):
    value = str(value)
    if value == "" or any(ch in value for ch in " \t\"'"):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


class ServerProcess:
    """One server process with its own config file and log in a tmp dir.

    `directives` is a list of (name, value...) tuples written to the config
    file, after the defaults, so a test may override any of them. `tls=True`
    adds a TLS listener with the session certificates; `plain=False` writes
    `port 0`.
    """

    live = []  # servers started and not stopped yet, for failure reports

    def __init__(self, target, workdir, certs=None, plain=True, tls=False, directives=(),
                 args=(), name="server", config_file=True):
        self.target = target
        self.workdir = workdir
        self.certs = certs
        self.name = name
        os.makedirs(workdir, exist_ok=True)
        self.port = free_port() if plain else 0
        self.tls_port = free_port() if tls else 0
        self.config_path = os.path.join(workdir, "server.conf")
        self.log_path = os.path.join(workdir, "server.log")
        self.args = list(args)
        self.proc = None
        self.password = None
        self.problems = []
        lines = [("bind", "127.0.0.1"), ("port", self.port), ("dir", workdir),
                 ("logfile", "")]
        lines += [tuple(d) for d in target.extra_directives]
        if tls:
            lines += [("tls-port", self.tls_port), ("tls-cert-file", certs.server_cert),
                      ("tls-key-file", certs.server_key),
                      ("tls-ca-cert-file", certs.ca_cert)]
        lines += [tuple(d) for d in directives]
        for d in lines:
            if d[0] == "requirepass":
                self.password = d[1]
            elif d[0] == "port":
                self.port = int(d[1])
            elif d[0] == "tls-port":
                self.tls_port = int(d[1])
        self.lines = lines
        self.config_file = config_file
        self.write_config(lines)

    def write_config(self, lines):
        with open(self.config_path, "w") as f:
            for d in lines:
                f.write(" ".join([d[0]] + [_quote(v) for v in d[1:]]) + "\n")

    # -- life cycle --------------------------------------------------------

    def start(self):
        logf = open(self.log_path, "ab")
        try:
            if self.config_file:
                argv = [self.target.binary, self.config_path] + self.args
            else:  # every directive on the command line instead
                argv = [self.target.binary]
                for d in self.lines:
                    argv += ["--" + d[0]] + [str(v) for v in d[1:]]
                argv += self.args
            self.proc = subprocess.Popen(argv,
                                         stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.workdir)
        finally:
            logf.close()
        ServerProcess.live.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.stop()
                self.problems.clear()  # reported by the exception instead
                raise RuntimeError("%s exited with %d before answering PING\n%s"
                                   % (self.name, rc, self.log_tail()))
            try:
                if self.ping():
                    return self
            except (OSError, ssl.SSLError) as e:
                last_err = e
            time.sleep(0.05)
        self.stop()
        self.problems.clear()
        raise RuntimeError("%s did not answer PING within %.0fs (%s)\n%s"
                           % (self.name, START_TIMEOUT, last_err, self.log_tail()))

    def ping(self):
        """One PING on a new connection; True on +PONG (or NOAUTH: it is up)."""
        if self.port:
            conn = RawConn.plain(self.port, timeout=1.0)
        else:
            conn = RawConn.tls(self.tls_port, self.certs, timeout=1.0)
        try:
            conn.send(b"PING\r\n")
            line = conn.readline()
            return line in (b"+PONG", ) or line.startswith(b"-NOAUTH")
        finally:
            conn.close()

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT. Anything abnormal (exit
        before we asked, a SIGKILL needed, a non-zero status) is recorded in
        self.problems for the fixture to report."""
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            if self.proc.returncode != 0:
                self.problems.append("%s exited by itself with status %d"
                                     % (self.name, self.proc.returncode))
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.problems.append("%s ignored SIGTERM for %.0fs: killed"
                                     % (self.name, STOP_TIMEOUT))
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
            else:
                if self.proc.returncode != 0:
                    self.problems.append("%s exited with status %d on SIGTERM"
                                         % (self.name, self.proc.returncode))
        if self in ServerProcess.live:
            ServerProcess.live.remove(self)
        self.proc = None

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer")

    def check_health(self):
        """Problems seen over the whole life of this server (all its runs),
        including sanitizer reports in its log; [] when all was well."""
        found = list(self.problems)
        try:
            text = self.log_text()
        except OSError:
            text = ""
        for mark in self.SANITIZER_MARKS:
            if mark in text:
                found.append("%s: sanitizer report in its log (%s)" % (self.name, mark))
                break
        return found

    def restart(self):
        self.stop()
        return self.start()

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()[-16384:]
        except OSError:
            return "(no log)"
        lines = data.decode("utf-8", "replace").splitlines()[-n:]
        return "\n".join("  | " + ln for ln in lines)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    # -- clients -----------------------------------------------------------

    def client(self, mode="plain", cert=True, **kw):
        return make_client(self, mode, cert=cert, **kw)

    def cli(self, mode, *args, **kw):
        return redis_cli(self, mode, *args, **kw)

    def raw(self, mode="plain", timeout=5.0):
        if mode == "tls":
            return RawConn.tls(self.tls_port, self.certs, timeout=timeout)
        return RawConn.plain(self.port, timeout=timeout)


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------

class FullErrorParser(PythonParser):
    """Keeps the whole error line ("ERR ...", "WRONGTYPE ...") in the exception
    so tests can compare the exact text the server sent."""

    def parse_error(self, response):
        return ResponseError(response)


def make_client(server, mode, cert=True, password=None, decode=True, timeout=10.0, **kw):
    kwargs = dict(host="127.0.0.1", socket_timeout=timeout, socket_connect_timeout=timeout,
                  decode_responses=decode, parser_class=FullErrorParser, password=password)
    if mode == "tls":
        kwargs.update(port=server.tls_port, connection_class=redis.SSLConnection,
                      ssl_ca_certs=server.certs.ca_cert, ssl_cert_reqs="required")
        if cert:
            kwargs.update(ssl_certfile=server.certs.client_cert,
                          ssl_keyfile=server.certs.client_key)
    else:
        kwargs.update(port=server.port)
    kwargs.update(kw)
    pool = redis.ConnectionPool(**kwargs)
    client = redis.Redis(connection_pool=pool, single_connection_client=True)
    # Replies exactly as the server sent them ("OK", "PONG", lists), not the
    # booleans and dicts redis-py makes of some commands.
    client.response_callbacks.clear()
    return client


def err(client, *args):
    """Runs a command that must fail and returns the server's full error line."""
    try:
        reply = client.execute_command(*args)
    except ResponseError as e:
        return str(e)
    raise AssertionError("expected an error from %r, got %r" % (args, reply))


def redis_cli(server, mode, *args, input=None, timeout=10, check=True, extra=()):
    cmd = [REDIS_CLI, "-h", "127.0.0.1"]
    if mode == "tls":
        cmd += ["-p", str(server.tls_port), "--tls", "--cacert", server.certs.ca_cert,
                "--cert", server.certs.client_cert, "--key", server.certs.client_key]
    else:
        cmd += ["-p", str(server.port)]
    cmd += list(extra) + [str(a) for a in args]
    res = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError("redis-cli %r failed (%d): %s" % (args, res.returncode, res.stderr))
    return res.stdout


def client_context(certs, cert=None, key=None, ca=None, min_version=None, max_version=None,
                   seclevel0=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(ca or certs.ca_cert)
    if cert:
        ctx.load_cert_chain(cert, key)
    if seclevel0:
        # Debian's default seclevel refuses TLS < 1.2 on the client side; lower
        # it so that it is the server that must refuse.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if min_version is not None:
        ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


class ConnClosed(Exception):
    pass


class RawConn:
    """A bare socket (plain or TLS) that sends bytes and reads RESP replies."""

    def __init__(self, sock, timeout):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b""

    @classmethod
    def plain(cls, port, timeout=5.0):
        return cls(socket.create_connection(("127.0.0.1", port), timeout=timeout), timeout)

    @classmethod
    def tls(cls, port, certs, timeout=5.0, ctx=None, cert=True):
        if ctx is None:
            ctx = client_context(certs, certs.client_cert if cert else None,
                                 certs.client_key if cert else None)
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        try:
            tls = ctx.wrap_socket(sock, server_hostname="localhost")
        except BaseException:
            sock.close()
            raise
        return cls(tls, timeout)

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, *args):
        self.send(encode_command(*args))
        return self.read_reply()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnClosed()
        self.buf += data

    def readline(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_reply(self):
        """Simple strings and errors come back as b"+OK" / b"-ERR ..." lines;
        integers as int, bulks as bytes/None, arrays as lists."""
        line = self.readline()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return line
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.read_exact(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self.read_reply() for _ in range(n)]
        raise AssertionError("unexpected reply line %r" % line)

    def closed_by_peer(self, timeout=5.0):
        """True once the server closed the connection (EOF or reset) within
        `timeout`; buffered bytes received meanwhile are dropped."""
        deadline = time.monotonic() + timeout
        self.buf = b""
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                return True
            except OSError:
                return True
            if not data:
                return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate() until it is truthy or timeout seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def s_client(port, certs, args=(), input_data=b"", timeout=10, cert=True):
    """Runs `openssl s_client` against 127.0.0.1:port; returns (rc, output)."""
    cmd = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", certs.ca_cert,
           "-servername", "localhost"]
    if cert:
        cmd += ["-cert", certs.client_cert, "-key", certs.client_key]
    cmd += list(args)
    res = subprocess.run(cmd, input=input_data, capture_output=True, timeout=timeout)
    return res.returncode, (res.stdout + res.stderr).decode("utf-8", "replace")


def served_cert_serial(port, certs, cert=True):
    """The serial number of the certificate the server presents now."""
    rc, out = s_client(port, certs, args=["-showcerts"], input_data=b"", cert=cert)
    pem_start = out.find("-----BEGIN CERTIFICATE-----")
    pem_end = out.find("-----END CERTIFICATE-----")
    if pem_start < 0:
        return None
    pem = out[pem_start:pem_end + len("-----END CERTIFICATE-----")] + "\n"
    res = subprocess.run([OPENSSL, "x509", "-noout", "-serial"], input=pem.encode(),
                         capture_output=True, timeout=10)
    return res.stdout.decode().strip().split("=", 1)[1].upper()


def info_section(client, section):
    """INFO <section> as a dict of strings (redis-py parses types; we don't)."""
    text = client.execute_command("INFO", section)
    if isinstance(text, dict):  # redis-py parsed it
        return {k: str(v) for k, v in text.items()}
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def listening_ports(pid):
    """TCP ports the process `pid` listens on (from /proc: its socket inodes
    matched against /proc/net/tcp{,6} entries in LISTEN state)."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = TCP_LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def select_readable(sock, timeout):
    r, _, _ = select.select([sock], [], [], timeout)
    return bool(r)


# --------------------------------------------------------------------------
# Shared by the data-type suites
# --------------------------------------------------------------------------

def blocked_count(c):
    """Clients currently blocked (flag b in CLIENT LIST)."""
    lines = c.execute_command("CLIENT", "LIST").splitlines()
    return sum(1 for line in lines if " flags=b " in line)


def wait_blocked(c, n):
    assert wait_until(lambda: blocked_count(c) == n, 5), \
        "expected %d blocked clients, have %d" % (n, blocked_count(c))


@contextlib.contextmanager
def encoding_limits(r, family, entries=None, value=None):
    """Temporarily changes <family>-max-listpack-entries/-value on the shared
    server, restoring the old values afterwards."""
    names = ("%s-max-listpack-entries" % family, "%s-max-listpack-value" % family)
    old = {n: r.execute_command("CONFIG", "GET", n)[1] for n in names}
    try:
        if entries is not None:
            r.execute_command("CONFIG", "SET", names[0], entries)
        if value is not None:
            r.execute_command("CONFIG", "SET", names[1], value)
        yield
    finally:
        for n, v in old.items():
            r.execute_command("CONFIG", "SET", n, v)
