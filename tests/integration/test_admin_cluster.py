"""sealkv-admin against a real 3-node sealkv-node cluster (the fake-API tests
are in test_admin.py): status and nodes from the leader and a follower, node
removal through a follower, and the JSON errors of the real routes."""
import os
import subprocess

import pytest

from cluster_node import ADMIN, PASSWORD, clusters  # noqa: F401
from conftest import TARGET

pytestmark = pytest.mark.sealkv_only


def admin(node, *args, password=PASSWORD, tmp_path=None):
    exe = os.path.join(TARGET.bin_dir, "sealkv-admin")
    if not os.access(exe, os.X_OK):
        pytest.fail("sealkv-admin not built: %s" % exe)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALKV_ADMIN_")}
    env.update({"SEALKV_ADMIN_HOST": "127.0.0.1", "SEALKV_ADMIN_PORT": str(node.api_port),
                "SEALKV_ADMIN_CACERT": node.path("ca.crt"), "SEALKV_ADMIN_USER": ADMIN})
    p = subprocess.run([exe, "--password-file", "-"] + list(args), input=password + "\n",
                       capture_output=True, text=True, timeout=60, env=env)
    assert password not in p.stdout + p.stderr
    return p


def table_rows(out):
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("UID"))
    return [l.split() for l in lines[start + 1:] if l.strip()]


def test_admin_on_a_cluster(clusters):  # noqa: F811
    c = clusters(3)
    leader = c.leader()
    follower = next(n for n in c.running() if n is not leader)

    for node in (leader, follower):
        p = admin(node, "status")
        assert p.returncode == 0, p.stderr
        rows = table_rows(p.stdout)
        assert sorted(int(r[0]) for r in rows) == sorted(n.uid for n in c.nodes)
        assert "  leader: %d" % leader.uid in p.stdout.splitlines()

    p = admin(follower, "cluster", "info")
    assert p.returncode == 0, p.stderr
    assert "name: %s" % c.name in p.stdout.splitlines()

    p = admin(follower, "nodes", password="not the password")
    assert p.returncode == 1
    assert p.stderr.strip().endswith("(unauthorized)"), p.stderr

    p = admin(follower, "node", "remove", "99")
    assert p.returncode == 1
    assert p.stderr.strip().endswith("(node_not_found)"), p.stderr

    # Remove a node that is neither the leader nor the one we talk to.
    victim = next(n for n in c.running() if n is not leader and n is not follower)
    p = admin(follower, "node", "remove", str(victim.uid))
    assert p.returncode == 0, p.stderr + c.logs()
    assert p.stdout.strip() == "node %d removed" % victim.uid
    p = admin(leader, "nodes")
    assert p.returncode == 0, p.stderr
    assert victim.uid not in [int(r[0]) for r in table_rows(p.stdout)]
