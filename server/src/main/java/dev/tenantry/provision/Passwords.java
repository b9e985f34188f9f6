package dev.tenantry.provision;

import java.security.SecureRandom;

/** Generated passwords for tenant resources: 40 characters of [A-Za-z0-9] (about 238 bits), safe in URLs. */
final class Passwords {
    static final int LENGTH = 40;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private Passwords() {}

    static String generate() {
        char[] out = new char[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }
}
