#!/usr/bin/env python3
"""Submit throughput and latency of small TXT jobs, and where the host's CPU goes (black-box).

Starts the Release host (fresh data directory), warms it up, then N small TXT jobs are submitted
from THREADS client threads as fast as the service answers (20 users, as scale.py does). Prints
accepted submits/s, latency p50/p99, the host's CPU seconds per submit over the submit phase and
the time until every job has completed; writes benchmarks/results/submit-throughput.json
(appending the run to a list, with --label saying what was measured).

usage: python3 benchmarks/bench_submit.py [--jobs 2000] [--threads 8] [--label TEXT] [--env K=V ...]
"""
import argparse, json, os, sys, threading, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_service import ROOT, request, start_host, stop_host, token  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def submit_text(base, tok, name, text):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    return request("POST", base + "/api/ocr/submit/", body,
                   {"Authorization": "Bearer " + tok, "Content-Type": f"multipart/form-data; boundary={boundary}"})


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--label", default="")
    ap.add_argument("--env", action="append", default=[])
    args = ap.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.env)
    extra.setdefault("OCR_MAX_QUEUED_JOBS", "100000")
    host, base, data = start_host(extra)
    tokens = [token(f"bench-user-{u}") for u in range(20)]
    try:
        status, obj = submit_text(base, tokens[0], "warm.txt", "warm up")
        assert status == 202, (status, obj)
        lat, ids, lock, nxt = [], [], threading.Lock(), [0]

        def worker():
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= args.jobs:
                    return
                t0 = time.time()
                status, obj = submit_text(base, tokens[i % 20], f"note-{i}.txt", f"job {i}\nThe quick brown fox {time.time()}\n")
                ms = (time.time() - t0) * 1000
                with lock:
                    if status == 202:
                        lat.append(ms)
                        ids.append((obj["job_id"], i % 20))

        cpu0, t0 = cpu_seconds(host.pid), time.time()
        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu = time.time() - t0, cpu_seconds(host.pid) - cpu0
        pending = dict(ids)
        while pending and time.time() - t0 < 600:
            for jid in list(pending)[:100]:
                _, st = request("GET", f"{base}/api/ocr/job/{jid}/status/", headers={"Authorization": "Bearer " + tokens[pending[jid]]})
                if st.get("status") in ("completed", "failed", "cancelled"):
                    pending.pop(jid)
            time.sleep(0.1)
        drained = time.time() - t0
        run = dict(label=args.label, env=extra, jobs=args.jobs, threads=args.threads, accepted=len(lat),
                   submits_per_s=round(len(lat) / wall, 1), p50_ms=round(pct(lat, 50), 1), p99_ms=round(pct(lat, 99), 1),
                   host_cpu_ms_per_submit=round(1000 * cpu / max(1, len(lat)), 2), host_cpu_share=round(cpu / wall / os.cpu_count(), 2),
                   all_completed_s=round(drained, 1), left_unfinished=len(pending), at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    finally:
        stop_host(host)
    print(json.dumps(run, indent=1))
    out = os.path.join(ROOT, "benchmarks", "results", "submit-throughput.json")
    runs = json.load(open(out)) if os.path.exists(out) else []
    runs.append(run)
    json.dump(runs, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
