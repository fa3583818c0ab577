package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.config.FlowfabricConfig;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.WaitpointToken;
import dev.flowfabric.coordinator.store.WaitpointKeyStore;
import dev.flowfabric.coordinator.store.WaitpointKeyStore.Key;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The waitpoint keyring (api.md §4). The key table is the one source every replica reads:
 * configured secrets are added to it at boot, the configured signing key is rotated in once, and
 * an empty keyring gets a generated key (the first replica to try wins; the others use it).
 */
@ApplicationScoped
public class WaitpointKeys {

    private static final Logger LOG = Logger.getLogger(WaitpointKeys.class);
    private static final HexFormat HEX = HexFormat.of();
    private static final int MIN_SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Transactions tx;
    private final WaitpointKeyStore store;
    private final Clock clock;
    private final long graceMs;
    private final Map<String, byte[]> configured;
    private final Optional<String> configuredSigner;

    WaitpointKeys(Transactions tx, WaitpointKeyStore store, Clock clock, FlowfabricConfig config) {
        this.tx = tx;
        this.store = store;
        this.clock = clock;
        FlowfabricConfig.Waitpoint w = config.waitpoint();
        this.graceMs = w.grace().toMillis();
        this.configured = w.secrets().map(WaitpointKeys::parseSecrets).orElse(Map.of());
        if (w.activeKid().isPresent() && !configured.containsKey(w.activeKid().get())) {
            throw new IllegalStateException("flowfabric.waitpoint.active-kid names no configured secret");
        }
        if (w.activeKid().isEmpty() && configured.size() > 1) {
            throw new IllegalStateException("several waitpoint secrets are configured: set flowfabric.waitpoint.active-kid");
        }
        this.configuredSigner = w.activeKid().or(() -> configured.keySet().stream().findFirst());
    }

    /** The answer to a rotation: the new signing kid and how long the one before it keeps verifying. */
    public record Rotated(String kid, String previousKid, Long previousValidUntilMs) { }

    void onStart(@Observes StartupEvent event) {
        tx.run(this::bootstrap).await().atMost(Duration.ofSeconds(30));
    }

    private Uni<Void> bootstrap(SqlClient c) {
        long now = clock.millis();
        return store.lock(c)
                .chain(() -> Multi.createFrom().iterable(configured.entrySet())
                        .onItem().transformToUniAndConcatenate(e -> seed(c, e.getKey(), e.getValue(), now))
                        .collect().last())
                .chain(() -> configuredSigner.isPresent() ? adopt(c, configuredSigner.get(), now)
                        : signing(c).replaceWithVoid());
    }

    private Uni<Void> seed(SqlClient c, String kid, byte[] secret, long now) {
        return store.insertIfAbsent(c, kid, secret, "config", now, false, null)
                .chain(() -> store.find(c, kid))
                .invoke(stored -> {
                    if (!Arrays.equals(stored.orElseThrow().secret(), secret)) {
                        throw new IllegalStateException("waitpoint key '" + kid
                                + "' is in ff_waitpoint_key with another secret; configure a new key id instead");
                    }
                })
                .replaceWithVoid();
    }

    /** The configured signer becomes active once; a key that was rotated away is not brought back. */
    private Uni<Void> adopt(SqlClient c, String kid, long now) {
        return store.find(c, kid).chain(found -> {
            Key key = found.orElseThrow();
            if (key.active()) {
                return Uni.createFrom().voidItem();
            }
            if (key.activatedAtMs() != null) {
                LOG.infof("configured waitpoint key '%s' was rotated away; the key table's active key keeps signing", kid);
                return Uni.createFrom().voidItem();
            }
            return activate(c, kid, now).replaceWithVoid();
        });
    }

    /** The key that signs now; an empty keyring gets a generated one, safely against racing replicas. */
    public Uni<Key> signing(SqlClient c) {
        return store.active(c).chain(active -> {
            if (active.isPresent()) {
                return Uni.createFrom().item(active.get());
            }
            byte[] secret = new byte[MIN_SECRET_BYTES];
            RANDOM.nextBytes(secret);
            String kid = "gen-" + HEX.formatHex(secret, 0, 4);
            return store.insertIfAbsent(c, kid, secret, "generated", clock.millis(), true, null)
                    .invoke(added -> {
                        if (added) {
                            LOG.infof("generated waitpoint key '%s' (no secret was configured)", kid);
                        }
                    })
                    .chain(() -> store.active(c)).map(Optional::orElseThrow);
        });
    }

    /** A key by id, for verification. */
    public Uni<Optional<Key>> find(SqlClient c, String kid) {
        return store.find(c, kid);
    }

    /**
     * Makes {@code kid} the signing key; the key it replaces keeps verifying for the grace period.
     * Repeating a rotation that took effect answers the same; a kid used before with another
     * secret, or already rotated away, is a conflict.
     */
    public Uni<Rotated> rotate(String kid, String secretHex) {
        checkKidInput(kid);
        byte[] secret = secretInput(secretHex);
        long now = clock.millis();
        return tx.run(c -> store.lock(c).chain(() -> store.find(c, kid)).chain(existing -> {
            if (existing.isEmpty()) {
                return store.insertIfAbsent(c, kid, secret, "admin", now, false, null)
                        .chain(() -> activate(c, kid, now));
            }
            Key key = existing.get();
            if (!Arrays.equals(key.secret(), secret)) {
                throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                        "key id '" + kid + "' already exists with another secret");
            }
            if (key.active()) {
                return key.previousKid() == null ? Uni.createFrom().item(new Rotated(kid, null, null))
                        : store.find(c, key.previousKid()).map(prev -> new Rotated(kid, key.previousKid(),
                                prev.map(Key::validUntilMs).orElse(null)));
            }
            if (key.activatedAtMs() != null) {
                throw Problem.conflict(ProblemKind.IDEMPOTENCY_CONFLICT,
                        "key id '" + kid + "' was rotated away already; rotate to a new key id");
            }
            return activate(c, kid, now);
        }));
    }

    private Uni<Rotated> activate(SqlClient c, String kid, long now) {
        long validUntil = now + graceMs;
        return store.retireActive(c, now, validUntil).chain(previous -> store.activate(c, kid, now, previous.orElse(null))
                .map(done -> {
                    if (previous.isPresent()) {
                        LOG.infof("waitpoint key '%s' signs now; '%s' verifies until %d", kid, previous.get(), validUntil);
                    }
                    return new Rotated(kid, previous.orElse(null), previous.isPresent() ? validUntil : null);
                }));
    }

    /** {@code kid=hex[,kid=hex...]}; a mistake fails the boot, naming the key id but never the secret. */
    static Map<String, byte[]> parseSecrets(String raw) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String entry : raw.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq < 0) {
                throw new IllegalStateException("flowfabric.waitpoint.secrets must be kid=hex[,kid=hex...]");
            }
            String kid = checkKid(entry.substring(0, eq).trim());
            if (out.put(kid, secret(entry.substring(eq + 1), "the secret of waitpoint key '" + kid + "'")) != null) {
                throw new IllegalStateException("waitpoint key '" + kid + "' is configured twice");
            }
        }
        return out;
    }

    private static String checkKid(String kid) {
        if (!WaitpointToken.KID.matcher(kid).matches()) {
            throw new IllegalStateException("waitpoint key id '" + kid + "' must match " + WaitpointToken.KID.pattern());
        }
        return kid;
    }

    private static byte[] secret(String hex, String where) {
        byte[] secret;
        try {
            secret = HEX.parseHex(hex.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + " is not hex");
        }
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalStateException(where + " must hold at least " + MIN_SECRET_BYTES + " bytes");
        }
        return secret;
    }

    private static void checkKidInput(String kid) {
        if (kid == null || !WaitpointToken.KID.matcher(kid).matches()) {
            throw Problem.invalid("field 'kid' must match " + WaitpointToken.KID.pattern());
        }
    }

    private static byte[] secretInput(String hex) {
        if (hex == null || hex.length() > 1024) {
            throw Problem.invalid("field 'secret_hex' is required (at most 1024 hex digits)");
        }
        try {
            return secret(hex, "field 'secret_hex'");
        } catch (IllegalStateException e) {
            throw Problem.invalid(e.getMessage());
        }
    }
}
