package dev.tenantry.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How this node runs workers. {@code runtimeDir} holds the bootstrap, the workers' socket
 * directories and the unpacked module store; every directory above it must be traversable by
 * other users (the sandboxes run as their own users). {@code poolSize} generic workers without
 * network and {@code egressPoolSize} with it are kept started. Sandboxes run as host users
 * {@code uidBase .. uidBase + 65535} when this node runs as root, else as the node's own user.
 * {@code slirp4netns}, when there is one, gives egress workers a network of their own, in which
 * the IPv4 blocks {@code egressDeny} are unreachable.
 */
public record RuntimeSettings(
        Path node,
        Path bwrap,
        Path runtimeDir,
        int poolSize,
        int egressPoolSize,
        Limits poolLimits,
        int uidBase,
        Duration startTimeout,
        Path cgroupRoot,
        java.util.Optional<Path> slirp4netns,
        java.util.List<String> egressDeny) {

    public Path moduleDir() {
        return runtimeDir.resolve("modules");
    }
}
