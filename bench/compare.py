#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/compare.py - snapmig next to Elasticsearch Curator, at a distance.

Run through bench/compare.sh (see bench/README.md, "Side by side with
Curator").  For every size x round trip x tool it runs a whole snapshot +
restore with rename RUNS times against the shared rig, every request of the
tool going through a Toxiproxy proxy of its own that adds half the round
trip in each direction, and reports wall time, the servers' own snapshot and
restore time, their ratio, requests sent, how late the end of each phase was
noticed and peak RSS (min / median / max).

Everything it makes on the rig carries a unique tag and is deleted at the
end, also on failure and on Ctrl-C / SIGTERM: proxies, indices, snapshots,
repositories, fs repository directories.  The rig lock
(/tmp/snapmig-rig.lock) is held for one run of every tool at one round trip
and their cleanup, and for one seeding chunk (or, with --lock size, for one
size), never for the whole benchmark.

A benchmark: it prints figures and asserts nothing about them.
"""

import argparse
import datetime
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RIG = os.path.join(TOP, "tests", "rig", "rig")
LOCK = "/tmp/snapmig-rig.lock"
TIME = "/usr/bin/time"
SIZES = {"tiny": (1, 10), "mid": (4, 20000), "mid5": (4, 20000), "mid13": (4, 20000), "many": (900, 5),
         "thousand": (1000, 5)}
# Sizes whose repository is throttled so that the snapshot and the restore
# each take about this many seconds on the server (issue 13's goal is about
# phases of 5 s and more): max_snapshot_bytes_per_sec and
# max_restore_bytes_per_sec = the seeded indices' primary store size / this,
# measured after seeding, the same for every tool of a cluster.
PHASE_S = {"mid5": 5.0, "mid13": 13.0}
DEFAULT_SIZES = ("tiny", "mid", "many")  # "thousand" (peak RSS at 1 000 indices) only when asked
BIG_SIZES = ("many", "thousand")  # OpenSearch only (see --es-many); shard limits raised while they run
TOOLS = ("snapmig-es", "snapmig-os", "curator-9s", "curator-1s")
CURATOR_PINS = ("elasticsearch-curator==5.8.4", "elasticsearch==7.13.4")
SEED_CHUNK = 150  # indices seeded per lock hold
RUN_TIMEOUT = 1800  # seconds one measured run may take before it is killed
OBSERVE_GAP_S = 0.01  # the observer's pause between two GET _snapshot/R/S


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Stop(Exception):
    """SIGTERM/SIGINT: unwind through the cleanup."""


def on_signal(signum, _frame):
    raise Stop(f"signal {signum}")


# ------------------------------------------------------------------ rig

def rig_env():
    out = subprocess.run([RIG, "env"], check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            k, _, v = line[len("export "):].partition("=")
            env[k] = shlex.split(v)[0] if v else ""
    return env


def http(method, url, body=None, timeout=120, ok=(200, 201, 204)):
    """One request; returns (status, parsed JSON or text)."""
    data = None
    headers = {}
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else (
            body.encode() if isinstance(body, str) else body)
        headers["Content-Type"] = "application/json"
    for attempt in range(12):
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        # 429: a rig node at its heap's circuit breaker (512 MiB, shared
        # with other tests) or a full queue: give it time to collect
        if status != 429:
            break
        time.sleep(min(10, 0.5 * 2 ** attempt))
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = raw.decode(errors="replace")
    if ok is not None and status not in ok:
        raise RuntimeError(f"{method} {url}: HTTP {status}: {str(doc)[:300]}")
    return status, doc


class RigLock:
    """flock(2) on the rig's lock file, the same lock flock(1) takes."""

    def __enter__(self):
        self.fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


SEED_MAPPING = {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                "mappings": {"properties": {
                    "id": {"type": "long"}, "index_no": {"type": "long"}, "ts": {"type": "date"},
                    "level": {"type": "keyword"}, "service": {"type": "keyword"}, "host": {"type": "keyword"},
                    "bytes": {"type": "long"}, "status": {"type": "long"}}}}
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")


def seed_doc(index, ino, d):
    """Document d of index number ino, as tests/rig/lib.sh (cmd_seed) makes it."""
    head = json.dumps({"index": {"_index": index, "_id": str(d)}})
    doc = json.dumps({"id": d, "index_no": ino, "ts": 1704067200000 + d * 60000 + ino, "level": LEVELS[d % 4],
                      "service": f"svc-{d % 7}", "host": f"host-{(d * 3 + ino) % 10:02d}",
                      "bytes": (d * 7919 + ino) % 100000, "status": 500 if d % 10 == 0 else 200})
    return head + "\n" + doc + "\n"


def bulk(url, lines):
    req = urllib.request.Request(f"{url}/_bulk", data="".join(lines).encode(), method="POST",
                                 headers={"Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(req, timeout=300) as r:
        doc = json.loads(r.read())
    if doc.get("errors"):
        err = next((it["index"].get("error") for it in doc["items"] if it["index"].get("error")), None)
        raise RuntimeError(f"seeding: _bulk into {url} failed: {str(err)[:300]}")


def size_label(size):
    """'4 x 20000', '4 x 20000, ~5 s' for a throttled size."""
    n, docs = SIZES.get(size, ("?", "?"))
    return f"{n} x {docs}" + (f", ~{PHASE_S[size]:g} s" if size in PHASE_S else "")


def ms_of_iso(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


# ------------------------------------------------------------ Toxiproxy

class Proxies:
    """One Toxiproxy proxy per rig server, named snm-bench-TAG-SERVER."""

    def __init__(self, api, tag):
        self.api, self.tag, self.made, self.rtt = api, tag, {}, 0

    def make(self, server, upstream_url):
        name = f"snm-bench-{self.tag}-{server}"
        hostport = upstream_url.split("://", 1)[1].rstrip("/")
        self.made[server] = name  # recorded first: deleted even if the reply is lost
        _, doc = http("POST", f"{self.api}/proxies",
                      {"name": name, "listen": "127.0.0.1:0", "upstream": hostport, "enabled": True})
        return "http://" + doc["listen"]

    def set_rtt(self, rtt_ms):
        """Half the round trip each way (latency toxics, no jitter)."""
        for name in self.made.values():
            for stream in ("upstream", "downstream"):
                http("DELETE", f"{self.api}/proxies/{name}/toxics/bench_{stream}", ok=None)
                if rtt_ms > 0:
                    http("POST", f"{self.api}/proxies/{name}/toxics",
                         {"name": f"bench_{stream}", "type": "latency", "stream": stream,
                          "attributes": {"latency": rtt_ms // 2, "jitter": 0}})
        self.rtt = rtt_ms

    def delete_all(self):
        try:
            _, doc = http("GET", f"{self.api}/proxies", timeout=10)
            names = [n for n in (doc or {}) if n.startswith(f"snm-bench-{self.tag}-")]
        except Exception:  # noqa: BLE001 - best effort: fall back to what we made
            names = list(self.made.values())
        for n in names:
            http("DELETE", f"{self.api}/proxies/{n}", ok=None, timeout=10)


# -------------------------------------------------------------- Curator

def curator_python():
    """A Python older than 3.11 for Curator 5.8.4's PyYAML 5.4.1."""
    cands = [os.environ.get("BENCH_CURATOR_PYTHON", "")]
    root = os.path.expanduser("~/.pyenv/versions")
    if os.path.isdir(root):
        cands += [os.path.join(root, v, "bin", "python") for v in sorted(os.listdir(root), reverse=True)
                  if re.match(r"^3\.(8|9|10)\.", v)]
    cands += [shutil.which(f"python3.{m}") or "" for m in (10, 9, 8)]
    for c in cands:
        if c and os.access(c, os.X_OK):
            return c
    return None


def curator_setup(cache):
    """Returns (curator executable, None) or (None, reason)."""
    venv = os.path.join(cache, "curator-5.8.4")
    exe = os.path.join(venv, "bin", "curator")
    pip = os.path.join(venv, "bin", "pip")
    if os.access(exe, os.X_OK):
        ok = subprocess.run([exe, "--version"], capture_output=True, text=True)
        if ok.returncode == 0 and "5.8.4" in ok.stdout:
            return exe, None
    py = curator_python()
    if py is None:
        return None, "no Python older than 3.11 found (Curator 5.8.4 needs PyYAML 5.4.1); set BENCH_CURATOR_PYTHON"
    os.makedirs(cache, exist_ok=True)
    logf = os.path.join(cache, "pip.log")
    log(f"installing Curator 5.8.4 into {venv} with {py} (log: {logf})")
    steps = [[py, "-m", "venv", venv],
             # PyYAML 5.4.1 has no wheel for new Pythons and its sdist does not
             # build with Cython 3: build it with Cython < 3, without isolation
             [pip, "install", "-q", "cython<3", "wheel", "setuptools"],
             [pip, "install", "-q", "--no-build-isolation", "pyyaml==5.4.1"],
             [pip, "install", "-q", *CURATOR_PINS]]
    with open(logf, "a") as lf:
        for s in steps:
            if subprocess.run(s, stdout=lf, stderr=lf).returncode != 0:
                return None, f"installing Curator failed at `{' '.join(s)}` (see {logf})"
    return exe, None


# ------------------------------------------------------------- observer

class SnapshotObserver(threading.Thread):
    """When did the server first report the snapshot ended?  Reads the
    tool's events file for the snapshot's name (snapmig's snapshot.start),
    then asks GET _snapshot/REPO/SNAP directly (not through the proxy: no
    added round trip) every OBSERVE_GAP_S until its state is no longer
    running.  The first reply that says so bounds the moment: after `sent`,
    before `recv`.  The tool's lag is then measured against `recv` (the
    earliest a poller at 0 ms could have known), which separates the
    server's finalization (end_time -> first observable end) from polling."""

    def __init__(self, url, repo, events_path, snap=None):
        super().__init__(daemon=True)
        self.url, self.repo, self.events_path, self.snap = url, repo, events_path, snap
        self.stop_ev = threading.Event()
        self.first_done = None  # (sent_ms, recv_ms, state)
        self.last_running_recv = None
        self.polls = 0
        self.error = None

    def name_from_events(self):
        try:
            with open(self.events_path) as f:
                for line in f:
                    if '"snapshot.start"' in line:
                        try:
                            return json.loads(line).get("snapshot")
                        except ValueError:
                            return None
        except OSError:
            return None
        return None

    def run(self):
        try:
            while not self.stop_ev.is_set() and self.first_done is None:
                if self.snap is None:
                    self.snap = self.name_from_events()
                    if self.snap is None:
                        self.stop_ev.wait(OBSERVE_GAP_S)
                        continue
                sent = time.time() * 1000.0
                status, doc = http("GET", f"{self.url}/_snapshot/{self.repo}/{self.snap}"
                                   "?filter_path=snapshots.state", ok=None, timeout=30)
                recv = time.time() * 1000.0
                self.polls += 1
                state = None
                if status == 200 and isinstance(doc, dict) and doc.get("snapshots"):
                    state = doc["snapshots"][0].get("state")
                if state in ("SUCCESS", "PARTIAL", "FAILED", "INCOMPATIBLE"):
                    self.first_done = (sent, recv, state)
                    break
                if state is not None:
                    self.last_running_recv = recv
                self.stop_ev.wait(OBSERVE_GAP_S)
        except Exception as e:  # noqa: BLE001 - an observer's failure leaves its figures empty
            self.error = str(e)

    def finish(self):
        self.stop_ev.set()
        self.join(timeout=60)
        if self.first_done is None:
            return {"observer_polls": self.polls, "observer_error": self.error}
        sent, recv, state = self.first_done
        return {"observer_polls": self.polls, "observer_done_sent_ms": sent, "observer_done_recv_ms": recv,
                "observer_last_running_ms": self.last_running_recv, "observer_state": state}


# ------------------------------------------------------------ the bench

class Bench:
    def __init__(self, args, env):
        self.a, self.env = args, env
        self.tag = args.tag or f"bm{os.getpid()}"
        self.tmp = tempfile.mkdtemp(prefix=f"snapmig-bench-{self.tag}-")
        self.proxies = Proxies(env["SNAPMIG_RIG_TOXIPROXY_URL"], self.tag)
        self.url = {"legacy": env["SNAPMIG_RIG_LEGACY_URL"], "source": env["SNAPMIG_RIG_SOURCE_URL"],
                    "target": env["SNAPMIG_RIG_TARGET_URL"]}
        self.purl = {}
        self.repos = []  # (server, repo name, fs dir or None) to delete at the end
        self.templates = []  # (server, index template) made for seeding, to delete at the end
        self.seeded = {}  # size -> {server: prefix}
        self.shard_limits = {}  # server -> (its transient cluster.max_shards_per_node before we raised it,)
        self.throttle = {}  # (size, server) -> repository byte rate (bytes/s) of a PHASE_S size
        self.n = 0
        self.results = []

    # --- setup / teardown
    def start(self):
        for s, u in self.url.items():
            self.purl[s] = self.proxies.make(s, u)
        log(f"tag {self.tag}; proxies {self.purl}; work dir {self.tmp}")

    def cleanup(self):
        log("cleaning up what the benchmark made on the rig")
        try:
            self.proxies.delete_all()
        except Exception as e:  # noqa: BLE001
            log(f"warning: deleting proxies: {e}")
        if not self.leftovers():
            log(f"nothing left on the rig; each run's plan, events, trace and logs are kept in {self.tmp}")
            return
        with RigLock():
            for server, url in self.url.items():
                for pat in (f"{self.tag}*", f"c{self.tag}*"):
                    http("DELETE", f"{url}/{pat}?expand_wildcards=all", ok=None, timeout=300)
            for server, repo, fsdir in self.repos:
                http("DELETE", f"{self.url[server]}/_snapshot/{repo}/*", ok=None, timeout=300)
                http("DELETE", f"{self.url[server]}/_snapshot/{repo}", ok=None)
                if fsdir:
                    shutil.rmtree(fsdir, ignore_errors=True)
            for server, template in self.templates:
                http("DELETE", f"{self.url[server]}/_index_template/{template}", ok=None)
            self.restore_shard_limits()
        log(f"each run's plan, events, trace and logs are kept in {self.tmp}")

    def leftovers(self):
        """Anything of this run still on the rig (asked without the lock:
        reads only)?  Unknown counts as yes."""
        if self.shard_limits or self.templates:
            return True
        try:
            for url in self.url.values():
                _, rows = http("GET", f"{url}/_cat/indices/{self.tag}*,c{self.tag}*?format=json&h=index"
                               "&expand_wildcards=all")
                _, repos = http("GET", f"{url}/_snapshot")
                if rows or any(r.startswith(self.tag) for r in (repos or {})):
                    return True
        except Exception:  # noqa: BLE001
            return True
        return any(fsdir and os.path.exists(fsdir) for _, _, fsdir in self.repos)

    def raise_shard_limit(self, server):
        """900 indices copied within one single-node cluster need 1800
        shards, over the default 1000 per node; 1000 indices on the shared
        source (or their copies on the target) do too, beside everyone
        else's: raised (transient) while those sizes run, set back
        afterwards, also after a failure."""
        if server in self.shard_limits:
            return
        _, doc = http("GET", f"{self.url[server]}/_cluster/settings?flat_settings=true")
        self.shard_limits[server] = (doc.get("transient", {}).get("cluster.max_shards_per_node"),)
        http("PUT", f"{self.url[server]}/_cluster/settings",
             {"transient": {"cluster.max_shards_per_node": 4000}})

    def restore_shard_limits(self):
        for server, (prev,) in list(self.shard_limits.items()):
            http("PUT", f"{self.url[server]}/_cluster/settings",
                 {"transient": {"cluster.max_shards_per_node": prev}}, ok=None)
            del self.shard_limits[server]

    def seed(self, size, server):
        """The documents and mapping of `tests/rig/rig seed` (index PREFIX-NNN,
        document d of index i the same fields and values), written faster:
        the rig's seed sends five requests per index from a shell loop (about
        0.6 s an index, 9 minutes for 900); here the indices are created four
        at a time and the documents go in shared _bulk requests.  From 100
        indices on, an index template of the run's own (deleted right after)
        carries the mapping and _bulk creates the indices itself, which the
        server batches into few cluster state updates (1 000 indices in
        seconds instead of minutes)."""
        n, docs = SIZES[size]
        prefix = f"{self.tag}-{size}"
        url = self.url[server]
        t0 = time.monotonic()
        self.seeded.setdefault(size, {})[server] = prefix
        template = f"{prefix}-seed"
        by_template = n >= 100
        if size in BIG_SIZES:
            with self.lock("chunk"):
                self.raise_shard_limit(server)
                if server == "source":
                    self.raise_shard_limit("target")  # where the copies go
        if by_template:
            self.templates.append((server, template))
            http("PUT", f"{url}/_index_template/{template}",
                 {"index_patterns": [f"{prefix}-*"], "priority": 900, "template": SEED_MAPPING})
        for lo in range(0, n, SEED_CHUNK):
            hi = min(n, lo + SEED_CHUNK)
            names = [f"{prefix}-{i:03d}" for i in range(lo, hi)]
            with self.lock("chunk"):
                if not by_template:
                    with ThreadPoolExecutor(4) as ex:
                        list(ex.map(lambda x: http("PUT", f"{url}/{x}", SEED_MAPPING), names))
                batch, count = [], 0
                for i, name in zip(range(lo, hi), names):
                    for dno in range(docs):
                        batch.append(seed_doc(name, i, dno))
                        count += 1
                        if count == 10000:
                            bulk(url, batch)
                            batch, count = [], 0
                if batch:
                    bulk(url, batch)
                http("POST", f"{url}/{prefix}-*/_refresh")
        if by_template:
            http("DELETE", f"{url}/_index_template/{template}", ok=None)
            self.templates.remove((server, template))
        _, rows = http("GET", f"{url}/_cat/indices/{prefix}-*?format=json&h=index,docs.count")
        bad = [r for r in rows if int(r["docs.count"]) != docs]
        if len(rows) != n or bad:
            raise RuntimeError(f"seeding {prefix} on {server}: {len(rows)} indices, wrong counts: {bad[:3]}")
        log(f"seeded {n} x {docs} on {server} in {time.monotonic() - t0:.0f} s")
        if size in PHASE_S:
            self.set_throttle(size, server, prefix)

    def set_throttle(self, size, server, prefix):
        """The byte rate for a throttled size: the seeded indices' primary
        store size (flushed first, so that the files on disk are the ones a
        snapshot copies) over PHASE_S seconds."""
        url = self.url[server]
        with self.lock("chunk"):
            http("POST", f"{url}/{prefix}-*/_flush")
        _, rows = http("GET", f"{url}/_cat/indices/{prefix}-*?format=json&bytes=b&h=index,pri.store.size")
        total = sum(int(r["pri.store.size"]) for r in rows)
        rate = max(1, int(total / PHASE_S[size]))
        self.throttle[(size, server)] = rate
        log(f"{size} on {server}: {total} bytes in {len(rows)} indices; repository throttled to {rate} bytes/s "
            f"(max_snapshot_bytes_per_sec, max_restore_bytes_per_sec) for about {PHASE_S[size]:g} s a phase")

    def repo_throttle(self, size, server):
        """Repository settings that throttle a PHASE_S size (empty otherwise)."""
        rate = self.throttle.get((size, server))
        if rate is None:
            return {}
        return {"max_snapshot_bytes_per_sec": f"{rate}b", "max_restore_bytes_per_sec": f"{rate}b"}

    def lock(self, level):
        """The rig lock at `level` ("size", "row" or "chunk") when that is
        the scope chosen (--lock); a chunk is locked whenever its size is not."""
        scope = self.a.lock
        if level == scope or (level == "chunk" and scope == "row"):
            return RigLock()
        return nullcontext()

    def unseed(self, size):
        with self.lock("chunk"):
            for server, prefix in self.seeded.pop(size, {}).items():
                http("DELETE", f"{self.url[server]}/{prefix}-*", ok=None, timeout=300)
            if size in BIG_SIZES:
                self.restore_shard_limits()

    # --- one measured run
    def run_case(self, size, rtt, tool, run_no):
        self.n += 1
        n = self.n
        d = os.path.join(self.tmp, f"{n:03d}-{tool}-{size}-{rtt}")
        os.makedirs(d)
        repo = f"{self.tag}_{n}"
        rec = {"size": size, "rtt_ms": rtt, "tool": tool, "run": run_no, "tag": self.tag, "dir": d}
        if tool == "snapmig-os":
            src, dst = "source", "target"
            fsdir = None
        else:
            src = dst = "legacy"
            fsdir = os.path.join(self.env["SNAPMIG_RIG_FS_REPO"], f"bench-{repo}")
        prefix = self.seeded[size][src]
        copies = f"c{prefix}-*"
        try:
            if tool.startswith("snapmig"):
                r = self.run_snapmig(d, tool, src, dst, prefix, repo, fsdir, self.repo_throttle(size, src))
            else:
                r = self.run_curator(d, tool, prefix, repo, fsdir, self.repo_throttle(size, src))
            if size in PHASE_S:
                rec["throttle_bps"] = self.throttle[(size, src)]
            rec.update(r)
            if rec.get("exit") == 0:
                rec.update(self.server_times(src, dst, repo, rec.pop("snapshot"), copies, rec))
        finally:
            self.drop_run(src, dst, repo, copies, fsdir)
        return rec

    def drop_run(self, src, dst, repo, copies, fsdir):
        http("DELETE", f"{self.url[dst]}/{copies}", ok=None, timeout=300)
        for server in {src, dst}:
            if server == src:
                http("DELETE", f"{self.url[server]}/_snapshot/{repo}/*", ok=None, timeout=300)
            http("DELETE", f"{self.url[server]}/_snapshot/{repo}", ok=None)
        if fsdir:
            shutil.rmtree(fsdir, ignore_errors=True)

    def timed(self, cmd, out, err, cwd):
        """Run cmd under /usr/bin/time -v: wall seconds (measured here) and
        the tool's peak RSS in MiB.  (wait4's ru_maxrss of a child forked
        from this Python would report Python's own RSS for a small tool.)"""
        tfile = os.path.join(cwd, "time-v.txt")
        t0 = time.monotonic()
        p = subprocess.Popen([TIME, "-v", "-o", tfile, *cmd], stdout=out, stderr=err, cwd=cwd,
                             start_new_session=True)
        self.child = p
        try:
            p.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        finally:
            if p.returncode is None:  # stopped by a signal: end the tool we started first
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            self.child = None
        wall = time.monotonic() - t0
        rss = None
        with open(tfile) as f:
            for line in f:
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
                if m:
                    rss = int(m.group(1)) / 1024.0
        return p.returncode, wall, rss

    def run_snapmig(self, d, tool, src, dst, prefix, repo, fsdir, throttle):
        psrc = self.purl[src]
        if src == dst:  # one cluster under two domain ids (another spelling of the proxy)
            domains = {"legacy": {"endpoint": psrc},
                       "copy": {"endpoint": psrc.replace("127.0.0.1", "localhost")}}
            sid, tid = "legacy", "copy"
            repository = {"name": repo, "type": "fs", "settings": {"location": fsdir, **throttle}}
        else:
            domains = {"source": {"endpoint": psrc}, "target": {"endpoint": self.purl[dst]}}
            sid, tid = "source", "target"
            repository = {"name": repo, "type": "s3",
                          "settings": {"bucket": self.env["SNAPMIG_RIG_S3_BUCKET"],
                                       "base_path": f"bench/{self.tag}/{repo}", **throttle}}
            self.repos.append((dst, repo, None))
        self.repos.append((src, repo, fsdir))
        plan = {"snapmig": 1, "name": repo.replace("_", "-"), "domains": domains,
                "repository": repository,
                "snapshot": {"domain": sid, "indices": [f"{prefix}-*"]},
                "restores": [{"domain": tid, "rename": {"pattern": "^(.+)$", "replacement": "c$1"}}]}
        with open(os.path.join(d, "plan.json"), "w") as f:
            json.dump(plan, f)
        obs = SnapshotObserver(self.url[src], repo, os.path.join(d, "events.ndjson"))
        with open(os.path.join(d, "events.ndjson"), "w") as out, open(os.path.join(d, "trace.log"), "w") as err:
            obs.start()
            try:
                rc, wall, rss = self.timed([self.a.binary, "run", "--json", "-v", "--state",
                                            os.path.join(d, "state.json"), os.path.join(d, "plan.json")],
                                           out, err, d)
            finally:
                ob = obs.finish()
        rec = {"exit": rc, "wall_s": wall, "rss_mib": rss, **ob}
        events = []
        with open(os.path.join(d, "events.ndjson")) as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass
        rec["requests"], rec["requests_from"], rec["requests_trace"] = snapmig_requests(
            events, os.path.join(d, "trace.log"))
        if rc != 0:
            with open(os.path.join(d, "trace.log")) as f:
                rec["error"] = "".join(x for x in f.readlines() if "debug:" not in x)[-600:].strip()
            return rec
        first = {}
        for e in events:
            first.setdefault(e.get("type"), e)
        rec["snapshot"] = first["snapshot.start"]["snapshot"]
        rec["snapshot_seen_ms"] = ms_of_iso(first["snapshot.done"]["time"])
        rec["restore_seen_ms"] = ms_of_iso(first["restore.done"]["time"])
        # each phase as snapmig saw it: its start event to its done event
        rec["snapshot_tool_ms"] = rec["snapshot_seen_ms"] - ms_of_iso(first["snapshot.start"]["time"])
        rec["restore_tool_ms"] = rec["restore_seen_ms"] - ms_of_iso(first["restore.start"]["time"])
        rec["steps_ms"] = snapmig_steps(events, wall)
        rec.update(serial_rounds(events, os.path.join(d, "trace.log")) or {})
        return rec

    def run_curator(self, d, tool, prefix, repo, fsdir, throttle):
        interval = 9 if tool == "curator-9s" else 1
        # registered beforehand (Curator does not register repositories),
        # with the same settings, throttle included, as snapmig-es's plan
        self.repos.append(("legacy", repo, fsdir))  # recorded first: deleted even if the reply is lost
        http("PUT", f"{self.url['legacy']}/_snapshot/{repo}",
             {"type": "fs", "settings": {"location": fsdir, **throttle}})
        snap = f"{repo}-curator"
        port = self.purl["legacy"].rsplit(":", 1)[1]
        logfile = os.path.join(d, "curator.log")
        with open(os.path.join(d, "client.yml"), "w") as f:
            f.write(f"""client:
  hosts: [127.0.0.1]
  port: {port}
  timeout: 600
logging:
  loglevel: INFO
  logfile: {logfile}
  logformat: default
  blacklist: []
""")
        common = {"wait_for_completion": True, "wait_interval": interval, "max_wait": -1,
                  "ignore_unavailable": False, "include_global_state": False, "partial": False}
        actions = {"actions": {
            1: {"action": "snapshot", "options": dict(common, repository=repo, name=snap),
                "filters": [{"filtertype": "pattern", "kind": "prefix", "value": f"{prefix}-"}]},
            2: {"action": "restore",
                "options": dict(common, repository=repo, name=snap, include_aliases=False,
                                rename_pattern="^(.+)$", rename_replacement="c$1"),
                "filters": [{"filtertype": "none"}]}}}
        with open(os.path.join(d, "actions.yml"), "w") as f:
            json.dump(actions, f)  # YAML is a superset of JSON
        obs = SnapshotObserver(self.url["legacy"], repo, None, snap)
        with open(os.path.join(d, "stdout"), "w") as out, open(os.path.join(d, "stderr"), "w") as err:
            obs.start()
            try:
                rc, wall, rss = self.timed([self.curator, "--config", os.path.join(d, "client.yml"),
                                            os.path.join(d, "actions.yml")], out, err, d)
            finally:
                ob = obs.finish()
        rec = {"exit": rc, "wall_s": wall, "rss_mib": rss, "snapshot": snap, **ob}
        lines = open(logfile).read().splitlines() if os.path.exists(logfile) else []
        if rc != 0:
            rec["error"] = "\n".join([x for x in lines if "ERROR" in x][-3:] or lines[-3:]).strip()
            return rec
        # Each request of the elasticsearch client is one INFO line:
        # "GET http://127.0.0.1:PORT/... [status:200 request:0.004s]"
        rec["requests"] = sum(1 for x in lines if re.search(r"\s(GET|PUT|POST|DELETE|HEAD) https?://", x))
        rec["requests_from"] = "log"
        # The end of each phase as Curator noticed it: its own line after the
        # check that saw it (both follow one confirming request, as
        # snapmig's snapshot.done and restore.done do).
        # Each phase as Curator saw it: from its line right before the
        # snapshot PUT ("Creating snapshot ...") or the restore POST
        # ("Restoring indices ...") to the line that says it is over.
        starts = {}
        for x in lines:
            if "snapshot" not in starts and re.search(r"\sINFO\s+Creating snapshot ", x):
                starts["snapshot"] = curator_ms(x)
            if "restore" not in starts and re.search(r"\sINFO\s+Restoring indices ", x):
                starts["restore"] = curator_ms(x)
            if "snapshot_seen_ms" not in rec and re.search(r"Snapshot \S+ successfully completed", x):
                rec["snapshot_seen_ms"] = curator_ms(x)
            if "restore_seen_ms" not in rec and ("Found restored index" in x
                                                  or "All indices appear to have been restored" in x):
                rec["restore_seen_ms"] = curator_ms(x)
        for phase in ("snapshot", "restore"):
            if phase in starts and f"{phase}_seen_ms" in rec:
                rec[f"{phase}_tool_ms"] = rec[f"{phase}_seen_ms"] - starts[phase]
        return rec

    def server_times(self, src, dst, repo, snap, copies, rec):
        _, doc = http("GET", f"{self.url[src]}/_snapshot/{repo}/{snap}")
        s = doc["snapshots"][0]
        _, rdoc = http("GET", f"{self.url[dst]}/{copies}/_recovery")
        shards = [sh for idx in rdoc.values() for sh in idx["shards"]]
        r0 = min(sh["start_time_in_millis"] for sh in shards)
        r1 = max(sh["stop_time_in_millis"] for sh in shards)
        out = {"snapshot_server_s": (s["end_time_in_millis"] - s["start_time_in_millis"]) / 1000.0,
               "restore_server_s": (r1 - r0) / 1000.0, "restored_shards": len(shards),
               "indices": len(s.get("indices", []))}
        out["server_s"] = out["snapshot_server_s"] + out["restore_server_s"]
        for phase in ("snapshot", "restore"):  # the phase as the tool saw it / the server's phase
            if rec.get(f"{phase}_tool_ms") is not None and out[f"{phase}_server_s"] > 0:
                out[f"{phase}_ratio"] = rec[f"{phase}_tool_ms"] / 1000.0 / out[f"{phase}_server_s"]
        out["ratio"] = rec["wall_s"] / out["server_s"] if out["server_s"] > 0 else None
        if "snapshot_seen_ms" in rec:
            out["snapshot_lag_ms"] = rec["snapshot_seen_ms"] - s["end_time_in_millis"]
        if rec.get("observer_done_recv_ms") is not None:
            # the server's part: from its end_time to the first reply saying so
            out["snapshot_final_ms"] = rec["observer_done_recv_ms"] - s["end_time_in_millis"]
            if "snapshot_seen_ms" in rec:
                # the tool's part: from that reply to the tool's own notice
                out["snapshot_obs_lag_ms"] = rec["snapshot_seen_ms"] - rec["observer_done_recv_ms"]
        if "restore_seen_ms" in rec:
            out["restore_lag_ms"] = rec["restore_seen_ms"] - r1
        return out


def curator_ms(line):
    """Curator's default log time: local 'YYYY-mm-dd HH:MM:SS,mmm'."""
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})", line)
    t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
    return int(t * 1000) + int(m.group(2))


# The steps of a run as its events mark them: each step's time is from the
# end of the one before to the last event named here (events carry ms).
STEP_ENDS = (("preflight", "preflight.done"), ("register", "repository.registered"),
             ("count+PUT", "snapshot.start"), ("snapshot", "snapshot.done"),
             ("count after", "restore.start"), ("restore", "restore.done"),
             ("verify", "verify.done"), ("finish", "run.done"))


def snapmig_steps(events, wall_s):
    """Milliseconds per step of a run (STEP_ENDS), plus "outside": the wall
    time before run.start and after run.done (exec, plan, state lock;
    exit)."""
    t = {}
    for e in events:
        if "time" not in e:
            continue
        ms = ms_of_iso(e["time"])
        if e.get("type") == "run.start":
            t.setdefault("run.start", ms)
        else:
            t[e.get("type")] = ms  # the last of a type
    if "run.start" not in t or "run.done" not in t:
        return None
    out, prev = {}, t["run.start"]
    for name, ev in STEP_ENDS:
        if ev in t:
            out[name] = t[ev] - prev
            prev = t[ev]
    out["outside"] = round(wall_s * 1000 - (t["run.done"] - t["run.start"]))
    return out


def case_keys(results):
    """The (size, rtt_ms, tool) cases of `results`, in the order of SIZES,
    round trip and TOOLS."""
    order_t = {t: i for i, t in enumerate(TOOLS)}
    order_s = {s: i for i, s in enumerate(SIZES)}
    return sorted({(r["size"], r["rtt_ms"], r["tool"]) for r in results},
                  key=lambda k: (order_s.get(k[0], 9), k[1], order_t.get(k[2], 9)))


def phases_table(results):
    """Per case: each phase as the tool saw it, the server's phase, their
    ratio (min / median / max), the repository throttle of a PHASE_S size."""
    keys = case_keys(results)
    out = ["| size | RTT | tool | ok | throttle kB/s | snapshot: server s | snapshot: tool s | snapshot: tool / server "
           "| restore: server s | restore: tool s | restore: tool / server | whole run: wall / server "
           "| serial round trips | (server + those x RTT) / server |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in keys:
        ok = [r for r in results if (r["size"], r["rtt_ms"], r["tool"]) == k and r.get("exit") == 0
              and "server_s" in r]
        n_all = sum(1 for r in results if (r["size"], r["rtt_ms"], r["tool"]) == k)
        g = lambda f: [r.get(f) for r in ok]  # noqa: E731
        s_ = lambda f: [r[f] / 1000.0 if r.get(f) is not None else None for r in ok]  # noqa: E731
        kb = [r["throttle_bps"] / 1000.0 if r.get("throttle_bps") else None for r in ok]
        # the least wall / server the distance allows: the server's time plus
        # the round trips the run waits for one after another (serial_rounds)
        floor = [(r["server_s"] + r["serial_rounds"] * r["rtt_ms"] / 1000.0) / r["server_s"]
                 if r.get("serial_rounds") and r["server_s"] > 0 else None for r in ok]
        out.append(f"| {size_label(k[0])} | {k[1]} ms | {k[2]} | {len(ok)}/{n_all} | {mmm(kb, '{:.0f}')} "
                   f"| {mmm(g('snapshot_server_s'), '{:.2f}')} | {mmm(s_('snapshot_tool_ms'), '{:.2f}')} "
                   f"| {mmm(g('snapshot_ratio'), '{:.3f}')} | {mmm(g('restore_server_s'), '{:.2f}')} "
                   f"| {mmm(s_('restore_tool_ms'), '{:.2f}')} | {mmm(g('restore_ratio'), '{:.3f}')} "
                   f"| {mmm(g('ratio'), '{:.3f}')} | {mmm(g('serial_rounds'), '{:.0f}')} "
                   f"| {mmm(floor, '{:.3f}')} |")
    return "\n".join(out)


def steps_table(results):
    """Median ms per step over the runs of each snapmig case."""
    keys = sorted({(r["size"], r["rtt_ms"], r["tool"]) for r in results if r.get("steps_ms")},
                  key=lambda k: (list(SIZES).index(k[0]) if k[0] in SIZES else 9, k[1], k[2]))
    if not keys:
        return ""
    names = [n for n, _ in STEP_ENDS] + ["outside"]
    out = ["| size | RTT | tool | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(names)]
    for k in keys:
        rs = [r["steps_ms"] for r in results if (r["size"], r["rtt_ms"], r["tool"]) == k and r.get("steps_ms")]
        cells = []
        for n in names:
            v = [x[n] for x in rs if n in x]
            cells.append(f"{statistics.median(v):.0f}" if v else "–")
        out.append(f"| {size_label(k[0])} | {k[1]} ms | {k[2]} | " + " | ".join(cells) + " |")
    return "\n".join(out)


REQ_LINE = re.compile(r"^snapmig: \S+ debug: \S+: (GET|PUT|POST|DELETE|HEAD) ")


TRACE_REQ = re.compile(r"^snapmig: (\d\d):(\d\d):(\d\d)\.(\d{3}) debug: (\S+): (GET|PUT|POST|DELETE|HEAD) (\S+) "
                       r"-> \d+ \((\d+) ms")
REPLY_GAP_MS = 10  # a request sent within this long after a reply was sent because of it


def serial_rounds(events, trace):
    """Round trips a run waits for one after another outside the phases'
    polling: the floor that the distance puts under its wall time.

    From the -v trace (one line per request at its reply: the time of day,
    domain, method, path, the request's own milliseconds): a request's
    interval is [reply - ms, reply].  The polls of the two phases (GET
    _snapshot/... sent between snapshot.start and snapshot.done, GET
    _recovery and _cluster/health sent between restore.start and
    restore.done, even when their reply comes after the phase) are left
    out: they overlap the server's work.  What else goes out within a phase
    counts (the target's probe and the restore POST; the source's "after"
    counts, which newer builds send beside those, overlap them and so add
    no round trip of their own).  The other
    requests fall into groups of overlapping intervals (the client had
    something in flight throughout); within a group, a request sent at most
    REPLY_GAP_MS after another's reply waited for it (a chain).  Each group
    costs its longest chain of round trips; the sum is returned with the
    rounds per step (the step whose events bracket the group's start)."""
    t = {}
    for e in events:
        if "time" in e:
            t.setdefault(e.get("type"), ms_of_iso(e["time"]))
    if "run.start" not in t:
        return None
    reqs = []
    with open(trace) as f:
        for line in f:
            m = TRACE_REQ.match(line)
            if m:
                tod = ((int(m.group(1)) * 60 + int(m.group(2))) * 60 + int(m.group(3))) * 1000 + int(m.group(4))
                reqs.append((tod - int(m.group(8)), tod, m.group(6), m.group(7)))
    if not reqs:
        return None
    # the trace has the local time of day, the events UTC: align on whole
    # quarter hours (the first reply comes within seconds of run.start)
    day = 86400000
    run_tod = t["run.start"] % day
    first = min(r[1] for r in reqs)
    shift = round((first - run_tod) / 900000.0) * 900000
    base = t["run.start"] - run_tod
    reqs = sorted((s - shift + base, e - shift + base, m, p) for s, e, m, p in reqs)

    def in_phase(r):
        for a, b, polls in (("snapshot.start", "snapshot.done", ("/_snapshot/",)),
                            ("restore.start", "restore.done", ("/_recovery", "/_cluster/health"))):
            if (a in t and b in t and r[2] == "GET" and t[a] <= r[0] < t[b]
                    and any(x in r[3] for x in polls)):
                return True
        return False

    work = [r for r in reqs if not in_phase(r)]
    groups, cur, cur_end = [], [], None
    for r in work:
        if cur and r[0] > cur_end:
            groups.append(cur)
            cur = []
        if not cur:
            cur_end = r[1]
        cur.append(r)
        cur_end = max(cur_end, r[1])
    if cur:
        groups.append(cur)
    total, per_step = 0, {}
    for g in groups:
        depth = []
        for i, r in enumerate(g):
            d = 1
            for j in range(i):
                if g[j][1] <= r[0] + 1 and r[0] - g[j][1] <= REPLY_GAP_MS:
                    d = max(d, depth[j] + 1)
            depth.append(d)
        n = max(depth)
        total += n
        step = "preflight"
        for name, ev in STEP_ENDS:
            if ev in t and g[0][0] + 2 >= t[ev]:  # the trace's start is the reply's ms minus the request's ms
                step = {"preflight": "register", "register": "count+PUT", "count+PUT": "snapshot",
                        "snapshot": "count after", "count after": "restore", "restore": "verify",
                        "verify": "finish", "finish": "after"}[name]
        per_step[step] = per_step.get(step, 0) + n
    return {"serial_rounds": total, "serial_rounds_steps": per_step,
            "phase_polls": len(reqs) - len(work)}


def snapmig_requests(events, trace):
    """Requests snapmig sent: run.done's own count (`requests`) when the
    build has it, else the -v trace's lines, one per request (a request the
    engine retried is one line, as it is one in `requests`).  Returns
    (count, "summary"|"trace", trace count)."""
    n = 0
    with open(trace) as f:
        for line in f:
            if REQ_LINE.match(line):
                n += 1
    for e in reversed(events):
        if e.get("type") in ("run.done", "run.failed", "run.interrupted") and isinstance(e.get("requests"), int):
            return e["requests"], "summary", n
    return n, "trace", n


# ---------------------------------------------------------------- report

def mmm(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    return " / ".join(fmt.format(v) for v in (min(vals), statistics.median(vals), max(vals)))


def report(results, runs_wanted=None):
    keys = case_keys(results)
    out = ["| size | RTT | tool | ok | wall s | server s (snapshot + restore) | wall / server "
           "| requests | snapshot end noticed, ms | ... observable, ms | ... noticed after observable, ms "
           "| restore end noticed, ms | peak RSS MiB |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in keys:
        rs = [r for r in results if (r["size"], r["rtt_ms"], r["tool"]) == k]
        ok = [r for r in rs if r.get("exit") == 0 and "server_s" in r]
        g = lambda f: [r.get(f) for r in ok]  # noqa: E731
        out.append(f"| {size_label(k[0])} | {k[1]} ms | {k[2]} | {len(ok)}/{len(rs)} | {mmm(g('wall_s'), '{:.2f}')} "
                   f"| {mmm(g('server_s'), '{:.2f}')} | {mmm(g('ratio'), '{:.2f}')} | {mmm(g('requests'), '{:.0f}')} "
                   f"| {mmm(g('snapshot_lag_ms'), '{:.0f}')} | {mmm(g('snapshot_final_ms'), '{:.0f}')} "
                   f"| {mmm(g('snapshot_obs_lag_ms'), '{:.0f}')} | {mmm(g('restore_lag_ms'), '{:.0f}')} "
                   f"| {mmm(g('rss_mib'), '{:.1f}')} |")
    pt = phases_table(results)
    if pt:
        out.append("\nPhases (snapshot: the tool's start to its done, snapmig's snapshot.start -> snapshot.done events, "
                   "Curator's \"Creating snapshot\" -> \"... successfully completed\" lines; the server's "
                   "end_time - start_time. Restore: restore.start -> restore.done, \"Restoring indices\" -> "
                   "\"Found restored index\"; the server's first recovery start to last stop). "
                   "tool / server is the overhead factor of the phase:\n")
        out.append(pt)
    st = steps_table(results)
    if st:
        out.append("\nsnapmig's steps, median ms (from its events; `outside`: wall time before run.start and "
                   "after run.done):\n")
        out.append(st)
    fails = [r for r in results if r.get("exit") != 0]
    for r in fails:
        out.append(f"\nfailed: {r['tool']} {r['size']} {r['rtt_ms']} ms run {r['run']}: exit {r.get('exit')}: "
                   f"{r.get('error', '')[:400]}")
    return "\n".join(out)


# ------------------------------------------------------------------ main

def csv(kind, allowed):
    def parse(text):
        vals = [v.strip() for v in text.split(",") if v.strip()]
        for v in vals:
            if allowed is not None and v not in allowed:
                raise argparse.ArgumentTypeError(f"unknown {kind} '{v}' (one of {', '.join(allowed)})")
        return vals
    return parse


def main():
    ap = argparse.ArgumentParser(description="snapmig next to Elasticsearch Curator on the rig, at 0/30/100 ms")
    ap.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
    ap.add_argument("--rtt", type=csv("round trip", None), default=["0", "30", "100"],
                    help="round trips in ms between the tool and every server (default 0,30,100)")
    ap.add_argument("--sizes", type=csv("size", SIZES), default=list(DEFAULT_SIZES),
                    help="tiny (1 x 10), mid (4 x 20000), mid5 and mid13 (4 x 20000, the repository throttled so "
                         "that the snapshot and the restore each take about 5 s / 13 s on the server), many "
                         "(900 x 5), thousand (1000 x 5, OpenSearch only: peak RSS at 1 000 indices); "
                         "default tiny,mid,many")
    ap.add_argument("--tools", type=csv("tool", TOOLS), default=list(TOOLS),
                    help="snapmig-es (ES 7.10 within itself, fs), snapmig-os (OpenSearch source -> target, S3), "
                         "curator-9s, curator-1s; default all")
    ap.add_argument("--binary", default=os.path.join(TOP, "build", "snapmig"), help="snapmig to measure")
    ap.add_argument("--out", help="results file (JSON lines, one per run; default in the work dir, kept)")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/snapmig-bench"),
                    help="where Curator's venv lives (default ~/.cache/snapmig-bench)")
    ap.add_argument("--es-many", action="store_true",
                    help="also run the 900-index size on Elasticsearch 7.10 (needs a legacy node with more than "
                         "the rig's 512 MiB heap for 1 800 shards)")
    ap.add_argument("--lock", choices=("row", "size"), default="row",
                    help="hold the rig lock for one run of every tool at one round trip (row, the default) or "
                         "for a whole size with its seeding (fewer waits behind others' tests on a busy rig)")
    ap.add_argument("--tag", help=argparse.SUPPRESS)
    ap.add_argument("--report", nargs="+", metavar="RESULTS", help="only print the table of results files")
    a = ap.parse_args()

    if a.report:
        rs = []
        for p in a.report:
            with open(p) as f:
                rs += [json.loads(x) for x in f if x.strip()]
        for r in rs:  # the serial round trips again from the run's kept trace (this version's count)
            d = r.get("dir")
            if r.get("exit") == 0 and d and os.path.exists(os.path.join(d, "trace.log")):
                with open(os.path.join(d, "events.ndjson")) as f:
                    events = [json.loads(x) for x in f if x.strip().startswith("{")]
                r.update(serial_rounds(events, os.path.join(d, "trace.log")) or {})
        print(report(rs))
        return 0
    rtts = []
    for v in a.rtt:
        if not v.isdigit() or int(v) % 2:
            ap.error(f"--rtt: '{v}' is not an even number of milliseconds")
        rtts.append(int(v))
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    tools = list(a.tools)
    if any(t.startswith("snapmig") for t in tools) and not os.access(a.binary, os.X_OK):
        ap.error(f"no snapmig binary at {a.binary} (--binary)")

    if not os.access(TIME, os.X_OK):
        ap.error(f"{TIME} (GNU time, for peak RSS) is missing: apt-get install time")
    env = rig_env()
    for s, u in (("legacy", env["SNAPMIG_RIG_LEGACY_URL"]), ("source", env["SNAPMIG_RIG_SOURCE_URL"]),
                 ("target", env["SNAPMIG_RIG_TARGET_URL"]), ("toxiproxy", env["SNAPMIG_RIG_TOXIPROXY_URL"])):
        try:
            http("GET", u + ("/version" if s == "toxiproxy" else "/"), timeout=10)
        except Exception as e:  # noqa: BLE001
            print(f"bench: the rig's {s} does not answer at {u} ({e}); start the rig: tests/rig/rig up",
                  file=sys.stderr)
            return 1

    curator = None
    if any(t.startswith("curator") for t in tools):
        curator, why = curator_setup(a.cache)
        if curator is None:
            print(f"bench: SKIPPING Curator: {why}. No Curator figures are reported.", file=sys.stderr)
            tools = [t for t in tools if not t.startswith("curator")]
    if not tools:
        print("bench: nothing to run", file=sys.stderr)
        return 1

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    b = Bench(a, env)
    b.curator = curator
    out_path = a.out or os.path.join(tempfile.gettempdir(), f"snapmig-bench-{b.tag}.jsonl")
    outf = open(out_path, "a")
    rc = 0
    try:
        b.start()
        for size in a.sizes:
            size_tools = tools
            if size in BIG_SIZES and not a.es_many:
                size_tools = [t for t in tools if t == "snapmig-os"]
                if size_tools != tools:
                    log("SKIPPING the 900-index cases on Elasticsearch 7.10 (snapmig-es, Curator): a copy within "
                        "the cluster holds 1 800 shards, and the rig's node (512 MiB heap) trips its parent "
                        "circuit breaker (HTTP 429) with them, failing everyone's requests; --es-many runs them "
                        "(give the legacy node more heap: SNAPMIG_RIG_HEAP)")
                if not size_tools:
                    continue
            servers = set()
            if any(t != "snapmig-os" for t in size_tools):
                servers.add("legacy")
            if "snapmig-os" in size_tools:
                servers.add("source")
            with b.lock("size"):  # --lock size: the seeding, every run and the unseeding
                for server in sorted(servers):
                    b.seed(size, server)
                for run_no in range(1, a.runs + 1):  # all round trips once, then again: a stop keeps every column
                    for rtt in rtts:
                        b.proxies.set_rtt(rtt)
                        # the rig lock for one run of each tool (interleaved, so
                        # the noise spreads over the tools) and their cleanup
                        with b.lock("row"):
                            for tool in size_tools:
                                rec = b.run_case(size, rtt, tool, run_no)
                                b.results.append(rec)
                                outf.write(json.dumps(rec) + "\n")
                                outf.flush()
                                log(f"{size} {rtt} ms {tool} #{run_no}: exit {rec.get('exit')} "
                                    f"wall {rec.get('wall_s', 0):.2f} s server {rec.get('server_s', 0):.2f} s "
                                    f"requests {rec.get('requests')}"
                                    + (f" ({rec.get('error', '')[:200]})" if rec.get("exit") != 0 else ""))
                b.unseed(size)
    except Stop as e:
        log(f"stopped ({e})")
        rc = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
        outf.close()
    print(report(b.results))
    print(f"\nresults: {out_path}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
