#!/usr/bin/env python3
"""bench/check_rss.py - peak RSS of `snapmig check` when replies are huge.

    bench/check_rss.py [--mib 60] [--mode both|target|source|all]
                       [--small aliases,snapshots,ds] [-v] [BINARY]

Starts two loopback stand-ins for an OpenSearch 2.19 cluster (a source
and a target; stand-ins because no real cluster here holds hundreds of
thousands of indices), runs `/usr/bin/time -v BINARY check PLAN` against
them and prints snapmig's peak RSS.  The big replies are generated once
and are exactly as large as asked, whatever columns the request asks for
(the stand-in honours `h=`, then repeats rows until the size is reached):

  target  the target's GET _cat/indices is MIB MiB;
  source  the source's GET _cat/indices, _cat/aliases, _cat/snapshots/REPO
          and _data_stream are MIB MiB each (the index selection itself stays
          small, so the count wave is short);
  all     target and source at once;
  both    (the default) target, then source, in two runs: the two
          figures bench/README.md keeps.

Each figure is also given as a multiple of the largest reply (MIB).

--small keeps some of the source's listings small, to see what each
costs.

A benchmark: it prints figures and asserts nothing about them.  Use a
build without sanitizers (ASan's shadow memory and quarantine inflate RSS):
cmake -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo.
"""
import argparse
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.parse

REPO = "bench"
PLAN_INDICES = ("bulk-000000001", "bulk-000000002")
VERSION = {"number": "2.19.6", "distribution": "opensearch",
           "build_type": "tar", "lucene_version": "9.12.1"}


def fill(mib, row_fn, open_b, close_b):
    """A JSON container of rows from row_fn(i), exactly mib MiB long
    (padded with spaces before the closing bracket)."""
    want = mib * 1024 * 1024
    parts, size, i = [open_b], len(open_b) + len(close_b), 0
    while True:
        row = (b"," if i else b"") + row_fn(i)
        if size + len(row) > want:
            break
        parts.append(row)
        size += len(row)
        i += 1
    parts.append(b" " * (want - size))
    parts.append(close_b)
    return b"".join(parts), i


def fill_table(mib, cols, cell_fn):
    """A _cat text table with a header line, as the servers print it
    (columns as wide as their widest cell, numbers right-aligned), of as
    many rows as fit in mib MiB; the last line is padded with spaces."""
    want = mib * 1024 * 1024
    rows, widths = [], [len(c) for c in cols]
    while True:
        cells = [cell_fn(c, len(rows)) for c in cols]
        w = [max(a, len(b)) for a, b in zip(widths, cells)]
        # every line as wide as the widest (an upper bound), plus newline
        if (len(rows) + 2) * (sum(w) + len(w)) > want:
            break
        rows.append(cells)
        widths = w

    def line(cells):
        out = []
        for k, (c, wd) in enumerate(zip(cells, widths)):
            num = c.isdigit()
            out.append(c.rjust(wd) if num else
                       (c if k == len(cells) - 1 else c.ljust(wd)))
        return " ".join(out)
    text = "\n".join([line(cols)] + [line(r) for r in rows]) + "\n"
    body = text.encode()
    body = body[:-1] + b" " * (want - len(body)) + b"\n"
    return body, len(rows)


CAT_VALUES = {
    "index": lambda p, i: "%s-%09d" % (p, i),
    "status": lambda p, i: "close" if i % 97 == 0 else "open",
    "health": lambda p, i: "green",
    "pri": lambda p, i: "1",
    "rep": lambda p, i: "1",
    "pri.store.size": lambda p, i: str(100000 + i),
    "docs.count": lambda p, i: str(1000 + i),
    "uuid": lambda p, i: "u%021d" % i,
}


class Cluster:
    def __init__(self, name, uuid, big, mib):
        self.name, self.uuid, self.big, self.mib = name, uuid, big, mib
        self.small = set()
        self.cache = {}
        self.lock = threading.Lock()

    def big_reply(self, key, make):
        with self.lock:
            if key not in self.cache:
                body, rows = make()
                self.cache[key] = body
                sys.stderr.write("stand-in %s: %s: %d rows, %d bytes\n"
                                 % (self.name, key, rows, len(body)))
            return self.cache[key]

    def cat_indices(self, query):
        cols = query.get("h", ["index,status,health,pri,rep,pri.store.size,"
                               "docs.count,uuid"])[0].split(",")
        prefix = "other" if self.name == "target" else "bulk"
        as_json = query.get("format", [""])[0] == "json"
        if "cat" not in self.big:
            # the plan's indices (the source's settings resolve them)
            rows = [{"index": n, "status": "open", "health": "green",
                     "pri.store.size": "1"}
                    for n in ("%s-small" % self.name,) + (
                        PLAN_INDICES if self.name == "source" else ())]
            if as_json:
                return [{c: r.get(c, "1") for c in cols} for r in rows]
            return ("%s\n%s" % (" ".join(cols), "".join(" ".join(
                r.get(c, "1") for c in cols) + "\n" for r in rows))).encode()

        def value(c, i):
            return CAT_VALUES.get(c, lambda p, k: "x")(prefix, i)

        def row(i):
            return json.dumps({c: value(c, i) for c in cols},
                              separators=(",", ":")).encode()
        if as_json:
            return self.big_reply("cat:json:" + ",".join(cols),
                                  lambda: fill(self.mib, row, b"[", b"]"))
        return self.big_reply("cat:text:" + ",".join(cols),
                              lambda: fill_table(self.mib, cols, value))

    def listing(self, kind):
        """Is this source listing big (mode source/all, not --small)?"""
        return "listings" in self.big and kind not in self.small

    def cat_table(self, key, cols, value, small):
        """Another _cat listing: text (what snapmig asks for now)."""
        if not self.listing(key.split(":")[1]):
            return (" ".join(cols) + "\n" + "".join(
                " ".join(r) + "\n" for r in small)).encode()
        return self.big_reply(key, lambda: fill_table(self.mib, cols, value))

    def answer(self, path, query):
        """(status, body) for one GET."""
        big = "listings" in self.big
        if path == "/":
            return 200, {"name": self.name, "cluster_name": self.name,
                         "cluster_uuid": self.uuid, "version": VERSION}
        if path == "/_cluster/health":
            return 200, {"status": "green", "number_of_data_nodes": 1,
                         "active_shards": 10, "initializing_shards": 0,
                         "unassigned_shards": 0}
        if path.startswith("/_cat/indices/"):
            # names asked for: a real server lists just those
            cols = query.get("h", ["index"])[0].split(",")
            names = [n for n in urllib.parse.unquote(path[14:]).split(",")
                     if "*" not in n]
            cell = {"status": "open", "health": "green",
                    "pri.store.size": "1000"}
            return 200, ("%s\n%s" % (" ".join(cols), "".join(
                " ".join(n if c == "index" else cell.get(c, "1")
                         for c in cols) + "\n" for n in names))).encode()
        if path.startswith("/_cat/indices"):
            return 200, self.cat_indices(query)
        if path == "/_snapshot/" + REPO:
            if big:
                return 200, {REPO: {"type": "fs",
                                    "settings": {"location": "/x"}}}
            return 404, {"error": {"type": "repository_missing_exception",
                                   "reason": "[%s] missing" % REPO},
                         "status": 404}
        if path == "/_snapshot/%s/_all" % REPO:
            if not big or not self.listing("snapshots"):
                return 404, {"error": {"type": "repository_missing_exception",
                                       "reason": "[%s] missing" % REPO},
                             "status": 404}
            return 200, self.big_reply("snapshots", lambda: fill(
                self.mib, lambda i: b'{"snapshot":"s-%09d","state":"SUCCESS",'
                b'"indices":["bulk-%09d"]}' % (i, i),
                b'{"snapshots":[', b"]}"))
        if path == "/_cat/snapshots/" + REPO:
            if not big:
                return 404, {"error": {"type": "repository_missing_exception",
                                       "reason": "[%s] missing" % REPO},
                             "status": 404}
            if not self.listing("snapshots"):
                return 200, b"id\n"
            return 200, self.cat_table(
                "cat:snapshots", ["id"], lambda c, i: "s-%09d" % i, [])
        if path == "/_cat/aliases":
            return 200, self.cat_table(
                "cat:aliases", ["alias", "index"],
                lambda c, i: ("al-%09d" if c == "alias" else "bulk-%09d") % i,
                [])
        if path == "/_snapshot/_status":
            return 200, {"snapshots": []}
        if path == "/_data_stream":
            if not self.listing("ds"):
                return 200, {"data_streams": []}
            return 200, self.big_reply("ds", lambda: fill(
                self.mib, lambda i: b'{"name":"ds-%09d","indices":[{'
                b'"index_name":".ds-ds-%09d-000001"}]}' % (i, i),
                b'{"data_streams":[', b"]}"))
        if path == "/_alias" or path.endswith("/_alias"):
            if not self.listing("aliases"):
                return 200, {}
            return 200, self.big_reply("alias", lambda: fill(
                self.mib, lambda i: b'"bulk-%09d":{"aliases":{"al-%09d":{}}}'
                % (i, i), b"{", b"}"))
        if "/_settings" in path:
            names = [n for n in urllib.parse.unquote(
                path[1:path.index("/_settings")]).split(",")
                     if n.startswith("bulk-") and "*" not in n]
            return 200, {n: {"settings": {
                "index.number_of_shards": "1",
                "index.number_of_replicas": "0",
                "index.version.created": "136408427"}} for n in names}
        if path.startswith("/_cat/allocation"):
            return 200, [{"shards": "10", "disk.avail": "100000000000",
                          "disk.total": "200000000000", "node": "n1"}]
        if path == "/_cluster/settings":
            return 200, {"persistent": {}, "transient": {}, "defaults": {
                "cluster.max_shards_per_node": "1000"}}
        if path.endswith("/_count"):
            return 200, {"count": 1}
        return 404, {"error": {"type": "stand_in", "reason": "not scripted: "
                               + path}, "status": 404}


def serve(cluster):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            status, body = cluster.answer(u.path, urllib.parse.parse_qs(u.query))
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            ctype = "application/json" if body[:1] in (b"{", b"[", b'"') \
                else "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", ctype + "; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def run(a, mode):
    """Peak RSS (MiB) of one `snapmig check` against fresh stand-ins."""
    src = Cluster("source", "uuid-source",
                  {"cat", "listings"} if mode in ("source", "all") else set(),
                  a.mib)
    dst = Cluster("target", "uuid-target",
                  {"cat"} if mode in ("target", "all") else set(), a.mib)
    servers = [serve(src), serve(dst)]
    # Generate the big replies before snapmig starts, so that its timeouts
    # do not include the stand-in's own work.
    src.small = set(a.small.split(",")) - {""}
    # what this version of snapmig asks for and what the one before did
    for c in (src, dst):
        if "cat" in c.big:
            for h in ("status,index", "status,health,pri.store.size,index"):
                c.cat_indices({"h": [h]})
            c.cat_indices({"h": ["index,status,health,pri,rep,"
                                 "pri.store.size"], "format": ["json"]})
        if "listings" in c.big:
            for path in ("/_cat/snapshots/" + REPO, "/_cat/aliases",
                         "/_snapshot/%s/_all" % REPO, "/_data_stream",
                         "/_alias"):
                c.answer(path, {})
    plan = {
        "snapmig": 1, "name": "bench",
        "domains": {"source": {"endpoint": "http://127.0.0.1:%d"
                               % servers[0].server_address[1]},
                    "target": {"endpoint": "http://127.0.0.1:%d"
                               % servers[1].server_address[1]}},
        "repository": {"name": REPO, "type": "fs",
                       "settings": {"location": "/x"}},
        "snapshot": {"domain": "source",
                     "indices": list(PLAN_INDICES)},
        "restores": [{"domain": "target",
                      "index_settings": {"index.number_of_replicas": 0}}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "plan.json")
        with open(path, "w") as f:
            json.dump(plan, f)
        p = subprocess.run(["/usr/bin/time", "-v", a.binary, "check", "-q",
                            path], capture_output=True, text=True)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", p.stderr)
    last = [l for l in p.stdout.splitlines() if l.strip()][-1:]
    mib = int(rss.group(1)) / 1024 if rss else -1
    print("mode %s, %d MiB replies: exit %d, peak RSS %.1f MiB (%.1fx the "
          "largest reply), wall %s"
          % (mode, a.mib, p.returncode, mib, mib / a.mib,
             wall.group(1) if wall else "?"))
    print("  " + (last[0] if last else "(no output)"))
    if a.verbose:
        print(p.stdout)
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr)
    for s in servers:
        s.shutdown()
    return mib


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?",
                    default=os.path.join(top, "build-rel", "snapmig"))
    ap.add_argument("--mib", type=int, default=60)
    ap.add_argument("--mode", choices=["both", "target", "source", "all"],
                    default="both",
                    help="both (the default): target, then source")
    ap.add_argument("--small", default="",
                    help="source listings kept small: any of aliases,"
                    "snapshots,ds (comma separated)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print snapmig's report")
    a = ap.parse_args()
    for mode in (("target", "source") if a.mode == "both" else (a.mode,)):
        run(a, mode)


if __name__ == "__main__":
    main()
