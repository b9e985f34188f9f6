package dev.tenantry.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Small reads and writes of cgroup files, with the file named in every error. */
final class Sysfs {
    private Sysfs() {}

    static void mkdir(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SandboxException("cannot create cgroup " + dir + ": " + e.getMessage(), e);
        }
    }

    static void write(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new SandboxException("cannot write " + value + " to " + file + ": " + e.getMessage(), e);
        }
    }

    static void tryWrite(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException ignored) {
            // optional knob (swap accounting, cgroup.kill) absent on this kernel
        }
    }

    static Optional<Long> number(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The value of a {@code key value} line in a flat-keyed file such as {@code memory.events}. */
    static Optional<Long> field(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].equals(key)) {
                    return Optional.of(Long.parseLong(parts[1]));
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not on this kernel
        }
        return Optional.empty();
    }

    /** SIGKILLs every process listed in a {@code cgroup.procs} file, a few rounds (a fork races the loop). */
    static void killAll(Path procs) {
        for (int round = 0; round < 5; round++) {
            List<String> pids;
            try {
                pids = Files.readAllLines(procs).stream().filter(s -> !s.isBlank()).toList();
            } catch (IOException e) {
                return;
            }
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(pid -> ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly));
            sleep(10);
        }
    }

    /** Removes cgroup directories, waiting briefly for exiting processes to leave them. */
    static void rmdir(List<Path> dirs) {
        for (Path dir : dirs) {
            for (int attempt = 0; attempt < 50; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                } catch (NoSuchFileException e) {
                    break;
                } catch (IOException e) { // EBUSY while the last process exits
                    sleep(20);
                }
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
