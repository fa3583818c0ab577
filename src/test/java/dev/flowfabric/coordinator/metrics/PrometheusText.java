package dev.flowfabric.coordinator.metrics;

import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of a Prometheus text exposition. */
final class PrometheusText {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final String text;

    PrometheusText(String text) {
        this.text = text;
    }

    /** The sample of {@code name} whose labels include all of {@code labels}, if there is one. */
    OptionalDouble value(String name, Map<String, String> labels) {
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> found = new java.util.HashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    found.put(l.group(1), l.group(2));
                }
            }
            if (found.entrySet().containsAll(labels.entrySet())) {
                return OptionalDouble.of(Double.parseDouble(m.group(4)));
            }
        }
        return OptionalDouble.empty();
    }

    double valueOrZero(String name, Map<String, String> labels) {
        return value(name, labels).orElse(0);
    }

    /** The exposition lines that mention {@code fragment}, for assertion messages. */
    String linesWith(String fragment) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.contains(fragment)) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /** True when some sample's name is {@code name}. */
    boolean has(String name) {
        return value(name, Map.of()).isPresent();
    }
}
