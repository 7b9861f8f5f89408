package io.cyclefleet.deploy.kubernetes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.deploy.AdapterConfig;
import io.cyclefleet.deploy.Adapters;
import io.cyclefleet.deploy.Deployed;
import io.cyclefleet.deploy.DeploymentAdapter;
import io.cyclefleet.deploy.Intent;
import io.cyclefleet.deploy.NamedAdapter;
import io.cyclefleet.deploy.Observed;
import io.cyclefleet.deploy.RolloutStatus;
import io.cyclefleet.outbound.Outbound;
import io.cyclefleet.run.TaskContext;
import io.cyclefleet.run.TaskFailure;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Status;
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
 * {@code kubectl set image}, and rolls back by setting the image the deploy replaced, which makes the controller
 * reuse the previous ReplicaSet (a new revision, as {@code kubectl rollout undo} makes).
 *
 * <p>Every change is one JSON patch conditioned on the Deployment being unchanged since it was read (a test of
 * {@code metadata.resourceVersion}) and carrying the intent's fencing token in the annotation {@value #FENCE}. Before
 * patching, the adapter refuses to act when that annotation already holds a newer token: a stale attempt (its worker
 * paused or cut off, resumed after a rollback) can then never undo the rollback, even where the image it would set
 * looks unchanged. A concurrent change (the controller updating the status) fails the test; the adapter reads again
 * and retries a few times. The annotation {@value #LAST_CHANGE} keeps the last change for people reading the object
 * (task, cycle, previous image and revision); cyclefleet reads what to restore from Postgres, not from it.
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
    /** The fencing token of the newest cyclefleet change applied to this Deployment. */
    public static final String FENCE = "cyclefleet.io/fencing-token";
    /** Written with each change, for people: {task, cycle, container, image, previousImage, previousRevision, fencingToken}. */
    public static final String LAST_CHANGE = "cyclefleet.io/last-change";

    private static final String VERSION = "{{version}}";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The API server's message for a JSON patch it could not apply (see {@link #isConflict}). */
    static final String PATCH_NOT_APPLIED = "the server rejected our request due to an error in our request";
    /** Patches refused because the Deployment changed between read and patch, tried again up to this many times. */
    private static final int CONFLICT_TRIES = 4;

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
    public Observed observe(NamedAdapter adapter, TaskContext context) throws TaskFailure, InterruptedException {
        Target target = target(adapter);
        Deployment current = read(target);
        Container container = containers(current).get(containerIndex(adapter, target, current, adapter.settings().container().orElse(null)));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("namespace", target.namespace());
        state.put("deployment", target.name());
        state.put("container", container.getName());
        state.put("image", container.getImage());
        putIfPresent(state, "revision", annotation(current, REVISION));
        putIfPresent(state, "resourceVersion", current.getMetadata().getResourceVersion());
        putIfPresent(state, "generation", current.getMetadata().getGeneration());
        putIfPresent(state, FENCE, annotation(current, FENCE));
        return new Observed(container.getImage() == null ? null : versionOf(adapter, container.getImage()), true, state);
    }

    @Override
    public Deployed converge(NamedAdapter adapter, Intent intent, TaskContext context) throws TaskFailure, InterruptedException {
        Adapters.checkVersion(adapter, intent.toVersion()); // the version becomes part of an image reference
        Target target = target(adapter);
        Map<String, Object> restore = intent.restore() == null ? Map.of() : intent.restore();
        if (restore.containsKey("deployment") && !(restore.get("namespace") + "/" + restore.get("deployment")).equals(target.label())) {
            throw new TaskFailure("adapter '" + adapter.name() + "': the deployment was of " + restore.get("namespace") + "/"
                    + restore.get("deployment") + ", but the adapter now points at " + target.label() + "; not rolling back", false);
        }
        String template = adapter.settings().imageTemplate();
        if (!template.contains(VERSION)) {
            throw new TaskFailure("adapter '" + adapter.name() + "': image-template '" + template + "' has no " + VERSION, false);
        }
        // a rollback puts back the exact image the deploy replaced (which may not match the template)
        String image = restore.get("image") != null && intent.toVersion().equals(versionOf(adapter, restore.get("image").toString()))
                ? restore.get("image").toString() : template.replace(VERSION, intent.toVersion());
        String containerName = Optional.ofNullable(text(restore.get("container"))).or(() -> adapter.settings().container()).orElse(null);
        for (int attempt = 1; ; attempt++) {
            if (intent.remaining().isNegative()) {
                throw new TaskFailure("adapter '" + adapter.name() + "': no time left to act on " + target.label() + " within its timeout of "
                        + adapter.settings().timeout(), true);
            }
            Deployment current = read(target);
            refuseIfChangedSince(adapter, target, intent, current);
            int index = containerIndex(adapter, target, current, containerName);
            Container container = containers(current).get(index);
            String running = container.getImage();
            String revision = annotation(current, REVISION);
            ObjectNode record = JSON.createObjectNode().put("task", context.taskId()).put("cycle", String.valueOf(context.cycleId()))
                    .put("container", container.getName()).put("image", image).put("previousImage", running)
                    .put("previousRevision", revision).put("fencingToken", intent.fencingToken());
            try {
                Deployment patched = patch(target, current, index, container.getName(), running, image, intent.fencingToken(), record);
                return deployed(adapter, intent, target, container.getName(), running, image, revision, patched);
            } catch (Conflict e) {
                if (attempt >= CONFLICT_TRIES) {
                    throw new TaskFailure(target.key() + ": the Deployment kept changing between read and patch (" + e.getMessage() + ")", true);
                }
            }
        }
    }

    /**
     * Acts only on the Deployment as the intent observed it: refuses when it carries a newer fencing token (a newer
     * change: this attempt is stale), or when its spec or fencing token changed since the intent's observation (a
     * change this attempt did not see, such as a rollback that found the image already restored and only fenced).
     * Status updates by the controller change neither, so they never refuse an attempt.
     */
    private static void refuseIfChangedSince(NamedAdapter adapter, Target target, Intent intent, Deployment current) throws TaskFailure {
        String applied = annotation(current, FENCE);
        if (applied != null && parseToken(applied) > intent.fencingToken()) {
            throw new TaskFailure("adapter '" + adapter.name() + "': " + target.label() + " already carries a newer change (fencing token "
                    + applied + ") than this attempt's (" + intent.fencingToken() + "): this attempt is stale and does not act", false);
        }
        Map<String, Object> seen = intent.observed() == null ? Map.of() : intent.observed().state();
        Object generation = seen.get("generation");
        Long now = current.getMetadata().getGeneration();
        if (generation != null && now != null && Long.parseLong(generation.toString()) != now
                || seen.containsKey("generation") && !Objects.equals(text(seen.get(FENCE)), applied)) {
            throw new TaskFailure("adapter '" + adapter.name() + "': " + target.label() + " changed since this attempt observed it (generation "
                    + generation + " then, " + now + " now; fencing token " + text(seen.get(FENCE)) + " then, " + applied
                    + " now): not acting over a change it did not see", true);
        }
    }

    @Override
    public void fence(NamedAdapter adapter, Intent intent, TaskContext context) throws TaskFailure, InterruptedException {
        Target target = target(adapter);
        for (int attempt = 1; ; attempt++) {
            Deployment current = read(target);
            String applied = annotation(current, FENCE);
            if (applied != null && parseToken(applied) >= intent.fencingToken()) {
                return; // as new a change is marked already
            }
            ArrayNode patch = JSON.createArrayNode();
            patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion").put("value", current.getMetadata().getResourceVersion());
            addFence(patch, current, intent.fencingToken());
            try {
                apply(target, patch);
                return;
            } catch (Conflict e) {
                if (attempt >= CONFLICT_TRIES) {
                    throw new TaskFailure(target.key() + ": the Deployment kept changing between read and patch (" + e.getMessage() + ")", true);
                }
            }
        }
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
     * One JSON patch, applied only if the Deployment is unchanged since {@code current} was read: test its resource
     * version and the container's name, set the image (when it differs) and the fencing token and record annotations.
     * A failed test is a {@link Conflict}. Not idempotent, so not retried by {@link Outbound}.
     */
    private Deployment patch(Target target, Deployment current, int index, String container, String from, String to, long token,
                             ObjectNode record) throws TaskFailure, InterruptedException, Conflict {
        String base = "/spec/template/spec/containers/" + index;
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion").put("value", current.getMetadata().getResourceVersion());
        patch.addObject().put("op", "test").put("path", base + "/name").put("value", container);
        if (!to.equals(from)) {
            patch.addObject().put("op", "replace").put("path", base + "/image").put("value", to);
        }
        addFence(patch, current, token);
        patch.addObject().put("op", "add").put("path", "/metadata/annotations/" + pointer(LAST_CHANGE)).put("value", record.toString());
        return apply(target, patch);
    }

    /** Adds the fencing-token annotation (and the annotations map, when the Deployment has none) to a patch. */
    private static void addFence(ArrayNode patch, Deployment current, long token) {
        if (current.getMetadata().getAnnotations() == null) {
            patch.addObject().put("op", "add").put("path", "/metadata/annotations").putObject("value");
        }
        patch.addObject().put("op", "add").put("path", "/metadata/annotations/" + pointer(FENCE)).put("value", Long.toString(token));
    }

    /** Sends one JSON patch; a failed test is a {@link Conflict}. Not idempotent, so not retried by {@link Outbound}. */
    private Deployment apply(Target target, ArrayNode patch) throws TaskFailure, InterruptedException, Conflict {
        Patched result = call(target, false, () -> {
            try {
                return new Patched(client.apps().deployments().inNamespace(target.namespace()).withName(target.name())
                        .patch(PatchContext.of(PatchType.JSON), patch.toString()), null);
            } catch (KubernetesClientException e) {
                if (isConflict(e)) {
                    return new Patched(null, "HTTP " + e.getCode() + ": " + e.getMessage());
                }
                throw e;
            }
        });
        if (result.conflict() != null) {
            throw new Conflict(result.conflict());
        }
        if (result.deployment() == null) {
            throw notFound(target);
        }
        return result.deployment();
    }

    /** A patch's answer: the Deployment after it, or why its tests failed. */
    private record Patched(Deployment deployment, String conflict) {
    }

    /**
     * The Deployment changed between read and patch: a write conflicted (409), or the JSON patch could not be applied.
     * The API server answers the latter, a failed {@code test} among them, with HTTP 422, reason Invalid, the generic
     * message {@value #PATCH_NOT_APPLIED} and no causes (k8s.io/apiserver, endpoints/handlers/patch.go: the json-patch
     * error is not passed on). The adapter's patch tests the resource version first, so on the Deployment it read every
     * operation applies: a patch that does not apply means the Deployment changed. Any other 422 (a validation or an
     * admission failure: its own message, its fields as causes) is not a conflict, and reading again would not help.
     * fabric8's message is no guide: it carries the Status' toString, where "resourceVersion=null" always appears.
     */
    static boolean isConflict(KubernetesClientException e) {
        if (e.getCode() == 409) {
            return true;
        }
        Status s = e.getStatus();
        return e.getCode() == 422 && s != null && PATCH_NOT_APPLIED.equals(s.getMessage())
                && (s.getDetails() == null || s.getDetails().getCauses() == null || s.getDetails().getCauses().isEmpty());
    }

    /** The Deployment changed between read and patch. */
    static final class Conflict extends Exception {
        Conflict(String message) {
            super(message);
        }
    }

    /** JSON pointer escaping of an annotation key ("/" and "~"). */
    private static String pointer(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static long parseToken(String text) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // unreadable: someone else's, never overwrite it blindly
        }
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

    private Deployed deployed(NamedAdapter adapter, Intent intent, Target target, String container, String previousImage,
                              String image, String previousRevision, Deployment after) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("namespace", target.namespace());
        details.put("deployment", target.name());
        details.put("container", container);
        details.put("apiServer", target.apiServer());
        details.put("previousImage", previousImage);
        details.put("image", image);
        putIfPresent(details, "previousRevision", previousRevision);
        putIfPresent(details, "generation", after.getMetadata().getGeneration());
        details.put("fencingToken", intent.fencingToken());
        if (Objects.equals(previousImage, image)) {
            details.put("unchanged", true);
        }
        return new Deployed(adapter.name(), intent.toVersion(), previousImage == null ? null : versionOf(adapter, previousImage), details);
    }

    private static void putIfPresent(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
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
