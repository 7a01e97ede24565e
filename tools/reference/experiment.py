#!/usr/bin/env python3
"""Independent reference for receval's unit-level (user-level) experiment analysis.

This script is NOT part of receval. It generates a synthetic A/B/n experiment as JSONL logs and
computes the expected analysis with numpy / scipy / statsmodels, so receval's Swift
implementation can be checked against a fixture produced by different code. Library functions
are the reference wherever one exists:

    Welch t test            scipy.stats.ttest_ind(treatment, control, equal_var=False)
    two-proportion z test   statsmodels.stats.proportion.proportions_ztest (pooled, two-sided)
    multiple comparisons    statsmodels.stats.multitest.multipletests (bonferroni, holm, fdr_bh)
    sample ratio mismatch   scipy.stats.chisquare (equal expected weights)
    critical values / tails scipy.stats.norm / scipy.stats.t (.ppf, .sf)

Only the delta method and CUPED are hand formulas (numpy, float64), written out below.

Regenerate the committed fixture (paths relative to the repository root):

    pip install numpy scipy statsmodels
    python3 tools/reference/experiment.py generate \
        --out Tests/EvaluationTests/Fixtures/experiment-units --seed 20261122
    python3 tools/reference/experiment.py reference \
        --data Tests/EvaluationTests/Fixtures/experiment-units \
        --out Tests/EvaluationTests/Fixtures/experiment-units/expected.json \
        --slice-key device --covariate-key pre_period_ctr

Definitions implemented by `reference`
--------------------------------------
Join.  Exposures are de-duplicated by request_id (the FIRST line wins). The assignment of a request
is the LAST assignment line with that request_id whose experiment_id equals the configured one
case-insensitively. An analysed exposure is a de-duplicated exposure whose request has an
assignment; its unit is that winning line's user_id and its variant that line's variant. All
outcome lines with the request_id attach to it (any item, any time): clicks = lines with
event_type "click", conversions = lines with "conversion", revenue = sum of the conversion lines'
"value" (missing = 0), clicked = 1 if clicks >= 1.

Crossover.  A unit whose matching assignment lines (all of them, not only winning ones) name two or
more distinct variants. Crossover units are excluded from every test and from SRM.
crossover_units counts them (over all matching assignment lines); crossover_exposures counts their
analysed exposures. analysed_exposures counts the non-crossover analysed exposures.

Per unit i (over its analysed exposures in the scope): n_i exposures, c_i clicks, k_i clicked
requests, q_i conversions, r_i revenue.  Metrics, in order:
    ctr                   sum(c)/sum(n)   delta
    clicked_request_rate  sum(k)/sum(n)   delta
    conversion_rate       sum(q)/sum(n)   delta
    revenue_per_request   sum(r)/sum(n)   delta
    clicks_per_user       mean(c)         welch
    revenue_per_user      mean(r)         welch
    user_click_rate       share c_i > 0   two_proportion
    user_conversion_rate  share q_i > 0   two_proportion

Delta method per arm (n units, numerator N_i, denominator D_i): R = mean(N)/mean(D),
Var(R) = (s_N^2/mu_D^2 - 2 mu_N s_ND/mu_D^3 + mu_N^2 s_D^2/mu_D^4)/n  (ddof=1).
Absolute: est = R_t - R_c, se = sqrt(V_t + V_c), z = est/se, p = 2 norm.sf(|z|),
CI = est -/+ norm.ppf(1 - alpha/2) se.  Relative: est = R_t/R_c - 1,
se = sqrt(V_t/R_c^2 + R_t^2 V_c/R_c^4), CI with the same normal critical value.

Welch: est = m_t - m_c, se = sqrt(s_t^2/n_t + s_c^2/n_c) (ddof=1), df Welch-Satterthwaite,
statistic and p from scipy ttest_ind(equal_var=False), CI est -/+ t.ppf(1 - alpha/2, df) se.
Relative est = m_t/m_c - 1, se = sqrt((s_t^2/n_t)/m_c^2 + m_t^2 (s_c^2/n_c)/m_c^4), same t crit.

Two-proportion (x_v of n_v units): statistic and p from statsmodels proportions_ztest (pooled);
se (reported) = sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c), CI est -/+ z crit se. Relative
est = p_t/p_c - 1, se = sqrt(V_t/p_c^2 + p_t^2 V_c/p_c^4), V_v = p_v(1-p_v)/n_v.

Rows: scope "global", then each segment "<slice-key>=<value>" of the exposure context (value ""
when the key is missing), segments sorted byte-wise; within a segment a unit's statistics use only
its analysed exposures in that segment and the unit belongs to the segment if it has one. For
each non-control variant (byte-wise name order), each metric in the order above. A row is emitted
only when both arms have >= 2 units in the scope. If the (absolute) se is 0: p_value 1,
statistic 0, CI [est, est]. "relative" is omitted when the control value is 0.
Adjusted p-values: multipletests over ALL emitted rows (one family), methods bonferroni, holm,
fdr_bh.

CUPED (with --covariate-key): X_i = mean of the parsed float covariate over the unit's analysed
exposures in scope that carry the key, 0 if none. Y_i = c_i / r_i (welch), the 0/1 indicator
(two_proportion), or for ratio metrics L_i = (N_i - R_v D_i)/mean_v(D) with the arm's own R_v and
mean D. theta = sum_arms sum_i (X_i - Xbar_v)(Y_i - Ybar_v) / sum_arms sum_i (X_i - Xbar_v)^2
(0 when the denominator is 0). Xbar = mean X over the units of both arms. Adjusted arm value =
value_v - theta (Xbar_v - Xbar); V'_v = (s_Y^2 + theta^2 s_X^2 - 2 theta s_XY)/n_v and
V_v = s_Y^2/n_v (within arm, ddof=1). Absolute/relative as for the delta method with adjusted
values and V' (normal critical value for every kind), z and two-sided normal p;
variance_reduction = 1 - (V'_t + V'_c)/(V_t + V_c).

SRM: per variant, distinct non-crossover user_ids among matching assignment lines; expected equal
weights; scipy.stats.chisquare.
"""

import argparse
import json
import math
import os
import sys
from collections import OrderedDict, defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

EXPERIMENT = "exp_units"
VARIANTS = ["control", "treat_a", "treat_b"]
METRICS = [
    ("ctr", "delta", "c"),
    ("clicked_request_rate", "delta", "k"),
    ("conversion_rate", "delta", "q"),
    ("revenue_per_request", "delta", "r"),
    ("clicks_per_user", "welch", "c"),
    ("revenue_per_user", "welch", "r"),
    ("user_click_rate", "two_proportion", "c"),
    ("user_conversion_rate", "two_proportion", "q"),
]


# ----------------------------------------------------------------------------------------------
# generate
# ----------------------------------------------------------------------------------------------

START = datetime(2026, 3, 1, 0, 0, 0, tzinfo=timezone.utc)


def rfc3339(seconds):
    return (START + timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def generate(out_dir, seed):
    rng = np.random.default_rng(seed)
    n_users = 700
    users = ["u%04d" % (i + 1) for i in range(n_users)]
    user_variant = rng.choice(VARIANTS, size=n_users, p=[0.34, 0.33, 0.33])
    user_device = rng.choice(["ios", "android", "web"], size=n_users, p=[0.4, 0.35, 0.25])
    # per-item click propensity of the user; pre-period ctr is a noisy copy of it
    propensity = rng.beta(4.0, 28.0, size=n_users)
    pre_ctr = np.clip(propensity * np.exp(rng.normal(0.0, 0.3, size=n_users)), 0.0005, 0.95)
    # requests per user: 1..12, skewed (some heavy users)
    heavy = rng.random(n_users) < 0.2
    n_req = np.where(heavy, rng.integers(8, 13, size=n_users),
                     np.minimum(12, 1 + rng.poisson(2.5, size=n_users)))

    # request times: distinct seconds over one week, then ids in time order
    total = int(n_req.sum())
    secs = np.sort(rng.choice(7 * 24 * 3600 - 8 * 3600, size=total, replace=False))
    owners = np.repeat(np.arange(n_users), n_req)
    owners = owners[rng.permutation(total)]
    requests = []  # dicts: id, user index, ts seconds, items
    for j in range(total):
        requests.append({"id": "r%06d" % (j + 1), "u": int(owners[j]), "t": int(secs[j])})

    effect = {"control": 1.0, "treat_a": 1.3, "treat_b": 1.0}
    n_items_p = [0.55, 0.25, 0.12, 0.08]

    def make_items():
        k = int(rng.choice([3, 4, 5, 6], p=n_items_p))
        ids = rng.choice(300, size=k, replace=False) + 1
        return ["i%d" % i for i in ids]

    def make_context(u):
        ctx = OrderedDict()
        ctx["device"] = str(user_device[u])
        if rng.random() < 0.9:
            v = min(0.99, max(0.0001, pre_ctr[u] * (1.0 + rng.normal(0.0, 0.05))))
            ctx["pre_period_ctr"] = "%.4f" % v
        return ctx

    exposure_lines = []  # (ts, seq, line)
    outcome_lines = []
    seq = 0
    for req in requests:
        u = req["u"]
        items = make_items()
        req["items"] = items
        line = OrderedDict()
        line["request_id"] = req["id"]
        line["user_id"] = users[u]
        line["ts"] = rfc3339(req["t"])
        line["items"] = [{"item_id": it, "rank": r + 1} for r, it in enumerate(items)]
        line["context"] = make_context(u)
        line["latency_ms"] = round(float(rng.lognormal(math.log(80.0), 0.5)), 1)
        line["error"] = False
        exposure_lines.append((req["t"], seq, dumps(line)))
        seq += 1

        # outcomes
        p_item = min(0.95, propensity[u] * effect[str(user_variant[u])])
        clicked = [it for r, it in enumerate(items) if rng.random() < p_item / math.sqrt(r + 1)][:3]
        t = req["t"]
        for it in clicked:
            t += int(rng.integers(2, 120))
            o = OrderedDict([("request_id", req["id"]), ("user_id", users[u]), ("item_id", it),
                             ("event_type", "click"), ("ts", rfc3339(t)), ("value", 0)])
            outcome_lines.append((t, seq, dumps(o)))
            seq += 1
        conv_item = None
        if clicked and rng.random() < 0.15:
            conv_item = clicked[int(rng.integers(len(clicked)))]
        elif not clicked and rng.random() < 0.005:
            conv_item = items[int(rng.integers(len(items)))]
        if conv_item is not None:
            t += int(rng.integers(30, 900))
            value = round(max(0.5, float(rng.lognormal(math.log(30.0), 0.6))), 2)
            o = OrderedDict([("request_id", req["id"]), ("user_id", users[u]), ("item_id", conv_item),
                             ("event_type", "conversion"), ("ts", rfc3339(t)), ("value", value)])
            outcome_lines.append((t, seq, dumps(o)))
            seq += 1

    # ~1% duplicate exposure lines (same request id later in the file; other items, re-drawn context)
    dup_idx = rng.choice(total, size=max(1, total // 100), replace=False)
    for j in sorted(dup_idx):
        req = requests[j]
        u = req["u"]
        t = req["t"] + int(rng.integers(1, 7200))
        items = make_items()
        line = OrderedDict()
        line["request_id"] = req["id"]
        line["user_id"] = users[u]
        line["ts"] = rfc3339(t)
        line["items"] = [{"item_id": it, "rank": r + 1} for r, it in enumerate(items)]
        line["context"] = make_context(u)
        line["latency_ms"] = round(float(rng.lognormal(math.log(80.0), 0.5)), 1)
        line["error"] = False
        exposure_lines.append((t, seq, dumps(line)))
        seq += 1

    # ~1% orphan outcomes (request ids with no exposure)
    n_orphans = max(1, len(outcome_lines) // 100)
    for j in range(n_orphans):
        u = int(rng.integers(n_users))
        t = int(rng.integers(0, 7 * 24 * 3600))
        if rng.random() < 0.8:
            o = OrderedDict([("request_id", "r%06d" % (900000 + j)), ("user_id", users[u]),
                             ("item_id", "i%d" % int(rng.integers(1, 301))), ("event_type", "click"),
                             ("ts", rfc3339(t)), ("value", 0)])
        else:
            o = OrderedDict([("request_id", "r%06d" % (900000 + j)), ("user_id", users[u]),
                             ("item_id", "i%d" % int(rng.integers(1, 301))), ("event_type", "conversion"),
                             ("ts", rfc3339(t)), ("value", round(float(rng.uniform(5, 80)), 2))])
        outcome_lines.append((t, seq, dumps(o)))
        seq += 1

    # assignments
    by_user = defaultdict(list)
    for j, req in enumerate(requests):
        by_user[req["u"]].append(j)
    req_variant = [str(user_variant[req["u"]]) for req in requests]
    eligible = [u for u in range(n_users) if len(by_user[u]) >= 3]
    n_cross = round(0.02 * n_users)
    cross_users = sorted(int(u) for u in rng.choice(eligible, size=n_cross, replace=False))
    for u in cross_users:
        js = by_user[u]
        k = int(rng.integers(1, len(js) // 2 + 1))
        other = [v for v in VARIANTS if v != str(user_variant[u])]
        alt = str(other[int(rng.integers(2))])
        for j in rng.choice(js, size=k, replace=False):
            req_variant[int(j)] = alt

    def exp_id():
        x = rng.random()
        if x < 0.03:
            return "EXP_UNITS"
        if x < 0.04:
            return "Exp_Units"
        return EXPERIMENT

    assignment_lines = []
    for j, req in enumerate(requests):
        a = OrderedDict([("experiment_id", exp_id()), ("variant", req_variant[j]), ("request_id", req["id"]),
                         ("user_id", users[req["u"]]), ("ts", rfc3339(req["t"]))])
        assignment_lines.append((req["t"], seq, dumps(a)))
        seq += 1
    # ~1% second assignment lines later in the file: on crossover users' requests with a different
    # variant (the earlier line loses), elsewhere the same variant again
    cross_reqs = [j for u in cross_users for j in by_user[u]]
    plain_reqs = [j for j in range(total) if requests[j]["u"] not in set(cross_users)]
    n_second = max(2, total // 100)
    second = [int(j) for j in rng.choice(cross_reqs, size=n_second // 3, replace=False)]
    second += [int(j) for j in rng.choice(plain_reqs, size=n_second - n_second // 3, replace=False)]
    for j in second:
        req = requests[j]
        if requests[j]["u"] in cross_users:
            v = str([x for x in VARIANTS if x != req_variant[j]][int(rng.integers(2))])
        else:
            v = req_variant[j]
        t = req["t"] + int(rng.integers(60, 3600))
        a = OrderedDict([("experiment_id", exp_id()), ("variant", v), ("request_id", req["id"]),
                         ("user_id", users[req["u"]]), ("ts", rfc3339(t))])
        assignment_lines.append((t, seq, dumps(a)))
        seq += 1
    # 20 lines of another experiment (must be ignored), with variants that would otherwise cross over
    for j in rng.choice(total, size=20, replace=False):
        req = requests[int(j)]
        v = str([x for x in VARIANTS if x != req_variant[int(j)]][int(rng.integers(2))])
        a = OrderedDict([("experiment_id", "other_exp"), ("variant", v), ("request_id", req["id"]),
                         ("user_id", users[req["u"]]), ("ts", rfc3339(req["t"]))])
        assignment_lines.append((req["t"], seq, dumps(a)))
        seq += 1

    os.makedirs(out_dir, exist_ok=True)
    for name, lines in (("exposures.jsonl", exposure_lines), ("outcomes.jsonl", outcome_lines),
                        ("assignments.jsonl", assignment_lines)):
        lines.sort(key=lambda x: (x[0], x[1]))
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as f:
            for _, _, s in lines:
                f.write(s + "\n")
        print("%s: %d lines" % (os.path.join(out_dir, name), len(lines)))


# ----------------------------------------------------------------------------------------------
# reference
# ----------------------------------------------------------------------------------------------

def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def byte_key(s):
    return s.encode("utf-8")


def delta_arm(N, D):
    """Ratio mean(N)/mean(D) and its delta-method variance (ddof=1)."""
    n = N.size
    mu_n, mu_d = N.mean(), D.mean()
    s_nn = np.sum((N - mu_n) ** 2) / (n - 1)
    s_dd = np.sum((D - mu_d) ** 2) / (n - 1)
    s_nd = np.sum((N - mu_n) * (D - mu_d)) / (n - 1)
    R = mu_n / mu_d
    V = (s_nn / mu_d ** 2 - 2.0 * mu_n * s_nd / mu_d ** 3 + mu_n ** 2 * s_dd / mu_d ** 4) / n
    return float(R), float(V)


def interval(est, se, crit):
    return {"estimate": float(est), "se": float(se), "lower": float(est - crit * se),
            "upper": float(est + crit * se)}


def relative(vt, vc, Vt, Vc, crit):
    est = vt / vc - 1.0
    se = math.sqrt(Vt / vc ** 2 + vt ** 2 * Vc / vc ** 4)
    return interval(est, se, crit)


def cuped(kind, Yt, Yc, Xt, Xc, value_t, value_c, z_crit, with_relative):
    nt, nc = Yt.size, Yc.size
    num = np.sum((Xt - Xt.mean()) * (Yt - Yt.mean())) + np.sum((Xc - Xc.mean()) * (Yc - Yc.mean()))
    den = np.sum((Xt - Xt.mean()) ** 2) + np.sum((Xc - Xc.mean()) ** 2)
    theta = float(num / den) if den > 0 else 0.0
    xbar = float(np.concatenate([Xt, Xc]).mean())

    def arm(Y, X, value, n):
        s_yy = np.sum((Y - Y.mean()) ** 2) / (n - 1)
        s_xx = np.sum((X - X.mean()) ** 2) / (n - 1)
        s_xy = np.sum((X - X.mean()) * (Y - Y.mean())) / (n - 1)
        adj = value - theta * (X.mean() - xbar)
        v_adj = (s_yy + theta ** 2 * s_xx - 2.0 * theta * s_xy) / n
        v_raw = s_yy / n
        return float(adj), float(v_adj), float(v_raw)

    at, vat, vrt = arm(Yt, Xt, value_t, nt)
    ac, vac, vrc = arm(Yc, Xc, value_c, nc)
    est = at - ac
    se = math.sqrt(vat + vac)
    if se == 0.0:
        z, p = 0.0, 1.0
    else:
        z = est / se
        p = float(2.0 * stats.norm.sf(abs(z)))
    out = {"theta": theta, "absolute": interval(est, se, z_crit), "statistic": float(z), "p_value": p,
           "variance_reduction": float(1.0 - (vat + vac) / (vrt + vrc)) if (vrt + vrc) > 0 else 0.0}
    if with_relative and ac != 0.0:
        out["relative"] = relative(at, ac, vat, vac, z_crit)
    return out


def reference(args):
    exposures = read_jsonl(os.path.join(args.data, "exposures.jsonl"))
    outcomes = read_jsonl(os.path.join(args.data, "outcomes.jsonl"))
    assignments = read_jsonl(os.path.join(args.data, "assignments.jsonl"))
    exp_lower = args.experiment.lower()

    # exposures: first line of a request id wins
    first_exposure = OrderedDict()
    for e in exposures:
        if e["request_id"] not in first_exposure:
            first_exposure[e["request_id"]] = e
    # assignments: last matching line wins; all matching lines count for crossover / SRM
    winning = {}
    unit_variants = defaultdict(set)
    for a in assignments:
        if str(a["experiment_id"]).lower() != exp_lower:
            continue
        winning[a["request_id"]] = a
        unit_variants[a["user_id"]].add(a["variant"])
    crossover = {u for u, vs in unit_variants.items() if len(vs) >= 2}
    # outcomes per request
    req_clicks = defaultdict(int)
    req_conv = defaultdict(int)
    req_rev = defaultdict(float)
    for o in outcomes:
        rid = o["request_id"]
        if o["event_type"] == "click":
            req_clicks[rid] += 1
        elif o["event_type"] == "conversion":
            req_conv[rid] += 1
            req_rev[rid] += float(o.get("value", 0) or 0)

    # analysed exposures
    analysed = []  # (unit, variant, segment, clicks, clicked, conversions, revenue, covariate or None)
    crossover_exposures = 0
    for rid, e in first_exposure.items():
        a = winning.get(rid)
        if a is None:
            continue
        unit = a["user_id"]
        if unit in crossover:
            crossover_exposures += 1
            continue
        ctx = e.get("context") or {}
        seg = "%s=%s" % (args.slice_key, ctx.get(args.slice_key, "")) if args.slice_key else None
        cov = None
        if args.covariate_key and args.covariate_key in ctx:
            cov = float(ctx[args.covariate_key])
        c = req_clicks.get(rid, 0)
        analysed.append((unit, a["variant"], seg, c, 1 if c >= 1 else 0, req_conv.get(rid, 0),
                         req_rev.get(rid, 0.0), cov))

    # SRM over units
    srm_units = defaultdict(set)
    for a in assignments:
        if str(a["experiment_id"]).lower() == exp_lower and a["user_id"] not in crossover:
            srm_units[a["variant"]].add(a["user_id"])
    srm_variants = sorted(srm_units, key=byte_key)
    observed = [len(srm_units[v]) for v in srm_variants]
    chi = stats.chisquare(observed)
    srm = {"observed": {v: len(srm_units[v]) for v in srm_variants},
           "statistic": float(chi.statistic), "p_value": float(chi.pvalue)}

    scopes = ["global"]
    if args.slice_key:
        scopes += sorted({x[2] for x in analysed}, key=byte_key)

    z_crit = float(stats.norm.ppf(1.0 - args.alpha / 2.0))
    rows = []
    for scope in scopes:
        # per-unit aggregation within the scope
        units = OrderedDict()  # unit -> [variant, n, c, k, q, r, cov_sum, cov_count]
        for unit, variant, seg, c, k, q, r, cov in analysed:
            if scope != "global" and seg != scope:
                continue
            s = units.get(unit)
            if s is None:
                s = units[unit] = [variant, 0, 0, 0, 0, 0.0, 0.0, 0]
            s[1] += 1
            s[2] += c
            s[3] += k
            s[4] += q
            s[5] += r
            if cov is not None:
                s[6] += cov
                s[7] += 1
        arms = {}
        for variant in sorted({s[0] for s in units.values()}, key=byte_key):
            ss = [s for s in units.values() if s[0] == variant]
            arms[variant] = {
                "n": np.array([s[1] for s in ss], dtype=np.float64),
                "c": np.array([s[2] for s in ss], dtype=np.float64),
                "k": np.array([s[3] for s in ss], dtype=np.float64),
                "q": np.array([s[4] for s in ss], dtype=np.float64),
                "r": np.array([s[5] for s in ss], dtype=np.float64),
                "x": np.array([s[6] / s[7] if s[7] > 0 else 0.0 for s in ss], dtype=np.float64),
            }
        if args.control not in arms:
            continue
        ctl = arms[args.control]
        for variant in sorted(arms, key=byte_key):
            if variant == args.control:
                continue
            trt = arms[variant]
            nt, nc = trt["n"].size, ctl["n"].size
            if nt < 2 or nc < 2:
                continue
            for metric, method, field in METRICS:
                row = {"scope": scope, "metric": metric, "variant": variant, "method": method}
                if method == "delta":
                    Rt, Vt = delta_arm(trt[field], trt["n"])
                    Rc, Vc = delta_arm(ctl[field], ctl["n"])
                    vt, vc = Rt, Rc
                    est = Rt - Rc
                    se = math.sqrt(Vt + Vc)
                    if se == 0.0:
                        stat, p = 0.0, 1.0
                    else:
                        stat = est / se
                        p = float(2.0 * stats.norm.sf(abs(stat)))
                    crit = z_crit
                    Yt = (trt[field] - Rt * trt["n"]) / trt["n"].mean()
                    Yc = (ctl[field] - Rc * ctl["n"]) / ctl["n"].mean()
                    # the linearisation's sample variance / n is the delta-method variance
                    assert math.isclose(float(np.var(Yt, ddof=1)) / nt, Vt, rel_tol=1e-9, abs_tol=1e-15)
                    assert math.isclose(float(np.var(Yc, ddof=1)) / nc, Vc, rel_tol=1e-9, abs_tol=1e-15)
                elif method == "welch":
                    yt, yc = trt[field], ctl[field]
                    vt, vc = float(yt.mean()), float(yc.mean())
                    s2t = float(np.sum((yt - vt) ** 2) / (nt - 1))
                    s2c = float(np.sum((yc - vc) ** 2) / (nc - 1))
                    Vt, Vc = s2t / nt, s2c / nc
                    est = vt - vc
                    se = math.sqrt(Vt + Vc)
                    if se == 0.0:
                        stat, p, df = 0.0, 1.0, float(nt + nc - 2)
                        crit = 0.0
                    else:
                        df = (Vt + Vc) ** 2 / (Vt ** 2 / (nt - 1) + Vc ** 2 / (nc - 1))
                        res = stats.ttest_ind(yt, yc, equal_var=False)
                        stat, p = float(res.statistic), float(res.pvalue)
                        assert math.isclose(stat, est / se, rel_tol=1e-9, abs_tol=1e-12), (stat, est / se)
                        assert math.isclose(df, float(res.df), rel_tol=1e-9), (df, res.df)
                        crit = float(stats.t.ppf(1.0 - args.alpha / 2.0, df))
                    row["df"] = float(df)
                    Yt, Yc = yt, yc
                else:  # two_proportion
                    Yt = (trt[field] > 0).astype(np.float64)
                    Yc = (ctl[field] > 0).astype(np.float64)
                    xt, xc = int(Yt.sum()), int(Yc.sum())
                    vt, vc = xt / nt, xc / nc
                    Vt, Vc = vt * (1.0 - vt) / nt, vc * (1.0 - vc) / nc
                    est = vt - vc
                    se = math.sqrt(Vt + Vc)
                    if se == 0.0:
                        stat, p = 0.0, 1.0
                    else:
                        zs, pv = proportions_ztest([xt, xc], [nt, nc])
                        stat, p = float(zs), float(pv)
                    crit = z_crit
                row["control"] = {"value": float(vc), "units": int(nc)}
                row["treatment"] = {"value": float(vt), "units": int(nt)}
                row["absolute"] = interval(est, se, crit)
                if vc != 0.0:
                    row["relative"] = relative(vt, vc, Vt, Vc, crit)
                row["statistic"] = float(stat)
                row["p_value"] = float(p)
                if args.covariate_key:
                    row["cuped"] = cuped(method, Yt, Yc, trt["x"], ctl["x"], vt, vc, z_crit, vc != 0.0)
                rows.append(row)

    if rows:
        pvals = np.array([r["p_value"] for r in rows], dtype=np.float64)
        adjusted = {m: multipletests(pvals, alpha=args.alpha, method=m)[1] for m in ("bonferroni", "holm", "fdr_bh")}
        for i, r in enumerate(rows):
            r["adjusted"] = {m: float(adjusted[m][i]) for m in adjusted}

    out = {
        "config": {"experiment_id": args.experiment, "control": args.control, "alpha": args.alpha,
                   "slice_key": args.slice_key, "covariate_key": args.covariate_key,
                   "multiple_comparisons": ["bonferroni", "holm", "fdr_bh"], "family": "all_rows"},
        "crossover_units": len(crossover),
        "crossover_exposures": crossover_exposures,
        "analysed_exposures": len(analysed),
        "srm": srm,
        "rows": rows,
    }
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        json.dump(out, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")
    print("%s: %d rows, %d analysed exposures, %d crossover units" % (args.out, len(rows), len(analysed), len(crossover)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write exposures/outcomes/assignments JSONL")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, required=True)
    r = sub.add_parser("reference", help="compute the expected analysis as JSON")
    r.add_argument("--data", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--experiment", default=EXPERIMENT)
    r.add_argument("--control", default="control")
    r.add_argument("--alpha", type=float, default=0.05)
    r.add_argument("--slice-key", default=None)
    r.add_argument("--covariate-key", default=None)
    args = ap.parse_args(argv)
    if args.cmd == "generate":
        generate(args.out, args.seed)
    else:
        reference(args)


if __name__ == "__main__":
    main()
