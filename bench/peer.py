"""Side-by-side mode of the benchmark suite (`bench/run.sh --peer`): Portico and
node-oidc-provider (bench/peer/, installed from npm into target/bench-peer) on the same
machine in the same run, both pinned to core 0 with wrk on core 1, on the OpenID Connect
workloads both serve:

- W2 refresh with rotation (grant_type=refresh_token, client_secret_basic, RS256 ID token; also
  an EdDSA variant) with 1,000 refresh tokens stored, then with 1,000,000;
- W3 userinfo and introspection of an access token;
- W4 JWKS and discovery.

Both servers run for the whole phase and each workload is run on Portico then on the peer,
BENCH_REPEAT times (default 3), so slow periods of a shared machine hit both. Reports the
median requests per server CPU-second of each and Portico / peer, and writes
bench/results/latest-peer.md.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import base64
import json

import run as r

PEER_SRC = os.path.join(r.ROOT, "bench/peer")
PEER_DIR = os.path.join(r.ROOT, "target/bench-peer")
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
PEER_SEED_BIG = int(os.environ.get("BENCH_PEER_SEED", "1000000"))
SECRET = "bench-secret-0123456789-0123456789"
SLICE = 300  # tokens per run: the queue only needs more than the connections in flight


def install():
    """Copies bench/peer into target/bench-peer and installs the pinned oidc-provider."""
    if not shutil.which("node") or not shutil.which("npm"):
        sys.exit("--peer needs node and npm (Node.js 20 or later)")
    os.makedirs(PEER_DIR, exist_ok=True)
    for f in ("package.json", "package-lock.json", "server.mjs"):
        shutil.copy(os.path.join(PEER_SRC, f), PEER_DIR)
    want = json.load(open(os.path.join(PEER_SRC, "package.json")))["dependencies"]["oidc-provider"]
    installed = os.path.join(PEER_DIR, "node_modules/oidc-provider/package.json")
    if not os.path.exists(installed) or json.load(open(installed))["version"] != want:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return want, node


class Peer(r.Bench):
    """node-oidc-provider, seeded with `seed` refresh tokens for the RS256 client and `seed_ed`
    for the EdDSA one."""

    def __init__(self, data, seed, seed_ed):
        super().__init__(data, None, dict(os.environ))
        self.seed, self.seed_ed = seed, seed_ed

    def start(self):
        env = dict(self.env, PORT=str(self.port), OUT=self.data, SEED=str(self.seed),
                   SEED_ED=str(self.seed_ed), SECRET=SECRET)
        log_path = os.path.join(self.data, "peer.log")
        self.proc = subprocess.Popen(["taskset", "-c", r.SERVER_CPU, "node", "server.mjs"],
                                     env=env, cwd=PEER_DIR, stdout=open(log_path, "w"),
                                     stderr=subprocess.STDOUT)
        for _ in range(6000):
            if "listening" in open(log_path).read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        sys.exit("node-oidc-provider did not start; see " + log_path)


def basic(client_id, secret):
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def slice_file(data, tokens, k, tag):
    """Run k's own slice of single-use tokens."""
    path = os.path.join(data, f"pool_{tag}_{k}.txt")
    with open(path, "w") as f:
        f.write("\n".join(tokens[k * SLICE:(k + 1) * SLICE]) + "\n")
    return path


def median_row(runs):
    row = dict(runs[len(runs) // 2])
    for key in ("per_cpu", "p50", "p99", "rps", "rss"):
        row[key] = statistics.median(x[key] for x in runs)
    row["non2xx"] = sum(x["non2xx"] for x in runs)
    row["ok"] = all(x["ok"] for x in runs)
    return row


def portico(root, tag, sizes):
    data = tempfile.mkdtemp(dir=root)
    url, name = r.database(tag)
    url = url or f"sqlite://{data}/portico.db?mode=rwc"
    env = dict(os.environ, PORTICO_DATABASE_URL=url)
    r.seed(data, env, sizes)
    return r.Bench(data, url, env, name), name


class Pairs:
    def __init__(self):
        self.rows = []

    def run(self, label, target, pairs):
        """pairs: (portico, args, peer, args) per workload; runs each REPEAT times."""
        runs = {i: ([], []) for i in range(len(pairs))}
        for k in range(REPEAT):
            for i, (p, p_args, q, q_args) in enumerate(pairs):
                runs[i][0].append(p.wrk(f"Portico {label[i]}", **p_args(k)))
                runs[i][1].append(q.wrk(f"peer    {label[i]}", **q_args(k)))
        for i in range(len(pairs)):
            self.rows.append(dict(name=label[i], target=target[i], conns=16,
                                  portico=median_row(runs[i][0]), peer=median_row(runs[i][1])))


def checks_only():
    """`BENCH_PEER_ONLY=checks`: W3 (userinfo, introspection) and W4 JWKS as the control, on
    small seeds (a token check reads by primary key, so the table size barely matters), in a
    few minutes instead of the full run. Writes bench/results/peer-checks.md."""
    version, node = install()
    root = tempfile.mkdtemp(prefix="portico-bench-peer-")
    pairs = Pairs()
    p, name = portico(root, "peer_checks", {
        "BENCH_PRACTICES": "4", "BENCH_ACCOUNTS": "1000", "BENCH_PATIENTS": "1000",
        "BENCH_REFRESH": "0", "BENCH_INVITATIONS": "10", "BENCH_OIDC_REFRESH": "1000"})
    q = Peer(tempfile.mkdtemp(dir=root), 1000, 1000)
    q.start()
    p.start()
    time.sleep(1)
    rs_basic, _, _ = r.oidc_client(p.data)
    spare = iter(open(os.path.join(p.data, "oidc_refresh.txt")).read().split())
    q_access = open(os.path.join(q.data, "access_token.txt")).read().strip()

    def args(path, script=None, token=None, body_basic=None):
        def make(k):
            env = {}
            if token:
                env["BENCH_TOKEN"] = token() if callable(token) else token
            if body_basic:
                env["BENCH_BASIC"] = body_basic
            return dict(path=path, conns=16, script=script, extra_env=env)
        return make

    def p_access():
        return r.oidc_refresh(p.base, rs_basic, next(spare))["access_token"]

    pairs.run(["W3 userinfo", "W3 introspection", "W4 JWKS"], ["≥ 2×", "≥ 2×", "≥ 5×"],
              [(p, args("/oauth2/userinfo", "bearer_get.lua", p_access),
                q, args("/me", "bearer_get.lua", q_access)),
               (p, args("/oauth2/introspect", "introspect.lua", p_access, rs_basic),
                q, args("/token/introspection", "introspect.lua", q_access, basic("bench", SECRET))),
               (p, args("/oauth2/jwks"), q, args("/jwks"))])
    p.stop()
    q.stop()
    r.drop(name)
    lines = [f"Token checks only (`BENCH_PEER_ONLY=checks`), {time.strftime('%Y-%m-%d %H:%M')},"
             f" node-oidc-provider {version} on Node.js {node}; 1,000 refresh tokens each;"
             f" {r.DURATION} s per run, median of {REPEAT}.", "",
             "| Workload | Portico req per CPU-s | peer req per CPU-s | Portico ÷ peer | target |",
             "|---|---:|---:|---:|---|"]
    for row in pairs.rows:
        a, b = row["portico"], row["peer"]
        lines.append(f"| {row['name']} | {a['per_cpu']:.0f} | {b['per_cpu']:.0f} |"
                     f" **{a['per_cpu'] / max(b['per_cpu'], 1e-9):.2f}×** | {row['target']} |")
    report = "\n".join(lines) + "\n"
    with open(os.path.join(r.ROOT, "bench/results/peer-checks.md"), "w") as f:
        f.write(report)
    print("\n" + report)


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (bench/run.sh installs it)")
    if os.environ.get("BENCH_PEER_ONLY") == "checks":
        return checks_only()
    version, node = install()
    root = tempfile.mkdtemp(prefix="portico-bench-peer-")
    pairs = Pairs()
    peer_basic = basic("bench", SECRET)
    peer_basic_ed = basic("bench-ed", SECRET)

    # Phase 1: 1,000 refresh tokens each (per client), RS256 and EdDSA ID tokens.
    p, name = portico(root, "peer_small", {
        "BENCH_PRACTICES": "4", "BENCH_ACCOUNTS": "1000", "BENCH_PATIENTS": "1000",
        "BENCH_REFRESH": "1000", "BENCH_INVITATIONS": "10", "BENCH_OIDC_REFRESH": "1000"})
    # The EdDSA client's tokens serve two workloads here (refresh, and beside the API refresh).
    q = Peer(tempfile.mkdtemp(dir=root), 1000, 2 * REPEAT * SLICE)
    q.start()
    p.start()
    time.sleep(1)
    idle_small = (r.rss_mb(p.proc.pid), r.rss_mb(q.proc.pid))
    rs_basic, _, _ = r.oidc_client(p.data)
    ed_basic, _, _ = r.oidc_client(p.data, "oidc_ed")
    p_rs = open(os.path.join(p.data, "oidc_refresh.txt")).read().split()
    p_ed = open(os.path.join(p.data, "oidc_ed_refresh.txt")).read().split()
    q_rs = open(os.path.join(q.data, "refresh_tokens.txt")).read().split()
    q_ed = open(os.path.join(q.data, "refresh_tokens_ed.txt")).read().split()

    def refresh(server, basic_auth, tokens, path, tag):
        return lambda k: dict(path="/", conns=16, script="oauth_refresh.lua", extra_env={
            "BENCH_BASIC": basic_auth, "BENCH_PATH": path,
            "BENCH_POOL": slice_file(server.data, tokens, k, tag)})

    def api_refresh(k):
        # Portico's own login API (`POST /api/v1/token/refresh`): an access token and the next
        # refresh token, no ID token. The peer has no such endpoint; its nearest is a refresh
        # with an EdDSA ID token (one signature more than Portico's).
        return dict(path="/", conns=16, script="refresh.lua", extra_env={
            "BENCH_POOL_FROM": str(k * SLICE), "BENCH_POOL_TO": str((k + 1) * SLICE)})

    pairs.run(["W2 refresh, RS256 ID token (1k tokens)", "W2 refresh, EdDSA ID token (1k tokens)",
               "W2 API refresh, no ID token (1k tokens; peer: EdDSA ID token)"],
              ["≥ 2×", "≥ 2×", "≥ 2×"],
              [(p, refresh(p, rs_basic, p_rs, "/oauth2/token", "rs"),
                q, refresh(q, peer_basic, q_rs, "/token", "rs")),
               (p, refresh(p, ed_basic, p_ed, "/oauth2/token", "ed"),
                q, refresh(q, peer_basic_ed, q_ed, "/token", "ed")),
               (p, api_refresh,
                q, refresh(q, peer_basic_ed, q_ed[REPEAT * SLICE:], "/token", "ed_api"))])
    peak_small = (r.rss_mb(p.proc.pid, "VmHWM"), r.rss_mb(q.proc.pid, "VmHWM"))
    p.stop()
    q.stop()
    r.drop(name)

    # Phase 2: the full seed (1,000,000 refresh tokens) on both.
    q = Peer(tempfile.mkdtemp(dir=root), PEER_SEED_BIG, 1000)
    q.start()
    p, name = portico(root, "peer_full", {})
    p.start()
    time.sleep(1)
    idle_big = (r.rss_mb(p.proc.pid), r.rss_mb(q.proc.pid))
    rs_basic, _, _ = r.oidc_client(p.data)
    p_rs = open(os.path.join(p.data, "oidc_refresh.txt")).read().split()
    q_rs = open(os.path.join(q.data, "refresh_tokens.txt")).read().split()
    q_access = open(os.path.join(q.data, "access_token.txt")).read().strip()
    q_ed = open(os.path.join(q.data, "refresh_tokens_ed.txt")).read().split()
    spare = iter(p_rs[REPEAT * SLICE:])

    def p_access():
        # A fresh one per run: Portico's access tokens live 5 minutes.
        return r.oidc_refresh(p.base, rs_basic, next(spare))["access_token"]

    def get(path, script=None, token=None, body_basic=None):
        def args(k):
            env = {}
            if token:
                env["BENCH_TOKEN"] = token() if callable(token) else token
            if body_basic:
                env["BENCH_BASIC"] = body_basic
            return dict(path=path, conns=16, script=script, extra_env=env)
        return args

    pairs.run(["W2 refresh, RS256 ID token (1M tokens)",
               "W2 API refresh, no ID token (1M tokens; peer: EdDSA ID token)",
               "W3 userinfo", "W3 introspection", "W4 JWKS", "W4 discovery"],
              ["≥ 2×", "≥ 2×", "≥ 2×", "≥ 2×", "≥ 5×", "≥ 5×"],
              [(p, refresh(p, rs_basic, p_rs, "/oauth2/token", "rs"),
                q, refresh(q, peer_basic, q_rs, "/token", "rs")),
               (p, api_refresh, q, refresh(q, peer_basic_ed, q_ed, "/token", "ed")),
               (p, get("/oauth2/userinfo", "bearer_get.lua", p_access),
                q, get("/me", "bearer_get.lua", q_access)),
               (p, get("/oauth2/introspect", "introspect.lua", p_access, rs_basic),
                q, get("/token/introspection", "introspect.lua", q_access, peer_basic)),
               (p, get("/oauth2/jwks"), q, get("/jwks")),
               (p, get("/.well-known/openid-configuration"),
                q, get("/.well-known/openid-configuration"))])
    peak_big = (r.rss_mb(p.proc.pid, "VmHWM"), r.rss_mb(q.proc.pid, "VmHWM"))
    p.stop()
    q.stop()
    r.drop(name)
    write_report(pairs.rows, version, node, idle_small, peak_small, idle_big, peak_big)


def write_report(rows, version, node, idle_small, peak_small, idle_big, peak_big):
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu}, {os.cpu_count()} cores; Portico on"
        f" {r.DB_KIND}, node-oidc-provider {version} on Node.js {node} with an in-memory Map"
        f" adapter; each server pinned to core {r.SERVER_CPU} in turn, wrk to core"
        f" {r.LOADGEN_CPU}; 16 connections; {r.DURATION} s per run, median of {REPEAT} runs"
        " interleaved Portico / peer.",
        "",
        "| Workload | Portico req per CPU-s | peer req per CPU-s | Portico ÷ peer | target |"
        " Portico p50 / p99 ms | peer p50 / p99 ms | Portico req/s | peer req/s | non-2xx"
        " (Portico / peer) |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        a, b = row["portico"], row["peer"]
        lines.append(
            f"| {row['name']} | {a['per_cpu']:.0f} | {b['per_cpu']:.0f} |"
            f" **{a['per_cpu'] / max(b['per_cpu'], 1e-9):.2f}×** | {row['target']} |"
            f" {a['p50']:.2f} / {a['p99']:.2f} | {b['p50']:.2f} / {b['p99']:.2f} |"
            f" {a['rps']:.0f} | {b['rps']:.0f} | {a['non2xx']} / {b['non2xx']} |")
    lines += [
        "",
        "| RSS MB | Portico | node-oidc-provider |",
        "|---|---:|---:|",
        f"| idle, 1k refresh tokens | {idle_small[0]:.1f} | {idle_small[1]:.1f} |",
        f"| peak during W2 at 1k | {peak_small[0]:.1f} | {peak_small[1]:.1f} |",
        f"| idle, 1M refresh tokens (Portico's in {r.DB_KIND}, the peer's in its heap) |"
        f" {idle_big[0]:.1f} | {idle_big[1]:.1f} |",
        f"| peak during W2-W4 at 1M | {peak_big[0]:.1f} | {peak_big[1]:.1f} |",
        "",
        "Both servers sign an RS256 ID token per refresh (the EdDSA rows use an EdDSA client on"
        " each side). Portico's access tokens are EdDSA JWTs and every refresh, userinfo and"
        " introspection also checks the patient's portal access in the database; the peer's are"
        " opaque ids looked up in its in-memory store. Portico's W2 reads and writes"
        f" {r.DB_KIND} (one transaction per refresh); the peer keeps everything in memory.",
    ]
    report = "\n".join(lines) + "\n"
    path = os.path.join(r.ROOT, "bench/results/latest-peer.md")
    with open(path, "w") as f:
        f.write(report)
    print("\n" + report + f"\nwritten to {path}")
    if not all(row["portico"]["ok"] and row["peer"]["ok"] for row in rows):
        sys.exit("some workload had unexpected errors (see non-2xx above)")
