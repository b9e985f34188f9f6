package dev.tenantry.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The local client configuration: which server the CLI talks to and with which admin token.
 * Lives in {@code $TENANTRY_CLIENT_CONFIG}, else {@code $XDG_CONFIG_HOME/tenantry/config.json},
 * else {@code ~/.config/tenantry/config.json}; written with mode 0600.
 */
public record ClientConfig(String server, String token) {

    /** Where the configuration lives for this environment. */
    public static Path defaultPath(Map<String, String> env) {
        if (env.containsKey("TENANTRY_CLIENT_CONFIG")) {
            return Path.of(env.get("TENANTRY_CLIENT_CONFIG"));
        }
        Path base = Optional.ofNullable(env.get("XDG_CONFIG_HOME")).map(Path::of)
                .orElseGet(() -> Path.of(System.getProperty("user.home"), ".config"));
        return base.resolve("tenantry").resolve("config.json");
    }

    /** The configuration at {@code path}, if the file exists. */
    public static Optional<ClientConfig> load(Path path) {
        if (!Files.isRegularFile(path)) {
            return Optional.empty();
        }
        try {
            JsonNode json = new ObjectMapper().readTree(path.toFile());
            return Optional.of(new ClientConfig(json.path("server").asText(""), json.path("token").asText("")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read client config " + path, e);
        }
    }

    /** Writes the configuration to {@code path} atomically, readable by its owner only. */
    public void save(Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(path.toAbsolutePath().getParent(), ".config", ".tmp");
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Map<String, String> json = new LinkedHashMap<>();
            json.put("server", server);
            json.put("token", token);
            Files.writeString(tmp, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write client config " + path, e);
        }
    }
}
