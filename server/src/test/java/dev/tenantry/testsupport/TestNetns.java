package dev.tenantry.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A host of the test's own: a network namespace joined to this machine by a veth pair
 * ({@code 10.213.N.1} here, {@code 10.213.N.2} there), with an HTTP server (Node.js) in it that
 * answers every request with {@code from the netns}. Needs root and iproute2; removed on close.
 */
public final class TestNetns implements AutoCloseable {
    public static final int PORT = 8099;
    private final String name;
    private final String address;
    private final Process server;

    private TestNetns(String name, String address, Process server) {
        this.name = name;
        this.address = address;
        this.server = server;
    }

    /** Whether this machine lets the test make one (root, and the {@code ip} program). */
    public static boolean possible() {
        return "root".equals(System.getProperty("user.name"))
                && Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip").anyMatch(p -> Files.isExecutable(Path.of(p)));
    }

    public static TestNetns start() {
        String tag = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(0x1000000), 6);
        int subnet = ThreadLocalRandom.current().nextInt(1, 254);
        String name = "tnt-" + tag;
        String host = "vh" + tag;
        String inside = "vn" + tag;
        String address = "10.213." + subnet + ".2";
        try {
            run("ip", "netns", "add", name);
            run("ip", "link", "add", host, "type", "veth", "peer", "name", inside, "netns", name);
            run("ip", "addr", "add", "10.213." + subnet + ".1/30", "dev", host);
            run("ip", "link", "set", host, "up");
            run("ip", "-n", name, "addr", "add", address + "/30", "dev", inside);
            run("ip", "-n", name, "link", "set", inside, "up");
            run("ip", "-n", name, "link", "set", "lo", "up");
            Process server = new ProcessBuilder("ip", "netns", "exec", name, "node", "-e",
                    "require('http').createServer((q, s) => s.end('from the netns'))"
                            + ".listen(" + PORT + ", '" + address + "', () => console.log('listening'))")
                    .redirectErrorStream(true).start();
            String first = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (!"listening".equals(first)) {
                server.destroyForcibly();
                throw new IllegalStateException("the netns server did not start: " + first);
            }
            return new TestNetns(name, address, server);
        } catch (IOException | RuntimeException e) {
            runQuietly("ip", "netns", "del", name);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** The block the host is in, {@code 10.213.N.0/24}. */
    public String block() {
        return address.substring(0, address.lastIndexOf('.')) + ".0/24";
    }

    /** The server's URL, {@code http://10.213.N.2:8099/}. */
    public String url() {
        return "http://" + address + ":" + PORT + "/";
    }

    @Override
    public void close() {
        server.destroyForcibly();
        runQuietly("ip", "netns", "del", name);
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void runQuietly(String... command) {
        try {
            run(command);
        } catch (IOException e) {
            // best effort on the way out
        }
    }
}
