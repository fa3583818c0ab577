package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.store.ExecutionReads;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.function.BiFunction;

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
        return after == null ? null : encode(after.createdAtMs(), after.executionId());
    }

    static ExecutionReads.After decodeAfter(String cursor) {
        return decode(cursor, ExecutionReads.After::new);
    }

    /** An opaque cursor for a position ordered by (a time, an id). */
    static String encode(long position, UUID id) {
        String raw = position + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a cursor of {@link #encode(long, UUID)}; null stays null, anything else is invalid_cursor. */
    static <T> T decode(String cursor, BiFunction<Long, UUID, T> position) {
        if (cursor == null) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int colon = raw.indexOf(':');
            return position.apply(Long.parseLong(raw.substring(0, colon)), UUID.fromString(raw.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw Problem.badRequest(ProblemKind.INVALID_CURSOR, "the cursor is not one this service issued");
        }
    }
}
