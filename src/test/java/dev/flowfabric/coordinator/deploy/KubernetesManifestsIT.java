package dev.flowfabric.coordinator.deploy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.flowfabric.coordinator.deploy.Manifests.at;
import static dev.flowfabric.coordinator.deploy.Manifests.container;
import static dev.flowfabric.coordinator.deploy.Manifests.list;
import static dev.flowfabric.coordinator.deploy.Manifests.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifests quarkus-kubernetes wrote at package time (target/kubernetes/kubernetes.yml) agree
 * with the reviewed k8s/base on what a deployment depends on: image, replicas, ports, probes, the
 * variables and where their values come from, resources and termination; and they carry none of
 * the generator's unwanted extras (env-notes §6).
 */
class KubernetesManifestsIT {

    final List<Map<String, Object>> generated = Manifests.load(Path.of("target/kubernetes/kubernetes.yml"));
    final Map<String, Map<String, Object>> base = Manifests.base();

    @Test
    void noFlywayJobInitContainerRbacOrServiceMonitorAndARealImageGroup() {
        Set<Object> kinds = new LinkedHashSet<>();
        generated.forEach(d -> kinds.add(d.get("kind")));
        assertEquals(Set.of("Service", "Deployment"), kinds);
        Map<String, Object> deployment = Manifests.find(generated, "Deployment");
        assertTrue(list(at(deployment, "spec.template.spec.initContainers")).isEmpty());
        String image = (String) container(deployment).get("image");
        assertFalse(image.contains("/root/"), image);
    }

    @Test
    void deploymentAgrees() {
        Map<String, Object> mine = base.get("Deployment");
        Map<String, Object> theirs = Manifests.find(generated, "Deployment");
        Map<String, Object> c = container(mine);
        Map<String, Object> g = container(theirs);
        assertEquals(at(mine, "metadata.name"), at(theirs, "metadata.name"));
        assertEquals(at(mine, "spec.replicas"), at(theirs, "spec.replicas"));
        assertEquals(at(mine, "spec.selector.matchLabels"), at(theirs, "spec.selector.matchLabels"));
        // The generator quotes some int-or-string values ("1"); compare what they say, not their YAML type.
        assertEquals(plain(at(mine, "spec.strategy")), plain(at(theirs, "spec.strategy")));
        assertEquals(c.get("image"), g.get("image"));
        assertEquals(c.get("imagePullPolicy"), g.get("imagePullPolicy"));
        assertEquals(c.get("ports"), g.get("ports"));
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertEquals(at(c, probe + ".httpGet.path"), at(g, probe + ".httpGet.path"), probe);
            assertEquals(Manifests.port(c, at(c, probe + ".httpGet.port")),
                    Manifests.port(g, at(g, probe + ".httpGet.port")), probe);
            for (String field : List.of("periodSeconds", "timeoutSeconds", "failureThreshold")) {
                assertEquals(at(c, probe + "." + field), at(g, probe + "." + field), probe + "." + field);
            }
        }
        assertEquals(sources(c), sources(g), "variables and where their values come from");
        assertEquals(c.get("envFrom"), g.get("envFrom"));
        assertEquals(c.get("resources"), g.get("resources"));
        assertEquals(c.get("lifecycle"), g.get("lifecycle"));
        assertEquals(c.get("securityContext"), g.get("securityContext"));
        assertEquals(at(mine, "spec.template.spec.terminationGracePeriodSeconds"),
                at(theirs, "spec.template.spec.terminationGracePeriodSeconds"));
        assertEquals(at(mine, "spec.template.spec.securityContext"), at(theirs, "spec.template.spec.securityContext"));
        Map<String, Object> annotations = map(at(theirs, "spec.template.metadata.annotations"));
        map(at(mine, "spec.template.metadata.annotations"))
                .forEach((k, v) -> assertEquals(v, annotations.get(k), k));
    }

    @Test
    void serviceAgrees() {
        Map<String, Object> mine = base.get("Service");
        Map<String, Object> theirs = Manifests.find(generated, "Service");
        Map<String, Object> c = container(base.get("Deployment"));
        Map<String, Object> g = container(Manifests.find(generated, "Deployment"));
        assertEquals(at(mine, "spec.selector"), at(theirs, "spec.selector"));
        assertEquals(at(mine, "spec.ports.0.port"), at(theirs, "spec.ports.0.port"));
        assertEquals(Manifests.port(c, at(mine, "spec.ports.0.targetPort")),
                Manifests.port(g, at(theirs, "spec.ports.0.targetPort")));
    }

    /** Scalars as text, maps with sorted keys. */
    private static Object plain(Object node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new java.util.TreeMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
            return out;
        }
        if (node instanceof List<?> l) {
            return l.stream().map(KubernetesManifestsIT::plain).toList();
        }
        return String.valueOf(node);
    }

    /** Each variable with its Secret key (optional-ness aside: the generator cannot express it). */
    private static Map<String, String> sources(Map<String, Object> container) {
        Map<String, String> out = new HashMap<>();
        for (Object e : list(container.get("env"))) {
            Map<String, Object> ref = map(at(e, "valueFrom.secretKeyRef"));
            out.put((String) map(e).get("name"), ref.isEmpty() ? "value" : ref.get("name") + "/" + ref.get("key"));
        }
        return out;
    }
}
