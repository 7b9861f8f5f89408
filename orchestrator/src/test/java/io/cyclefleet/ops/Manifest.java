package io.cyclefleet.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** One Kubernetes object and where it came from (a file, or a rendered overlay). */
record Manifest(String source, JsonNode doc) {

    String kind() {
        return doc.path("kind").asText();
    }

    String name() {
        return doc.path("metadata").path("name").asText();
    }

    String namespace() {
        return doc.path("metadata").path("namespace").asText("");
    }

    boolean is(String kind) {
        return kind().equals(kind);
    }

    /** For messages: {@code Deployment/cyclefleet-worker (k8s/base/worker.yaml)}. */
    String id() {
        return kind() + "/" + name() + (namespace().isEmpty() ? "" : " in " + namespace()) + " (" + source + ")";
    }

    JsonNode podSpec() {
        return doc.path("spec").path("template").path("spec");
    }

    Map<String, String> podLabels() {
        return Yaml.strings(doc.path("spec").path("template").path("metadata").path("labels"));
    }

    List<JsonNode> containers() {
        return Yaml.list(podSpec().path("containers"));
    }

    /** Whether every label of the selector is on this object's pods (an empty selector matches nothing here). */
    boolean podsMatch(Map<String, String> selector) {
        return !selector.isEmpty() && podLabels().entrySet().containsAll(selector.entrySet());
    }

    static boolean isManifest(JsonNode doc) {
        return doc.hasNonNull("apiVersion") && doc.hasNonNull("kind");
    }
}
