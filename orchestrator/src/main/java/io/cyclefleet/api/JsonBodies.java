package io.cyclefleet.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * Strict JSON reading for request bodies: unknown fields, wrong types and trailing garbage are errors
 * that name the field (as a JSON path), never a 500.
 */
@ApplicationScoped
public class JsonBodies {

    private final ObjectMapper strict;

    public JsonBodies(ObjectMapper mapper) {
        this.strict = mapper.copy()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Textual, LogicalType.Boolean, LogicalType.Float}) {
            strict.coercionConfigFor(t)
                    .setCoercion(CoercionInputShape.String, t == LogicalType.Textual ? CoercionAction.TryConvert : CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, t == LogicalType.Integer || t == LogicalType.Float ? CoercionAction.TryConvert : CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, t == LogicalType.Float ? CoercionAction.TryConvert : CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, t == LogicalType.Boolean ? CoercionAction.TryConvert : CoercionAction.Fail);
        }
    }

    public <T> T read(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            throw InvalidSpecException.of("$", "request body is empty; expected a JSON object");
        }
        JsonNode tree;
        try {
            tree = strict.readTree(body);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw InvalidSpecException.of("$", "malformed JSON" + where + ": " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw InvalidSpecException.of("$", "expected a JSON object, got " + (tree == null ? "nothing" : tree.getNodeType().name().toLowerCase()));
        }
        try {
            return strict.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw InvalidSpecException.of(path(e), "unknown field '" + e.getPropertyName() + "'");
        } catch (JsonMappingException e) {
            throw InvalidSpecException.of(path(e), "wrong type or value: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw InvalidSpecException.of("$", e.getOriginalMessage());
        }
    }

    static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "$" : sb.toString();
    }

    public static UUID uuid(String value, String field) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw InvalidSpecException.of(field, "'" + value + "' is not a UUID");
        }
    }

    public static int limit(String value, int defaultValue, int max) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the error
        }
        throw InvalidSpecException.of("limit", "must be an integer between 1 and " + max + ", got '" + value + "'");
    }

    /** A query parameter that is true or false (absent: {@code defaultValue}); anything else is a 400 naming it. */
    public static boolean bool(String value, String field, boolean defaultValue) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw InvalidSpecException.of(field, "must be true or false, got '" + value + "'");
        };
    }
}
