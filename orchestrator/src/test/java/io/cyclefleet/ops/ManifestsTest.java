package io.cyclefleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.testing.RequiredTools;
import io.quarkus.runtime.configuration.DurationConverter;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files (docker/, k8s/) checked against each other and against the services' configuration,
 * without a Docker engine or a cluster: every YAML file parses, kustomizations are complete, selectors find
 * their pods, references resolve, the KEDA triggers watch the worker's queues, images and ports match the
 * Dockerfile and compose, the grace period covers the drain; and each overlay, rendered by
 * {@code kubectl kustomize} where kubectl is installed, passes the same checks.
 */
class ManifestsTest {

    /** Objects that have no namespace; everything else in a rendered overlay must have one. */
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "ClusterTriggerAuthentication", "PriorityClass", "StorageClass");

    private static Repo repo;
    private static Dockerfile dockerfile;
    private static JsonNode compose;
    /** Image repository (cyclefleet/worker) to the Dockerfile target that builds it, as compose builds them. */
    private static Map<String, String> imageTargets;

    @BeforeAll
    static void load() throws IOException {
        repo = Repo.locate();
        dockerfile = Dockerfile.parse(repo.path("docker/Dockerfile"));
        compose = Yaml.load(repo.path("docker/compose.yaml")).get(0);
        imageTargets = new LinkedHashMap<>();
        compose.path("services").fields().forEachRemaining(s -> {
            JsonNode build = s.getValue().path("build");
            if (build.has("target")) {
                imageTargets.put(FleetChecks.repository(s.getValue().path("image").asText()), build.path("target").asText());
            }
        });
    }

    @Test
    void everyYamlFileParses() throws IOException {
        List<Path> files = yamlFiles(repo.path("k8s"), repo.path("docker"));
        List<String> failures = new ArrayList<>();
        for (Path file : files) {
            try {
                List<JsonNode> docs = Yaml.load(file);
                for (JsonNode doc : docs) {
                    if (Manifest.isManifest(doc) && doc.path("metadata").path("name").asText().isEmpty()
                            && !doc.path("kind").asText().matches("Kustomization|Component")) {
                        failures.add(repo.relative(file) + ": a " + doc.path("kind").asText() + " without metadata.name");
                    }
                }
            } catch (RuntimeException e) {
                failures.add(repo.relative(file) + ": " + e.getMessage());
            }
        }
        assertTrue(files.size() >= 15, "expected the k8s/ and docker/ YAML files, found " + files);
        assertEquals(List.of(), failures, "YAML files that do not parse");
    }

    @Test
    void kustomizationsListEveryManifestAndOnlyFilesThatExist() throws IOException {
        Path k8s = repo.path("k8s");
        List<String> problems = new ArrayList<>();
        Set<Path> listed = new TreeSet<>();
        for (Path kustomization : kustomizations(k8s)) {
            JsonNode k = Yaml.load(kustomization).get(0);
            Path dir = kustomization.getParent();
            Set<Path> components = new TreeSet<>();
            k.path("components").forEach(c -> components.add(dir.resolve(c.asText()).normalize()));
            for (String entry : references(k)) {
                Path target = dir.resolve(entry).normalize();
                listed.add(target);
                if (target.equals(k8s.resolve("monitoring")) && !Files.exists(target)) {
                    continue; // written on another branch; validated by monitoringKustomizationRendersWhenPresent
                }
                if (!Files.exists(target)) {
                    problems.add(repo.relative(kustomization) + " lists " + entry + ", which does not exist");
                } else if (Files.isDirectory(target) && !Files.exists(target.resolve("kustomization.yaml"))) {
                    problems.add(repo.relative(kustomization) + " lists " + entry + ", a folder without kustomization.yaml");
                }
            }
            if (components.containsAll(Set.of(k8s.resolve("components/keda"), k8s.resolve("components/hpa")))) {
                problems.add(repo.relative(kustomization) + " includes both autoscalers (components/keda and components/hpa)");
            }
        }
        for (Path file : yamlFiles(k8s)) {
            boolean manifest = Yaml.load(file).stream().anyMatch(d -> Manifest.isManifest(d) && !d.path("kind").asText().matches("Kustomization|Component"));
            if (manifest && !file.getFileName().toString().equals("kustomization.yaml") && !listed.contains(file.normalize())) {
                problems.add(repo.relative(file) + " is in no kustomization.yaml: kubectl apply -k would leave it out");
            }
        }
        for (String component : List.of("keda", "hpa")) {
            assertEquals("Component", Yaml.load(k8s.resolve("components/" + component + "/kustomization.yaml")).get(0).path("kind").asText(),
                    "components/" + component + " is a kustomize Component, so an overlay can choose it instead of the other autoscaler");
        }
        assertEquals(List.of(), problems, "kustomizations");
    }

    @Test
    void everyRequiredObjectIsThere() throws IOException {
        FleetChecks fleet = checks(rawManifests());
        List<String> missing = new ArrayList<>();
        for (String module : Repo.SERVICES) {
            List<Manifest> deployments = fleet.of("Deployment").stream()
                    .filter(d -> d.containers().stream().anyMatch(c -> fleet.target(c.path("image").asText()).orElse("").equals(module))).toList();
            if (deployments.size() != 1) {
                missing.add("one Deployment running the " + module + " image, found " + deployments.size());
                continue;
            }
            Manifest d = deployments.get(0);
            for (String kind : List.of("Service", "PodDisruptionBudget", "NetworkPolicy")) {
                if (fleet.of(kind).stream().noneMatch(m -> d.podsMatch(selector(m)))) {
                    missing.add("a " + kind + " for the " + module + " pods");
                }
            }
            boolean monitored = fleet.of("ServiceMonitor").stream().anyMatch(sm -> fleet.of("Service").stream()
                    .anyMatch(s -> d.podsMatch(selector(s)) && labels(s).entrySet().containsAll(selector(sm).entrySet())));
            if (!monitored) {
                missing.add("a ServiceMonitor for the " + module + " Service");
            }
        }
        for (String kind : List.of("ScaledObject", "TriggerAuthentication", "HorizontalPodAutoscaler", "ServiceAccount", "Role", "RoleBinding",
                "ConfigMap", "Secret")) {
            if (fleet.of(kind).isEmpty()) {
                missing.add("a " + kind);
            }
        }
        assertEquals(List.of(), missing, "missing from k8s/base and k8s/components");
    }

    @Test
    void baseAndComponentsAgreeWithEachOtherAndWithTheImages() throws IOException {
        List<String> problems = checks(rawManifests()).run();
        assertEquals(List.of(), problems, "k8s/base and k8s/components disagree");
    }

    @Test
    void theChecksCatchTheMistakesTheyAreFor() throws IOException {
        List<Manifest> manifests = rawManifests();
        for (Manifest m : manifests) {
            if (m.kind().equals("Deployment") && m.name().equals("cyclefleet-worker")) {
                // 30 s covers the drain (25 s) but not the HTTP wait before it plus the hand-back after it
                ((ObjectNode) m.podSpec()).put("terminationGracePeriodSeconds", 30);
            }
            if (m.kind().equals("ScaledObject")) {
                ((ObjectNode) m.doc().path("spec").path("scaleTargetRef")).put("name", "cyclefleet-workers");
            }
        }
        List<String> problems = checks(manifests).run();
        assertTrue(problems.stream().anyMatch(p -> p.contains("cyclefleet-worker") && p.contains("terminationGracePeriodSeconds 30 does not exceed")),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("scales Deployment cyclefleet-workers, which is not defined")), problems.toString());
    }

    @Test
    void dockerfileBuildsBothImagesForContainers() {
        List<String> problems = new ArrayList<>();
        for (String target : Repo.SERVICES) {
            if (dockerfile.stage(target).isEmpty()) {
                problems.add("docker/Dockerfile has no target " + target);
                continue;
            }
            String runtime = dockerfile.baseImage(target);
            if (!runtime.contains("17-jre")) {
                problems.add(target + " runs on " + runtime + ", not a Java 17 JRE");
            }
            List<String> builders = dockerfile.copiesFrom(target);
            String build = "./mvnw -B -pl " + target + " -am package -DskipTests";
            boolean built = builders.stream().anyMatch(b -> dockerfile.all(b, "RUN").stream().anyMatch(r -> r.contains(build))
                    && dockerfile.baseImage(b).contains("17-jdk"));
            if (!built) {
                problems.add(target + " copies from " + builders + ", none of which is a JDK 17 stage running " + build);
            }
            String user = dockerfile.last(target, "USER").orElse("");
            if (!user.matches("[1-9][0-9]*(:[0-9]+)?")) {
                problems.add(target + " runs as USER '" + user + "': it must be a numeric, non-root uid for runAsNonRoot");
            }
            String entrypoint = dockerfile.last(target, "ENTRYPOINT").orElse("");
            if (!entrypoint.startsWith("[") || !entrypoint.contains("\"java\"")) {
                problems.add(target + " ENTRYPOINT " + entrypoint + " is not the exec form starting java: SIGTERM must reach the JVM");
            }
            String jvm = String.join(" ", dockerfile.all(target, "ENV"));
            for (String flag : List.of("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError")) {
                if (!jvm.contains(flag)) {
                    problems.add(target + " does not set " + flag + " (JVM sized by the container's limit, ended on OOM)");
                }
            }
            String port = repo.applicationProperties(target).getProperty("quarkus.http.port");
            if (!dockerfile.exposed(target).equals(List.of(Integer.parseInt(port)))) {
                problems.add(target + " EXPOSEs " + dockerfile.exposed(target) + " but listens on quarkus.http.port " + port);
            }
        }
        if (!dockerfile.last("worker", "STOPSIGNAL").orElse("").equals("SIGTERM")) {
            problems.add("worker: STOPSIGNAL is not SIGTERM, which starts the drain");
        }
        assertTrue(Files.exists(repo.path(".dockerignore")), "a .dockerignore keeps target/ and .git out of the build context");
        assertEquals(List.of(), problems, "docker/Dockerfile");
    }

    @Test
    void composeRunsTheWholeStack() throws IOException {
        JsonNode services = compose.path("services");
        List<String> problems = new ArrayList<>();
        for (String service : List.of("postgres", "redis", "prometheus", "orchestrator", "worker")) {
            if (!services.has(service)) {
                problems.add("no service " + service);
            }
        }
        int workers = 0;
        for (var it = services.fields(); it.hasNext(); ) {
            var entry = it.next();
            String name = entry.getKey();
            JsonNode service = entry.getValue();
            if (!service.has("healthcheck")) {
                problems.add(name + " has no healthcheck");
            }
            service.path("depends_on").fields().forEachRemaining(dep -> {
                if (!dep.getValue().path("condition").asText().equals("service_healthy")) {
                    problems.add(name + " depends on " + dep.getKey() + " without condition: service_healthy");
                }
                if (!services.path(dep.getKey()).has("healthcheck")) {
                    problems.add(name + " waits for " + dep.getKey() + " to be healthy, which has no healthcheck");
                }
            });
            Map<String, String> env = Yaml.strings(service.path("environment"));
            env.forEach((key, value) -> {
                if (FleetChecks.SECRET_KEY.matcher(key).matches() && !value.matches("\\$\\{[A-Z0-9_]+:\\?[^}]+}")) {
                    problems.add(name + " sets " + key + " to a value instead of ${VAR:?message} from docker/.env");
                }
            });
            String target = service.path("build").path("target").asText();
            if (target.isEmpty()) {
                continue;
            }
            if (!Files.isRegularFile(repo.path("docker").resolve(service.path("build").path("context").asText()).resolve(service.path("build").path("dockerfile").asText()))) {
                problems.add(name + " builds from a Dockerfile that does not exist");
            }
            if (dockerfile.stage(target).isEmpty()) {
                problems.add(name + " builds target " + target + ", which docker/Dockerfile does not define");
                continue;
            }
            int port = dockerfile.exposed(target).get(0);
            String health = service.path("healthcheck").path("test").toString();
            if (!health.contains("localhost:" + port + "/q/health/ready")) {
                problems.add(name + "'s healthcheck " + health + " does not call /q/health/ready on its port " + port);
            }
            if (target.equals("worker")) {
                workers += service.path("deploy").path("replicas").asInt(1);
                Duration grace = DurationConverter.parseDuration(service.path("stop_grace_period").asText("10s"));
                Duration budget = FleetChecks.stopBudget(repo, "worker", env);
                if (grace.compareTo(budget) <= 0) {
                    problems.add(name + ": stop_grace_period " + grace + " must exceed " + budget + " (" + FleetChecks.STOP_BUDGET + ")");
                }
            }
        }
        if (workers < 2) {
            problems.add("compose runs " + workers + " worker(s), expected two");
        }
        assertEquals(List.of(), problems, "docker/compose.yaml");
    }

    @Test
    void imagesAndTagsAgreeBetweenComposeAndManifests() throws IOException {
        assertEquals(Set.copyOf(Repo.SERVICES), Set.copyOf(imageTargets.values()), "compose builds one image per service");
        List<String> problems = new ArrayList<>();
        for (Manifest d : checks(rawManifests()).of("Deployment")) {
            for (JsonNode c : d.containers()) {
                String image = c.path("image").asText();
                String composeImage = Yaml.list(compose.path("services")).stream().map(sv -> sv.path("image").asText())
                        .filter(i -> FleetChecks.repository(i).equals(FleetChecks.repository(image))).findFirst().orElse("(none)");
                String composeTag = composeImage.replaceAll(".*:-?([^}]+)}?$", "$1");
                if (!image.equals(FleetChecks.repository(image) + ":" + composeTag)) {
                    problems.add(d.id() + " runs " + image + " but compose tags " + composeImage + " (default tag " + composeTag + ")");
                }
            }
        }
        assertEquals(List.of(), problems, "image names and tags");
    }

    @Test
    void composePrometheusScrapesLikeTheServiceMonitors() throws IOException {
        JsonNode prometheus = Yaml.load(repo.path("docker/prometheus.yml")).get(0);
        FleetChecks fleet = checks(rawManifests());
        Set<String> monitored = new TreeSet<>();
        for (Manifest sm : fleet.of("ServiceMonitor")) {
            fleet.of("Service").stream().filter(s -> labels(s).entrySet().containsAll(selector(sm).entrySet())).forEach(s -> monitored.add(s.name()));
        }
        Map<String, JsonNode> jobs = new LinkedHashMap<>();
        prometheus.path("scrape_configs").forEach(job -> jobs.put(job.path("job_name").asText(), job));
        assertEquals(monitored, jobs.keySet(), "compose's Prometheus jobs are named as the Services the ServiceMonitors scrape, "
                + "which become the job label in Kubernetes and which the alert rules select");
        List<String> problems = new ArrayList<>();
        for (String service : Repo.SERVICES) {
            JsonNode job = jobs.get("cyclefleet-" + service);
            int port = dockerfile.exposed(service).get(0);
            if (job == null || !job.path("metrics_path").asText().equals("/q/metrics") || !job.toString().contains(":" + port)
                    && !job.path("dns_sd_configs").path(0).path("port").asText().equals(String.valueOf(port))) {
                problems.add("job cyclefleet-" + service + " does not scrape /q/metrics on port " + port + ": " + job);
            }
        }
        JsonNode mounts = compose.path("services").path("prometheus").path("volumes");
        List<String> sources = Yaml.list(mounts).stream().map(v -> v.asText().split(":")[0]).toList();
        assertTrue(sources.contains("../k8s/monitoring/cyclefleet-alerts.yml"), "Prometheus loads the alert rules: " + sources);
        for (String source : sources) {
            Path file = repo.path("docker").resolve(source).normalize();
            if (!Files.exists(file) && !(file.startsWith(repo.path("k8s/monitoring")) && !Files.exists(repo.path("k8s/monitoring")))) {
                problems.add("prometheus mounts " + source + ", which does not exist");
            }
        }
        String rules = prometheus.path("rule_files").toString();
        boolean rulesLoaded = Yaml.list(mounts).stream().map(v -> v.asText().split(":")[1])
                .anyMatch(target -> target.endsWith("cyclefleet-alerts.yml") && rules.contains(target.substring(0, target.lastIndexOf('/') + 1)));
        if (!rulesLoaded) {
            problems.add("rule_files " + rules + " do not cover where the alert rules are mounted");
        }
        assertEquals(List.of(), problems, "docker/prometheus.yml");
    }

    @Test
    void overlaysRenderWithKustomizeAndAgree(@TempDir Path tmp) throws IOException, InterruptedException {
        Optional<Path> kubectl = onPath("kubectl");
        RequiredTools.require(kubectl.isPresent(), "kubectl is not on PATH (Debian package kubectl; .ci/run installs it): the overlays were not "
                + "rendered with kubectl kustomize (the checks of the files themselves still ran in the other tests)");
        Path k8s = stage(tmp);
        List<Path> roots = new ArrayList<>(List.of(k8s.resolve("base")));
        try (Stream<Path> overlays = Files.list(k8s.resolve("overlays"))) {
            overlays.filter(o -> Files.exists(o.resolve("kustomization.yaml"))).sorted().forEach(roots::add);
        }
        assertTrue(roots.size() >= 3, "base and at least the two example overlays: " + roots);
        List<String> problems = new ArrayList<>();
        for (Path root : roots) {
            String name = k8s.relativize(root).toString();
            List<Manifest> rendered = Yaml.loadString(render(kubectl.get(), root)).stream()
                    .map(doc -> new Manifest(name + " (rendered)", doc)).toList();
            FleetChecks fleet = checks(rendered);
            problems.addAll(fleet.run());
            if (name.equals("base")) {
                continue;
            }
            problems.addAll(fleet.oneAutoscalerPerDeployment());
            List<Manifest> workers = fleet.of("Deployment").stream().filter(fleet::isWorker).toList();
            long scalers = fleet.of("ScaledObject", "HorizontalPodAutoscaler").stream().filter(s -> workers.stream()
                    .anyMatch(w -> w.name().equals(s.doc().path("spec").path("scaleTargetRef").path("name").asText()))).count();
            if (workers.size() != 1 || scalers != 1) {
                problems.add(name + ": expected one worker Deployment with one autoscaler, found " + workers.size() + " and " + scalers);
            }
            rendered.stream().filter(m -> m.namespace().isEmpty() && !CLUSTER_SCOPED.contains(m.kind()))
                    .forEach(m -> problems.add(m.id() + ": no namespace after rendering"));
        }
        assertEquals(List.of(), problems, "rendered overlays");
    }

    @Test
    void monitoringKustomizationRendersWhenPresent() throws IOException, InterruptedException {
        Path monitoring = repo.path("k8s/monitoring");
        assertTrue(Files.exists(monitoring.resolve("kustomization.yaml")), "k8s/monitoring/ has no kustomization.yaml");
        Optional<Path> kubectl = onPath("kubectl");
        RequiredTools.require(kubectl.isPresent(), "kubectl is not on PATH (Debian package kubectl): k8s/monitoring was not rendered");
        List<JsonNode> rendered = Yaml.loadString(render(kubectl.get(), monitoring));
        assertFalse(rendered.isEmpty(), "k8s/monitoring renders no objects");
        assertTrue(rendered.stream().anyMatch(d -> d.path("kind").asText().equals("PrometheusRule")), "k8s/monitoring has no PrometheusRule");
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static FleetChecks checks(List<Manifest> manifests) {
        return new FleetChecks(repo, dockerfile, imageTargets, manifests);
    }

    /** The objects of k8s/base and k8s/components as written (overlays hold patches, not whole objects). */
    private static List<Manifest> rawManifests() throws IOException {
        List<Manifest> manifests = new ArrayList<>();
        for (Path file : yamlFiles(repo.path("k8s/base"), repo.path("k8s/components"))) {
            for (JsonNode doc : Yaml.load(file)) {
                if (Manifest.isManifest(doc) && !doc.path("kind").asText().matches("Kustomization|Component")) {
                    manifests.add(new Manifest(repo.relative(file), doc));
                }
            }
        }
        return manifests;
    }

    /** Files and folders a kustomization names: resources, components, patch files, generator inputs. */
    private static List<String> references(JsonNode k) {
        List<String> entries = new ArrayList<>();
        for (String field : List.of("resources", "components", "patchesStrategicMerge", "crds")) {
            k.path(field).forEach(e -> entries.add(e.asText()));
        }
        k.path("patches").forEach(p -> {
            if (p.has("path")) {
                entries.add(p.path("path").asText());
            }
        });
        for (String generator : List.of("configMapGenerator", "secretGenerator")) {
            for (JsonNode g : k.path(generator)) {
                g.path("files").forEach(f -> entries.add(f.asText().replaceAll("^[^=]*=", "")));
                g.path("envs").forEach(f -> entries.add(f.asText()));
            }
        }
        return entries.stream().filter(e -> !e.contains("://")).toList();
    }

    /**
     * A copy of k8s/ to render from. Without k8s/monitoring (written on another branch) the overlays' entry
     * for it is dropped from the copy, so the rest still renders; monitoringKustomizationRendersWhenPresent
     * says that it was not validated.
     */
    private static Path stage(Path tmp) throws IOException {
        Path source = repo.path("k8s");
        Path copy = tmp.resolve("k8s");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        if (!Files.exists(source.resolve("monitoring"))) {
            for (Path kustomization : kustomizations(copy)) {
                JsonNode k = Yaml.load(kustomization).get(0);
                ArrayNode resources = k.path("resources") instanceof ArrayNode a ? a : null;
                if (resources == null) {
                    continue;
                }
                for (int i = resources.size() - 1; i >= 0; i--) {
                    if (kustomization.getParent().resolve(resources.get(i).asText()).normalize().equals(copy.resolve("monitoring"))) {
                        resources.remove(i);
                    }
                }
                ((ObjectNode) k).set("resources", resources);
                Files.writeString(kustomization, Yaml.dump(k));
            }
        }
        return copy;
    }

    private static String render(Path kubectl, Path dir) throws IOException, InterruptedException {
        File out = Files.createTempFile("kustomize", ".yaml").toFile();
        File err = Files.createTempFile("kustomize", ".err").toFile();
        try {
            Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString()).redirectOutput(out).redirectError(err).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + dir + " did not finish within 2 minutes");
            }
            assertEquals(0, p.exitValue(), () -> "kubectl kustomize " + dir + " failed:\n" + read(err));
            return Files.readString(out.toPath());
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }

    private static String read(File f) {
        try {
            return Files.readString(f.toPath());
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Optional<Path> onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, command))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static List<Path> kustomizations(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        }
    }

    private static List<Path> yamlFiles(Path... dirs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(f -> f.toString().matches(".*\\.ya?ml$")).sorted().forEach(files::add);
            }
        }
        return files;
    }


    private static Map<String, String> selector(Manifest m) {
        JsonNode spec = m.doc().path("spec");
        return Yaml.strings(switch (m.kind()) {
            case "Service" -> spec.path("selector");
            case "NetworkPolicy" -> spec.path("podSelector").path("matchLabels");
            default -> spec.path("selector").path("matchLabels");
        });
    }

    private static Map<String, String> labels(Manifest m) {
        return Yaml.strings(m.doc().path("metadata").path("labels"));
    }

}
