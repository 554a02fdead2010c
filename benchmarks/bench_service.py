#!/usr/bin/env python3
"""Throughput and accuracy of AkkaOcr against the stock tesseract CLI, in one run.

Starts the Release build of src/Ocr.Host on a free loopback port with a fresh data directory,
submits every page image of ../shared/eval/images at once (the service queues and runs them on
its engine pool), and times first submit to last completion. Then runs `tesseract IMG out` on the
same images one after another with default settings (the way people run it), and, for the fair
comparison, two single-threaded CLI processes in parallel (OMP_THREAD_LIMIT=1). Prints a table and
writes benchmarks/results/service-vs-cli.json.

usage: python3 benchmarks/bench_service.py [--eval ../shared/eval] [--limit N]
"""
import argparse, concurrent.futures, glob, json, os, signal, socket, subprocess, sys, tempfile, time
import urllib.request, uuid, hmac, hashlib, base64

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"


def token(user="bench", secret=SECRET):
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = enc(json.dumps({"user_id": user, "exp": int(time.time()) + 7200}).encode())
    sig = enc(hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def submit(base, tok, path):
    with open(path, "rb") as f:
        return submit_bytes(base, tok, os.path.basename(path), f.read())


def submit_bytes(base, tok, name, content, fields=None):
    """Submits one file (with optional form fields such as dpi) and returns its job id."""
    boundary = uuid.uuid4().hex
    parts = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}\r\n".encode()
                     for key, value in (fields or {}).items())
    body = parts + (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    status, obj = request("POST", base + "/api/ocr/submit/", body,
                          {"Authorization": "Bearer " + tok, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    if status != 202:
        raise RuntimeError(f"submit {name}: {status} {obj}")
    return obj["job_id"]


def wait_for_job(base, tok, job_id, poll=0.5, timeout=None):
    """Polls a job's status until it is terminal and returns that status (TimeoutError past timeout seconds)."""
    deadline = None if timeout is None else time.time() + timeout
    while True:
        _, st = request("GET", f"{base}/api/ocr/job/{job_id}/status/", headers={"Authorization": "Bearer " + tok})
        if st.get("status") in ("completed", "failed", "cancelled"):
            return st
        if deadline is not None and time.time() > deadline:
            raise TimeoutError(f"job {job_id} not done in {timeout} s")
        time.sleep(poll)


def start_host(extra_env=None):
    """Starts the Release host on a free port with a fresh data dir; returns (process, base url, data dir)."""
    dll = os.path.join(ROOT, "src", "Ocr.Host", "bin", "Release", "net10.0", "Ocr.Host.dll")
    # Always (incremental, seconds when nothing changed): a stale build would measure old code.
    subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "-nologo", os.path.join(ROOT, "src", "Ocr.Host")], check=True,
                   stdout=subprocess.DEVNULL)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="akkaocr-bench-")
    env = dict(os.environ, JWT_SECRET_KEY=SECRET, OCR_DATA_DIR=data, ASPNETCORE_URLS=f"http://127.0.0.1:{port}")
    env = dict(env, **{"OCR_MAX_QUEUED_JOBS": "1000", **(extra_env or {})})
    log = open(os.path.join(data, "host.log"), "w")
    host = subprocess.Popen(["dotnet", dll], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if request("GET", base + "/api/ocr/health/")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    return host, base, data


def stop_host(host):
    os.killpg(host.pid, signal.SIGTERM)
    host.wait(30)


def load_scorer(eval_dir):
    sys.path.insert(0, eval_dir)
    import score  # noqa: E402  (the corpus's own CER definition)
    def cer(truth, text):
        t, p = score.normalise(truth, ignore_case=True), score.normalise(text, ignore_case=True)
        return score.levenshtein(t, p) / max(1, len(t))
    return cer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", default=os.path.join(ROOT, "..", "shared", "eval"))
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    eval_dir = os.path.abspath(args.eval)
    cer = load_scorer(eval_dir)
    images = sorted(p for p in glob.glob(os.path.join(eval_dir, "images", "*")) if not p.endswith(".gt.txt"))
    if args.limit:
        images = images[: args.limit]
    truth = {p: open(os.path.splitext(p)[0] + ".gt.txt", encoding="utf-8").read() for p in images}

    host, base, data = start_host()
    try:
        tok = token()
        auth = {"Authorization": "Bearer " + tok}
        started = time.time()
        jobs = {submit(base, tok, p): p for p in images}
        results = {}
        while len(results) < len(jobs):
            for jid, path in jobs.items():
                if jid in results:
                    continue
                status, st = request("GET", f"{base}/api/ocr/job/{jid}/status/", headers=auth)
                if st.get("status") in ("completed", "failed", "cancelled"):
                    _, res = request("GET", f"{base}/api/ocr/job/{jid}/result/", headers=auth)
                    results[jid] = res.get("extracted_text", "") if st["status"] == "completed" else ""
            time.sleep(0.2)
        service_wall = time.time() - started
        service_cers = {os.path.basename(jobs[j]): cer(truth[jobs[j]], t) for j, t in results.items()}
    finally:
        stop_host(host)

    def cli(path, single_thread):
        e = dict(os.environ)
        if single_thread:
            e["OMP_THREAD_LIMIT"] = "1"
        else:
            e.pop("OMP_THREAD_LIMIT", None)
        out = subprocess.run(["tesseract", path, "-"], capture_output=True, env=e).stdout.decode("utf-8", "replace")
        return cer(truth[path], out)

    started = time.time()
    cli_cers = {os.path.basename(p): cli(p, False) for p in images}
    cli_wall = time.time() - started
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda p: cli(p, True), images))
    ideal_wall = time.time() - started

    n = len(images)
    mean = lambda d: sum(d.values()) / len(d)
    out = {
        "pages": n,
        "cores": os.cpu_count(),
        "service": {"wall_s": round(service_wall, 2), "pages_per_s": round(n / service_wall, 3), "mean_cer": round(mean(service_cers), 4)},
        "tesseract_cli_sequential_default": {"wall_s": round(cli_wall, 2), "pages_per_s": round(n / cli_wall, 3), "mean_cer": round(mean(cli_cers), 4)},
        "tesseract_cli_2_parallel_single_thread": {"wall_s": round(ideal_wall, 2), "pages_per_s": round(n / ideal_wall, 3)},
        "speedup_vs_cli_sequential": round(cli_wall / service_wall, 2),
        "ratio_vs_ideal_parallel": round(ideal_wall / service_wall, 2),
        "per_page_cer": {k: {"service": round(service_cers[k], 4), "cli": round(cli_cers[k], 4)} for k in sorted(service_cers)},
    }
    print(f"{'run':42} {'wall s':>8} {'pages/s':>8} {'mean CER':>9}")
    print(f"{'AkkaOcr service (all pages submitted at once)':42} {service_wall:8.1f} {n / service_wall:8.2f} {mean(service_cers):9.2%}")
    print(f"{'tesseract CLI, one after another (default)':42} {cli_wall:8.1f} {n / cli_wall:8.2f} {mean(cli_cers):9.2%}")
    print(f"{'tesseract CLI, 2 parallel, OMP_THREAD_LIMIT=1':42} {ideal_wall:8.1f} {n / ideal_wall:8.2f}")
    print(f"service vs CLI one after another: {out['speedup_vs_cli_sequential']}x; vs ideal 2-parallel CLI: {out['ratio_vs_ideal_parallel']}x")
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "results", "service-vs-cli.json"), "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
