#!/usr/bin/env python3
"""Portico's benchmark suite (issue 10). Run through bench/run.sh, which builds release first.

Seeds a fresh database with deterministic data (examples/bench_seed.rs), starts `portico
serve` pinned to one core and drives it with wrk pinned to the other, on loopback. For each
workload it reports requests per server CPU-second (from /proc/<pid>/stat), requests per
second, p50/p99 latency, non-2xx responses and the server's RSS, and writes a markdown table
to bench/results/latest-<db>.md.

Options (or environment): `--db postgres` (BENCH_DB=sqlite|postgres, default sqlite) runs the
suite on a database it creates on PostgreSQL and drops afterwards, and reports the CPU of that
database's backends separately; `--peer` (BENCH_PEER=1) runs the side-by-side comparison with
node-oidc-provider instead (bench/peer.py), writing bench/results/latest-peer.md.
BENCH_DURATION seconds per workload (default 10), BENCH_REPEAT runs of each workload (median;
default 1 for the suite, 3 for --peer), BENCH_* sizes (see examples/bench_seed.rs),
PORTICO_BENCH_PG admin URL (default postgres://postgres@127.0.0.1:5432/test).
"""

import base64
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE = os.environ.get("BENCH_PROFILE", "release")  # "debug" only to try the script out
# BENCH_BIN_DIR: another build's folder (holding portico and examples/bench_seed), to compare.
BIN_DIR = os.environ.get("BENCH_BIN_DIR", os.path.join(ROOT, f"target/{PROFILE}"))
BIN = os.path.join(BIN_DIR, "portico")
SEED = os.path.join(BIN_DIR, "examples/bench_seed")
LUA = os.path.join(ROOT, "bench/lua")
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
DB_KIND = os.environ.get("BENCH_DB", "sqlite")
if "--db" in sys.argv:
    DB_KIND = sys.argv[sys.argv.index("--db") + 1]
PEER = "--peer" in sys.argv or os.environ.get("BENCH_PEER", "") not in ("", "0")
PG_ADMIN = os.environ.get("PORTICO_BENCH_PG", "postgres://postgres@127.0.0.1:5432/test")
TICK = os.sysconf("SC_CLK_TCK")
SERVER_CPU, LOADGEN_CPU = "0", "1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / TICK


def cpu_by_pid(pids):
    """utime + stime in seconds, per process."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / TICK
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def postgres_pids(db_name):
    """The PostgreSQL backends serving this database (the server is shared with other work, so
    its background writer, WAL writer and checkpointer are not counted)."""
    if not db_name:
        return []
    out = subprocess.run(["psql", PG_ADMIN, "-Atc",
                          f"SELECT pid FROM pg_stat_activity WHERE datname = '{db_name}'"],
                         capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


class DbCpu:
    """CPU-seconds used by the database's backends between start() and stop(); backends that
    appear in between count from zero."""

    def __init__(self, db_name):
        self.db_name = db_name

    def start(self):
        self.before = cpu_by_pid(postgres_pids(self.db_name))

    def stop(self):
        after = cpu_by_pid(set(postgres_pids(self.db_name)) | set(self.before))
        return sum(v - self.before.get(pid, 0.0) for pid, v in after.items())


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def http(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def parse_wrk(out):
    def ms(pattern):
        m = re.search(pattern + r"\s+([\d.]+)(us|ms|s|m)\b", out)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]

    res = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
    }
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    res["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    res["socket_errors"] = socket_errors.group(1) if socket_errors else ""
    return res


class Bench:
    def __init__(self, data_dir, db_url, env, db_name=None):
        self.data, self.db_url, self.env = data_dir, db_url, env
        self.db_cpu = DbCpu(db_name)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.rows = []

    def start(self):
        env = dict(self.env, PORTICO_BIND=f"127.0.0.1:{self.port}",
                   PORTICO_TRUSTED_PROXIES='["127.0.0.1"]',
                   PORTICO_PUBLIC_URL=self.base, RUST_LOG="warn")
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, BIN, "serve"], env=env,
                                     cwd=self.data, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.data, "serve.log"), "w"))
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/healthz").read()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("server did not start; see serve.log")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

    def wrk(self, name, path, conns, script=None, extra_env=None, duration=DURATION,
            allowed_non2xx=0, note=""):
        env = dict(os.environ, BENCH_DATA=self.data, **(extra_env or {}))
        cmd = ["taskset", "-c", LOADGEN_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration}s",
               "--latency", "--timeout", "10s"]
        if script:
            cmd += ["-s", os.path.join(LUA, script)]
        cmd.append(self.base + path)
        self.db_cpu.start()
        before = cpu_seconds([self.proc.pid])
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        cpu = cpu_seconds([self.proc.pid]) - before
        db_cpu = self.db_cpu.stop()
        r = parse_wrk(out)
        r.update(name=name, conns=conns, cpu=cpu, db_cpu=db_cpu,
                 per_cpu=r["requests"] / cpu if cpu > 0 else 0.0,
                 rss=rss_mb(self.proc.pid), note=note,
                 ok=(r["non2xx"] <= allowed_non2xx and not r["socket_errors"]))
        self.rows.append(r)
        print(f"{name:34} c={conns:<3} {r['rps']:9.0f} req/s {r['per_cpu']:9.0f} req/CPU-s "
              f"p50 {r['p50']:7.2f} ms p99 {r['p99']:7.2f} ms non-2xx {r['non2xx']} "
              f"rss {r['rss']:.0f} MB" + (f" db cpu {db_cpu:.1f} s" if db_cpu else ""),
              flush=True)
        return r


def seed(data_dir, env, sizes):
    out = subprocess.run([SEED, data_dir], env=dict(env, **sizes), capture_output=True,
                         text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    print(out.stdout.strip(), flush=True)
    return float(re.search(r"argon2_ms ([\d.]+)", out.stdout).group(1))


def database(tag):
    if DB_KIND == "sqlite":
        return None, None
    name = f"portico_bench_{tag}_{os.getpid()}"
    subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True)
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def drop(name):
    if name:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


def run_refresh_small(root):
    """W2 at 1,000 rows: a database with only 1,000 live refresh tokens."""
    data = tempfile.mkdtemp(dir=root)
    url, name = database("small")
    url = url or f"sqlite://{data}/portico.db?mode=rwc"
    env = dict(os.environ, PORTICO_DATABASE_URL=url)
    seed(data, env, {"BENCH_PRACTICES": "4", "BENCH_ACCOUNTS": "1000", "BENCH_PATIENTS": "1000",
                     "BENCH_REFRESH": "1000", "BENCH_INVITATIONS": "10"})
    b = Bench(data, url, env, name)
    b.start()
    r = b.wrk("W2 refresh (1k rows)", "/", 16, "refresh.lua")
    b.stop()
    drop(name)
    return r


def oidc_client(data, file="oidc"):
    """The seeded OpenID Connect client's Basic credentials and a pool file of its refresh
    tokens, less the first, which is returned (to get an access token from)."""
    client_id, secret = open(os.path.join(data, f"{file}_client.txt")).read().split()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    tokens = open(os.path.join(data, f"{file}_refresh.txt")).read().split()
    pool = os.path.join(data, f"{file}_pool.txt")
    with open(pool, "w") as f:
        f.write("\n".join(tokens[1:]) + "\n")
    return basic, pool, tokens[0]


def oidc_refresh(base, basic, token, path="/oauth2/token"):
    """One refresh at the token endpoint; returns the token response."""
    req = urllib.request.Request(base + path, method="POST",
                                 data=f"grant_type=refresh_token&refresh_token={token}".encode())
    req.add_header("Authorization", f"Basic {basic}")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def main():
    if PEER:
        import peer
        return peer.main()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (bench/run.sh installs it)")
    root = tempfile.mkdtemp(prefix="portico-bench-")
    small = run_refresh_small(root)

    data = tempfile.mkdtemp(dir=root)
    url, name = database("full")
    url = url or f"sqlite://{data}/portico.db?mode=rwc"
    env = dict(os.environ, PORTICO_DATABASE_URL=url)
    argon2_ms = seed(data, env, {})
    b = Bench(data, url, env, name)
    b.start()
    time.sleep(1)
    idle_rss = rss_mb(b.proc.pid)
    key = open(os.path.join(data, "admin_keys.txt")).readline().strip()
    user = open(os.path.join(data, "usernames.txt")).readline().strip()
    tokens = http("POST", b.base + "/api/v1/login",
                  {"username": user, "password": "bench password that is long enough"})

    h = b.wrk("W0 no-op (/healthz)", "/healthz", 16)
    for c in (1, 4, 64):
        b.wrk("W1 login 80/10/10", "/", c, "login.lua", allowed_non2xx=10**9,
              note="20% are designed 401s")
    b.rows.append(small)
    big = b.wrk("W2 refresh (1M rows)", "/", 16, "refresh.lua",
                {"BENCH_POOL_FROM": "0", "BENCH_POOL_TO": "100000"})
    access = http("POST", b.base + "/api/v1/login",
                  {"username": user, "password": "bench password that is long enough"})
    b.wrk("W3 token check (GET /api/v1/me)", "/api/v1/me", 16, "bearer_get.lua",
          {"BENCH_TOKEN": access["access_token"]})
    client = http("POST", b.base + "/api/v1/practice/clients",
                  {"name": "Bench portal", "redirect_uris": ["https://portal.example/cb"]}, key)
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    b.wrk("W3 introspection", "/oauth2/introspect", 16, "introspect.lua",
          {"BENCH_BASIC": basic, "BENCH_TOKEN": access["access_token"]})
    # The OpenID Connect side: a relying party's refresh (RS256 ID token), userinfo.
    rp_basic, rp_pool, first = oidc_client(data)
    rp_access = oidc_refresh(b.base, rp_basic, first)["access_token"]
    b.wrk("W2 OIDC refresh, RS256 ID token (1M rows)", "/", 16, "oauth_refresh.lua",
          {"BENCH_BASIC": rp_basic, "BENCH_POOL": rp_pool, "BENCH_PATH": "/oauth2/token"})
    b.wrk("W3 OIDC userinfo", "/oauth2/userinfo", 16, "bearer_get.lua",
          {"BENCH_TOKEN": rp_access})
    jwks = b.wrk("W4 JWKS", "/oauth2/jwks", 16)
    try:
        urllib.request.urlopen(b.base + "/.well-known/openid-configuration").read()
        b.wrk("W4 discovery", "/.well-known/openid-configuration", 16)
    except OSError:
        pass
    b.wrk("W5 invitation lookup", "/", 16, "invitation.lua")

    # W9: memory while refresh (EdDSA client) and userinfo run together, before W8: the login
    # flood's argon2 buffers stay in the allocator afterwards, and W8 has its own memory figure.
    ed_basic, ed_pool, ed_first = oidc_client(data, "oidc_ed")
    # A fresh access token: the first one may have outlived its 5 minutes by now.
    rp_access = oidc_refresh(b.base, ed_basic, ed_first)["access_token"]
    refresh_load = subprocess.Popen(
        ["taskset", "-c", LOADGEN_CPU, "wrk", "-t1", "-c16", f"-d{DURATION + 1}s", "-s",
         os.path.join(LUA, "oauth_refresh.lua"), b.base + "/"],
        env=dict(os.environ, BENCH_BASIC=ed_basic, BENCH_POOL=ed_pool,
                 BENCH_PATH="/oauth2/token"), stdout=subprocess.DEVNULL)
    w9 = b.wrk("W9 userinfo during OIDC refresh", "/oauth2/userinfo", 16, "bearer_get.lua",
               {"BENCH_TOKEN": rp_access}, note="RSS under W2+W3")
    refresh_load.wait()
    # W8: a login flood at 256 connections while refresh runs at 16.
    flood_env = dict(os.environ, BENCH_DATA=data)
    flood = subprocess.Popen(["taskset", "-c", LOADGEN_CPU, "wrk", "-t1", "-c256",
                              f"-d{DURATION + 2}s", "--timeout", "20s", "-s",
                              os.path.join(LUA, "login.lua"), b.base + "/"], env=flood_env,
                             stdout=subprocess.DEVNULL)
    time.sleep(1)
    w8 = b.wrk("W8 refresh during login flood", "/", 16, "refresh.lua",
               {"BENCH_POOL_FROM": "100000", "BENCH_POOL_TO": "200000"})
    flood.wait()

    # W6 last: blocking an access ends its sessions (unblocking does not bring them back),
    # which would fail the refresh tokens that W8 and W9 use.
    b.wrk("W6 practice reads", "/", 16, "practice_reads.lua", {"BENCH_KEY": key})
    b.wrk("W6 block/unblock", "/", 1, "block.lua", {"BENCH_KEY": key})
    peak = rss_mb(b.proc.pid, "VmHWM")
    b.stop()
    drop(name)
    del tokens

    write_report(b.rows, dict(argon2_ms=argon2_ms, idle_rss=idle_rss, peak_rss=peak,
                              h=h["per_cpu"], small=small, big=big, jwks=jwks, w8=w8, w9=w9))


def write_report(rows, s):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}; database: {DB_KIND}"
        + (" (DB CPU: the backends of the bench database, from /proc; the server's shared"
           " background processes not counted)" if DB_KIND == "postgres" else "")
        + "; server pinned to "
        f"core {SERVER_CPU}, wrk to core {LOADGEN_CPU}; {DURATION} s per workload.",
        "",
        "| Workload | Conns | req/s | req per server CPU-s | p50 ms | p99 ms | non-2xx | RSS MB |"
        + (" DB CPU-s | req per server+DB CPU-s |" if DB_KIND == "postgres" else ""),
        "|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if DB_KIND == "postgres" else ""),
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['conns']} | {r['rps']:.0f} | {r['per_cpu']:.0f} | "
            f"{r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']}{' (' + r['note'] + ')' if r['note'] else ''} | "
            f"{r['rss']:.0f} |" + (f" {r['db_cpu']:.1f} | "
                                   f"{r['requests'] / max(r['cpu'] + r['db_cpu'], 1e-9):.0f} |"
                                   if DB_KIND == "postgres" else ""))
    a = s["argon2_ms"]
    login1 = next(r for r in rows if r["name"].startswith("W1") and r["conns"] == 1)
    lines += [
        "",
        f"- argon2id CPU time per hash (A): {a:.1f} ms, so one core does at most {1000 / a:.1f} hashes/s;"
        f" logins per server CPU-second at 1 connection: {login1['per_cpu']:.1f}"
        f" ({login1['per_cpu'] * a / 1000:.2f} of 1/A; 10% of requests are unknown users, who"
        f" cost one dummy hash too).",
        f"- H (no-op per server CPU-second): {s['h']:.0f}; JWKS is {s['jwks']['per_cpu'] / s['h']:.2f}·H.",
        f"- Refresh at 1M rows is {s['big']['per_cpu'] / max(s['small']['per_cpu'], 1):.2f}× its"
        f" 1k-row rate; during a 256-connection login flood refresh keeps"
        f" {s['w8']['per_cpu'] / max(s['big']['per_cpu'], 1):.2f}× its solo rate per CPU-second"
        f" ({s['w8']['rps'] / max(s['big']['rps'], 1):.2f}× in requests per second).",
        f"- W9 RSS: idle after seeding {s['idle_rss']:.1f} MB; {s['w9']['rss']:.1f} MB at the end"
        f" of W2+W3 together (OIDC refresh and userinfo, 16 connections each); peak over the run"
        f" {s['peak_rss']:.1f} MB.",
    ]
    report = "\n".join(lines) + "\n"
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    path = os.path.join(ROOT, f"bench/results/latest-{DB_KIND}.md")
    with open(path, "w") as f:
        f.write(report)
    print("\n" + report + f"\nwritten to {path}")
    if not all(r["ok"] for r in rows):
        sys.exit("some workload had unexpected errors (see non-2xx above)")


if __name__ == "__main__":
    main()
