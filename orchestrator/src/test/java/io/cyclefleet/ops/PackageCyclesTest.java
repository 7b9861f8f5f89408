package io.cyclefleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No two packages of a module depend on each other, directly or through others: each feature can be read, changed and
 * tested from the packages below it. handler ↔ deploy (the run contract, now {@code run/}), queue ↔ task (the message,
 * now in {@code queue/}) and api ↔ cycle (InvalidSpecException, now in {@code api/}) did; so did the orchestrator's
 * task ↔ cycle ↔ incident (the reconciler, now in {@code maintenance/}, and the completion listener, now in
 * {@code cycle/}, drove the advancer from {@code task/}; incidents read the timeline, now {@code timeline/}, and the
 * configuration, now {@code config/}, from {@code cycle/}).
 */
class PackageCyclesTest {

    private static final Pattern PACKAGE = Pattern.compile("^package (io\\.cyclefleet[\\w.]*);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.cyclefleet(?:\\.[a-z]\\w*)+)\\.[A-Z]");

    @Test
    void noModuleHasADependencyCycleBetweenItsPackages() {
        Repo repo = Repo.locate();
        for (String module : List.of("shared-model", "worker", "orchestrator")) {
            Map<String, Set<String>> uses = dependencies(repo.root.resolve(module).resolve("src/main/java"));
            assertTrue(uses.size() > 3, module + ": " + uses.keySet());
            assertEquals(List.of(), cycles(uses), module + ": packages that depend on each other");
        }
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> uses = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertEquals(List.of("a -> b -> c -> a"), cycles(uses));
    }

    /** Package → the packages of this cyclefleet module its classes name (imports or qualified names). */
    private static Map<String, Set<String>> dependencies(Path sources) {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                Matcher p = PACKAGE.matcher(text);
                if (!p.find()) {
                    continue;
                }
                Set<String> targets = uses.computeIfAbsent(p.group(1), k -> new TreeSet<>());
                Matcher r = REFERENCE.matcher(text);
                while (r.find()) {
                    if (!r.group(1).equals(p.group(1))) {
                        targets.add(r.group(1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return uses;
    }

    /** Each elementary cycle once, as "a -> b -> a", starting from its smallest package (depth-first search). */
    static List<String> cycles(Map<String, Set<String>> uses) {
        Set<String> found = new TreeSet<>();
        for (String start : uses.keySet()) {
            walk(uses, start, new ArrayList<>(List.of(start)), found);
        }
        return new ArrayList<>(found);
    }

    private static void walk(Map<String, Set<String>> uses, String start, List<String> path, Set<String> found) {
        for (String next : uses.getOrDefault(path.get(path.size() - 1), Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                found.add(String.join(" -> ", cycle));
            } else if (next.compareTo(start) > 0 && !path.contains(next) && uses.containsKey(next)) {
                path.add(next);
                walk(uses, start, path, found);
                path.remove(path.size() - 1);
            }
        }
    }
}
