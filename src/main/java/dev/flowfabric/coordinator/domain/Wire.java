package dev.flowfabric.coordinator.domain;

import java.util.Locale;

/** Enum values travel and are stored as lower snake_case: one rule for every state enum. */
public interface Wire {

    String name();

    default String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E> & Wire> E parse(Class<E> type, String value) {
        if (value == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.wire().equals(value)) {
                return e;
            }
        }
        throw new IllegalArgumentException(value);
    }
}
