package dev.flowfabric.coordinator.domain;

import dev.flowfabric.coordinator.domain.ResumeCondition.AllOf;
import dev.flowfabric.coordinator.domain.ResumeCondition.AnyOf;
import dev.flowfabric.coordinator.domain.ResumeCondition.Count;
import dev.flowfabric.coordinator.domain.ResumeCondition.SignalFact;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResumeConditionTest {

    private static SignalFact s(String key, String source) {
        return new SignalFact(key, source);
    }

    @Test
    void allOfNeedsEveryKey() {
        var c = new AllOf(List.of("a", "b"));
        assertFalse(c.satisfiedBy(List.of(s("a", "x"), s("a", "y"))));
        assertTrue(c.satisfiedBy(List.of(s("a", "x"), s("b", "x"))));
    }

    @Test
    void anyOfNeedsOneOfItsKeys() {
        var c = new AnyOf(List.of("a", "b"));
        assertFalse(c.satisfiedBy(List.of(s("c", "x"))));
        assertTrue(c.satisfiedBy(List.of(s("c", "x"), s("b", null))));
    }

    @Test
    void countCountsKeysOrDistinctSources() {
        var keys = new Count(2, List.of("a", "b", "c"), false);
        assertFalse(keys.satisfiedBy(List.of(s("a", "x"), s("a", "y"))));
        assertTrue(keys.satisfiedBy(List.of(s("a", "x"), s("c", "x"))));

        var sources = new Count(2, List.of("approval"), true);
        assertFalse(sources.satisfiedBy(List.of(s("approval", "alice"), s("approval", "alice"))));
        assertFalse(sources.satisfiedBy(List.of(s("approval", "alice"), s("approval", null), s("other", "bob"))));
        assertTrue(sources.satisfiedBy(List.of(s("approval", "alice"), s("approval", "bob"))));
    }
}
