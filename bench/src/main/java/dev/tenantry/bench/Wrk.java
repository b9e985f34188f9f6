package dev.tenantry.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the {@code wrk} load generator (closed loop, fixed threads and connections) as a child
 * process, bounded in time, and reads its summary: requests per second, the latency percentiles
 * of {@code --latency}, non-2xx answers and socket errors.
 */
final class Wrk {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)(us|ms|s|m)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|75|90|99)%\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE);
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    private final String executable;
    private final int threads;
    private final int connections;

    /** One run's figures; latencies in milliseconds. */
    record Result(long requests, double seconds, double rate, double p50, double p90, double p99, long non2xx,
                  long socketErrors, String output) {
        long errors() {
            return non2xx + socketErrors;
        }
    }

    Wrk(String executable, int threads, int connections) {
        this.executable = executable;
        this.threads = threads;
        this.connections = connections;
    }

    /**
     * Runs {@code wrk} against {@code url} for {@code seconds} with the Lua {@code script} (given
     * {@code scriptArgs}) and the extra {@code headers}; fails when wrk fails or outlives its time by 30 s.
     */
    Result run(String url, double seconds, Path script, List<String> scriptArgs, List<String> headers)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable, "-t" + threads, "-c" + connections,
                "-d" + Math.max(1, Math.round(seconds)) + "s", "--timeout", "5s", "--latency", "-s", script.toString()));
        for (String header : headers) {
            command.add("-H");
            command.add(header);
        }
        command.add(url);
        if (!scriptArgs.isEmpty()) {
            command.add("--");
            command.addAll(scriptArgs);
        }
        Path output = Files.createTempFile("context-bench-wrk", ".txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            long bound = (long) seconds + 30;
            if (!process.waitFor(bound, TimeUnit.SECONDS)) {
                throw new IOException("wrk did not finish within " + bound + " s");
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IOException("wrk exited with " + process.exitValue() + ": " + text.strip());
            }
            return parse(text);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    static Result parse(String text) throws IOException {
        Matcher rate = RATE.matcher(text);
        Matcher total = TOTAL.matcher(text);
        if (!rate.find() || !total.find()) {
            throw new IOException("cannot read wrk's summary: " + text.strip());
        }
        double[] percentiles = {Double.NaN, Double.NaN, Double.NaN};
        Matcher p = PERCENTILE.matcher(text);
        while (p.find()) {
            double ms = millis(Double.parseDouble(p.group(2)), p.group(3));
            switch (p.group(1)) {
                case "50" -> percentiles[0] = ms;
                case "90" -> percentiles[1] = ms;
                case "99" -> percentiles[2] = ms;
                default -> { }
            }
        }
        Matcher non2xx = NON_2XX.matcher(text);
        Matcher socket = SOCKET_ERRORS.matcher(text);
        long socketErrors = 0;
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                socketErrors += Long.parseLong(socket.group(g));
            }
        }
        return new Result(Long.parseLong(total.group(1)), millis(Double.parseDouble(total.group(2)), total.group(3)) / 1e3,
                Double.parseDouble(rate.group(1)), percentiles[0], percentiles[1], percentiles[2],
                non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, socketErrors, text);
    }

    private static double millis(double value, String unit) {
        return switch (unit) {
            case "us" -> value / 1e3;
            case "ms" -> value;
            case "s" -> value * 1e3;
            case "m" -> value * 60e3;
            default -> throw new IllegalArgumentException("unknown time unit " + unit);
        };
    }

    /**
     * Writes the Lua script both phases use, so the generator does the same work per request:
     * with {@code hosts=FILE} (hostnames, one a line) it asks {@code /v1/context/by-host/<random host>},
     * with {@code path=PATH} it asks that path.
     */
    static Path writeScript(Path dir) throws IOException {
        Path script = dir.resolve("context-bench.lua");
        Files.writeString(script, """
                -- Written by ContextBench. Argument: hosts=<file of hostnames, one a line>, or path=<a path such as /healthz>.
                local counter = 0
                function setup(thread)
                  counter = counter + 1
                  thread:set("seed", counter)
                end
                local hosts = {}
                local fixed = nil
                function init(args)
                  math.randomseed(os.time() * 1000 + seed)
                  if string.sub(args[1], 1, 5) == "path=" then
                    fixed = string.sub(args[1], 6)
                  else
                    for line in io.lines(string.sub(args[1], 7)) do hosts[#hosts + 1] = line end
                  end
                end
                function request()
                  if fixed then return wrk.format("GET", fixed) end
                  return wrk.format("GET", "/v1/context/by-host/" .. hosts[math.random(#hosts)])
                end
                """);
        return script;
    }

    static String format(Result r) {
        return String.format(Locale.ROOT, "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", r.rate(), r.p50(), r.p99(), r.errors());
    }
}
