import Reports

/// Small reports shaped like the ones `receval run` writes, with full-precision numbers (17
/// digits), a negative lift, OPE outliers and a `<script>` in log-supplied strings.
enum PageFixtures {
    static func parse(_ text: String) -> JSONValue {
        do { return try JSONValue.parse(text) } catch { fatalError("fixture: \(error)") }
    }

    static func test(_ metric: String, segment: String?, family: String, rel: (Double, Double, Double), p: Double, significant: Bool)
        -> String
    {
        let seg = segment.map { "\"segment\": \"\($0)\", " } ?? ""
        return """
            {"metric": "\(metric)", "variant": "candidate", \(seg)"method": "delta",
             "control": {"value": 0.06343113060963348, "units": 484}, "treatment": {"value": 0.07121296813862493, "units": 478},
             "absolute": {"estimate": 0.007781837528991448, "se": 0.004938664719800989, "lower": -0.001897767453537088, "upper": 0.017461442511519983},
             "relative": {"estimate": \(rel.0), "se": 0.0807627480701714, "lower": \(rel.1), "upper": \(rel.2)},
             "statistic": 1.5756966650906863, "p_value": \(p), "family": "\(family)", "adjusted_p_value": \(p), "significant": \(significant)}
            """
    }

    static func experiment(verdict: Bool, mode: String = "experiment") -> JSONValue {
        let tests = [
            test(
                "ctr", segment: nil, family: "primary", rel: (0.12268167781656403, -0.03561039969345367, 0.28097375532658175),
                p: 0.11509572638988771, significant: false),
            test(
                "clicks_per_user", segment: nil, family: "exploratory",
                rel: (-0.07123456789012345, -0.8112345678901234, 0.6712345678901234), p: 0.8412345678901234, significant: false),
            test(
                "ctr", segment: "surface=home|device=<script>", family: "exploratory", rel: (0.3312345678901234, -0.1, 0.9), p: 0.2,
                significant: false),
            test(
                "ctr", segment: "surface=|device=ios", family: "exploratory", rel: (-51.33, -60.1, -40.2), p: 1.5986012149542608e-45,
                significant: true),
            test("ctr", segment: "surface=cart|device=web", family: "exploratory", rel: (0.05, -0.2, 0.3), p: 0.7, significant: false),
        ]
        let verdictJSON =
            verdict
            ? """
            "verdict": {"action": "ship", "decided_by": "unit-level analysis of the primary metrics",
              "reasons": ["ctr +12.3% is significant after correction"],
              "control": {"variant": "control", "chosen_by": "config", "note": "control_variant in the config"},
              "srm": {"gating": "unit-level", "detected": false, "note": "request-level SRM is informational"},
              "notes": ["recsys-eval would decide hold on request-level numbers"]},
            """ : ""
        return parse(
            """
            {"run_id": "experiment-20261206T162131Z", "mode": "\(mode)", "created_at": "2026-12-06T16:21:31.02365111Z",
             "input_dataset_fingerprint": "4da171e498252e776fae9ca989d756753c91e24858ad021de9ada3f4846a9c03",
             \(verdictJSON)
             "effective_config": {"eval": {"experiment": {"experiment_id": "exp_1", "ci_level": 0.95}}},
             "summary": {"cases_evaluated": 19886, "executive": {"decision": "not_configured",
               "highlights": [{"name": "ctr", "value": 0.06343113060963348}]}},
             "experiment": {"experiment_id": "exp_1", "variants": [
               {"variant": "candidate", "exposures": 8945, "ctr": 0.07121296813862493, "revenue": 2275.45, "throughput_rps": 0.10354044663725631},
               {"variant": "control", "exposures": 10941, "ctr": 0.06343113060963348, "revenue": 94.42999999999999, "throughput_rps": null}],
               "significance": [{"metric": "ctr", "variant": "candidate", "p_value": 0.02892441887788877, "adjusted_p_value": 0.181360969922398, "significant": false}]},
             "experiment_units": {"unit": "user_id", "control_variant": "control", "ci_level": 0.95, "alpha": 0.05,
               "tests": [\(tests.joined(separator: ",\n"))],
               "srm": {"alpha": 0.001, "observed": {"candidate": 478, "control": 484}, "statistic": 0.037422037422037424,
                 "p_value": 0.8466083115020465, "detected": false},
               "guardrails": [{"metric": "latency_p95_ms", "variant": "candidate", "value": 91.5, "control": 90.8, "threshold": 400, "passed": true},
                 {"metric": "error_rate", "variant": "candidate", "value": 0.004918949133594187, "control": 0.004012345678901234, "passed": false}],
               "decision": {"action": "inconclusive", "reasons": ["ctr +0.007782 (95% CI -0.001898 to 0.01746, adjusted p = 0.1151) is not significant at alpha 0.05"]}},
             "aa_check": {"metrics": [{"metric": "ctr", "by_segment": false, "counts": {"0.05": 1, "0.01": 0}}], "thresholds": [0.05, 0.01],
               "total_tests": 4, "uniformish": true},
             "aa_check_units": {"total_tests": 8, "counts": {"0.05": 0, "0.01": 0}, "uniformish": false},
             "data_quality": {"join_integrity": {"exposure_count": 19959, "exposure_join_rate": 0.050904353925547374, "empty": ""}},
             "warnings": ["x & <y> 12 users"]}
            """)
    }

    static let ope = parse(opeText)

    static let opeText =
        """
        {"run_id": "ope-20261206T162131Z", "mode": "ope", "created_at": "2026-12-06T16:21:31.221296966Z",
         "summary": {"cases_evaluated": 300035, "executive": {"decision": "not_configured"}},
         "ope": {"unit": "item", "estimators": [{"name": "ips", "value": 0.004211437960827728, "variance": 0.006603582252609446},
           {"name": "dr", "value": -0.5001856725626942, "variance": 0.6855969695497289}],
           "weight_stats": {"count": 300035, "mean": 4.069473503517392, "effective_sample_size": 183517.50147682746}},
         "ope_analysis": {"reward": "click", "ci_level": 0.95, "requests": 19935,
           "estimators": [
             {"name": "ips", "family": "item_position", "value": 0.07170636434592603, "value_per_slot": 0.004770135059352065,
              "absolute": {"estimate": 0.07170636434592603, "lower": 0.06615016317678382, "upper": 0.07726256551506824}},
             {"name": "snips", "family": "item_position", "value": 0.01645238768663864, "value_per_slot": 0.0010944650733578296,
              "absolute": {"estimate": 0.01645238768663864, "lower": 0.015176735315758355, "upper": 0.017728040057518924}},
             {"name": "dr", "family": "item_position", "value": 0.046483100274672645, "value_per_slot": 0.0030922034370327285,
              "absolute": {"estimate": 0.046483100274672645, "lower": 0.04114508206282314, "upper": 0.05182111848652215}},
             {"name": "neg", "family": "item_position", "value": -0.0123456789012345,
              "absolute": {"estimate": -0.0123456789012345, "lower": -0.0223456789012345, "upper": -0.0023456789012345}},
             {"name": "rips", "family": "slate", "value": 7615914.892980588,
              "absolute": {"estimate": 7615914.892980588, "lower": -6966895.070558115, "upper": 22198724.85651929}},
             {"name": "sips", "family": "slate", "value": 20624141448.671112,
              "absolute": {"estimate": 20624141448.671112, "lower": -2759550532.351269, "upper": 44007833429.6935}},
             {"name": "logging_policy", "family": "reference", "value": 0.043495710037017445,
              "absolute": {"estimate": 0.043495710037017445, "lower": 0.040531175423497545, "upper": 0.046460244650537344}}],
           "diagnostics": {"requests": 19935, "weight_mean": 4.35841688827704, "effective_sample_size": 1656.1391773721,
             "ess_share": 0.05527952053170891, "max_weight": 31.8815331010453, "support_violations": 0},
           "by_segment": [{"segment": "surface=home", "estimators": [{"name": "dr", "value": 0.05783557229104459,
             "absolute": {"estimate": 0.05783557229104459, "lower": 0.04241631588992132, "upper": 0.07325482869216787}}]},
             {"segment": "surface=", "estimators": [{"name": "dr", "value": -0.013228496750754706}]}]},
         "warnings": []}
        """

    static let offline = parse(
        """
        {"run_id": "offline-20261206T162130Z", "mode": "offline", "created_at": "2026-12-06T16:21:30.905533374Z",
         "summary": {"cases_evaluated": 19935, "executive": {"decision": "fail",
           "gate_failures": [{"metric": "precision@10", "max_drop": 0, "delta": -0.0012345678901234567, "passed": false}],
           "key_deltas": [{"name": "precision@10", "delta": -0.0012345678901234567, "before": 0.007514979226968, "after": 0.006280411336844745}]}},
         "offline": {"metrics": [{"name": "precision@10", "value": 0.006280411336844745, "ci": {"lower": 0.0051234567890123, "upper": 0.0071234567890123, "level": 0.95}},
           {"name": "ndcg@10", "value": 0.03485347386510773}],
           "by_segment": {"surface=": [{"name": "precision@10", "value": 0.00562691131498471}, {"name": "ndcg@10", "value": 0.03455418878069251}],
             "surface=<b>cart</b>": [{"name": "precision@10", "value": 0.005775922059846904}, {"name": "ndcg@10", "value": 0.02861003321382841}]}},
         "gates": [{"metric": "precision@10", "max_drop": 0, "delta": -0.0012345678901234567, "passed": false}],
         "data_quality": {"exposure_completeness": {"total": 19959, "missing": 0, "missing_rate": 0}}}
        """)

    static let interleaving = parse(
        """
        {"run_id": "interleave-20261206T162444Z", "mode": "interleaving",
         "interleaving": {"algorithm": "balanced", "ranker_a": "A", "ranker_b": "B", "requests": 1234567, "wins_a": 400, "wins_b": 612, "ties": 222,
           "win_rate_a": 0.3952569169960474, "p_value": 0.00001234},
         "interleaving_analysis": {"team_a": "A", "team_b": "B", "requests": 1234567, "wins_a": 400, "wins_b": 612, "ties": 222,
           "delta_ab": 0.17183462532299743, "sign_test_p": 0.00001234, "preferred": "B",
           "delta_ab_ci": {"lower": 0.1123456789012345, "upper": 0.2323456789012345, "level": 0.95}}}
        """)

    static var all: [(String, JSONValue)] {
        [
            ("experiment+verdict", experiment(verdict: true)), ("experiment", experiment(verdict: false)),
            ("aa-check", experiment(verdict: false, mode: "aa-check")), ("ope", ope), ("offline", offline), ("interleaving", interleaving),
        ]
    }
}
