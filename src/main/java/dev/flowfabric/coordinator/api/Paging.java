package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.store.ExecutionReads;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/** {@code limit} (default 100, max 1000) and opaque cursors of list endpoints. */
final class Paging {

    private Paging() {
    }

    static int limit(String raw) {
        if (raw == null) {
            return 100;
        }
        try {
            int n = Integer.parseInt(raw);
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw Problem.invalid("limit must be an integer in 1..1000");
    }

    static String encode(ExecutionReads.After after) {
        if (after == null) {
            return null;
        }
        String raw = after.createdAtMs() + ":" + after.executionId();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static ExecutionReads.After decodeAfter(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int colon = raw.indexOf(':');
            return new ExecutionReads.After(Long.parseLong(raw.substring(0, colon)),
                    UUID.fromString(raw.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw Problem.badRequest(ProblemKind.INVALID_CURSOR, "the cursor is not one this service issued");
        }
    }
}
