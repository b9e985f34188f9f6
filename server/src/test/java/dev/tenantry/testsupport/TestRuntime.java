package dev.tenantry.testsupport;

import dev.tenantry.runtime.Limits;
import dev.tenantry.runtime.RuntimeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Runtime settings for tests: the machine's node and bwrap, a fresh runtime directory under /tmp. */
public final class TestRuntime {
    private TestRuntime() {}

    public static RuntimeSettings settings(int poolSize) {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "tenantry-runtime-");
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            return new RuntimeSettings(which("node"), which("bwrap"), dir, poolSize, 0, new Limits(256, 100, 64),
                    150_000, Duration.ofSeconds(10), Path.of("/sys/fs/cgroup"),
                    java.util.Optional.of(Path.of("/usr/bin/slirp4netns")).filter(Files::isExecutable), java.util.List.of());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static Path which(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException(program + " is not installed (test.sh installs it)");
    }
}
