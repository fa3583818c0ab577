package dev.flowfabric.coordinator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.flowfabric.coordinator.deploy.Manifests.at;
import static dev.flowfabric.coordinator.deploy.Manifests.container;
import static dev.flowfabric.coordinator.deploy.Manifests.list;
import static dev.flowfabric.coordinator.deploy.Manifests.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * k8s/ agrees with itself and with the application: every document parses, kustomizations name
 * files that exist, probes point at the health paths the service serves, every variable the pod
 * gets is one the service reads, ports and image agree, and termination leaves room for the drain.
 * (KubernetesManifestsIT compares the quarkus-kubernetes output with it; ReplicasIT calls the probe
 * paths on the running jar.)
 */
class KubernetesManifestsTest {

    /**
     * Variables of features merged from other branches: api.md §4's waitpoint keys. Once the
     * configuration that reads it is merged this set must be emptied (the checks then cover it).
     */
    static final Set<String> PENDING_MERGE = Set.of("FLOWFABRIC_WAITPOINT_SECRETS");

    final Map<String, Map<String, Object>> base = Manifests.base();
    final Map<String, Object> deployment = base.get("Deployment");
    final Map<String, Object> container = container(deployment);

    @Test
    void everyDocumentParsesAndNamesItself() {
        List<Path> files = Manifests.yamlFiles(Manifests.K8S);
        assertTrue(files.size() >= 10, "k8s/ has " + files);
        for (Path f : files) {
            List<Map<String, Object>> docs = Manifests.load(f);
            assertFalse(docs.isEmpty(), f + " is empty");
            for (Map<String, Object> doc : docs) {
                assertNotNull(doc.get("apiVersion"), f + " has no apiVersion");
                assertNotNull(doc.get("kind"), f + " has no kind");
                if (!String.valueOf(doc.get("kind")).matches("Kustomization|Component")) {
                    assertNotNull(at(doc, "metadata.name"), f + " has no metadata.name");
                }
            }
        }
    }

    @Test
    void kustomizationsNameWhatExistsAndTheBaseListsEveryManifest() {
        for (Path f : Manifests.yamlFiles(Manifests.K8S)) {
            if (!f.getFileName().toString().equals("kustomization.yaml")) {
                continue;
            }
            Map<String, Object> k = Manifests.load(f).get(0);
            for (String field : List.of("resources", "components")) {
                for (Object entry : list(k.get(field))) {
                    Path target = f.getParent().resolve((String) entry).normalize();
                    assertTrue(Files.isRegularFile(target) || Files.isRegularFile(target.resolve("kustomization.yaml")),
                            f + " names " + entry + ", which does not exist");
                }
            }
        }
        Map<String, Object> baseKustomization = Manifests.load(Manifests.BASE.resolve("kustomization.yaml")).get(0);
        Set<Object> listed = new HashSet<>(list(baseKustomization.get("resources")));
        for (Path f : Manifests.yamlFiles(Manifests.BASE)) {
            String name = f.getFileName().toString();
            assertTrue(name.equals("kustomization.yaml") || listed.contains(name), name + " is not in the base");
        }
        assertEquals(Set.of("ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"),
                base.keySet());
    }

    @Test
    void probesPointAtTheHealthPathsTheServiceServes() {
        String root = "/" + Manifests.property("quarkus.http.non-application-root-path", "q") + "/"
                + Manifests.property("quarkus.smallrye-health.root-path", "health");
        Map<String, String> expected = Map.of(
                "startupProbe", root + "/" + Manifests.property("quarkus.smallrye-health.startup-path", "started"),
                "livenessProbe", root + "/" + Manifests.property("quarkus.smallrye-health.liveness-path", "live"),
                "readinessProbe", root + "/" + Manifests.property("quarkus.smallrye-health.readiness-path", "ready"));
        expected.forEach((probe, path) -> {
            assertEquals(path, at(container, probe + ".httpGet.path"), probe);
            assertEquals(httpPort(), Manifests.port(container, at(container, probe + ".httpGet.port")), probe);
        });
        assertEquals(List.of("/q/health/started", "/q/health/live", "/q/health/ready"),
                List.of(expected.get("startupProbe"), expected.get("livenessProbe"), expected.get("readinessProbe")));
    }

    @Test
    void everyVariableThePodGetsIsOneTheServiceReads() {
        Set<String> reads = Manifests.variablesTheAppReads();
        Set<String> given = Manifests.envNames(container, base.get("ConfigMap"));
        for (String name : given) {
            assertTrue(reads.contains(name) || PENDING_MERGE.contains(name),
                    name + " is given to the pod but the service reads no such setting");
        }
        for (String needed : List.of("QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_JDBC_URL",
                "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_HTTP_PORT", "FF_API_TOKEN",
                "FF_LOG_JSON", "FLOWFABRIC_WAITPOINT_SECRETS")) {
            assertTrue(given.contains(needed), needed + " is not given to the pod");
        }
        assertEquals("true", at(base.get("ConfigMap"), "data.FF_LOG_JSON"), "JSON logs are on in the manifests");
    }

    @Test
    void secretsComeFromSecretsAndNeverFromTheConfigMap() {
        Map<String, String> fromSecrets = new java.util.HashMap<>();
        for (Object e : list(container.get("env"))) {
            Map<String, Object> ref = map(at(e, "valueFrom.secretKeyRef"));
            if (!ref.isEmpty()) {
                fromSecrets.put((String) map(e).get("name"), ref.get("name") + "/" + ref.get("key"));
            }
        }
        assertEquals(Map.of("QUARKUS_DATASOURCE_USERNAME", "flowfabric-db/username",
                "QUARKUS_DATASOURCE_PASSWORD", "flowfabric-db/password",
                "FF_API_TOKEN", "flowfabric-coordinator/api-token",
                "FLOWFABRIC_WAITPOINT_SECRETS", "flowfabric-coordinator/waitpoint-secrets"), fromSecrets);
        map(base.get("ConfigMap").get("data")).forEach((key, value) -> {
            assertFalse(key.matches(".*(PASSWORD|TOKEN|SECRET).*"), key + " belongs in a Secret");
            assertFalse(String.valueOf(value).contains("@"), key + " carries credentials in a URL");
        });
    }

    @Test
    void theDatasourceUrlsNameTheSameDatabase() {
        Map<String, Object> data = map(base.get("ConfigMap").get("data"));
        URI reactive = URI.create((String) data.get("QUARKUS_DATASOURCE_REACTIVE_URL"));
        URI jdbc = URI.create(((String) data.get("QUARKUS_DATASOURCE_JDBC_URL")).substring("jdbc:".length()));
        assertEquals("postgresql", reactive.getScheme());
        assertEquals(reactive.getHost() + ":" + reactive.getPort() + reactive.getPath(),
                jdbc.getHost() + ":" + jdbc.getPort() + jdbc.getPath());
        // The optional CloudNativePG cluster serves exactly that database.
        Map<String, Object> cluster = Manifests.find(Manifests.load(
                Manifests.K8S.resolve("components/cloudnative-pg/cluster.yaml")), "Cluster");
        assertEquals(at(cluster, "metadata.name") + "-rw", reactive.getHost());
        assertEquals("/" + at(cluster, "spec.bootstrap.initdb.database"), reactive.getPath());
        assertEquals("flowfabric-db", at(cluster, "spec.bootstrap.initdb.secret.name"), "the pod's credentials");
        int maxReplicas = (Integer) at(base.get("HorizontalPodAutoscaler"), "spec.maxReplicas");
        int pool = Integer.parseInt((String) data.get("QUARKUS_DATASOURCE_REACTIVE_MAX_SIZE"));
        int maxConnections = Integer.parseInt((String) at(cluster, "spec.postgresql.parameters.max_connections"));
        assertTrue(maxReplicas * (pool + 2) < maxConnections, "connections at maxReplicas exceed max_connections");
    }

    @Test
    void portsAndImageAgree() {
        Map<String, Object> annotations = map(at(deployment, "spec.template.metadata.annotations"));
        assertEquals(8080, httpPort());
        assertEquals(String.valueOf(httpPort()), at(base.get("ConfigMap"), "data.QUARKUS_HTTP_PORT"));
        assertEquals(String.valueOf(httpPort()), annotations.get("prometheus.io/port"));
        assertEquals("/q/metrics", annotations.get("prometheus.io/path"));
        Map<String, Object> servicePort = map(at(base.get("Service"), "spec.ports.0"));
        assertEquals(httpPort(), Manifests.port(container, servicePort.get("targetPort")));
        assertEquals(map(at(deployment, "spec.selector.matchLabels")), map(at(base.get("Service"), "spec.selector")));
        assertEquals(map(at(deployment, "spec.selector.matchLabels")),
                map(at(base.get("PodDisruptionBudget"), "spec.selector.matchLabels")));
        assertEquals(Manifests.expectedImage(), container.get("image"));
        assertEquals("IfNotPresent", container.get("imagePullPolicy"));
        assertTrue(dockerfile().contains("EXPOSE " + httpPort()), "the image exposes the HTTP port");
    }

    @Test
    void threeReplicasScaledAndProtected() {
        assertEquals(3, at(deployment, "spec.replicas"));
        Map<String, Object> hpa = base.get("HorizontalPodAutoscaler");
        assertEquals(Manifests.NAME, at(hpa, "spec.scaleTargetRef.name"));
        assertEquals(at(deployment, "spec.replicas"), at(hpa, "spec.minReplicas"));
        assertEquals(1, at(base.get("PodDisruptionBudget"), "spec.maxUnavailable"));
        assertEquals(0, at(deployment, "spec.strategy.rollingUpdate.maxUnavailable"));
        for (String kind : List.of("requests", "limits")) {
            assertNotNull(at(container, "resources." + kind + ".cpu"), kind);
            assertNotNull(at(container, "resources." + kind + ".memory"), kind);
        }
    }

    @Test
    void terminationLeavesRoomForTheDrain() {
        List<Object> preStop = list(at(container, "lifecycle.preStop.exec.command"));
        assertEquals("sleep", preStop.get(0));
        long preStopSeconds = Long.parseLong((String) preStop.get(1));
        long delay = Manifests.seconds("quarkus.shutdown.delay");
        long timeout = Manifests.seconds("quarkus.shutdown.timeout");
        assertTrue(delay > 0 && timeout > 0, "the service drains before it stops");
        assertEquals("true", Manifests.property("quarkus.shutdown.delay-enabled", "false"));
        int grace = (Integer) at(deployment, "spec.template.spec.terminationGracePeriodSeconds");
        assertTrue(preStopSeconds + delay + timeout < grace,
                "preStop " + preStopSeconds + " s + delay " + delay + " s + timeout " + timeout + " s >= grace " + grace);
        // A long-poll (wait_ms up to 30 s) must not hold termination: draining answers it at once.
        assertTrue(timeout < 30, "shutdown timeout is not sized to wait for long-polls");
    }

    @Test
    void theDashboardIsWellFormedAndUsesOurMetrics() throws IOException {
        JsonNode d = new ObjectMapper().readTree(Manifests.K8S.resolve("grafana/flowfabric-coordinator.json").toFile());
        assertEquals("flowfabric-coordinator", d.path("uid").asText());
        assertFalse(d.path("title").asText().isBlank());
        assertTrue(d.path("schemaVersion").asInt() >= 36);
        Set<Integer> ids = new HashSet<>();
        Set<String> metrics = new HashSet<>();
        Pattern metric = Pattern.compile("\\b(ff_[a-z_]+|http_server_requests_seconds_[a-z]+|jvm_[a-z_]+)\\b");
        for (JsonNode panel : d.path("panels")) {
            for (String field : List.of("id", "title", "type", "gridPos")) {
                assertTrue(panel.has(field), "a panel lacks " + field + ": " + panel.path("title"));
            }
            assertTrue(ids.add(panel.path("id").asInt()), "duplicate panel id " + panel.path("id"));
            for (JsonNode target : panel.path("targets")) {
                Matcher m = metric.matcher(target.path("expr").asText());
                while (m.find()) {
                    metrics.add(m.group(1));
                }
            }
        }
        assertEquals(DashboardMetrics.ALL, metrics,
                "the dashboard's metrics changed: update DashboardMetrics (ReplicasIT scrapes them)");
    }

    private int httpPort() {
        return (Integer) at(container, "ports.0.containerPort");
    }

    private static String dockerfile() {
        try {
            return Files.readString(Path.of("src/main/docker/Dockerfile.jvm"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
