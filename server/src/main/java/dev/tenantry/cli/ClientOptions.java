package dev.tenantry.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.ClientConfig;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every client command takes: which server, which token, which output format. */
final class ClientOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--server", description = "API URL (env TENANTRY_SERVER; default: the client config written by 'tenantry up')")
    String server;

    @Option(names = "--token", description = "admin token (env TENANTRY_TOKEN; default: the client config)")
    String token;

    @Option(names = {"-o", "--output"}, description = "table (default) or json", defaultValue = "table")
    String output;

    static Map<String, String> env = System.getenv();

    AdminClient client() {
        Optional<ClientConfig> config = Optional.empty();
        boolean needConfig = first(server, env.get("TENANTRY_SERVER")).isEmpty() || first(token, env.get("TENANTRY_TOKEN")).isEmpty();
        try {
            config = needConfig ? ClientConfig.load(ClientConfig.defaultPath(env)) : Optional.empty();
        } catch (java.io.UncheckedIOException e) {
            throw new ParameterException(spec.commandLine(), "the client config " + ClientConfig.defaultPath(env)
                    + " is not valid JSON; fix or delete it, or pass --server and --token");
        }
        String url = first(server, env.get("TENANTRY_SERVER"), config.map(ClientConfig::server).orElse(null))
                .orElse("http://127.0.0.1:8081");
        String secret = first(token, env.get("TENANTRY_TOKEN"), config.map(ClientConfig::token).orElse(null))
                .orElseThrow(() -> new ParameterException(spec.commandLine(),
                        "no admin token: start the platform with 'tenantry up' (it writes one to "
                                + ClientConfig.defaultPath(env) + "), or pass --token / set TENANTRY_TOKEN"));
        return new AdminClient(URI.create(url.endsWith("/") ? url : url + "/"), secret);
    }

    boolean json() {
        if (!output.equals("json") && !output.equals("table")) {
            throw new ParameterException(spec.commandLine(), "--output must be 'table' or 'json', not '" + output + "'");
        }
        return output.equals("json");
    }

    /** Prints a model as JSON (for -o json). */
    void printJson(Object value) {
        try {
            spec.commandLine().getOut().println(AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
            spec.commandLine().getOut().flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<String> first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
