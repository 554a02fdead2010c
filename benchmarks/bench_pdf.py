#!/usr/bin/env python3
"""Scanned-PDF throughput and peak memory of AkkaOcr, against pdftoppm + tesseract, in one run.

Builds an image-only PDF of N pages from the eval scans (pdfunite), runs it through the service
(OCR_PDF_DPI=300, text layers ignored) and times submit to completion; reads the host's peak
resident memory (VmHWM). Then the baselines on the same pages at 300 dpi: the default CLI loop
(pdftoppm then tesseract, page after page, default threading) and the ideal (pages pre-rendered,
two single-threaded tesseract processes in parallel). Writes benchmarks/results/pdf-throughput.json.

usage: python3 benchmarks/bench_pdf.py [--pages 50] [--memory-pages 30,300] [--skip-cli] [--skip-cli-loop]
       [--env OCR_MODEL_CPU=ppocr-v4] [--out pdf-throughput.json]
"""
import argparse, concurrent.futures, json, os, resource, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_service import ROOT, start_host, stop_host, token, submit, request  # noqa: E402

# Image-only scans that pdfunite can merge (textract_garratts_scan is encrypted).
SCANS = ["pdfs/ocrmypdf_skew.pdf", "pdfs/ocrmypdf_cardinal.pdf"]


def build_pdf(eval_dir, pages, work):
    singles = []
    for rel in SCANS:
        src = os.path.join(eval_dir, rel)
        n = int(next(l.split()[1] for l in subprocess.run(["pdfinfo", src], capture_output=True, text=True).stdout.splitlines() if l.startswith("Pages:")))
        for p in range(1, n + 1):
            out = os.path.join(work, f"{os.path.basename(rel)}-{p}.pdf")
            subprocess.run(["pdfseparate", "-f", str(p), "-l", str(p), src, out], check=True)
            singles.append(out)
    chosen = [singles[i % len(singles)] for i in range(pages)]
    target = os.path.join(work, f"scanned-{pages}.pdf")
    subprocess.run(["pdfunite", *chosen, target], check=True)
    return target


def process_cpu(pid):
    """CPU seconds of the host (user, system) and of its finished child processes (pdftoppm...)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {"host_user": int(fields[11]) / tick, "host_system": int(fields[12]) / tick,
            "children": (int(fields[13]) + int(fields[14])) / tick, "host_minor_faults": int(fields[7])}


def run_service(pdf, extra_env):
    host, base, data = start_host(dict(extra_env, OCR_PDF_DPI="300", OCR_PDF_TEXT_LAYER="ignore", OCR_JOB_TIMEOUT="86400"))
    try:
        tok = token()
        cpu_before = process_cpu(host.pid)
        started = time.time()
        jid = submit(base, tok, pdf)
        peak = 0
        timeline = {}
        while True:
            _, st = request("GET", f"{base}/api/ocr/job/{jid}/status/", headers={"Authorization": "Bearer " + tok})
            with open(f"/proc/{host.pid}/status") as f:
                fields = {l.split(":")[0]: int(l.split()[1]) for l in f if l.startswith(("VmHWM", "VmRSS"))}
            peak = max(peak, fields["VmHWM"])
            # Resident size as pages get done: a leak climbs with the page count, a bounded pipeline levels off.
            done = st.get("pages_done") or 0
            timeline[done] = max(timeline.get(done, 0), round(fields["VmRSS"] / 1024))
            if st.get("status") in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.5)
        wall = time.time() - started
        cpu = {k: round(v - cpu_before[k], 1) for k, v in process_cpu(host.pid).items()}
        faults = cpu.pop("host_minor_faults")
        _, result = request("GET", f"{base}/api/ocr/job/{jid}/result/", headers={"Authorization": "Bearer " + tok})
        pages = (result or {}).get("pages") or []
        st = dict(st, escalated_pages=sum(1 for p in pages if p.get("escalated")), rss_mb_by_pages_done=timeline, cpu_s=cpu, host_minor_faults=faults,
                  page_seconds=[p.get("processing_time") for p in sorted(pages, key=lambda p: p["page_number"])],
                  page_rotations=[p.get("rotation") for p in sorted(pages, key=lambda p: p["page_number"])])
        return wall, peak / 1024, st
    finally:
        stop_host(host)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--memory-pages", default="30,300")
    ap.add_argument("--skip-cli", action="store_true", help="no baselines at all")
    ap.add_argument("--skip-cli-loop", action="store_true", help="the ideal only, without the slow default-thread CLI loop")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the host, e.g. OCR_MODEL_CPU=ppocr-v4")
    ap.add_argument("--out", default="pdf-throughput.json")
    args = ap.parse_args()
    eval_dir = os.path.abspath(args.eval)
    work = tempfile.mkdtemp(prefix="akkaocr-pdfbench-")
    host_env = dict(e.split("=", 1) for e in args.env)
    out = {"cores": os.cpu_count(), "host_env": host_env}

    pdf = build_pdf(eval_dir, args.pages, work)
    wall, peak, st = run_service(pdf, host_env)
    out["service"] = {"pages": args.pages, "wall_s": round(wall, 1), "pages_per_s": round(args.pages / wall, 3), "peak_rss_mb": round(peak), "status": st.get("status"),
                      "escalated_pages": st.get("escalated_pages"),
                      "cpu_s": st.get("cpu_s"), "host_minor_faults": st.get("host_minor_faults"), "page_seconds": st.get("page_seconds"), "page_rotations": st.get("page_rotations")}
    print(f"service: {args.pages} pages in {wall:.1f} s = {args.pages / wall:.2f} pages/s, peak RSS {peak:.0f} MB ({st.get('status')}, {st.get('escalated_pages')} escalated)")
    print(f"CPU seconds over the run: {st.get('cpu_s')}, host page faults {st.get('host_minor_faults')}; seconds per page: {st.get('page_seconds')}")

    if not args.skip_cli:
        env1 = dict(os.environ, OMP_THREAD_LIMIT="1")
        envd = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
        cli = None
        if not args.skip_cli_loop:
            started = time.time()
            for p in range(1, args.pages + 1):
                base = os.path.join(work, f"cli-{p}")
                subprocess.run(["pdftoppm", "-r", "300", "-f", str(p), "-l", str(p), "-singlefile", "-png", pdf, base], check=True)
                subprocess.run(["tesseract", base + ".png", base], capture_output=True, env=envd)
            cli = time.time() - started
        for p in range(1, args.pages + 1):
            subprocess.run(["pdftoppm", "-r", "300", "-gray", "-f", str(p), "-l", str(p), "-singlefile", pdf, os.path.join(work, f"pre-{p}")], check=True)
        started = time.time()
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda p: subprocess.run(["tesseract", os.path.join(work, f"pre-{p}.pgm"), os.path.join(work, f"pre-{p}")],
                                                   capture_output=True, env=env1), range(1, args.pages + 1)))
        ideal = time.time() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        ideal_cpu = {"user": round(usage.ru_utime - usage_before.ru_utime, 1), "system": round(usage.ru_stime - usage_before.ru_stime, 1)}
        out["ideal_two_parallel_prerendered"] = {"wall_s": round(ideal, 1), "pages_per_s": round(args.pages / ideal, 3), "cpu_s": ideal_cpu}
        service_cpu = sum((out["service"].get("cpu_s") or {}).values())
        if service_cpu:
            # CPU per page is steadier than wall time on a shared machine: the same ratio, counted in CPU seconds.
            out["service_vs_ideal_by_cpu"] = round(sum(ideal_cpu.values()) / service_cpu, 2)
        out["service_vs_ideal"] = round(ideal / wall, 2)
        print(f"ideal 2x single-thread tesseract over pre-rendered pages: {ideal:.1f} s, CPU {ideal_cpu}; service = {ideal / wall:.2f}x the ideal"
              f" ({out.get('service_vs_ideal_by_cpu')}x by CPU seconds)")
        if cli is not None:
            out["cli_default_loop"] = {"wall_s": round(cli, 1), "pages_per_s": round(args.pages / cli, 3)}
            out["service_vs_cli_loop"] = round(cli / wall, 2)
            print(f"pdftoppm+tesseract loop (default threads): {cli:.1f} s; service = {cli / wall:.2f}x the CLI loop")

    memory = {}
    for n in [int(x) for x in args.memory_pages.split(",") if x]:
        wall_n, peak_n, st_n = run_service(build_pdf(eval_dir, n, work), host_env)
        timeline = st_n.get("rss_mb_by_pages_done") or {}
        step = max(1, n // 10)
        tenths = {k: max(v for d, v in timeline.items() if k - step < d <= k) for k in range(step, n + 1, step)
                  if any(k - step < d <= k for d in timeline)}
        memory[n] = {"peak_rss_mb": round(peak_n), "wall_s": round(wall_n, 1), "status": st_n.get("status"),
                     "escalated_pages": st_n.get("escalated_pages"), "highest_rss_mb_by_tenth_of_pages_done": tenths}
        print(f"memory: {n} pages -> peak RSS {peak_n:.0f} MB in {wall_n:.0f} s; highest RSS while the k-th tenth of the pages was done: {tenths}")
    out["memory"] = memory
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "results", args.out), "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
