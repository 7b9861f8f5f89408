package io.cyclefleet.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * YAML files as Jackson trees. Loaded with SnakeYAML (what Jackson's YAML module is built on) because it
 * resolves anchors and merge keys, which docker/compose.yaml uses ({@code <<: *fleet-env}) and Jackson's
 * streaming parser leaves unresolved.
 */
final class Yaml {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Yaml() {
    }

    /** Every document of a file (multi-document aware); empty documents are left out. */
    static List<JsonNode> load(Path file) throws IOException {
        org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions()));
        List<JsonNode> docs = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file)) {
            for (Object doc : yaml.loadAll(reader)) {
                if (doc != null) {
                    docs.add(JSON.valueToTree(doc));
                }
            }
        }
        return docs;
    }

    static List<JsonNode> loadString(String text) {
        org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions()));
        List<JsonNode> docs = new ArrayList<>();
        for (Object doc : yaml.loadAll(text)) {
            if (doc != null) {
                docs.add(JSON.valueToTree(doc));
            }
        }
        return docs;
    }

    static String dump(JsonNode node) {
        return new org.yaml.snakeyaml.Yaml().dump(JSON.convertValue(node, Object.class));
    }

    /** A YAML mapping of scalars (labels, selectors, ConfigMap data) as a sorted map. */
    static Map<String, String> strings(JsonNode mapping) {
        Map<String, String> map = new TreeMap<>();
        mapping.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    /** The elements of a sequence, or none when the node is missing. */
    static List<JsonNode> list(JsonNode sequence) {
        List<JsonNode> items = new ArrayList<>();
        sequence.forEach(items::add);
        return items;
    }
}
