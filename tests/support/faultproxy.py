#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""faultproxy: a request-aware, fault-injecting HTTP/1.1 reverse proxy for tests.

It sits in front of ONE upstream (a rig node) on 127.0.0.1 and forwards every
request (method, path and query, headers with Host set to the upstream, body),
reads the upstream's whole reply and returns it with a Content-Length. Client
connections are kept alive; each runs in its own thread.

Rules, added through a control API on the same port under the reserved
prefix /__proxy/, change what happens to matching requests:

  POST   /__proxy/rules          {"method": "GET"|...|null, "path": REGEX|null,
                                  "action": ACTION, "times": N, ...args}
                                 -> 201 {"id": ID}
  GET    /__proxy/rules          -> [rule, ...] (with "hits" and "held")
  GET    /__proxy/rules/ID       -> rule
  DELETE /__proxy/rules          -> {"deleted": n}; held requests go on upstream
  DELETE /__proxy/rules/ID       -> {"deleted": 1}; the same for its held ones
  GET    /__proxy/hits/ID        -> {"hits": n}
  GET    /__proxy/wait/ID?count=N&timeout_s=T
                                 -> 200 {"hits": n} once n >= N, or 408 {"hits": n}
  POST   /__proxy/release/ID     -> {"released": n}: forwards the requests the
                                    rule holds now
  GET    /__proxy/log            -> [{"seq", "time", "conn", "method", "path",
                                      "rule", "action", "status",
                                      "upstream_status", "outcome",
                                      "upstream_at", "closed_at"}, ...]
                                    (times: epoch seconds, to the ms; "conn"
                                    numbers client connections; "status" is
                                    null when the client got no answer)
  DELETE /__proxy/log            -> {"deleted": n}
  GET    /__proxy/health         -> {"ok": true, "upstream": URL, "port": P}

"path" is a Python regular expression searched (re.search) in the request
target (path + query, as sent). "method" null or absent matches any method,
"path" null or absent any target. "times" (default 1) is how many matching
requests the rule applies to; 0 = no limit. Rules are tried in the order
they were added; the first live one that matches applies; a request that no
rule matches is forwarded unchanged. A rule's hit count goes up when a
request matches it, before the action runs (so /wait returns once the request
has arrived, and for "hold" once it is held).

Actions:
  respond       {status=200, body="", headers={}}: answer at once, nothing
                goes upstream (Content-Type defaults to application/json)
  drop          close the client connection without an answer; nothing goes
                upstream
  forward_drop  forward, wait for the upstream's reply, then close the client
                connection without an answer
  late          {delay_ms}: close the client connection at once without an
                answer, then send the request upstream delay_ms later
  delay         {delay_ms}: wait, then forward normally
  hold          keep the request until POST /__proxy/release/ID (then forward
                normally) or until the client goes away (then drop it)
  rewrite       {status?, body?, headers?}: forward, then replace the reply's
                status, body and/or the given headers
  pass          forward normally (the rule only counts and logs)

"body" may be a string or any JSON value (sent as its JSON text).

Usage: faultproxy.py --upstream http://127.0.0.1:9202 [--port 0]
                     [--port-file FILE] [--log FILE] [--verbose]
Python 3 standard library only.
"""

import argparse
import ctypes
import http.client
import http.server
import itertools
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse

CONTROL_PREFIX = "/__proxy"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate",
              "proxy-authorization", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade"}
LOG_LIMIT = 10000

# action -> {argument: required?}
ACTIONS = {
    "respond": {"status": False, "body": False, "headers": False},
    "drop": {},
    "forward_drop": {},
    "late": {"delay_ms": True},
    "delay": {"delay_ms": True},
    "hold": {},
    "rewrite": {"status": False, "body": False, "headers": False},
    "pass": {},
}
COMMON_KEYS = {"method", "path", "action", "times", "name"}


def now():
    """Wall-clock time in seconds, to the millisecond (as in the log)."""
    return round(time.time(), 3)


class RuleError(ValueError):
    """A rule specification the API refuses (400)."""


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer."""


def _log_line(msg):
    with LOG_LOCK:
        LOG_OUT.write("faultproxy[%s]: %s\n" % (PORT, msg))
        LOG_OUT.flush()


LOG_LOCK = threading.Lock()
LOG_OUT = sys.stderr
PORT = "-"


# ---------------------------------------------------------------- rules


class Held:
    """A request held by a "hold" rule; release() wakes its handler."""

    def __init__(self):
        self.wake_r, self.wake_w = socket.socketpair()

    def release(self):
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    def close(self):
        self.wake_r.close()
        self.wake_w.close()


class Rule:
    def __init__(self, rid, spec):
        if not isinstance(spec, dict):
            raise RuleError("a rule is a JSON object")
        action = spec.get("action")
        if action not in ACTIONS:
            raise RuleError("action must be one of %s" % ", ".join(ACTIONS))
        allowed = COMMON_KEYS | set(ACTIONS[action])
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise RuleError("unknown key(s) for action %s: %s (allowed: %s)" %
                            (action, ", ".join(unknown),
                             ", ".join(sorted(allowed))))
        for arg, required in ACTIONS[action].items():
            if required and arg not in spec:
                raise RuleError("action %s needs %s" % (action, arg))
        method = spec.get("method")
        if method is not None and (not isinstance(method, str) or not method):
            raise RuleError("method must be a string or null")
        path = spec.get("path")
        if path is not None and not isinstance(path, str):
            raise RuleError("path must be a regular expression string or null")
        try:
            self.regex = re.compile(path if path is not None else "")
        except re.error as e:
            raise RuleError("path is not a valid regular expression: %s" % e)
        times = spec.get("times", 1)
        if not isinstance(times, int) or isinstance(times, bool) or times < 0:
            raise RuleError("times must be an integer >= 0 (0 = no limit)")
        if "status" in spec:
            st = spec["status"]
            if not isinstance(st, int) or isinstance(st, bool) or not 100 <= st <= 599:
                raise RuleError("status must be an integer 100..599")
        if "headers" in spec:
            hd = spec["headers"]
            if not isinstance(hd, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in hd.items()):
                raise RuleError("headers must be an object of strings")
        if "delay_ms" in spec:
            d = spec["delay_ms"]
            if not isinstance(d, (int, float)) or isinstance(d, bool) or d < 0:
                raise RuleError("delay_ms must be a number >= 0")
        self.id = rid
        self.spec = spec
        self.method = method.upper() if method else None
        self.path = path
        self.action = action
        self.times = times
        self.hits = 0
        self.held = []
        self.deleted = False

    def live(self):
        return self.times == 0 or self.hits < self.times

    def matches(self, method, target):
        return ((self.method is None or self.method == method)
                and self.regex.search(target) is not None)

    def body_bytes(self):
        body = self.spec.get("body", "")
        if not isinstance(body, str):
            body = json.dumps(body)
        return body.encode("utf-8")

    def describe(self):
        d = dict(self.spec)
        d.update(id=self.id, hits=self.hits, held=len(self.held),
                 live=self.live(), times=self.times)
        return d


class State:
    """Rules, hit counts and the request log, behind one lock."""

    def __init__(self):
        self.cond = threading.Condition()
        self.rules = []
        self.next_id = 1
        self.log = []
        self.seq = itertools.count(1)

    def add(self, spec):
        with self.cond:
            rule = Rule(self.next_id, spec)
            self.next_id += 1
            self.rules.append(rule)
            return rule

    def find(self, rid):
        with self.cond:
            for rule in self.rules:
                if str(rule.id) == rid:
                    return rule
        return None

    def match(self, entry):
        """The rule that applies to the logged request ENTRY (its hit counted
        and noted in ENTRY, in one step) and, for hold, a Held."""
        with self.cond:
            for rule in self.rules:
                if rule.live() and rule.matches(entry["method"], entry["path"]):
                    rule.hits += 1
                    entry.update(rule=rule.id, action=rule.action)
                    held = None
                    if rule.action == "hold":
                        held = Held()
                        rule.held.append(held)
                    self.cond.notify_all()
                    return rule, held
        return None, None

    def unhold(self, rule, held):
        with self.cond:
            if held in rule.held:
                rule.held.remove(held)

    def release(self, rule):
        with self.cond:
            held, rule.held = rule.held, []
        for h in held:
            h.release()
        return len(held)

    def delete(self, rule):
        with self.cond:
            if rule in self.rules:
                self.rules.remove(rule)
            rule.deleted = True
            self.cond.notify_all()
        self.release(rule)

    def clear(self):
        with self.cond:
            rules = list(self.rules)
        for rule in rules:
            self.delete(rule)
        return len(rules)

    def wait(self, rule, count, timeout):
        with self.cond:
            self.cond.wait_for(lambda: rule.hits >= count or rule.deleted,
                               timeout)
            return rule.hits >= count, rule.hits

    def record(self, conn, method, target):
        entry = {"seq": next(self.seq), "time": now(),
                 "conn": conn, "method": method, "path": target,
                 "rule": None, "action": None,
                 "status": None, "upstream_status": None, "outcome": None,
                 "upstream_at": None, "closed_at": None}
        with self.cond:
            self.log.append(entry)
            del self.log[:-LOG_LIMIT]
        return entry

    def update(self, entry, **fields):
        with self.cond:
            entry.update(fields)

    def log_snapshot(self):
        with self.cond:
            return [dict(e) for e in self.log]

    def clear_log(self):
        with self.cond:
            n = len(self.log)
            self.log = []
            return n


STATE = State()


class Reply:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body


# -------------------------------------------------------------- upstream


class Upstream:
    def __init__(self, url, timeout):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "http" or not u.hostname:
            raise SystemExit("faultproxy: --upstream must be http://HOST[:PORT] (got %r)" % url)
        if u.path not in ("", "/") or u.query:
            raise SystemExit("faultproxy: --upstream takes no path or query (got %r)" % url)
        self.url = "http://%s" % u.netloc
        self.host = u.hostname
        self.port = u.port or 80
        self.netloc = u.netloc
        self.timeout = timeout

    def send(self, method, target, headers, body, has_body):
        """One request on a fresh connection; the whole reply, or UpstreamError."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", self.netloc)
            for name, value in headers:
                if name.lower() in HOP_BY_HOP or name.lower() in ("host", "content-length", "expect"):
                    continue
                conn.putheader(name, value)
            if has_body:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return Reply(resp.status, resp.reason, resp.getheaders(), data)
        except (OSError, http.client.HTTPException) as e:
            raise UpstreamError("%s %s: %s: %s" % (method, self.url, type(e).__name__, e))
        finally:
            conn.close()


UPSTREAM = None
VERBOSE = False
CONN_IDS = itertools.count(1)


# ---------------------------------------------------------------- handler


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"

    def setup(self):
        super().setup()
        self.conn_id = next(CONN_IDS)

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        if VERBOSE:
            _log_line("conn %d: %s" % (self.conn_id, format % args))

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                return
            if not self.parse_request():
                return
            if self.path == CONTROL_PREFIX or self.path.startswith(CONTROL_PREFIX + "/"):
                self.control()
            else:
                self.proxy()
            self.wfile.flush()
        except (OSError, ValueError) as e:
            # The client went away or sent garbage mid-request: end this
            # connection only.
            self.close_connection = True
            _log_line("conn %d: %s %s: connection ended: %s: %s" % (
                self.conn_id, getattr(self, "command", "-"),
                getattr(self, "path", "-"), type(e).__name__, e))

    # -- request body

    def read_body(self):
        """(body bytes, whether the request carried a body)."""
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("client closed inside a chunked body")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ConnectionError("client closed inside a chunk")
                chunks.append(chunk)
                self.rfile.readline(65537)
            return b"".join(chunks), True
        length = self.headers.get("Content-Length")
        if length is None:
            return b"", False
        n = int(length)
        body = self.rfile.read(n) if n > 0 else b""
        if len(body) < n:
            raise ConnectionError("client closed after %d of %d body bytes" % (len(body), n))
        return body, True

    # -- replies

    def send_reply(self, reply):
        self.send_response_only(reply.status, reply.reason)
        upstream_length = None
        for name, value in reply.headers:
            low = name.lower()
            if low == "content-length":
                upstream_length = value
            if low in HOP_BY_HOP or low == "content-length":
                continue
            self.send_header(name, value)
        no_body = self.command == "HEAD" or reply.status < 200 or reply.status in (204, 304)
        if self.command == "HEAD":
            if upstream_length is not None:
                self.send_header("Content-Length", upstream_length)
        elif not no_body:
            self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not no_body:
            self.wfile.write(reply.body)
        self.wfile.flush()

    def send_json(self, status, obj):
        body = (json.dumps(obj) + "\n").encode("utf-8")
        self.send_reply(Reply(status, None, [("Content-Type", "application/json")], body))

    def abort_client(self):
        """Close the client connection without (more of) an answer."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_gone_or_released(self, held):
        """Block until released (True) or the client closes (False)."""
        watch = [held.wake_r, self.connection]
        while True:
            ready, _, _ = select.select(watch, [], [])
            if held.wake_r in ready:
                return True
            try:
                data = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                return False
            if not data:
                return False
            # The client sent more (pipelining); only a release can end this.
            watch = [held.wake_r]

    # -- proxying

    def forward(self, entry, body, has_body):
        STATE.update(entry, upstream_at=now())
        return UPSTREAM.send(self.command, self.path, self.headers.items(), body, has_body)

    def proxy(self):
        entry = STATE.record(self.conn_id, self.command, self.path)
        try:
            body, has_body = self.read_body()
        except (OSError, ValueError) as e:
            STATE.update(entry, outcome="client went away mid-request: %s" % e, closed_at=now())
            raise
        rule, held = STATE.match(entry)
        action = rule.action if rule else None
        if rule is not None:
            _log_line("conn %d: %s %s -> rule %d (%s)" % (
                self.conn_id, self.command, self.path, rule.id, action))
        elif VERBOSE:
            _log_line("conn %d: %s %s -> forwarded" % (self.conn_id, self.command, self.path))
        try:
            self.run_action(rule, action, held, entry, body, has_body)
        except UpstreamError as e:
            _log_line("upstream error: %s" % e)
            STATE.update(entry, status=502, outcome="upstream error: %s" % e)
            self.send_json(502, {"error": "faultproxy: upstream error: %s" % e})
        finally:
            if held is not None:
                STATE.unhold(rule, held)
                held.close()

    def run_action(self, rule, action, held, entry, body, has_body):
        if action == "respond":
            headers = dict(rule.spec.get("headers", {}))
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json"
            reply = Reply(rule.spec.get("status", 200), None, list(headers.items()), rule.body_bytes())
            STATE.update(entry, status=reply.status, outcome="answered by the proxy")
            self.send_reply(reply)
            return
        if action == "drop":
            self.abort_client()
            STATE.update(entry, outcome="dropped, not forwarded", closed_at=now())
            return
        if action == "late":
            self.abort_client()
            STATE.update(entry, outcome="client closed; upstream delivery pending", closed_at=now())
            threading.Thread(target=self.deliver_late, daemon=True,
                             args=(rule.spec["delay_ms"], entry, body, has_body,
                                   self.command, self.path, self.headers.items())).start()
            return
        if action == "hold":
            if not self.client_gone_or_released(held):
                STATE.update(entry, outcome="client went away while held; not forwarded",
                             closed_at=now())
                _log_line("conn %d: %s %s: client went away while held" % (
                    self.conn_id, self.command, self.path))
                self.close_connection = True
                return
        if action == "delay":
            time.sleep(rule.spec["delay_ms"] / 1000.0)
        reply = self.forward(entry, body, has_body)
        if action == "forward_drop":
            self.abort_client()
            STATE.update(entry, upstream_status=reply.status, outcome="forwarded; reply dropped",
                         closed_at=now())
            return
        STATE.update(entry, upstream_status=reply.status)
        if action == "rewrite":
            reply = self.rewritten(rule, reply)
        STATE.update(entry, status=reply.status, outcome="forwarded")
        self.send_reply(reply)

    @staticmethod
    def rewritten(rule, reply):
        status, reason, body = reply.status, reply.reason, reply.body
        if "status" in rule.spec:
            status, reason = rule.spec["status"], None
        if "body" in rule.spec:
            body = rule.body_bytes()
        headers = reply.headers
        new = rule.spec.get("headers", {})
        if new:
            lower = {k.lower() for k in new}
            headers = [(k, v) for k, v in headers if k.lower() not in lower]
            headers += list(new.items())
        return Reply(status, reason, headers, body)

    @staticmethod
    def deliver_late(delay_ms, entry, body, has_body, method, target, headers):
        time.sleep(delay_ms / 1000.0)
        STATE.update(entry, upstream_at=now())
        try:
            reply = UPSTREAM.send(method, target, headers, body, has_body)
        except UpstreamError as e:
            STATE.update(entry, outcome="late delivery failed: %s" % e)
            _log_line("late %s %s: %s" % (method, target, e))
            return
        STATE.update(entry, upstream_status=reply.status, outcome="delivered late")
        _log_line("late %s %s delivered: upstream answered %d" % (method, target, reply.status))

    # -- control API

    def control(self):
        body, _ = self.read_body()
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path[len(CONTROL_PREFIX):].split("/") if p]
        query = urllib.parse.parse_qs(url.query)
        method = self.command
        try:
            status, obj = self.route(method, parts, query, body)
        except RuleError as e:
            status, obj = 400, {"error": str(e)}
        self.send_json(status, obj)

    def route(self, method, parts, query, body):
        what = parts[0] if parts else ""
        arg = parts[1] if len(parts) > 1 else None
        if len(parts) > 2:
            return 404, {"error": "no such control endpoint"}
        if what == "health" and method == "GET":
            return 200, {"ok": True, "upstream": UPSTREAM.url, "port": PORT}
        if what == "rules" and arg is None:
            if method == "POST":
                try:
                    spec = json.loads(body.decode("utf-8") or "null")
                except ValueError as e:
                    raise RuleError("body is not JSON: %s" % e)
                rule = STATE.add(spec)
                _log_line("rule %d added: %s" % (rule.id, json.dumps(spec, sort_keys=True)))
                return 201, {"id": rule.id}
            if method == "GET":
                with STATE.cond:
                    return 200, [r.describe() for r in STATE.rules]
            if method == "DELETE":
                return 200, {"deleted": STATE.clear()}
        if what == "log" and arg is None:
            if method == "GET":
                return 200, STATE.log_snapshot()
            if method == "DELETE":
                return 200, {"deleted": STATE.clear_log()}
        if what in ("rules", "hits", "wait", "release") and arg is not None:
            rule = STATE.find(arg)
            if rule is None:
                return 404, {"error": "no rule %s" % arg}
            if what == "rules" and method == "GET":
                with STATE.cond:
                    return 200, rule.describe()
            if what == "rules" and method == "DELETE":
                STATE.delete(rule)
                return 200, {"deleted": 1}
            if what == "hits" and method == "GET":
                return 200, {"hits": rule.hits}
            if what == "release" and method == "POST":
                n = STATE.release(rule)
                _log_line("rule %d: released %d held request(s)" % (rule.id, n))
                return 200, {"released": n}
            if what == "wait" and method == "GET":
                try:
                    count = int(query.get("count", ["1"])[0])
                    timeout = float(query.get("timeout_s", ["30"])[0])
                except ValueError:
                    raise RuleError("count must be an integer and timeout_s a number")
                ok, hits = STATE.wait(rule, count, timeout)
                return (200 if ok else 408), {"hits": hits}
        return 404, {"error": "no such control endpoint: %s %s" % (method, "/".join(parts))}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        _log_line("connection from %s:%s failed: %s: %s" % (
            client_address[0], client_address[1], type(e).__name__, e))


def exit_with_parent():
    """SIGTERM this process when its parent exits (prctl PR_SET_PDEATHSIG)."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGTERM, 0, 0, 0) != 0:  # 1 = PR_SET_PDEATHSIG
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    except (OSError, AttributeError) as e:
        raise SystemExit("faultproxy: --exit-with-parent: %s" % e)
    if os.getppid() != parent:  # the parent died before prctl took effect
        raise SystemExit(0)


def main():
    global UPSTREAM, VERBOSE, LOG_OUT, PORT
    ap = argparse.ArgumentParser(description="Fault-injecting HTTP/1.1 reverse proxy for tests "
                                 "(control API under /__proxy/; see the module docstring).")
    ap.add_argument("--upstream", required=True, help="http://HOST:PORT of the one upstream")
    ap.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="listen port (default 0 = ephemeral)")
    ap.add_argument("--port-file", help="write the listen port here once ready")
    ap.add_argument("--log", help="append log lines to this file instead of stderr")
    ap.add_argument("--verbose", action="store_true", help="also log requests no rule matched")
    ap.add_argument("--upstream-timeout", type=float, default=300.0,
                    help="seconds to wait for the upstream (default 300)")
    ap.add_argument("--exit-with-parent", action="store_true",
                    help="exit when the parent process does (Linux), so a killed "
                    "test leaves no proxy behind")
    args = ap.parse_args()
    if args.exit_with_parent:
        exit_with_parent()

    UPSTREAM = Upstream(args.upstream, args.upstream_timeout)
    VERBOSE = args.verbose
    if args.log:
        LOG_OUT = open(args.log, "a", buffering=1, encoding="utf-8")
    server = Server((args.host, args.port), Handler)
    PORT = str(server.server_address[1])

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(PORT + "\n")
        os.replace(tmp, args.port_file)
    _log_line("listening on http://%s:%s, upstream %s (pid %d)" % (
        args.host, PORT, UPSTREAM.url, os.getpid()))
    try:
        server.serve_forever()
    except SystemExit as e:
        _log_line("stopping (signal %d)" % (e.code - 128))
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
