package dev.flowfabric.coordinator.domain;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WaitpointTokenTest {

    private static final byte[] SECRET = new byte[32];
    private static final UUID EXEC = UUID.fromString("0b7e1c5a-3f2d-4a6b-9c8e-1d2f3a4b5c6d");
    private static final UUID WP = UUID.fromString("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");

    static {
        for (int i = 0; i < SECRET.length; i++) {
            SECRET[i] = (byte) i;
        }
    }

    @Test
    void signsTheContractMessage() {
        // Independently computed: HMAC-SHA256(bytes 0..31, "<execution_id>:<waitpoint_id>").
        assertEquals("k1:bdb5bf21fa2419c33e417919d6953c9f186c2d96118d453491ad75b1eef18139",
                WaitpointToken.sign("k1", SECRET, EXEC, WP));
    }

    @Test
    void verifiesOnlyItsOwnWaitpointAndSecret() {
        var parsed = WaitpointToken.parse(WaitpointToken.sign("k1", SECRET, EXEC, WP)).orElseThrow();
        assertEquals("k1", parsed.kid());
        assertTrue(WaitpointToken.verifies(parsed, SECRET, EXEC, WP));
        assertFalse(WaitpointToken.verifies(parsed, SECRET, WP, EXEC));
        byte[] other = SECRET.clone();
        other[0] = 1;
        assertFalse(WaitpointToken.verifies(parsed, other, EXEC, WP));
    }

    @Test
    void rejectsMalformedTokens() {
        String mac = "bdb5bf21fa2419c33e417919d6953c9f186c2d96118d453491ad75b1eef18139";
        for (String bad : new String[] {null, "", "k1", ":" + mac, "k1:" + mac.toUpperCase(), "k1:" + mac + "00",
                "k1:" + mac.substring(2), "k:1:" + mac, "k 1:" + mac}) {
            assertTrue(WaitpointToken.parse(bad).isEmpty(), String.valueOf(bad));
        }
    }
}
