package dev.flowfabric.coordinator.suspension;

import dev.flowfabric.coordinator.service.WaitpointKeys;
import dev.flowfabric.coordinator.store.WaitpointKeyStore;
import dev.flowfabric.coordinator.suspension.Worker.Lease;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The waitpoint keyring: rotation with a grace period, and the generated first key (api.md §4). */
@QuarkusTest
class WaitpointKeyTest {

    @Inject
    WaitpointKeys keys;

    @Inject
    Pool pool;

    private static String secret() {
        byte[] b = new byte[32];
        new java.security.SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Test
    void rotationKeepsThePreviousKeyForTheGracePeriod() {
        Worker w = new Worker();
        Lease l = w.createAndClaim();
        String oldToken = Worker.waitpoint(l, "old").statusCode(201).extract().path("token");
        String oldKid = oldToken.substring(0, oldToken.indexOf(':'));

        String kid = "rot-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = secret();
        long before = System.currentTimeMillis();
        JsonPath rotated = Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"" + kid + "\",\"secret_hex\":\"" + secret + "\"}")
                .statusCode(200).body("kid", equalTo(kid)).body("previous_kid", equalTo(oldKid)).extract().jsonPath();
        long until = rotated.getLong("previous_valid_until_ms");
        long day = 24L * 3600 * 1000;
        assertTrue(until >= before + day && until <= System.currentTimeMillis() + day, "grace ends at " + until);
        // Repeating the rotation answers the same; reusing the kid with another secret is a conflict.
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"" + kid + "\",\"secret_hex\":\"" + secret + "\"}")
                .statusCode(200).body("previous_kid", equalTo(oldKid))
                .body("previous_valid_until_ms", equalTo(until));
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"" + kid + "\",\"secret_hex\":\"" + secret() + "\"}")
                .statusCode(409).body("kind", equalTo("idempotency_conflict"));
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"" + oldKid + "\",\"secret_hex\":\"" + secret() + "\"}")
                .statusCode(409).body("kind", equalTo("idempotency_conflict"));

        // The new kid signs from now on; the old token still verifies during the grace period.
        String newToken = Worker.waitpoint(l, "new").statusCode(201).extract().path("token");
        assertTrue(newToken.startsWith(kid + ":"), newToken);
        JsonPath s = Worker.suspend(l, "\"waitpoints\":[{\"key\":\"old\"},{\"key\":\"new\"},{\"key\":\"later\"}],"
                + "\"condition\":{\"all_of\":[\"old\",\"new\",\"later\"]}").statusCode(200).extract().jsonPath();
        assertEquals(oldToken, s.getString("waitpoints[0].token"));
        assertEquals(newToken, s.getString("waitpoints[1].token"));
        Worker.signalKey(l.executionId(), "old", oldToken, "n", null).statusCode(202);

        // Once the grace period is over, the old kid no longer verifies.
        pool.preparedQuery("UPDATE ff_waitpoint_key SET valid_until_ms = $2 WHERE kid = $1")
                .execute(Tuple.of(oldKid, System.currentTimeMillis() - 1)).await().indefinitely();
        Worker.signalKey(l.executionId(), "old", oldToken, "n", null).statusCode(403)
                .body("kind", equalTo("invalid_token"));
        Worker.signalKey(l.executionId(), "new", newToken, "n", null).statusCode(202);
    }

    @Test
    void badKeysAre400() {
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"a:b\",\"secret_hex\":\"" + secret() + "\"}").statusCode(400)
                .body("kind", equalTo("invalid_input"));
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"short\",\"secret_hex\":\"abcd\"}").statusCode(400);
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"nothex\",\"secret_hex\":\"" + "zz".repeat(32) + "\"}")
                .statusCode(400);
        Worker.post("/v1/admin/waitpoint-keys", "{\"kid\":\"k\"}").statusCode(400);
        Worker.post("/v1/admin/waitpoint-keys", "{}").statusCode(400);
    }

    /**
     * Replicas booting together on an empty keyring: every one generates a key, one insert wins,
     * and all of them sign with the winner. (Keys are only retired here, so earlier tokens verify.)
     */
    @Test
    void concurrentFirstUsesAgreeOnOneGeneratedKey() {
        long now = System.currentTimeMillis();
        pool.preparedQuery("UPDATE ff_waitpoint_key SET rotated_at_ms = $1 WHERE rotated_at_ms IS NULL AND activated_at_ms IS NOT NULL")
                .execute(Tuple.of(now)).await().indefinitely();
        List<Uni<WaitpointKeyStore.Key>> racers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            racers.add(pool.withTransaction(c -> keys.signing(c)));
        }
        List<WaitpointKeyStore.Key> won = Uni.join().all(racers).andFailFast().await().indefinitely();
        Set<String> kids = won.stream().map(WaitpointKeyStore.Key::kid).collect(Collectors.toSet());
        assertEquals(1, kids.size(), "signing kids: " + kids);
        long active = pool.query("SELECT count(*) FROM ff_waitpoint_key WHERE activated_at_ms IS NOT NULL AND rotated_at_ms IS NULL")
                .execute().await().indefinitely().iterator().next().getLong(0);
        assertEquals(1, active);
        assertEquals("generated", won.get(0).origin());
        assertNull(won.get(0).validUntilMs());
        // And a fresh install signs with it.
        String token = Worker.waitpoint(new Worker().createAndClaim(), "k").statusCode(201).extract().path("token");
        assertTrue(token.startsWith(won.get(0).kid() + ":"));
    }
}
