package dev.tenantry.catalog;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;

/** Time-ordered ids (UUIDv7, RFC 9562): sortable by creation, unguessable in their low bits. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static long lastMillis;
    private static int counter;

    private Ids() {}

    /**
     * A new UUIDv7 stamped with the clock's current millisecond. Within one process ids are
     * strictly increasing: inside a millisecond the 12-bit field counts up (RFC 9562, method 1).
     */
    public static synchronized UUID next(Clock clock) {
        long millis = Math.max(clock.millis(), lastMillis);
        if (millis == lastMillis) {
            counter++;
            if (counter > 0x0FFF) {
                millis++;
                counter = RANDOM.nextInt(0x0800);
            }
        } else {
            counter = RANDOM.nextInt(0x0800);
        }
        lastMillis = millis;
        long high = (millis << 16) | 0x7000L | counter;
        long low = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low);
    }

    /** The UUID this text spells in canonical form, if it does. */
    public static Optional<UUID> parse(String text) {
        if (text.length() != 36) {
            return Optional.empty();
        }
        try {
            UUID id = UUID.fromString(text);
            return id.toString().equals(text.toLowerCase()) ? Optional.of(id) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
