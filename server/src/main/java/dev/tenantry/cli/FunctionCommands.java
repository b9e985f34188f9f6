package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tenantry fn deploy | list | get | versions | rollback | delete | logs | invoke}: tenants' functions. */
@Command(name = "fn", description = "Deploy and run tenants' functions (Node.js webhooks in sandboxes).",
        mixinStandardHelpOptions = true,
        subcommands = {FunctionCommands.Deploy.class, FunctionCommands.ListFunctions.class, FunctionCommands.Get.class,
                FunctionCommands.Versions.class, FunctionCommands.Rollback.class, FunctionCommands.Delete.class,
                FunctionCommands.Logs.class, FunctionCommands.Invoke.class})
final class FunctionCommands {
    private static final List<String> ARCHIVES = List.of(".zip", ".tar", ".tgz", ".tar.gz");

    static Table versions(List<Models.FunctionVersion> versions) {
        Table table = new Table("VERSION", "STATE", "ENTRY", "MODULES", "TIMEOUT", "MEMORY", "CREATED", "ERROR");
        versions.forEach(v -> table.row(v.version(), v.state(), v.entry(), modules(v), v.timeoutMs() + " ms", v.memoryMb() + " MiB",
                v.createdAt(), v.error().orElse("")));
        return table;
    }

    private static String modules(Models.FunctionVersion v) {
        List<String> out = new ArrayList<>();
        if (v.moduleStates().isPresent()) {
            v.moduleStates().get().forEach(m -> out.add(m.name() + "@" + m.version() + " (" + m.state() + ")"));
        } else {
            v.modules().forEach((name, version) -> out.add(name + "@" + version));
        }
        return out.isEmpty() ? "-" : String.join(", ", out);
    }

    @Command(name = "deploy", description = "Deploy a new version of a function: a .js/.mjs/.cjs file, a directory, or a .zip/.tar/.tgz bundle.")
    static final class Deploy extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name (a-z, 0-9, '-', '_')")
        String name;
        @Parameters(index = "2", description = "the code: a source file, a directory (zipped, without node_modules), or an archive")
        Path source;
        @Option(names = "--entry", description = "the entry file inside a bundle (default: package.json main, else index.js)")
        String entry;
        @Option(names = "--package-json", description = "a package.json to use (its dependencies are built into the module store)")
        Path packageJson;
        @Option(names = "--dep", description = "a dependency name@range (repeatable), added to package.json's")
        List<String> deps = new ArrayList<>();
        @Option(names = "--env", description = "an environment variable KEY=VALUE (repeatable; replaces the previous version's set)")
        List<String> env;
        @Option(names = "--secret", description = "a secret KEY=VALUE (repeatable; encrypted at rest, never shown again)")
        List<String> secrets;
        @Option(names = "--timeout-ms", description = "per-invocation timeout (default: the plan's)")
        Integer timeoutMs;
        @Option(names = "--memory-mb", description = "memory limit (default: the plan's)")
        Integer memoryMb;
        @Option(names = "--no-wait", description = "return at once, even while the version's modules are building")
        boolean noWait;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            Map<String, Object> body = new LinkedHashMap<>();
            code(body);
            Optional.ofNullable(entry).ifPresent(e -> body.put("entry", e));
            Optional.ofNullable(packageJson).ifPresent(p -> body.put("packageJson", read(p)));
            if (!deps.isEmpty()) {
                Map<String, String> d = new LinkedHashMap<>();
                for (String dep : deps) {
                    int at = dep.lastIndexOf('@');
                    if (at <= 0) {
                        throw new ParameterException(options.spec.commandLine(), "--dep must be name@range, not '" + dep + "'");
                    }
                    d.put(dep.substring(0, at), dep.substring(at + 1));
                }
                body.put("dependencies", d);
            }
            Optional.ofNullable(env).ifPresent(e -> body.put("env", pairs(e, "--env")));
            Optional.ofNullable(secrets).ifPresent(s -> body.put("secrets", pairs(s, "--secret")));
            Optional.ofNullable(timeoutMs).ifPresent(t -> body.put("timeoutMs", t));
            Optional.ofNullable(memoryMb).ifPresent(m -> body.put("memoryMb", m));
            Models.FunctionVersion v = client.deployFunction(tenant, name, body);
            Optional<String> url = v.url(); // only the deploy answer has it
            if (!noWait && v.state().equals("pending")) {
                v = follow(client, v, options.spec.commandLine().getErr());
            }
            Models.FunctionVersion shown = v;
            show(json, v, () -> {
                out().println("function " + name + " version " + shown.version() + ": " + shown.state()
                        + shown.error().map(e -> " (" + e + ")").orElse(""));
                if (shown.state().equals("ready")) {
                    out().println("serving at " + url.orElse("http://" + tenant + ".<base-domain>:<gateway-port>/fn/" + name)
                            + "  (try: tenantry fn invoke " + tenant + " " + name + ")");
                }
            });
            return v.state().equals("failed") ? ExitCodes.FAILED : ExitCodes.OK;
        }

        private Models.FunctionVersion follow(AdminClient client, Models.FunctionVersion v, PrintWriter err) {
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            String last = "";
            while (v.state().equals("pending") && System.nanoTime() < deadline) {
                String line = "building modules: " + modules(v);
                if (!line.equals(last)) {
                    err.println(line);
                    err.flush();
                    last = line;
                }
                sleep(500);
                v = client.functionVersion(tenant, name, v.version());
            }
            return v;
        }

        private void code(Map<String, Object> body) {
            String file = source.getFileName() == null ? "" : source.getFileName().toString();
            if (Files.isDirectory(source)) {
                body.put("bundle", Base64.getEncoder().encodeToString(zip(source)));
            } else if (ARCHIVES.stream().anyMatch(file::endsWith)) {
                body.put("bundle", Base64.getEncoder().encodeToString(bytes(source)));
            } else {
                body.put("code", read(source));
                if (entry == null && !file.isEmpty()) {
                    entry = file;
                }
            }
        }

        private static Map<String, String> pairs(List<String> items, String option) {
            Map<String, String> out = new LinkedHashMap<>();
            for (String item : items) {
                int eq = item.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException(option + " must be KEY=VALUE, not '" + item + "'");
                }
                out.put(item.substring(0, eq), item.substring(eq + 1));
            }
            return out;
        }
    }

    /** A directory as a zip, without node_modules and dot-directories (dependencies come from package.json). */
    static byte[] zip(Path dir) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (rel.startsWith("node_modules/") || rel.contains("/node_modules/") || rel.startsWith(".") || rel.contains("/.")) {
                    continue;
                }
                zip.putNextEntry(new ZipEntry(rel));
                Files.copy(p, zip);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack " + dir + ": " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    static String read(Path p) {
        return new String(bytes(p), StandardCharsets.UTF_8);
    }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Command(name = "list", description = "List a tenant's functions.")
    static final class ListFunctions extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;

        @Override
        void run(AdminClient client, boolean json) {
            List<Models.Function> functions = client.functions(tenant);
            show(json, functions, () -> {
                Table table = new Table("NAME", "ACTIVE", "LATEST", "UPDATED");
                functions.forEach(f -> table.row(f.name(), f.activeVersion().map(Object::toString).orElse("-"), f.latestVersion(), f.updatedAt()));
                table.print(out());
            });
        }
    }

    @Command(name = "get", description = "Show a function and its latest version.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name")
        String name;

        @Override
        void run(AdminClient client, boolean json) {
            Models.Function f = client.function(tenant, name);
            show(json, f, () -> {
                out().println("name:    " + f.name());
                out().println("active:  " + f.activeVersion().map(Object::toString).orElse("none (no ready version)"));
                out().println("latest:  " + f.latestVersion());
                f.latest().ifPresent(v -> {
                    out().println("state:   " + v.state() + v.error().map(e -> " (" + e + ")").orElse(""));
                    out().println("entry:   " + v.entry() + " (" + v.codeBytes() + " bytes, sha256 " + v.codeSha256().substring(0, 12) + ")");
                    out().println("modules: " + modules(v));
                    out().println("env:     " + String.join(", ", v.env().keySet()));
                    out().println("secrets: " + String.join(", ", v.secrets()));
                    out().println("limits:  " + v.timeoutMs() + " ms, " + v.memoryMb() + " MiB");
                });
            });
        }
    }

    @Command(name = "versions", description = "List a function's versions, newest first.")
    static final class Versions extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name")
        String name;

        @Override
        void run(AdminClient client, boolean json) {
            List<Models.FunctionVersion> versions = client.functionVersions(tenant, name);
            show(json, versions, () -> versions(versions).print(out()));
        }
    }

    @Command(name = "rollback", description = "Serve an earlier ready version again.")
    static final class Rollback extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name")
        String name;
        @Parameters(index = "2", description = "the version to serve")
        int version;

        @Override
        void run(AdminClient client, boolean json) {
            Models.Function f = client.rollbackFunction(tenant, name, version);
            show(json, f, () -> out().println("function " + name + " now serves version " + f.activeVersion().orElse(version)));
        }
    }

    @Command(name = "delete", description = "Delete a function, its versions and its logs.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name")
        String name;

        @Override
        void run(AdminClient client, boolean json) {
            client.deleteFunction(tenant, name);
            show(json, Map.of("deleted", name), () -> out().println("deleted function " + name));
        }
    }

    @Command(name = "logs", description = "Show what a function wrote to stdout and stderr; -f follows.")
    static final class Logs extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name")
        String name;
        @Option(names = {"-f", "--follow"}, description = "keep printing new lines until interrupted")
        boolean follow;
        @Option(names = "--request-id", description = "only the lines of one invocation")
        String requestId;
        @Option(names = "--after", description = "only lines after this id (default: all kept)")
        long after;
        @Option(names = "--follow-seconds", hidden = true, description = "stop following after this long (tests)")
        long followSeconds = Long.MAX_VALUE / 2_000;

        @Override
        void run(AdminClient client, boolean json) {
            long cursor = after;
            long end = System.nanoTime() + followSeconds * 1_000_000_000L;
            do {
                Models.LogPage page = client.functionLogs(tenant, name, cursor, Optional.ofNullable(requestId), 500);
                for (Models.LogLine l : page.items()) {
                    if (json) {
                        options.printJson(l);
                    } else {
                        out().println(l.at() + " " + l.requestId() + " " + (l.stream().equals("stderr") ? "ERR " : "") + l.line());
                    }
                }
                out().flush();
                cursor = page.next();
                if (follow && page.items().isEmpty()) {
                    sleep(500);
                }
            } while (follow && System.nanoTime() < end);
        }
    }

    @Command(name = "invoke", description = "Call a function through the gateway as its tenant's traffic would, and print the answer.")
    static final class Invoke extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "function name")
        String name;
        @Option(names = {"-d", "--data"}, description = "request body (default: none)")
        String data;
        @Option(names = "--data-file", description = "request body from a file")
        Path dataFile;
        @Option(names = "--content-type", description = "the body's type (default application/json)")
        String contentType = "application/json";
        @Option(names = "--path", description = "the path after /fn/<name>, e.g. /items?x=1")
        String path = "";
        @Option(names = {"-i", "--include"}, description = "print the status and headers too")
        boolean include;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            byte[] body = dataFile != null ? bytes(dataFile) : data == null ? new byte[0] : data.getBytes(StandardCharsets.UTF_8);
            Models.Invocation result = client.invokeFunction(tenant, name, body, contentType, path);
            if (json) {
                options.printJson(result);
            } else {
                if (include) {
                    out().println("HTTP " + result.status() + " (" + String.format("%.1f", result.durationMs()) + " ms)");
                    result.headers().forEach((k, v) -> out().println(k + ": " + v));
                    out().println();
                }
                out().println(result.bodyEncoding().equals("base64") ? "(binary body, base64) " + result.body() : result.body());
                out().flush();
            }
            return result.status() < 400 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }
}
