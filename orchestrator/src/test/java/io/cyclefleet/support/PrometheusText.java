package io.cyclefleet.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of a /q/metrics endpoint in Prometheus' text format (0.0.4, what promtool checks; without this Accept
 * header Quarkus answers in OpenMetrics), read the way a query would select series.
 */
public record PrometheusText(String text) {

    public static final String TEXT_FORMAT = "text/plain; version=0.0.4";

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public static PrometheusText scrape(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", TEXT_FORMAT)
                        .timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(url + " answered " + r.statusCode());
        }
        return new PrometheusText(r.body());
    }

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public List<Sample> samples() {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line.strip());
            if (line.startsWith("#") || !m.matches()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return out;
    }

    /** The sum over every series of {@code name} carrying at least these labels; 0 when none does. */
    public double sum(String name, String... labelPairs) {
        return matching(name, labelPairs).stream().mapToDouble(Sample::value).sum();
    }

    public List<Sample> matching(String name, String... labelPairs) {
        Map<String, String> want = new LinkedHashMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            want.put(labelPairs[i], labelPairs[i + 1]);
        }
        return samples().stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(want.entrySet())).toList();
    }

    public Set<String> names() {
        Set<String> out = new TreeSet<>();
        samples().forEach(s -> out.add(s.name()));
        return out;
    }

    /** promtool's lint of this scrape: null when clean, else what it printed. */
    public String promtoolProblems() throws IOException, InterruptedException {
        Path in = Files.createTempFile("metrics", ".txt");
        try {
            Files.writeString(in, text);
            Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(in.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "promtool did not finish within 30 s";
            }
            return p.exitValue() == 0 ? null : out;
        } finally {
            Files.deleteIfExists(in);
        }
    }

    public static boolean promtoolInstalled() {
        try {
            Process p = new ProcessBuilder("promtool", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
