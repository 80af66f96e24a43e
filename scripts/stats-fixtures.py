#!/usr/bin/env python3
"""Reference values for src-tauri/src/metrics/stats.rs, computed independently with SciPy/NumPy.

Writes src-tauri/src/metrics/stats_fixtures.json, which the Rust tests load with
`include_str!` and compare against (relative tolerance 1e-9, absolute 1e-12 near zero).

Regenerate (from the repository root, in a throwaway venv that has scipy and numpy):

    python3 -m venv /tmp/scipy-venv && /tmp/scipy-venv/bin/pip install scipy numpy
    /tmp/scipy-venv/bin/python scripts/stats-fixtures.py

Generated with Python 3, SciPy 1.17.1 and NumPy 2.4.6 (the versions are also recorded in the
JSON's "generator" field). The cases are deterministic (numpy.random.default_rng with fixed
seeds); latencies are rounded to 0.1 ms and every expected value is computed FROM the rounded
inputs.

What each value is:
  - percentiles: numpy.percentile(x, p) (method="linear", numpy's default), x sorted ascending
  - mean: numpy.mean(x); variance: numpy.var(x, ddof=1)
  - mean_ci: scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=scipy.stats.sem(x))
  - welch: scipy.stats.ttest_ind(treatment, control, equal_var=False) -> estimate (mean
    difference, treatment - control) and .confidence_interval(0.95); relative = estimate and
    interval divided by mean(control)
  - wilson: scipy.stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
  - newcombe: Newcombe (1998) method 10, the hybrid score interval for p_t - p_c, computed here
    from the two Wilson intervals above:
        d     = p_t - p_c
        low   = d - sqrt((p_t - l_t)^2 + (u_c - p_c)^2)
        high  = d + sqrt((u_t - p_t)^2 + (p_c - l_c)^2)
  - per_user: the experiment's unit is the user: each user's mean latency (numpy.mean of that
    user's queries), users sorted by key, then welch() above across those per-user means
  - srm: scipy.stats.chisquare(observed, f_exp = total * weight / sum(weights)) -> statistic,
    pvalue (the sample-ratio-mismatch check on users per arm)
"""

import json
import math
import os
import platform
import warnings

import numpy as np
import scipy
from scipy import stats

CONFIDENCE = 0.95
PERCENTILES = [0, 1, 25, 50, 95, 99, 100]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src-tauri", "src", "metrics", "stats_fixtures.json")


def latencies(seed, n, median_ms, sigma):
    """Lognormal latencies (ms), rounded to 0.1 ms."""
    rng = np.random.default_rng(seed)
    xs = rng.lognormal(mean=math.log(median_ms), sigma=sigma, size=n)
    return [round(float(x), 1) for x in xs]


def summary(xs):
    a = np.asarray(xs, dtype=np.float64)
    n = len(a)
    out = {
        "values": xs,
        "percentiles": [[p, float(np.percentile(np.sort(a), p))] for p in PERCENTILES],
        "mean": float(np.mean(a)),
        "variance": float(np.var(a, ddof=1)) if n >= 2 else None,
    }
    if n >= 2 and np.var(a, ddof=1) > 0:
        lo, hi = stats.t.interval(CONFIDENCE, n - 1, loc=np.mean(a), scale=stats.sem(a))
        out["mean_ci"] = [float(lo), float(hi)]
    else:
        out["mean_ci"] = None
    return out


def welch(control, treatment):
    c = np.asarray(control, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    with warnings.catch_warnings():
        # SciPy warns about "catastrophic cancellation" for a constant arm; its result is exact.
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_ind(t, c, equal_var=False)
    ci = res.confidence_interval(CONFIDENCE)
    lo, hi = float(ci.low), float(ci.high)
    estimate = float(np.mean(t) - np.mean(c))
    base = float(np.mean(c))
    return {
        "estimate": estimate,
        "ci": [lo, hi],
        "df": float(res.df),
        "relative": estimate / base,
        "relative_ci": [lo / base, hi / base],
        "significant": bool(lo > 0 or hi < 0),
    }


def wilson(k, n):
    ci = stats.binomtest(k, n).proportion_ci(CONFIDENCE, method="wilson")
    return [float(ci.low), float(ci.high)]


def newcombe(kc, nc, kt, nt):
    pc, pt = kc / nc, kt / nt
    lc, uc = wilson(kc, nc)
    lt, ut = wilson(kt, nt)
    d = pt - pc
    low = d - math.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
    high = d + math.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    out = {
        "estimate": d,
        "ci": [low, high],
        "relative": None,
        "relative_ci": None,
        "significant": bool(low > 0 or high < 0),
    }
    if pc > 0:
        out["relative"] = d / pc
        out["relative_ci"] = [low / pc, high / pc]
    return out


LATENCY_CASES = [
    # name, control, treatment: each (seed, n, median ms, sigma) or a literal list
    ("n2", (1, 2, 800.0, 0.4), (2, 2, 650.0, 0.3)),
    ("n5", (3, 5, 1200.0, 0.5), (4, 5, 1100.0, 0.8)),
    ("n30", (5, 30, 900.0, 0.6), (6, 30, 950.0, 0.6)),
    ("n200_treatment_faster", (7, 200, 1500.0, 0.5), (8, 200, 450.0, 0.4)),
    ("unequal_n_200_vs_30", (9, 200, 700.0, 0.3), (10, 30, 900.0, 0.9)),
    ("unequal_n_5_vs_30", (11, 5, 40.0, 1.0), (12, 30, 35.0, 0.2)),
    # A constant arm: no t interval of its own (zero variance), but Welch's interval is defined.
    ("constant_control", [250.0] * 4, (13, 6, 300.0, 0.3)),
]

PROPORTION_CASES = [
    # control successes, control n, treatment successes, treatment n
    (45, 50, 38, 50),
    (118, 120, 97, 118),
    (500, 1000, 560, 1000),
    (0, 20, 3, 20),
    (20, 20, 17, 25),
    (0, 10, 0, 10),
    (10, 10, 10, 10),
    (0, 15, 15, 15),
    (1, 1, 0, 1),
    (3, 7, 7, 7),
    (1, 2, 1, 3),
    (56, 70, 48, 80),
]


PER_USER_CASES = [
    # name, (seed, users, median ms, sigma) per arm; each user asks 1 to 6 questions
    ("users_12_vs_10", (21, 12, 900.0, 0.5), (22, 10, 500.0, 0.5)),
    ("users_40_vs_35", (23, 40, 1200.0, 0.4), (24, 35, 1150.0, 0.4)),
    ("users_3_vs_2", (25, 3, 300.0, 0.3), (26, 2, 280.0, 0.3)),
]

SRM_CASES = [
    # observed users per arm (treatment, control) and the rollout's weights
    ([10, 90], [10000, 90000]),
    ([25, 75], [10000, 90000]),
    ([120, 880], [10000, 90000]),
    ([52, 48], [50000, 50000]),
    ([0, 30], [10000, 90000]),
    ([3, 7, 10], [1, 1, 2]),
]


def user_events(seed, users, median_ms, sigma, prefix):
    """(user key, latency) pairs: each user a lognormal level, 1 to 6 questions around it."""
    rng = np.random.default_rng(seed)
    out = []
    for u in range(users):
        level = rng.lognormal(mean=math.log(median_ms), sigma=sigma)
        for _ in range(int(rng.integers(1, 7))):
            out.append([f"{prefix}{u:03d}@example.com", round(float(level * rng.lognormal(0, 0.2)), 1)])
    return out


def per_user_means(pairs):
    by = {}
    for key, x in pairs:
        by.setdefault(key, []).append(x)
    return [float(np.mean(by[k])) for k in sorted(by)]


def main():
    per_user = []
    for name, cspec, tspec in PER_USER_CASES:
        control = user_events(*cspec, "c")
        treatment = user_events(*tspec, "t")
        cm, tm = per_user_means(control), per_user_means(treatment)
        per_user.append(
            {
                "name": name,
                "control": control,
                "treatment": treatment,
                "control_means": cm,
                "treatment_means": tm,
                "welch": welch(cm, tm),
            }
        )

    srm = []
    for observed, weights in SRM_CASES:
        total = sum(observed)
        expected = [total * w / sum(weights) for w in weights]
        res = stats.chisquare(observed, f_exp=expected)
        srm.append(
            {
                "observed": observed,
                "weights": weights,
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
            }
        )

    latency = []
    for name, cspec, tspec in LATENCY_CASES:
        control = latencies(*cspec) if isinstance(cspec, tuple) else cspec
        treatment = latencies(*tspec) if isinstance(tspec, tuple) else tspec
        latency.append(
            {
                "name": name,
                "control": summary(control),
                "treatment": summary(treatment),
                "welch": welch(control, treatment),
            }
        )

    proportion = []
    for kc, nc, kt, nt in PROPORTION_CASES:
        proportion.append(
            {
                "control": [kc, nc],
                "treatment": [kt, nt],
                "control_wilson": wilson(kc, nc),
                "treatment_wilson": wilson(kt, nt),
                "newcombe": newcombe(kc, nc, kt, nt),
            }
        )

    doc = {
        "generator": (
            f"scripts/stats-fixtures.py (Python {platform.python_version()}, "
            f"SciPy {scipy.__version__}, NumPy {np.__version__})"
        ),
        "confidence": CONFIDENCE,
        "latency": latency,
        "proportion": proportion,
        "per_user": per_user,
        "srm": srm,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
