package dev.tenantry.sdk.context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Hostname → tenant, for the gateway's hot path: an open-addressing table (linear probing) keyed by
 * normalised hostnames ({@link #normalize}) that finds a {@code Host} header as it arrives (any case,
 * with or without a {@code :port} and a trailing dot) without making a new string.
 *
 * <p>A lookup first probes for the header exactly as given, as the map this table replaced did: with
 * its {@link String#hashCode} (vectorised by the JDK, cached in the string) and a plain compare, so a
 * lower-case host without a port, the usual form, is found without reading its characters one by one.
 * Otherwise one pass over the host part (before a port or a trailing dot) hashes it lower-casing ASCII
 * on the fly, and one more probe compares the same way. A host part with a non-ASCII character is
 * normalised into a new string first.
 *
 * <p>Keys and tenants sit side by side in one array (a probe reads the key, its cached hash and its
 * tenant without another object in between). One writer at a time (the index's lock); any number of
 * readers, which never lock. A writer sets a tenant, then its key, each with a release store. It marks
 * a removed key {@link #REMOVED} and never reuses that slot, so a probe never stops short of a live key,
 * and the tenant next to a key that matched is that key's (or null once it is removed). When live keys
 * and markers fill half the array, it copies the live pairs into a new one, complete before it is
 * published.
 */
final class HostTable {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Object REMOVED = new Object();
    private static final int MIN_PAIRS = 16;

    /** Key of pair i at 2i, its tenant at 2i + 1; a power-of-two number of pairs. */
    private volatile Object[] slots = new Object[2 * MIN_PAIRS];
    private int live;
    private int used;

    /** Lower-cased, without port or trailing dot; one pass, at most one new string. */
    static String normalize(String host) {
        int end = end(host);
        boolean upper = false;
        for (int i = 0; i < end && !upper; i++) {
            char c = host.charAt(i);
            upper = c >= 'A' && c <= 'Z' || c > 127;
        }
        if (!upper) {
            return end == host.length() ? host : host.substring(0, end);
        }
        return host.substring(0, end).toLowerCase(Locale.ROOT);
    }

    /** Where the hostname ends: before a {@code :port} (not a colon in an IPv6 literal) and a trailing dot. */
    private static int end(String host) {
        int end = host.length();
        int colon = host.indexOf(':') < 0 ? -1 : host.lastIndexOf(':'); // indexOf is vectorised; most have no port
        if (colon >= 0 && host.indexOf(']') < colon) {
            end = colon;
        }
        if (end > 0 && host.charAt(end - 1) == '.') {
            end--;
        }
        return end;
    }

    /** The tenant of {@code host} as given, else of {@code normalize(host)}, or null; no new string for ASCII. */
    TenantContext get(String host) {
        Object[] table = slots;
        int at = find(table, host, host.length(), host.hashCode(), false);
        return at >= 0 ? tenant(table, at) : getNormalized(table, host, end(host));
    }

    /** The host part, {@code host}'s first {@code end} characters, lower-cased on the fly. */
    private static TenantContext getNormalized(Object[] table, String host, int end) {
        int hash = 0;
        boolean upper = false;
        for (int i = 0; i < end; i++) {
            // codePointAt, not charAt: the JIT compiles charAt's rare UTF-16 branch as a call in the loop,
            // which makes this loop several times slower; below 128 both return the char
            int c = host.codePointAt(i);
            if (c > 127) {
                String key = normalize(host);
                int at = find(table, key, key.length(), key.hashCode(), false);
                return at >= 0 ? tenant(table, at) : null;
            }
            int lower = lower(c);
            upper |= lower != c;
            hash = 31 * hash + lower;
        }
        if (!upper && end == host.length()) {
            return null; // the part is the host as given: the first probe was this one
        }
        int at = find(table, host, end, hash, upper);
        return at >= 0 ? tenant(table, at) : null;
    }

    /** Maps a normalised hostname to the tenant, in place of any tenant it had. */
    void put(String key, TenantContext tenant) {
        Object[] table = slots;
        int at = indexOf(table, key);
        if (at < 0) {
            if (used + 1 > table.length / 4) {
                table = rebuild(live + 1);
            }
            at = freeSlot(table, key.hashCode());
            SLOT.setRelease(table, at + 1, tenant);
            SLOT.setRelease(table, at, key);
            used++;
            live++;
            return;
        }
        SLOT.setRelease(table, at + 1, tenant);
    }

    /** Removes the hostname if it still maps to this very instance (identity, not equality). */
    void removeIfSame(String key, TenantContext tenant) {
        Object[] table = slots;
        int at = indexOf(table, key);
        if (at >= 0 && table[at + 1] == tenant) {
            SLOT.setRelease(table, at, REMOVED);
            SLOT.setRelease(table, at + 1, null);
            live--;
        }
    }

    /**
     * The index of the key that is {@code host}'s first {@code end} characters, ASCII letters
     * lower-cased when {@code fold} (keys have no upper-case ASCII), or -1.
     */
    private static int find(Object[] table, String host, int end, int hash, boolean fold) {
        int mask = table.length - 2;
        for (int at = (spread(hash) << 1) & mask; ; at = (at + 2) & mask) {
            Object slot = SLOT.getAcquire(table, at);
            if (slot == null) {
                return -1;
            }
            if (slot instanceof String key && key.hashCode() == hash && key.length() == end
                    && (fold ? sameFolded(key, host, end) : host.startsWith(key))) {
                return at;
            }
        }
    }

    private static TenantContext tenant(Object[] table, int at) {
        return (TenantContext) SLOT.getAcquire(table, at + 1);
    }

    private static int indexOf(Object[] table, String key) {
        return find(table, key, key.length(), key.hashCode(), false);
    }

    /** The first empty slot of the hash's probe sequence: a removed key's slot is never reused. */
    private static int freeSlot(Object[] table, int hash) {
        int mask = table.length - 2;
        int at = (spread(hash) << 1) & mask;
        while (table[at] != null) {
            at = (at + 2) & mask;
        }
        return at;
    }

    /** A new array of the live pairs, at most a third full, published once it is complete. */
    private Object[] rebuild(int entries) {
        Object[] old = slots;
        int pairs = Math.max(MIN_PAIRS, Integer.highestOneBit(3 * entries - 1) << 1);
        Object[] fresh = new Object[2 * pairs];
        for (int at = 0; at < old.length; at += 2) {
            if (old[at] instanceof String key) {
                int to = freeSlot(fresh, key.hashCode());
                fresh[to] = key;
                fresh[to + 1] = old[at + 1];
            }
        }
        used = live;
        slots = fresh;
        return fresh;
    }

    private static boolean sameFolded(String key, String host, int end) {
        for (int i = 0; i < end; i++) {
            if (key.codePointAt(i) != lower(host.codePointAt(i))) { // codePointAt: see getNormalized
                return false;
            }
        }
        return true;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }

    /** Moves the hash's high bits into the low ones the mask keeps (Fibonacci hashing). */
    private static int spread(int hash) {
        int h = hash * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
