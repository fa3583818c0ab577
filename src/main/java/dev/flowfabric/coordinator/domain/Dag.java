package dev.flowfabric.coordinator.domain;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Graph rules that need no database: a set of new edges must not close a cycle. */
public final class Dag {

    private Dag() {
    }

    /** One directed edge between two nodes of any key type. */
    public record Arc<K>(K from, K to) { }

    /** True when the arcs contain a directed cycle (Kahn's algorithm: some node never reaches in-degree 0). */
    public static <K> boolean hasCycle(List<Arc<K>> arcs) {
        Map<K, Integer> inDegree = new HashMap<>();
        Map<K, List<K>> out = new HashMap<>();
        for (Arc<K> a : arcs) {
            inDegree.merge(a.to(), 1, Integer::sum);
            inDegree.putIfAbsent(a.from(), 0);
            out.computeIfAbsent(a.from(), k -> new java.util.ArrayList<>()).add(a.to());
        }
        Deque<K> ready = new ArrayDeque<>();
        inDegree.forEach((node, n) -> {
            if (n == 0) {
                ready.add(node);
            }
        });
        int visited = 0;
        while (!ready.isEmpty()) {
            K node = ready.poll();
            visited++;
            for (K next : out.getOrDefault(node, List.of())) {
                if (inDegree.merge(next, -1, Integer::sum) == 0) {
                    ready.add(next);
                }
            }
        }
        return visited < inDegree.size();
    }
}
