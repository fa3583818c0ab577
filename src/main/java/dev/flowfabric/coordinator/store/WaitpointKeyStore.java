package dev.flowfabric.coordinator.store;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** The shared waitpoint keyring, {@code ff_waitpoint_key}. */
@ApplicationScoped
public class WaitpointKeyStore {

    /** One key: it signs while active; it verifies while {@code validUntilMs} is null or ahead. */
    public record Key(String kid, byte[] secret, String origin, Long activatedAtMs, Long rotatedAtMs,
                      Long validUntilMs, String previousKid) {
        public boolean active() {
            return activatedAtMs != null && rotatedAtMs == null;
        }

        public boolean verifiesAt(long now) {
            return validUntilMs == null || validUntilMs > now;
        }
    }

    /** Arbitrary constant naming the transaction-scoped lock that orders keyring changes. */
    private static final long KEYRING_LOCK = 0x6666_7770_6b65_7973L;

    static final String COLUMNS = """
            kid, secret, origin, activated_at_ms, rotated_at_ms, valid_until_ms, previous_kid""";

    static final String LOCK_KEYRING = "SELECT pg_advisory_xact_lock($1)";

    static final String SELECT_ACTIVE_KEY = "SELECT " + COLUMNS
            + " FROM ff_waitpoint_key WHERE activated_at_ms IS NOT NULL AND rotated_at_ms IS NULL";

    static final String SELECT_KEY = "SELECT " + COLUMNS + " FROM ff_waitpoint_key WHERE kid = $1";

    /** Adds a key (active when $5 is set); an existing kid, or a second active key, is left alone. */
    static final String INSERT_KEY_IF_ABSENT = """
            INSERT INTO ff_waitpoint_key (kid, secret, origin, created_at_ms, activated_at_ms, previous_kid)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT DO NOTHING
            """;

    static final String RETIRE_ACTIVE_KEY = """
            UPDATE ff_waitpoint_key SET rotated_at_ms = $1, valid_until_ms = $2
            WHERE activated_at_ms IS NOT NULL AND rotated_at_ms IS NULL
            RETURNING kid, valid_until_ms
            """;

    static final String ACTIVATE_KEY_IF_NEVER_ACTIVE = """
            UPDATE ff_waitpoint_key SET activated_at_ms = $2, previous_kid = $3
            WHERE kid = $1 AND activated_at_ms IS NULL
            """;

    /** Serializes keyring changes across replicas until the transaction ends. */
    public Uni<Void> lock(SqlClient c) {
        return Sql.run(c, LOCK_KEYRING, KEYRING_LOCK).replaceWithVoid();
    }

    public Uni<Optional<Key>> active(SqlClient c) {
        return Sql.one(c, SELECT_ACTIVE_KEY, WaitpointKeyStore::key);
    }

    public Uni<Optional<Key>> find(SqlClient c, String kid) {
        return Sql.one(c, SELECT_KEY, WaitpointKeyStore::key, kid);
    }

    /** True when the key was added. */
    public Uni<Boolean> insertIfAbsent(SqlClient c, String kid, byte[] secret, String origin, long now,
                                       boolean active, String previousKid) {
        return Sql.run(c, INSERT_KEY_IF_ABSENT, kid, Buffer.buffer(secret), origin, now, active ? now : null,
                previousKid).map(rows -> rows.rowCount() > 0);
    }

    /** Stops the active key signing; it verifies until {@code validUntilMs}. Returns its kid. */
    public Uni<Optional<String>> retireActive(SqlClient c, long now, long validUntilMs) {
        return Sql.one(c, RETIRE_ACTIVE_KEY, r -> r.getString("kid"), now, validUntilMs);
    }

    public Uni<Boolean> activate(SqlClient c, String kid, long now, String previousKid) {
        return Sql.run(c, ACTIVATE_KEY_IF_NEVER_ACTIVE, kid, now, previousKid).map(rows -> rows.rowCount() > 0);
    }

    private static Key key(Row r) {
        return new Key(r.getString("kid"), r.getBuffer("secret").getBytes(), r.getString("origin"),
                r.getLong("activated_at_ms"), r.getLong("rotated_at_ms"), r.getLong("valid_until_ms"),
                r.getString("previous_kid"));
    }
}
