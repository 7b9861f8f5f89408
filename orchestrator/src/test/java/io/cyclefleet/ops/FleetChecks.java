package io.cyclefleet.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.cyclefleet.queue.Priority;
import io.cyclefleet.queue.QueueKeys;
import io.quarkus.runtime.configuration.DurationConverter;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks that a set of Kubernetes objects (the files of k8s/, or an overlay as kustomize renders it) agree
 * with each other, with the images docker/ builds and with the services' own configuration. Each check adds
 * a line naming the object and the disagreement; none means the set is consistent.
 */
final class FleetChecks {

    /**
     * Time a worker needs after its drain timeout before it exits: the fetch loops stop within fetch-block + 2 s
     * and the result writer within 5 s (WorkerRuntime.drain), then hand-back and deregistration.
     */
    static final Duration HANDBACK_MARGIN = Duration.ofSeconds(10);

    static final Set<String> HEALTH_PATHS = Set.of("/q/health/live", "/q/health/ready");

    /** Keys whose values are secrets: never in a ConfigMap, only placeholders in the repository's Secrets. */
    static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|sha256|routing[-_]key|secret|private[-_]key).*");

    /** user:password@ in a URL (redis://:secret@host:6379). */
    private static final Pattern CREDENTIALS_IN_URL = Pattern.compile("://[^/@\\s]*:[^/@\\s]+@");

    private static final Pattern TOKEN_KEY = Pattern.compile("CYCLEFLEET_AUTH_TOKENS_(.+)_(SHA256|ROLE)");

    /** Where a container's environment variable comes from. */
    record EnvValue(String kind, String object, String value) {
    }

    private final Repo repo;
    private final Dockerfile dockerfile;
    private final Map<String, String> imageTargets;
    private final List<Manifest> all;
    private final List<String> problems = new ArrayList<>();

    /**
     * @param imageTargets image repository (as compose tags it, e.g. cyclefleet/worker) to the Dockerfile target
     *     that builds it
     */
    FleetChecks(Repo repo, Dockerfile dockerfile, Map<String, String> imageTargets, List<Manifest> manifests) {
        this.repo = repo;
        this.dockerfile = dockerfile;
        this.imageTargets = imageTargets;
        this.all = manifests;
    }

    /** Every check below; the lines name what disagrees. */
    List<String> run() {
        deploymentSelectors();
        selectorsMatchPods();
        serviceMonitors();
        podReferences();
        bindingsAndAuthentications();
        probes();
        security();
        imagesAndPorts();
        gracePeriods();
        autoscalerTargets();
        scaledObjectTriggers();
        secretsStaySecret();
        return problems;
    }

    /** At most one autoscaler (a ScaledObject or an HPA) per Deployment: they would fight over its replicas. */
    List<String> oneAutoscalerPerDeployment() {
        Map<String, List<String>> byTarget = new LinkedHashMap<>();
        for (Manifest m : of("ScaledObject", "HorizontalPodAutoscaler")) {
            byTarget.computeIfAbsent(m.namespace() + "/" + m.doc().path("spec").path("scaleTargetRef").path("name").asText(),
                    k -> new ArrayList<>()).add(m.id());
        }
        List<String> found = new ArrayList<>();
        byTarget.forEach((target, scalers) -> {
            if (scalers.size() > 1) {
                found.add("Deployment " + target + " has " + scalers.size() + " autoscalers: " + scalers);
            }
        });
        return found;
    }

    // ---- names, labels and selectors ---------------------------------------------------------------------

    private void deploymentSelectors() {
        for (Manifest d : of("Deployment")) {
            Map<String, String> selector = Yaml.strings(d.doc().path("spec").path("selector").path("matchLabels"));
            if (!d.podsMatch(selector)) {
                problem(d, "selector " + selector + " does not match its own pod labels " + d.podLabels());
            }
        }
    }

    private void selectorsMatchPods() {
        for (Manifest m : all) {
            JsonNode spec = m.doc().path("spec");
            JsonNode selector = switch (m.kind()) {
                case "Service" -> spec.path("selector");
                case "PodDisruptionBudget" -> spec.path("selector").path("matchLabels");
                case "NetworkPolicy" -> spec.path("podSelector").path("matchLabels");
                default -> null;
            };
            if (selector == null) {
                continue;
            }
            List<Manifest> pods = deploymentsMatching(m, Yaml.strings(selector));
            if (pods.isEmpty()) {
                problem(m, "selector " + Yaml.strings(selector) + " matches the pods of no Deployment");
            }
            for (Manifest d : pods) {
                Set<String> containerPorts = containerPorts(d);
                if (m.is("Service")) {
                    for (JsonNode port : spec.path("ports")) {
                        String target = port.path("targetPort").asText(port.path("port").asText());
                        if (!containerPorts.contains(target)) {
                            problem(m, "targetPort " + target + " is not a port of " + d.id() + " " + containerPorts);
                        }
                    }
                }
                if (m.is("NetworkPolicy")) {
                    for (JsonNode rule : spec.path("ingress")) {
                        for (JsonNode port : rule.path("ports")) {
                            if (!containerPorts.contains(port.path("port").asText())) {
                                problem(m, "admits port " + port.path("port").asText() + ", which " + d.id() + " does not listen on "
                                        + containerPorts);
                            }
                        }
                    }
                }
            }
        }
    }

    private void serviceMonitors() {
        for (Manifest sm : of("ServiceMonitor")) {
            Map<String, String> selector = Yaml.strings(sm.doc().path("spec").path("selector").path("matchLabels"));
            List<Manifest> services = of("Service").stream()
                    .filter(s -> s.namespace().equals(sm.namespace()))
                    .filter(s -> !selector.isEmpty() && Yaml.strings(s.doc().path("metadata").path("labels")).entrySet().containsAll(selector.entrySet()))
                    .toList();
            if (services.isEmpty()) {
                problem(sm, "selector " + selector + " matches no Service's labels");
            }
            for (JsonNode endpoint : sm.doc().path("spec").path("endpoints")) {
                if (!endpoint.path("path").asText().equals("/q/metrics")) {
                    problem(sm, "scrapes " + endpoint.path("path").asText() + ", not /q/metrics");
                }
                for (Manifest s : services) {
                    Set<String> names = Yaml.list(s.doc().path("spec").path("ports")).stream().map(p -> p.path("name").asText()).collect(Collectors.toSet());
                    if (!names.contains(endpoint.path("port").asText())) {
                        problem(sm, "endpoint port " + endpoint.path("port").asText() + " is not a named port of " + s.id() + " " + names);
                    }
                }
            }
        }
    }

    // ---- references --------------------------------------------------------------------------------------

    private void podReferences() {
        for (Manifest d : of("Deployment")) {
            JsonNode pod = d.podSpec();
            String account = pod.path("serviceAccountName").asText("");
            if (!account.isEmpty() && find("ServiceAccount", account, d.namespace()).isEmpty()) {
                problem(d, "runs as ServiceAccount " + account + ", which is not defined");
            }
            for (JsonNode volume : pod.path("volumes")) {
                if (volume.has("configMap")) {
                    requireObject(d, "ConfigMap", volume.path("configMap").path("name").asText(), volume.path("configMap"));
                }
                if (volume.has("secret")) {
                    requireObject(d, "Secret", volume.path("secret").path("secretName").asText(), volume.path("secret"));
                }
            }
            for (JsonNode container : d.containers()) {
                for (JsonNode source : container.path("envFrom")) {
                    if (source.has("configMapRef")) {
                        requireObject(d, "ConfigMap", source.path("configMapRef").path("name").asText(), source.path("configMapRef"));
                    }
                    if (source.has("secretRef")) {
                        requireObject(d, "Secret", source.path("secretRef").path("name").asText(), source.path("secretRef"));
                    }
                }
                for (JsonNode var : container.path("env")) {
                    JsonNode from = var.path("valueFrom");
                    for (String kind : List.of("ConfigMap", "Secret")) {
                        JsonNode ref = from.path(kind.equals("Secret") ? "secretKeyRef" : "configMapKeyRef");
                        if (!ref.isMissingNode()) {
                            requireKey(d, kind, ref.path("name").asText(), ref.path("key").asText());
                        }
                    }
                }
            }
        }
    }

    private void bindingsAndAuthentications() {
        for (Manifest binding : of("RoleBinding")) {
            JsonNode roleRef = binding.doc().path("roleRef");
            boolean clusterRole = roleRef.path("kind").asText().equals("ClusterRole");
            if (find(roleRef.path("kind").asText(), roleRef.path("name").asText(), clusterRole ? "" : binding.namespace()).isEmpty()) {
                problem(binding, "refers to " + roleRef.path("kind").asText() + " " + roleRef.path("name").asText() + ", not defined in its namespace");
            }
            for (JsonNode subject : binding.doc().path("subjects")) {
                String ns = subject.path("namespace").asText(binding.namespace());
                if (subject.path("kind").asText().equals("ServiceAccount") && find("ServiceAccount", subject.path("name").asText(), ns).isEmpty()) {
                    problem(binding, "binds ServiceAccount " + subject.path("name").asText() + (ns.isEmpty() ? "" : " in " + ns) + ", not defined");
                }
            }
        }
        for (Manifest auth : of("TriggerAuthentication")) {
            for (JsonNode ref : auth.doc().path("spec").path("secretTargetRef")) {
                requireKey(auth, "Secret", ref.path("name").asText(), ref.path("key").asText());
            }
        }
    }

    // ---- pods ----------------------------------------------------------------------------------------------

    private void probes() {
        for (Manifest d : of("Deployment")) {
            for (JsonNode container : d.containers()) {
                Set<String> ports = containerPorts(container);
                for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                    JsonNode get = container.path(probe).path("httpGet");
                    String path = get.path("path").asText();
                    String expected = probe.equals("readinessProbe") ? "/q/health/ready" : "/q/health/live";
                    if (get.isMissingNode()) {
                        problem(d, container.path("name").asText() + " has no HTTP " + probe);
                    } else if (probe.equals("startupProbe") ? !HEALTH_PATHS.contains(path) : !path.equals(expected)) {
                        problem(d, probe + " calls " + path + ", expected " + (probe.equals("startupProbe") ? HEALTH_PATHS : expected));
                    } else if (!ports.contains(get.path("port").asText())) {
                        problem(d, probe + " calls port " + get.path("port").asText() + ", not a port of the container " + ports);
                    }
                }
            }
        }
    }

    private void security() {
        for (Manifest d : of("Deployment")) {
            JsonNode pod = d.podSpec().path("securityContext");
            if (!pod.path("runAsNonRoot").asBoolean(false)) {
                problem(d, "pod securityContext lacks runAsNonRoot: true");
            }
            if (!pod.path("seccompProfile").path("type").asText().equals("RuntimeDefault")) {
                problem(d, "pod seccompProfile is not RuntimeDefault");
            }
            Set<String> emptyDirs = Yaml.list(d.podSpec().path("volumes")).stream()
                    .filter(v -> v.has("emptyDir")).map(v -> v.path("name").asText()).collect(Collectors.toSet());
            for (JsonNode c : d.containers()) {
                JsonNode sc = c.path("securityContext");
                if (!sc.path("readOnlyRootFilesystem").asBoolean(false)) {
                    problem(d, c.path("name").asText() + " lacks readOnlyRootFilesystem: true");
                }
                if (sc.path("allowPrivilegeEscalation").asBoolean(true)) {
                    problem(d, c.path("name").asText() + " lacks allowPrivilegeEscalation: false");
                }
                if (!Yaml.list(sc.path("capabilities").path("drop")).stream().map(JsonNode::asText).toList().contains("ALL")) {
                    problem(d, c.path("name").asText() + " does not drop ALL capabilities");
                }
                boolean tmp = Yaml.list(c.path("volumeMounts")).stream()
                        .anyMatch(m -> m.path("mountPath").asText().equals("/tmp") && emptyDirs.contains(m.path("name").asText()));
                if (!tmp) {
                    problem(d, c.path("name").asText() + " has no emptyDir at /tmp (its root file system is read-only)");
                }
                for (String kind : List.of("requests", "limits")) {
                    for (String resource : List.of("cpu", "memory")) {
                        if (!c.path("resources").path(kind).hasNonNull(resource)) {
                            problem(d, c.path("name").asText() + " has no " + resource + " in resources." + kind);
                        }
                    }
                }
            }
        }
    }

    private void imagesAndPorts() {
        for (Manifest d : of("Deployment")) {
            for (JsonNode c : d.containers()) {
                String image = c.path("image").asText();
                Optional<String> target = target(image);
                if (target.isEmpty()) {
                    problem(d, "runs image " + image + ", which docker/compose.yaml does not build (" + imageTargets.keySet() + ")");
                    continue;
                }
                Set<Integer> exposed = Set.copyOf(dockerfile.exposed(target.get()));
                Set<Integer> declared = Yaml.list(c.path("ports")).stream().map(p -> p.path("containerPort").asInt()).collect(Collectors.toSet());
                if (!exposed.equals(declared)) {
                    problem(d, "declares container ports " + declared + " but docker/Dockerfile target " + target.get() + " EXPOSEs " + exposed);
                }
                String user = dockerfile.last(target.get(), "USER").orElse("root").split(":")[0];
                JsonNode runAs = c.path("securityContext").path("runAsUser").isMissingNode()
                        ? d.podSpec().path("securityContext").path("runAsUser") : c.path("securityContext").path("runAsUser");
                if (!runAs.isMissingNode() && !runAs.asText().equals(user)) {
                    problem(d, "runs as user " + runAs.asText() + " but the image's USER is " + user);
                }
            }
        }
    }

    private void gracePeriods() {
        for (Manifest d : of("Deployment")) {
            Duration grace = Duration.ofSeconds(d.podSpec().path("terminationGracePeriodSeconds").asLong(30));
            for (JsonNode c : d.containers()) {
                Optional<String> module = target(c.path("image").asText());
                if (module.isEmpty()) {
                    continue;
                }
                // preStop runs first and its time counts against the grace period too
                JsonNode preStop = c.path("lifecycle").path("preStop").path("exec").path("command");
                Duration sleep = preStop.path(0).asText().equals("sleep") ? Duration.ofSeconds(preStop.path(1).asLong()) : Duration.ZERO;
                Duration budget = stopBudget(repo, module.get(), values(environment(d, c)));
                if (grace.compareTo(sleep.plus(budget)) <= 0) {
                    problem(d, "terminationGracePeriodSeconds " + grace.toSeconds() + " does not exceed preStop " + sleep.toSeconds()
                            + "s + " + budget.toSeconds() + "s to stop (" + STOP_BUDGET + "): SIGKILL would cut the stop short");
                }
            }
        }
    }

    static final String STOP_BUDGET = "quarkus.shutdown.timeout, then on a worker cyclefleet.worker.drain-timeout + "
            + "cyclefleet.worker.stop-grace + " + HANDBACK_MARGIN.toSeconds() + "s for the hand-back";

    /**
     * How long a process may take after SIGTERM: Quarkus first waits up to quarkus.shutdown.timeout for HTTP
     * requests in flight, then fires ShutdownEvent, on which a worker drains (drain-timeout, then stop-grace for the
     * interrupted tasks to stop, then the hand-back).
     */
    static Duration stopBudget(Repo repo, String module, Map<String, String> env) {
        Duration shutdown = repo.setting(module, env, "quarkus.shutdown.timeout").map(DurationConverter::parseDuration).orElse(Duration.ZERO);
        if (!module.equals("worker")) {
            return shutdown;
        }
        Duration drain = DurationConverter.parseDuration(repo.setting("worker", env, "cyclefleet.worker.drain-timeout").orElseThrow());
        Duration stopGrace = DurationConverter.parseDuration(repo.setting("worker", env, "cyclefleet.worker.stop-grace").orElseThrow());
        return shutdown.plus(drain).plus(stopGrace).plus(HANDBACK_MARGIN);
    }

    // ---- autoscaling ---------------------------------------------------------------------------------------

    private void autoscalerTargets() {
        for (Manifest scaler : of("ScaledObject", "HorizontalPodAutoscaler")) {
            JsonNode ref = scaler.doc().path("spec").path("scaleTargetRef");
            String kind = ref.path("kind").asText("Deployment");
            Optional<Manifest> target = find(kind, ref.path("name").asText(), scaler.namespace());
            if (target.isEmpty()) {
                problem(scaler, "scales " + kind + " " + ref.path("name").asText() + ", which is not defined");
            } else if (!isWorker(target.get())) {
                problem(scaler, "scales " + target.get().id() + ", which does not run the worker image");
            }
        }
    }

    private void scaledObjectTriggers() {
        for (Manifest so : of("ScaledObject")) {
            JsonNode spec = so.doc().path("spec");
            Optional<Manifest> worker = find("Deployment", spec.path("scaleTargetRef").path("name").asText(), so.namespace()).filter(this::isWorker);
            if (worker.isEmpty()) {
                continue;
            }
            JsonNode container = worker.get().containers().stream().filter(c -> target(c.path("image").asText()).orElse("").equals("worker")).findFirst().orElseThrow();
            Map<String, String> env = values(environment(worker.get(), container));
            String prefix = repo.setting("worker", env, "cyclefleet.redis.key-prefix").orElseThrow();
            QueueKeys keys = new QueueKeys(prefix);
            Set<String> expected = new TreeSet<>();
            for (String queue : repo.setting("worker", env, "cyclefleet.worker.queues").orElseThrow().split(",")) {
                for (Priority priority : Priority.values()) {
                    expected.add(keys.stream(queue.trim(), priority));
                }
            }
            URI redis = URI.create(repo.setting("worker", env, "cyclefleet.redis.address").orElseThrow());
            String address = redis.getHost() + ":" + (redis.getPort() < 0 ? 6379 : redis.getPort());
            boolean tls = redis.getScheme().equals("rediss");
            String database = repo.setting("worker", env, "cyclefleet.redis.database").orElseThrow();
            Set<String> streams = new TreeSet<>();
            for (JsonNode trigger : spec.path("triggers")) {
                JsonNode meta = trigger.path("metadata");
                String where = "trigger " + trigger.path("name").asText(meta.path("stream").asText());
                streams.add(meta.path("stream").asText());
                check(so, trigger.path("type").asText().equals("redis-streams"), where + " is not of type redis-streams");
                check(so, meta.path("consumerGroup").asText().equals(QueueKeys.WORKER_GROUP),
                        where + " reads consumer group " + meta.path("consumerGroup").asText() + ", the workers' is " + QueueKeys.WORKER_GROUP);
                check(so, meta.path("lagCount").asText().matches("[1-9][0-9]*"),
                        where + " has no positive lagCount: without it KEDA scales on XPENDING, which misses undelivered work");
                check(so, meta.path("activationLagCount").asText("0").matches("[0-9]+"), where + " has a non-numeric activationLagCount");
                check(so, meta.path("address").asText().equals(address),
                        where + " dials " + meta.path("address").asText() + " but the workers use " + address + " (cyclefleet.redis.address)");
                check(so, Boolean.parseBoolean(meta.path("enableTLS").asText("false")) == tls,
                        where + " has enableTLS " + meta.path("enableTLS").asText("false") + " but the workers' address is " + redis.getScheme() + "://");
                check(so, meta.path("databaseIndex").asText("0").equals(database),
                        where + " reads database " + meta.path("databaseIndex").asText("0") + ", the workers use " + database);
                String auth = trigger.path("authenticationRef").path("name").asText();
                check(so, find(trigger.path("authenticationRef").path("kind").asText("TriggerAuthentication"), auth, so.namespace()).isPresent(),
                        where + " authenticates with " + auth + ", which is not defined");
            }
            check(so, streams.equals(expected), "triggers watch streams " + streams + " but the worker serves " + expected
                    + " (its queues in CYCLEFLEET_WORKER_QUEUES, three priorities each)");
            check(so, spec.path("fallback").path("replicas").asInt(0) > 0, "has no fallback replicas for when Redis cannot be read");
            JsonNode scaleDown = spec.path("advanced").path("horizontalPodAutoscalerConfig").path("behavior").path("scaleDown");
            check(so, scaleDown.path("stabilizationWindowSeconds").asInt(0) > 0, "has no scale-down stabilization window");
        }
    }

    // ---- secrets -------------------------------------------------------------------------------------------

    private void secretsStaySecret() {
        for (Manifest cm : of("ConfigMap")) {
            for (Map.Entry<String, String> entry : Yaml.strings(cm.doc().path("data")).entrySet()) {
                Set<String> keys = new TreeSet<>(Set.of(entry.getKey()));
                if (entry.getKey().endsWith(".properties")) {
                    keys.addAll(properties(entry.getValue()).stringPropertyNames());
                }
                keys.stream().filter(k -> SECRET_KEY.matcher(k).matches())
                        .forEach(k -> problem(cm, "holds " + k + ", a secret: it belongs in a Secret"));
                if (CREDENTIALS_IN_URL.matcher(entry.getValue()).find()) {
                    problem(cm, entry.getKey() + " carries credentials in a URL: they belong in a Secret");
                }
            }
        }
        for (Manifest secret : of("Secret")) {
            secretData(secret).forEach((key, value) -> {
                if (SECRET_KEY.matcher(key).matches() && !value.contains("CHANGE-ME")) {
                    problem(secret, key + " holds a value that is not an obvious placeholder (CHANGE-ME...): real secrets stay out of the repository");
                }
            });
        }
        for (Manifest d : of("Deployment")) {
            for (JsonNode c : d.containers()) {
                Map<String, EnvValue> env = environment(d, c);
                Map<String, Set<String>> tokens = new LinkedHashMap<>();
                env.forEach((key, value) -> {
                    var m = TOKEN_KEY.matcher(key);
                    if (m.matches()) {
                        tokens.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
                        if (m.group(2).equals("SHA256") && !value.kind().equals("Secret")) {
                            problem(d, key + " comes from " + value.kind() + " " + value.object() + ", not from a Secret");
                        }
                    }
                });
                tokens.forEach((name, parts) -> check(d, parts.size() == 2,
                        "API token " + name + " has only its " + parts + ": the orchestrator needs CYCLEFLEET_AUTH_TOKENS_" + name + "_SHA256 and _ROLE"));
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** A container's environment as the pod gets it: envFrom first, then env (which wins). */
    Map<String, EnvValue> environment(Manifest pod, JsonNode container) {
        Map<String, EnvValue> env = new LinkedHashMap<>();
        for (JsonNode source : container.path("envFrom")) {
            String kind = source.has("secretRef") ? "Secret" : "ConfigMap";
            String name = source.path(kind.equals("Secret") ? "secretRef" : "configMapRef").path("name").asText();
            find(kind, name, pod.namespace()).ifPresent(o -> (kind.equals("Secret") ? secretData(o) : Yaml.strings(o.doc().path("data")))
                    .forEach((k, v) -> env.put(source.path("prefix").asText("") + k, new EnvValue(kind, name, v))));
        }
        for (JsonNode var : container.path("env")) {
            JsonNode from = var.path("valueFrom");
            if (var.has("value")) {
                env.put(var.path("name").asText(), new EnvValue("literal", "env", var.path("value").asText()));
            } else if (from.has("secretKeyRef") || from.has("configMapKeyRef")) {
                String kind = from.has("secretKeyRef") ? "Secret" : "ConfigMap";
                JsonNode ref = from.path(kind.equals("Secret") ? "secretKeyRef" : "configMapKeyRef");
                find(kind, ref.path("name").asText(), pod.namespace())
                        .map(o -> kind.equals("Secret") ? secretData(o) : Yaml.strings(o.doc().path("data")))
                        .map(data -> data.get(ref.path("key").asText()))
                        .ifPresent(v -> env.put(var.path("name").asText(), new EnvValue(kind, ref.path("name").asText(), v)));
            } else {
                env.put(var.path("name").asText(), new EnvValue("field", "env", "<from the pod>"));
            }
        }
        return env;
    }

    static Map<String, String> values(Map<String, EnvValue> env) {
        Map<String, String> values = new LinkedHashMap<>();
        env.forEach((k, v) -> values.put(k, v.value()));
        return values;
    }

    /** The Dockerfile target that builds an image, matching its repository with or without a registry. */
    Optional<String> target(String image) {
        String repository = repository(image);
        return imageTargets.entrySet().stream()
                .filter(e -> repository.equals(e.getKey()) || repository.endsWith("/" + e.getKey()))
                .map(Map.Entry::getValue).findFirst();
    }

    /** An image reference without tag or digest; the tag may be a compose variable (${TAG:-0.1.0}). */
    static String repository(String image) {
        String name = image.replaceAll("@.*", "");
        int tag = name.indexOf(':', name.lastIndexOf('/') + 1);
        return tag < 0 ? name : name.substring(0, tag);
    }

    boolean isWorker(Manifest deployment) {
        return deployment.is("Deployment") && deployment.containers().stream().anyMatch(c -> target(c.path("image").asText()).orElse("").equals("worker"));
    }

    List<Manifest> of(String... kinds) {
        Set<String> wanted = Set.of(kinds);
        return all.stream().filter(m -> wanted.contains(m.kind())).toList();
    }

    Optional<Manifest> find(String kind, String name, String namespace) {
        return all.stream().filter(m -> m.is(kind) && m.name().equals(name) && m.namespace().equals(namespace)).findFirst();
    }

    private List<Manifest> deploymentsMatching(Manifest selecting, Map<String, String> selector) {
        Predicate<Manifest> sameNamespace = d -> d.namespace().equals(selecting.namespace());
        return of("Deployment").stream().filter(sameNamespace).filter(d -> d.podsMatch(selector)).toList();
    }

    /** A container's ports by name and by number, as probes, Services and policies may name them. */
    private static Set<String> containerPorts(JsonNode container) {
        Set<String> ports = new TreeSet<>();
        for (JsonNode port : container.path("ports")) {
            ports.add(port.path("containerPort").asText());
            if (port.has("name")) {
                ports.add(port.path("name").asText());
            }
        }
        return ports;
    }

    private static Set<String> containerPorts(Manifest deployment) {
        Set<String> ports = new TreeSet<>();
        deployment.containers().forEach(c -> ports.addAll(containerPorts(c)));
        return ports;
    }

    private void requireObject(Manifest user, String kind, String name, JsonNode ref) {
        if (!ref.path("optional").asBoolean(false) && find(kind, name, user.namespace()).isEmpty()) {
            problem(user, "uses " + kind + " " + name + ", which is not defined");
        }
    }

    private void requireKey(Manifest user, String kind, String name, String key) {
        Optional<Manifest> object = find(kind, name, user.namespace());
        if (object.isEmpty()) {
            problem(user, "uses " + kind + " " + name + ", which is not defined");
        } else if (!(kind.equals("Secret") ? secretData(object.get()) : Yaml.strings(object.get().doc().path("data"))).containsKey(key)) {
            problem(user, "uses key " + key + " of " + kind + " " + name + ", which has no such key");
        }
    }

    /** A Secret's values, from stringData and (base64) data. */
    static Map<String, String> secretData(Manifest secret) {
        Map<String, String> data = new LinkedHashMap<>();
        Yaml.strings(secret.doc().path("data")).forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        data.putAll(Yaml.strings(secret.doc().path("stringData")));
        return data;
    }

    private static Properties properties(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    private void check(Manifest m, boolean ok, String problem) {
        if (!ok) {
            problem(m, problem);
        }
    }

    private void problem(Manifest m, String problem) {
        problems.add(m.id() + ": " + problem);
    }
}
