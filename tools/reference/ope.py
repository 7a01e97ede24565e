#!/usr/bin/env python3
"""Reference fixtures for an off-policy-evaluation (OPE) engine, computed with
the real Open Bandit Pipeline (obp, st-tech/zr-obp).

Produces two fixture folders in OUT_DIR (default: the folder given as the first
argument, else Tests/EvaluationTests/Fixtures/ope-obp):

  obd/    real logged bandit feedback: first N_OBD rounds of the small Open
          Bandit Dataset sample bundled in obp (random behaviour policy,
          campaign "all"); one exposure with one item per round.
  slate/  synthetic 3-position slates with factorised (product) logging and
          evaluation policies, so per-item, joint and cascade propensities
          are all exact.

Each folder holds exposures.jsonl, outcomes.jsonl and expected.json.  All
floats are Python floats serialised by json.dumps (repr, full precision).
A cross-check of obp's numbers against plain-numpy formulas is written to
crosscheck.json (outside the fixture folders).

Environment used: Python 3.10 venv (obp 0.5.x declares python <3.11) with
obp 0.5.7, numpy 1.23.5, scikit-learn 1.1.3, pandas 1.5.2, matplotlib <3.8
(seaborn 0.11 breaks with matplotlib >=3.9 on `import obp`).

Run:  python3.10 tools/reference/ope.py [OUT_DIR]   (in a venv with obp 0.5.7)
Everything is deterministic (fixed seeds).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

import obp
from obp.dataset import OpenBanditDataset
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    RegressionModel,
    SelfNormalizedDoublyRobust,
    SelfNormalizedInverseProbabilityWeighting,
    SlateIndependentIPS,
    SlateRewardInteractionIPS,
    SlateStandardIPS,
    SwitchDoublyRobust,
)
from obp.policy import BernoulliTS

logging.getLogger("obp").setLevel(logging.WARNING)

OUT_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "EvaluationTests", "Fixtures", "ope-obp")
BASE_TS = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)

# ---- OBD fixture parameters -------------------------------------------------
N_OBD = 2000            # first N rounds of the bundled 10,000-round sample
SEED = 12345            # BernoulliTS, LogisticRegression, KFold
N_SIM = 100_000         # Monte-Carlo draws for BernoulliTS action_dist
N_FOLDS = 3             # cross-fitting folds of the reward model
LAMBDA = 5.0            # clipping threshold of clipped IPS
TAU = 5.0               # switching threshold of Switch-DR

# ---- slate fixture parameters -----------------------------------------------
N_SLATES = 900
K = 3                   # positions
N_ITEMS = 5             # disjoint pool of 5 items per position
SLATE_SEED = 7
TEMP_E = 1.5            # evaluation policy: softmax(TEMP_E * z + bias_k)


def ts(i: int) -> str:
    """RFC 3339 UTC timestamp: 2025-01-01T00:00:00Z plus i seconds."""
    return (BASE_TS + dt.timedelta(seconds=int(i))).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj) -> str:
    # allow_nan=False: fail loudly rather than write NaN/Infinity
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def write_jsonl(path: str, rows) -> None:
    with open(path, "w") as f:
        for r in rows:
            f.write(dumps(r) + "\n")


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        f.write(json.dumps(obj, indent=2, allow_nan=False) + "\n")


def f(x) -> float:
    """numpy scalar -> Python float (json.dumps then writes repr)."""
    return float(x)


# =============================================================================
# Fixture 1: Open Bandit Dataset sample
# =============================================================================
def build_obd() -> dict:
    out = os.path.join(OUT_DIR, "obd")
    os.makedirs(out, exist_ok=True)

    # Bundled sample: data_path=None -> obp/dataset/obd/random/all/all.csv
    dataset = OpenBanditDataset(behavior_policy="random", campaign="all")
    bf = dataset.obtain_batch_bandit_feedback()
    n = N_OBD
    action = bf["action"][:n]
    position = bf["position"][:n]          # 0-based
    reward = bf["reward"][:n]
    pscore = bf["pscore"][:n]

    # Evaluation policy: Bernoulli TS with the ZOZOTOWN production prior.
    # Context-free, so action_dist is the same for every round (tiled).
    bts = BernoulliTS(
        n_actions=dataset.n_actions,
        len_list=dataset.len_list,
        is_zozotown_prior=True,
        campaign="all",
        random_state=SEED,
    )
    action_dist = bts.compute_batch_action_dist(n_sim=N_SIM, n_rounds=n)

    # Reward model: obp RegressionModel fits one LogisticRegression per
    # position.  The first 2,000 rounds contain only 5 clicks (4/1/0 by
    # position), so a per-position logistic model cannot be fit on them
    # (sklearn: "needs samples of at least 2 classes" at position 3).
    # Deviation: cross-fit (n_folds=3) on ALL 10,000 bundled rounds (38 clicks,
    # 13/14/11 by position) and keep the out-of-fold predictions of the first
    # 2,000 rounds.  Each round's q is still predicted by a model not trained
    # on that round.
    reg = RegressionModel(
        n_actions=dataset.n_actions,
        len_list=dataset.len_list,
        base_model=LogisticRegression(max_iter=1000, random_state=SEED),
        action_context=dataset.action_context,
    )
    q = reg.fit_predict(
        context=bf["context"],
        action=bf["action"],
        reward=bf["reward"],
        position=bf["position"],
        pscore=bf["pscore"],
        n_folds=N_FOLDS,
        random_state=SEED,
    )[:n]
    assert action_dist.shape == q.shape == (n, dataset.n_actions, dataset.len_list)

    rows = np.arange(n)
    pi_e = action_dist[rows, action, position]
    q_fact = q[rows, action, position]
    # d_i = sum_a pi_e(a | pos_i) q(a, pos_i)
    d = (action_dist[rows, :, position] * q[rows, :, position]).sum(axis=1)

    # ---- JSONL ----------------------------------------------------------
    exposures, outcomes = [], []
    for i in range(n):
        rid, uid, item = f"r{i:05d}", f"u{i:05d}", f"a{int(action[i])}"
        exposures.append({
            "request_id": rid, "user_id": uid, "ts": ts(i),
            "items": [{
                "item_id": item,
                "rank": int(position[i]) + 1,
                "logging_propensity": f(pscore[i]),
                "target_propensity": f(pi_e[i]),
                "reward_estimate": f(q_fact[i]),
                "target_reward_estimate": f(d[i]),
            }],
        })
        if reward[i] == 1:
            outcomes.append({"request_id": rid, "user_id": uid, "item_id": item,
                             "event_type": "click", "value": 1, "ts": ts(i)})
    write_jsonl(os.path.join(out, "exposures.jsonl"), exposures)
    write_jsonl(os.path.join(out, "outcomes.jsonl"), outcomes)

    # ---- obp estimators ---------------------------------------------------
    kw = dict(reward=reward, action=action, position=position, pscore=pscore,
              action_dist=action_dist, estimated_rewards_by_reg_model=q)
    estimators = {
        "ips": InverseProbabilityWeighting(),                 # lambda_=inf
        "snips": SelfNormalizedInverseProbabilityWeighting(),
        "clipped_ips": InverseProbabilityWeighting(lambda_=LAMBDA),
        "dm": DirectMethod(),
        "dr": DoublyRobust(),
        "sndr": SelfNormalizedDoublyRobust(),
        "switch_dr": SwitchDoublyRobust(lambda_=TAU),
    }
    estimates = {k: f(e.estimate_policy_value(**kw)) for k, e in estimators.items()}
    # per-round terms of the plain-mean estimators via obp's own method
    round_terms = {k: estimators[k]._estimate_round_rewards(**kw)
                   for k in ("ips", "clipped_ips", "dm", "dr", "switch_dr")}
    round_std = {k: f(np.std(v, ddof=1)) for k, v in round_terms.items()}

    w = pi_e / pscore
    weights = {
        "sum": f(w.sum()),
        "mean": f(w.mean()),
        "max": f(w.max()),
        "ess": f(w.sum() ** 2 / (w ** 2).sum()),
        "share_above_lambda": f((w > LAMBDA).mean()),
    }
    expected = {
        "source": (
            f"Open Bandit Dataset small sample bundled in obp {obp.__version__} "
            f"(behavior_policy=random, campaign=all), first {n} rounds; evaluation "
            f"policy BernoulliTS(is_zozotown_prior=True, campaign=all, random_state={SEED}) "
            f"compute_batch_action_dist(n_sim={N_SIM}); reward model obp RegressionModel("
            f"LogisticRegression(max_iter=1000, random_state={SEED}), action_context) "
            f"fit_predict(n_folds={N_FOLDS}, random_state={SEED}) on all "
            f"{dataset.n_rounds} bundled rounds, out-of-fold predictions of the first "
            f"{n} rounds kept (the first {n} rounds alone have no click at position 3); "
            f"estimates from obp.ope"
        ),
        "obp_version": obp.__version__,
        "rounds": int(n),
        "lambda": LAMBDA,
        "tau": TAU,
        "estimates": estimates,
        "round_std": round_std,
        "weights": weights,
    }
    write_json(os.path.join(out, "expected.json"), expected)

    # ---- numpy cross-check of obp against the textbook formulas -----------
    mw = w.mean()
    ref_terms = {
        "ips": w * reward,
        "clipped_ips": np.minimum(w, LAMBDA) * reward,
        "dm": d,
        "dr": d + w * (reward - q_fact),
        "sndr": d + w * (reward - q_fact) / mw,
        "switch_dr": d + (w <= TAU) * w * (reward - q_fact),
    }
    ref = {k: f(v.mean()) for k, v in ref_terms.items()}
    ref["snips"] = f((w * reward).sum() / w.sum())
    check = {
        "estimate_abs_diff": {k: abs(ref[k] - estimates[k]) for k in estimates},
        "round_term_max_abs_diff": {
            k: f(np.abs(round_terms[k] - ref_terms[k]).max()) for k in round_terms},
        "clicks": int(reward.sum()),
        "action_dist_pos_sum_minus_1_max_abs": f(np.abs(action_dist[0].sum(axis=0) - 1).max()),
        "rounds_w_gt_lambda": int((w > LAMBDA).sum()),
        "rounds_w_gt_tau": int((w > TAU).sum()),
        "clicks_w_gt_lambda": int(((w > LAMBDA) & (reward == 1)).sum()),
        "q_fact_range": [f(q_fact.min()), f(q_fact.max())],
        "unique_w_values": int(np.unique(w).size),
        "w_of_clicked_rounds": [f(x) for x in w[reward == 1]],
    }
    # With LAMBDA = TAU = 5 no clicked round has w > 5, so clipped IPS == IPS
    # here.  For engines that want to test the clipping / switching semantics,
    # obp values at smaller thresholds (NOT part of expected.json):
    check["threshold_grid"] = {
        str(t): {
            "clipped_ips": f(InverseProbabilityWeighting(lambda_=t).estimate_policy_value(**kw)),
            "clipped_dr": f(DoublyRobust(lambda_=t).estimate_policy_value(**kw)),
            "switch_dr": f(SwitchDoublyRobust(lambda_=t).estimate_policy_value(**kw)),
            "ips_weights_zeroed_above": f((np.where(w <= t, w, 0.0) * reward).mean()),
        }
        for t in (0.5, 1.0, 2.0, 5.0)
    }
    return {"expected": expected, "check": check}


# =============================================================================
# Fixture 2: synthetic factorised slates
# =============================================================================
def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def build_slate() -> dict:
    out = os.path.join(OUT_DIR, "slate")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SLATE_SEED)

    # Fixed structure (drawn first): per-position item bias of the evaluation
    # policy and true click probabilities q[k, j] = attractiveness * decay_k.
    bias = rng.normal(0.0, 0.5, size=(K, N_ITEMS))
    attract = rng.uniform(0.05, 0.40, size=(K, N_ITEMS))
    decay = np.array([1.0, 0.75, 0.5])
    q_true = attract * decay[:, None]

    # Per-request random logits; logging pi_0 = softmax(z),
    # evaluation pi_e = softmax(TEMP_E * z + bias_k).  Independent per position.
    z = rng.normal(0.0, 1.0, size=(N_SLATES, K, N_ITEMS))
    pi0 = softmax(z)
    pie = softmax(TEMP_E * z + bias[None, :, :])

    # Draw item at each position from pi_0 (inverse CDF on uniforms), then a
    # Bernoulli click with the true item/position click probability.
    u_item = rng.uniform(size=(N_SLATES, K))
    cdf = np.cumsum(pi0, axis=2)
    cdf[:, :, -1] = 1.0
    item = (u_item[:, :, None] > cdf).sum(axis=2)          # (N, K) in 0..4
    u_click = rng.uniform(size=(N_SLATES, K))
    ii, kk = np.meshgrid(np.arange(N_SLATES), np.arange(K), indexing="ij")
    p_click = q_true[kk, item]
    reward = (u_click < p_click).astype(int)

    p0 = pi0[ii, kk, item]                                   # logging marginals
    pe = pie[ii, kk, item]                                   # target marginals
    d = (pie * q_true[None, :, :]).sum(axis=2)               # sum_a pi_e(a,k) q(a,k)

    # ---- JSONL ------------------------------------------------------------
    exposures, outcomes = [], []
    for i in range(N_SLATES):
        rid, uid = f"s{i:05d}", f"v{i // 3:05d}"
        items = []
        for k in range(K):
            iid = f"p{k}_i{int(item[i, k])}"
            items.append({
                "item_id": iid,
                "rank": k + 1,
                "logging_propensity": f(p0[i, k]),
                "target_propensity": f(pe[i, k]),
                "reward_estimate": f(q_true[k, item[i, k]]),
                "target_reward_estimate": f(d[i, k]),
            })
            if reward[i, k] == 1:
                outcomes.append({"request_id": rid, "user_id": uid, "item_id": iid,
                                 "event_type": "click", "value": 1, "ts": ts(i)})
        exposures.append({"request_id": rid, "user_id": uid, "ts": ts(i), "items": items})
    write_jsonl(os.path.join(out, "exposures.jsonl"), exposures)
    write_jsonl(os.path.join(out, "outcomes.jsonl"), outcomes)

    # ---- obp slate estimators (long format: one row per slate x position) --
    slate_id = np.repeat(np.arange(N_SLATES), K)
    position = np.tile(np.arange(K), N_SLATES)
    r_flat = reward.reshape(-1)
    joint0 = np.repeat(p0.prod(axis=1), K)                   # product over positions
    jointe = np.repeat(pe.prod(axis=1), K)
    casc0 = np.cumprod(p0, axis=1).reshape(-1)               # product over 1..k
    casce = np.cumprod(pe, axis=1).reshape(-1)
    marg0 = p0.reshape(-1)
    marge = pe.reshape(-1)

    sips = SlateStandardIPS(len_list=K).estimate_policy_value(
        slate_id=slate_id, reward=r_flat, position=position,
        pscore=joint0, evaluation_policy_pscore=jointe)
    iips = SlateIndependentIPS(len_list=K).estimate_policy_value(
        slate_id=slate_id, reward=r_flat, position=position,
        pscore_item_position=marg0, evaluation_policy_pscore_item_position=marge)
    rips = SlateRewardInteractionIPS(len_list=K).estimate_policy_value(
        slate_id=slate_id, reward=r_flat, position=position,
        pscore_cascade=casc0, evaluation_policy_pscore_cascade=casce)

    # numpy: pseudo-inverse (Swaminathan et al. 2017) for product logging
    w = pe / p0                                              # (N, K)
    pi_terms = (w.sum(axis=1) - (K - 1)) * reward.sum(axis=1)
    pseudo_inverse = pi_terms.mean()
    # numpy: item-position IPS, mean over slates of sum_k w_k r_k
    iips_np = (w * reward).sum(axis=1).mean()
    sips_np = (w.prod(axis=1) * reward.sum(axis=1)).mean()
    rips_np = (np.cumprod(w, axis=1) * reward).sum(axis=1).mean()

    n_users = len({i // 3 for i in range(N_SLATES)})
    expected = {
        "source": (
            "synthetic (numpy default_rng(7)); 3 positions x 5 disjoint items; "
            "logging pi_0 = softmax(z), evaluation pi_e = softmax(1.5 z + b_k), "
            "z ~ N(0,1) per request/position, independent across positions; "
            f"Bernoulli clicks with true q(item, position); estimates from obp {obp.__version__} "
            "SlateStandardIPS/SlateIndependentIPS/SlateRewardInteractionIPS; "
            "pseudo_inverse via numpy"
        ),
        "obp_version": obp.__version__,
        "slates": int(N_SLATES),
        "estimates": {
            "sips": f(sips),
            "iips": f(iips),
            "rips": f(rips),
            "pseudo_inverse": f(pseudo_inverse),
        },
        "user_level": {"users": int(n_users)},
    }
    write_json(os.path.join(out, "expected.json"), expected)

    # Ground truth (not in the fixture contract): true value of pi_e
    true_value = (pie * q_true[None]).sum(axis=2).sum(axis=1).mean()
    check = {
        "iips_obp_minus_numpy": f(iips - iips_np),
        "sips_obp_minus_numpy": f(sips - sips_np),
        "rips_obp_minus_numpy": f(rips - rips_np),
        "clicks": int(reward.sum()),
        "logged_value_per_slate": f(reward.sum(axis=1).mean()),
        "true_target_value_per_slate": f(true_value),
        "w_item_max": f(w.max()),
        "w_joint_max": f(w.prod(axis=1).max()),
    }
    return {"expected": expected, "check": check}


def main() -> None:
    res_obd = build_obd()
    res_slate = build_slate()
    cross = {
        "obp_version": obp.__version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "obd": res_obd["check"],
        "slate": res_slate["check"],
    }
    write_json(os.path.join(OUT_DIR, "crosscheck.json"), cross)

    # hard sanity checks
    assert abs(cross["slate"]["iips_obp_minus_numpy"]) < 1e-12
    assert abs(cross["slate"]["sips_obp_minus_numpy"]) < 1e-12
    assert abs(cross["slate"]["rips_obp_minus_numpy"]) < 1e-12
    for k, v in res_obd["check"]["estimate_abs_diff"].items():
        assert v < 1e-12, (k, v)

    print(json.dumps({"obd": res_obd["expected"], "slate": res_slate["expected"],
                      "crosscheck": cross}, indent=2))


if __name__ == "__main__":
    main()
