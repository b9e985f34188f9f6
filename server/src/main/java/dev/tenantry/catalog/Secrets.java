package dev.tenantry.catalog;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * Bearer secrets of the form {@code <kind>_<prefix>_<secret>}: the prefix finds the stored row,
 * the SHA-256 of the whole string proves possession. Secrets carry 190 random bits, so a fast
 * hash is enough (no password stretching needed).
 */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    static final int PREFIX_LENGTH = 10;
    static final int SECRET_LENGTH = 32;

    private Secrets() {}

    /** A new secret of the given kind ({@code tk} for API keys, {@code tad} for admin tokens). */
    public static String generate(String kind) {
        return kind + "_" + random(PREFIX_LENGTH) + "_" + random(SECRET_LENGTH);
    }

    /** The lookup prefix of a well-formed secret of this kind, or empty when it is malformed. */
    public static Optional<String> prefixOf(String kind, String secret) {
        String[] parts = secret.split("_", -1);
        if (parts.length != 3 || !parts[0].equals(kind)
                || parts[1].length() != PREFIX_LENGTH || parts[2].length() != SECRET_LENGTH
                || !(alphanumeric(parts[1]) && alphanumeric(parts[2]))) {
            return Optional.empty();
        }
        return Optional.of(parts[1]);
    }

    /** SHA-256 of the secret's UTF-8 bytes. */
    public static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Whether the secret hashes to the stored hash, compared in constant time. */
    public static boolean matches(String secret, byte[] storedHash) {
        return MessageDigest.isEqual(hash(secret), storedHash);
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    private static boolean alphanumeric(String s) {
        return s.chars().allMatch(c -> c < 128 && Character.isLetterOrDigit(c));
    }
}
