"""Fixtures of the integration suite.

SEALKV_TEST_TARGET=redis runs the suite against Debian's redis-server 7.0
(/usr/bin/redis-server): that is how the expectations are checked. The
default target is sealkv: $SEALKV_BIN/sealkv-server, SEALKV_BIN defaulting to
<repo>/bin. Tests of sealkv-only features carry @pytest.mark.sealkv_only and
are skipped, with a reason, under the redis target (SEALKV_TEST_NO_SKIP=1
runs them anyway, to debug the harness of those tests against redis).

Servers: `server` is one session-wide process with a plain and a TLS listener
(tls-auth-clients yes); tests that change configuration start their own with
`start_server(...)`. Every process is stopped by pid in a finalizer; a failing
test's report shows what the servers logged during it, and a server that
crashed, hung on SIGTERM or printed a sanitizer report fails its fixture.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import (Certs, ServerProcess, make_client, redis_cli,  # noqa: E402
                     report_health)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REDIS_SERVER = "/usr/bin/redis-server"


class Target:
    def __init__(self):
        self.name = os.environ.get("SEALKV_TEST_TARGET", "sealkv")
        if self.name not in ("sealkv", "redis"):
            raise pytest.UsageError("SEALKV_TEST_TARGET must be sealkv or redis")
        self.bin_dir = os.path.abspath(os.environ.get("SEALKV_BIN", os.path.join(REPO, "bin")))
        if self.name == "redis":
            self.binary = REDIS_SERVER
            # Keep the reference server from writing dump.rdb on shutdown.
            self.extra_directives = [("save", ""), ("appendonly", "no")]
        else:
            self.binary = os.path.join(self.bin_dir, "sealkv-server")
            # sealkv saves on shutdown too (Redis's default save points).
            self.extra_directives = [("save", "")]

    @property
    def is_redis(self):
        return self.name == "redis"


TARGET = Target()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sealkv_only: feature only sealkv has (skipped when SEALKV_TEST_TARGET=redis)")


def pytest_report_header(config):
    return "sealkv integration target: %s (%s)" % (TARGET.name, TARGET.binary)


def pytest_collection_modifyitems(config, items):
    if not TARGET.is_redis or os.environ.get("SEALKV_TEST_NO_SKIP") == "1":
        return
    skip = pytest.mark.skip(reason="sealkv-only feature; target is redis-server 7.0")
    for item in items:
        if item.get_closest_marker("sealkv_only"):
            item.add_marker(skip)


def _log_size(srv):
    try:
        return os.path.getsize(srv.log_path)
    except OSError:
        return 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    # Where each server's log stood when the test began: a failure report
    # shows only what the servers wrote during the test.
    item.sealkv_log_marks = {id(srv): _log_size(srv) for srv in ServerProcess.live}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    marks = getattr(item, "sealkv_log_marks", {})
    for srv in list(ServerProcess.live):
        try:
            with open(srv.log_path, "rb") as f:
                f.seek(marks.get(id(srv), 0))
                new = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        lines = new.splitlines()[-30:]
        if lines:
            rep.sections.append(("server log during test: %s (%s)" % (srv.name, srv.log_path),
                                 "\n".join(lines)))


@pytest.fixture(scope="session")
def target():
    if not os.access(TARGET.binary, os.X_OK):
        pytest.fail("server binary not found: %s (set SEALKV_BIN or SEALKV_TEST_TARGET=redis)"
                    % TARGET.binary)
    return TARGET


@pytest.fixture(scope="session")
def sealkv_bin():
    """Directory of the sealkv binaries under test."""
    return TARGET.bin_dir


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return Certs(str(tmp_path_factory.mktemp("certs")))


@pytest.fixture(scope="session")
def server(target, certs, tmp_path_factory):
    srv = ServerProcess(target, str(tmp_path_factory.mktemp("shared-server")), certs=certs,
                        plain=True, tls=True, name="shared")
    srv.start()
    yield srv
    srv.stop()
    report_health([srv])


@pytest.fixture
def live_server(server):
    """The shared server, restarted (and the test failed) if it died earlier."""
    if not server.is_running():
        tail = server.log_tail()
        server.stop()  # records the exit status
        server.start()
        pytest.fail("shared server had died before this test:\n" + tail)
    yield server
    if not server.is_running():
        pytest.fail("shared server died during this test:\n" + server.log_tail())


@pytest.fixture(params=["plain", "tls"])
def mode(request):
    return request.param


@pytest.fixture
def client_factory(live_server, mode):
    """new(**kw) -> another client of the shared server in the same mode."""
    made = []

    def new(**kw):
        c = make_client(live_server, mode, **kw)
        made.append(c)
        return c

    yield new
    for c in made:
        try:
            c.close()
        except Exception:
            pass


@pytest.fixture
def r(live_server, mode):
    """A redis-py client (str replies, full error text) on an empty keyspace."""
    c = make_client(live_server, mode)
    c.execute_command("FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def raw(live_server, mode, r):
    """new() -> a raw RESP connection (helpers.RawConn) to the shared server in
    the test's mode, closed at the end; r has flushed the keyspace first."""
    made = []

    def new():
        c = live_server.raw(mode)
        made.append(c)
        return c

    yield new
    for c in made:
        c.close()


@pytest.fixture
def cli(live_server, mode):
    def run(*args, **kw):
        return redis_cli(live_server, mode, *args, **kw)
    return run


@pytest.fixture
def start_server(target, certs, tmp_path):
    """start(plain=True, tls=False, directives=(), args=(), start=True) -> ServerProcess
    private to the test, stopped when it ends."""
    started = []

    def start(plain=True, tls=False, directives=(), args=(), start=True, name=None,
              config_file=True):
        workdir = os.path.join(str(tmp_path), "srv%d" % len(started))
        srv = ServerProcess(target, workdir, certs=certs, plain=plain, tls=tls,
                            directives=directives, args=args,
                            name=name or "srv%d" % len(started), config_file=config_file)
        started.append(srv)
        if start:
            srv.start()
        return srv

    yield start
    for srv in started:
        srv.stop()
    report_health(started)
