package dev.flowfabric.coordinator.domain;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static dev.flowfabric.coordinator.domain.EdgeGroup.Verdict.IMPOSSIBLE;
import static dev.flowfabric.coordinator.domain.EdgeGroup.Verdict.PENDING;
import static dev.flowfabric.coordinator.domain.EdgeGroup.Verdict.SATISFIED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The join rules and the create-time cycle check, without a database. */
class EdgeGroupTest {

    private static final EdgeGroup ALL = EdgeGroup.DEFAULT;
    private static final EdgeGroup ANY = new EdgeGroup(EdgeGroup.Policy.ANY_OF, null,
            EdgeGroup.OnSatisfied.CANCEL_REMAINING);
    private static final EdgeGroup TWO = new EdgeGroup(EdgeGroup.Policy.QUORUM, 2, EdgeGroup.OnSatisfied.LET_RUN);

    @Test
    void allOfNeedsEveryEdgeAndFailsOnTheFirstImpossibleOne() {
        assertEquals(PENDING, ALL.verdict(1, 0, 1));
        assertEquals(SATISFIED, ALL.verdict(2, 0, 0));
        assertEquals(IMPOSSIBLE, ALL.verdict(1, 1, 1));
        assertFalse(ALL.cancelsRemaining());
    }

    @Test
    void anyOfNeedsOneAndFailsWhenNoneIsLeft() {
        assertEquals(PENDING, ANY.verdict(0, 2, 1));
        assertEquals(SATISFIED, ANY.verdict(1, 2, 1));
        assertEquals(IMPOSSIBLE, ANY.verdict(0, 3, 0));
        assertTrue(ANY.cancelsRemaining());
    }

    @Test
    void quorumNeedsKAndFailsWhenKIsOutOfReach() {
        assertEquals(PENDING, TWO.verdict(1, 1, 1));
        assertEquals(SATISFIED, TWO.verdict(2, 0, 1));
        assertEquals(IMPOSSIBLE, TWO.verdict(0, 2, 1));
        assertFalse(TWO.cancelsRemaining(), "let_run");
    }

    @Test
    void aDownstreamWithoutEdgesDependsOnNothing() {
        assertEquals(SATISFIED, ALL.verdict(0, 0, 0));
        assertEquals(SATISFIED, ANY.verdict(0, 0, 0));
    }

    @Test
    void kGoesWithQuorumOnly() {
        assertThrows(IllegalArgumentException.class,
                () -> new EdgeGroup(EdgeGroup.Policy.QUORUM, null, EdgeGroup.OnSatisfied.LET_RUN));
        assertThrows(IllegalArgumentException.class,
                () -> new EdgeGroup(EdgeGroup.Policy.ANY_OF, 1, EdgeGroup.OnSatisfied.LET_RUN));
    }

    @Test
    void cyclesAreFoundDirectAndIndirect() {
        UUID a = UUID.randomUUID(), b = UUID.randomUUID(), c = UUID.randomUUID(), d = UUID.randomUUID();
        assertFalse(Dag.hasCycle(List.of(new Dag.Arc<>(a, b), new Dag.Arc<>(a, c), new Dag.Arc<>(b, d),
                new Dag.Arc<>(c, d))));
        assertTrue(Dag.hasCycle(List.of(new Dag.Arc<>(a, b), new Dag.Arc<>(b, a))));
        assertTrue(Dag.hasCycle(List.of(new Dag.Arc<>(a, b), new Dag.Arc<>(b, c), new Dag.Arc<>(c, a),
                new Dag.Arc<>(a, d))));
    }
}
