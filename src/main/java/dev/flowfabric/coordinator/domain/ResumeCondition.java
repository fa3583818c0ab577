package dev.flowfabric.coordinator.domain;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * When a suspension resumes (api.md §4): all of its keys signalled, any one of them, or a count of
 * them. A count may instead count distinct signal sources, so that two approvals from the same
 * approver count once; a signal without a source then counts for nobody.
 */
public sealed interface ResumeCondition {

    /** The waitpoint keys the condition names. */
    List<String> keys();

    boolean satisfiedBy(List<SignalFact> signals);

    /** What the condition needs to know of one accepted signal. */
    record SignalFact(String key, String source) { }

    record AllOf(List<String> keys) implements ResumeCondition {
        @Override
        public boolean satisfiedBy(List<SignalFact> signals) {
            return signalled(keys, signals).size() == new HashSet<>(keys).size();
        }
    }

    record AnyOf(List<String> keys) implements ResumeCondition {
        @Override
        public boolean satisfiedBy(List<SignalFact> signals) {
            return !signalled(keys, signals).isEmpty();
        }
    }

    /** {@code n} of the keys {@code of} (or {@code n} distinct sources among their signals). */
    record Count(int n, List<String> of, boolean distinctSources) implements ResumeCondition {
        @Override
        public List<String> keys() {
            return of;
        }

        @Override
        public boolean satisfiedBy(List<SignalFact> signals) {
            if (!distinctSources) {
                return signalled(of, signals).size() >= n;
            }
            Set<String> sources = new HashSet<>();
            for (SignalFact s : signals) {
                if (s.source() != null && of.contains(s.key())) {
                    sources.add(s.source());
                }
            }
            return sources.size() >= n;
        }
    }

    private static Set<String> signalled(List<String> keys, List<SignalFact> signals) {
        Set<String> hit = new HashSet<>();
        for (SignalFact s : signals) {
            if (keys.contains(s.key())) {
                hit.add(s.key());
            }
        }
        return hit;
    }
}
