package dev.tenantry.platform;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The function runtime's settings (part of {@link Config}): where workers' sockets, the bootstrap
 * and the unpacked module store live ({@code runtime-dir}; default {@code <data-dir>/runtime} when
 * every directory above it is open to other users, else a directory under {@code /var/tmp}), the
 * blob store ({@code blob-dir}), the programs, the pool sizes, how long an unused worker stays
 * warm, how many requests one worker takes at once, the npm registry modules come from, whether
 * their install scripts run, how many log lines each function keeps, and the IPv4 blocks that
 * egress workers may not reach.
 */
public record FunctionConfig(
        Optional<Path> runtimeDir,
        Optional<Path> blobDir,
        Optional<Path> node,
        Optional<Path> bwrap,
        int poolSize,
        int egressPoolSize,
        int idleTimeoutSeconds,
        int workerConcurrency,
        URI npmRegistry,
        boolean installScripts,
        int logLines,
        List<String> egressDeny) {}
