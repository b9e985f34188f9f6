package dev.tenantry.catalog;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque page cursors: the base64url of the last item's sort key. */
final class Cursors {
    private Cursors() {}

    static String encode(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw CatalogException.InvalidInput.of("cursor", "is not a cursor this API returned");
        }
    }

    static void limit(int limit, int max) {
        if (limit < 1 || limit > max) {
            throw CatalogException.InvalidInput.of("limit", "must be between 1 and " + max);
        }
    }
}
