#!/usr/bin/env python3
"""Checks the confidence calibration and the escalation rule on files they were not fitted on.

The calibration (calibrate.py) and the escalation thresholds were fitted on the same eval files
they are reported on. This script replays engine=auto's decision from a benchmark run made with
--raw (per single-page file, both engines' raw confidence, CER and letters read) and scores it
three ways: with the points the service ships (ConfidenceCalibration.cs), with points refitted on
every file (in-sample), and with points refitted without the file being judged (leave-one-out)
or on a random half of the files and judged on the other half (repeated two-fold). A rule that
only works in-sample loses its gain in the last two.

Policies replayed (escalate below the threshold, keep the more confident reading unless it found
under 70 % of the other's letters, as ReadingPlan does):
  service       receipts neural first (escalating below 0.85), other pages Tesseract first (0.95)
  tesseract     every page Tesseract first, escalating below 0.95
  neural-first  every page neural first, escalating below 0.95 (a GPU's natural order)
Receipts are told by file name here (sroie_*); the service tells them by the page's shape.

usage: python3 benchmarks/holdout.py RAW_JSON [--cli RUN_JSON] [--out benchmarks/results/holdout.json] [--repeats 200]
(--cli: a benchmark run with the stock tesseract CLI, `--runs cli`: each policy's CER is also given
as a share of the CLI's on the same files)
"""
import argparse
import json
import random
import re
import statistics
from pathlib import Path

from calibrate import apply, fit

HERE = Path(__file__).resolve().parent
CALIBRATIONS = HERE.parent / "src" / "Ocr.Pipeline" / "Engines" / "ConfidenceCalibration.cs"
RUNS = {"tesseract": "tesseract:auto", "neural": "neural:auto"}
DOCUMENT_THRESHOLD = 0.95
RECEIPT_THRESHOLD = 0.85
LETTER_SHARE = 0.7


def shipped_points():
    source = CALIBRATIONS.read_text()
    points = {}
    for engine, name in (("tesseract", "Tesseract"), ("neural", "Neural")):
        body = re.search(rf"ConfidenceCalibration {name} = new\(\[(.*?)\]\);", source).group(1)
        points[engine] = [(float(x), float(y)) for x, y in re.findall(r"\(([\d.]+), ([\d.]+)\)", body)]
    return points


def pages_of(raw):
    by_file = {}
    for c in raw["confidences"]:
        for engine, run in RUNS.items():
            if c["run"] == run:
                by_file.setdefault(c["file"], {})[engine] = c
    return {f: e for f, e in by_file.items() if len(e) == 2 and "letters" in e["tesseract"]}


def plan(policy, file):
    receipt = "sroie_" in file
    if policy == "service":
        return ("neural", "tesseract", RECEIPT_THRESHOLD) if receipt else ("tesseract", "neural", DOCUMENT_THRESHOLD)
    if policy == "tesseract":
        return "tesseract", "neural", DOCUMENT_THRESHOLD
    return "neural", "tesseract", DOCUMENT_THRESHOLD


def decide(policy, file, page, points):
    """The CER of the reading the policy keeps, and whether it escalated."""
    first, second, threshold = plan(policy, file)
    confidence = {e: apply(points[e], page[e]["confidence"]) for e in (first, second)}
    if confidence[first] >= threshold:
        return page[first]["cer"], False
    most = max(page[first]["letters"], page[second]["letters"])
    candidates = [e for e in (first, second) if page[e]["letters"] >= most * LETTER_SHARE]
    kept = max(candidates, key=lambda e: confidence[e])
    return page[kept]["cer"], True


def refit(pages, files):
    return {e: fit([(pages[f][e]["confidence"], pages[f][e]["cer"]) for f in files]) for e in RUNS}


def score(policy, pages, files, points_for):
    results = [decide(policy, f, pages[f], points_for(f)) for f in files]
    return statistics.mean(c for c, _ in results), sum(1 for _, e in results if e)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw")
    parser.add_argument("--out", default=str(HERE / "results" / "holdout.json"))
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--cli", help="a benchmark run holding the stock CLI's per-file CER (configuration 'cli')")
    args = parser.parse_args()
    pages = pages_of(json.loads(Path(args.raw).read_text()))
    files = sorted(pages)
    if len(files) < 10:
        raise SystemExit(f"{args.raw}: {len(files)} files with both engines' raw confidences and letters; run Ocr.Benchmarks --raw --runs tesseract:auto,neural:auto")

    shipped = shipped_points()
    everything = refit(pages, files)
    leave_one_out = {f: refit(pages, [g for g in files if g != f]) for f in files}
    rng = random.Random(1)
    report = {"files": len(files), "receipts": sum("sroie_" in f for f in files), "policies": {}}
    print(f"{len(files)} single-page files ({report['receipts']} receipts); mean CER per file")
    print(f"  tesseract alone {statistics.mean(pages[f]['tesseract']['cer'] for f in files) * 100:.2f} %, "
          f"neural alone {statistics.mean(pages[f]['neural']['cer'] for f in files) * 100:.2f} %, "
          f"the better of the two per file (oracle) {statistics.mean(min(pages[f]['tesseract']['cer'], pages[f]['neural']['cer']) for f in files) * 100:.2f} %")
    cli = None
    if args.cli:
        runs = json.loads(Path(args.cli).read_text())["runs"]
        cli_files = next(r["files"] for r in runs if r["configuration"] == "cli")
        if all(f in cli_files for f in files):
            cli = statistics.mean(cli_files[f] for f in files)
            report["cli_cer"] = round(cli, 5)
            print(f"  stock tesseract CLI {cli * 100:.2f} % on the same files")
    for policy in ("service", "tesseract", "neural-first"):
        shipped_cer, shipped_escalated = score(policy, pages, files, lambda f: shipped)
        in_sample, in_escalated = score(policy, pages, files, lambda f: everything)
        loo, loo_escalated = score(policy, pages, files, lambda f: leave_one_out[f])
        halves, losses = [], []
        for _ in range(args.repeats):
            shuffled = files[:]
            rng.shuffle(shuffled)
            train, test = shuffled[: len(files) // 2], shuffled[len(files) // 2:]
            points = refit(pages, train)
            held_out = score(policy, pages, test, lambda f: points)[0]
            halves.append(held_out)
            # Paired: the same half judged with points fitted on every file, itself included.
            losses.append(held_out - score(policy, pages, test, lambda f: everything)[0])
        halves.sort()
        low, high = halves[int(0.05 * len(halves))], halves[int(0.95 * len(halves)) - 1]
        report["policies"][policy] = {
            "share_of_cli_cer": round(shipped_cer / cli, 3) if cli else None,
            "shipped_points": {"cer": round(shipped_cer, 5), "escalated": shipped_escalated},
            "in_sample": {"cer": round(in_sample, 5), "escalated": in_escalated},
            "leave_one_out": {"cer": round(loo, 5), "escalated": loo_escalated},
            "two_fold": {"mean_cer": round(statistics.mean(halves), 5), "p5": round(low, 5), "p95": round(high, 5),
                         "mean_loss_against_in_sample": round(statistics.mean(losses), 5), "repeats": args.repeats},
        }
        print(f"  {policy:12s} shipped points {shipped_cer * 100:.2f} % ({shipped_escalated} escalated), "
              f"in-sample {in_sample * 100:.2f} % ({in_escalated}), leave-one-out {loo * 100:.2f} % ({loo_escalated}), "
              f"two-fold held-out half {statistics.mean(halves) * 100:.2f} % (5-95 %: {low * 100:.2f}-{high * 100:.2f} %; "
              f"{statistics.mean(losses) * 100:+.2f} points against the same half judged in-sample)"
              + (f"; {shipped_cer / cli:.2f}x the CLI's CER" if cli else ""))
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
