package io.cyclefleet.cycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cyclefleet.api.InvalidSpecException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in cycle templates (classpath {@code cycle-templates/NAME.json}) and their expansion: a spec that
 * names a template is merged onto it — objects field by field, arrays of keyed objects (steps, gates) by
 * {@code key} with new keys appended, every other value replaced (an empty array too: {@code "gates": []}
 * drops the template's gates); a {@code null} inside params removes the template's value (JSON Merge Patch).
 * A step whose {@code kind} is overridden starts without the template's params, which belonged to the old kind.
 */
@ApplicationScoped
public class CycleTemplates {

    static final List<String> BUILT_IN = List.of("standard");

    public record Template(String name, String description, JsonNode spec) {
    }

    private final ObjectMapper json;
    private final Map<String, Template> templates = new LinkedHashMap<>();

    public CycleTemplates(ObjectMapper json) {
        this.json = json;
        for (String name : BUILT_IN) {
            try (InputStream in = getClass().getClassLoader().getResourceAsStream("cycle-templates/" + name + ".json")) {
                JsonNode t = json.readTree(in);
                templates.put(name, new Template(name, t.path("description").asText(), t.get("spec")));
            } catch (IOException e) {
                throw new UncheckedIOException("built-in template " + name + " is unreadable", e);
            }
        }
    }

    public List<Template> list() {
        return new ArrayList<>(templates.values());
    }

    public CycleSpec expand(CycleSpec requested) {
        if (requested.template() == null) {
            return requested;
        }
        Template t = templates.get(requested.template());
        if (t == null) {
            throw InvalidSpecException.of("template", "unknown template '" + requested.template() + "'; built-in: "
                    + String.join(", ", templates.keySet()));
        }
        ObjectNode merged = t.spec().deepCopy();
        ObjectNode overrides = json.valueToTree(requested);
        overrides.remove("template");
        merge(merged, overrides);
        try {
            return json.treeToValue(merged, CycleSpec.class);
        } catch (JsonProcessingException e) {
            throw InvalidSpecException.of("template", "overrides do not fit template '" + t.name() + "': " + e.getOriginalMessage());
        }
    }

    private static void merge(ObjectNode base, ObjectNode overrides) {
        for (Iterator<Map.Entry<String, JsonNode>> it = overrides.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode old = base.get(f.getKey());
            JsonNode over = f.getValue();
            if (over.isNull()) {
                base.remove(f.getKey());
            } else if (old instanceof ObjectNode o && over instanceof ObjectNode n) {
                merge(o, n);
            } else if (old instanceof ArrayNode o && over instanceof ArrayNode n && !n.isEmpty() && keyed(o) && keyed(n)) {
                mergeByKey(o, n);
            } else {
                base.set(f.getKey(), over.deepCopy());
            }
        }
    }

    private static void mergeByKey(ArrayNode base, ArrayNode overrides) {
        for (JsonNode over : overrides) {
            ObjectNode match = null;
            for (JsonNode b : base) {
                if (b.get("key").equals(over.get("key"))) {
                    match = (ObjectNode) b;
                }
            }
            if (match == null) {
                base.add(over.deepCopy());
            } else {
                if (over.has("kind") && !over.get("kind").equals(match.get("kind"))) {
                    match.remove("params"); // params belong to the kind: another kind starts from none
                }
                merge(match, (ObjectNode) over);
            }
        }
    }

    private static boolean keyed(ArrayNode array) {
        for (JsonNode n : array) {
            if (!n.isObject() || !n.path("key").isTextual()) {
                return false;
            }
        }
        return true;
    }
}
