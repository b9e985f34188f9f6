package dev.tenantry.catalog;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Remembered answers to create requests sent with an {@code Idempotency-Key}: the same key with
 * the same request gets the first answer again; with a different request, a conflict.
 */
public interface IdempotencyKeys {

    /**
     * Returns the stored answer for {@code (actor, key)} if the request matches it, or runs
     * {@code action} and stores its answer. Concurrent calls with one key run the action once.
     *
     * @throws CatalogException.Conflict when the key was used for a different request
     */
    Answer once(String actor, String key, String requestHash, Supplier<Answer> action);

    /** A stored answer; {@code replayed} tells whether it came from the store. */
    record Answer(int status, Optional<String> location, String body, boolean replayed) {}
}
