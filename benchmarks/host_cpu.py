#!/usr/bin/env python3
"""Where the host's CPU goes on one PDF job, and A/B runs of settings, interleaved.

On this project's machines the same 24-page job has taken 30 to 40 CPU-s from one run to the
next (the machine's own speed moves), so a setting that saves a few per cent shows only over
several interleaved rounds, and in counts that do not depend on the machine's speed: minor page
faults, and the kernel's share of the CPU.

For each variant (a set of environment variables for the host; "base" is none) and each round,
starts the Release host (as bench_service.py does), reads a one-page warm-up job, then submits
the PDF JOBS times at dpi=300, each after the last has completed, and measures each job: wall
seconds, the host's CPU seconds (its own, user and kernel, and its reaped children's), its
utilisation of the machine's cores, minor page faults, peak resident memory of its process tree
(sampled every 0.2 s) and CPU seconds by thread name. Rounds run the variants in turn, so drift
of the machine falls on all of them alike. Prints one line per job and a summary per variant
(mean and range), and writes them to benchmarks/results/host-cpu.json (or --out).

usage: python3 benchmarks/host_cpu.py PDF [--rounds 3] [--jobs 2]
           [--variant NAME:VAR=VALUE[,VAR=VALUE...]]... [--out FILE]
e.g.   python3 benchmarks/host_cpu.py /tmp/akkaocr-perf-cache/24p-*/scan.pdf \
           --variant huge-pages:OCR_MALLOC_HUGE_PAGES=true
"""
import argparse
import glob
import json
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "conformance"))
sys.dont_write_bytecode = True
from bench_pdf import process_cpu  # noqa: E402
from bench_service import ROOT, start_host, stop_host, token, submit_bytes, wait_for_job  # noqa: E402
from ocrclient import process_tree, rss_kb  # noqa: E402  (the conformance tools' own process-tree sampling)

TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    by_thread = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(task + "/comm") as f:
                name = f.read().strip()
            with open(task + "/stat") as s:
                fields = s.read().rsplit(")", 1)[1].split()
            by_thread[task.rsplit("/", 1)[1]] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
        except OSError:
            pass  # the thread ended meanwhile
    return by_thread


def wait_completed(base, tok, job_id):
    status = wait_for_job(base, tok, job_id, poll=0.1, timeout=900)  # a short poll: wall time is measured
    if status["status"] != "completed":
        raise RuntimeError(f"job {job_id} ended {status['status']}: {status}")


def measure_job(base, tok, pid, content, cores):
    peak, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(rss_kb(p) for p in process_tree(pid)))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    before, threads_before, t0 = process_cpu(pid), thread_cpu(pid), time.time()
    sampler.start()
    wait_completed(base, tok, submit_bytes(base, tok, "job.pdf", content, {"dpi": "300"}))
    wall = time.time() - t0
    after, threads_after = process_cpu(pid), thread_cpu(pid)
    done.set()
    sampler.join()
    delta = {key: after[key] - before[key] for key in after}
    cpu = delta["host_user"] + delta["host_system"] + delta["children"]
    by_name = {}
    for tid, (name, seconds) in threads_after.items():
        by_name[name] = round(by_name.get(name, 0) + seconds - threads_before.get(tid, (name, 0))[1], 2)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "kernel_s": round(delta["host_system"], 2),
        "utilisation": round(cpu / wall / cores, 3),
        "minor_faults": delta["host_minor_faults"],
        "peak_rss_mb": round(peak[0] / 1024),
        "cpu_by_thread_s": {k: v for k, v in sorted(by_name.items(), key=lambda kv: -kv[1]) if v >= 0.05},
    }


def parse_variant(text):
    name, _, assignments = text.partition(":")
    env = dict(a.split("=", 1) for a in assignments.split(",") if a)
    if not name or (assignments and not env):
        raise argparse.ArgumentTypeError(f"variant '{text}': NAME:VAR=VALUE[,VAR=VALUE...]")
    return name, env


def summary(jobs):
    out = {}
    for key in ("wall_s", "cpu_s", "kernel_s", "minor_faults", "peak_rss_mb"):
        values = [j[key] for j in jobs]
        out[key] = {"mean": round(statistics.mean(values), 2), "min": min(values), "max": max(values)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pdf")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="timed jobs per host start (2)")
    ap.add_argument("--variant", type=parse_variant, action="append", default=[],
                    help="NAME:VAR=VALUE[,...]: environment of the host for one variant (base, with none, always runs)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "host-cpu.json"))
    args = ap.parse_args()
    if args.rounds < 1 or args.jobs < 1:
        ap.error("--rounds and --jobs must be at least 1")
    with open(args.pdf, "rb") as f:
        content = f.read()
    cores = os.cpu_count() or 1
    variants = [("base", {})] + args.variant
    results = {name: [] for name, _ in variants}
    for round_number in range(args.rounds):
        for name, env in variants:
            host, base, _ = start_host(env)
            try:
                tok = token()
                wait_completed(base, tok, submit_bytes(base, tok, "warm-up.pdf", content, {"dpi": "300", "pages": "1"}))
                for job in range(args.jobs):
                    m = measure_job(base, tok, host.pid, content, cores)
                    results[name].append(m)
                    print(f"round {round_number + 1} {name:>12} job {job + 1}: wall {m['wall_s']:.2f} s, CPU {m['cpu_s']:.2f} s "
                          f"(kernel {m['kernel_s']:.2f}), utilisation {m['utilisation']:.0%}, "
                          f"minor faults {m['minor_faults'] / 1000:.0f}k, peak {m['peak_rss_mb']} MB", flush=True)
            finally:
                stop_host(host)
    report = {"pdf": os.path.basename(args.pdf), "cores": cores, "rounds": args.rounds, "jobs_per_start": args.jobs,
              "variants": {name: {"env": env, "summary": summary(results[name]), "jobs": results[name]} for name, env in variants}}
    for name, env in variants:
        s = report["variants"][name]["summary"]
        print(f"{name:>12}: wall {s['wall_s']['mean']:.2f} s ({s['wall_s']['min']}-{s['wall_s']['max']}), "
              f"CPU {s['cpu_s']['mean']:.2f} s ({s['cpu_s']['min']}-{s['cpu_s']['max']}), kernel {s['kernel_s']['mean']:.2f} s, "
              f"minor faults {s['minor_faults']['mean'] / 1000:.0f}k, peak {s['peak_rss_mb']['max']} MB")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
