#!/usr/bin/env python3
"""Fits each engine's confidence calibration from a benchmark run made with --raw.

Reads benchmarks/results/accuracy-by-engine-raw.json (Ocr.Benchmarks --raw: per single-page
file, the engine's raw confidence and the page's CER), fits a monotone piecewise-linear map
raw -> 1 - CER per engine (bins of equal count, pooled where they would decrease), prints the
C# points for EngineCalibrations and the mean CER per calibrated band, and writes
benchmarks/results/calibration.json.
usage: python3 benchmarks/calibrate.py [RAW_JSON]
"""
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = {"tesseract": "tesseract:auto", "neural": "neural:auto"}
BANDS = [(0.0, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)]


def fit(points, per_bin=6):
    points = sorted(points)
    bins = [points[i:i + per_bin] for i in range(0, len(points), per_bin)]
    blocks = [[sum(p[0] for p in b) / len(b), sum(1 - p[1] for p in b) / len(b), len(b)] for b in bins]
    merged = []
    for block in blocks:  # pool adjacent violators: accuracy must not fall as confidence rises
        merged.append(block)
        while len(merged) > 1 and merged[-2][1] > merged[-1][1]:
            b, a = merged.pop(), merged.pop()
            n = a[2] + b[2]
            merged.append([(a[0] * a[2] + b[0] * b[2]) / n, (a[1] * a[2] + b[1] * b[2]) / n, n])
    knots = [(0.0, 0.0)] + [(round(x, 4), round(max(0.0, y), 4)) for x, y, _ in merged] + [(1.0, round(merged[-1][1], 4))]
    return [k for i, k in enumerate(knots) if i == 0 or k[0] > knots[i - 1][0]]


def apply(knots, raw):
    if raw <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if raw <= x1:
            return y0 + (y1 - y0) * (raw - x0) / max(1e-9, x1 - x0)
    return knots[-1][1]


def main():
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "accuracy-by-engine-raw.json"
    confidences = json.loads(source.read_text())["confidences"]
    report = {}
    for engine, run in RUNS.items():
        points = [(c["confidence"], c["cer"]) for c in confidences if c["run"] == run]
        knots = fit(points)
        bands = []
        for low, high in BANDS:
            inside = [cer for raw, cer in points if low <= apply(knots, raw) < high]
            bands.append({"band": f"{low:.2f}-{min(high, 1):.2f}", "pages": len(inside),
                          "mean_cer": round(sum(inside) / len(inside), 4) if inside else None})
        report[engine] = {"pages": len(points), "points": knots, "bands": bands}
        print(f"{engine}: new([{', '.join(f'({x}, {y})' for x, y in knots)}])")
        for band in bands:
            cer = "-" if band["mean_cer"] is None else f"{band['mean_cer'] * 100:.1f} %"
            print(f"  calibrated {band['band']}: {band['pages']:3d} pages, mean CER {cer}")
    (RESULTS / "calibration.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
