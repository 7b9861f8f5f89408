package io.cyclefleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cyclefleet.testing.RequiredTools;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The monitoring in k8s/monitoring: promtool's checks and unit tests of the alert rules (when promtool is
 * installed), and without promtool: the PrometheusRule carries the same groups, every alert is complete and has
 * its runbook section in docs/operations.md, rules and dashboard use only the metrics of the contract in
 * docs/architecture.md, the dashboard is well formed, the kustomization ships both. Plain JUnit: no Quarkus, no
 * database.
 */
class MonitoringRulesTest {

    /** The tests run in orchestrator/; everything here is read relative to the repository root. */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path MONITORING = ROOT.resolve("k8s/monitoring");
    static final Path RULES = MONITORING.resolve("cyclefleet-alerts.yml");
    static final Path RULE_TESTS = MONITORING.resolve("cyclefleet-alerts.test.yml");
    static final Path PROMETHEUS_RULE = MONITORING.resolve("prometheus-rule.yaml");
    static final Path DASHBOARD = MONITORING.resolve("grafana-dashboard.json");
    static final Path KUSTOMIZATION = MONITORING.resolve("kustomization.yaml");
    static final Path OPERATIONS = ROOT.resolve("docs/operations.md");
    static final Path ARCHITECTURE = ROOT.resolve("docs/architecture.md");

    static final String RUNBOOK_BASE = "https://github.com/cyclefleet/cyclefleet/blob/main/docs/operations.md";
    static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");
    static final Set<String> HISTOGRAM_SUFFIXES = Set.of("_bucket", "_sum", "_count");

    /**
     * The metrics contract (docs/architecture.md, "Metrics"), by name and type. Written out because the table
     * abbreviates a row (`cyclefleet_worker_in_flight` / `_concurrency` / `_draining`);
     * {@link #theContractHereIsTheTableOfArchitectureMd()} ties this list to the table both ways.
     */
    static final Map<String, String> CONTRACT = contract(
            "cyclefleet_tasks_enqueued_total", "counter",
            "cyclefleet_tasks_started_total", "counter",
            "cyclefleet_tasks_completed_total", "counter",
            "cyclefleet_task_retries_total", "counter",
            "cyclefleet_tasks_handed_back_total", "counter",
            "cyclefleet_results_rejected_total", "counter",
            "cyclefleet_deliveries_rejected_total", "counter",
            "cyclefleet_task_duration_seconds", "histogram",
            "cyclefleet_task_queue_wait_seconds", "histogram",
            "cyclefleet_worker_in_flight", "gauge",
            "cyclefleet_worker_concurrency", "gauge",
            "cyclefleet_worker_draining", "gauge",
            "cyclefleet_worker_hung_tasks", "gauge",
            "cyclefleet_worker_fetch_failures_total", "counter",
            "cyclefleet_task_redeliveries_total", "counter",
            "cyclefleet_reconciler_repairs_total", "counter",
            "cyclefleet_retention_deleted_total", "counter",
            "cyclefleet_cycles_submitted_total", "counter",
            "cyclefleet_cycles_finished_total", "counter",
            "cyclefleet_rollbacks_total", "counter",
            "cyclefleet_mttr_seconds", "histogram",
            "cyclefleet_notifications_total", "counter",
            "cyclefleet_queue_depth", "gauge",
            "cyclefleet_queue_running", "gauge",
            "cyclefleet_queue_backlog_age_seconds", "gauge",
            "cyclefleet_cycles_active", "gauge",
            "cyclefleet_incidents_open", "gauge",
            "cyclefleet_deployments_last_24h", "gauge",
            "cyclefleet_deployment_success_ratio", "gauge",
            "cyclefleet_workers_live", "gauge",
            "cyclefleet_workers_draining", "gauge",
            "cyclefleet_notifications_pending", "gauge",
            "cyclefleet_fleet_sampled_timestamp_seconds", "gauge");

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    // --- promtool ---------------------------------------------------------------------------------------------

    @Test
    void promtoolAcceptsTheRuleFile() throws Exception {
        String promtool = promtoolOrSkip();
        Run run = run(promtool, "check", "rules", ROOT.relativize(RULES).toString());
        assertEquals(0, run.exit(), "promtool check rules failed:\n" + run.output());
    }

    @Test
    void promtoolUnitTestsOfTheAlertsPass() throws Exception {
        String promtool = promtoolOrSkip();
        Run run = run(promtool, "test", "rules", ROOT.relativize(RULE_TESTS).toString());
        assertEquals(0, run.exit(), "promtool test rules failed:\n" + run.output());
    }

    // --- the two copies of the rules --------------------------------------------------------------------------

    @Test
    void thePrometheusRuleCarriesExactlyTheGroupsOfThePlainRuleFile() throws IOException {
        JsonNode plain = YAML.readTree(RULES.toFile());
        JsonNode wrapped = YAML.readTree(PROMETHEUS_RULE.toFile());
        assertEquals("monitoring.coreos.com/v1", wrapped.path("apiVersion").asText(), "apiVersion");
        assertEquals("PrometheusRule", wrapped.path("kind").asText(), "kind");
        assertEquals("cyclefleet", wrapped.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText(),
                "metadata.labels[app.kubernetes.io/part-of]");
        assertTrue(plain.path("groups").size() > 0, "cyclefleet-alerts.yml has no groups");
        assertEquals(plain.path("groups"), wrapped.path("spec").path("groups"),
                "prometheus-rule.yaml's spec.groups differ from cyclefleet-alerts.yml's groups: run "
                        + "k8s/monitoring/sync-prometheus-rule.sh");
    }

    // --- alerts and their runbook -----------------------------------------------------------------------------

    @Test
    void everyAlertHasForSeveritySummaryDescriptionAndARunbookSection() throws IOException {
        Map<String, String> sections = alertSections();
        List<String> problems = new ArrayList<>();
        List<JsonNode> alerts = alerts();
        assertTrue(alerts.size() >= 15, "only " + alerts.size() + " alerts in " + RULES);
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode alert : alerts) {
            String name = alert.path("alert").asText();
            if (!names.add(name)) {
                problems.add(name + ": defined twice");
            }
            if (!name.matches("Cyclefleet[A-Z][A-Za-z0-9]+")) {
                problems.add(name + ": alert names are CyclefleetXyz");
            }
            if (alert.path("for").asText().isBlank()) {
                problems.add(name + ": no 'for'");
            }
            String severity = alert.path("labels").path("severity").asText();
            if (!SEVERITIES.contains(severity)) {
                problems.add(name + ": labels.severity '" + severity + "' is not one of " + SEVERITIES);
            }
            JsonNode annotations = alert.path("annotations");
            if (annotations.path("summary").asText().isBlank()) {
                problems.add(name + ": no annotations.summary");
            }
            String description = annotations.path("description").asText();
            if (!description.contains("$value") && !description.contains("$labels")) {
                problems.add(name + ": annotations.description shows neither {{ $value }} nor {{ $labels }}");
            }
            String url = annotations.path("runbook_url").asText();
            String expected = RUNBOOK_BASE + "#" + githubAnchor(name);
            if (!url.equals(expected)) {
                problems.add(name + ": runbook_url is '" + url + "', expected '" + expected + "'");
            }
            String anchor = url.contains("#") ? url.substring(url.indexOf('#') + 1) : "";
            if (!name.equals(sections.get(anchor))) {
                problems.add(name + ": docs/operations.md has no '### " + name + "' under '## Alerts' for #" + anchor);
            }
        }
        for (String section : sections.values()) {
            if (section.startsWith("Cyclefleet") && !names.contains(section)) {
                problems.add("docs/operations.md: '### " + section + "' describes no alert in " + RULES.getFileName());
            }
        }
        assertEquals(List.of(), problems, "alerts and their runbook sections");
    }

    // --- metric names -----------------------------------------------------------------------------------------

    @Test
    void theContractHereIsTheTableOfArchitectureMd() throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> documented = new LinkedHashSet<>();
        List<List<String>> rows = metricsTableRows();
        assertTrue(rows.size() >= 20, "found only " + rows.size() + " rows in the Metrics table of " + ARCHITECTURE);
        Pattern code = Pattern.compile("`([A-Za-z_][A-Za-z0-9_]*)`");
        for (List<String> row : rows) {
            String type = row.get(1).trim();
            Matcher m = code.matcher(row.get(0));
            String first = null;
            while (m.find()) {
                String token = m.group(1);
                String name;
                if (token.startsWith("cyclefleet_")) {
                    name = token;
                    first = first == null ? token : first;
                } else if (token.startsWith("_") && first != null) {
                    // `_concurrency` after `cyclefleet_worker_in_flight`: a contract name ending in it whose stem
                    // begins the row's first name (cyclefleet_worker + _concurrency).
                    String prefix = first;
                    name = CONTRACT.keySet().stream()
                            .filter(n -> n.endsWith(token) && prefix.startsWith(n.substring(0, n.length() - token.length())))
                            .findFirst().orElse(null);
                    if (name == null) {
                        problems.add("architecture.md: `" + token + "` (after `" + first + "`) matches no name listed here");
                        continue;
                    }
                } else {
                    problems.add("architecture.md: unexpected name `" + token + "` in the metric column");
                    continue;
                }
                documented.add(name);
                if (!CONTRACT.containsKey(name)) {
                    problems.add("architecture.md lists `" + name + "` (" + type + "), which this test does not: add it to CONTRACT");
                } else if (!CONTRACT.get(name).equals(type)) {
                    problems.add("`" + name + "` is a " + type + " in architecture.md but a " + CONTRACT.get(name) + " here");
                }
            }
        }
        for (String name : CONTRACT.keySet()) {
            if (!documented.contains(name)) {
                problems.add("`" + name + "` is listed here but not in architecture.md's Metrics table");
            }
        }
        assertEquals(List.of(), problems, "the metrics contract");
    }

    @Test
    void rulesAndDashboardUseOnlyTheContractsMetricsAndRecordedSeriesThatExist() throws IOException {
        Map<String, String> exprs = new LinkedHashMap<>();
        Set<String> recorded = new LinkedHashSet<>();
        for (JsonNode group : YAML.readTree(RULES.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.has("alert") ? "alert " + rule.path("alert").asText() : "record " + rule.path("record").asText();
                if (rule.has("record")) {
                    recorded.add(rule.path("record").asText());
                }
                exprs.put(name, rule.path("expr").asText());
            }
        }
        for (JsonNode panel : panels(JSON.readTree(DASHBOARD.toFile()))) {
            int i = 0;
            for (JsonNode target : panel.path("targets")) {
                exprs.put("dashboard panel '" + panel.path("title").asText() + "' target " + i++, target.path("expr").asText());
            }
        }
        List<String> problems = new ArrayList<>();
        int cyclefleetNames = 0;
        for (Map.Entry<String, String> e : exprs.entrySet()) {
            for (String token : identifiers(e.getValue())) {
                if (token.contains(":")) {
                    if (!recorded.contains(token)) {
                        problems.add(e.getKey() + ": uses " + token + ", which no recording rule defines");
                    }
                } else if (token.startsWith("cyclefleet_")) {
                    cyclefleetNames++;
                    if (!inContract(token)) {
                        problems.add(e.getKey() + ": " + token + " is not in the metrics contract (docs/architecture.md#metrics)");
                    }
                }
            }
        }
        assertTrue(cyclefleetNames > 50, "found only " + cyclefleetNames + " cyclefleet_* names in the expressions");
        assertEquals(List.of(), problems, "metric names in the rules and the dashboard");
    }

    // --- dashboard and kustomization --------------------------------------------------------------------------

    @Test
    void theDashboardParsesAndEveryPanelHasADatasourceAndTargets() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        List<String> problems = new ArrayList<>();
        if (dashboard.path("schemaVersion").asInt() < 36) {
            problems.add("schemaVersion " + dashboard.path("schemaVersion") + " is older than Grafana 9");
        }
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        dashboard.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
        JsonNode datasource = variables.get("datasource");
        if (datasource == null || !"datasource".equals(datasource.path("type").asText())
                || !"prometheus".equals(datasource.path("query").asText())) {
            problems.add("no 'datasource' variable of type datasource querying prometheus");
        }
        for (String name : List.of("queue", "kind")) {
            JsonNode v = variables.get(name);
            String definition = v == null ? "" : v.path("definition").asText();
            if (!definition.startsWith("label_values(") || !definition.contains(", " + name + ")")) {
                problems.add("no '" + name + "' variable from label_values(..., " + name + ")");
            }
        }
        List<JsonNode> panels = panels(dashboard);
        if (panels.size() < 20) {
            problems.add("only " + panels.size() + " panels");
        }
        Set<Integer> ids = new LinkedHashSet<>();
        for (JsonNode panel : allPanels(dashboard)) {
            if (!ids.add(panel.path("id").asInt())) {
                problems.add("panel id " + panel.path("id") + " is used twice");
            }
        }
        for (JsonNode panel : panels) {
            String title = "panel '" + panel.path("title").asText() + "'";
            if (!"${datasource}".equals(panel.path("datasource").path("uid").asText())) {
                problems.add(title + ": datasource is not ${datasource}: " + panel.path("datasource"));
            }
            if (panel.path("targets").isEmpty()) {
                problems.add(title + ": no targets");
            }
            for (JsonNode target : panel.path("targets")) {
                if (target.path("expr").asText().isBlank()) {
                    problems.add(title + ": target " + target.path("refId").asText() + " has no expr");
                }
                if (!"${datasource}".equals(target.path("datasource").path("uid").asText())) {
                    problems.add(title + ": target " + target.path("refId").asText() + " does not use ${datasource}");
                }
            }
        }
        assertEquals(List.of(), problems, "the Grafana dashboard");
    }

    @Test
    void theKustomizationShipsTheRuleAndTheDashboardForGrafanasSidecar() throws IOException {
        JsonNode k = YAML.readTree(KUSTOMIZATION.toFile());
        List<String> resources = new ArrayList<>();
        k.path("resources").forEach(r -> resources.add(r.asText()));
        assertTrue(resources.contains("prometheus-rule.yaml"), "resources " + resources + " lack prometheus-rule.yaml");
        assertTrue(k.path("generatorOptions").path("disableNameSuffixHash").asBoolean(), "generatorOptions.disableNameSuffixHash");
        JsonNode generator = k.path("configMapGenerator").path(0);
        assertEquals("1", generator.path("options").path("labels").path("grafana_dashboard").asText(),
                "configMapGenerator[0].options.labels.grafana_dashboard");
        List<String> files = new ArrayList<>();
        generator.path("files").forEach(f -> files.add(f.asText()));
        assertTrue(files.stream().anyMatch(f -> f.equals("grafana-dashboard.json") || f.endsWith("=grafana-dashboard.json")),
                "configMapGenerator[0].files " + files + " does not ship grafana-dashboard.json");
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    static Map<String, String> contract(String... nameAndType) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < nameAndType.length; i += 2) {
            out.put(nameAndType[i], nameAndType[i + 1]);
        }
        return out;
    }

    static boolean inContract(String name) {
        if (CONTRACT.containsKey(name)) {
            return true;
        }
        return HISTOGRAM_SUFFIXES.stream().anyMatch(s -> name.endsWith(s)
                && "histogram".equals(CONTRACT.get(name.substring(0, name.length() - s.length()))));
    }

    /** Metric-like identifiers of a PromQL expression, with string literals (label values, regexes) removed. */
    static Set<String> identifiers(String expr) {
        String code = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("'(?:[^'\\\\]|\\\\.)*'", "''");
        Set<String> out = new LinkedHashSet<>();
        Matcher m = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*").matcher(code);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static List<JsonNode> alerts() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode group : YAML.readTree(RULES.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    out.add(rule);
                }
            }
        }
        return out;
    }

    /** The '### ' headings of docs/operations.md's '## Alerts' section, by GitHub anchor. */
    static Map<String, String> alertSections() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        boolean inAlerts = false;
        for (String line : Files.readAllLines(OPERATIONS, StandardCharsets.UTF_8)) {
            if (line.startsWith("## ")) {
                inAlerts = line.trim().equals("## Alerts");
            } else if (inAlerts && line.startsWith("### ")) {
                String heading = line.substring(4).trim();
                out.put(githubAnchor(heading), heading);
            }
        }
        assertTrue(!out.isEmpty(), "no '### ' sections under '## Alerts' in " + OPERATIONS);
        return out;
    }

    /** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
    static String githubAnchor(String heading) {
        return heading.trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    /** The rows of the table in architecture.md's '## Metrics' section: [metric column, type column]. */
    static List<List<String>> metricsTableRows() throws IOException {
        List<List<String>> rows = new ArrayList<>();
        boolean inMetrics = false;
        for (String line : Files.readAllLines(ARCHITECTURE, StandardCharsets.UTF_8)) {
            if (line.startsWith("## ")) {
                inMetrics = line.trim().equals("## Metrics");
            } else if (inMetrics && line.startsWith("| `")) {
                String[] cells = line.split("\\|");
                rows.add(List.of(cells[1], cells.length > 2 ? cells[2] : ""));
            }
        }
        return rows;
    }

    /** Panels that show data: every panel but rows, including those inside collapsed rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        return allPanels(dashboard).stream().filter(p -> !"row".equals(p.path("type").asText())).toList();
    }

    static List<JsonNode> allPanels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            out.add(panel);
            panel.path("panels").forEach(out::add);
        }
        return out;
    }

    static String promtoolOrSkip() {
        Optional<Path> promtool = Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, "promtool"))
                .filter(Files::isExecutable)
                .findFirst();
        RequiredTools.require(promtool.isPresent(), "promtool is not installed (Debian package prometheus; .ci/run installs it)");
        return promtool.get().toString();
    }

    record Run(int exit, String output) {
    }

    /** Runs a command in the repository root; its output goes to a file, so a chatty process never blocks. */
    static Run run(String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("promtool", ".log");
        try {
            Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within 2 minutes:\n" + Files.readString(log));
            }
            return new Run(process.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
