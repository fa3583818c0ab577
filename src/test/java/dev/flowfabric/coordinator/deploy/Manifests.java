package dev.flowfabric.coordinator.deploy;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reading k8s/, the generated manifests and the application's configuration, for the deploy tests. */
final class Manifests {

    static final Path K8S = Path.of("k8s");
    static final Path BASE = K8S.resolve("base");
    static final Path PROPERTIES = Path.of("src/main/resources/application.properties");
    static final String NAME = "flowfabric-coordinator";

    private Manifests() {
    }

    /** Every YAML document of a file (SnakeYAML's safe loader: plain maps, lists and scalars). */
    static List<Map<String, Object>> load(Path file) {
        try (Reader in = Files.newBufferedReader(file)) {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                if (doc != null) {
                    docs.add(map(doc));
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base's manifests (not its kustomization), by kind. */
    static Map<String, Map<String, Object>> base() {
        Map<String, Map<String, Object>> byKind = new LinkedHashMap<>();
        for (Path f : yamlFiles(BASE)) {
            if (f.getFileName().toString().equals("kustomization.yaml")) {
                continue;
            }
            for (Map<String, Object> doc : load(f)) {
                byKind.put((String) doc.get("kind"), doc);
            }
        }
        return byKind;
    }

    static Map<String, Object> find(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind));
    }

    /** A value by dotted path through maps; a numeric segment indexes a list. Null when absent. */
    static Object at(Object node, String path) {
        Object current = node;
        for (String segment : path.split("\\.")) {
            if (current instanceof Map<?, ?> m) {
                current = m.get(segment);
            } else if (current instanceof List<?> l && segment.matches("\\d+")) {
                int i = Integer.parseInt(segment);
                current = i < l.size() ? l.get(i) : null;
            } else {
                return null;
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    static Map<String, Object> container(Map<String, Object> deployment) {
        return map(at(deployment, "spec.template.spec.containers.0"));
    }

    /** The container port a probe or Service names (by name or number). */
    static int port(Map<String, Object> container, Object port) {
        if (port instanceof Integer n) {
            return n;
        }
        for (Object p : list(container.get("ports"))) {
            if (port.equals(map(p).get("name"))) {
                return (Integer) map(p).get("containerPort");
            }
        }
        throw new AssertionError("no container port named " + port);
    }

    /** Names of the variables the container gets from env (direct) and from the ConfigMap (envFrom). */
    static Set<String> envNames(Map<String, Object> container, Map<String, Object> configMap) {
        Set<String> names = new LinkedHashSet<>();
        for (Object e : list(container.get("env"))) {
            names.add((String) map(e).get("name"));
        }
        if (!list(container.get("envFrom")).isEmpty()) {
            names.addAll(map(configMap.get("data")).keySet());
        }
        return names;
    }

    // ---- the application's configuration --------------------------------------------------------

    static Properties properties() {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(PROPERTIES)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    static String property(String key, String fallback) {
        return properties().getProperty(key, fallback);
    }

    /** How SmallRye Config names a property in the environment. */
    static String envForm(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** The environment variables the application reads, by the rules of its configuration. */
    static Set<String> variablesTheAppReads() {
        Set<String> names = new LinkedHashSet<>();
        Pattern reference = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(:[^}]*)?}");
        for (String key : properties().stringPropertyNames()) {
            if (!key.startsWith("%")) {
                names.add(envForm(key));
            }
            Matcher m = reference.matcher(properties().getProperty(key));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        flowfabricProperties(FlowfabricConfig.class, "flowfabric.").forEach(p -> names.add(envForm(p)));
        // Read by Quarkus itself (the datasource and the HTTP port), named in the brief of the deployment.
        names.addAll(List.of("QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_JDBC_URL",
                "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_HTTP_PORT"));
        return names;
    }

    /** The property names of a {@code @ConfigMapping} interface, nested groups included. */
    static List<String> flowfabricProperties(Class<?> mapping, String prefix) {
        List<String> out = new ArrayList<>();
        for (Method m : mapping.getDeclaredMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers()) || m.getParameterCount() > 0) {
                continue;
            }
            String name = prefix + m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == FlowfabricConfig.class) {
                out.addAll(flowfabricProperties(type, name + "."));
            } else {
                out.add(name);
            }
        }
        return out;
    }

    static String pomVersion() {
        try {
            Matcher m = Pattern.compile("<artifactId>flowfabric-coordinator</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(Files.readString(Path.of("pom.xml")));
            if (!m.find()) {
                throw new AssertionError("no project version in pom.xml");
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image quarkus-kubernetes names: registry/group/name:version from application.properties and the pom. */
    static String expectedImage() {
        return property("quarkus.container-image.registry", "docker.io") + "/"
                + property("quarkus.container-image.group", "") + "/" + NAME + ":" + pomVersion();
    }

    /** A duration property in seconds ("3s", "20s", "1m"). */
    static long seconds(String key) {
        String v = property(key, "0s").trim();
        long n = Long.parseLong(v.replaceAll("[^0-9]", ""));
        return v.endsWith("ms") ? n / 1000 : v.endsWith("m") ? n * 60 : n;
    }
}
