"""snagfs_fixture — a pytest fixture that runs each test on a snagfs mount.

    # conftest.py
    from snagfs_fixture import snagfs  # noqa: F401  (registers the fixture)

    def test_fsync_failure(snagfs):
        snagfs.add_rule("fsync:path=/db.wal:error=EIO:id=wal")
        with pytest.raises(OSError):
            my_app.commit(snagfs.mount / "db.wal")
        assert snagfs.wait_fired("wal", 1) == 1

The mount is a fresh temporary SOURCE directory (``snagfs.source``) mounted
at ``snagfs.mount``; daemon arguments come from an optional marker:

    @pytest.mark.snagfs_args("-p", "disk-full")

The handle talks to the daemon's control socket with the snagctl/1
protocol (docs/control-protocol.md): one request line, one JSON line back.
The fixture always unmounts: fusermount3 -u, then a lazy umount, then
aborting the FUSE connection and killing the daemon it started — never
anything else. Needs root (or fusermount3 rights) and /dev/fuse; the daemon
is $SNAGFS or `snagfs` on PATH.
"""
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SEED = int(os.environ.get("SNAGFS_SEED", "1"))


class SnagfsError(Exception):
    """The daemon answered a control request with an error."""

    def __init__(self, reply):
        super().__init__("%s: %s" % (reply.get("errno"), reply.get("error")))
        self.reply = reply
        self.errno_name = reply.get("errno")


def _mount_line(mnt):
    """The /proc/self/mountinfo line of the newest mount on mnt, or None."""
    line = None
    with open("/proc/self/mountinfo") as f:
        for ln in f:
            if ln.split()[4] == str(mnt):
                line = ln
    return line


class Snagfs:
    """One snagfs mount; see the module docstring."""

    def __init__(self, base, args=(), timeout=15.0):
        self.source = Path(base) / "src"
        self.mount = Path(base) / "mnt"
        self.control = Path(base) / "ctl.sock"
        self.log = Path(base) / "snagfs.log"
        self.source.mkdir()
        self.mount.mkdir()
        daemon = os.environ.get("SNAGFS") or shutil.which("snagfs") or "snagfs"
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [daemon, "-f", "--seed", str(SEED), "--control", str(self.control),
             *args, str(self.source), str(self.mount)],
            stdin=subprocess.DEVNULL, stdout=self._logf, stderr=subprocess.STDOUT)
        self._conn = None
        deadline = time.monotonic() + timeout
        while not (_mount_line(self.mount) and self.control.exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("snagfs did not mount: " + self.log.read_text())
            time.sleep(0.02)
        self._conn = self._fuse_conn()

    # -- control socket -------------------------------------------------
    def request(self, line, timeout=30.0):
        """Send one snagctl/1 request; return the JSON reply (raises on error)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(self.control))
            s.sendall(("snagctl/1 %s\n" % line).encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("control socket closed")
                buf += chunk
        reply = json.loads(buf)
        if not reply.get("ok"):
            raise SnagfsError(reply)
        return reply

    def add_rule(self, rule):
        """Add a rule (live when this returns); returns its id."""
        return self.request("add " + rule)["id"]

    def del_rule(self, rule_id):
        self.request("del " + rule_id)

    def clear(self):
        self.request("clear")

    def rules(self):
        """{id: {"matched": n, "fired": n, ...}} for every rule."""
        return {r["id"]: r for r in self.request("list")["rules"]}

    def fired(self, rule_id):
        return self.rules()[rule_id]["fired"]

    def wait_fired(self, rule_id, n, timeout=10.0):
        """Block until rule_id has fired n times; return the count.
        Raises SnagfsError(ETIMEDOUT) if it does not happen in time."""
        ms = int(timeout * 1000)
        return self.request("wait %s %d timeout=%dms" % (rule_id, n, ms),
                            timeout=timeout + 10)["fired"]

    def stats(self):
        """The daemon's stats as a dict (see docs/control-protocol.md)."""
        return self.request("stats json")

    def op_stats(self, op):
        return next(o for o in self.stats()["ops"] if o["op"] == op)

    # -- teardown -------------------------------------------------------
    def _fuse_conn(self):
        line = _mount_line(self.mount)
        return line.split()[2].split(":")[1] if line else None

    def close(self):
        """Unmount and reap the daemon, escalating as needed. Idempotent."""
        if self.proc is None:
            return
        mounted = lambda: (_mount_line(self.mount) or "").split()[2:3] == \
            (["0:" + self._conn] if self._conn else [])
        if self._conn and mounted():
            subprocess.run(["fusermount3", "-u", str(self.mount)], timeout=20,
                           stderr=subprocess.DEVNULL, check=False)
            if mounted():
                subprocess.run(["umount", "-l", str(self.mount)], timeout=20,
                               stderr=subprocess.DEVNULL, check=False)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            abort = "/sys/fs/fuse/connections/%s/abort" % self._conn
            if self._conn and os.path.exists(abort):
                with open(abort, "w") as f:
                    f.write("1")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
        self._logf.close()


@pytest.fixture
def snagfs(request, tmp_path):
    """A snagfs mount for one test; always unmounted afterwards."""
    marker = request.node.get_closest_marker("snagfs_args")
    handle = Snagfs(tmp_path, marker.args if marker else ())
    try:
        yield handle
    finally:
        handle.close()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "snagfs_args(*args): extra snagfs daemon arguments")
