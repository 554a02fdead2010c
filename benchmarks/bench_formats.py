#!/usr/bin/env python3
"""Time and size of every result format for one scanned job, and the text-layer reading order on
the eval PDFs.

Formats: builds an image-only PDF of N pages (default 50) from the eval scans (the same pages as
bench_pdf.py), runs it through the service at 300 dpi, then fetches ?format=json|txt|hocr|alto|md|pdf
three times each and reports the first (cold: the searchable PDF is made then) and the best of
the other two, and the size. Reading order: for each born-digital eval PDF with ground truth, the
CER (whitespace ignored) of the service's extracted text and of both poppler modes (-layout, and
the default reading order) against the ground truth, so the choice per document can be judged.
Writes benchmarks/results/formats.json.

usage: python3 benchmarks/bench_formats.py [--pages 50] [--out formats.json]
"""
import argparse, json, os, re, subprocess, sys, tempfile, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_service import ROOT, start_host, stop_host, token, submit, request, load_scorer, wait_for_job as wait  # noqa: E402
from bench_pdf import build_pdf  # noqa: E402

FORMATS = ["json", "txt", "hocr", "alto", "md", "pdf"]


def fetch(base, tok, path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + tok})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        body = r.read()
    return time.perf_counter() - started, len(body), body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--out", default="formats.json")
    a = ap.parse_args()
    eval_dir = os.path.abspath(os.path.join(ROOT, "..", "shared", "eval"))
    cer = load_scorer(eval_dir)
    squash = lambda s: re.sub(r"\s+", "", s or "")  # noqa: E731
    report = {"pages": a.pages, "formats": {}, "reading_order": {}}
    work = tempfile.mkdtemp(prefix="bench-formats-")
    pdf = build_pdf(eval_dir, a.pages, work)
    host, base, _ = start_host({"OCR_PDF_DPI": "300", "OCR_JOB_TIMEOUT": "86400"})
    try:
        tok = token()
        started = time.time()
        jid = submit(base, tok, pdf)
        st = wait(base, tok, jid)
        report["ocr_seconds"] = round(time.time() - started, 1)
        report["status"] = st.get("status")
        for fmt in FORMATS:
            times, size = [], 0
            for _ in range(3):
                took, size, _ = fetch(base, tok, f"/api/ocr/job/{jid}/result/?format={fmt}")
                times.append(took)
            report["formats"][fmt] = {"first_s": round(times[0], 3), "warm_s": round(min(times[1:]), 3), "bytes": size,
                                      "bytes_per_page": round(size / a.pages)}
            print(f"{fmt:5} first {times[0]:7.3f} s  warm {min(times[1:]):7.3f} s  {size:>11,} bytes  ({size / a.pages:,.0f}/page)", flush=True)

        with open(os.path.join(eval_dir, "MANIFEST.tsv"), encoding="utf-8") as f:
            rows = [ln.rstrip("\n").split("\t") for ln in f]
        for row in rows[1:]:
            d = dict(zip(rows[0], row))
            gt_path = os.path.join(eval_dir, os.path.splitext(d["file"])[0] + ".gt.txt")
            if d["kind"] != "pdf-digital" or not os.path.exists(gt_path):
                continue
            path = os.path.join(eval_dir, d["file"])
            gt = squash(open(gt_path, encoding="utf-8").read())
            jid = submit(base, tok, path)
            wait(base, tok, jid)
            _, result = request("GET", f"{base}/api/ocr/job/{jid}/result/", headers={"Authorization": "Bearer " + tok})
            layout = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True).stdout
            reading = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True).stdout
            words = "".join(w["text"] for p in result.get("pages", []) for w in p.get("words", []))
            entry = {"service": round(cer(gt, squash(result.get("extracted_text"))), 4),
                     "service_words": round(cer(gt, squash(words)), 4),
                     "poppler_layout": round(cer(gt, squash(layout)), 4), "poppler_reading_order": round(cer(gt, squash(reading)), 4)}
            report["reading_order"][os.path.basename(path)] = entry
            print(f"{os.path.basename(path):32} CER service {entry['service']:.3f}  words {entry['service_words']:.3f}  "
                  f"-layout {entry['poppler_layout']:.3f}  reading order {entry['poppler_reading_order']:.3f}", flush=True)
    finally:
        stop_host(host)
    out = os.path.join(ROOT, "benchmarks", "results", a.out)
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
