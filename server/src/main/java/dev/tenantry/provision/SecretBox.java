package dev.tenantry.provision;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM under one 32-byte key: every {@link #seal} draws a fresh random 12-byte nonce and
 * appends a 128-bit tag, so a sealed value is confidential and tamper-evident. The associated data
 * (for example the secret's id) is authenticated too, so a ciphertext cannot be moved to another
 * row. Thread-safe.
 */
public final class SecretBox {
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    private SecretBox(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an AES-256 key has " + KEY_BYTES + " bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "AES");
    }

    /** A box under the master key. */
    public static SecretBox of(MasterKey masterKey) {
        return new SecretBox(masterKey.bytes());
    }

    /** A box under a raw 32-byte key (tests, key rotation tools). */
    public static SecretBox of(byte[] key) {
        return new SecretBox(key);
    }

    /** A sealed value: the nonce it was sealed with and the ciphertext with its tag appended. */
    public record Sealed(byte[] nonce, byte[] ciphertext) {
        public Sealed {
            nonce = nonce.clone();
            ciphertext = ciphertext.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public byte[] ciphertext() {
            return ciphertext.clone();
        }
    }

    /** Encrypts {@code plaintext} under a new random nonce, authenticating {@code associatedData} with it. */
    public Sealed seal(byte[] plaintext, byte[] associatedData) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, associatedData);
            return new Sealed(nonce, cipher.doFinal(plaintext));
        } catch (GeneralSecurityException e) {
            throw new ProvisionException("cannot seal a secret with AES-256-GCM: " + e.getMessage(), e);
        }
    }

    /**
     * Decrypts and checks a sealed value. Fails when the key is not the one that sealed it, or
     * when the nonce, ciphertext or associated data were altered.
     */
    public byte[] open(Sealed sealed, byte[] associatedData) {
        if (sealed.nonce.length != NONCE_BYTES) {
            throw new ProvisionException("a sealed secret has a " + sealed.nonce.length + "-byte nonce; AES-GCM here uses " + NONCE_BYTES);
        }
        try {
            return cipher(Cipher.DECRYPT_MODE, sealed.nonce, associatedData).doFinal(sealed.ciphertext);
        } catch (AEADBadTagException e) {
            throw new ProvisionException("a sealed secret does not open: it was sealed under another master key, or it was altered", e);
        } catch (GeneralSecurityException e) {
            throw new ProvisionException("cannot open a sealed secret: " + e.getMessage(), e);
        }
    }

    private Cipher cipher(int mode, byte[] nonce, byte[] associatedData) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(associatedData);
        return cipher;
    }

    @Override
    public String toString() {
        return "SecretBox[AES-256-GCM]";
    }

    /** Overwrites a buffer that held key material or plaintext. */
    static void wipe(byte[] bytes) {
        Arrays.fill(bytes, (byte) 0);
    }
}
