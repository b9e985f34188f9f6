package dev.tenantry.functions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Built modules on disk. The blob store (a directory nodes may share) keeps each build's
 * dependency closure once, content-addressed: {@code sha256/<hex>.tgz}. Each node unpacks the
 * blobs it needs, read-only, into its module store: {@code <name>@<version>/node_modules/...},
 * which every worker sees at {@code /modules}; a function's {@code node_modules} is symlinks
 * into it, nothing copied.
 */
public final class ModuleStore {
    private final Path blobs;
    private final Path modules;

    public ModuleStore(Path blobDir, Path moduleDir) {
        this.blobs = blobDir.resolve("sha256");
        this.modules = moduleDir; // both made on first use: a node that never builds nor runs leaves no trace
    }

    static String directory(String name, String version) {
        return name.replace('/', '+') + "@" + version;
    }

    /** Where a function's {@code node_modules/<name>} link points, inside the sandbox. */
    public static String sandboxPath(String name, String version) {
        return dev.tenantry.runtime.Sandbox.MODULES + "/" + directory(name, version) + "/node_modules/" + name;
    }

    public boolean local(String name, String version) {
        return Files.isDirectory(modules.resolve(directory(name, version)));
    }

    /** A stored build: its digest and size. */
    public record Stored(String sha256, long bytes) {}

    /** Packs {@code buildDir/node_modules} reproducibly into the blob store. */
    Stored store(Path buildDir) throws IOException {
        Files.createDirectories(blobs);
        Path packed = blobs.resolve(".tmp-" + UUID.randomUUID() + ".tgz");
        run(List.of("tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                "-C", buildDir.toString(), "-czf", packed.toString(), "node_modules"));
        String sha = sha256(packed);
        Path target = blobs.resolve(sha + ".tgz");
        if (Files.exists(target)) {
            Files.delete(packed);
        } else {
            Files.move(packed, target, StandardCopyOption.ATOMIC_MOVE);
        }
        return new Stored(sha, Files.size(target));
    }

    /** Unpacks a module from the blob store unless this node has it; safe to call concurrently. */
    public void ensureLocal(String name, String version, String sha256) {
        if (local(name, version)) {
            return;
        }
        Path blob = blobs.resolve(sha256 + ".tgz");
        Path tmp = modules.resolve(".tmp-" + UUID.randomUUID());
        try {
            if (!Files.exists(blob)) {
                throw new FunctionException("module " + name + "@" + version + " is missing from the blob store (" + blob + ")");
            }
            Files.createDirectories(tmp);
            run(List.of("tar", "-C", tmp.toString(), "--no-same-owner", "-xzf", blob.toString()));
            run(List.of("chmod", "-R", "a-w,a+rX", tmp.toString()));
            try {
                Files.move(tmp, modules.resolve(directory(name, version)), StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                delete(tmp); // another caller won the race: same content
            }
        } catch (IOException e) {
            delete(tmp);
            throw new FunctionException("cannot unpack module " + name + "@" + version + ": " + e.getMessage(), e);
        }
    }

    /** Removes a module's blob from the blob store (shared by every node). */
    void deleteBlob(String sha256) throws IOException {
        Files.deleteIfExists(blobs.resolve(sha256 + ".tgz"));
    }

    /**
     * Removes this node's unpacked modules whose directory is not in {@code keep}; returns their
     * names. Temporary directories of unpacks in progress, and directories made in the last ten
     * minutes (a build unpacks before the catalog lists the module as built), are left alone.
     */
    List<String> sweepLocal(java.util.Set<String> keep) throws IOException {
        if (!Files.isDirectory(modules)) {
            return List.of();
        }
        List<String> gone = new java.util.ArrayList<>();
        try (var dirs = Files.list(modules)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.startsWith(".tmp-") && Files.isDirectory(d) && !keep.contains(name)
                        && Files.getLastModifiedTime(d).toMillis() < System.currentTimeMillis() - 600_000) {
                    delete(d);
                    gone.add(name);
                }
            }
        }
        return gone;
    }

    /** Bytes used by the blob store and by the unpacked modules, for the benchmarks and operators. */
    public long[] diskUsage() {
        return new long[] {size(blobs), size(modules)};
    }

    private static long size(Path dir) {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command.subList(0, 2)) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }

    static void delete(Path dir) {
        try {
            if (Files.exists(dir)) {
                new ProcessBuilder("chmod", "-R", "u+w", dir.toString()).start().waitFor();
                new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
            }
        } catch (IOException e) {
            // best effort: a leftover temporary directory is harmless
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
