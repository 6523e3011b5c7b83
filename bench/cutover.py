#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/cutover.py - the live-migration benchmark (issue 10).

Run through bench/cutover.sh (see bench/README.md, "Cutover").  On the
rig's OpenSearch 2.19 source and target, through the rig's S3 server:

  1. seed INDICES x DOCS documents on the source (10 x 200,000 by default);
  2. `snapmig run`: the full first round;
  3. add CHANGE (1 %) new documents to every index, refresh;
  4. `snapmig sync`: an incremental round (bytes transferred vs reused);
  5. `snapmig cutover`: write-block, last incremental round, exact (and
     with --sample, sampled) verification, alias switch; its downtime is
     the `cutover.done` event's `downtime_ms`.

It reports each step's wall time, the sync's and the cutover's bytes
transferred and reused, and the downtime against the full run's time (the
goal: at most 10 %).  Repeated --runs times (min / median / max) on the same seeded
source (each run adds 2 x CHANGE to it).  Everything it makes carries a unique tag and is
deleted at the end, also on failure and on Ctrl-C.  It holds the rig lock
(/tmp/snapmig-rig.lock) for the seeding and for each run whole: other users of
the shared rig wait rather than disturb the figures.

A benchmark: it prints figures and asserts nothing about them.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import (RigLock, SEED_MAPPING, Stop, http, log,  # noqa: E402
                     on_signal, rig_env, seed_doc)

TIME = "/usr/bin/time"
BULK_DOCS = 5000  # documents per _bulk request while seeding


def bulk(url, lines):
    """POST _bulk (NDJSON); a 429 (the rig's 512 MiB node at its circuit
    breaker) is retried after a pause, any item error is fatal."""
    import urllib.error
    import urllib.request
    data = "".join(lines).encode()
    for attempt in range(12):
        req = urllib.request.Request(f"{url}/_bulk", data=data, method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                doc = json.loads(r.read())
            break
        except urllib.error.HTTPError as e:
            if e.code != 429 or attempt == 11:
                raise
            time.sleep(min(10, 0.5 * 2 ** attempt))
    if doc.get("errors"):
        err = next((it["index"].get("error") for it in doc["items"] if it["index"].get("error")), None)
        raise RuntimeError(f"_bulk into {url} failed: {str(err)[:300]}")


class Cutover:
    def __init__(self, args, env):
        self.a, self.env = args, env
        self.tag = args.tag or f"cb{os.getpid()}"
        self.tmp = tempfile.mkdtemp(prefix=f"snapmig-cutover-{self.tag}-")
        self.src = env["SNAPMIG_RIG_SOURCE_URL"]
        self.dst = env["SNAPMIG_RIG_TARGET_URL"]
        self.made = []  # (url, repo) to delete at the end
        self.next_id = args.docs  # the _id of the next new document
        self.results = []

    # --- rig
    def seed(self, prefix):
        n, docs = self.a.indices, self.a.docs
        names = [f"{prefix}-{i:03d}" for i in range(n)]
        t0 = time.monotonic()
        mapping = json.loads(json.dumps(SEED_MAPPING))
        # two shards, as a real index of this size would have; no replica
        # on the one-node rig
        mapping["settings"]["number_of_shards"] = self.a.shards
        for name in names:
            http("PUT", f"{self.src}/{name}", mapping)
        self.add_docs(names, 0, docs)
        # the state a long-lived index is in: flushed, merged segments
        http("POST", f"{self.src}/{prefix}-*/_flush", timeout=600)
        log(f"seeded {n} x {docs} documents in {time.monotonic() - t0:.0f} s")
        return names

    def add_docs(self, names, first, count):
        def one(args):
            ino, name = args
            batch = []
            for d in range(first, first + count):
                batch.append(seed_doc(name, ino, d))
                if len(batch) == BULK_DOCS:
                    bulk(self.src, batch)
                    batch = []
            if batch:
                bulk(self.src, batch)

        with ThreadPoolExecutor(2) as ex:
            list(ex.map(one, enumerate(names)))
        http("POST", f"{self.src}/{','.join(names)}/_refresh", timeout=600)

    def drop_run(self, copies):
        """A run's target copies, alias index, snapshots and repositories."""
        http("DELETE", f"{self.dst}/{copies}*?expand_wildcards=all", ok=None, timeout=600)
        for url, repo in self.made:
            if url == self.src:
                http("DELETE", f"{url}/_snapshot/{repo}/*", ok=None, timeout=600)
            http("DELETE", f"{url}/_snapshot/{repo}", ok=None)
        self.made = []

    # --- snapmig
    def snapmig(self, d, verb, plan, state):
        """One snapmig command: exit status, wall seconds, peak RSS (MiB),
        its events."""
        ev = os.path.join(d, f"{verb}.ndjson")
        tfile = os.path.join(d, f"{verb}.time")
        t0 = time.monotonic()
        with open(ev, "w") as out, open(os.path.join(d, f"{verb}.log"), "w") as err:
            rc = subprocess.call([TIME, "-v", "-o", tfile, self.a.binary, verb, "--json",
                                  "--state", state, plan], stdout=out, stderr=err, cwd=d)
        wall = time.monotonic() - t0
        rss = None
        with open(tfile) as f:
            for line in f:
                if "Maximum resident set size" in line:
                    rss = int(line.rsplit(":", 1)[1]) / 1024.0
        events = []
        with open(ev) as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass
        if rc != 0:
            with open(os.path.join(d, f"{verb}.log")) as f:
                raise RuntimeError(f"snapmig {verb} exited {rc}: {f.read()[-800:]}")
        return wall, rss, events

    def server_restore_s(self, copies):
        """The target's own time for the last restore of the copies: first
        shard recovery start to last stop (GET _recovery)."""
        _, doc = http("GET", f"{self.dst}/{copies}*/_recovery")
        shards = [sh for idx in doc.values() for sh in idx["shards"]
                  if sh.get("type") == "SNAPSHOT"]
        if not shards:
            return None
        return (max(sh["stop_time_in_millis"] for sh in shards)
                - min(sh["start_time_in_millis"] for sh in shards)) / 1000.0

    def has_cutover(self):
        p = subprocess.run([self.a.binary, "cutover", "--help"], capture_output=True, text=True)
        return p.returncode == 0

    def one_run(self, run_no, prefix, names):
        """A run on the seeded source: its copies on the target are named
        c<run>-<source name>; the source grows by 2 x CHANGE a run."""
        repo = f"{self.tag}_{run_no}"
        copies = f"c{run_no}-{self.tag}"
        d = os.path.join(self.tmp, f"run-{run_no}")
        os.makedirs(d)
        rec = {"run": run_no}
        with RigLock():
            try:
                _, c = http("GET", f"{self.src}/{prefix}-*/_count")
                total = c["count"]
                self.made += [(self.src, repo), (self.dst, repo)]
                # an old index that holds the alias the cutover moves
                http("PUT", f"{self.dst}/{copies}-alias-old",
                     {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                      "aliases": {f"{copies}-live": {}}})
                restore = {"domain": "target",
                           "rename": {"pattern": "^(.+)$", "replacement": f"c{run_no}-$1"},
                           "index_settings": {"index.number_of_replicas": 0}}
                cutover = self.has_cutover()
                if self.a.sample and cutover:
                    restore.update({"verify": "sample", "sample_size": self.a.sample})
                plan = {"snapmig": 1, "name": repo.replace("_", "-"),
                        "domains": {"source": {"endpoint": self.src},
                                    "target": {"endpoint": self.dst}},
                        "repository": {"name": repo, "type": "s3",
                                       "settings": {"bucket": self.env["SNAPMIG_RIG_S3_BUCKET"],
                                                    "base_path": f"bench/{self.tag}/{repo}"}},
                        "snapshot": {"domain": "source", "indices": [f"{prefix}-*"]},
                        "restores": [restore]}
                if cutover:
                    plan["cutover"] = {"aliases": [{"alias": f"{copies}-live",
                                                    "index": f"c{run_no}-{names[0]}"}],
                                       "unblock_source": True}
                pfile, state = os.path.join(d, "plan.json"), os.path.join(d, "state.json")
                with open(pfile, "w") as f:
                    json.dump(plan, f)
                wall, rss, _ = self.snapmig(d, "run", pfile, state)
                rec.update(run_s=wall, run_rss_mib=rss, docs=total)
                log(f"run {run_no}: full run {wall:.1f} s")

                change = max(1, int(self.a.docs * self.a.change))
                self.add_docs(names, self.next_id, change)
                self.next_id += change
                wall, rss, ev = self.snapmig(d, "sync", pfile, state)
                done = [e for e in ev if e.get("type") == "run.done"][-1]
                rec.update(sync_s=wall, sync_transferred=done.get("bytes_transferred"),
                           sync_reused=done.get("bytes_reused"), sync_rss_mib=rss,
                           sync_restore_server_s=self.server_restore_s(copies))
                log(f"run {run_no}: sync {wall:.1f} s, {done.get('bytes_transferred')} B "
                    f"transferred, {done.get('bytes_reused')} B reused")

                if not cutover:
                    rec["cutover"] = "not built (snapmig cutover --help fails)"
                    return rec
                self.add_docs(names, self.next_id, change)
                self.next_id += change
                wall, rss, ev = self.snapmig(d, "cutover", pfile, state)
                cd = [e for e in ev if e.get("type") == "cutover.done"]
                done = [e for e in ev if e.get("type") == "run.done"][-1]
                rec.update(cutover_s=wall, cutover_rss_mib=rss,
                           cutover_transferred=done.get("bytes_transferred"),
                           cutover_reused=done.get("bytes_reused"),
                           cutover_restore_server_s=self.server_restore_s(copies))
                if cd:
                    rec["downtime_s"] = cd[-1].get("downtime_ms", 0) / 1000.0
                    rec["downtime_ratio"] = rec["downtime_s"] / rec["run_s"]
                log(f"run {run_no}: cutover {wall:.1f} s, downtime {rec.get('downtime_s')} s")
                # the bench's own check that the copy is whole: the target's
                # counts equal the source's
                for name in names:
                    _, a = http("GET", f"{self.src}/{name}/_count")
                    _, b = http("GET", f"{self.dst}/c{run_no}-{name}/_count")
                    if a["count"] != b["count"]:
                        raise RuntimeError(f"after cutover c{run_no}-{name} holds {b['count']} "
                                           f"documents, the source {a['count']}")
            finally:
                self.drop_run(copies)
        return rec


def mmm(vals, fmt="{:.2f}"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    return " / ".join(fmt.format(v) for v in (min(vals), statistics.median(vals), max(vals)))


def report(results, args):
    mib = lambda v: v / 1048576.0 if v is not None else None  # noqa: E731
    rows = [
        ("full run (s)", [r.get("run_s") for r in results], "{:.1f}"),
        ("sync (s)", [r.get("sync_s") for r in results], "{:.1f}"),
        ("sync: the target's restore time (s)", [r.get("sync_restore_server_s") for r in results], "{:.1f}"),
        ("sync: transferred (MiB)", [mib(r.get("sync_transferred")) for r in results], "{:.2f}"),
        ("sync: reused (MiB)", [mib(r.get("sync_reused")) for r in results], "{:.2f}"),
        ("cutover (s)", [r.get("cutover_s") for r in results], "{:.1f}"),
        ("cutover: the target's restore time (s)", [r.get("cutover_restore_server_s") for r in results],
         "{:.1f}"),
        ("cutover: transferred (MiB)", [mib(r.get("cutover_transferred")) for r in results], "{:.2f}"),
        ("cutover: reused (MiB)", [mib(r.get("cutover_reused")) for r in results], "{:.2f}"),
        ("write downtime (s)", [r.get("downtime_s") for r in results], "{:.2f}"),
        ("downtime / full run", [r.get("downtime_ratio") for r in results], "{:.3f}"),
        ("peak RSS, run (MiB)", [r.get("run_rss_mib") for r in results], "{:.1f}"),
    ]
    print(f"\n{args.indices} indices x {args.docs} documents, {args.shards} shards each, "
          f"+{args.change * 100:g} % per round; {len(results)} run(s): min / median / max\n")
    print("| figure | value |\n| --- | --- |")
    for label, vals, fmt in rows:
        print(f"| {label} | {mmm(vals, fmt)} |")
    for r in results:
        if "cutover" in r:
            print(f"\ncutover: {r['cutover']}")
            break


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=os.environ.get("SNM_BINARY", "build/snapmig"))
    p.add_argument("--indices", type=int, default=10)
    p.add_argument("--docs", type=int, default=200000)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--change", type=float, default=0.01, help="share of new documents per round")
    p.add_argument("--sample", type=int, default=10,
                   help="documents per index the cutover compares (0: counts only)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--tag", help="prefix of everything made on the rig")
    p.add_argument("--json", help="write the raw results here")
    args = p.parse_args()
    args.binary = os.path.abspath(args.binary)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bench = Cutover(args, rig_env())
    prefix = f"{bench.tag}-src"
    try:
        with RigLock():
            names = bench.seed(prefix)
        for i in range(1, args.runs + 1):
            bench.results.append(bench.one_run(i, prefix, names))
    except Stop as e:
        log(f"stopped: {e}")
        return 130
    finally:
        http("DELETE", f"{bench.src}/{prefix}-*?expand_wildcards=all", ok=None, timeout=600)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(bench.results, f, indent=1)
        log(f"plans, events and logs are kept in {bench.tmp}")
    report(bench.results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
