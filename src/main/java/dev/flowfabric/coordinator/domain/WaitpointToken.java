package dev.flowfabric.coordinator.domain;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Waitpoint tokens (api.md §4): {@code <kid>:<lowercase hex HMAC-SHA256(secret[kid],
 * "<execution_id>:<waitpoint_id>")>}. Whoever holds a token may signal that one waitpoint.
 */
public final class WaitpointToken {

    /** Key ids appear in tokens before the first ':', so they never contain one. */
    public static final Pattern KID = Pattern.compile("^[A-Za-z0-9._-]{1,64}$");
    private static final Pattern MAC_HEX = Pattern.compile("^[0-9a-f]{64}$");
    private static final HexFormat HEX = HexFormat.of();

    private WaitpointToken() {
    }

    /** A token split into its key id and its MAC (still unverified). */
    public record Parsed(String kid, byte[] mac) { }

    public static String sign(String kid, byte[] secret, UUID executionId, UUID waitpointId) {
        return kid + ":" + HEX.formatHex(mac(secret, executionId, waitpointId));
    }

    /** Splits a token of the right shape; anything else is empty (and fails verification). */
    public static Optional<Parsed> parse(String token) {
        if (token == null) {
            return Optional.empty();
        }
        int colon = token.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String kid = token.substring(0, colon);
        String mac = token.substring(colon + 1);
        if (!KID.matcher(kid).matches() || !MAC_HEX.matcher(mac).matches()) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(kid, HEX.parseHex(mac)));
    }

    /** Constant-time check of a parsed token's MAC against the one {@code secret} gives. */
    public static boolean verifies(Parsed token, byte[] secret, UUID executionId, UUID waitpointId) {
        return MessageDigest.isEqual(mac(secret, executionId, waitpointId), token.mac());
    }

    private static byte[] mac(byte[] secret, UUID executionId, UUID waitpointId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal((executionId + ":" + waitpointId).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
