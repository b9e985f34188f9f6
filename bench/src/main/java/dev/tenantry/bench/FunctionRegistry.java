package dev.tenantry.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tiny local npm packages and a registry serving them, so that module builds never reach the
 * public registry: {@code bench-mod-0..N-1@1.0.0}, each an {@code index.js} of a few lines
 * ({@code bench-mod-1} requires {@code bench-mod-0}, so its build must capture a dependency
 * closure), packed with {@code npm pack}, and a JDK HTTP server on 127.0.0.1 that answers
 * {@code GET /<name>} with the packument and {@code GET /-/<name>-1.0.0.tgz} with the tarball.
 */
final class FunctionRegistry implements AutoCloseable {
    static final String VERSION = "1.0.0";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, byte[]> packuments = new LinkedHashMap<>();
    private final Map<String, byte[]> tarballs = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> dependencies = new LinkedHashMap<>();
    private final AtomicLong packumentRequests = new AtomicLong();
    private final AtomicLong tarballRequests = new AtomicLong();
    private final AtomicLong otherRequests = new AtomicLong();
    private HttpServer server;
    private ExecutorService executor;

    static String name(int i) {
        return "bench-mod-" + i;
    }

    /** What {@code bench-mod-i} (argument x) returns: x + i, bench-mod-1 by way of bench-mod-0. */
    static int value(int i, int x) {
        return x + i;
    }

    /** Writes and packs {@code count} packages in {@code dir} with {@code npm pack} (bounded to 2 minutes). */
    static FunctionRegistry pack(Path dir, Path npm, int count, int port) throws IOException, InterruptedException {
        FunctionRegistry r = new FunctionRegistry();
        Path sources = dir.resolve("packages");
        Path packed = dir.resolve("tarballs");
        Files.createDirectories(packed);
        List<String> command = new ArrayList<>(List.of(npm.toString(), "pack", "--loglevel=error", "--pack-destination", packed.toString()));
        for (int i = 0; i < count; i++) {
            String name = name(i);
            Map<String, String> deps = i == 1 ? Map.of(name(0), "^1.0.0") : Map.of();
            r.dependencies.put(name, deps);
            Path p = sources.resolve(name);
            Files.createDirectories(p);
            ObjectNode pkg = JSON.createObjectNode().put("name", name).put("version", VERSION)
                    .put("description", "Tenantry function benchmark module " + i).put("main", "index.js").put("license", "MIT");
            if (!deps.isEmpty()) {
                pkg.putPOJO("dependencies", deps);
            }
            Files.writeString(p.resolve("package.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(pkg) + "\n");
            String code = i == 1
                    ? "'use strict';\nconst base = require('" + name(0) + "');\n// bench-mod-1 adds 1 by way of bench-mod-0 (x + 0).\n"
                            + "module.exports = function (x) { return base(x) + 1; };\n"
                    : "'use strict';\n// Tenantry benchmark module " + i + ".\nmodule.exports = function (x) { return x + " + i + "; };\n";
            Files.writeString(p.resolve("index.js"), code);
            command.add(p.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("npm-pack.log").toFile());
        pb.environment().put("npm_config_cache", dir.resolve("npm-cache").toString());
        pb.environment().put("npm_config_update_notifier", "false");
        pb.environment().put("npm_config_fund", "false");
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IOException("npm pack did not finish within 120 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("npm pack exited with " + p.exitValue() + ": " + Files.readString(dir.resolve("npm-pack.log")).strip());
            }
        } finally {
            p.destroyForcibly();
        }
        String base = "http://127.0.0.1:" + port;
        for (int i = 0; i < count; i++) {
            String name = name(i);
            String file = name + "-" + VERSION + ".tgz";
            Path tgz = packed.resolve(file);
            if (!Files.isRegularFile(tgz)) {
                throw new IOException("npm pack wrote no " + file + ": " + Files.readString(dir.resolve("npm-pack.log")).strip());
            }
            byte[] bytes = Files.readAllBytes(tgz);
            r.tarballs.put(file, bytes);
            ObjectNode dist = JSON.createObjectNode().put("tarball", base + "/-/" + file).put("shasum", HexFormat.of().formatHex(digest("SHA-1", bytes)))
                    .put("integrity", "sha512-" + Base64.getEncoder().encodeToString(digest("SHA-512", bytes)));
            ObjectNode manifest = JSON.createObjectNode().put("name", name).put("version", VERSION).put("main", "index.js");
            manifest.putPOJO("dependencies", r.dependencies.get(name));
            manifest.set("dist", dist);
            ObjectNode packument = JSON.createObjectNode().put("name", name);
            packument.putObject("dist-tags").put("latest", VERSION);
            packument.putObject("versions").set(VERSION, manifest);
            r.packuments.put(name, JSON.writeValueAsBytes(packument));
        }
        return r;
    }

    /** The packages each package requires (name → range). */
    Map<String, Map<String, String>> dependencies() {
        return dependencies;
    }

    /** Bytes of all tarballs. */
    long tarballBytes() {
        return tarballs.values().stream().mapToLong(b -> b.length).sum();
    }

    /** Starts serving on 127.0.0.1:{@code port}. */
    void start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        executor = Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("bench-registry-", 0).factory());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            byte[] body = null;
            String type = "application/json";
            if (path.startsWith("/-/")) {
                body = tarballs.get(path.substring(3));
                type = "application/octet-stream";
                if (body != null) {
                    tarballRequests.incrementAndGet();
                }
            } else if (path.length() > 1) {
                body = packuments.get(path.substring(1));
                if (body != null) {
                    packumentRequests.incrementAndGet();
                }
            }
            if (body == null || !"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                otherRequests.incrementAndGet();
                byte[] notFound = "{\"error\":\"Not found\"}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(404, notFound.length);
                ex.getResponseBody().write(notFound);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", type);
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(200, -1);
                return;
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    String requests() {
        return String.format("%d packument, %d tarball, %d other (404) requests", packumentRequests.get(), tarballRequests.get(),
                otherRequests.get());
    }

    private static byte[] digest(String algorithm, byte[] bytes) {
        try {
            return MessageDigest.getInstance(algorithm).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
