package dev.tenantry.testsupport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local npm registry for tests: packages made with {@code npm pack} from source given in the
 * test, served on 127.0.0.1 as packuments and tarballs (what {@code npm install} and our resolver
 * read), with a count of each tarball's downloads. No public registry involved.
 */
public final class NpmFixture implements AutoCloseable {
    private final Path dir;
    private final HttpServer server;
    private final Map<String, Map<String, Published>> packages = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> downloads = new ConcurrentHashMap<>();

    private record Published(String name, String version, Map<String, String> dependencies, Map<String, String> scripts,
                             String file, byte[] tarball) {}

    private NpmFixture(Path dir, HttpServer server) {
        this.dir = dir;
        this.server = server;
    }

    public static NpmFixture start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            NpmFixture fixture = new NpmFixture(Files.createTempDirectory("tenantry-npm-"), server);
            server.createContext("/", fixture::serve);
            server.start();
            return fixture;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Packs and publishes {@code name@version} whose {@code index.js} is {@code source}. */
    public NpmFixture publish(String name, String version, Map<String, String> dependencies, String source) {
        return publish(name, version, dependencies, source, Map.of());
    }

    /** The same, with npm {@code scripts} in its package.json (a {@code postinstall}, say). */
    public NpmFixture publish(String name, String version, Map<String, String> dependencies, String source,
                              Map<String, String> scripts) {
        try {
            Path pkg = Files.createDirectories(dir.resolve("src").resolve(name + "-" + version));
            ObjectNode manifest = Http.JSON.createObjectNode().put("name", name).put("version", version).put("main", "index.js");
            ObjectNode deps = manifest.putObject("dependencies");
            dependencies.forEach(deps::put);
            if (!scripts.isEmpty()) {
                ObjectNode run = manifest.putObject("scripts");
                scripts.forEach(run::put);
            }
            Files.writeString(pkg.resolve("package.json"), manifest.toString());
            Files.writeString(pkg.resolve("index.js"), source);
            Path out = Files.createDirectories(dir.resolve("tarballs"));
            Process p = new ProcessBuilder("npm", "pack", "--silent", "--pack-destination", out.toString())
                    .directory(pkg.toFile()).redirectErrorStream(true).start();
            String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("npm pack failed: " + printed);
            }
            String file = printed.lines().reduce((a, b) -> b).orElseThrow();
            byte[] tarball = Files.readAllBytes(out.resolve(file));
            packages.computeIfAbsent(name, n -> new ConcurrentHashMap<>())
                    .put(version, new Published(name, version, dependencies, scripts, file, tarball));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** How often a package version's tarball was downloaded. */
    public int downloads(String name, String version) {
        Published p = packages.getOrDefault(name, Map.of()).get(version);
        return p == null ? 0 : downloads.getOrDefault(p.file(), new AtomicInteger()).get();
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        try (exchange) {
            if (path.startsWith("/-/")) {
                String file = path.substring(3);
                for (Map<String, Published> versions : packages.values()) {
                    for (Published p : versions.values()) {
                        if (p.file().equals(file)) {
                            downloads.computeIfAbsent(file, f -> new AtomicInteger()).incrementAndGet();
                            send(exchange, 200, "application/octet-stream", p.tarball());
                            return;
                        }
                    }
                }
                send(exchange, 404, "application/json", "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String name = java.net.URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8);
            Map<String, Published> versions = packages.get(name);
            if (versions == null) {
                send(exchange, 404, "application/json", "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(exchange, 200, "application/json", packument(name, versions).getBytes(StandardCharsets.UTF_8));
        }
    }

    private String packument(String name, Map<String, Published> versions) {
        ObjectNode root = Http.JSON.createObjectNode().put("name", name);
        ObjectNode all = root.putObject("versions");
        String latest = new TreeMap<>(versions).lastKey();
        for (Published p : versions.values()) {
            ObjectNode v = all.putObject(p.version()).put("name", name).put("version", p.version());
            ObjectNode deps = v.putObject("dependencies");
            p.dependencies().forEach(deps::put);
            if (!p.scripts().isEmpty()) { // npm decides from these (as a registry serves them) whether to run any
                ObjectNode scripts = v.putObject("scripts");
                p.scripts().forEach(scripts::put);
                v.put("hasInstallScript", true);
            }
            v.putObject("dist").put("tarball", url() + "-/" + p.file()).put("shasum", hex("SHA-1", p.tarball()))
                    .put("integrity", "sha512-" + Base64.getEncoder().encodeToString(digest("SHA-512", p.tarball())));
        }
        root.putObject("dist-tags").put("latest", latest);
        return root.toString();
    }

    private static String hex(String algorithm, byte[] data) {
        return HexFormat.of().formatHex(digest(algorithm, data));
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary files
        }
    }
}
