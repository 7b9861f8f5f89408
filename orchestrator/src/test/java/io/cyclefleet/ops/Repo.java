package io.cyclefleet.ops;

import io.smallrye.config.common.utils.StringUtil;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The repository the manifests describe: its modules' configuration as the services themselves read it. */
final class Repo {

    /** The Maven modules that are services, which are also the Dockerfile's targets. */
    static final List<String> SERVICES = List.of("orchestrator", "worker");

    final Path root;

    Repo(Path root) {
        this.root = root;
    }

    /** The checkout: tests run in the module's folder (Maven) or at the root (an IDE). */
    static Repo locate() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isDirectory(p.resolve("shared-model"))) {
                return new Repo(p);
            }
        }
        throw new IllegalStateException("no cyclefleet checkout above " + here);
    }

    Path path(String relative) {
        return root.resolve(relative);
    }

    String relative(Path p) {
        return root.relativize(p.toAbsolutePath().normalize()).toString();
    }

    /** A module's src/main/resources/application.properties, without profile-specific keys. */
    Properties applicationProperties(String module) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path(module + "/src/main/resources/application.properties"))) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    /** The environment variable that sets a property (SmallRye Config's mapping, as the services apply it). */
    static String envName(String property) {
        return StringUtil.replaceNonAlphanumericByUnderscores(property).toUpperCase(Locale.ROOT);
    }

    /**
     * A property as a service would see it: the container's environment first, then the module's
     * application.properties, then the {@code @WithDefault} of the {@code @ConfigMapping} that declares it.
     */
    Optional<String> setting(String module, Map<String, String> env, String property) {
        String fromEnv = env.get(envName(property));
        if (fromEnv != null) {
            return Optional.of(fromEnv);
        }
        String fromFile = applicationProperties(module).getProperty(property);
        return fromFile != null ? Optional.of(fromFile) : mappingDefault(property);
    }

    /**
     * The {@code @WithDefault} of a mapped property, read from the sources of every module: the worker's
     * mappings are not on this module's classpath. {@code cyclefleet.worker.drain-timeout} is the method
     * {@code drainTimeout()} of the interface annotated {@code @ConfigMapping(prefix = "cyclefleet.worker")}.
     */
    Optional<String> mappingDefault(String property) {
        Pattern mapping = Pattern.compile("@ConfigMapping\\(prefix\\s*=\\s*\"([^\"]+)\"\\)");
        try (Stream<Path> modules = Files.list(root)) {
            for (Path file : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).flatMap(Repo::javaFiles).toList()) {
                String source = Files.readString(file);
                Matcher m = mapping.matcher(source);
                if (m.find() && property.startsWith(m.group(1) + ".")) {
                    String method = camel(property.substring(m.group(1).length() + 1));
                    Matcher d = Pattern.compile("@WithDefault\\(\"([^\"]*)\"\\)\\s+[\\w<>, ]+\\s+" + method + "\\(\\)").matcher(source);
                    if (d.find()) {
                        return Optional.of(d.group(1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.empty();
    }

    private static Stream<Path> javaFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String camel(String dashed) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : dashed.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }
}
