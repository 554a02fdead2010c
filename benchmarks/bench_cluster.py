#!/usr/bin/env python3
"""Cluster mode benchmarks, one run, on this machine (loopback, one redis-server with AOF fsync always).

usage: python3 benchmarks/bench_cluster.py [--pages 8] [--jobs 4] [--kills 3] [--out benchmarks/results/cluster-bench.json]

1. Distribution overhead: the same N copies of one mixed scanned PDF (perf.py's, 300 dpi) submitted at once
   to (a) one node with OCR_ENGINES=2 and (b) two nodes with OCR_ENGINES=1 each; wall time from the first
   submit to the last completion, pages/s, and the ratio (b)/(a) in throughput (target >= 0.85).
2. Resume after a node kill: a PDF job runs; once 2 pages are done the node running it gets SIGKILL; time
   from the kill to the next page done (polled every 0.2 s on the survivor), repeated --kills times (the
   killed node is restarted and rejoins in between). Target < 15 s.
Writes the numbers to --out and prints them.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONFORMANCE = os.path.join(os.path.dirname(ROOT), "shared", "conformance")
sys.path.insert(0, CONFORMANCE)
sys.dont_write_bytecode = True
from ocrclient import Client, Service, build_release, free_port, mint_jwt  # noqa: E402
from perf import build_pdf  # noqa: E402

SECRET = "bench-cluster-secret-0123456789abcdef0123456789"
TERMINAL = ("completed", "failed", "cancelled")


def redis_server(workdir):
    port = free_port()
    os.makedirs(workdir, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
                             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        if "PONG" in subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout:
            return proc, port
        time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


def nodes(tmp, count, engines, redis_port, tag):
    uploads = os.path.join(tmp, f"uploads-{tag}")
    os.makedirs(uploads, exist_ok=True)
    akka = [free_port() for _ in range(count)]
    out = []
    for i in range(count):
        name = f"{tag}-{chr(ord('a') + i)}"
        env = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}", "OCR_REDIS_DB": "1", "OCR_REDIS_PREFIX": tag,
               "OCR_CLUSTER_HOST": "127.0.0.1", "OCR_CLUSTER_PORT": str(akka[i]), "OCR_CLUSTER_SEEDS": f"127.0.0.1:{akka[0]}",
               "OCR_NODE_NAME": name, "OCR_UPLOADS_DIR": uploads, "OCR_ENGINES": str(engines),
               "OCR_MAX_FILE_SIZE_MB": "200", "OCR_JOB_TIMEOUT": "1800", "OCR_CLEANUP_DELAY": "600"}
        out.append(Service(ROOT, os.path.join(tmp, name), os.path.join(tmp, f"{name}.log"), free_port(), extra_env=env,
                           secret=SECRET, label=name))
    for s in out:
        ok, why = s.start(wait=240)
        if not ok:
            raise RuntimeError(f"{s.label}: {why}")
    return out


def members_up(base, token):
    o = Client(base, token, timeout=5).get("/api/ocr/system/").obj()
    return sum(1 for m in (o.get("cluster") or {}).get("members") or [] if m.get("status") == "Up")


def wait_members(services, token, n, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if all(members_up(f"http://127.0.0.1:{s.port}", token) == n for s in services if s.alive()):
            return True
        time.sleep(0.5)
    return False


def throughput(services, token, pdf, jobs):
    client = Client(f"http://127.0.0.1:{services[0].port}", token, timeout=120)
    data = open(pdf, "rb").read()
    t0 = time.time()
    ids = [client.submit(f"copy{i}.pdf", data, fields={"dpi": "300"}).obj()["job_id"] for i in range(jobs)]
    finals = [client.wait(j, timeout=3600) for j in ids]
    wall = time.time() - t0
    pages = sum(s.get("pages_done") or 0 for s in finals)
    by_node = {}
    for s in finals:
        by_node[s.get("node")] = by_node.get(s.get("node"), 0) + 1
    return {"wall_s": round(wall, 1), "pages": pages, "pages_per_s": round(pages / wall, 3),
            "statuses": sorted({s.get("status") for s in finals}), "jobs_by_node": by_node}


def resume_after_kill(services, token, pdf):
    by_name = {s.label: s for s in services}
    client = Client(f"http://127.0.0.1:{services[0].port}", token, timeout=60)
    j = client.submit("kill.pdf", open(pdf, "rb").read(), fields={"dpi": "300"}).obj()["job_id"]
    while True:
        live = next(s for s in services if s.alive())
        st = Client(f"http://127.0.0.1:{live.port}", token, timeout=30).get(f"/api/ocr/job/{j}/status/").obj()
        if st.get("status") in TERMINAL:
            raise RuntimeError("the job ended before the kill")
        if (st.get("pages_done") or 0) >= 2 and st.get("node") in by_name:
            break
        time.sleep(0.2)
    victim, done = by_name[st["node"]], st["pages_done"]
    victim.stop(sig=signal.SIGKILL, grace=5)
    t_kill = time.time()
    survivor = next(s for s in services if s is not victim)
    cs = Client(f"http://127.0.0.1:{survivor.port}", token, timeout=30)
    t_next = None
    while time.time() - t_kill < 600:
        r = cs.get(f"/api/ocr/job/{j}/status/")
        if r.status == 200:
            o = r.obj()
            if t_next is None and (o.get("pages_done") or 0) > done:
                t_next = time.time() - t_kill
            if o.get("status") in TERMINAL:
                break
        time.sleep(0.2)
    final = cs.get(f"/api/ocr/job/{j}/status/").obj()
    ok, why = victim.start(wait=240)
    if not ok or not wait_members(services, token, len(services)):
        raise RuntimeError(f"{victim.label} did not rejoin: {why}")
    return {"killed": victim.label, "pages_done_at_kill": done, "next_page_after_s": round(t_next, 1) if t_next else None,
            "final_status": final.get("status"), "final_node": final.get("node")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "cluster-bench.json"))
    a = ap.parse_args()
    ok, detail = build_release(ROOT)
    if not ok:
        print(detail)
        return 1
    eval_dir = os.path.join(os.path.dirname(ROOT), "shared", "eval")
    pdf, _, _ = build_pdf(a.pages, eval_dir, os.path.join(tempfile.gettempdir(), "akkaocr-perf-cache"))
    tmp = tempfile.mkdtemp(prefix="akkaocr-bench-cluster-")
    token = mint_jwt(SECRET, "bench", ttl=36000)
    redis, rport = redis_server(os.path.join(tmp, "redis"))
    report = {"pdf_pages": a.pages, "jobs": a.jobs, "cores": os.cpu_count()}
    try:
        one = nodes(tmp, 1, 2, rport, "one")
        report["one_node_two_engines"] = throughput(one, token, pdf, a.jobs)
        for s in one:
            s.stop()
        two = nodes(tmp, 2, 1, rport, "two")
        wait_members(two, token, 2)
        report["two_nodes_one_engine_each"] = throughput(two, token, pdf, a.jobs)
        report["distribution_ratio"] = round(report["two_nodes_one_engine_each"]["pages_per_s"] / report["one_node_two_engines"]["pages_per_s"], 3)
        report["resume_after_kill"] = [resume_after_kill(two, token, pdf) for _ in range(a.kills)]
        for s in two:
            s.stop()
    finally:
        os.killpg(redis.pid, signal.SIGKILL)
    print(json.dumps(report, indent=2))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
