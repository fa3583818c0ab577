package dev.flowfabric.coordinator.service;

import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import org.jboss.logging.Logger;

/**
 * Work that must wait for someone else's transaction to commit. A hook changes rows inside the
 * transaction of the call that triggered it and cannot tell that call what to do afterwards (wake
 * local claimers for the executions it released, drain cancels it had to defer); it registers the
 * follow-up here, and it runs once the transaction commits, or never if it rolls back.
 */
public final class Commits {

    private static final Logger LOG = Logger.getLogger(Commits.class);

    private Commits() {
    }

    public static void onCommit(SqlClient tx, Runnable action) {
        Transaction t = tx instanceof SqlConnection conn ? conn.transaction() : null;
        if (t == null) {
            // Not in a transaction: each statement committed on its own, so it already has.
            action.run();
            return;
        }
        t.completion().subscribe().with(ignored -> run(action), rolledBack -> { });
    }

    private static void run(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("a follow-up of a committed transaction failed", e);
        }
    }
}
