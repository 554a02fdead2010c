#!/usr/bin/env python3
"""Pages per minute of a running AkkaOcr host on one PDF, per engine, with the text's CER.

Submits COPIES copies of the PDF at once with each engine of --engines (auto, neural,
tesseract), waits for all of them, and prints for each engine: pages, wall seconds from the
first submit to the last completion, pages/min, the first page's report time, and — when a
units file from perf.py (its cache's units.json: the ground truth of each source document
and the pages it spans) is given — the ground-truth CER of the first copy's text, case
ignored (pure-Python edit distance: seconds, so on a lent machine leave --units out and score
the report's texts later with --score). Also prints the host's /api/ocr/system/ (device, provider, why). Writes all of it as
JSON to --out. Python stdlib only: it runs on the GPU machine as it is.

usage: throughput.py BASE_URL SECRET PDF [--units units.json] [--engines auto,neural]
                     [--copies 4] [--dpi 300] [--out result.json]
       throughput.py - - REPORT.json --units units.json --score    (CER of a report's texts, later)
"""
import argparse, json, os, sys, time, urllib.error, urllib.request, uuid

# bench_service.py mints the tokens: it sits beside this file in the GPU bundle, one folder up here.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import bench_service  # noqa: E402


def token(secret):
    return bench_service.token("gpu-bench", secret)


def call(url, tok, data=None, content_type=None):
    headers = {"Authorization": f"Bearer {tok}"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def submit(base, tok, pdf, engine, dpi, pages=None):
    boundary = uuid.uuid4().hex
    with open(pdf, "rb") as f:
        content = f.read()
    parts = []
    fields = [("engine", engine), ("dpi", str(dpi))] + ([("pages", pages)] if pages else [])
    for name, value in fields:
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mixed.pdf\"\r\n"
                 f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    status, body = call(f"{base}/api/ocr/submit/", tok, b"".join(parts), f"multipart/form-data; boundary={boundary}")
    if status != 202:
        raise RuntimeError(f"submit answered {status}: {body}")
    return body["job_id"]


def levenshtein(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalise(text):
    return " ".join(text.lower().split())


def cer_of(pages, units):
    """Ground-truth CER of page texts ({page_number: text}) over the units with ground truth."""
    errors = chars = 0
    for unit in units:
        if not unit.get("gt"):
            continue
        text = "\n".join(pages.get(n, "") for n in range(unit["first"], unit["first"] + unit["count"]))
        truth = normalise(unit["gt"])
        errors += levenshtein(normalise(text), truth)
        chars += len(truth)
    return errors / chars if chars else None


def run_engine(base, tok, pdf, engine, copies, dpi, units, pages=None):
    started = time.time()
    jobs = [submit(base, tok, pdf, engine, dpi, pages) for _ in range(copies)]
    first_page, done, statuses = {}, {}, {}
    while len(done) < len(jobs):
        for job in jobs:
            if job in done:
                continue
            _, status = call(f"{base}/api/ocr/job/{job}/status/", tok)
            if status.get("pages_done", 0) > 0 and job not in first_page:
                first_page[job] = time.time() - started
            if status.get("status") in ("completed", "failed", "cancelled"):
                done[job] = time.time() - started
                statuses[job] = status
        time.sleep(0.05)
    wall = max(done.values())
    pages = sum(s.get("page_count") or 0 for s in statuses.values())
    failed = [s for s in statuses.values() if s.get("status") != "completed"]
    _, result = call(f"{base}/api/ocr/job/{jobs[0]}/result/", tok)
    texts = {p["page_number"]: p.get("text", "") for p in result.get("pages", [])}
    engines = {}
    for p in result.get("pages", []):
        engines[p.get("engine", "?")] = engines.get(p.get("engine", "?"), 0) + 1
    return {
        "engine": engine, "copies": copies, "pages": pages, "wall_s": round(wall, 2),
        "pages_per_min": round(pages / wall * 60, 1), "first_page_s": round(min(first_page.values(), default=wall), 2),
        "failed": len(failed), "gpu_pages": sum(1 for p in result.get("pages", []) if p.get("gpu_used")),
        "engines_of_first_copy": engines, "escalated_pages": sum(1 for p in result.get("pages", []) if p.get("escalated")),
        "cer": None if units is None else round(cer_of(texts, units), 4),
        "texts": texts,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base"); ap.add_argument("secret"); ap.add_argument("pdf")
    ap.add_argument("--units"); ap.add_argument("--engines", default="auto,neural")
    ap.add_argument("--copies", type=int, default=4); ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--out")
    ap.add_argument("--score", action="store_true", help="PDF is a report written by --out: print each run's CER against --units")
    args = ap.parse_args()
    if args.score:
        report, units = json.load(open(args.pdf)), json.load(open(args.units))
        for row in report["runs"]:
            texts = {int(k): v for k, v in row["texts"].items()}
            print(row["engine"], row["pages_per_min"], "pages/min, CER", round(cer_of(texts, units), 4))
        return
    tok = token(args.secret)
    units = json.load(open(args.units)) if args.units else None
    _, system = call(f"{args.base}/api/ocr/system/", tok)
    report = {"system": system, "runs": []}
    print("system:", json.dumps(system)[:3000], flush=True)
    # Two untimed pages first (a document and a receipt on perf.py's PDF): models load and kernels compile once.
    run_engine(args.base, tok, args.pdf, "auto", 1, args.dpi, None, pages="1-2")
    for engine in args.engines.split(","):
        row = run_engine(args.base, tok, args.pdf, engine, args.copies, args.dpi, units)
        report["runs"].append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "texts"}), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
