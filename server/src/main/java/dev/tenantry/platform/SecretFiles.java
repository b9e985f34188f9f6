package dev.tenantry.platform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Secrets a node makes for a local server it runs (the embedded PostgreSQL's superuser, the local
 * Redis's admin), each kept in a file of its own in the data directory: readable by this user
 * only, written whole (on disk before it is used, then renamed into place).
 */
final class SecretFiles {
    private SecretFiles() {}

    /** The secret in {@code file}, when the file holds one. */
    static Optional<String> read(Path file) throws IOException {
        return Files.isRegularFile(file) ? Optional.of(Files.readString(file).strip()).filter(s -> !s.isEmpty()) : Optional.empty();
    }

    /** Writes {@code secret} to {@code file} (mode 0600, fsynced, then renamed into place); returns it. */
    static String write(Path file, String secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap((secret + "\n").getBytes(StandardCharsets.US_ASCII)));
            out.force(true); // losing it would lock its server's data away
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return secret;
    }
}
