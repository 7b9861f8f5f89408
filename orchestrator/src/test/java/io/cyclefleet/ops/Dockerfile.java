package io.cyclefleet.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stages of a multi-stage Dockerfile and their instructions, enough to check what the images expose and
 * how they start without a Docker engine. A stage built FROM another stage inherits what it does not set.
 */
final class Dockerfile {

    record Instruction(String keyword, String arguments) {
    }

    record Stage(String name, String from, List<Instruction> instructions) {
    }

    private static final Pattern FROM = Pattern.compile("(?i)(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+AS\\s+(\\S+))?");

    private final Map<String, Stage> stages = new LinkedHashMap<>();

    private Dockerfile() {
    }

    static Dockerfile parse(Path file) throws IOException {
        Dockerfile dockerfile = new Dockerfile();
        List<Instruction> current = null;
        for (String line : logicalLines(Files.readAllLines(file))) {
            String[] parts = line.split("\\s+", 2);
            Instruction instruction = new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1].trim() : "");
            if (instruction.keyword().equals("FROM")) {
                Matcher m = FROM.matcher(instruction.arguments());
                if (!m.matches()) {
                    throw new IllegalArgumentException(file + ": cannot read FROM " + instruction.arguments());
                }
                String name = m.group(2) != null ? m.group(2) : "stage-" + dockerfile.stages.size();
                current = new ArrayList<>();
                dockerfile.stages.put(name, new Stage(name, m.group(1), current));
            } else if (current != null) {
                current.add(instruction);
            }
        }
        return dockerfile;
    }

    /** Lines joined across trailing backslashes, without comments, parser directives or blank lines. */
    private static List<String> logicalLines(List<String> lines) {
        List<String> logical = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
                continue;
            }
            boolean continues = line.endsWith("\\");
            pending.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!continues) {
                logical.add(pending.toString().strip());
                pending.setLength(0);
            }
        }
        return logical;
    }

    Map<String, Stage> stages() {
        return stages;
    }

    Optional<Stage> stage(String name) {
        return Optional.ofNullable(stages.get(name));
    }

    /** Every instruction with this keyword along the stage's chain of parent stages, the stage's own first. */
    List<String> all(String stageName, String keyword) {
        List<String> found = new ArrayList<>();
        for (Stage s = stages.get(stageName); s != null; s = stages.get(s.from())) {
            s.instructions().stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).forEach(found::add);
        }
        return found;
    }

    /** The effective value of a keyword that the last occurrence decides (USER, ENTRYPOINT, STOPSIGNAL). */
    Optional<String> last(String stageName, String keyword) {
        for (Stage s = stages.get(stageName); s != null; s = stages.get(s.from())) {
            List<Instruction> own = s.instructions().stream().filter(i -> i.keyword().equals(keyword)).toList();
            if (!own.isEmpty()) {
                return Optional.of(own.get(own.size() - 1).arguments());
            }
        }
        return Optional.empty();
    }

    /** The image a stage finally builds on (following FROM through other stages). */
    String baseImage(String stageName) {
        Stage s = stages.get(stageName);
        while (stages.containsKey(s.from())) {
            s = stages.get(s.from());
        }
        return s.from();
    }

    /** Ports from EXPOSE ("8080", "8080/tcp"), along the chain. */
    List<Integer> exposed(String stageName) {
        return all(stageName, "EXPOSE").stream()
                .flatMap(args -> List.of(args.split("\\s+")).stream())
                .map(p -> Integer.parseInt(p.replaceAll("/.*", "")))
                .toList();
    }

    /** Stages a stage copies from (COPY --from=NAME). */
    List<String> copiesFrom(String stageName) {
        Pattern from = Pattern.compile("--from=(\\S+)");
        return all(stageName, "COPY").stream().map(from::matcher).filter(Matcher::find).map(m -> m.group(1)).distinct().toList();
    }
}
