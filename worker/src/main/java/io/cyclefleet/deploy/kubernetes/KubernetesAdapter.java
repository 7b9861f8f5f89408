package io.cyclefleet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.deploy.AdapterConfig;
import io.cyclefleet.deploy.Adapters;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.deploy.DeploymentAdapter;
import io.cyclefleet.deploy.NamedAdapter;
import io.cyclefleet.deploy.RolloutStatus;
import io.cyclefleet.handler.TaskContext;
import io.cyclefleet.handler.TaskFailure;
import io.cyclefleet.outbound.Outbound;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URL;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Deploys by setting the image of one container of a Deployment (fabric8 client), like
 * {@code kubectl set image}, and rolls back by setting the image it replaced, which makes the controller
 * reuse the previous ReplicaSet (a new revision, as {@code kubectl rollout undo} makes).
 *
 * <p>The image change is one JSON patch that first tests the container's name and the image read just before,
 * so the image recorded as previous is exactly the one replaced (a concurrent change fails the patch instead).
 * The same patch writes the annotation {@value #LAST_DEPLOY} on the Deployment (not on its pod template, which
 * would roll the pods) with the task, the previous image and revision: a deploy that runs again after its
 * patch went through but its result was lost (a timed-out response, a worker that died, a redelivery) finds
 * the image already set by its own task and reports the image that ran before it, not its own.
 *
 * <p>Every API call goes through {@link Outbound} under the target {@code kubernetes:<namespace>/<deployment> at
 * <API server>}: reads are retried, writes are not (the client's own retries must be off:
 * {@code quarkus.kubernetes-client.request-retry-backoff-limit=0}); timeouts are the client's request and
 * connection timeouts.
 */
@ApplicationScoped
public class KubernetesAdapter implements DeploymentAdapter {

    /** Set by the Deployment controller: the revision of the ReplicaSet that matches the pod template. */
    public static final String REVISION = "deployment.kubernetes.io/revision";
    /** Written by this adapter with each image change: {task, cycle, container, image, previousImage, previousRevision}. */
    public static final String LAST_DEPLOY = "cyclefleet.io/last-deploy";

    private static final String VERSION = "{{version}}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final Outbound outbound;

    public KubernetesAdapter(KubernetesClient client, Outbound outbound) {
        this.client = client;
        this.outbound = outbound;
    }

    @Override
    public String type() {
        return "kubernetes";
    }

    /** Which Deployment, where: its label (namespace/name) in messages, its key for {@link Outbound}. */
    record Target(String namespace, String name, String apiServer) {
        String label() {
            return namespace + "/" + name;
        }

        String key() {
            return "kubernetes:" + label() + " at " + apiServer;
        }
    }

    @Override
    public Deployed deploy(NamedAdapter adapter, String version, TaskContext context) throws TaskFailure, InterruptedException {
        Adapters.checkVersion(adapter, version); // the version becomes part of an image reference
        Target target = target(adapter);
        String template = adapter.settings().imageTemplate();
        if (!template.contains(VERSION)) {
            throw new TaskFailure("adapter '" + adapter.name() + "': image-template '" + template + "' has no " + VERSION, false);
        }
        String image = template.replace(VERSION, version);
        Deployment current = read(target);
        int index = containerIndex(adapter, target, current, adapter.settings().container().orElse(null));
        Container container = containers(current).get(index);
        String runningImage = container.getImage();
        String revision = annotation(current, REVISION);

        if (image.equals(runningImage)) {
            JsonNode mine = ownLastDeploy(current, context, container.getName(), image);
            if (mine != null) {
                // our own earlier attempt set it: report what ran before that attempt
                String previousImage = mine.path("previousImage").asText(null);
                return deployed(adapter, version, target, container.getName(), previousImage, image,
                        mine.path("previousRevision").asText(null), current, true);
            }
            return deployed(adapter, version, target, container.getName(), runningImage, image, revision, current, false);
        }

        ObjectNode record = JSON.createObjectNode().put("task", context.taskId())
                .put("cycle", String.valueOf(context.cycleId())).put("container", container.getName())
                .put("image", image).put("previousImage", runningImage).put("previousRevision", revision);
        Deployment patched = setImage(target, current, index, container.getName(), runningImage, image, record);
        return deployed(adapter, version, target, container.getName(), runningImage, image, revision, patched, false);
    }

    @Override
    public Deployed rollback(NamedAdapter adapter, Deployed recorded, TaskContext context) throws TaskFailure, InterruptedException {
        if (recorded == null) {
            throw new TaskFailure("adapter '" + adapter.name() + "': nothing to roll back to: no deployment was recorded "
                    + "(the deploy step left no result)", false);
        }
        Target target = target(adapter);
        Map<String, Object> details = recorded.details() == null ? Map.of() : recorded.details();
        String recordedTarget = details.get("namespace") + "/" + details.get("deployment");
        if (details.containsKey("deployment") && !recordedTarget.equals(target.label())) {
            throw new TaskFailure("adapter '" + adapter.name() + "': the recorded deployment was of " + recordedTarget
                    + ", but the adapter now points at " + target.label() + "; not rolling back", false);
        }
        String wanted = text(details.get("previousImage"));
        if (wanted == null && recorded.previousVersion() != null) {
            wanted = adapter.settings().imageTemplate().replace(VERSION, recorded.previousVersion());
        }
        if (wanted == null) {
            throw new TaskFailure("adapter '" + adapter.name() + "': the recorded deployment of " + target.label()
                    + " names no previous image or version to roll back to", false);
        }
        Deployment current = read(target);
        String containerName = Optional.ofNullable(text(details.get("container"))).or(() -> adapter.settings().container()).orElse(null);
        int index = containerIndex(adapter, target, current, containerName);
        Container container = containers(current).get(index);
        String runningImage = container.getImage();
        String revision = annotation(current, REVISION);
        Deployment after = current;
        if (!wanted.equals(runningImage)) {
            after = setImage(target, current, index, container.getName(), runningImage, wanted, null);
        }
        String restored = recorded.previousVersion() != null ? recorded.previousVersion() : versionOf(adapter, wanted);
        return deployed(adapter, restored, target, container.getName(), runningImage, wanted, revision, after, false);
    }

    @Override
    public Optional<RolloutStatus> rolloutStatus(NamedAdapter adapter, TaskContext context) throws TaskFailure, InterruptedException {
        Target target = target(adapter);
        return Optional.of(status(target, read(target)));
    }

    /** Kubernetes' view of the rollout, with kubectl's rollout-status wording. */
    static RolloutStatus status(Target target, Deployment d) {
        long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        Integer specReplicas = d.getSpec() == null ? null : d.getSpec().getReplicas();
        int desired = specReplicas == null ? 1 : specReplicas;
        DeploymentStatus s = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
        long observed = s.getObservedGeneration() == null ? 0 : s.getObservedGeneration();
        int updated = orZero(s.getUpdatedReplicas());
        int available = orZero(s.getAvailableReplicas());
        int total = orZero(s.getReplicas());
        DeploymentCondition deadline = s.getConditions() == null ? null : s.getConditions().stream()
                .filter(c -> "Progressing".equals(c.getType()) && "ProgressDeadlineExceeded".equals(c.getReason()))
                .findFirst().orElse(null);
        String message;
        if (deadline != null) {
            message = deadline.getMessage() != null ? deadline.getMessage()
                    : "deployment " + target.label() + " exceeded its progress deadline";
        } else if (observed < generation) {
            message = "waiting for the deployment spec update to be observed (generation " + generation + ", observed " + observed + ")";
        } else if (updated < desired) {
            message = updated + " of " + desired + " new replicas have been updated";
        } else if (total > updated) {
            message = (total - updated) + " old replicas are pending termination";
        } else if (available < updated) {
            message = available + " of " + updated + " updated replicas are available";
        } else {
            message = "deployment " + target.label() + " successfully rolled out";
        }
        if (d.getSpec() != null && Boolean.TRUE.equals(d.getSpec().getPaused()) && deadline == null) {
            message = "paused (it will not progress until resumed); " + message;
        }
        return new RolloutStatus(generation, observed, desired, updated, available, total, deadline != null, message);
    }

    private Target target(NamedAdapter adapter) throws TaskFailure {
        AdapterConfig.Adapter settings = adapter.settings();
        String name = settings.deployment().filter(s -> !s.isBlank()).orElseThrow(() -> new TaskFailure("adapter '"
                + adapter.name() + "' (kubernetes) names no Deployment: set cyclefleet.adapters." + adapter.name() + ".deployment", false));
        String namespace = settings.namespace().filter(s -> !s.isBlank())
                .orElseGet(() -> Optional.ofNullable(client.getNamespace()).orElse("default"));
        return new Target(namespace, name, apiServer());
    }

    /** scheme://host:port of the API server, never a path or credentials. */
    private String apiServer() {
        try {
            URL u = client.getMasterUrl();
            return u.getProtocol() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
        } catch (RuntimeException e) {
            return "(API server unknown: " + Outbound.describe(e) + ")";
        }
    }

    private Deployment read(Target target) throws TaskFailure, InterruptedException {
        Deployment d = call(target, true, () -> client.apps().deployments().inNamespace(target.namespace()).withName(target.name()).get());
        if (d == null) {
            throw notFound(target);
        }
        return d;
    }

    /**
     * One JSON patch: test the container's name and image at {@code index}, replace the image, and (for a
     * deploy) record the change on the Deployment. Not idempotent, so not retried.
     */
    private Deployment setImage(Target target, Deployment current, int index, String container, String from, String to,
                                ObjectNode record) throws TaskFailure, InterruptedException {
        String base = "/spec/template/spec/containers/" + index;
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", base + "/name").put("value", container);
        patch.addObject().put("op", "test").put("path", base + "/image").put("value", from);
        patch.addObject().put("op", "replace").put("path", base + "/image").put("value", to);
        if (record != null) {
            if (current.getMetadata().getAnnotations() == null) {
                patch.addObject().put("op", "add").put("path", "/metadata/annotations").putObject("value");
            }
            patch.addObject().put("op", "add").put("path", "/metadata/annotations/" + LAST_DEPLOY.replace("~", "~0").replace("/", "~1"))
                    .put("value", record.toString());
        }
        Deployment patched = call(target, false, () -> client.apps().deployments().inNamespace(target.namespace())
                .withName(target.name()).patch(PatchContext.of(PatchType.JSON), patch.toString()));
        if (patched == null) {
            throw notFound(target);
        }
        return patched;
    }

    /**
     * Runs one API call through {@link Outbound}. Errors that retrying cannot fix (forbidden, not found) come
     * back as non-retryable {@link TaskFailure}s; transport failures are rethrown as their root cause
     * (ConnectException, a timeout) and HTTP errors as {@link ApiError}, for Outbound to name with the target.
     */
    private <T> T call(Target target, boolean idempotent, Callable<T> work) throws TaskFailure, InterruptedException {
        return outbound.call(target.key(), idempotent, () -> {
            try {
                return work.call();
            } catch (KubernetesClientException e) {
                throw translate(target, e);
            }
        });
    }

    private Exception translate(Target target, KubernetesClientException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof InterruptedException ie) {
            return ie;
        }
        int code = e.getCode();
        String reason = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
        if (code == 401 || code == 403) {
            return new TaskFailure(target.key() + ": HTTP " + code + ": " + reason
                    + " (the worker's credentials must allow get and patch on deployments in " + target.namespace() + ")", false);
        }
        if (code == 404) {
            return notFound(target);
        }
        if (code > 0) {
            return new ApiError("HTTP " + code + ": " + reason);
        }
        return root instanceof Exception ex && root != e ? ex : e;
    }

    private static TaskFailure notFound(Target target) {
        return new TaskFailure("deployment " + target.label() + " not found (" + target.key() + ")", false);
    }

    /** An HTTP error from the API server: retryable unless {@link #translate} decided otherwise. */
    static final class ApiError extends Exception {
        ApiError(String message) {
            super(message);
        }
    }

    private static int containerIndex(NamedAdapter adapter, Target target, Deployment d, String wanted) throws TaskFailure {
        List<Container> containers = containers(d);
        List<String> names = containers.stream().map(Container::getName).toList();
        if (wanted == null) {
            if (containers.size() == 1) {
                return 0;
            }
            throw new TaskFailure("deployment " + target.label() + " has containers " + names + ": set cyclefleet.adapters."
                    + adapter.name() + ".container to the one to deploy", false);
        }
        int i = names.indexOf(wanted);
        if (i < 0) {
            throw new TaskFailure("deployment " + target.label() + " has no container '" + wanted + "' (it has " + names + ")", false);
        }
        return i;
    }

    private static List<Container> containers(Deployment d) {
        if (d.getSpec() == null || d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getSpec() == null
                || d.getSpec().getTemplate().getSpec().getContainers() == null) {
            return List.of();
        }
        return d.getSpec().getTemplate().getSpec().getContainers();
    }

    /** This task's own record of the image change now in place, if it made it (an earlier attempt). */
    private static JsonNode ownLastDeploy(Deployment d, TaskContext context, String container, String image) {
        String text = annotation(d, LAST_DEPLOY);
        if (text == null) {
            return null;
        }
        try {
            JsonNode r = JSON.readTree(text);
            boolean mine = r.path("task").asLong(-1) == context.taskId()
                    && String.valueOf(context.cycleId()).equals(r.path("cycle").asText())
                    && container.equals(r.path("container").asText()) && image.equals(r.path("image").asText())
                    && r.hasNonNull("previousImage");
            return mine ? r : null;
        } catch (Exception e) {
            return null; // someone else's or mangled: treat the image as already running before this task
        }
    }

    private Deployed deployed(NamedAdapter adapter, String version, Target target, String container, String previousImage,
                              String image, String previousRevision, Deployment after, boolean repeated) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("namespace", target.namespace());
        details.put("deployment", target.name());
        details.put("container", container);
        details.put("apiServer", target.apiServer());
        details.put("previousImage", previousImage);
        details.put("image", image);
        if (previousRevision != null) {
            details.put("previousRevision", previousRevision);
        }
        if (after.getMetadata().getGeneration() != null) {
            details.put("generation", after.getMetadata().getGeneration());
        }
        if (Objects.equals(previousImage, image)) {
            details.put("unchanged", true);
        } else if (repeated) {
            details.put("repeated", true);
        }
        return new Deployed(adapter.name(), version, previousImage == null ? null : versionOf(adapter, previousImage), details);
    }

    /** The version in {@code image} when it matches the adapter's image-template, else the whole image. */
    static String versionOf(NamedAdapter adapter, String image) {
        String template = adapter.settings().imageTemplate();
        int at = template.indexOf(VERSION);
        if (at < 0) {
            return image;
        }
        String prefix = template.substring(0, at);
        String suffix = template.substring(at + VERSION.length());
        if (image.length() > prefix.length() + suffix.length() && image.startsWith(prefix) && image.endsWith(suffix)) {
            return image.substring(prefix.length(), image.length() - suffix.length());
        }
        return image;
    }

    private static String annotation(Deployment d, String key) {
        Map<String, String> a = d.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }

    private static int orZero(Integer i) {
        return i == null ? 0 : i;
    }
}
