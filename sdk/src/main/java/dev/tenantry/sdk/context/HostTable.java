package dev.tenantry.sdk.context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Hostname → tenant, for the gateway's hot path: an open-addressing table (linear probing) keyed by
 * normalised hostnames ({@link #normalize}) that finds a {@code Host} header as it arrives (any case,
 * with or without a {@code :port} and a trailing dot) without making a new string. Keys hash as
 * {@link String#hashCode} does. A lookup first takes the host part as given: its hash comes from the
 * header's own {@code hashCode} (vectorised by the JDK, cached in the string) with the port's share
 * taken out, and the comparison is a plain region compare, so a lower-case host (what browsers send)
 * costs one probe. Only a host with upper case left in it is then hashed again lower-casing ASCII as
 * it goes, and probed and compared the same way; one with a non-ASCII character before its port is
 * normalised into a new string.
 *
 * <p>One writer at a time (the index's lock); any number of readers, which never lock. A writer
 * changes a slot with one release store of an immutable entry, and marks a removed key's slot
 * {@link #REMOVED} instead of emptying it, so a probe never stops short of a key that is still
 * there. It grows or sweeps the markers into a new array, filled completely before it is published.
 */
final class HostTable {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Entry[].class);
    private static final Entry REMOVED = new Entry("", 0, null);
    private static final int MIN_CAPACITY = 16;
    /** 31 × INVERSE_OF_31 = 1 (mod 2³²): undoes one step of {@link String#hashCode}. */
    private static final int INVERSE_OF_31 = 0xBDEF7BDF;

    private record Entry(String key, int hash, TenantContext tenant) {
    }

    private volatile Entry[] slots = new Entry[MIN_CAPACITY];
    /**
     * Keys that {@link #normalize} would still change (a colon or a dot left at the end; catalog
     * hostnames have neither): while there are any, {@link #get} tries the host as given first, as the
     * map this table replaced did, so such a key is still found by its exact string.
     */
    private volatile int irregular;
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

    /** The tenant whose hostname is {@code normalize(host)}, or null; no new string for an ASCII host. */
    TenantContext get(String host) {
        Entry[] table = slots;
        if (irregular != 0) {
            Entry e = findExact(table, host, host.length(), host.hashCode());
            if (e != null) {
                return e.tenant;
            }
        }
        int end = end(host);
        Entry e = findExact(table, host, end, hashOfPart(host, end));
        return e != null ? e.tenant : getFolded(table, host, end);
    }

    /** The host part, {@code host}'s first {@code end} characters, after a miss as given. */
    private static TenantContext getFolded(Entry[] table, String host, int end) {
        int hash = 0;
        boolean upper = false;
        for (int i = 0; i < end; i++) {
            // codePointAt, not charAt: the JIT compiles charAt's rare UTF-16 branch as a call in the loop,
            // which makes this loop several times slower; below 128 both return the char
            int c = host.codePointAt(i);
            if (c > 127) {
                String key = normalize(host);
                Entry e = findExact(table, key, key.length(), key.hashCode());
                return e == null ? null : e.tenant;
            }
            int lower = lower(c);
            upper |= lower != c;
            hash = 31 * hash + lower;
        }
        Entry e = upper ? findFolded(table, host, end, hash) : null; // no upper case: the first probe was this one
        return e == null ? null : e.tenant;
    }

    /** {@code host.substring(0, end).hashCode()} without the substring: the whole hash less the rest's share. */
    private static int hashOfPart(String host, int end) {
        int rest = 0;
        for (int i = end; i < host.length(); i++) {
            rest = 31 * rest + host.charAt(i);
        }
        int unshift = 1;
        int inverse = INVERSE_OF_31;
        for (int k = host.length() - end; k > 0; k >>= 1) {
            unshift *= (k & 1) != 0 ? inverse : 1;
            inverse *= inverse;
        }
        return (host.hashCode() - rest) * unshift;
    }

    /** Maps a normalised hostname to the tenant, in place of any tenant it had. */
    void put(String key, TenantContext tenant) {
        int hash = key.hashCode();
        Entry[] table = slots;
        int at = indexOf(table, key, hash);
        if (at < 0) {
            if (used + 1 > table.length / 2) {
                table = rebuild(live + 1);
            }
            at = freeSlot(table, hash);
            used += table[at] == null ? 1 : 0;
            live++;
            irregular += normalize(key).equals(key) ? 0 : 1;
        }
        SLOT.setRelease(table, at, new Entry(key, hash, tenant));
    }

    /** Removes the hostname if it still maps to this very instance (identity, not equality). */
    void removeIfSame(String key, TenantContext tenant) {
        Entry[] table = slots;
        int at = indexOf(table, key, key.hashCode());
        if (at >= 0 && table[at].tenant == tenant) {
            SLOT.setRelease(table, at, REMOVED);
            live--;
            irregular -= normalize(key).equals(key) ? 0 : 1;
        }
    }

    /** The entry whose key is {@code host}'s first {@code end} characters, read once: a slot may be reused. */
    private static Entry findExact(Entry[] table, String host, int end, int hash) {
        int mask = table.length - 1;
        for (int i = spread(hash) & mask; ; i = (i + 1) & mask) {
            Entry e = (Entry) SLOT.getAcquire(table, i);
            if (e == null) {
                return null;
            }
            if (e.hash == hash && e != REMOVED && e.key.length() == end && host.startsWith(e.key)) {
                return e;
            }
        }
    }

    /** As {@link #findExact}, with the host's ASCII letters lower-cased (keys have no upper-case ASCII). */
    private static Entry findFolded(Entry[] table, String host, int end, int hash) {
        int mask = table.length - 1;
        for (int i = spread(hash) & mask; ; i = (i + 1) & mask) {
            Entry e = (Entry) SLOT.getAcquire(table, i);
            if (e == null) {
                return null;
            }
            if (e.hash == hash && e != REMOVED && sameFolded(e.key, host, end)) {
                return e;
            }
        }
    }

    private static int indexOf(Entry[] table, String key, int hash) {
        int mask = table.length - 1;
        for (int i = spread(hash) & mask; ; i = (i + 1) & mask) {
            Entry e = table[i]; // only the writer calls this: it sees its own stores
            if (e == null) {
                return -1;
            }
            if (e.hash == hash && e != REMOVED && e.key.equals(key)) {
                return i;
            }
        }
    }

    private static int freeSlot(Entry[] table, int hash) {
        int mask = table.length - 1;
        int i = spread(hash) & mask;
        while (table[i] != null && table[i] != REMOVED) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** A new array without the removed markers, at most a third full, published once it is complete. */
    private Entry[] rebuild(int entries) {
        Entry[] old = slots;
        Entry[] fresh = new Entry[Math.max(MIN_CAPACITY, Integer.highestOneBit(3 * entries - 1) << 1)];
        for (Entry e : old) {
            if (e != null && e != REMOVED) {
                fresh[freeSlot(fresh, e.hash)] = e;
            }
        }
        used = live;
        slots = fresh;
        return fresh;
    }

    private static boolean sameFolded(String key, String host, int end) {
        if (key.length() != end) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            if (key.codePointAt(i) != lower(host.codePointAt(i))) { // codePointAt: see getFolded
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
