package io.cyclefleet.cycle;

/**
 * The spec examples of docs/cycles.md, shown in the OpenAPI document; {@code OpenApiTest} submits each one, so
 * a documented example that stops validating fails the build.
 */
public final class SpecExamples {

    private SpecExamples() {
    }

    public static final String DAG = """
            {"name": "hello",
             "steps": [
               {"key": "assess", "kind": "noop"},
               {"key": "test", "kind": "sleep", "dependsOn": ["assess"], "params": {"duration": "PT2S"}},
               {"key": "flaky", "kind": "fail", "dependsOn": ["assess"], "params": {"times": 2},
                "retry": {"maxAttempts": 3, "backoff": "PT1S"}}]}""";

    public static final String GATED = """
            {"name": "gated deploy",
             "steps": [
               {"key": "assess", "kind": "metric", "params": {"metrics": {"error_rate": 0.004}, "score": 9}},
               {"key": "test", "kind": "metric", "params": {"score": 8}},
               {"key": "deploy", "kind": "noop", "dependsOn": ["pre-deploy"]}],
             "gates": [{"key": "pre-deploy", "dependsOn": ["assess", "test"],
                        "conditions": [{"step": "assess", "metric": "error_rate", "op": "<=", "threshold": 0.01},
                                       {"aggregate": "averageScore", "op": ">=", "threshold": 8}]}]}""";

    public static final String ROLLBACK_DRILL = """
            {"template": "standard", "name": "rollback drill", "target": "checkout",
             "steps": [{"key": "assess", "kind": "metric", "params": {"score": 9}},
                       {"key": "test", "kind": "metric", "params": {"score": 9}},
                       {"key": "deploy", "kind": "noop"},
                       {"key": "verify", "kind": "fail", "params": {"times": 9}},
                       {"key": "report", "kind": "noop"}],
             "rollback": {"steps": [{"key": "rollback", "kind": "noop"}, {"key": "verify-rollback", "kind": "noop"}]}}""";

    public static final String STANDARD = """
            {"template": "standard", "name": "checkout 2.4.1", "target": "checkout", "deadline": "PT30M",
             "steps": [
               {"key": "assess", "params": {"http": [{"name": "home", "url": "http://checkout.shop.svc:8080/", "requests": 20}],
                                            "thresholds": [{"metric": "home.error_rate", "op": "<=", "threshold": 0.01},
                                                           {"metric": "home.p95_ms", "op": "<=", "threshold": 250}]}},
               {"key": "test", "params": {"suite": "checkout-e2e", "args": {"env": "staging"}}},
               {"key": "deploy", "params": {"adapter": "prod", "version": "2.4.1"}},
               {"key": "verify", "params": {
                   "rollout": {"adapter": "prod", "timeout": "PT10M"},
                   "analysis": [{"name": "error_rate",
                                 "provider": {"prometheus": {"url": "http://prometheus.monitoring:9090",
                                              "query": "sum(rate(http_requests_total{app=\\"checkout\\",code=~\\"5..\\"}[1m])) / sum(rate(http_requests_total{app=\\"checkout\\"}[1m]))"}},
                                 "interval": "PT30S", "count": 6, "successCondition": {"op": "<=", "threshold": 0.01},
                                 "failureLimit": 1}]}},
               {"key": "report", "params": {"title": "checkout 2.4.1"}}],
             "rollback": {"steps": [{"key": "verify-rollback", "params": {"rollout": {"adapter": "prod"}}}]}}""";

    public static final String APPROVAL_AND_ITERATION = """
            {"name": "tune cache", "maxAutoRisk": "low",
             "iterate": {"untilScore": 8, "maxIterations": 3, "delay": "PT10M"},
             "steps": [{"key": "assess", "kind": "metric", "params": {"score": 6}},
                       {"key": "apply", "kind": "noop", "risk": "high", "dependsOn": ["assess"]}]}""";
}
