package dev.tenantry.provision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The 32-byte key every tenant secret is sealed under. It comes from the environment variable
 * {@value #ENV} (base64), or else from the file {@value #FILE_NAME} in the data directory, which
 * is created with mode 0600 on first use. Nodes that share one catalog must share this key.
 */
public final class MasterKey {
    /** The environment variable that holds the key, base64-encoded. */
    public static final String ENV = "TENANTRY_MASTER_KEY";
    /** The key file's name inside the data directory. */
    public static final String FILE_NAME = "master.key";
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] key;
    private final String source;

    private MasterKey(byte[] key, String source) {
        this.key = key;
        this.source = source;
    }

    /**
     * The key from {@code env} ({@value #ENV}) when set, else from {@code <dataDir>/master.key},
     * creating that file (0600, 32 random bytes) when it is missing. Refuses a malformed key and
     * a key file that group or others may read, naming the setting or file and the fix.
     */
    public static MasterKey load(Map<String, String> env, Path dataDir) {
        String fromEnv = env.getOrDefault(ENV, "").strip();
        if (!fromEnv.isEmpty()) {
            return new MasterKey(decode(fromEnv, ENV), "environment variable " + ENV);
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            requireOwnerOnly(file);
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return new MasterKey(decode(text, "key file " + file), "key file " + file);
        } catch (IOException e) {
            throw new ProvisionException("cannot read or create the master key file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A fresh random key, base64-encoded as {@value #ENV} expects it. */
    public static String generate() {
        byte[] bytes = new byte[SecretBox.KEY_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Where the key came from (the variable's or file's name, never the key). */
    public String source() {
        return source;
    }

    byte[] bytes() {
        return key.clone();
    }

    /**
     * A 32-byte key for one purpose, derived from the master key (HMAC-SHA256 over the purpose):
     * every node with the same master key derives the same key, and it reveals nothing of the master.
     */
    public byte[] derive(String purpose) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    private static byte[] decode(String base64, String where) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new ProvisionException("the master key in " + where + " is not valid base64; it must be "
                    + SecretBox.KEY_BYTES + " random bytes in base64 (44 characters)");
        }
        if (bytes.length != SecretBox.KEY_BYTES) {
            throw new ProvisionException("the master key in " + where + " has " + bytes.length + " bytes; it must be "
                    + SecretBox.KEY_BYTES + " random bytes in base64 (44 characters)");
        }
        return bytes;
    }

    /** Writes a new key to a private temporary file, then links it into place unless another process won. */
    private static void create(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE_NAME + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        if (posix(file.getParent())) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(tmp);
        }
        try {
            Files.writeString(tmp, generate() + "\n", StandardCharsets.US_ASCII);
            Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException e) {
            // another process created it first: use theirs
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void requireOwnerOnly(Path file) throws IOException {
        if (!posix(file)) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> extra = EnumSet.copyOf(permissions);
        extra.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
        if (!extra.isEmpty()) {
            throw new ProvisionException("the master key file " + file + " may be read by group or others (mode "
                    + PosixFilePermissions.toString(permissions) + "); allow only its owner (chmod 600 " + file + ")");
        }
    }

    private static boolean posix(Path path) {
        return Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
    }

    @Override
    public String toString() {
        return "MasterKey[from " + source + "]";
    }
}
